"""Validation with quarantine: typed, checked tables from raw rows, inside DuckDB.

Every rule is an SQL predicate evaluated in one pass per table, so validation scales with
DuckDB rather than with pandas. A row that breaks any rule is moved to the quarantine with the
file, row number, column, rule and offending value; the rest loads. For every table::

    rows read == rows loaded + rows quarantined

Rules
-----
``missing_column``
    A required column is absent: the whole table is unusable (``TableError``).
``type``
    A value does not parse as the column's type (number, whole number, date).
``required``
    A column that must always be filled is empty.
``range``
    A number is below its minimum or above its maximum (quantities, prices, discount in [0, 1]).
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
    A date lies after the as-of date.
``date_order``
    A later date precedes an earlier one (e.g. a lead's outcome before its creation).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from salesnb.core.sql import quote_ident, quote_literal
from salesnb.data.schema import Column, TableSpec
from salesnb.data.sources import Source, first_line
from salesnb.errors import TableError

__all__ = ["RULES", "TableResult", "validate_table", "release", "REVENUE_ABS_TOL",
           "REVENUE_REL_TOL", "QUARANTINE_COLUMNS"]

#: Rule name -> what it means, for reports and the data dictionary.
RULES: dict[str, str] = {
    "missing_column": "a required column is absent (table unusable)",
    "type": "value does not parse as the column's type",
    "required": "required value is empty",
    "range": "number outside its allowed range",
    "choice": "value is not one of the allowed codes",
    "duplicate_key": "key repeats an earlier row",
    "foreign_key": "reference not found in the referenced table",
    "revenue": "revenue differs from quantity x unit_price x (1 - discount)",
    "future_date": "date is after the as-of date",
    "date_order": "date precedes the date it must follow",
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
    """

    table: str
    file: str
    rows_read: int
    clean_view: str
    quarantine: pd.DataFrame
    rows_quarantined: int
    skipped: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        """Rows that passed every rule."""
        return self.rows_read - self.rows_quarantined


def _typed_expr(col: Column, src_type: str, raw: str, na_values: tuple[str, ...],
                date_formats: tuple[str, ...]) -> tuple[str, str]:
    """Return ``(typed expression, "value present" expression)`` for one column."""
    is_text = src_type.upper() == "VARCHAR"
    if is_text:
        if na_values:
            nas = ", ".join(quote_literal(v) for v in ("", *na_values))
            text = f"(CASE WHEN trim({raw}) IN ({nas}) THEN NULL ELSE trim({raw}) END)"
        else:
            text = f"nullif(trim({raw}), '')"
    else:
        text = f"CAST({raw} AS VARCHAR)"
    present = f"({text} IS NOT NULL)" if is_text else f"({raw} IS NOT NULL)"
    if col.dtype == "str":
        return text, present
    if col.dtype == "float":
        return (f"TRY_CAST({text} AS DOUBLE)" if is_text else f"TRY_CAST({raw} AS DOUBLE)"), present
    if col.dtype == "int":
        if src_type.upper() in {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT",
                                "UINTEGER", "USMALLINT", "UTINYINT"}:
            return f"TRY_CAST({raw} AS BIGINT)", present
        num = f"TRY_CAST({text} AS DOUBLE)" if is_text else f"TRY_CAST({raw} AS DOUBLE)"
        return (f"(CASE WHEN {num} = round({num}) AND abs({num}) < 9e15 "
                f"THEN CAST({num} AS BIGINT) END)"), present
    # date
    if not is_text:
        return f"TRY_CAST({raw} AS DATE)", present
    options = [f"TRY_CAST({text} AS DATE)", f"TRY_CAST(TRY_CAST({text} AS TIMESTAMP) AS DATE)"]
    if date_formats:
        fmts = ", ".join(quote_literal(f) for f in date_formats)
        options.append(f"TRY_CAST(try_strptime({text}, [{fmts}]) AS DATE)")
    parsed = f"coalesce({', '.join(options)})"
    return (f"(CASE WHEN year({parsed}) BETWEEN 1900 AND 2200 THEN {parsed} END)"), present


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
        When the table is missing or a required column is absent.
    """
    name = spec.name
    raw_view = f"_raw_{name}"
    where = source.register(con, name, raw_view)
    tmap = source.mapping.for_table(name)
    types = {r[0]: r[1] for r in con.sql(f"DESCRIBE {quote_ident(raw_view)}").fetchall()}
    missing = [c for c in spec.required_columns if c not in types]
    if missing:
        found = ", ".join(c for c in types if c != "_row")
        raise TableError(name, where, f"required column(s) missing: {', '.join(missing)} "
                         f"(columns found: {found})",
                         "rename the export's columns to salesnb names with a mapping "
                         "(salesnb.mapping), or add the columns")
    present_cols = [c for c in spec.columns if c.name in types]
    extra = [c for c in types if c != "_row" and c not in spec.column_names]

    # One pass over the raw rows: typed values, and the list of rules each row breaks.
    inner: list[str] = ["r._row"]
    checks: list[tuple[str, str]] = []
    skipped: list[str] = []
    for col in present_cols:
        c = f"t.{quote_ident(col.name)}"
        raw_name = quote_ident("__raw__" + col.name)
        typed, _ = _typed_expr(col, types[col.name], f"r.{quote_ident(col.name)}", tmap.na_values,
                               tmap.date_formats)
        inner.append(f"{typed} AS {quote_ident(col.name)}")
        if col.dtype == "str" and not col.nullable:  # text: empty after trimming = missing
            checks.append(_violation("required", col.name, f"{c} IS NULL", "NULL",
                                     quote_literal(f"{col.name} is empty")))
        elif col.dtype != "str":
            inner.append(f"r.{quote_ident(col.name)} AS {raw_name}")
            _, present = _typed_expr(col, types[col.name], f"t.{raw_name}", tmap.na_values,
                                     tmap.date_formats)
            if not col.nullable:
                checks.append(_violation("required", col.name, f"NOT {present}", "NULL",
                                         quote_literal(f"{col.name} is empty")))
            if col.dtype != "str":
                kind = {"int": "a whole number", "float": "a number", "date": "a date"}[col.dtype]
                hint = (" (add its format to 'date_formats' in a mapping)"
                        if col.dtype == "date" else "")
                checks.append(_violation(
                    "type", col.name, f"{present} AND {c} IS NULL", f"t.{raw_name}",
                    quote_literal(f"{col.name} is not {kind}{hint}")))
        shown = f"t.{raw_name}" if col.dtype != "str" else c  # the value as written
        if col.minimum is not None:
            checks.append(_violation(
                "range", col.name, f"{c} < {quote_literal(col.minimum)}", shown,
                quote_literal(f"{col.name} must be >= {col.minimum:g}")))
        if col.maximum is not None:
            checks.append(_violation(
                "range", col.name, f"{c} > {quote_literal(col.maximum)}", shown,
                quote_literal(f"{col.name} must be <= {col.maximum:g}")))
        if col.choices:
            allowed = ", ".join(quote_literal(v) for v in col.choices)
            checks.append(_violation(
                "choice", col.name, f"{c} NOT IN ({allowed})", c,
                quote_literal(f"{col.name} must be one of {', '.join(col.choices)} "
                     "(recode with 'values:' in a mapping)")))
        if col.dtype == "date" and col.not_future:
            checks.append(_violation(
                "future_date", col.name, f"{c} > {quote_literal(as_of)}", shown,
                quote_literal(f"{col.name} is after the as-of date {as_of}")))
    inner += [f"r.{quote_ident(col)}" for col in extra]
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
            key_expr, _ = _typed_expr(spec.column(fk.ref_column), types[fk.ref_column],
                                      quote_ident(fk.ref_column), tmap.na_values, tmap.date_formats)
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
           f"{', '.join(outer)}, {_violations_sql(checks)} AS _bad "
           f"FROM (SELECT {', '.join(inner)} FROM {quote_ident(raw_view)} r) t")
    try:
        _timed(con, sql, f"{name}: rules")
    except duckdb.Error as exc:
        # The file itself could not be read to the end (e.g. quoted line breaks with the
        # parallel CSV reader): retry once with safer read options, else the table is unusable.
        if not source.safer_read(name):
            raise TableError(name, where, f"cannot be read ({first_line(exc)})",
                             "check the file's separator, quoting and encoding") from None
        source.register(con, name, raw_view)
        try:
            _timed(con, sql, f"{name}: rules (safe read)")
        except duckdb.Error as exc2:
            raise TableError(name, where, f"cannot be read ({first_line(exc2)})",
                             "check the file's separator, quoting and encoding") from None

    # Duplicate keys: a cheap group-by first; the window runs only on the repeated keys.
    dups = f"_dups_{name}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {quote_ident(dups)} (_row BIGINT, value VARCHAR)")
    if spec.key and all(k in types for k in spec.key):
        part = ", ".join(quote_ident(k) for k in spec.key)
        notnull = " AND ".join(f"{quote_ident(k)} IS NOT NULL" for k in spec.key)
        keyval = " || '|' || ".join(f"CAST({quote_ident(k)} AS VARCHAR)" for k in spec.key)
        _timed(con,
               f"INSERT INTO {quote_ident(dups)} SELECT _row, {keyval} FROM ("
               f"SELECT _row, {part}, row_number() OVER (PARTITION BY {part} ORDER BY _row) "
               f"AS _n FROM {quote_ident(checked)} WHERE ({part}) IN (SELECT ({part}) FROM "
               f"{quote_ident(checked)} WHERE {notnull} GROUP BY {part} HAVING count(*) > 1)) "
               f"WHERE _n > 1", f"{name}: duplicate keys")
    key_label = "+".join(spec.key)
    clean = f"_clean_{name}"
    out_names = [o.rsplit(" AS ", 1)[-1] if " AS " in o else o.removeprefix("t.")
                 for o in outer]
    con.execute(f"CREATE OR REPLACE TEMP VIEW {quote_ident(clean)} AS SELECT "
                f"{', '.join(out_names)} FROM {quote_ident(checked)} WHERE _bad IS NULL AND "
                f"_row NOT IN "
                f"(SELECT _row FROM {quote_ident(dups)})")
    ((rows_read, rows_bad),) = con.sql(
        f"SELECT count(*), count(*) FILTER (WHERE _bad IS NOT NULL OR _row IN "
        f"(SELECT _row FROM {quote_ident(dups)})) FROM {quote_ident(checked)}").fetchall()
    quarantine = con.sql(
        f"SELECT {quote_literal(name)} AS \"table\", {quote_literal(where)} AS file, "
        f"_row AS \"row\", \"column\", rule, value, message FROM ("
        f"SELECT _row, b.column AS \"column\", b.rule AS rule, b.value AS value, "
        f"b.message AS message "
        f"FROM (SELECT _row, unnest(_bad) AS b FROM {quote_ident(checked)} WHERE _bad IS NOT NULL) "
        f"UNION ALL SELECT _row, {quote_literal(key_label)}, 'duplicate_key', value, "
        f"{quote_literal(f'{key_label} repeats an earlier row')} FROM {quote_ident(dups)}) "
        f"ORDER BY \"row\", rule").df()
    return TableResult(name, where, int(rows_read), clean, quarantine, int(rows_bad), skipped,
                       extra)


def release(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the DuckDB objects validation made for table ``name`` (after fetching it)."""
    con.execute(f"DROP VIEW IF EXISTS {quote_ident('_clean_' + name)}")
    con.execute(f"DROP TABLE IF EXISTS {quote_ident('_checked_' + name)}")
    con.execute(f"DROP TABLE IF EXISTS {quote_ident('_dups_' + name)}")
