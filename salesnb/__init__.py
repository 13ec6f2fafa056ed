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

#: Analysis modules reachable as ``sn.<name>`` without importing them up front (PEP 562).
_SUBMODULES = ("quality", "leads", "assign", "forecast", "trends", "segments", "products",
               "regions", "assessment", "reporting", "widgets", "generate", "schema")


def __getattr__(name: str) -> object:
    """Import an analysis module on first use: ``sn.segments.rfm(...)``."""
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
