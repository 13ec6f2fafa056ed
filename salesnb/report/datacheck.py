"""Parameters checked against the data before any kernel starts: regions, categories, periods.

A report asked for ``region = "Nort"`` or ``period = "2019"`` on data from 2023 to 2025 would
start a kernel, load the data and fail somewhere inside with a message about an empty table.
The runner refuses it first (exit 2), with the values that exist::

    parameter region='Nort' of 04_product_region is not in the data; its regions are:
    East, North, South, West

A parameter says which values it takes with ``Param(values=...)``: ``"region"``,
``"category"``, ``"rep"`` or ``"period"`` (a year ``2025``, a quarter ``2025Q4`` or a month
``2025-12``, which must overlap the order dates). Only values that differ from the
parameter's "all" values (empty, ``all``) are checked, so a default run reads nothing extra.
The data is read once per source and mapping, and only aggregates (distinct values, the first
and last order day) leave DuckDB.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from salesnb.errors import PeriodError
from salesnb.report.params import NotebookSpec, ParameterError

__all__ = ["DataValues", "data_values", "check_data_values", "KINDS"]

#: Where each kind of value lives: ``(table, column)`` pairs, read when the table is there.
KINDS: dict[str, tuple[tuple[str, str], ...]] = {
    "region": (("orders", "region"), ("customers", "region"), ("reps", "region"),
               ("leads", "region")),
    "category": (("products", "category"),),
    "rep": (("reps", "rep_id"), ("orders", "rep_id")),
}
#: Values that mean "every one" (never checked).
_ALL = ("", "all")
#: Most values named in a message.
_SHOWN = 20


@dataclass
class DataValues:
    """The values a source holds for checked parameters.

    Attributes
    ----------
    values : dict of str to list of str
        Sorted distinct values per kind (``region``, ``category``, ``rep``); a kind whose
        tables are all missing is absent.
    first, last : datetime.date, optional
        First and last order day.
    """

    values: dict[str, list[str]] = field(default_factory=dict)
    first: dt.date | None = None
    last: dt.date | None = None
    #: The valid scope values per kind (:func:`salesnb.scope.choices_from`), when read.
    scopes: dict[str, list[str]] | None = None


def data_values(source: str | Path, mapping: str | Path | None = None, *,
                kinds: Iterable[str] = ("region", "category", "rep", "period"),
                as_of: str | None = None) -> DataValues:
    """Read the distinct regions, categories, reps and the order-day range of a source.

    Parameters
    ----------
    source : str or pathlib.Path
        The data source (as for :func:`salesnb.load`).
    mapping : str or pathlib.Path, optional
        Its mapping.
    kinds : iterable of str
        Which values to read (``"period"`` reads the order-day range).
    as_of : str, optional
        As for :func:`salesnb.load` (rows after it are not counted).

    Returns
    -------
    DataValues

    Raises
    ------
    SalesnbError
        The source or a table it needs cannot be used (the same error the report would
        meet).
    """
    from salesnb.core.sql import quote_literal
    from salesnb.data.loader import query
    from salesnb.data.mapping import load_mapping
    from salesnb.data.sources import open_source

    wanted = set(kinds)
    if "scope" in wanted:
        wanted.add("region")
    src = open_source(source, load_mapping(mapping))
    try:
        have = set(src.available())
    finally:
        src.close()
    parts, tables = [], set()
    for kind, places in KINDS.items():
        if kind not in wanted:
            continue
        for table, column in places:
            if table in have:
                tables.add(table)
                # the column may be absent (an optional one): read it from each row as JSON,
                # which gives NULL for a missing key instead of a binder error
                value = f"json_extract_string(to_json(t), {quote_literal('$.' + column)})"
                parts.append(f"SELECT DISTINCT {quote_literal(kind)} AS kind, {value} AS value "
                             f"FROM {{{table}}} t")
    if "period" in wanted and "orders" in have:
        tables.add("orders")
        parts.append("SELECT 'first' AS kind, CAST(min(order_date) AS VARCHAR) FROM {orders} "
                     "UNION ALL SELECT 'last', CAST(max(order_date) AS VARCHAR) FROM {orders}")
    out = DataValues()
    if "scope" in wanted:
        out.scopes = _scope_values(source, mapping, have, as_of)
    if not parts:
        return out
    sql = ("SELECT DISTINCT * FROM (" + " UNION ALL ".join(parts) + ") "
           "WHERE value IS NOT NULL")
    frame, _ = query(source, sql, mapping, tables=sorted(tables), as_of=as_of or None)
    for kind, group in frame.groupby("kind"):
        values = [v for v in group["value"] if v is not None]
        if kind in ("first", "last"):
            day = dt.date.fromisoformat(str(values[0])[:10]) if values else None
            setattr(out, str(kind), day)
        else:
            out.values[str(kind)] = sorted(set(values))
    for kind in KINDS:
        if kind in wanted and any(t in have for t, _ in KINDS[kind]):
            out.values.setdefault(kind, [])
    return out


def _scope_values(source: str | Path, mapping: str | Path | None, have: set[str],
                  as_of: str | None) -> dict[str, list[str]]:
    """The scopes a source holds: its reps (id, manager, role) and the regions it names."""
    from salesnb.core.sql import quote_literal
    from salesnb.data.loader import query
    from salesnb.scope.model import choices_from

    def col(name: str) -> str:
        return f"json_extract_string(to_json(t), {quote_literal('$.' + name)}) AS {name}"

    regions: list[str] = []
    places = [f"SELECT DISTINCT {col('region')} FROM {{{table}}} t"
              for table, _ in KINDS["region"] if table in have]
    if places:
        frame, _ = query(source, " UNION ".join(places), mapping,
                         tables=sorted({t for t, _ in KINDS["region"] if t in have}),
                         as_of=as_of or None)
        regions = frame["region"].dropna().tolist()
    if "reps" in have:
        reps, _ = query(source, f"SELECT {col('rep_id')}, {col('manager_id')}, {col('role')} "
                        "FROM {reps} t", mapping, tables=["reps"], as_of=as_of or None)
        reps = reps[[c for c in reps.columns if reps[c].notna().any() or c == "rep_id"]]
        return choices_from(reps, regions)
    order_reps: list[str] = []
    if "orders" in have:
        frame, _ = query(source, f"SELECT DISTINCT {col('rep_id')} FROM {{orders}} t", mapping,
                         tables=["orders"], as_of=as_of or None)
        order_reps = frame["rep_id"].dropna().tolist()
    return choices_from(None, regions, order_reps)


def _listing(values: list[str]) -> str:
    shown = ", ".join(values[:_SHOWN])
    more = f" ... ({len(values):,} in all)" if len(values) > _SHOWN else ""
    return shown + more


def _problem(kind: str, value: Any, found: DataValues) -> str | None:
    """Why ``value`` of a ``kind`` parameter does not fit the data, or None when it does."""
    from salesnb.core.periods import parse_period  # pandas: only when a period is checked

    if kind == "scope":
        from salesnb.scope.model import ScopeError, check_scope

        try:
            check_scope(str(value), found.scopes or {})
        except ScopeError as exc:
            return "is refused: " + str(exc)
        return None
    if kind == "period":
        try:
            dt.date.fromisoformat(str(value))
            return None  # a day: an end after the data is a fair request ("to year end")
        except ValueError:
            pass
        try:
            period = parse_period(str(value))
        except PeriodError as exc:
            return str(exc)
        if found.first is None or found.last is None:
            return None  # no order dates: the report says what it needs
        start, end = period.start_time.date(), period.end_time.date()
        if end < found.first or start > found.last:
            return (f"is outside the data: the orders run from {found.first} to {found.last} "
                    f"({parse_period(str(found.first)[:7]).asfreq('Q')} to "
                    f"{parse_period(str(found.last)[:7]).asfreq('Q')}); choose a period inside")
        return None
    values = found.values.get(kind)
    if values is None:
        return None  # the data has no such values at all: the report's note says so
    items = value if isinstance(value, list | tuple) else [value]
    lowered = {v.casefold(): v for v in values}
    unknown = [v for v in items if str(v).casefold() not in lowered]
    if not unknown:
        return None
    plural = {"category": "categories"}.get(kind, kind + "s")
    if not values:
        return f"is not in the data, which has no {plural}"
    return f"is not in the data; its {plural} are: {_listing(values)}"


def check_data_values(specs: list[tuple[NotebookSpec, dict[str, Any]]], *,
                      reader: Any = data_values) -> None:
    """Refuse parameter values the data does not hold, before any kernel starts.

    Parameters
    ----------
    specs : list of (NotebookSpec, dict)
        Each notebook's schema and its validated parameters (with ``source`` and
        ``mapping`` resolved).
    reader : callable, default=:func:`data_values`
        Reads a source's values (for tests).

    Raises
    ------
    ParameterError
        Naming the notebook, the parameter, its value and the values that exist.
    """
    cache: dict[tuple[str, str, str], DataValues] = {}
    for spec, params in specs:
        checks = [(p, params.get(p.name)) for p in spec.params if getattr(p, "values", None)]
        checks = [(p, v) for p, v in checks
                  if v not in (None, [], ()) and not (isinstance(v, str) and v.strip().lower()
                                                       in (*_ALL, "company"))]
        if not checks:
            continue
        key = (str(params.get("source", "data")), str(params.get("mapping") or ""),
               str(params.get("as_of") or ""))
        if key not in cache:
            cache[key] = reader(key[0], key[1] or None, as_of=key[2] or None)
        if any(p.values == "scope" for p, _ in checks) and cache[key].scopes is None:
            cache[key].scopes = reader(key[0], key[1] or None, as_of=key[2] or None,
                                       kinds=("scope",)).scopes
        for p, value in checks:
            problem = _problem(p.values, value, cache[key])
            if problem:
                raise ParameterError(f"parameter {p.name}={value!r} of {spec.name} {problem}")
        _check_inside_scope(spec.name, checks)


def _check_inside_scope(name: str, checks: list[tuple[Any, Any]]) -> None:
    """Refuse a region parameter outside a region scope (``region=West`` on East's page)."""
    from salesnb.scope.model import parse_scope

    scope = next((v for p, v in checks if p.values == "scope"), None)
    if scope is None:
        return
    kind, region = parse_scope(str(scope))
    if kind != "region":
        return
    for p, value in checks:
        if p.values != "region":
            continue
        items = value if isinstance(value, list | tuple) else [value]
        outside = [v for v in items if str(v).casefold() != region.casefold()]
        if outside:
            raise ParameterError(
                f"parameter {p.name}={value!r} of {name} is outside scope {scope!r}: a "
                f"region's report covers that region only; leave {p.name} "
                f"{'empty' if getattr(p, 'multiple', False) else 'as all'}, "
                f"or run for scope region:{outside[0]}")
