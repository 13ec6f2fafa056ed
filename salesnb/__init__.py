"""salesnb: a Jupyter analytics workbench for sales teams.

>>> import salesnb as sn
>>> d = sn.load("data")          # doctest: +SKIP
>>> d.summary()                  # doctest: +SKIP
>>> sn.segments.rfm(d.orders)    # doctest: +SKIP

One subpackage per domain (``data``, ``engine``, ``leads``, ``forecast``, ``segments``,
``products``, ``assessment``, ``report``, ``app``), plus ``quality`` (the data-quality report) and
``core`` (the helpers every domain shares). Everything is imported on first use, so
``import salesnb`` stays light. A few modules keep the short names the README uses:
``sn.assign`` (``salesnb.leads.assignment``), ``sn.trends`` (``salesnb.forecast.trends``),
``sn.regions`` (``salesnb.products.regions``), ``sn.schema``, ``sn.generate``,
``sn.reporting`` and ``sn.widgets``.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version

import lazy_loader as _lazy

from salesnb.errors import MappingError, SalesnbError, SourceError, TableError

#: Short names for modules that live inside a domain subpackage.
_ALIASES: dict[str, str] = {
    "assign": "salesnb.leads.assignment",
    "trends": "salesnb.forecast.trends",
    "regions": "salesnb.products.regions",
    "schema": "salesnb.data.schema",
    "generate": "salesnb.data.sample",
    "reporting": "salesnb.report.reporting",
    "widgets": "salesnb.report.widgets",
}

_getattr, _dir, _names = _lazy.attach(
    __name__,
    submodules=["core", "data", "quality", "leads", "forecast", "segments", "products",
                "scope", "assessment", "report", "app", "cli", "engine"],
    submod_attrs={"data": ["SalesData", "ValidationReport", "load", "query", "validate",
                           "TABLES"]},
)


def __getattr__(name: str) -> object:
    """Import a domain module or a public name on first use (PEP 562)."""
    if name in _ALIASES:
        return importlib.import_module(_ALIASES[name])
    return _getattr(name)


def __dir__() -> list[str]:
    """The public names, for tab completion."""
    return sorted({*_dir(), *_ALIASES, *__all__})


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
