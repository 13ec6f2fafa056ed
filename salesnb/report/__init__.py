"""Reports: catalog, parameters, widget panels, report helpers and the runner.

The notebook catalog and its parameter schema, widget panels, the report helpers notebooks call,
and the papermill runner.

Public names are importable from here (``from salesnb.report import ...``); each module is
imported on first use (lazy_loader), so importing the package stays light.
"""

import lazy_loader as _lazy

_EXPORTS: dict[str, list[str]] = {
}

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=['catalog', 'params', 'widgets', 'runner', 'reporting', 'progress', 'execute',
                'engine', 'runfolder', 'pages'],
    submod_attrs=_EXPORTS,
)
