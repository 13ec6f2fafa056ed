"""Helpers the report notebooks share: where the data is, loading it for a report, looks.

Kept apart from the analysis modules: this is the one place that knows report notebooks run
from ``notebooks/`` while people pass paths relative to wherever they are.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import html
import math
import numbers
import os
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns

from salesnb.core.fmt import code, day, escape, money, no_html, pct
from salesnb.core.i18n import (
    DEFAULT_CURRENCY,
    DEFAULT_LANGUAGE,
    _,
    language,
    ngettext,
    set_language,
)
from salesnb.core.periods import parse_as_of
from salesnb.data.loader import SalesData, load
from salesnb.data.schema import PROFILE
from salesnb.data.urls import is_url
from salesnb.errors import SalesnbError
from salesnb.paths import DATA_CACHE_ENV, ENGINE_ENV, resolve_path, resolve_source
from salesnb.report import sections
from salesnb.report.datacache import cache_key, read_cache, write_cache

__all__ = ["report_data", "settle_as_of", "data_sentence", "OLD_AFTER_DAYS", "setup", "show",
           "export_note", "escape"]


def report_data(source: str, mapping: str = "", as_of: str = "", *, show_pii: bool = False,
                tables: list[str] | None = None, scope: str = "company",
                rollup: Sequence[str] | None = None, marks: bool = False,
                profile: bool = False) -> SalesData:
    """Load the data a report runs on, for its scope, without personal data unless asked.

    Parameters
    ----------
    source : str
        Folder, ``.duckdb`` file or ``postgresql://`` URL (see
        :func:`salesnb.paths.resolve_source`).
    mapping : str, default=""
        YAML mapping file; empty for none.
    as_of : str, default=""
        ISO date the report is as of. Empty: today, or the data's own last day when the
        data ends more than :data:`OLD_AFTER_DAYS` days before today (see
        :func:`settle_as_of`); ``d.as_of`` is the day settled, which the report's analyses
        take. Rows dated after a given day are left out (and counted).
    show_pii : bool, default=False
        Keep names, e-mails and phones.
    tables : list of str, optional
        Tables to load (default: all in the source).
    scope : str, default="company"
        ``company``, ``region:<name>``, ``manager:<rep_id>`` or ``rep:<rep_id>``: every table
        is filtered to it (:func:`salesnb.scope.apply_scope`) before any analysis; ``d.scope``
        says which it is and ``d.whole`` keeps the company's data for the one labelled
        company comparison. In the managers' app the page's scope control (or the app's
        fixed scope, ``salesnb app --scope``) decides instead
        (:func:`salesnb.app.pagescope.page_scope`).
    rollup : sequence of str, optional
        For a report that reads order lines only as sums
        (:data:`salesnb.data.schema.ORDER_ROLLUP`): the orders come summed per day and these
        keys from the engine (:func:`salesnb.engine.engine_data`), never line by line, and
        every table is validated where it lives (DuckDB; a ``salesnb copy`` schema on its
        PostgreSQL server; with ``SALESNB_ENGINE=spark``, :data:`salesnb.paths.ENGINE_ENV`,
        a folder of Parquet tables read by Spark). ``tables`` are then the tables fetched.
    marks : bool, default=False
        With ``rollup``: the summed orders also carry the order and new-customer counts the
        assessment reads (:data:`salesnb.data.schema.ORDER_MARKS`).
    profile : bool, default=False
        With ``rollup``: the orders, and the other tables of
        :data:`salesnb.data.schema.PROFILE`, come as the data-quality report's counts
        (rows, filled values per column, possible double entries) instead of sums.

    Returns
    -------
    SalesData

    Raises
    ------
    ScopeError
        The scope names a region or person the data does not hold (the message lists the
        valid scopes).

    Notes
    -----
    The company's data is loaded once per process: a kernel that runs the report again (for
    another scope in a scheduled run, or after a page reload) gets the same loaded object
    while the source files are unchanged, so what every scope shares
    (:func:`salesnb.scope.shared`) is computed once.

    When ``SALESNB_DATA_CACHE`` (:data:`salesnb.paths.DATA_CACHE_ENV`) names a folder
    (``salesnb app`` sets it), the loaded and validated data is kept there, keyed by the
    source files' names, sizes and modification times, the mapping, the as-of day, the tables
    and ``show_pii``: every page of the app after the first skips loading and validation until
    an export changes.

    The cache holds data only, never code: one folder per dataset with an Arrow IPC file per
    table (and per table of the validation report) and a ``meta.json`` describing how they
    fit together (:func:`_write_cache`). Reading it builds only DataFrames, dates, strings,
    numbers, lists and dicts; a folder that is not exactly what this version writes (corrupt,
    foreign, another format, a symbolic link, another user's) is ignored, and the data is
    loaded again and written over it.
    """
    from salesnb.app.pagescope import page_scope, show_scope_control
    from salesnb.scope import apply_scope

    src = resolve_source(source)
    map_path = resolve_path(mapping) if mapping else None
    day = parse_as_of(as_of)
    engine = os.environ.get(ENGINE_ENV, "").strip().lower() if rollup else ""
    key = cache_key(src, map_path, day, tables, show_pii,
                    rollup=(engine, str(marks), str(profile), *(rollup or ())))
    data = _LOADED.get(key)
    if data is None:  # a database has no file stamps to tell a change: never cached on disk
        cache_dir = None if is_url(src) else os.environ.get(DATA_CACHE_ENV)
        entry = Path(cache_dir) / key if cache_dir else None
        data = read_cache(entry) if entry is not None else None
        if data is None:
            data = (load(src, map_path, tables=tables, as_of=day) if not rollup
                    else _rolled(src, map_path, day, tables, rollup, engine, marks, profile))
            data = data if show_pii else data.without_pii()
            if entry is not None:
                write_cache(entry, data)
        _LOADED.clear()  # one dataset per process: the newest
        _LOADED[key] = data
    data, record = settle_as_of(data, chosen=bool(str(as_of or "").strip()))
    chosen, fixed = page_scope(scope, data)
    data = apply_scope(data, chosen)
    record["scope"], record["scope_label"] = data.scope.text, data.scope.label
    record.update(_scope_totals(data))
    _show_data_line(record)
    show_scope_control(data, fixed=fixed)
    return data


def _rolled(source: str, mapping: Path | None, day: dt.date, tables: list[str] | None,
            keys: Sequence[str], engine: str, marks: bool, profile: bool) -> SalesData:
    """A report's data with the orders summed at ``keys`` in the engine (see report_data)."""
    from salesnb.engine import engine_data, open_engine, spark_engine, spark_session

    if engine not in ("", "duckdb", "spark"):
        raise SalesnbError(f"{ENGINE_ENV}={engine!r} is not an engine salesnb runs reports "
                           "on; use duckdb (the default) or spark")
    if engine == "spark":
        if mapping is not None:
            raise SalesnbError("a mapping applies while salesnb validates a source; Spark "
                               "reads Parquet tables already in salesnb's columns. Fix: "
                               "copy the export with its mapping first, or leave mapping empty")
        e = spark_engine(spark_session(), parquet=source)
    else:
        e = open_engine(source, mapping, as_of=day)
    with e:
        grain = {"orders": keys}
        if profile:  # every table the report counts, the orders at the keys asked for
            grain = {**{t: k for t, k in PROFILE.items() if t in e}, **grain}
        return engine_data(e, grain=grain, tables=tables, as_of=day, marks=marks,
                           profile=profile)


#: The company data loaded in this process, by :func:`_cache_key` (one entry, the newest).
_LOADED: dict[str, SalesData] = {}


#: Data whose last day is more than this many days before today is reported as of that day
#: (when no ``as_of`` is given): a year-old export is read as the year it covers, not as a
#: year of silence up to today.
OLD_AFTER_DAYS = 7


def settle_as_of(data: SalesData, *, chosen: bool, today: dt.date | None = None
                 ) -> tuple[SalesData, dict[str, object]]:
    """The day a report is as of: the one asked for, today, or the data's own last day.

    Parameters
    ----------
    data : SalesData
        Loaded as of the ``as_of`` parameter, or today when it was empty.
    chosen : bool
        Whether the ``as_of`` parameter was given (then it is kept as it is).
    today : datetime.date, optional
        Today (for tests); default the real one.

    Returns
    -------
    tuple of (SalesData, dict)
        The data with ``as_of`` settled, and the record of it: ``as_of`` and
        ``data_through`` (ISO days), ``age_days`` (days from the data's last day to
        today), ``chosen`` (``"parameter"``, ``"data"`` or ``"today"``) and ``left_out``
        (rows dated after an ``as_of`` given, left out of the analyses and counted in the
        data-quality report).
    """
    from salesnb.data.loader import data_end

    today = today or dt.date.today()
    end = data_end(data)
    how = "parameter" if chosen else "today"
    if not chosen and end is not None and (today - end).days > OLD_AFTER_DAYS:
        data = dataclasses.replace(data, as_of=end)
        how = "data"
    left_out = sum(data.report.left_out().values())  # distinct rows, every table
    record: dict[str, object] = {
        "as_of": data.as_of.isoformat(),
        "data_through": end.isoformat() if end is not None else None,
        "age_days": (today - end).days if end is not None else None,
        "chosen": how,
        "left_out": left_out,
    }
    return data, record


def data_sentence(record: dict[str, object]) -> str:
    """One Markdown sentence saying which day a report is as of and how old its data is.

    Parameters
    ----------
    record : dict
        From :func:`settle_as_of`.

    Returns
    -------
    str
    """
    through, age, as_of = record.get("data_through"), record.get("age_days"), record["as_of"]
    day_of = f"**{day(as_of)}**"
    if through is None:
        return _scope_sentence(record) + _(
            "Report as of {day} (the data has no dated rows).").format(day=day_of)
    when = f"**{day(through)}**"
    if age == 0:
        text = _("Data through {day} (from today)").format(day=when)
    elif isinstance(age, int) and age > 0:
        text = ngettext("Data through {day} ({n} day old)", "Data through {day} ({n} days old)",
                        age).format(day=when, n=f"{age:,}")
    else:
        text = _("Data through {day}").format(day=when)
    text = _scope_sentence(record) + text
    if record["chosen"] == "data":
        return text + _(": the report is as of that day, the data's last; set {as_of} for "
                        "another day.").format(as_of=code("as_of"))
    if record["chosen"] == "parameter":
        left = int(record.get("left_out") or 0)
        after = ngettext("; {n} row dated after it was left out",
                         "; {n} rows dated after it were left out", left).format(
                             n=f"{left:,}") if left else ""
        return text + _(". The report is as of {day} ({as_of}){after}.").format(
            day=day_of, as_of=code("as_of"), after=after)
    return text + _(". The report is as of today, {day}.").format(day=day_of)


def _scope_totals(d: SalesData) -> dict[str, object]:
    """The scope's rows per table, order lines and revenue, and the company's revenue.

    For the data line, and for the run's manifest (its key figures: the same data read from
    a folder or from a database gives the same ones).
    """
    out: dict[str, object] = {"rows": {t: d.line_count(t) for t in d.tables},
                              "quarantined": int(d.report.counts["rows_quarantined"].sum())}
    orders = d.get("orders")
    if orders is None or "revenue" not in orders.columns:
        return out
    whole = d.company.orders
    return {**out, "lines": d.line_count("orders"),
            "revenue": round(float(orders["revenue"].sum()), 2),
            "company_revenue": round(float(whole["revenue"].sum()), 2)}


def _scope_sentence(record: dict[str, object]) -> str:
    """"For **East region — ...**: ..." when the report is for part of the company, else ""."""
    if record.get("scope") in (None, "company"):
        return ""
    totals = ""
    revenue, whole = record.get("revenue"), record.get("company_revenue")
    if isinstance(revenue, float) and isinstance(whole, float):
        lines = f"{int(record.get('lines') or 0):,}"
        totals = " " + (_("It holds {lines} order lines with revenue {revenue}, {share} of the "
                          "company's {whole}.") if whole else
                        _("It holds {lines} order lines with revenue {revenue}.")).format(
            lines=lines, revenue=money(revenue), share=pct(revenue / whole if whole else 0,
                                                           digits=1), whole=money(whole))
    return _("This report is for {scope} ({name} = {value}): every table and figure is that "
             "scope's; a company figure is labelled as such.").format(
        scope=f"**{escape(str(record.get('scope_label')))}**", name=code("scope"),
        value=code(str(record.get("scope")))) + totals + " "


def _show_data_line(record: dict[str, object]) -> None:
    """Display the data sentence with its record (read by the runner for the page header)."""
    from IPython import get_ipython
    from IPython.display import Markdown, display

    if get_ipython() is not None:
        display(Markdown(data_sentence(record)), metadata={sections.DATA_RECORD: record})


def setup(lang: str = DEFAULT_LANGUAGE, currency: str = DEFAULT_CURRENCY) -> None:
    """Set the report's language and currency, the plotting theme and the table options.

    Every message, number, amount and date that follows is written in ``lang``, amounts in
    ``currency`` (:func:`salesnb.core.i18n.set_language`); for Chinese, charts draw their
    labels with a CJK font (:func:`cjk_font`).

    Figures lay themselves out to fit as they are drawn (``figure.autolayout``), so a
    notebook draws each once (:func:`salesnb.report.widgets.use_figure_png`). Titles sit
    just above their axes (``axes.titley``, see :mod:`salesnb.core.plots`). In a notebook
    it also guards Markdown output: whatever a report displays as
    ``IPython.display.Markdown`` reaches the page without raw HTML tags
    (:func:`salesnb.core.fmt.no_html`), however its sentence was composed, so a name from
    the data can never add markup there. Values are still put into sentences with
    :func:`escape`.

    Parameters
    ----------
    lang : {"en", "zh-CN"}, default "en"
        The report's language (its ``lang`` parameter).
    currency : str, default "USD"
        ISO 4217 code of the amounts (its ``currency`` parameter).

    Raises
    ------
    salesnb.core.i18n.LocaleError
        An unknown language or currency.
    """
    from salesnb.report.widgets import use_figure_png

    set_language(lang, currency)
    sns.set_theme(style="whitegrid", context="notebook", palette="deep")
    mpl.rcParams.update({"figure.figsize": (9, 4.5), "figure.dpi": 100,
                         "axes.titleweight": "bold", "axes.titlesize": 12,
                         "figure.autolayout": True, "axes.titley": 1.0,
                         "axes.formatter.useoffset": False})
    if language() == "zh-CN":
        font = cjk_font()
        if font:  # tried after the theme's own font, glyph by glyph
            mpl.rcParams["font.family"] = [*mpl.rcParams["font.family"], font]
    pd.set_option("display.max_rows", 60)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 140)
    pd.set_option("display.float_format", "{:,.2f}".format)
    _guard_markdown()
    use_figure_png()
    sections.install()


#: CJK fonts charts can draw Chinese with, the first found used (Debian: fonts-noto-cjk).
CJK_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
             "SimHei", "Microsoft YaHei", "PingFang SC")


@functools.cache
def cjk_font() -> str | None:
    """The first installed font of :data:`CJK_FONTS`, or None (said once, as a warning).

    Returns
    -------
    str or None
        The font family name.
    """
    import warnings

    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    warnings.warn("no CJK font is installed, so the charts' Chinese labels cannot be drawn "
                  "(they show as boxes). Fix: apt-get install fonts-noto-cjk (Debian), then "
                  "run the report again", stacklevel=2)
    return None


def _guard_markdown() -> None:
    """Make the notebook's Markdown formatter drop raw HTML (outside IPython: nothing)."""
    from IPython import get_ipython
    from IPython.display import Markdown

    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/markdown"].for_type(
            Markdown, lambda md: no_html(md.data or ""))


def _html_text(value: object, precision: int, thousands: bool) -> str:
    """A table cell or label as HTML text: text escaped, numbers formatted, gaps empty."""
    if isinstance(value, str):
        return html.escape(value)
    if value is None or value is pd.NA or value is pd.NaT or (
            isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return str(value)
    if isinstance(value, numbers.Integral):
        return f"{value:,}" if thousands else str(value)
    if isinstance(value, numbers.Real):
        return f"{value:,.{precision}f}" if thousands else f"{value:.{precision}f}"
    return html.escape(str(value))


def show(frame: pd.DataFrame, empty: str = "Nothing to show.", *, index: bool = False,
         precision: int = 2, top: int | None = None, full_name: str | None = None) -> object:
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
    top : int, optional
        Show only the first ``top`` rows; the caption then says so ("15 of 124 shown"),
        never a table cut short silently.
    full_name : str, optional
        With ``top``: the file name (without suffix) the whole table is exported to as CSV
        beside the report in a scheduled run (it holds what the table holds: ids, and
        personal data only when the report shows it); the caption links it. Outside a
        scheduled run nothing is written and the caption says so.

    Returns
    -------
    pandas.io.formats.style.Styler or IPython.display.Markdown
        What the notebook displays. Every text in it (cells, index and column labels, their
        names) is HTML-escaped: a name from the data shows as typed, never as markup.
    """
    from IPython.display import Markdown

    if frame.empty:
        return Markdown(f"*{escape(empty)}*")
    caption = None
    if top is not None and len(frame) > top:
        caption = _truncated(frame, max(top, 0), full_name, index=index)
        frame = frame.head(max(top, 0))
    # Text is escaped everywhere it reaches the page: cells, index, column labels and the
    # names of both; object columns (lists, mixed values) are turned into escaped text too.
    styler = frame.style.format(precision=precision, thousands=",", na_rep="", escape="html")
    styler = styler.format(lambda v: v.strftime("%Y-%m-%d") if pd.notna(v) else "",
                           subset=[c for c in frame.columns
                                   if pd.api.types.is_datetime64_any_dtype(frame[c])])
    styler = styler.format(partial(_html_text, precision=precision, thousands=True),
                           subset=[c for c in frame.columns
                                   if pd.api.types.is_object_dtype(frame[c])])
    label = partial(_html_text, precision=precision, thousands=False)
    for axis in (0, 1):
        styler = styler.format_index(label, axis=axis).format_index_names(label, axis=axis)
    text = [c for c in frame.columns if pd.api.types.is_string_dtype(frame[c])
            or isinstance(frame[c].dtype, pd.CategoricalDtype)]
    if text:  # words read from the left; numbers stay right-aligned
        styler = styler.set_properties(subset=text, **{"text-align": "left"})
    if caption is not None:
        styler = styler.set_caption(caption).set_table_styles(
            [{"selector": "caption", "props": "caption-side: bottom; text-align: left; "
              "color: #555; font-size: .9em;"}], overwrite=False)
    return styler if index else styler.hide(axis="index")


def _truncated(frame: pd.DataFrame, top: int, full_name: str | None, *, index: bool) -> str:
    """The caption of a cut table (HTML), exporting the whole table in a scheduled run."""
    from urllib.parse import quote

    from salesnb.core.export import write_table
    from salesnb.paths import artifact_path

    text = f"{top:,} of {len(frame):,} shown"
    if not full_name:
        return html.escape(text)
    name = f"{full_name}.csv"
    target = artifact_path(name)
    if target is None:
        return html.escape(f"{text}; a scheduled run (salesnb run) exports the full table "
                           f"as {name} beside the report")
    path = write_table(frame, target, index=index)
    return (f"{html.escape(text)}; the full table: <a href=\"{html.escape(quote(path.name))}\">"
            f"{html.escape(path.name)}</a>")


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
        app) nothing is written: opening a page must not create files. The file name (a
        parameter) is escaped, and the link to it percent-encoded.
    """
    from urllib.parse import quote

    from salesnb.paths import artifact_path

    if not file_name:
        return f"No file written ({code(param)} is empty)."
    target = artifact_path(file_name)
    if target is None:
        return (f"A scheduled run writes {what} beside its report as {code(file_name)}; "
                f"here, {code(how)} writes it.")
    path = write(target)
    return (f"{what[0].upper()}{what[1:]} is written to [{escape(path.name)}]"
            f"({quote(path.name)}) beside this report.")
