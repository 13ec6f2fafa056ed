"""Validation with quarantine: typed, checked tables from raw rows, inside DuckDB.

Every rule is an SQL predicate evaluated in one pass per table, so validation scales with
DuckDB rather than with pandas. A row that breaks any rule is moved to the quarantine with the
file, row number, column, rule and offending value; the rest loads. For every table::

    rows read == rows loaded + rows quarantined

A table with no data rows (only a header) is unusable, like a missing one: it is reported as
empty, never as clean.

Rules
-----
``missing_column``
    A required column is absent: the whole table is unusable (``TableError``).
``type``
    A value does not parse as the column's type (number, whole number, date). Numbers are
    plain decimals (``-1.5``, ``2e3``); with ``decimal: ","`` in the mapping, ``1.234,56``.
``not_finite``
    A number is ``NaN``, ``inf``, ``Infinity`` or overflows (``1e400``).
``required``
    A column that must always be filled is empty.
``range``
    A number is below its minimum or above its maximum (quantities, prices, discount in [0, 1]),
    or larger than :data:`MAX_ABS` in size.
``choice``
    A value is not one of the allowed codes (e.g. lead status open/converted/lost).
``duplicate_key``
    The row's key repeats an earlier row (the first occurrence loads).
``foreign_key``
    A reference (order -> customer, product, rep, ...) is not among the loaded rows of the
    referenced table. Skipped, and reported, when that table is not in the source.
``revenue``
    ``revenue`` differs from ``quantity * unit_price * (1 - discount)`` by more than
    ``0.01 + 0.1 %``.
``future_date``
    A date lies in the future: after the as-of date when that is today (the default) or
    later, after today when an earlier as-of date is given.
``after_as_of``
    With an as-of date in the past, a date after it (and not after today): the row is left
    out of the data as of that day, and counted ("left out: after the as-of day ...").
``not_derivable``
    A column the file does not have is derived from others (``unit_price`` as
    ``revenue / quantity / (1 - discount)``), and this row cannot give it (quantity 0,
    discount 1, no revenue).
``date_order``
    A later date precedes an earlier one (e.g. a lead's outcome before its creation).
``extra_fields``
    A CSV row has more (non-empty) fields than the header, or an Excel row has values right of
    the header: the row is kept whole in the quarantine instead of being cut.
``bad_quotes``
    A CSV row with a quote in the middle of a value, whose fields cannot be read reliably.
``manager_cycle``
    A rep's chain of managers comes back to them (a rep managing themselves, or a cycle).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from salesnb.core.sql import quote_ident, quote_literal
from salesnb.data.csvscan import CSV_RULE, CSV_VALUE
from salesnb.data.derived import derived_price, derived_region, price_derivable
from salesnb.data.mapping import TableMapping
from salesnb.data.schema import Column, TableSpec
from salesnb.data.sources import Source, first_line
from salesnb.data.values import (
    LOOKS_COMMA,
    MAX_ABS,
    key_text_sql,
    stages_sql,
    text_sql,
    type_message,
)
from salesnb.errors import TableError

__all__ = ["RULES", "TableResult", "validate_table", "release", "REVENUE_ABS_TOL",
           "REVENUE_REL_TOL", "QUARANTINE_COLUMNS", "MAX_ABS"]

#: Rule name -> what it means, for reports and the data dictionary.
RULES: dict[str, str] = {
    "missing_column": "a required column is absent (table unusable)",
    "type": "value does not parse as the column's type",
    "not_finite": "number is NaN or infinite (or overflows, like 1e400)",
    "required": "required value is empty",
    "range": "number outside its allowed range",
    "choice": "value is not one of the allowed codes",
    "duplicate_key": "key repeats an earlier row",
    "foreign_key": "reference not found in the referenced table",
    "revenue": "revenue differs from quantity x unit_price x (1 - discount)",
    "future_date": "date is in the future (after the as-of date, or after today when the "
                   "as-of date is earlier)",
    "after_as_of": "left out: dated after the as-of day given",
    "not_derivable": "a column the file lacks cannot be derived for this row (e.g. unit_price "
                     "with quantity 0)",
    "date_order": "date precedes the date it must follow",
    "extra_fields": "row has more fields than the header (nothing is cut off)",
    "bad_quotes": "a quote inside a value breaks the row's fields",
    "manager_cycle": "the chain of managers comes back to the rep",
}
_log = logging.getLogger(__name__)
REVENUE_ABS_TOL = 0.01
REVENUE_REL_TOL = 0.001
#: Columns of the quarantine table, one row per broken rule per row.
QUARANTINE_COLUMNS = ("table", "file", "row", "column", "rule", "value", "message")


@dataclass
class TableResult:
    """Outcome of validating one table.

    Attributes
    ----------
    table : str
        Table name.
    file : str
        Where it was read from.
    rows_read : int
        Data rows in the source.
    clean_view : str
        DuckDB table holding the loaded rows (typed, schema columns first).
    quarantine : pandas.DataFrame
        One row per broken rule per row: table, file, row, column, rule, value, message.
    rows_quarantined : int
        Distinct source rows quarantined.
    skipped : list of str
        Checks that could not run, and why (e.g. referenced table absent).
    extra_columns : list of str
        Source columns kept that are not part of the data model.
    encoding : str
        How a text file was decoded (``"utf-8"``, ``"cp1252 (detected, 97%)"``), else ``"-"``.
    notes : list of str
        What a person should know that is not an error (an unsure encoding, decimal commas).
    """

    table: str
    file: str
    rows_read: int
    clean_view: str
    quarantine: pd.DataFrame
    rows_quarantined: int
    skipped: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    encoding: str = "-"
    notes: list[str] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        """Rows that passed every rule."""
        return self.rows_read - self.rows_quarantined


def _timed(con: duckdb.DuckDBPyConnection, sql: str, step: str) -> None:
    """Execute ``sql`` and log its duration at DEBUG level (``salesnb.validation``)."""
    start = time.perf_counter()
    con.execute(sql)
    _log.debug("%s: %.2f s\n%s", step, time.perf_counter() - start, sql)


def _violation(rule: str, column: str, cond: str, value: str, message: str
               ) -> tuple[str, str]:
    """Return ``(condition, struct)`` SQL for one rule: the struct describes a violation."""
    return cond, (f"{{'rule': {quote_literal(rule)}, 'column': {quote_literal(column)}, "
                  f"'value': CAST({value} AS VARCHAR), 'message': {message}}}")


def _violations_sql(checks: list[tuple[str, str]]) -> str:
    """Return SQL for the list of violations of a row, NULL when it breaks no rule.

    The cheap OR of all conditions runs on every row; the structs are built only for the few
    rows that break something.
    """
    if not checks:
        return "NULL"
    any_bad = " OR ".join(f"({cond})" for cond, _ in checks)
    items = ", ".join(f"CASE WHEN {cond} THEN {struct} END" for cond, struct in checks)
    return f"CASE WHEN {any_bad} THEN list_filter([{items}], lambda x: x IS NOT NULL) END"


def _column_checks(col: Column, src_type: str, table: str, tmap: TableMapping,
                   as_of: dt.date) -> tuple[tuple[list[str], list[str], list[str]],
                                            list[tuple[str, str]]]:
    """The SELECT items of the three stages (see ``values.stages_sql``) and a column's rules."""
    c = f"t.{quote_ident(col.name)}"
    is_text = src_type.upper() == "VARCHAR"
    stages = stages_sql(col, src_type, tmap)
    checks: list[tuple[str, str]] = []
    shown = c
    if col.dtype == "str":
        if not col.nullable:  # text: empty after trimming = missing
            checks.append(_violation("required", col.name, f"{c} IS NULL", "NULL",
                                     quote_literal(f"{col.name} is empty")))
    else:
        shown = f"t.{quote_ident('__raw__' + col.name)}"  # the value as written
        present = (f"(t.{quote_ident('__txt__' + col.name)} IS NOT NULL)" if is_text
                   else f"({shown} IS NOT NULL)")
        if not col.nullable:
            checks.append(_violation("required", col.name, f"NOT {present}", "NULL",
                                     quote_literal(f"{col.name} is empty")))
        bad = f"{present} AND {c} IS NULL"
        if col.dtype in ("int", "float"):
            n = f"t.{quote_ident('__num__' + col.name)}"
            whole = f" OR (isfinite({n}) AND {n} <> round({n}))" if col.dtype == "int" else ""
            bad = f"{present} AND ({n} IS NULL{whole})"
            checks.append(_violation(
                "not_finite", col.name, f"{n} IS NOT NULL AND NOT isfinite({n})", shown,
                quote_literal(f"{col.name} is not a finite number (NaN, inf and values "
                              "beyond the float range such as 1e400 are refused)")))
            checks.append(_violation(
                "range", col.name, f"isfinite({n}) AND abs({n}) > {MAX_ABS}", shown,
                quote_literal(f"{col.name} is larger than {MAX_ABS:g} in size (check the "
                              "export's units and separators)")))
        checks.append(_violation("type", col.name, bad, shown,
                                 type_message(col, table, shown, tmap, is_text)))
    if col.minimum is not None:
        checks.append(_violation("range", col.name, f"{c} < {quote_literal(col.minimum)}",
                                 shown, quote_literal(f"{col.name} must be >= {col.minimum:g}")))
    if col.maximum is not None:
        checks.append(_violation("range", col.name, f"{c} > {quote_literal(col.maximum)}",
                                 shown, quote_literal(f"{col.name} must be <= {col.maximum:g}")))
    if col.choices:
        allowed = ", ".join(quote_literal(v) for v in col.choices)
        checks.append(_violation(
            "choice", col.name, f"{c} NOT IN ({allowed})", c,
            quote_literal(f"{col.name} must be one of {', '.join(col.choices)} "
                          "(recode with 'values:' in a mapping)")))
    if col.dtype == "date" and col.not_future:
        checks += _date_checks(col.name, c, shown, as_of)
    return stages, checks


def _date_checks(name: str, c: str, shown: str, as_of: dt.date) -> list[tuple[str, str]]:
    """The as-of rules of a date column.

    ``future_date``: after today, or after an as-of date at or after today;
    ``after_as_of``: after an as-of date in the past, and not after today.
    """
    today = dt.date.today()
    if as_of >= today:
        return [_violation("future_date", name, f"{c} > {quote_literal(as_of)}", shown,
                           quote_literal(f"{name} is after the as-of date {as_of}"))]
    return [
        _violation("future_date", name, f"{c} > {quote_literal(today)}", shown,
                   quote_literal(f"{name} is after the as-of date {as_of} and after today "
                                 f"({today}): a date in the future")),
        _violation("after_as_of", name, f"{c} > {quote_literal(as_of)} AND {c} <= "
                   f"{quote_literal(today)}", shown,
                   quote_literal(f"left out: after the as-of day {as_of}")),
    ]


def _csv_checks(types: dict[str, str]) -> list[tuple[str, str]]:
    """Rules for rows the file reader flagged (extra fields, broken quotes)."""
    if CSV_RULE not in types:
        return []
    rule, value = f"t.{CSV_RULE}", f"t.{CSV_VALUE}"
    return [
        _violation("extra_fields", "(extra fields)", f"{rule} = 'extra_fields'", value,
                   quote_literal("the row has more fields than the header; nothing was cut "
                                 "off: check the separators and quotes on that line")),
        _violation("bad_quotes", "(quoting)", f"{rule} = 'bad_quotes'", value,
                   quote_literal("a quote (\") inside a value is not doubled, so the row's "
                                 "fields are uncertain: write a quote inside a value as \"\"")),
    ]


def _fail(source: Source, name: str, where: str, problem: str, fix: str,
          wanted: list[str]) -> TableError:
    """A TableError with what the file holds (see Source.explain) and its encoding."""
    hint = source.explain(name, wanted)
    if hint:
        problem, fix = f"{problem}; {hint[0]}", hint[1] or fix
    enc = source.encoding_of(name)
    if enc != "-" and "read as" not in problem:
        problem += f" (read as {enc})"
    return TableError(name, where, problem, fix)


def validate_table(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    spec: TableSpec,
    *,
    loaded: dict[str, str],
    as_of: dt.date,
) -> TableResult:
    """Validate one table of ``source`` into a clean DuckDB table plus quarantine rows.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection the source's raw view and the clean table live in.
    source : Source
        Where the table is read from.
    spec : TableSpec
        The table's rules.
    loaded : dict of str to str
        ``{table: clean DuckDB table}`` already validated, for foreign keys.
    as_of : datetime.date
        Dates after this are quarantined as ``future_date``.

    Returns
    -------
    TableResult

    Raises
    ------
    TableError
        When the table is missing, cannot be read, has no data rows, or a required column
        is absent (the message says what the file holds and which setting may fix it).
    """
    name = spec.name
    raw_view = f"_raw_{name}"
    where = source.register(con, name, raw_view)
    tmap = source.mapping.for_table(name)
    types = {r[0]: r[1] for r in con.sql(f"DESCRIBE {quote_ident(raw_view)}").fetchall()}
    missing = spec.missing_columns(types)
    if missing:
        found = ", ".join(c for c in types if c not in ("_row", CSV_RULE, CSV_VALUE))
        raise _fail(source, name, where, f"required column(s) missing: {', '.join(missing)} "
                    f"(columns found: {found})",
                    "rename the export's columns to salesnb names with a mapping "
                    "(salesnb.mapping), or add the columns", missing)
    present_cols = [c for c in spec.columns if c.name in types]
    extra = [c for c in types if c not in ("_row", CSV_RULE, CSV_VALUE)
             and c not in spec.column_names]

    # One pass over the raw rows: typed values, and the list of rules each row breaks.
    stage_a, stage_b, stage_t = ["r._row"], ["a._row"], ["b._row"]
    checks: list[tuple[str, str]] = []
    skipped: list[str] = []
    for col in present_cols:
        (a, b, t), col_checks = _column_checks(col, types[col.name], name, tmap, as_of)
        stage_a, stage_b, stage_t = stage_a + a, stage_b + b, stage_t + t
        checks += col_checks
    passed = [quote_ident(c) for c in extra] + [c for c in (CSV_RULE, CSV_VALUE) if c in types]
    stage_a += [f"r.{c}" for c in passed]
    stage_b += [f"a.{c}" for c in passed]
    stage_t += [f"b.{c}" for c in passed]
    checks += _csv_checks(types)
    for earlier, later in spec.date_order:
        if earlier in types and later in types:
            checks.append(_violation(
                "date_order", later, f"t.{quote_ident(later)} < t.{quote_ident(earlier)}",
                f"t.{quote_ident(later)}",
                quote_literal(f"{later} is before {earlier}")))
    for fk in spec.foreign_keys:
        if fk.column not in types:
            continue
        c = f"t.{quote_ident(fk.column)}"
        if fk.ref_table == name:
            key_expr = key_text_sql(fk.ref_column, types[fk.ref_column], tmap)
            ref = f"SELECT {key_expr} FROM {quote_ident(raw_view)}"
        elif fk.ref_table in loaded:
            ref = f"SELECT {quote_ident(fk.ref_column)} FROM {quote_ident(loaded[fk.ref_table])}"
        else:
            skipped.append(f"foreign key {fk.column} -> {fk.ref_table}: {fk.ref_table} not "
                           "loaded")
            continue
        checks.append(_violation(
            "foreign_key", fk.column, f"{c} IS NOT NULL AND {c} NOT IN ({ref})", c,
            quote_literal(f"{fk.column} not found in {fk.ref_table}.{fk.ref_column}")))

    outer = [f"t.{quote_ident(col)}" for col in [c.name for c in present_cols] + extra]
    notes: list[str] = []
    if spec.revenue_check and price_derivable(types):
        expr, rules, note = derived_price(types)
        checks += [_violation(*rule) for rule in rules]
        outer.append(f"{expr} AS unit_price")
        if "discount" not in types:
            outer.append("0.0::DOUBLE AS discount")
        notes.append(f"{name}.{note}")
    if spec.revenue_check:  # order lines: a region from the customer or rep when absent
        region = derived_region(con, types, loaded)
        if region is not None:
            outer.append(region[0])
            notes.append(f"{name}.{region[1]}")
    if spec.revenue_check and {"quantity", "unit_price"} <= types.keys():
        disc = "coalesce(t.discount, 0)" if "discount" in types else "0"
        expected = f"(t.quantity * t.unit_price * (1 - {disc}))"
        if "revenue" in types:
            checks.append(_violation(
                "revenue", "revenue",
                f"abs(t.revenue - {expected}) > {REVENUE_ABS_TOL} + {REVENUE_REL_TOL} * "
                f"abs({expected})",
                't."__raw__revenue"',
                f"'revenue ' || t.revenue || ' <> quantity x unit_price x (1 - discount) = ' "
                f"|| round({expected}, 2)"))
        # Missing revenue (or discount) is derived, so every loaded order line has both.
        outer = [o for o in outer if o != 't."revenue"']
        if "discount" not in types:
            outer.append("0.0::DOUBLE AS discount")
        rev = f"round({expected}, 2)"
        outer.append(f"coalesce(t.revenue, {rev}) AS revenue" if "revenue" in types
                     else f"{rev} AS revenue")
    checked = f"_checked_{name}"
    sql = (f"CREATE OR REPLACE TEMP TABLE {quote_ident(checked)} AS SELECT t._row, "
           f"{', '.join(outer)}, {_violations_sql(checks)} AS _bad FROM (SELECT "
           f"{', '.join(stage_t)} FROM (SELECT {', '.join(stage_b)} FROM (SELECT "
           f"{', '.join(stage_a)} FROM {quote_ident(raw_view)} r) a) b) t")
    try:
        _timed(con, sql, f"{name}: rules")
    except duckdb.Error as exc:
        # The file itself could not be read to the end: retry once with the exact reader,
        # else the table is unusable.
        if not source.safer_read(name):
            raise _fail(source, name, where, f"cannot be read ({source.scrub(first_line(exc))})",
                        "check the file's separator, quoting and encoding", []) from None
        source.register(con, name, raw_view)
        try:
            _timed(con, sql, f"{name}: rules (safe read)")
        except duckdb.Error as exc2:
            raise _fail(source, name, where,
                        f"cannot be read ({source.scrub(first_line(exc2))})",
                        "check the file's separator, quoting and encoding", []) from None
    post = _post_checks(con, spec, checked, types)
    clean = f"_clean_{name}"
    out_names = [o.rsplit(" AS ", 1)[-1] if " AS " in o else o.removeprefix("t.")
                 for o in outer]
    order = {c: i for i, c in enumerate(spec.column_names)}  # derived columns in their place
    out_names.sort(key=lambda n: order.get(n.strip('"'), len(order)))
    con.execute(f"CREATE OR REPLACE TEMP VIEW {quote_ident(clean)} AS SELECT "
                f"{', '.join(out_names)} FROM {quote_ident(checked)} WHERE _bad IS NULL AND "
                f"_row NOT IN (SELECT _row FROM {quote_ident(post)})")
    ((rows_read, rows_bad),) = con.sql(
        f"SELECT count(*), count(*) FILTER (WHERE _bad IS NOT NULL OR _row IN "
        f"(SELECT _row FROM {quote_ident(post)})) FROM {quote_ident(checked)}").fetchall()
    if not rows_read:
        release(con, name)
        kind = "sheet" if where.lower().endswith(".xlsx") else "file"
        raise _fail(source, name, where, f"the table is empty: the {kind} has a header but no "
                    "data rows", "export the table again with its rows, or remove the file "
                    "if the table is not used", spec.required_columns)
    quarantine = con.sql(
        f"SELECT {quote_literal(name)} AS \"table\", {quote_literal(where)} AS file, "
        f"_row AS \"row\", \"column\", rule, value, message FROM ("
        f"SELECT _row, b.column AS \"column\", b.rule AS rule, b.value AS value, "
        f"b.message AS message "
        f"FROM (SELECT _row, unnest(_bad) AS b FROM {quote_ident(checked)} WHERE _bad IS NOT NULL) "
        f"UNION ALL SELECT _row, \"column\", rule, value, message FROM {quote_ident(post)}) "
        f"ORDER BY \"row\", rule").df()
    notes = list(source.notes.get(name, [])) + notes
    notes += _decimal_notes(con, name, raw_view, quarantine, present_cols, types, tmap)
    return TableResult(name, where, int(rows_read), clean, quarantine, int(rows_bad), skipped,
                       extra, source.encoding_of(name), notes)


def _post_checks(con: duckdb.DuckDBPyConnection, spec: TableSpec, checked: str,
                 types: dict[str, str]) -> str:
    """Rules across rows (duplicate keys, manager cycles) into a table of violations."""
    post = f"_post_{spec.name}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {quote_ident(post)} (_row BIGINT, "
                "\"column\" VARCHAR, rule VARCHAR, value VARCHAR, message VARCHAR)")
    if spec.key and all(k in types for k in spec.key):
        # a cheap group-by first; the window runs only on the repeated keys
        part = ", ".join(quote_ident(k) for k in spec.key)
        notnull = " AND ".join(f"{quote_ident(k)} IS NOT NULL" for k in spec.key)
        keyval = " || '|' || ".join(f"CAST({quote_ident(k)} AS VARCHAR)" for k in spec.key)
        label = "+".join(spec.key)
        _timed(con,
               f"INSERT INTO {quote_ident(post)} SELECT _row, {quote_literal(label)}, "
               f"'duplicate_key', {keyval}, {quote_literal(f'{label} repeats an earlier row')} "
               f"FROM (SELECT _row, {part}, row_number() OVER (PARTITION BY {part} ORDER BY "
               f"_row) AS _n FROM {quote_ident(checked)} WHERE ({part}) IN (SELECT ({part}) "
               f"FROM {quote_ident(checked)} WHERE {notnull} GROUP BY {part} "
               f"HAVING count(*) > 1)) WHERE _n > 1", f"{spec.name}: duplicate keys")
    if spec.hierarchy and all(c in types for c in spec.hierarchy):
        key, parent = spec.hierarchy
        pairs = con.sql(f"SELECT _row, {quote_ident(key)}, {quote_ident(parent)} FROM "
                        f"{quote_ident(checked)} WHERE {quote_ident(key)} IS NOT NULL "
                        "ORDER BY _row").fetchall()
        rows = [(r, parent, up, msg) for r, up, msg in _cycles(pairs)]
        if rows:
            con.executemany(f"INSERT INTO {quote_ident(post)} VALUES (?, ?, 'manager_cycle', "
                            "?, ?)", rows)
    return post


def _cycles(pairs: list[tuple[int, str, str | None]]) -> list[tuple[int, str, str]]:
    """Rows whose parent chain loops: ``(row, parent value, message naming the loop)``.

    Examples
    --------
    >>> _cycles([(2, "R1", None), (3, "R2", "R2"), (4, "R3", "R4"), (5, "R4", "R3")])[0]
    (3, 'R2', 'R2 is their own manager')
    """
    parent: dict[str, str | None] = {}
    rows: dict[str, int] = {}
    for row, node, up in pairs:
        if node not in parent:
            parent[node], rows[node] = up, row
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    out = []
    for start in parent:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in parent and node not in state:
            state[node] = 1
            path.append(node)
            node = parent[node]
        if node is not None and state.get(node) == 1:
            loop = path[path.index(node):]
            text = (f"{node} is their own manager" if len(loop) == 1 else
                    "manager cycle: " + " -> ".join([*loop, loop[0]]))
            out += [(rows[n], str(parent[n]), text) for n in loop]
        for n in path:
            state[n] = 2
    return sorted(out)


def _decimal_notes(con: duckdb.DuckDBPyConnection, name: str, raw_view: str,
                   quarantine: pd.DataFrame, columns: list[Column], types: dict[str, str],
                   tmap: TableMapping) -> list[str]:
    """A note per numeric column whose every value fails only for a decimal comma."""
    if tmap.decimal == "," or quarantine.empty:
        return []
    typed = set(quarantine.loc[quarantine["rule"] == "type", "column"])
    cols = [c for c in columns if c.name in typed and c.dtype in ("int", "float")
            and types[c.name].upper() == "VARCHAR"]
    notes = []
    for col in cols:
        text = text_sql(quote_ident(col.name), tmap.na_values)
        ((filled, comma, example),) = con.sql(
            f"SELECT count({text}), count_if(regexp_full_match({text}, "
            f"{quote_literal(LOOKS_COMMA)})), min({text}) FILTER (WHERE regexp_full_match("
            f"{text}, {quote_literal(LOOKS_COMMA)})) FROM {quote_ident(raw_view)}").fetchall()
        if filled and comma == filled:
            notes.append(f"{col.name}: every value has a decimal comma (e.g. {example!r}): set "
                         f"decimal: ',' for {name} in a mapping (tables: {{{name}: {{decimal: "
                         "','}})")
    return notes


def release(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the DuckDB objects validation made for table ``name`` (after fetching it)."""
    con.execute(f"DROP VIEW IF EXISTS {quote_ident('_clean_' + name)}")
    con.execute(f"DROP TABLE IF EXISTS {quote_ident('_checked_' + name)}")
    con.execute(f"DROP TABLE IF EXISTS {quote_ident('_post_' + name)}")
    con.execute(f"DROP TABLE IF EXISTS {quote_ident('_derived_' + name)}")
