"""Optional dependencies (extras): import one, or say which extra installs it.

salesnb installs what every report needs; the parts only some people use are extras:

========  ===========================  ==========================================
extra     installs                     needed for
========  ===========================  ==========================================
app       voila                        ``salesnb app`` (the managers' app)
lab       jupyterlab                   ``jupyter lab`` on the notebooks (analysts)
assign    ortools                      the fast lead-assignment solver (without it
                                       a slower SciPy route solves large problems)
postgres  psycopg                      PostgreSQL sources (``postgresql://`` URLs)
                                       and ``salesnb copy``
spark     pyspark                      Spark as the engine (needs a Java runtime)
pdf       playwright                   ``salesnb run --pdf`` (drives a Chromium
                                       already installed, e.g. Debian's)
dev       test tools and every extra   ``make test``, ``make reports``
========  ===========================  ==========================================

``pip install 'salesnb[app]'`` adds one; ``pip install -e '.[dev]'`` (what ``make`` runs)
installs them all.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from salesnb.errors import SalesnbError

__all__ = ["EXTRAS", "MissingExtraError", "require_extra", "has_extra"]

#: Extra -> (module it provides, what it is for).
EXTRAS: dict[str, tuple[str, str]] = {
    "app": ("voila", "the managers' app (salesnb app)"),
    "lab": ("jupyterlab", "JupyterLab"),
    "assign": ("ortools", "the fast lead-assignment solver"),
    "postgres": ("psycopg", "PostgreSQL sources and salesnb copy"),
    "spark": ("pyspark", "Spark as the engine"),
    "pdf": ("playwright", "printing reports to PDF (salesnb run --pdf)"),
}


class MissingExtraError(SalesnbError, ImportError):
    """An optional dependency is not installed; the message names the extra that installs it."""


def require_extra(module: str, extra: str) -> ModuleType:
    """Import ``module``, or raise an error naming the extra that installs it.

    Parameters
    ----------
    module : str
        Module to import, e.g. ``"voila.app"`` or ``"ortools.graph.python.min_cost_flow"``.
    extra : str
        The salesnb extra that installs it (``"app"``, ``"lab"``, ``"assign"``).

    Returns
    -------
    types.ModuleType
        The imported module.

    Raises
    ------
    MissingExtraError
        When the module (or its top-level package) is not installed. It is a
        :class:`~salesnb.errors.SalesnbError` and an :class:`ImportError`.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        top = module.partition(".")[0]
        if exc.name is not None and exc.name.partition(".")[0] != top:
            raise  # the module is there but one of its own dependencies is broken
        what = EXTRAS.get(extra, (top, f"the {extra!r} extra"))[1]
        raise MissingExtraError(
            f"{what} needs {top}, which is not installed: pip install 'salesnb[{extra}]'"
        ) from None


def has_extra(extra: str) -> bool:
    """Whether the module an extra installs can be imported.

    Parameters
    ----------
    extra : str
        A key of :data:`EXTRAS` (``"app"``, ``"lab"``, ``"assign"``).

    Returns
    -------
    bool
        True when the extra's module is installed.
    """
    return importlib.util.find_spec(EXTRAS[extra][0]) is not None
