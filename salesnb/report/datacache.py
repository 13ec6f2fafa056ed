"""The app's cache of loaded report data: one folder per dataset, data only, never code.

:func:`salesnb.report.reporting.report_data` keeps the loaded, validated data of a source
here when ``SALESNB_DATA_CACHE`` names a folder (``salesnb app`` sets it), keyed by
:func:`cache_key`; :func:`read_cache` gives it back until an export changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa

from salesnb.data.loader import SalesData, ValidationReport
from salesnb.data.urls import is_url

__all__ = ["CACHE_FORMAT", "cache_key", "read_cache", "write_cache"]

#: Format of a cached dataset (``meta.json``'s ``format``); any other is ignored.
CACHE_FORMAT = "salesnb-data-cache/2"  # 2: reps' names kept (not personal data)
_CACHE_META = "meta.json"
#: Largest ``meta.json`` read (it holds names, counts and messages, never rows).
_CACHE_META_LIMIT = 8 * 2**20
_FRAME_FILE = re.compile(r"frame-[0-9]{1,6}\.arrow")


class _Uncacheable(Exception):
    """A value of the loaded data has no data-only form: that dataset is not cached."""


def cache_key(source: str, mapping: Path | None, day: dt.date, tables: list[str] | None,
               show_pii: bool, *, rollup: Sequence[str] = ()) -> str:
    """Fingerprint of everything a loaded report dataset depends on (a folder name)."""
    from salesnb import __version__

    path = Path(source)
    files = ([] if is_url(source) else sorted(path.rglob("*")) if path.is_dir() else [path])
    if mapping is not None:
        files.append(mapping)
    parts = [CACHE_FORMAT, __version__, str(source), str(day), repr(sorted(tables or [])),
             str(show_pii), repr(tuple(rollup))]
    for f in files:
        if f.is_file():
            st = f.stat()
            parts.append(f"{f}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _encode(value: object, frames: dict[str, pd.DataFrame]) -> object:
    """JSON form of a value of :class:`SalesData`; DataFrames go to ``frames`` by file name.

    Tagged one-key objects mark what JSON has no type for (``$frame``, ``$date``, ``$dict``,
    ``$tuple``, ``$report``, ``$data``); :func:`_decode` knows exactly these and nothing else.
    """
    if isinstance(value, pd.DataFrame):
        name = f"frame-{len(frames)}.arrow"
        frames[name] = value
        return {"$frame": name}
    if isinstance(value, SalesData | ValidationReport):
        tag = "$data" if isinstance(value, SalesData) else "$report"
        return {tag: {f.name: _encode(getattr(value, f.name), frames)
                      for f in dataclasses.fields(value)}}
    if isinstance(value, dt.datetime):
        raise _Uncacheable("a datetime")
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise _Uncacheable("a dict with keys that are not strings")
        return {"$dict": {k: _encode(v, frames) for k, v in value.items()}}
    if isinstance(value, tuple | list):
        items = [_encode(v, frames) for v in value]
        return {"$tuple": items} if isinstance(value, tuple) else items
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise _Uncacheable(type(value).__name__)


def _decode(value: object, entry: Path) -> object:
    """The value :func:`_encode` wrote, reading its frames from the folder ``entry``."""
    if isinstance(value, list):
        return [_decode(v, entry) for v in value]
    if not isinstance(value, dict):
        if value is None or isinstance(value, str | bool | int | float):
            return value
        raise ValueError(f"unexpected {type(value).__name__} in the cache")
    if len(value) != 1:
        raise ValueError("unexpected object in the cache")
    (tag, body), = value.items()
    if tag == "$frame" and isinstance(body, str) and _FRAME_FILE.fullmatch(body):
        with _open_regular(entry / body) as fh:
            return pa.ipc.open_file(fh).read_all().to_pandas()
    if tag == "$date" and isinstance(body, str):
        return dt.date.fromisoformat(body)
    if tag == "$tuple" and isinstance(body, list):
        return tuple(_decode(v, entry) for v in body)
    if tag in ("$dict", "$data", "$report") and isinstance(body, dict):
        items = {str(k): _decode(v, entry) for k, v in body.items()}
        if tag == "$dict":
            return items
        kind = SalesData if tag == "$data" else ValidationReport
        return kind(**items)  # a TypeError when the fields changed: loaded again
    raise ValueError(f"unexpected {tag!r} in the cache")


def _open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for reading only if it is a regular file of this user (no symlink)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                 | getattr(os, "O_NONBLOCK", 0))  # a FIFO planted there must not hang
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or (hasattr(os, "getuid")
                                            and st.st_uid != os.getuid()):
            raise OSError(f"{path} is not a regular file of this user")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_cache(entry: Path) -> SalesData | None:
    """The dataset cached in the folder ``entry``, or None (absent, corrupt or foreign).

    Nothing read here can run code: ``meta.json`` is parsed as JSON and only the tags of
    :func:`_decode` are accepted; tables are Arrow IPC files converted to DataFrames.
    """
    try:
        if entry.is_symlink() or not entry.is_dir():
            return None
        with _open_regular(entry / _CACHE_META) as fh:
            raw = fh.read(_CACHE_META_LIMIT + 1)
        if len(raw) > _CACHE_META_LIMIT:
            return None
        meta = json.loads(raw)
        if (not isinstance(meta, dict) or meta.get("format") != CACHE_FORMAT
                or meta.get("key") != entry.name):
            return None
        data = _decode(meta.get("data"), entry)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, pa.ArrowException):
        return None  # not cached yet, or not ours: load and validate again
    return data if isinstance(data, SalesData) else None


def write_cache(entry: Path, data: SalesData) -> None:
    """Cache ``data`` in the folder ``entry`` (replaced as a whole), or leave it as it was.

    The folder is built under a temporary name beside it, then renamed into place, so a
    reader sees a complete dataset or none; a failure (full disk, a value with no data-only
    form) writes nothing and the page goes on with the data it loaded.
    """
    frames: dict[str, pd.DataFrame] = {}
    try:
        meta = json.dumps({"format": CACHE_FORMAT, "key": entry.name,
                           "data": _encode(data, frames)}, allow_nan=False)
    except (_Uncacheable, TypeError, ValueError):
        return
    tmp: Path | None = None
    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=entry.parent, prefix=".tmp-"))  # mode 0700
        options = pa.ipc.IpcWriteOptions(compression="lz4")
        for name, frame in frames.items():
            table = pa.Table.from_pandas(frame, preserve_index=None)
            with pa.OSFile(str(tmp / name), "wb") as sink, \
                    pa.ipc.new_file(sink, table.schema, options=options) as writer:
                writer.write_table(table)
        _write_atomic(tmp / _CACHE_META, meta.encode())
        _discard(entry)
        os.replace(tmp, entry)  # fails if another kernel has just written it: keep theirs
        tmp = None
        for old in entry.parent.glob("*.pickle"):  # the cache of earlier versions
            old.unlink(missing_ok=True)
    except (OSError, TypeError, ValueError, pa.ArrowException):
        pass
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _discard(path: Path) -> None:
    """Remove a cache entry (a folder, or a file or symbolic link planted under its name)."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        aside = path.with_name(f".old-{secrets.token_hex(8)}")
        os.replace(path, aside)  # out of readers' way at once, then removed
        shutil.rmtree(aside, ignore_errors=True)


def _write_atomic(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` through a temporary file renamed into place (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise


