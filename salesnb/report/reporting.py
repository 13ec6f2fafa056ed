"""Helpers the report notebooks share: where the data is, loading it for a report, looks.

Kept apart from the analysis modules: this is the one place that knows report notebooks run
from ``notebooks/`` while people pass paths relative to wherever they are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path

import matplotlib as mpl
import pandas as pd
import seaborn as sns

from salesnb.core.periods import parse_as_of
from salesnb.data.loader import SalesData, load
from salesnb.paths import DATA_CACHE_ENV, resolve_path

__all__ = ["report_data", "setup", "show", "export_note"]


def report_data(source: str, mapping: str = "", as_of: str = "", *, show_pii: bool = False,
                tables: list[str] | None = None) -> SalesData:
    """Load the data a report runs on, without personal data unless asked.

    Parameters
    ----------
    source : str
        Folder or ``.duckdb`` file (see :func:`salesnb.paths.resolve_path`).
    mapping : str, default=""
        YAML mapping file; empty for none.
    as_of : str, default=""
        ISO date the report is as of; empty for today
        (:func:`salesnb.core.periods.parse_as_of`).
    show_pii : bool, default=False
        Keep names, e-mails and phones.
    tables : list of str, optional
        Tables to load (default: all in the source).

    Returns
    -------
    SalesData

    Notes
    -----
    When ``SALESNB_DATA_CACHE`` (:data:`salesnb.paths.DATA_CACHE_ENV`) names a folder
    (``salesnb app`` sets it), the loaded and
    validated data is kept there, keyed by the source files' names, sizes and modification
    times, the mapping, the as-of day, the tables and ``show_pii``: every page of the app
    after the first skips loading and validation until an export changes.
    """
    src = resolve_path(source)
    map_path = resolve_path(mapping) if mapping else None
    day = parse_as_of(as_of)
    cache_dir = os.environ.get(DATA_CACHE_ENV)
    key = _cache_key(src, map_path, day, tables, show_pii) if cache_dir else None
    if key:
        cached = Path(cache_dir) / f"{key}.pickle"  # type: ignore[arg-type]
        try:
            with cached.open("rb") as fh:
                return pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass  # not cached yet (or from another version): load and validate
    data = load(src, map_path, tables=tables, as_of=day)
    data = data if show_pii else data.without_pii()
    if key:
        _write_atomic(Path(cache_dir) / f"{key}.pickle", pickle.dumps(data, protocol=5))  # type: ignore[arg-type]
    return data


def _cache_key(source: Path, mapping: Path | None, day: dt.date, tables: list[str] | None,
               show_pii: bool) -> str:
    """Fingerprint of everything a loaded report dataset depends on."""
    from salesnb import __version__

    files = sorted(source.rglob("*")) if source.is_dir() else [source]
    if mapping is not None:
        files.append(mapping)
    parts = [__version__, str(source), str(day), repr(sorted(tables or [])), str(show_pii)]
    for f in files:
        if f.is_file():
            st = f.stat()
            parts.append(f"{f}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _write_atomic(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)


def setup() -> None:
    """Set the plotting theme and table display options used by every report."""
    sns.set_theme(style="whitegrid", context="notebook", palette="deep")
    mpl.rcParams.update({"figure.figsize": (9, 4.5), "figure.dpi": 100,
                         "axes.titleweight": "bold", "axes.titlesize": 12})
    pd.set_option("display.max_rows", 60)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 140)
    pd.set_option("display.float_format", "{:,.2f}".format)


def show(frame: pd.DataFrame, empty: str = "Nothing to show.", *, index: bool = False,
         precision: int = 2) -> object:
    """Display-ready version of a table for a report: formatted, or a sentence when empty.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    empty : str
        Sentence shown instead of an empty table.
    index : bool, default=False
        Show the index.
    precision : int, default=2
        Decimals of floats.

    Returns
    -------
    pandas.io.formats.style.Styler or IPython.display.Markdown
        What the notebook displays.
    """
    from IPython.display import Markdown

    if frame.empty:
        return Markdown(f"*{empty}*")
    styler = frame.style.format(precision=precision, thousands=",", na_rep="")
    styler = styler.format(lambda v: v.strftime("%Y-%m-%d") if pd.notna(v) else "",
                           subset=[c for c in frame.columns
                                   if pd.api.types.is_datetime64_any_dtype(frame[c])])
    text = [c for c in frame.columns if pd.api.types.is_string_dtype(frame[c])
            or isinstance(frame[c].dtype, pd.CategoricalDtype)]
    if text:  # words read from the left; numbers stay right-aligned
        styler = styler.set_properties(subset=text, **{"text-align": "left"})
    return styler if index else styler.hide(axis="index")


def export_note(file_name: str, write: Callable[[Path], Path], *, what: str, how: str,
                param: str) -> str:
    """Write a report's export beside a scheduled run's HTML and say so, in Markdown.

    Parameters
    ----------
    file_name : str
        File name from the report's parameters; empty writes nothing.
    write : callable
        Writes the export to the path it is given and returns it.
    what : str
        What the file holds, e.g. "the list for reps (customer ids only)".
    how : str
        The call that writes it by hand, shown where nothing is written.
    param : str
        The parameter that names the file (mentioned when it is empty).

    Returns
    -------
    str
        The sentence for the report. Outside a scheduled run (JupyterLab, the managers'
        app) nothing is written: opening a page must not create files.
    """
    from salesnb.paths import artifact_path

    if not file_name:
        return f"No file written (`{param}` is empty)."
    target = artifact_path(file_name)
    if target is None:
        return (f"A scheduled run writes {what} beside its report as `{file_name}`; here, "
                f"`{how}` writes it.")
    path = write(target)
    return (f"{what[0].upper()}{what[1:]} is written to [{path.name}]({path.name}) beside "
            "this report.")
