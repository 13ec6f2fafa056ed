"""The data-quality report's tables and sentences: pure functions on a loaded :class:`SalesData`.

See :mod:`salesnb.quality` for what a scope's report checks.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from salesnb.core.fmt import escape, pct, plural
from salesnb.core.periods import parse_as_of
from salesnb.data.loader import SalesData, ValidationReport
from salesnb.data.schema import DOUBLES, FILLED, MAIN_DATE, PII_COLUMNS, TABLES
from salesnb.data.scoperows import (
    IN_SCOPE,
    NOT_PLACED,
    OTHER_SCOPE,
    PLACE_COLUMNS,
    own_rows,
    place_counts,
    place_quarantine,
    placed_for_scope,
    row_count,
    rows_in_scope,
)
from salesnb.data.validation import RULES
from salesnb.scope import scope_words, scoped

__all__ = ["PII_MASK", "PLACE_COLUMNS", "IN_SCOPE", "OTHER_SCOPE", "NOT_PLACED", "place_quarantine",
           "examples_note", "overview", "completeness", "quarantine_by_rule", "quarantine_examples",
           "loading_notes", "duplicates", "broken_references", "freshness", "monthly_volumes",
           "volume_gaps", "headline"]

PII_MASK = "(hidden: personal data)"

_OVER_TIME = ("orders", "leads", "opportunities", "surveys")
_EVENT_TABLES = frozenset(_OVER_TIME)
#: Reference tables: their newest date (a hire, a product launch) says nothing about staleness.
_REFERENCE_TABLES = frozenset({"reps", "products"})


def examples_note(placed: pd.DataFrame, n: int = 3) -> str:
    """What the examples below are: the export's, or the scope's own and how many are not.

    Parameters
    ----------
    placed : pandas.DataFrame
        From :func:`place_quarantine`.
    n : int, default=3
        Examples shown per table, rule and column.

    Returns
    -------
    str
        Markdown: one or two sentences whose counts are distinct quarantined rows.
    """
    total = row_count(placed)
    if not total:
        return "Nothing was quarantined: there is no example to show."
    each = f"up to {n:,} per table, rule and column"
    if not placed_for_scope(placed):
        return f"Examples of the {plural(total, 'quarantined row')} ({each})."
    words = escape(placed.attrs.get("words", "this scope"))
    counts = place_counts(placed)
    mine, other, unplaced = counts[IN_SCOPE], counts[OTHER_SCOPE], counts[NOT_PLACED]
    text = (f"For the whole export, {plural(total, 'row')} {'was' if total == 1 else 'were'} "
            f"quarantined; {mine:,} of them belong{'s' if mine == 1 else ''} to {words}"
            + (f" and {'is' if mine == 1 else 'are'} shown below ({each})" if mine
               else ", so there is no example to show") + ".")
    hidden = []
    if other:
        hidden.append(f"{other:,} belong to other scopes")
    if unplaced:
        hidden.append(f"{unplaced:,} cannot be placed (no region, rep or customer the data "
                      "knows)")
    if hidden:
        text += (" Not shown here: " + " and ".join(hidden) + "; the company's report "
                 "lists their examples.")
    return text


def overview(data: SalesData) -> pd.DataFrame:
    """Rows read, loaded and quarantined per table, with the quarantined share.

    Parameters
    ----------
    data : SalesData
        Loaded data (:func:`salesnb.load`), or a scope's.

    Returns
    -------
    pandas.DataFrame
        Indexed by table: rows_read, rows_loaded, rows_quarantined, quarantined_pct,
        columns, first_date, last_date. For a scope, read, loaded and quarantined are the
        whole export's (read = loaded + quarantined holds for them), ``rows_in_scope`` after
        them is the loaded rows of the scope, and the dates are the scope's rows'.
    """
    s = data.summary()
    if not scoped(data).is_company:
        counts = data.report.counts.set_index("table")
        s.insert(2, "rows_in_scope", s["rows_loaded"])
        s["rows_loaded"] = counts["rows_loaded"].reindex(s.index).astype(int)
        s = s[["rows_read", "rows_loaded", "rows_quarantined", "rows_in_scope",
               *[c for c in s.columns if c not in ("rows_read", "rows_loaded",
                                                     "rows_quarantined", "rows_in_scope")]]]
    pct = (100 * s["rows_quarantined"] / s["rows_read"].where(s["rows_read"] > 0)).round(2)
    s.insert(3, "quarantined_pct", pct.fillna(0.0))
    return s


def _weights(data: SalesData, name: str) -> pd.Series:
    """The rows each row of a table stands for: 1, or a rolled-up row's lines."""
    frame = data[name]
    if name in data.grain:
        return frame["lines"].astype("int64")
    return pd.Series(1, index=frame.index, dtype="int64")


def _missing(data: SalesData, name: str, column: str) -> int:
    """Missing values of ``column`` among the rows (or the rolled-up lines) of a table."""
    frame = data[name]
    if f"{FILLED}{column}" in frame.columns:
        return data.line_count(name) - int(frame[f"{FILLED}{column}"].sum())
    return int(_weights(data, name)[frame[column].isna().to_numpy()].sum())


def completeness(data: SalesData) -> pd.DataFrame:
    """Share of filled values per table and column, over the loaded rows.

    Parameters
    ----------
    data : SalesData
        Loaded data (:func:`salesnb.load`), or data whose orders are profiled in the engine
        (:func:`salesnb.engine.rolled_orders` with ``profile=True``: the lines' counts).

    Returns
    -------
    pandas.DataFrame
        table, column, required (by the data model), missing, filled_pct; sorted with the
        least complete first.
    """
    rows = []
    for name in data.tables:
        spec = TABLES[name]
        n = data.line_count(name)
        for col in data.line_columns(name):
            missing = _missing(data, name, col)
            known = col in spec.column_names
            rows.append({
                "table": name,
                "column": col,
                "required": known and not spec.column(col).nullable,
                "missing": missing,
                "filled_pct": 100.0 if n == 0 else round(100 * (1 - missing / n), 2),
            })
    out = pd.DataFrame(rows, columns=["table", "column", "required", "missing", "filled_pct"])
    return out.sort_values(["filled_pct", "table", "column"], kind="stable",
                           ignore_index=True)


def quarantine_by_rule(report: ValidationReport,
                       placed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Quarantined rows per table, rule and column, with what the rule means.

    Parameters
    ----------
    report : ValidationReport
        From :func:`salesnb.load` (``data.report``) or :func:`salesnb.validate`.
    placed : pandas.DataFrame, optional
        From :func:`place_quarantine`: on a scope's page, ``rows_in_scope`` (the scope's own
        rows among them) follows ``rows``.

    Returns
    -------
    pandas.DataFrame
        table, rule, column, rows (the whole export's), pct_of_table, meaning; largest
        first.
    """
    scope = placed_for_scope(placed)
    cols = ["table", "rule", "column", "rows", *(["rows_in_scope"] if scope else []),
            "pct_of_table", "meaning"]
    by = report.by_rule()
    if by.empty:
        return pd.DataFrame(columns=cols)
    read = report.counts.set_index("table")["rows_read"]
    by["pct_of_table"] = (100 * by["rows"] / by["table"].map(read)).round(2)
    by["meaning"] = by["rule"].map(RULES)
    if scope and placed is not None:
        counts = rows_in_scope(placed, ("table", "rule", "column"))
        keys = list(zip(by["table"], by["rule"], by["column"], strict=True))
        by["rows_in_scope"] = [int(counts.get(k, 0)) for k in keys]
    return by.sort_values("rows", ascending=False, kind="stable", ignore_index=True)[cols]


def loading_notes(report: ValidationReport) -> pd.DataFrame:
    """What loading did that is not an error: columns derived, tables built, values in conflict.

    Parameters
    ----------
    report : ValidationReport
        From :func:`salesnb.load` (``data.report``) or :func:`salesnb.validate`.

    Returns
    -------
    pandas.DataFrame
        table, note: one row per note (a ``unit_price`` derived from revenue, a customers
        table built from the order lines with 12 customers whose region differs between
        lines, an unsure encoding, a check skipped for want of a table), in table order.
    """
    rows = [{"table": t, "note": n} for t, notes in report.notes.items() for n in notes]
    rows += [{"table": t, "note": f"check skipped: {n}"}
             for t, skipped in report.skipped.items() for n in skipped]
    return pd.DataFrame(rows, columns=["table", "note"])


def _mask(frame: pd.DataFrame, show_pii: bool) -> pd.DataFrame:
    """Hide quarantine values of personal-data columns unless ``show_pii``."""
    if show_pii or frame.empty:
        return frame
    pii = frame.apply(lambda r: r["column"] in PII_COLUMNS.get(r["table"], []), axis=1)
    out = frame.copy()
    out["value"] = out["value"].astype(object).where(~pii, PII_MASK)
    return out


def quarantine_examples(report: ValidationReport, n: int = 3, *,
                        show_pii: bool = False,
                        placed: pd.DataFrame | None = None) -> pd.DataFrame:
    """The first ``n`` quarantined rows of every table, rule and column.

    Parameters
    ----------
    report : ValidationReport
        From :func:`salesnb.load` (``data.report``) or :func:`salesnb.validate`.
    n : int, default=3
        Examples per group.
    show_pii : bool, default=False
        Show values of personal-data columns (names, e-mails, phones) instead of a mask.
    placed : pandas.DataFrame, optional
        From :func:`place_quarantine`: on a scope's page only the scope's own rows are
        examples (:func:`examples_note` says how many others there are).

    Returns
    -------
    pandas.DataFrame
        table, rule, column, file, row, value, message.
    """
    cols = ["table", "rule", "column", "file", "row", "value", "message"]
    q = report.quarantine
    if placed_for_scope(placed):
        q = own_rows(placed)
    if q.empty or n <= 0:
        return pd.DataFrame(columns=cols)
    ex = q.groupby(["table", "rule", "column"], sort=True, group_keys=False).head(n)
    return _mask(ex, show_pii)[cols].reset_index(drop=True)


def duplicates(data: SalesData, placed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Repeated keys (quarantined) and possible double entries (loaded) per table.

    A possible double entry is a loaded row of an event table (orders, leads, opportunities,
    surveys) identical to another in every column but its key (e.g. the same customer,
    product, date, quantity and price under two order ids); other tables show none.

    Parameters
    ----------
    data : SalesData
        Loaded data (:func:`salesnb.load`), or a scope's (double entries among its rows); its
        orders may be profiled in the engine (the lines' double entries, counted there).
    placed : pandas.DataFrame, optional
        From :func:`place_quarantine`: on a scope's page ``duplicate_keys_in_scope`` (the
        scope's own rows among the repeated keys) follows ``duplicate_keys``.

    Returns
    -------
    pandas.DataFrame
        table, key, duplicate_keys (the whole export's), possible_double_entries.
    """
    q = data.report.quarantine
    scope = placed_for_scope(placed)
    mine = own_rows(placed) if placed_for_scope(placed) else None
    rows = []
    for name, frame in data.tables.items():
        columns = data.line_columns(name)
        key = [k for k in TABLES[name].key if k in columns]
        dup_keys = int(((q["table"] == name) & (q["rule"] == "duplicate_key")).sum())
        rest = [c for c in columns if c not in key]
        double = None
        if name in _EVENT_TABLES and key and rest:
            double = (int(frame[DOUBLES].sum()) if DOUBLES in frame.columns
                      else int(frame.duplicated(subset=rest).sum()))
        row = {"table": name, "key": "+".join(key) or "(none)", "duplicate_keys": dup_keys,
               "possible_double_entries": double}
        if mine is not None:
            row["duplicate_keys_in_scope"] = int(((mine["table"] == name)
                                                  & (mine["rule"] == "duplicate_key")).sum())
        rows.append(row)
    cols = ["table", "key", "duplicate_keys", *(["duplicate_keys_in_scope"] if scope else []),
            "possible_double_entries"]
    out = pd.DataFrame(rows, columns=cols)
    out["possible_double_entries"] = out["possible_double_entries"].astype("Int64")
    return out


def broken_references(report: ValidationReport, *, show_pii: bool = False,
                      placed: pd.DataFrame | None = None) -> pd.DataFrame:
    """References that point nowhere (order -> customer, product, rep, ...).

    Parameters
    ----------
    report : ValidationReport
        From :func:`salesnb.load` (``data.report``) or :func:`salesnb.validate`.
    show_pii : bool, default=False
        Show missing ids of personal-data columns instead of a mask.
    placed : pandas.DataFrame, optional
        From :func:`place_quarantine`: on a scope's page ``rows_in_scope`` follows ``rows``
        and the examples are taken from the scope's own rows only.

    Returns
    -------
    pandas.DataFrame
        table, column, references, rows (the whole export's), examples (up to five distinct
        missing ids; empty on a scope's page when none of the rows is the scope's).
    """
    scope = placed_for_scope(placed)
    cols = ["table", "column", "references", "rows", *(["rows_in_scope"] if scope else []),
            "examples"]
    q = placed if scope and placed is not None else report.quarantine
    fk = q[q["rule"] == "foreign_key"]
    if fk.empty:
        return pd.DataFrame(columns=cols)
    fk = _mask(fk, show_pii)
    refs = {(t, f.column): f"{f.ref_table}.{f.ref_column}"
            for t, spec in TABLES.items() for f in spec.foreign_keys}
    out = fk.groupby(["table", "column"], sort=True).agg(rows=("row", "nunique")).reset_index()
    shown = own_rows(fk) if scope else fk
    listed = shown.groupby(["table", "column"], sort=True)["value"].agg(
        lambda v: ", ".join(map(str, pd.unique(v)[:5])))
    keys = list(zip(out["table"], out["column"], strict=True))
    out["examples"] = [listed.get(k, "") for k in keys]
    if scope:
        mine = rows_in_scope(fk, ("table", "column"))
        out["rows_in_scope"] = [int(mine.get(k, 0)) for k in keys]
    out["references"] = [refs.get(k, "") for k in keys]
    return out[cols]


def freshness(data: SalesData, as_of: dt.date | str | None = None, *,
              stale_days: int = 31) -> pd.DataFrame:
    """The newest row of every table and how old it is on ``as_of``.

    Parameters
    ----------
    data : SalesData
        Loaded data.
    as_of : datetime.date or str, optional
        Reference day: a day or its ISO text; an empty text means today (the report's
        ``as_of`` parameter left empty: a year-old export is then a year old, although the
        other reports read it as of its own last day); ``data.as_of`` when None.
    stale_days : int, default=31
        A table whose newest row is older than this is ``stale``.

    Returns
    -------
    pandas.DataFrame
        table, date_column, first, last, days_old, status: "fresh", "stale", "no dates", or
        "reference data" for reps and products (a hire or launch date says nothing about
        whether the table is current).
    """
    as_of = data.as_of if as_of is None else parse_as_of(as_of)
    rows = []
    for name, frame in data.tables.items():
        col = MAIN_DATE.get(name)
        if col not in frame.columns or frame[col].isna().all():
            rows.append({"table": name, "date_column": col, "first": pd.NaT, "last": pd.NaT,
                         "days_old": None, "status": "no dates"})
            continue
        last = frame[col].max()
        age = (pd.Timestamp(as_of) - last).days
        status = ("reference data" if name in _REFERENCE_TABLES
                  else "stale" if age > stale_days else "fresh")
        rows.append({"table": name, "date_column": col, "first": frame[col].min(),
                     "last": last, "days_old": age, "status": status})
    return pd.DataFrame(rows, columns=["table", "date_column", "first", "last", "days_old",
                                       "status"])


def monthly_volumes(data: SalesData, tables: tuple[str, ...] = _OVER_TIME) -> pd.DataFrame:
    """Rows per month of the event tables (orders, leads, opportunities, surveys).

    Parameters
    ----------
    data : SalesData
        Loaded data (:func:`salesnb.load`).
    tables : tuple of str, default=("orders", "leads", "opportunities", "surveys")
        The tables counted (those absent from ``data`` are left out).

    Returns
    -------
    pandas.DataFrame
        Indexed by month (period start), one column per table present; orders also
        get ``orders_revenue``.
    """
    series = {}
    for name in tables:
        if name not in data:
            continue
        frame = data[name]
        month = frame[MAIN_DATE[name]].dt.to_period("M").dt.to_timestamp()
        series[name] = _weights(data, name).groupby(month).sum()
        if name == "orders" and "revenue" in frame.columns:
            series["orders_revenue"] = frame.groupby(month)["revenue"].sum()
    if not series:
        return pd.DataFrame()
    out = pd.DataFrame(series).sort_index()
    out.index.name = "month"
    full = pd.date_range(out.index.min(), out.index.max(), freq="MS", name="month")
    return out.reindex(full).fillna(0)


def volume_gaps(volumes: pd.DataFrame, *, drop: float = 0.5, window: int = 6) -> pd.DataFrame:
    """Months whose volume fell below ``drop`` x the median of the previous ``window`` months.

    A gap usually means a broken export (a missing month, a half-loaded file), not a sales
    slump; both deserve a look before anyone reads a trend.

    Parameters
    ----------
    volumes : pandas.DataFrame
        From :func:`monthly_volumes` (``*_revenue`` columns are skipped).
    drop : float, default=0.5
        A month below this share of the typical volume is a gap.
    window : int, default=6
        Months before it whose median is the typical volume (at least three needed).

    Returns
    -------
    pandas.DataFrame
        table, month, rows, typical (trailing median), ratio.
    """
    rows = []
    for col in volumes.columns:
        if col.endswith("_revenue"):
            continue
        s = volumes[col]
        typical = s.shift(1).rolling(window, min_periods=3).median()
        low = s < drop * typical
        for month in s.index[low]:
            rows.append({"table": col, "month": month, "rows": int(s[month]),
                         "typical": float(typical[month]),
                         "ratio": round(float(s[month] / typical[month]), 2)})
    return pd.DataFrame(rows, columns=["table", "month", "rows", "typical", "ratio"])


def headline(data: SalesData, fresh: pd.DataFrame | None = None) -> str:
    """One paragraph of Markdown: how much was read, loaded, quarantined, and what is stale.

    Parameters
    ----------
    data : SalesData
        Loaded data (:func:`salesnb.load`), or a scope's: the counts are then said to be the
        whole export's, with the scope's own loaded rows beside them.
    fresh : pandas.DataFrame, optional
        From :func:`freshness`; when given, the stale tables are named.

    Returns
    -------
    str
        Markdown text.
    """
    counts = data.report.counts
    read, bad = int(counts["rows_read"].sum()), int(counts["rows_quarantined"].sum())
    share = pct(bad / read if read else 0.0, digits=2)
    scope = scoped(data)
    whole = "" if scope.is_company else "For the whole export: "
    text = (f"**{whole}{len(data.tables)} tables, {read:,} rows read: {read - bad:,} loaded, "
            f"{bad:,} quarantined ({share}).** ")
    if bad:
        worst = counts.sort_values("rows_quarantined", ascending=False).iloc[0]
        text += (f"Most quarantined rows are in `{worst['table']}` "
                 f"({int(worst['rows_quarantined']):,}). ")
    else:
        text += "Every row passed every rule. "
    if not scope.is_company:
        mine = sum(data.line_count(n) for n in data.tables)
        text += (f"Rows read = rows loaded + rows quarantined, table by table. This page is "
                 f"for {escape(scope_words(scope))}: {mine:,} of the loaded rows are in its "
                 "scope, and completeness, double entries, freshness and volumes below are of "
                 "them; quarantine counts are the whole export's. ")
    if fresh is not None:
        stale = fresh.loc[fresh["status"] == "stale", "table"].tolist()
        text += (f"Stale tables (no new rows for a while): {', '.join(stale)}."
                 if stale else "All tables are fresh.")
    return text
