"""salesnb: a Jupyter analytics workbench for sales teams.

>>> import salesnb as sn
>>> d = sn.load("data")          # doctest: +SKIP
>>> d.summary()                  # doctest: +SKIP
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .data import SalesData, ValidationReport, load, query, validate
from .errors import MappingError, SalesnbError, SourceError, TableError
from .schema import TABLES

try:
    __version__ = version("salesnb")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "SalesData",
    "ValidationReport",
    "load",
    "query",
    "validate",
    "TABLES",
    "SalesnbError",
    "SourceError",
    "TableError",
    "MappingError",
    "__version__",
]
