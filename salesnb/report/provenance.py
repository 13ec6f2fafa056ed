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
        A folder (every file below it, hidden files and ``.md`` left out), one file, or a
        ``postgresql://`` URL (its schema's salesnb tables, read on the server).

    Returns
    -------
    dict
        ``{"path", "sha256", "files", "bytes"}``; for a database ``files`` counts its
        salesnb tables and ``bytes`` is absent (``rows`` counts their rows).
    """
    from salesnb.data.urls import is_url

    if is_url(str(source)):
        return _database_fingerprint(str(source))
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


def _database_fingerprint(url: str) -> dict[str, Any]:
    """SHA-256 over each table's name, row count and rows (in any stored order).

    The salesnb tables, the quarantine and ``salesnb_copy`` go into the digest; ``files``
    and ``rows`` count the salesnb tables only.
    """
    from salesnb.core.sql import quote_ident
    from salesnb.data.postgres import COPY_MARKER, connect, redact, split_url
    from salesnb.data.schema import TABLE_ORDER

    schema = split_url(url)[1]
    digest, rows, found = hashlib.sha256(), 0, 0
    with connect(url) as con:
        names = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,)).fetchall()}
        for name in [*TABLE_ORDER, "quarantine", COPY_MARKER]:
            if name not in names:
                continue
            table = f"{quote_ident(schema)}.{quote_ident(name)}"
            count, rows_md5 = con.execute(
                f"SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) "
                f"FROM (SELECT md5(t::text) AS h FROM {table} t) s").fetchone()
            digest.update(f"{name}:{count}:{rows_md5}\n".encode())
            if name in TABLE_ORDER:
                rows, found = rows + count, found + 1
    return {"path": redact(url), "sha256": digest.hexdigest(), "files": found, "rows": rows}


def versions() -> dict[str, str]:
    """Python's and the key packages' versions, for the manifest."""
    out = {"python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out
