"""Project paths, in one place: a source checkout's folders, or the installed package's bundle.

In a source checkout (``pip install -e .``, what ``make`` does) the report notebooks, the
embedded dataset and the outputs are the checkout's ``notebooks/``, ``data/`` and ``outputs/``.

In an installed wheel the report notebooks, the sample dataset and the bonus plan ship inside
the package (``salesnb/_bundle/notebooks`` and ``salesnb/_bundle/data``, copied there when the
wheel is built, see ``setup.py``) and are found through :mod:`importlib.resources`; reports go
to ``outputs/`` under the current folder, never into site-packages.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

from salesnb.errors import SalesnbError, SourceError

# OUTPUTS_DIR is computed when read (module __getattr__): the current folder may change
__all__ = ["PROJ_ROOT", "DATA_DIR", "NOTEBOOKS_DIR", "OUTPUTS_DIR",  # noqa: F822
           "ARTIFACTS_ENV", "HEADLESS_ENV", "DATA_CACHE_ENV", "ENGINE_ENV", "THREADS_ENV",
           "MEMORY_ENV", "SOURCE_CHECKOUT",
           "BUNDLE",
           "outputs_dir", "resolve_path", "resolve_source", "artifact_path", "export_name_problem"]

#: Folder of the package's bundled notebooks and data inside an installed wheel.
BUNDLE = "_bundle"


def _is_checkout(root: Path) -> bool:
    """Whether ``root`` is a salesnb source checkout (holds the project and its folders)."""
    return ((root / "pyproject.toml").is_file() and (root / "notebooks").is_dir()
            and (root / "data").is_dir())


def _bundle_root() -> Path:
    """The installed package's bundle folder (``salesnb/_bundle``)."""
    root = resources.files(__package__ or "salesnb").joinpath(BUNDLE)
    # a wheel installs as plain files, so this is a real folder (not a zip member)
    return root if isinstance(root, Path) else Path(str(root))


_CHECKOUT = Path(__file__).resolve().parents[1]
#: True in a source checkout (editable install), False in an installed wheel.
SOURCE_CHECKOUT = _is_checkout(_CHECKOUT)
#: The folder holding ``notebooks/`` and ``data/``: the root of a source checkout (with
#: ``pyproject.toml``), or the bundle inside an installed package. Relative paths that do not
#: exist from the current folder are tried from here (so ``"data"`` is the sample).
PROJ_ROOT = _CHECKOUT if SOURCE_CHECKOUT else _bundle_root()
#: The embedded default dataset (and the bonus plan, ``bonus_plan.yaml``).
DATA_DIR = PROJ_ROOT / "data"
#: The report notebooks.
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
#: Environment variable the runner sets for its kernels: the run folder of the report.
ARTIFACTS_ENV = "SALESNB_ARTIFACTS"
#: Environment variable the runner sets to ``1`` for its kernels: widget panels render static.
HEADLESS_ENV = "SALESNB_HEADLESS"
#: Environment variable naming a folder where report data is cached (``salesnb app`` sets it).
DATA_CACHE_ENV = "SALESNB_DATA_CACHE"
#: Environment variable choosing where reports that read order lines as sums run them:
#: unset or ``duckdb`` (the source validated into DuckDB; a ``salesnb copy`` schema on its
#: PostgreSQL server) or ``spark`` (the source a folder of Parquet tables, read by the Spark
#: session of ``SALESNB_SPARK_MASTER``; ``salesnb run --engine spark`` sets it).
ENGINE_ENV = "SALESNB_ENGINE"
#: Environment variable: how many threads DuckDB may use in this process (the runner sets it
#: for parallel kernels, with the BLAS and OpenMP ones, so they share the cores).
THREADS_ENV = "SALESNB_THREADS"
#: Environment variable: DuckDB's memory limit in this process (``4GB``); past it DuckDB
#: spills to a temporary folder of its own instead of growing (its default is 80 % of the
#: machine's memory). ``salesnb run --memory-limit`` sets it for the kernels.
MEMORY_ENV = "SALESNB_MEMORY_LIMIT"


def outputs_dir() -> Path:
    """Where reports land by default.

    ``outputs/`` in a source checkout; ``outputs/`` under the current folder for an installed
    package (never inside site-packages).

    Returns
    -------
    pathlib.Path
        An absolute path (the folder may not exist yet).
    """
    return PROJ_ROOT / "outputs" if SOURCE_CHECKOUT else Path.cwd() / "outputs"


def __getattr__(name: str) -> Path:
    """``OUTPUTS_DIR``: :func:`outputs_dir` at the time it is read (PEP 562)."""
    if name == "OUTPUTS_DIR":
        return outputs_dir()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def export_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be the file name of a report's export, or None when it can.

    An export stays in its run folder: the name is a plain file name (``actions.xlsx``), with
    no folder part (``a/b.xlsx``, ``../x.csv``, ``/tmp/x.csv``, ``~/x.csv``), not ``.`` or
    ``..``, not hidden (``.x.csv``) and without control characters.

    Parameters
    ----------
    name : str
        The name a parameter gave.

    Returns
    -------
    str or None
        A short reason (for an error message), or None for an allowed name.
    """
    if not isinstance(name, str) or not name.strip():
        return "it is empty"
    if "/" in name or "\\" in name or name != Path(name).name or Path(name).is_absolute():
        return "it has a folder part"
    if name.startswith((".", "~")):
        return "it starts with '.' or '~'"
    if any(ord(ch) < 32 or ch == "\x7f" for ch in name):
        return "it has control characters"
    return None


def artifact_path(name: str) -> Path | None:
    """Where a report writes a file it exports (e.g. a list for reps), or None.

    In a scheduled run it is the report's own run folder (so the file sits beside the HTML
    and the index links it). Elsewhere (JupyterLab, the managers' app) it is None: opening a
    page must not write files; the notebook says how to export instead.

    Parameters
    ----------
    name : str
        File name of the export (e.g. ``"bonus_payouts.xlsx"``): a plain file name, never a
        path (see :func:`export_name_problem`).

    Returns
    -------
    pathlib.Path or None
        The file's path in the run folder (which is created), or None outside a run.

    Raises
    ------
    SalesnbError
        When ``name`` is not a plain file name (it would land outside the run folder).
    """
    problem = export_name_problem(name)
    if problem is not None:
        raise SalesnbError(f"export file name {name!r} is refused: {problem}; give a plain "
                           "file name such as 'actions.xlsx' (it is written into the run "
                           "folder)")
    folder = os.environ.get(ARTIFACTS_ENV)
    if not folder:
        return None
    base = Path(folder).resolve()
    base.mkdir(parents=True, exist_ok=True)
    target = base / name
    if target.resolve().parent != base:  # e.g. a symlink planted in the run folder
        raise SalesnbError(f"export file name {name!r} is refused: it leads outside the run "
                           f"folder {base}")
    return target


def resolve_source(source: str | Path) -> str:
    """Resolve a data source a person gave: a path as :func:`resolve_path`, or a database URL.

    A ``postgresql://`` URL is kept as it is, but its password moves into ``PGPASSWORD``
    (:func:`salesnb.data.postgres.move_password`): the URL returned is safe to record in a
    notebook's parameters, a manifest or a page.

    Parameters
    ----------
    source : str or pathlib.Path
        A folder, a ``.duckdb`` file or a ``postgresql://`` URL.

    Returns
    -------
    str
        The absolute path, or the URL without its password.

    Raises
    ------
    SourceError
        When the path does not exist, or the URL is not a PostgreSQL one.
    """
    text = str(source)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text):
        from salesnb.data.urls import is_url, move_password, redact

        if not is_url(text):
            raise SourceError(f"{redact(text)}: only postgresql:// database URLs are "
                              "supported as a source (or a folder, or a .duckdb file)")
        return move_password(text)
    return str(resolve_path(source))


def resolve_path(path: str | Path) -> Path:
    """Resolve a user path: absolute as is; relative from the current folder, else the project.

    "The project" is :data:`PROJ_ROOT`: the source checkout, or the installed package's bundle,
    so ``"data"`` and ``"data/bonus_plan.yaml"`` find the embedded sample when the current
    folder has no ``data/``.

    Parameters
    ----------
    path : str or pathlib.Path
        The path a person gave (``~`` is expanded).

    Returns
    -------
    pathlib.Path
        The existing path, absolute.

    Raises
    ------
    SourceError
        When neither location exists, or for a database URL (a source, not a file: see
        :func:`resolve_source`; the URL shown without its password).
    """
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", str(path)):
        from salesnb.data.urls import redact

        raise SourceError(f"{redact(str(path))}: a database URL is a data source, not a "
                          "file; give a file path here")
    p = Path(path).expanduser()
    if p.is_absolute():
        if not p.exists():
            raise SourceError(f"{p} does not exist")
        return p
    for base in (Path.cwd(), PROJ_ROOT):
        if (base / p).exists():
            return (base / p).resolve()
    where = "the project" if SOURCE_CHECKOUT else "the bundled sample"
    raise SourceError(f"{path} does not exist (looked in {Path.cwd()} and {where}, "
                      f"{PROJ_ROOT}); pass a folder of table files or a .duckdb file")
