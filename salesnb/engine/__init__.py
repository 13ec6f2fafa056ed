"""One relational interface from laptop to cluster: DuckDB, PostgreSQL and Spark through Ibis.

An :class:`Engine` holds a source's validated tables where they live (``backends``); the
heavy group-bys are Ibis expressions that run there and bring back only aggregates
(``measures``): the monthly series, RFM, product/region totals, KPI counts per rep and
period, missing-value counts.

>>> import salesnb as sn
>>> with sn.engine.open_engine("data") as e:                       # doctest: +SKIP
...     sn.engine.monthly_sales(e, by="region")
>>> e = sn.engine.open_engine("postgresql://sales@db/crm?schema=salesnb")  # doctest: +SKIP
>>> spark = sn.engine.spark_session()                               # doctest: +SKIP
>>> e = sn.engine.spark_engine(spark, parquet="lake/sales")          # doctest: +SKIP
"""

import lazy_loader as _lazy

_EXPORTS: dict[str, list[str]] = {
    "backends": ["Engine", "EngineError", "open_engine", "from_frames", "spark_session",
                 "spark_engine", "COPY_MARKER"],
    "measures": ["TRUNCATE", "monthly_sales", "customer_purchases", "rfm", "totals",
                 "rep_activity", "missing_values"],
    "frames": ["SUMMED", "LINES", "MARKS", "rollup_keys", "rolled_orders", "engine_data"],
    "profiles": ["profile_keys", "profiled"],
}

__getattr__, __dir__, __all__ = _lazy.attach(__name__, submod_attrs=_EXPORTS)
