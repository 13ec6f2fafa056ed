"""Column mappings: how a real company export's names and codes become salesnb's.

A mapping is a YAML file (or the same structure as a dict)::

    # options for every table (all optional)
    na_values: ["NA", "n/a"]              # texts that mean "empty"
    date_formats: ["%m/%d/%y %H:%M"]      # extra strptime formats, tried after ISO dates
    encoding: gbk                         # force a text encoding (else detected)
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

Columns the mapping does not name keep their name; a name that matches a salesnb column up to
case, spaces and hyphens (``Order ID`` -> ``order_id``) is matched automatically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from salesnb.core.files import read_yaml
from salesnb.data.schema import TABLES
from salesnb.errors import MappingError

__all__ = ["TableMapping", "Mapping", "load_mapping", "normalise_name"]

_TABLE_KEYS = {"file", "columns", "values", "drop", "date_formats", "na_values", "encoding",
               "delimiter", "sheet"}
_TOP_KEYS = {"tables", "date_formats", "na_values", "encoding"}


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
        Excel sheet; the first when not given.
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
    columns = raw.get("columns") or {}
    if not isinstance(columns, dict):
        raise MappingError(f"{where}.columns: expected 'source name: salesnb name' pairs")
    columns = {str(k): str(v) for k, v in columns.items()}
    targets = list(columns.values())
    dup = sorted({t for t in targets if targets.count(t) > 1})
    if dup:
        raise MappingError(f"{where}.columns: several source columns map to {dup}; "
                           "map exactly one source column to each salesnb column")
    values = raw.get("values") or {}
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise MappingError(f"{where}.values: expected 'column: {{source value: salesnb value}}'")
    values = {str(col): {str(k).strip().lower(): str(v) for k, v in codes.items()}
              for col, codes in values.items()}
    sheet = raw.get("sheet")
    return TableMapping(
        file=str(raw["file"]) if raw.get("file") is not None else None,
        columns=columns,
        values=values,
        drop=_str_list(raw.get("drop"), f"{where}.drop"),
        date_formats=_str_list(raw.get("date_formats", top.get("date_formats")),
                               f"{where}.date_formats"),
        na_values=_str_list(raw.get("na_values", top.get("na_values")), f"{where}.na_values"),
        encoding=raw.get("encoding", top.get("encoding")),
        delimiter=raw.get("delimiter"),
        sheet=sheet if isinstance(sheet, (int, str)) else None,
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
        When the file is missing, is not valid YAML, names an unknown table or option, or maps
        two source columns to one salesnb column.
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
    top = {k: mapping.get(k) for k in ("date_formats", "na_values", "encoding")}
    built = {name: _table_mapping(name, opts, top, origin) for name, opts in tables.items()}
    for name in TABLES:
        if name not in built and any(top.values()):
            built[name] = _table_mapping(name, {}, top, origin)
    return Mapping(tables=built, origin=origin)
