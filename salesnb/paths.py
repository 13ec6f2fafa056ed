"""Project paths, in one place."""

from __future__ import annotations

import os
from pathlib import Path

from salesnb.errors import SourceError

__all__ = ["PROJ_ROOT", "DATA_DIR", "NOTEBOOKS_DIR", "OUTPUTS_DIR", "ARTIFACTS_ENV",
           "resolve_path", "artifact_path"]

#: Root of a source checkout (the folder holding ``pyproject.toml``).
PROJ_ROOT = Path(__file__).resolve().parents[1]
#: The embedded default dataset.
DATA_DIR = PROJ_ROOT / "data"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
OUTPUTS_DIR = PROJ_ROOT / "outputs"
#: Environment variable the runner sets for its kernels: the run folder of the report.
ARTIFACTS_ENV = "SALESNB_ARTIFACTS"


def artifact_path(name: str) -> Path | None:
    """Where a report writes a file it exports (e.g. a list for reps), or None.

    In a scheduled run it is the report's own run folder (so the file sits beside the HTML
    and the index links it). Elsewhere (JupyterLab, the managers' app) it is None: opening a
    page must not write files; the notebook says how to export instead.
    """
    folder = os.environ.get(ARTIFACTS_ENV)
    if not folder:
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder) / name


def resolve_path(path: str | Path) -> Path:
    """Resolve a user path: absolute as is; relative from the current folder, else the project.

    Raises
    ------
    SourceError
        When neither location exists.
    """
    p = Path(path).expanduser()
    if p.is_absolute():
        if not p.exists():
            raise SourceError(f"{p} does not exist")
        return p
    for base in (Path.cwd(), PROJ_ROOT):
        if (base / p).exists():
            return (base / p).resolve()
    raise SourceError(f"{path} does not exist (looked in {Path.cwd()} and {PROJ_ROOT}); pass "
                      "a folder of table files or a .duckdb file")
