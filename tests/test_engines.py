"""Engine agreement (issue 18): the same Ibis expressions on DuckDB, PostgreSQL and Spark.

Every measure of :mod:`salesnb.engine.measures` runs on the embedded sample held by three
engines: DuckDB (validated in place), a real PostgreSQL server (after ``salesnb copy``) and a
local Spark session (Parquet files of the validated tables). Each result must equal the
pandas reference computed on ``sn.load`` of the same data.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import AS_OF
from pgserver import PASSWORD

import salesnb as sn
from salesnb.data import postgres as pg
from salesnb.engine import (
    Engine,
    customer_purchases,
    from_frames,
    missing_values,
    monthly_sales,
    open_engine,
    rep_activity,
    rfm,
    spark_engine,
    totals,
)
from salesnb.errors import TableError
from salesnb.forecast.series import _widen, sales_series
from salesnb.products.engine import aggregate

ENGINES = ("duckdb", "postgres", "spark")


@pytest.fixture(scope="module")
def sample():
    return sn.load("data", as_of=AS_OF)


@pytest.fixture(scope="module")
def engines(sample, postgres, spark, tmp_path_factory):
    """One engine of each kind over the same validated sample."""
    url = f"{postgres.url}?schema=agree"
    pg.copy("data", url, as_of=AS_OF)
    lake = tmp_path_factory.mktemp("lake")
    for name, frame in sample.tables.items():
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                       lake / f"{name}.parquet")
    opened = {"duckdb": open_engine("data", as_of=AS_OF), "postgres": open_engine(url),
              "spark": spark_engine(spark, parquet=lake)}
    yield opened
    for e in opened.values():
        e.close()


@pytest.fixture(params=ENGINES)
def engine(request, engines):
    return engines[request.param]


def test_each_engine_is_the_backend_it_says(engines):
    assert {k: e.name for k, e in engines.items()} == {"duckdb": "duckdb",
                                                      "postgres": "postgres",
                                                      "spark": "pyspark"}


@pytest.mark.parametrize("freq", ["MS", "W", "QS"])
@pytest.mark.parametrize("by", [None, "region", "category", "rep_id"])
def test_monthly_sales_agree_with_pandas(engine, sample, freq, by):
    expected = sales_series(sample.orders, freq=freq, by=by, products=sample.products)
    got = _widen(monthly_sales(engine, freq=freq, by=by), "grp", "value", freq, by)
    pd.testing.assert_frame_equal(got, expected, check_freq=True, rtol=1e-9)


def test_rfm_agrees_with_pandas(engine, sample):
    expected = sn.segments.rfm(sample.orders, as_of=AS_OF)
    got = rfm(engine, as_of=AS_OF)
    pd.testing.assert_frame_equal(got, expected, check_index_type=False, rtol=1e-9)
    assert got.attrs == expected.attrs


def test_purchases_count_the_lines_left_out(engine, sample):
    day = pd.Timestamp(sample.orders["order_date"].quantile(0.5)).date()
    agg, excluded = customer_purchases(engine, as_of=day)
    late = int((sample.orders["order_date"].dt.date > day).sum())
    assert excluded["after as_of"] == late > 0
    assert excluded["lines read"] == len(sample.orders)
    assert excluded["last_line"] <= day
    assert agg["last_purchase"].max().date() <= day


@pytest.mark.parametrize("by, freq", [("region", None), ("category", "MS"),
                                      (("region", "category"), "QS"), ((), None)])
def test_totals_agree_with_the_products_aggregate(engine, sample, by, freq):
    expected = aggregate(sample.orders, by, freq=freq, products=sample.products,
                         customer="customer_id", rep="rep_id", engine="pandas")
    got = totals(engine, by, freq=freq, customer="customer_id", rep="rep_id")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9)


def test_totals_of_a_window_agree(engine, sample):
    window = ("2024-03-01", "2024-08-31")
    expected = aggregate(sample.orders, "region", products=sample.products, period=window,
                         engine="pandas")
    got = totals(engine, "region", period=window)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9)


def _activity_reference(d: sn.SalesData) -> pd.DataFrame:
    o = d.orders.assign(period=d.orders["order_date"].dt.to_period("M").dt.start_time)
    keys = ["rep_id", "period"]
    sold = o.groupby(keys).agg(orders=("order_id", "nunique"), lines=("order_id", "size"),
                               revenue=("revenue", "sum"), customers=("customer_id", "nunique"))
    leads = d.leads.dropna(subset=["assigned_rep_id"])
    leads = (leads.assign(period=leads["created_date"].dt.to_period("M").dt.start_time)
             .rename(columns={"assigned_rep_id": "rep_id"}).groupby(keys).size()
             .rename("leads"))
    opp = d.opportunities
    won = opp[(opp["stage"] == "won") & opp["closed_date"].notna() & opp["rep_id"].notna()]
    won = (won.assign(period=won["closed_date"].dt.to_period("M").dt.start_time)
           .groupby(keys).size().rename("won"))
    out = sold.join(leads, how="outer").join(won, how="outer").reset_index()
    for col in ("orders", "lines", "customers", "leads", "won"):
        out[col] = out[col].fillna(0).astype("int64")
    out["revenue"] = out["revenue"].fillna(0.0)
    out["period"] = out["period"].astype("datetime64[ns]")
    out["rep_id"] = out["rep_id"].astype(str)
    return out.sort_values(keys).reset_index(drop=True)


def test_rep_activity_agrees_with_pandas(engine, sample):
    got = rep_activity(engine)
    pd.testing.assert_frame_equal(got, _activity_reference(sample), check_dtype=False,
                                  rtol=1e-9)
    assert got["won"].sum() > 0 and got["leads"].sum() > 0


def test_missing_values_agree_with_pandas(engine, sample):
    got = missing_values(engine, ["reps", "leads", "opportunities"]).set_index(
        ["table", "column"])
    for name in ("reps", "leads", "opportunities"):
        frame = sample.tables[name]
        for col in frame.columns:
            values = frame[col]
            gone = values.isna()
            if pd.api.types.is_string_dtype(values):
                gone |= values.fillna("x").str.strip().eq("")
            assert got.loc[(name, col)].tolist() == [len(frame), int(gone.sum())], (name, col)
    assert got["missing"].sum() > 0


def test_a_copied_schema_carries_its_validation_report(engines, sample):
    e = engines["postgres"]
    assert PASSWORD not in e.location and "agree" in e.location
    counts = e.report.counts.set_index("table").sort_index()
    local = sample.report.counts.set_index("table").sort_index()
    assert counts[["rows_read", "rows_loaded", "rows_quarantined"]].astype(int).equals(
        local[["rows_read", "rows_loaded", "rows_quarantined"]].astype(int))
    assert len(e.report.quarantine) == len(sample.report.quarantine)
    assert e.as_of == AS_OF


def test_a_table_the_engine_lacks_is_named(engines):
    full = engines["spark"]
    e = Engine(full.backend, {k: v for k, v in full.tables.items() if k != "surveys"},
               full.location)
    assert "surveys" in full and "surveys" not in e
    with pytest.raises(TableError, match="surveys.*the engine holds reps"):
        _ = e["surveys"]


def test_sales_series_sql_runs_through_the_engine(sample):
    got = sn.forecast.sales_series_sql("data", by="region", as_of=AS_OF)
    expected = sales_series(sample.orders, by="region")
    pd.testing.assert_frame_equal(got, expected, check_freq=True, rtol=1e-9)


@pytest.fixture(scope="module")
def export_engines(postgres, spark, tmp_path_factory):
    """An orders-only export (profit per line, no unit costs, no reps) on each engine."""
    from conftest import ORDERS_ONLY_MAPPING, write_orders_only

    folder = tmp_path_factory.mktemp("export")
    write_orders_only(folder)
    loaded = sn.load(folder, ORDERS_ONLY_MAPPING, as_of=AS_OF)
    url = f"{postgres.url}?schema=export"
    pg.copy(folder, url, ORDERS_ONLY_MAPPING, as_of=AS_OF)
    lake = tmp_path_factory.mktemp("export_lake")
    for name, frame in loaded.tables.items():
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                       lake / f"{name}.parquet")
    opened = {"duckdb": open_engine(folder, ORDERS_ONLY_MAPPING, as_of=AS_OF),
              "postgres": open_engine(url), "spark": spark_engine(spark, parquet=lake)}
    yield loaded, opened
    for e in opened.values():
        e.close()


@pytest.mark.parametrize("name", ENGINES)
def test_an_orders_only_export_agrees_on_every_engine(export_engines, name):
    d, opened = export_engines
    e = opened[name]
    for by in ("region", "category"):
        expected = aggregate(d.orders, by, products=d.products, customer="customer_id",
                             engine="pandas")
        got = totals(e, by, customer="customer_id")
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9)
        assert got["cost"].notna().all()  # from the export's profit per line
    pd.testing.assert_frame_equal(rfm(e, as_of=AS_OF), sn.segments.rfm(d.orders, as_of=AS_OF),
                                  check_index_type=False, rtol=1e-9)
    with pytest.raises(sn.SalesnbError, match="rep_activity needs the orders' rep_id"):
        rep_activity(e)


def test_frames_already_loaded_run_the_same_measures(sample):
    with from_frames(sample.tables, as_of=AS_OF) as e:
        assert e.name == "duckdb" and set(e.tables) == set(sample.tables)
        got = _widen(monthly_sales(e, by="category"), "grp", "value", "MS", "category")
    expected = sales_series(sample.orders, by="category", products=sample.products)
    pd.testing.assert_frame_equal(got, expected, check_freq=True, rtol=1e-9)


# ------------------------------------------------- order lines summed where they live

def test_the_orders_summed_per_day_and_key_agree(engine, sample):
    from salesnb.data.schema import ORDER_ROLLUP as ROLLUP
    from salesnb.engine import LINES, rolled_orders

    expected = (sample.orders.assign(**{LINES: 1})
                .groupby(list(ROLLUP), dropna=False)[["revenue", "quantity", LINES]].sum()
                .reset_index())
    got = rolled_orders(engine, ROLLUP)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9)
    assert str(got["order_date"].dtype) == "datetime64[ms]"


def test_engine_data_fetches_every_table_as_load_types_it(engine, sample):
    from salesnb.engine import engine_data

    got = engine_data(engine, as_of=AS_OF)
    assert set(got.tables) == set(sample.tables)
    for name, frame in sample.tables.items():
        cols = list(frame.columns)
        pd.testing.assert_frame_equal(got[name].sort_values(cols, ignore_index=True),
                                      frame.sort_values(cols, ignore_index=True), obj=name)
    loaded = got.report.counts.set_index("table")["rows_loaded"].to_dict()
    assert loaded == {t: len(f) for t, f in sample.tables.items()}


def test_spark_counts_its_tables_and_cuts_them_at_the_as_of_day(engines, sample):
    from salesnb.data.schema import ORDER_ROLLUP as ROLLUP
    from salesnb.engine import engine_data

    day = pd.Timestamp(sample.orders["order_date"].quantile(0.5)).date()
    got = engine_data(engines["spark"], grain={"orders": ROLLUP}, as_of=day)
    kept = sample.orders[sample.orders["order_date"].dt.date <= day]
    assert got.line_count("orders") == len(kept)
    assert got["orders"]["revenue"].sum() == pytest.approx(kept["revenue"].sum(), rel=1e-9)
    assert got["leads"]["created_date"].max().date() <= day
    counts = got.report.counts.set_index("table")
    assert counts.loc["orders", "rows_read"] == counts.loc["orders", "rows_loaded"] == len(kept)
    assert counts["rows_quarantined"].sum() == 0
    assert any("did not check its rules again" in n for n in got.report.notes["orders"])
    left = len(sample.orders) - len(kept)
    assert f"{left:,} rows dated after the as-of day left out" in got.report.notes["orders"]


def test_the_forecast_report_runs_on_spark_with_the_folder_runs_figures(sample, spark,
                                                                          tmp_path):
    """One full report on Spark: `salesnb run --engine spark` over a Parquet lake."""
    import json
    import os
    import subprocess
    import sys

    from conftest import ROOT

    lake = tmp_path / "lake"
    lake.mkdir()
    for name, frame in sample.tables.items():
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                       lake / f"{name}.parquet")
    exe = [sys.executable, "-m", "salesnb.cli", "run", "02_sales_forecast", "-q", "-p",
           "as_of", str(AS_OF), "-p", "folds", "2"]
    figures = {}
    for name, extra in (("folder", ["--source", str(ROOT / "data")]),
                        ("spark", ["--source", str(lake), "--engine", "spark"])):
        env = {k: v for k, v in os.environ.items() if k != "SALESNB_ENGINE"}
        env["SALESNB_SPARK_MASTER"] = "local[1]"
        done = subprocess.run([*exe, *extra, "--out", str(tmp_path / name)],
                              capture_output=True, text=True, timeout=900, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        manifest = json.loads((tmp_path / name / "latest" / "manifest.json").read_text())
        (entry,) = manifest["notebooks"]
        assert entry["status"] == "ok"
        figures[name] = entry["figures"]
    spark_fig, folder_fig = figures["spark"], figures["folder"]
    assert spark_fig == folder_fig  # the sample has nothing to quarantine
    assert spark_fig["lines"] == len(sample.orders)
    page = (tmp_path / "spark" / "latest" / "02_sales_forecast.html").read_text()
    assert "Traceback" not in page and "Forecast by group" in page


def test_two_spark_engines_on_one_session_keep_their_own_tables(engines, export_engines,
                                                                 sample):
    first, second = engines["spark"], export_engines[1]["spark"]  # the export's opened last
    assert "rep_id" in first["orders"].columns and "rep_id" not in second["orders"].columns
    o = first["orders"]
    assert first.execute(o.aggregate(n=o.count()))["n"].iloc[0] == len(sample.orders)


def test_the_assessment_counts_from_marked_sums_agree(engine, sample):
    from salesnb import assessment as A
    from salesnb.data.schema import ORDER_ROLLUP
    from salesnb.engine import engine_data

    summed = engine_data(engine, grain={"orders": ORDER_ROLLUP}, as_of=AS_OF, marks=True)
    for freq in ("M", "Q"):
        pd.testing.assert_frame_equal(A.counts(summed, freq=freq), A.counts(sample, freq=freq),
                                      rtol=1e-9)


def test_the_data_quality_counts_of_a_profile_agree(engine, sample):
    from salesnb import quality as q
    from salesnb.data.schema import PROFILE
    from salesnb.engine import engine_data

    counted = engine_data(engine, grain=PROFILE, as_of=AS_OF, profile=True).without_pii()
    sample = sample.without_pii()
    for name in PROFILE:
        assert counted.line_count(name) == len(sample[name]), name
    pd.testing.assert_frame_equal(q.completeness(counted), q.completeness(sample))
    pd.testing.assert_frame_equal(q.duplicates(counted), q.duplicates(sample))
    pd.testing.assert_frame_equal(q.monthly_volumes(counted), q.monthly_volumes(sample),
                                  check_dtype=False, rtol=1e-9)
    pd.testing.assert_frame_equal(q.freshness(counted, str(AS_OF)),
                                  q.freshness(sample, str(AS_OF)), check_dtype=False)
