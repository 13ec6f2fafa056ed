"""Project paths, in one place."""

from __future__ import annotations

from pathlib import Path

__all__ = ["PROJ_ROOT", "DATA_DIR", "NOTEBOOKS_DIR", "OUTPUTS_DIR"]

#: Root of a source checkout (the folder holding ``pyproject.toml``).
PROJ_ROOT = Path(__file__).resolve().parents[1]
#: The embedded default dataset.
DATA_DIR = PROJ_ROOT / "data"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
OUTPUTS_DIR = PROJ_ROOT / "outputs"
