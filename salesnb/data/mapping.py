"""Column mappings: how a real company export's names and codes become salesnb's.

A mapping is a YAML file (or the same structure as a dict)::

    # options for every table (all optional; a table's own option wins)
    na_values: ["NA", "n/a"]              # texts that mean "empty"
    date_formats: ["%m/%d/%y %H:%M"]      # extra strptime formats, tried after ISO dates
    encoding: gbk                         # force a text encoding (else detected)
    decimal: ","                          # decimal comma: 1.234,56 is 1234.56 (default ".")
    delimiter: ";"                        # CSV field separator (else detected)
    header_row: 1                         # line / sheet row of the header (else the first)
    tables:
      orders:
        file: online_retail.csv           # file in the source folder (default: orders.*)
        columns:                          # source column -> salesnb column
          InvoiceNo: order_id
          InvoiceDate: order_date
        values:                           # recode values (case-insensitive; yes/no stay text)
          status: {yes: converted, no: lost}
        drop: ["X.1", "X"]                # source columns to ignore
        date_formats: ["%d.%m.%Y"]        # table-level options override the top level
        na_values: ["NA"]
        encoding: utf-8
        delimiter: ";"
        decimal: ","
        header_row: 3                     # a title and a blank line above the header
        sheet: Orders                     # Excel: sheet name (or position from 0)
      customers:
        from: orders                      # built from attributes on the order lines
        columns: {Customer Name: name, Segment: segment}

Columns the mapping does not name keep their name; a name that matches a salesnb column up to
case, spaces and hyphens (``Order ID`` -> ``order_id``) is matched automatically. A target in
``columns`` must be a column of the table (``discount: disc`` is refused, naming the valid
columns), or the source name tidied (``Description: description``) to keep an extra column
under a plain name. ``file`` must stay inside the source folder.

Derived tables
--------------
``from: <table>`` builds a table from another table's rows (an orders-only export holds the
customers' and products' attributes on every order line). It is read from that table's file
with that table's reading options and renames; its own ``columns`` (and ``values``, ``drop``)
are added and win for it. Only its own salesnb columns and the extra columns its ``columns``
names are kept; rows are collapsed to one per id (see :mod:`salesnb.data.derived`). The
table named must be read from a file itself (not derived), and reading options (``file``,
``sheet``, ``encoding`` ...) cannot be set on the derived table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from salesnb.core.files import read_yaml
from salesnb.data.encoding import codec_name
from salesnb.data.schema import TABLES
from salesnb.errors import MappingError

__all__ = ["TableMapping", "Mapping", "load_mapping", "normalise_name", "DERIVABLE"]

#: Options that may be set for every table at the top level, and per table.
_SHARED_KEYS = ("date_formats", "na_values", "encoding", "delimiter", "decimal", "header_row")
_TABLE_KEYS = {"file", "columns", "values", "drop", "sheet", "from", *_SHARED_KEYS}
#: Options a derived table (``from:``) takes from the table it is built from.
_READ_KEYS = ("file", "sheet", *_SHARED_KEYS)
_TOP_KEYS = {"tables", *_SHARED_KEYS}
#: Most lines a header may be below the top of the file (see csvscan.HEAD_LINES).
_MAX_HEADER_ROW = 100


def normalise_name(name: str) -> str:
    """Lower-case a header and turn spaces, dots and hyphens into underscores.

    Examples
    --------
    >>> normalise_name(" Order-ID ")
    'order_id'
    """
    return re.sub(r"[\s.\-]+", "_", name.strip().lstrip("\ufeff")).strip("_").lower()


@dataclass(frozen=True)
class TableMapping:
    """How one table is read and renamed.

    Parameters
    ----------
    file : str, optional
        File name (relative to the source folder) or table name in a database.
    columns : dict of str to str
        Source column name -> salesnb column name.
    values : dict of str to dict
        salesnb column -> {source value: salesnb value}; matched case-insensitively.
    drop : tuple of str
        Source columns to ignore.
    date_formats : tuple of str
        ``strptime`` formats tried after ISO dates.
    na_values : tuple of str
        Texts read as empty, besides the empty string.
    encoding : str, optional
        Text encoding of a CSV file; detected when not given.
    delimiter : str, optional
        CSV field separator; detected when not given.
    sheet : str or int, optional
        Excel sheet: its name, or its position counting from 0; the first when not given.
    decimal : {".", ","}
        Decimal separator of numbers written as text. With ``","``, ``1.234,56`` is read as
        1234.56 (dots, spaces and apostrophes group thousands).
    header_row : int, optional
        Line (CSV) or row (Excel) of the header, counting from 1; lines above it (a title)
        are ignored. The first non-empty line when not given.
    parent : str, optional
        For a derived table (``from:``): the table whose rows it is built from. The reading
        options and renames above are then the parent's, merged with this table's own.
    own_columns : dict of str to str
        For a derived table: the renames its own ``columns`` named (their targets are kept
        even when they are not salesnb columns).
    """

    file: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = ()
    na_values: tuple[str, ...] = ()
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None
    decimal: str = "."
    header_row: int | None = None
    parent: str | None = None
    own_columns: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Mapping:
    """A whole mapping: per-table options plus defaults shared by all tables."""

    tables: dict[str, TableMapping] = field(default_factory=dict)
    origin: str = "<none>"

    def for_table(self, table: str) -> TableMapping:
        """Return the mapping of ``table`` (an empty one when the mapping does not name it)."""
        return self.tables.get(table, TableMapping())


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return tuple(str(v) for v in value)
    raise MappingError(f"{where}: expected a text or a list of texts, got {value!r}")


def _option(raw: dict[str, Any], top: dict[str, Any], key: str) -> Any:
    """A table's own option, else the top-level one."""
    return raw[key] if raw.get(key) is not None else top.get(key)


def _checked_options(where: str, encoding: Any, delimiter: Any, decimal: Any,
                     header_row: Any) -> tuple[str | None, str | None, str, int | None]:
    """Check the reading options; return them typed."""
    if encoding is not None:
        try:
            codec_name(str(encoding))
        except LookupError:
            raise MappingError(f"{where}.encoding: unknown encoding {encoding!r}; use a name "
                               "such as utf-8, cp1252, latin-1, gb18030, big5, shift_jis") from None
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1
                                  or delimiter in "\"\r\n"):
        raise MappingError(f"{where}.delimiter: expected one character such as ',' ';' '|' or "
                           f"a tab written \"\\t\", got {delimiter!r}")
    decimal = "." if decimal is None else decimal
    if decimal not in (".", ","):
        raise MappingError(f"{where}.decimal: expected '.' or ',', got {decimal!r}")
    if decimal == "," and delimiter == ",":
        raise MappingError(f"{where}: decimal ',' needs another delimiter (e.g. ';')")
    if header_row is not None and (isinstance(header_row, bool) or not isinstance(header_row, int)
                                   or not 1 <= header_row <= _MAX_HEADER_ROW):
        raise MappingError(f"{where}.header_row: expected the header's line number, from 1 to "
                           f"{_MAX_HEADER_ROW}, got {header_row!r}")
    return (str(encoding) if encoding is not None else None, delimiter, decimal, header_row)


def _checked_columns(where: str, table: str, columns: Any) -> dict[str, str]:
    """Check ``columns``: 'source: salesnb name' pairs whose targets the table knows."""
    if not isinstance(columns, dict):
        raise MappingError(f"{where}.columns: expected 'source name: salesnb name' pairs")
    columns = {str(k): str(v) for k, v in columns.items()}
    known = TABLES[table].column_names
    unknown = {k: v for k, v in columns.items() if v not in known and v != normalise_name(k)}
    if unknown:
        pairs = ", ".join(f"'{k}: {v}'" for k, v in unknown.items())
        raise MappingError(f"{where}.columns: {pairs}: not a column of {table}; {table} columns "
                           f"are: {', '.join(known)} (a column left out of 'columns' keeps its "
                           "own name)")
    targets = list(columns.values())
    dup = sorted({t for t in targets if targets.count(t) > 1})
    if dup:
        raise MappingError(f"{where}.columns: several source columns map to {dup}; "
                           "map exactly one source column to each salesnb column")
    return columns


def _table_mapping(table: str, raw: Any, top: dict[str, Any], origin: str) -> TableMapping:
    where = f"mapping {origin}, tables.{table}"
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: expected a mapping of options, got {raw!r}")
    unknown = set(raw) - _TABLE_KEYS
    if unknown:
        raise MappingError(f"{where}: unknown option(s) {sorted(unknown)}; "
                           f"allowed: {sorted(_TABLE_KEYS)}")
    columns = _checked_columns(where, table, raw.get("columns") or {})
    values = raw.get("values") or {}
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise MappingError(f"{where}.values: expected 'column: {{source value: salesnb value}}'")
    values = {str(col): {str(k).strip().lower(): str(v) for k, v in codes.items()}
              for col, codes in values.items()}
    sheet = raw.get("sheet")
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, (int, str))):
        raise MappingError(f"{where}.sheet: expected a sheet name or its position from 0, "
                           f"got {sheet!r}")
    file = raw.get("file")
    if file is not None and (not isinstance(file, str) or not file.strip()):
        raise MappingError(f"{where}.file: expected a file name, got {file!r}")
    encoding, delimiter, decimal, header_row = _checked_options(
        where, *(_option(raw, top, k) for k in ("encoding", "delimiter", "decimal",
                                                 "header_row")))
    return TableMapping(
        file=file,
        columns=columns,
        values=values,
        drop=_str_list(raw.get("drop"), f"{where}.drop"),
        date_formats=_str_list(_option(raw, top, "date_formats"), f"{where}.date_formats"),
        na_values=_str_list(_option(raw, top, "na_values"), f"{where}.na_values"),
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        decimal=decimal,
        header_row=header_row,
    )


def load_mapping(mapping: str | Path | dict[str, Any] | Mapping | None) -> Mapping:
    """Read and check a mapping.

    Parameters
    ----------
    mapping : path, dict, Mapping or None
        A YAML file, the same structure as a dict, an already-built mapping, or None (no
        renaming).

    Returns
    -------
    Mapping

    Raises
    ------
    MappingError
        When the file is missing, is not valid YAML, names an unknown table, option or target
        column, sets an unknown encoding or an invalid separator, or maps two source columns
        to one salesnb column.
    """
    if mapping is None:
        return Mapping()
    if isinstance(mapping, Mapping):
        return mapping
    origin = "<dict>"
    if isinstance(mapping, (str, Path)):
        path = Path(mapping)
        origin = str(path)
        if not path.is_file():
            raise MappingError(f"mapping file {path} does not exist; pass the path of a YAML "
                               "file (see salesnb.mapping for the format)")
        mapping = read_yaml(path, error=MappingError) or {}  # a byte-order mark is skipped
    if not isinstance(mapping, dict):
        raise MappingError(f"mapping {origin}: expected a YAML mapping with a 'tables' key")
    unknown = set(mapping) - _TOP_KEYS
    if unknown:
        raise MappingError(f"mapping {origin}: unknown key(s) {sorted(unknown)}; "
                           f"allowed: {sorted(_TOP_KEYS)}")
    tables = mapping.get("tables") or {}
    if not isinstance(tables, dict):
        raise MappingError(f"mapping {origin}: 'tables' must map table names to options")
    bad = sorted(set(tables) - set(TABLES))
    if bad:
        raise MappingError(f"mapping {origin}: unknown table(s) {bad}; "
                           f"salesnb tables are: {', '.join(TABLES)}")
    top = {k: mapping.get(k) for k in _SHARED_KEYS}
    _checked_options(f"mapping {origin}", *(top[k] for k in ("encoding", "delimiter", "decimal",
                                                            "header_row")))
    _str_list(top["date_formats"], f"mapping {origin}, date_formats")
    _str_list(top["na_values"], f"mapping {origin}, na_values")
    derived = {name: opts for name, opts in tables.items()
               if isinstance(opts, dict) and "from" in opts}
    built = {name: _table_mapping(name, opts, top, origin) for name, opts in tables.items()
             if name not in derived}
    for name in TABLES:
        if name not in built and name not in derived and any(v is not None
                                                             for v in top.values()):
            built[name] = _table_mapping(name, {}, top, origin)
    for name, opts in derived.items():
        parent = _checked_parent(name, opts, tables, origin)
        built[name] = _derived_mapping(
            name, opts, built.get(parent) or _table_mapping(parent, {}, top, origin), parent,
            origin)
    return Mapping(tables={t: built[t] for t in TABLES if t in built}, origin=origin)


#: Tables that can be built from another table's rows (``from:``): one required id column.
DERIVABLE = tuple(t for t, spec in TABLES.items() if len(spec.key) == 1
                  and not spec.column(spec.key[0]).nullable)


def _checked_parent(table: str, opts: dict[str, Any], tables: dict[str, Any],
                    origin: str) -> str:
    """The table named by ``from:``, checked: another salesnb table read from a file."""
    where = f"mapping {origin}, tables.{table}.from"
    parent = opts["from"]
    if not isinstance(parent, str) or not parent.strip():
        raise MappingError(f"{where}: expected the name of the table whose rows hold the "
                           f"{table}' attributes (e.g. 'from: orders'), got {parent!r}")
    parent = parent.strip()
    if parent not in TABLES:
        raise MappingError(f"{where}: {parent!r} is not a salesnb table; name the table whose "
                           f"rows hold the {table}' attributes, one of: "
                           f"{', '.join(t for t in TABLES if t != table)}")
    if parent == table:
        raise MappingError(f"{where}: {table} cannot be built from itself; name the table "
                           "whose rows hold its attributes (e.g. 'from: orders'), or remove "
                           "'from:' to read it from its own file")
    up = tables.get(parent)
    if isinstance(up, dict) and "from" in up:
        raise MappingError(f"{where}: {parent} is itself built 'from: {up['from']}'; name a "
                           f"table read from a file (e.g. 'from: {up['from']}')")
    if table not in DERIVABLE:
        raise MappingError(f"{where}: {table} cannot be built from another table's rows (it "
                           "has no single id column to collapse them by); tables that can: "
                           f"{', '.join(DERIVABLE)}")
    own = sorted(set(opts) & set(_READ_KEYS))
    if own:
        raise MappingError(f"mapping {origin}, tables.{table}: {', '.join(own)} cannot be set "
                           f"on a table built 'from: {parent}': it is read with {parent}'s "
                           f"file and reading options (set them on {parent})")
    return parent


def _derived_mapping(table: str, opts: dict[str, Any], parent_map: TableMapping, parent: str,
                     origin: str) -> TableMapping:
    """The mapping of a derived table: the parent's reading and renames, its own on top."""
    own = _table_mapping(table, {k: v for k, v in opts.items() if k != "from"}, {}, origin)
    inherited = {src: dst for src, dst in parent_map.columns.items()
                 if src not in own.columns and dst not in own.columns.values()}
    return replace(parent_map, file=None, columns={**inherited, **own.columns},
                   values={**parent_map.values, **own.values},
                   drop=tuple(dict.fromkeys(parent_map.drop + own.drop)), parent=parent,
                   own_columns=own.columns)
