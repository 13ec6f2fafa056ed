"""Report data from an engine: small tables fetched whole, order lines summed where they live.

A report that reads order lines only through sums (the forecast: revenue per day, region,
product and rep) need not hold every line in pandas. :func:`engine_data` asks the engine
(DuckDB, PostgreSQL or Spark) for the order lines summed at that grain, one row per day and
key with the lines' ``revenue`` and ``quantity`` summed and ``lines`` counting them, and
fetches the other tables whole. The result is a :class:`~salesnb.data.loader.SalesData`
like :func:`salesnb.load`'s, typed the same, whose ``grain`` says which tables are sums:
100 million order lines over three years of 40 products and 36 reps come back as at most
1.6 million rows.

Scoping reads the orders' ``region`` and ``rep_id`` (:func:`salesnb.scope.apply_scope`); when
the orders have no region, or the customers no owner, it reads the orders' ``customer_id``
too, so :func:`rollup_keys` keeps it then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from salesnb.core.periods import parse_day
from salesnb.data.schema import DOUBLES, FILLED, MAIN_DATE, ORDER_MARKS, TABLE_ORDER
from salesnb.engine.backends import Engine

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData, ValidationReport

__all__ = ["SUMMED", "LINES", "MARKS", "rollup_keys", "rolled_orders", "engine_data"]

#: The order-line columns a rolled-up orders table sums; its other non-key columns go.
SUMMED = ("revenue", "quantity")
#: The column of a rolled-up table counting the lines each row stands for.
LINES = "lines"
#: Counts per order and per customer a rolled-up row can carry (``marks=True``; see
#: :data:`salesnb.data.schema.ORDER_MARKS`).
MARKS = ORDER_MARKS
#: Tables of events that an as-of day cuts (on an engine that did not validate against it).
_EVENTS = ("orders", "leads", "opportunities", "surveys")


def rollup_keys(e: Engine, keys: Sequence[str]) -> list[str]:
    """The columns order lines are summed by: ``keys`` the orders have, plus scoping's.

    Parameters
    ----------
    e : Engine
        Holds ``orders`` (and ``customers`` when the source has them).
    keys : sequence of str
        The grain a report reads (e.g. ``order_date``, ``region``, ``product_id``,
        ``rep_id``).

    Returns
    -------
    list of str
        ``keys`` the orders have, in order, and ``customer_id`` when the orders lack
        ``region`` or the customers lack ``owner_rep_id`` (a scope then places the orders,
        or the customers, through it).
    """
    cols = e["orders"].columns
    out = [k for k in dict.fromkeys(keys) if k in cols]
    no_owner = "customers" in e and "owner_rep_id" not in e["customers"].columns
    if ("region" not in cols or no_owner) and "customer_id" in cols and "customer_id" not in out:
        out.append("customer_id")
    return out


def _like_loaded(frame: pd.DataFrame) -> pd.DataFrame:
    """The column types :func:`salesnb.load` gives: dates in ms, whole numbers ``Int64``."""
    out = {}
    for name, col in frame.items():
        if pd.api.types.is_datetime64_any_dtype(col):
            col = col.astype("datetime64[ms]")
        elif pd.api.types.is_integer_dtype(col) and not pd.api.types.is_bool_dtype(col):
            col = col.astype("Int64")
        out[name] = col
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _cut(e: Engine, table: str, day: dt.date | None) -> Any:
    """A table's rows, without events after ``day`` when the engine did not validate."""
    t = e[table]
    col = MAIN_DATE.get(table)
    if day is None or e.report is not None or table not in _EVENTS or col not in t.columns:
        return t
    return t.filter(t[col].isnull() | (t[col].cast("date") <= day))


def _marked(o: Any) -> tuple[Any, dict[str, Any]]:
    """The lines with :data:`MARKS` flags, and the sums that roll them up."""
    import ibis

    cols = o.columns
    line = [o[c] for c in ("line_no",) if c in cols]
    per_order = [o.order_id, o.rep_id]
    first_line = ibis.row_number().over(ibis.window(group_by=per_order,
                                                    order_by=[o.order_date, *line]))
    first_buy = ibis.row_number().over(ibis.window(group_by=[o.customer_id],
                                                   order_by=[o.order_date, o.order_id, *line]))
    order_rev = o.revenue.cast("float64").sum().over(ibis.window(group_by=per_order))
    o = o.mutate(_first=(first_line == 0), _rev=order_rev,
                 _new=(first_buy == 0) & o.customer_id.notnull())
    return o, {"order_count": o._first.ifelse(1, 0).sum(),  # PostgreSQL casts no bool to int
               "order_sq": o._first.ifelse(o._rev * o._rev, 0.0).sum(),
               "new_customers": o._new.ifelse(1, 0).sum()}


def rolled_orders(e: Engine, keys: Sequence[str], *, as_of: Any = None,
                  marks: bool = False, profile: bool = False) -> pd.DataFrame:
    """The order lines summed per key where they live (see :func:`rollup_keys`).

    Parameters
    ----------
    e : Engine
        Holds ``orders``.
    keys : sequence of str
        The grain; ``order_date`` counts per day.
    as_of : date or str, optional
        On an engine that did not validate the lines (Spark), lines dated after it are left
        out; a validated engine's lines already are.
    marks : bool, default False
        Also sum :data:`MARKS` (window functions over every line: the assessment's order and
        new-customer counts); needs ``order_id``, ``rep_id``, ``customer_id`` and
        ``revenue``, and is skipped without them.
    profile : bool, default False
        Count, per key, the filled values of every other column of the lines
        (``filled_<column>``, :data:`~salesnb.data.schema.FILLED`) and the possible double
        entries (:data:`~salesnb.data.schema.DOUBLES`): the data-quality report's counts.
        Not with ``marks``. When ``customer_id`` is not a key, one row more per customer
        and key but the day, with no lines (``lines`` and every count 0, no day), says who
        bought from whom: a scope's customers are those of its order lines, as with the
        lines themselves (:func:`salesnb.scope.customer_ids`).

    Returns
    -------
    pandas.DataFrame
        One row per key (a missing key value is a key of its own), the summed
        :data:`SUMMED` columns the orders have and :data:`LINES` (and :data:`MARKS`, or the
        profile's counts); sorted by the keys, and typed as :func:`salesnb.load` types the
        orders.
    """
    if profile and marks:
        raise ValueError("an orders profile carries no marks: ask for one or the other")
    o = _cut(e, "orders", parse_day(as_of, name="as_of"))
    by = rollup_keys(e, keys)
    if profile:
        from salesnb.engine.profiles import profile_frame

        return profile_frame(e, "orders", o, by)
    extra: dict[str, Any] = {}
    if marks and {"order_id", "rep_id", "customer_id", "revenue"} <= set(o.columns):
        o, extra = _marked(o)
    group = {k: (o[k].cast("date") if k == "order_date" else o[k]) for k in by}
    sums = {c: o[c].sum() for c in SUMMED if c in o.columns}
    expr = o.group_by(**group).aggregate(**{LINES: o.count()}, **sums, **extra)
    out = _like_loaded(e.execute(expr))
    out = out.sort_values(by, na_position="last", kind="stable", ignore_index=True)
    return out[[*by, *sums, LINES, *extra]]


def _unvalidated_report(e: Engine, kept: Mapping[str, int],
                        stored: Mapping[str, int]) -> ValidationReport:
    """Counts for tables an engine holds as a pipeline wrote them (nothing quarantined here).

    ``kept``: rows (order lines) up to the as-of day, which are read and loaded; ``stored``:
    all the engine holds. Rows after the day are not read, and a note counts them.
    """
    from salesnb.data.loader import ValidationReport
    from salesnb.data.validation import QUARANTINE_COLUMNS

    rows = []
    notes: dict[str, list[str]] = {}
    for t, n in kept.items():
        rows.append({"table": t, "file": f"{e.location}/{t}", "rows_read": n,
                     "rows_loaded": n, "rows_quarantined": 0, "encoding": "-"})
        notes[t] = [f"read on {e.name} as the pipeline that wrote it validated it; salesnb "
                    "did not check its rules again"]
        if stored[t] != n:
            notes[t].append(f"{stored[t] - n:,} rows dated after the as-of day left out")
    counts = pd.DataFrame(rows, columns=["table", "file", "rows_read", "rows_loaded",
                                         "rows_quarantined", "encoding"])
    return ValidationReport(e.location, counts, pd.DataFrame(columns=list(QUARANTINE_COLUMNS)),
                            notes=notes)


def engine_data(e: Engine, *, grain: Mapping[str, Sequence[str]] | None = None,
                tables: Sequence[str] | None = None, as_of: Any = None,
                marks: bool = False, profile: bool = False) -> SalesData:
    """A report's data from an engine: tables fetched whole, ``grain``'s tables summed.

    Parameters
    ----------
    e : Engine
        From :func:`~salesnb.engine.backends.open_engine` (validated: its report is the
        data's) or :func:`~salesnb.engine.backends.spark_engine` (tables as a pipeline wrote
        them: counted, not checked again).
    grain : mapping of str to sequence of str, optional
        ``{"orders": keys}``: the orders summed per key (:func:`rolled_orders`); only orders
        can be summed. With ``profile``, any table: counted per key
        (:func:`salesnb.engine.profiles.profiled`). Default: every table fetched whole.
    tables : sequence of str, optional
        Tables to fetch, of those the engine holds (one it does not hold is absent, as from
        :func:`salesnb.load`); default all. A validated engine checked every table, so the
        references to tables left out were checked too.
    as_of : date or str, optional
        The as-of day; default the engine's (the day it validated against), else today.
    marks : bool, default False
        The rolled-up orders also carry :data:`MARKS` (see :func:`rolled_orders`).
    profile : bool, default False
        The tables of ``grain`` carry the data-quality counts instead of sums (see
        :func:`salesnb.engine.profiles.profiled`).

    Returns
    -------
    SalesData
        Typed as :func:`salesnb.load` types its tables; ``grain`` records the keys of the
        rolled-up tables (:meth:`~salesnb.data.loader.SalesData.line_count` counts their
        lines).

    Raises
    ------
    ValueError
        When ``grain`` names a table other than ``orders`` without ``profile``.
    """
    from salesnb.data.loader import SalesData
    from salesnb.engine.profiles import profiled

    grain = dict(grain or {})
    if set(grain) - {"orders"} and not profile:
        raise ValueError(f"only orders can be rolled up, not {sorted(set(grain) - {'orders'})}"
                         " (any table can be profiled: profile=True)")
    day = parse_day(as_of, name="as_of") or e.as_of or dt.date.today()
    names = [t for t in TABLE_ORDER if t in e and (tables is None or t in tables)]
    frames: dict[str, pd.DataFrame] = {}
    keys: dict[str, tuple[str, ...]] = {}
    if profile and marks:
        raise ValueError("an orders profile carries no marks: ask for one or the other")
    for t in names:
        if t in grain:
            frames[t] = (profiled(e, t, grain[t], as_of=day) if profile
                         else rolled_orders(e, grain[t], as_of=day, marks=marks))
            keys[t] = tuple(c for c in frames[t].columns if c not in
                            (*SUMMED, LINES, *MARKS, DOUBLES) and not c.startswith(FILLED))
        else:
            frames[t] = _like_loaded(e.execute(_cut(e, t, day)))
    report = e.report
    if report is None:
        stored = {t: int(e.execute(e[t].aggregate(n=e[t].count()))["n"].iloc[0]) for t in names}
        kept = {t: int(f[LINES].sum()) if t in keys else len(f) for t, f in frames.items()}
        report = _unvalidated_report(e, kept, stored)
    return SalesData(frames, report, e.location, day, grain=keys)

