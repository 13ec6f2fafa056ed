"""What a run records to trace a report to its inputs: the data's fingerprint, the versions.

Written into each run's ``manifest.json`` by :mod:`salesnb.report.runner`.
"""

from __future__ import annotations

import hashlib
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

__all__ = ["fingerprint", "versions", "PACKAGES"]

#: Packages whose versions a manifest records.
PACKAGES = ("salesnb", "pandas", "numpy", "pyarrow", "duckdb", "scikit-learn", "statsmodels",
            "matplotlib", "seaborn", "papermill", "nbconvert", "ipykernel")


def fingerprint(source: str | Path) -> dict[str, Any]:
    """SHA-256 of a data source's files (names and contents), so a report can be traced to data.

    Parameters
    ----------
    source : str or pathlib.Path
        A folder (every file below it, hidden files and ``.md`` left out) or one file.

    Returns
    -------
    dict
        ``{"path", "sha256", "files", "bytes"}``.
    """
    path = Path(source)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    files = [f for f in files if not f.name.startswith(".") and f.suffix.lower() != ".md"]
    digest = hashlib.sha256()
    total = 0
    for f in files:
        digest.update(str(f.relative_to(path) if path.is_dir() else f.name).encode())
        with f.open("rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
                total += len(block)
    return {"path": str(path), "sha256": digest.hexdigest(), "files": len(files), "bytes": total}


def versions() -> dict[str, str]:
    """Python's and the key packages' versions, for the manifest."""
    out = {"python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out
