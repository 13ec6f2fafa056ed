"""Derived tables and columns: what an export holds only on its order lines, made tables.

Derived tables
--------------
A mapping's ``from: orders`` builds a table (``customers``, ``products``; any table with one
id column) from another table's rows, as an orders-only export holds the customers' and
products' attributes on every line (see :mod:`salesnb.data.mapping`). The rows are collapsed
to one per id, in the file's order:

- each column takes the **first non-empty value** of the id's rows; ``_row`` (the row that
  quarantine examples point at) is the first file row where the id appears;
- an id with more than one distinct non-empty value in a column is a *conflict*: they are
  counted per column and reported as a note on the table ("customers.region: 12 of 793
  customers have more than one value in the order lines; the first was kept");
- rows with an empty id collapse into one row, which validation quarantines (``required``),
  so rows read (the distinct ids, plus that row) == rows loaded + rows quarantined;
- rows the file reader flagged (extra fields, broken quotes) are left out: their fields are
  not reliable, and the parent table quarantines them;
- a derived ``products`` without a price column gets ``list_price`` from the lines: the
  **median** of each product's unit prices (``unit_price`` when the lines have one, else
  ``revenue / quantity / (1 - discount)``), rounded to cents; lines with quantity 0 or
  discount 1 have no unit price and are left out. The median, not the first line, so that
  one discounted or mistyped line does not set the catalogue price.

Derived columns
---------------
Used by :mod:`salesnb.data.validation` on ``orders``:

- ``unit_price``, when absent and ``revenue`` and ``quantity`` are there:
  ``revenue / quantity / (1 - discount)`` (no discount column: ``revenue / quantity``),
  rounded to cents. A line with quantity 0, discount 1 or no revenue cannot give one and is
  quarantined (``not_derivable``); the revenue check is skipped (it would hold by
  construction) and a note says so.
- ``revenue``, when absent: ``quantity x unit_price x (1 - discount)`` (in validation).
- ``region``, when absent: the customer's region (``customers.region`` by ``customer_id``),
  else the rep's (``reps.region`` by ``rep_id``), when that table is loaded.
"""

from __future__ import annotations

import duckdb

from salesnb.core.sql import quote_ident, quote_literal
from salesnb.data.csvscan import CSV_RULE
from salesnb.data.mapping import TableMapping
from salesnb.data.schema import TABLES
from salesnb.data.values import number_sql, text_sql

__all__ = ["PRICE_COLUMNS", "PRICE_FROM_LINES", "rows_name", "derived_where", "build_derived",
           "price_derivable", "derived_price", "derived_region", "UNIT_PRICE_RULE"]

#: Columns of the parent's rows a derived price is computed from.
PRICE_COLUMNS = ("unit_price", "revenue", "quantity", "discount")
#: Derived table -> its column computed from the parent's unit prices (when it has none).
PRICE_FROM_LINES = {"products": "list_price"}
#: The rule of a line whose unit price cannot be derived.
UNIT_PRICE_RULE = "not_derivable"
_ROWS = {"orders": "order lines"}
_FORMULA = "revenue / quantity / (1 - discount)"


def rows_name(parent: str) -> str:
    """How the rows of ``parent`` are called in notes (``"order lines"``).

    Parameters
    ----------
    parent : str
        A salesnb table.

    Examples
    --------
    >>> rows_name("orders"), rows_name("leads")
    ('order lines', 'leads rows')
    """
    return _ROWS.get(parent, f"{parent} rows")


def derived_where(where: str, table: str, parent: str) -> str:
    """Where a derived table is read from, for messages.

    Parameters
    ----------
    where : str
        Where the parent is read from (its file).
    table, parent : str
        The derived table and the table it is built from.

    Examples
    --------
    >>> derived_where("superstore.csv", "customers", "orders")
    'superstore.csv (customers from the order lines)'
    """
    return f"{where} ({table} from the {rows_name(parent)})"


def _text(expr: str, dtype: str, tmap: TableMapping) -> str:
    """SQL of a raw value as trimmed text, NULL when empty."""
    if dtype.upper() == "VARCHAR":
        return text_sql(expr, tmap.na_values)
    return f"CAST({expr} AS VARCHAR)"


def _number(expr: str, dtype: str, tmap: TableMapping) -> str:
    """SQL of a raw value as a DOUBLE, NULL when it is not a number."""
    if dtype.upper() == "VARCHAR":
        return number_sql(text_sql(expr, tmap.na_values), tmap.decimal)
    return f"TRY_CAST({expr} AS DOUBLE)"


def _line_price(prices: dict[str, tuple[str, str]], tmap: TableMapping) -> str | None:
    """SQL of one line's unit price from the parent's columns, or None when it has none."""
    num = {n: _number(quote_ident("__p__" + n), t, tmap) for n, (_e, t) in prices.items()}
    if "unit_price" in num:
        return num["unit_price"]
    if not {"revenue", "quantity"} <= num.keys():
        return None
    disc = f"coalesce({num['discount']}, 0)" if "discount" in num else "0"
    return (f"CASE WHEN {num['quantity']} <> 0 AND {disc} <> 1 THEN "
            f"{num['revenue']} / {num['quantity']} / (1 - {disc}) END")


def build_derived(con: duckdb.DuckDBPyConnection, table: str, view: str, raw_sql: str,
                  items: dict[str, tuple[str, str]], prices: dict[str, tuple[str, str]],
                  tmap: TableMapping, *, flagged: bool) -> list[str]:
    """Collapse the parent's raw rows to one per id into view ``view``; return the notes.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Where ``raw_sql`` runs; a temporary table ``_derived_<table>`` holds the result.
    table : str
        The derived table (its key is its only id column).
    view : str
        The raw view to create (``_row`` first, then the columns of ``items``).
    raw_sql : str
        The parent's raw rows.
    items : dict of str to (str, str)
        ``{salesnb name: (SQL of its value in raw_sql, DuckDB type of the source column)}``.
    prices : dict of str to (str, str)
        The parent's ``unit_price`` / ``revenue`` / ``quantity`` / ``discount`` the same way,
        for a price computed from the lines (:data:`PRICE_FROM_LINES`).
    tmap : TableMapping
        The derived table's mapping (the parent's reading options: NA texts, decimal).
    flagged : bool
        Whether ``raw_sql`` has the reader's flag column (rows with extra fields or broken
        quotes), whose rows are left out.

    Returns
    -------
    list of str
        A note per column with conflicting values, and one for a derived price.
    """
    key = TABLES[table].key[0]  # present: checked by the caller
    inner = [f"{expr} AS {quote_ident(name)}" for name, (expr, _t) in items.items()]
    inner += [f"{expr} AS {quote_ident('__p__' + name)}" for name, (expr, _t) in prices.items()]
    text = {name: _text(quote_ident(name), t, tmap) for name, (_e, t) in items.items()}
    out = [f"arg_min({quote_ident(key)}, _row) AS {quote_ident(key)}"]
    counts = []
    for name in items:
        if name == key:
            continue
        out.append(f"arg_min({quote_ident(name)}, _row) FILTER (WHERE {text[name]} IS NOT NULL)"
                   f" AS {quote_ident(name)}")
        counts.append(f"count(DISTINCT {text[name]}) AS {quote_ident('__n__' + name)}")
    price_col = PRICE_FROM_LINES.get(table)
    price = _line_price(prices, tmap) if price_col and price_col not in items else None
    if price is not None:
        out.append(f"round(median(_price) FILTER (WHERE isfinite(_price) AND _price >= 0), 2) "
                   f"AS {quote_ident(price_col)}")
    where = f" WHERE {CSV_RULE} IS NULL" if flagged else ""
    store = quote_ident(f"_derived_{table}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {store} AS SELECT min(_row) AS _row, {', '.join(out)}"
        f"{''.join(', ' + c for c in counts)} FROM (SELECT *"
        f"{', ' + price + ' AS _price' if price else ''} FROM (SELECT _row, {', '.join(inner)} "
        f"FROM ({raw_sql}){where})) GROUP BY {text[key]} ORDER BY _row")
    names = [key, *(n for n in items if n != key)] + ([price_col] if price else [])
    con.execute(f"CREATE OR REPLACE TEMP VIEW {quote_ident(view)} AS SELECT _row, "
                f"{', '.join(quote_ident(n) for n in names)} FROM {store} ORDER BY _row")
    return _notes(con, table, str(tmap.parent), store, [n for n in items if n != key],
                  text[key], price_col if price else None, "unit_price" in prices)


def _notes(con: duckdb.DuckDBPyConnection, table: str, parent: str, store: str,
           columns: list[str], key_text: str, price_col: str | None, given: bool) -> list[str]:
    """The conflict notes of a collapsed table, and the note on a derived price."""
    sums = "".join(f", count_if({quote_ident('__n__' + c)} > 1)" for c in columns)
    ((total, *conflicts),) = con.sql(f"SELECT count(*){sums} FROM {store} WHERE {key_text} "
                                     "IS NOT NULL").fetchall()
    notes = []
    for col, n in zip(columns, conflicts, strict=True):
        if n:
            notes.append(f"{table}.{col}: {n:,} of {total:,} {table} "
                         f"{'has' if n == 1 else 'have'} more than one value in the "
                         f"{rows_name(parent)}; the first was kept")
    if price_col:
        how = "their unit_price" if given else _FORMULA
        notes.append(f"{table}.{price_col}: derived as the median unit price of each "
                     f"{table.removesuffix('s')}'s {rows_name(parent)} ({how}), rounded to "
                     "cents")
    return notes


def price_derivable(types: dict[str, str]) -> bool:
    """Whether an order table's ``unit_price`` is absent and can be derived from its columns.

    Parameters
    ----------
    types : dict of str to str
        The raw columns of the table.
    """
    return "unit_price" not in types and {"revenue", "quantity"} <= types.keys()


def derived_price(types: dict[str, str]
                  ) -> tuple[str, list[tuple[str, str, str, str, str]], str]:
    """SQL of a derived ``unit_price`` over the typed row ``t``, its rules, and the note.

    Parameters
    ----------
    types : dict of str to str
        The raw columns of the orders table (``discount`` may be absent).

    Returns
    -------
    tuple
        ``(expression, [(rule, column, condition, value, message SQL), ...], note)``.
    """
    disc = "coalesce(t.discount, 0)" if "discount" in types else "0"
    expr = (f"CASE WHEN t.quantity <> 0 AND {disc} <> 1 THEN "
            f"round(t.revenue / t.quantity / (1 - {disc}), 2) END")
    why = f"unit_price cannot be derived as {_FORMULA}"
    rules = [
        (UNIT_PRICE_RULE, "quantity", "t.quantity = 0", 't."__raw__quantity"',
         quote_literal(f"{why}: quantity is 0")),
        (UNIT_PRICE_RULE, "revenue", "t.revenue IS NULL", 't."__raw__revenue"',
         quote_literal(f"{why}: revenue is empty or not a number")),
        ("range", "unit_price", f"({expr}) < 0", expr,
         quote_literal(f"unit_price (derived as {_FORMULA}) must be >= 0")),
    ]
    if "discount" in types:
        rules.insert(1, (UNIT_PRICE_RULE, "discount", "t.discount = 1", 't."__raw__discount"',
                         quote_literal(f"{why}: discount is 1 (100 %)")))
    note = (f"unit_price: the file has none; derived as {_FORMULA}, rounded to cents (the "
            "revenue check is skipped: it holds by construction)")
    return expr, rules, note


def derived_region(con: duckdb.DuckDBPyConnection, types: dict[str, str],
                   loaded: dict[str, str]) -> tuple[str, str] | None:
    """SQL of an order line's region taken from its customer (else its rep), and the note.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Where the loaded tables live.
    types : dict of str to str
        The raw columns of the orders table.
    loaded : dict of str to str
        ``{table: clean DuckDB view}`` of the tables validated so far.

    Returns
    -------
    tuple of (str, str) or None
        ``(SELECT item ending in "AS region", note)``, or None when the table has a region
        or neither table is there to take it from.
    """
    if "region" in types:
        return None
    for ref, key in (("customers", "customer_id"), ("reps", "rep_id")):
        if ref not in loaded or key not in types:
            continue
        view = quote_ident(loaded[ref])
        cols = {r[0] for r in con.sql(f"DESCRIBE {view}").fetchall()}
        if "region" not in cols:
            continue
        return (f"(SELECT any_value(x.region) FROM {view} x WHERE x.{key} = t.{key}) AS region",
                f"region: the file has none; each line takes its {ref[:-1]}'s region "
                f"({ref}.region by {key})")
    return None
