"""Project paths, in one place."""

from __future__ import annotations

from pathlib import Path

from .errors import SourceError

__all__ = ["PROJ_ROOT", "DATA_DIR", "NOTEBOOKS_DIR", "OUTPUTS_DIR", "resolve_path"]

#: Root of a source checkout (the folder holding ``pyproject.toml``).
PROJ_ROOT = Path(__file__).resolve().parents[1]
#: The embedded default dataset.
DATA_DIR = PROJ_ROOT / "data"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
OUTPUTS_DIR = PROJ_ROOT / "outputs"


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
