"""How a raw value becomes a typed one, as DuckDB SQL: text, numbers, dates.

Pure functions returning SQL expressions (no database here); :mod:`salesnb.data.validation`
puts them into its one pass over a table. Text is trimmed of spaces, and empty or NA texts
are missing. A number is a plain decimal (``-1.5``, ``2e3``, ``.5``), or with ``decimal: ","``
one with a decimal comma and optional thousands groups (``1.234,56``); ``NaN`` and ``inf``
spellings are read so that they can be refused as ``not_finite`` rather than as ``type``;
``1_000`` and ``+-5``, which DuckDB's cast alone would accept, are not numbers.
"""

from __future__ import annotations

from salesnb.core.sql import quote_ident, quote_literal
from salesnb.data.mapping import TableMapping
from salesnb.data.schema import Column

__all__ = ["MAX_ABS", "LOOKS_COMMA", "text_sql", "number_sql", "key_text_sql", "stages_sql",
           "type_message"]

#: Largest size of a number (quantities, prices, amounts); beyond it a value breaks ``range``.
MAX_ABS = 1e15
_INT_TYPES = {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "USMALLINT",
              "UTINYINT", "HUGEINT"}
_DECIMAL_COMMA = (r"[+-]?([0-9]{1,3}([. \x{00a0}'][0-9]{3})+|[0-9]+)(,[0-9]+)?([eE][+-]?[0-9]+)?"
                  r"|[+-]?,[0-9]+")
#: A number written with a decimal comma (``1,5``, ``1.234,56``): suggests ``decimal: ","``.
LOOKS_COMMA = r"[+-]?[0-9]{1,3}(\.[0-9]{3})*,[0-9]+|[+-]?[0-9]+,[0-9]+"
_LOOKS_THOUSANDS = r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?"
_WORDS = "('nan', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity')"


def text_sql(raw: str, na_values: tuple[str, ...]) -> str:
    """SQL for a raw text value trimmed of spaces, with empty and NA texts as NULL.

    Spaces are trimmed with DuckDB's fast ``trim`` (Unicode spaces too, such as the no-break
    space); a value padded with a tab keeps it, and fails its checks visibly (``C3`` and a
    tab is not customer ``C3``).

    Parameters
    ----------
    raw : str
        SQL of the raw (VARCHAR) value.
    na_values : tuple of str
        Texts that mean "empty" besides the empty text.
    """
    trimmed = f"trim({raw})"
    if na_values:
        nas = ", ".join(quote_literal(v) for v in ("", *na_values))
        return f"(CASE WHEN {trimmed} IN ({nas}) THEN NULL ELSE {trimmed} END)"
    return f"nullif({trimmed}, '')"


def number_sql(text: str, decimal: str) -> str:
    """SQL for a text value as a DOUBLE (NaN/inf kept), NULL when it is not a plain number.

    DuckDB's own cast is used (fast), without the two spellings it accepts that are not
    numbers in an export: digits grouped by ``_`` and a ``+-`` sign.

    Parameters
    ----------
    text : str
        SQL of the trimmed text.
    decimal : {".", ","}
        The decimal separator (see :class:`salesnb.data.mapping.TableMapping`).
    """
    if decimal == ",":
        words = f"lower({text}) IN {_WORDS}"
        grouping = quote_literal("[. \u00a0']")
        return (f"(CASE WHEN regexp_full_match({text}, {quote_literal(_DECIMAL_COMMA)}) THEN "
                f"TRY_CAST(replace(regexp_replace({text}, {grouping}, '', 'g'), ',', '.') "
                f"AS DOUBLE) WHEN {words} THEN TRY_CAST({text} AS DOUBLE) END)")
    return (f"(CASE WHEN strpos({text}, '_') = 0 AND strpos({text}, '+-') = 0 "
            f"THEN TRY_CAST({text} AS DOUBLE) END)")


def key_text_sql(col: str, src_type: str, tmap: TableMapping) -> str:
    """SQL for a key column of the raw view as its text (for references within a table).

    Parameters
    ----------
    col : str
        Column name.
    src_type : str
        Its DuckDB type in the raw view.
    tmap : TableMapping
        The table's reading options (NA texts).
    """
    if src_type.upper() == "VARCHAR":
        return text_sql(quote_ident(col), tmap.na_values)
    return f"CAST({quote_ident(col)} AS VARCHAR)"


def stages_sql(col: Column, src_type: str, tmap: TableMapping
               ) -> tuple[list[str], list[str], list[str]]:
    """SELECT items of one column in the three stages: text (``a``), number (``b``), typed.

    Each stage refers to plain columns of the one before, so no expression is repeated:
    ``__raw__c`` is the value as read, ``__txt__c`` its trimmed text (NULL when empty),
    ``__num__c`` the number it spells (NaN and inf kept, NULL when not a number) and ``c``
    the typed value that loads.

    Parameters
    ----------
    col : Column
        The column of the data model.
    src_type : str
        Its DuckDB type in the raw view (``VARCHAR`` for CSV and Excel).
    tmap : TableMapping
        The table's reading options (NA texts, date formats, decimal separator).

    Returns
    -------
    tuple of three lists of str
        SELECT items reading from the raw rows ``r``, from stage ``a``, from stage ``b``.
    """
    q = quote_ident(col.name)
    raw, txt, num = (quote_ident(p + col.name) for p in ("__raw__", "__txt__", "__num__"))
    is_text = src_type.upper() == "VARCHAR"
    if col.dtype == "str":
        text = text_sql(f"r.{q}", tmap.na_values) if is_text else f"CAST(r.{q} AS VARCHAR)"
        return [f"{text} AS {q}"], [f"a.{q}"], [f"b.{q}"]
    a, b, t = [f"r.{q} AS {raw}"], [f"a.{raw}"], [f"b.{raw}"]
    if is_text:
        a.append(f"{text_sql(f'r.{q}', tmap.na_values)} AS {txt}")
        b.append(f"a.{txt}")
        t.append(f"b.{txt}")
    if col.dtype == "date":
        if not is_text:
            return a, b, [*t, f"TRY_CAST(b.{raw} AS DATE) AS {q}"]
        text = f"b.{txt}"
        options = [f"TRY_CAST({text} AS DATE)",
                   f"TRY_CAST(TRY_CAST({text} AS TIMESTAMP) AS DATE)"]
        if tmap.date_formats:
            fmts = ", ".join(quote_literal(f) for f in tmap.date_formats)
            options.append(f"TRY_CAST(try_strptime({text}, [{fmts}]) AS DATE)")
        parsed = f"coalesce({', '.join(options)})"
        return a, b, [*t, f"(CASE WHEN year({parsed}) BETWEEN 1900 AND 2200 THEN {parsed} "
                          f"END) AS {q}"]
    b.append(f"{number_sql(f'a.{txt}', tmap.decimal)} AS {num}" if is_text
             else f"TRY_CAST(a.{raw} AS DOUBLE) AS {num}")
    n = f"b.{num}"
    fits = f"isfinite({n}) AND abs({n}) <= {MAX_ABS}"
    if col.dtype == "float":
        typed = f"CASE WHEN {fits} THEN {n} END"
    elif src_type.upper() in _INT_TYPES:
        typed = f"CASE WHEN abs(b.{raw}) <= {MAX_ABS} THEN CAST(b.{raw} AS BIGINT) END"
    else:
        typed = f"CASE WHEN {fits} AND {n} = round({n}) THEN CAST({n} AS BIGINT) END"
    return a, b, [*t, n, f"({typed}) AS {q}"]


def type_message(col: Column, table: str, raw: str, tmap: TableMapping, is_text: bool) -> str:
    """SQL for the ``type`` message, suggesting ``decimal:`` when the value has a comma.

    Parameters
    ----------
    col : Column
        The column.
    table : str
        The table (named in the suggestion).
    raw : str
        SQL of the value as written.
    tmap : TableMapping
        The table's reading options.
    is_text : bool
        Whether the source column is text (a typed column gets no separator hints).
    """
    kind = {"int": "a whole number", "float": "a number", "date": "a date"}[col.dtype]
    base = f"{col.name} is not {kind}"
    if col.dtype == "date":
        return quote_literal(base + " (add its format to 'date_formats' in a mapping)")
    if not is_text:
        return quote_literal(base)
    if tmap.decimal == ",":
        return quote_literal(base + " (decimal: ',' is set: write 1234,5 or 1.234,5)")
    value = f"trim(CAST({raw} AS VARCHAR))"
    comma = (f"{base} (it has a decimal comma: set decimal: \",\" for {table} in a mapping, "
             "and a delimiter other than ',')")
    return (f"CASE WHEN regexp_full_match({value}, {quote_literal(LOOKS_COMMA)}) THEN "
            f"{quote_literal(comma)} WHEN regexp_full_match({value}, "
            f"{quote_literal(_LOOKS_THOUSANDS)}) THEN "
            f"{quote_literal(base + ' (it has thousands separators: export it without them)')}"
            f" ELSE {quote_literal(base)} END")
