"""Report sections that run on the tables they have, and a note where an input is missing.

A report notebook is a series of sections, each opened by one call::

    section(d, "Satisfaction", needs=["surveys"], shows="after-sales survey scores per segment")

``needs`` lists what the section reads: ``"table"`` (loaded, with at least one row),
``"table.column"`` (the column is there with at least one value) or alternatives joined by
``|`` (``"orders.rep_id|reps"``: either will do). When everything is there the call shows
nothing and the section runs. When something is missing it shows a short note in place of the
section (what it would show, and which table or column to add) and **every following code cell
is skipped until the next** ``section(...)``: a company with one order export gets every
section its data can serve, and a note for the others, instead of a report that stops at the
first missing table.

The skipping is done by an IPython input transformer that :func:`install` registers in the
kernel (``salesnb.report.reporting.setup`` calls it): it works the same in a scheduled run
(papermill), in JupyterLab and in the managers' app (Voila), which all run cells through
IPython. A skipped cell runs nothing; in JupyterLab it prints one line saying why.

Each note carries a record in its output's metadata (:data:`RECORD`): the runner reads the
executed notebook, and a report none of whose sections could run is "not applicable" with what
it needs (:func:`report_needs`) instead of a failure.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from salesnb.core.fmt import code, escape
from salesnb.data.schema import TABLES
from salesnb.errors import SalesnbError
from salesnb.paths import HEADLESS_ENV

__all__ = ["RECORD", "DATA_RECORD", "Section", "section", "missing_needs", "note_text",
           "install", "notebook_sections", "report_needs", "data_record"]

#: Key of a section note's record in its output's metadata (read by the runner).
RECORD = "salesnb_section"
#: Key of the data line's record (as-of day, data end; see ``reporting.report_data``).
DATA_RECORD = "salesnb_data"

#: Names a section cell may call the function by (``section(...)``, ``sections.section(...)``).
_NAMES = ("section",)


@dataclass
class _Gate:
    """Whether the cells after the last ``section(...)`` call run (kernel-wide state)."""

    open: bool = True
    title: str = ""
    installed: bool = False


_GATE = _Gate()


@dataclass(frozen=True)
class Section:
    """What :func:`section` decided: the section runs, or which needs are missing.

    Attributes
    ----------
    title : str
        The section's title.
    missing : tuple of str
        The requirements (as given in ``needs``) that the data does not meet; empty when the
        section runs.
    reason : str
        Why the section cannot run though its tables are there (from ``blocked``), or "".
    """

    title: str
    missing: tuple[str, ...] = field(default_factory=tuple)
    reason: str = ""

    @property
    def runs(self) -> bool:
        """True when nothing is missing."""
        return not self.missing and not self.reason

    def __bool__(self) -> bool:
        return self.runs

    def _ipython_display_(self) -> None:
        """Nothing: the note (if any) was shown by :func:`section` itself."""


def _tables(data: Any) -> dict[str, Any]:
    """The loaded tables of a ``SalesData`` (or a plain ``{name: DataFrame}``)."""
    tables = getattr(data, "tables", data)
    if not isinstance(tables, dict):
        raise SalesnbError("section(): the first argument must be the report's data "
                           "(d = report_data(...)) or a dict of tables")
    return tables


def _met(tables: dict[str, Any], need: str) -> bool:
    """Whether one requirement (``table`` or ``table.column``) holds."""
    table, _, column = need.strip().partition(".")
    frame = tables.get(table)
    if frame is None or len(frame) == 0:
        return False
    if not column:
        return True
    return column in frame.columns and bool(frame[column].notna().any())


def _check(need: str) -> None:
    for part in need.split("|"):
        table, _, column = part.strip().partition(".")
        if table not in TABLES:
            raise SalesnbError(f"section needs {need!r}: {table!r} is not a salesnb table "
                               f"(tables: {', '.join(TABLES)})")
        if not column and "." in part:
            raise SalesnbError(f"section needs {need!r}: name a column after the dot")


def missing_needs(data: Any, needs: Iterable[str]) -> list[str]:
    """The requirements of ``needs`` the data does not meet, in the order given.

    Parameters
    ----------
    data : SalesData or dict of str to pandas.DataFrame
        The report's data.
    needs : iterable of str
        ``"table"``, ``"table.column"`` or alternatives joined by ``|``.

    Returns
    -------
    list of str
        Empty when every requirement is met.

    Raises
    ------
    SalesnbError
        A requirement names a table salesnb does not know (a typo in a notebook).
    """
    tables = _tables(data)
    out = []
    for need in needs:
        _check(need)
        if not any(_met(tables, part) for part in need.split("|")):
            out.append(need)
    return out


def _describe(need: str, tables: dict[str, Any]) -> str:
    """What the data lacks for one requirement: "no `reps` table (rep_id, ...)" and the like."""
    table, _, column = need.strip().partition(".")
    if not column:
        cols = ", ".join(TABLES[table].required_columns)
        return (f"an empty {code(table)} table" if table in tables
                else f"no {code(table)} table ({cols})")
    if table not in tables:
        return f"no {code(table)} table (for {code(need)})"
    if column in tables[table].columns:
        return f"no values in {code(need)}"
    return f"no column {code(need)}"


#: Tables a mapping can build from the attributes on the order lines (``from: orders``).
_FROM_LINES = ("customers", "products")


def _lacks(need: str, tables: dict[str, Any]) -> str:
    """What the data lacks for one requirement and its alternatives, each table named once."""
    parts: list[str] = []
    absent: dict[str, list[str]] = {}  # missing table -> the columns asked of it
    for part in (p.strip() for p in need.split("|")):
        table, _, column = part.partition(".")
        if column and table not in tables:
            if table not in absent:
                absent[table] = []
                parts.append(table)  # placeholder, filled below
            absent[table].append(code(part))
        else:
            parts.append(_describe(part, tables))
    for table, cols in absent.items():
        parts[parts.index(table)] = f"no {code(table)} table (for {' or '.join(cols)})"
    return " and ".join(parts)


def _merged(missing: Sequence[str], tables: dict[str, Any]) -> list[str]:
    """What the data lacks, need by need, with the columns of one missing table said once."""
    absent: dict[str, list[str]] = {}
    out: list[str] = []
    for need in missing:
        parts = [p.strip() for p in need.split("|")]
        owners = {p.partition(".")[0] for p in parts}
        table = next(iter(owners))
        if len(owners) == 1 and table not in tables and all("." in p for p in parts):
            if table not in absent:
                absent[table] = []
                out.append(table)  # placeholder, filled below
            absent[table].append(" or ".join(code(p) for p in parts))
        else:
            out.append(_lacks(need, tables))
    for table, cols in absent.items():
        out[out.index(table)] = f"no {code(table)} table (for {', '.join(cols)})"
    return out


def _article(word: str) -> str:
    """"an" before a vowel sound (an `opportunities` table), else "a"."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def _fix(missing: Sequence[str], tables: dict[str, Any]) -> str:
    """How to add what is missing: a file, or a column in the export or the mapping."""
    first = missing[0].split("|")[0]
    table, _, column = first.partition(".")
    lines = (f", or build it from the order lines in the mapping "
             f"({code('tables: {' + table + ': {from: orders}}')})"
             if table in _FROM_LINES and "orders" in tables else "")
    if not column or table not in tables:
        what = (f"{_article(table)} {code(table)} table"
                + (f" with the column {code(column)}" if column else ""))
        return (f"add {what} to the source ({_article(table)} {code(table + '.csv')}, .xlsx or "
                ".parquet "
                f"file, or a file named in the mapping){lines}")
    return (f"add the column to the export, or map yours to it in the mapping "
            f"({code('tables: {' + table + ': {columns: {<yours>: ' + column + '}}}')})")


def note_text(result: Section, shows: str, tables: dict[str, Any]) -> str:
    """The Markdown note that stands in for a section that cannot run.

    Parameters
    ----------
    result : Section
        What :func:`section` decided.
    shows : str
        What the section would show, in a few words.
    tables : dict of str to pandas.DataFrame
        The loaded tables (to say whether a table is missing or empty).

    Returns
    -------
    str
    """
    title = f"**{escape(result.title)}** is not shown"
    if shows:
        title += f" (it would show {escape(shows)})"
    if result.reason:
        return f"> {title}: {escape(result.reason)}."
    lacks = _merged(result.missing, tables)
    fix = _fix(result.missing, tables)
    return f"> {title}: this data has {'; and '.join(lacks)}. To see it, {fix}."


def section(data: Any, title: str, *, needs: Sequence[str] = (), shows: str = "",
            blocked: str | Callable[[], str | None] = "") -> Section:
    """Open a report section: run it when its inputs are there, else show a note and skip it.

    Parameters
    ----------
    data : SalesData or dict of str to pandas.DataFrame
        The report's data.
    title : str
        The section's title, as in its heading.
    needs : sequence of str
        What the section reads: ``"table"``, ``"table.column"``, or alternatives joined by
        ``|``.
    shows : str, default=""
        What the section shows, in a few words (said in the note when it cannot run).
    blocked : str or callable, default=""
        A reason the section cannot run although its tables are there (e.g. "the data has 3
        months; seasonality needs 24"); empty (or None) when there is none. A callable is
        called only when every need is met, so it may use what exists only then
        (``blocked=lambda: comparison_gap(orders)``, where ``orders`` is made from a table
        that may be missing).

    Returns
    -------
    Section
        True when the section runs. In a notebook the cells up to the next ``section(...)``
        run only then.

    Examples
    --------
    >>> import pandas as pd
    >>> s = section({"orders": pd.DataFrame({"order_id": ["1"]})}, "Trend", needs=["orders"])
    >>> bool(s)
    True
    """
    tables = _tables(data)
    missing = tuple(missing_needs(tables, needs))
    reason = blocked() if callable(blocked) and not missing else blocked
    result = Section(title, missing, "" if callable(reason) else str(reason or "").strip())
    _GATE.open, _GATE.title = result.runs, title
    if not result.runs:
        _display_note(note_text(result, shows, tables),
                      {"title": title, "missing": list(result.missing),
                       "reason": result.reason})
    return result


def _display_note(text: str, record: dict[str, Any]) -> None:
    """Show the note with the record the runner reads; nothing outside IPython."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover - IPython is a dependency
        return
    if get_ipython() is None:
        return
    display(Markdown(text), metadata={RECORD: record})


def _is_section_cell(lines: list[str]) -> bool:
    """Whether a cell's first statement calls ``section(...)``."""
    try:
        tree = ast.parse("".join(lines))
    except SyntaxError:
        return False
    if not tree.body:
        return False
    node = tree.body[0]
    if isinstance(node, ast.Assign | ast.AnnAssign):
        value = node.value
    elif isinstance(node, ast.Expr):
        value = node.value
    else:
        return False
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name in _NAMES


def skipped() -> None:
    """What a skipped cell runs: nothing in a report, one line in JupyterLab."""
    if os.environ.get(HEADLESS_ENV) == "1":
        return
    from IPython.display import display

    display({"text/plain": f"(skipped: the section {_GATE.title!r} cannot run on this data; "
             "see its note)"}, raw=True)


#: First line of the code the runner sends a warm kernel before the next notebook: it opens
#: the gate (a notebook that ended in a section that could not run leaves it closed).
NEW_NOTEBOOK = "# salesnb: new notebook\n"


def _gate(lines: list[str]) -> list[str]:
    """IPython input transformer: a cell after a section that cannot run runs nothing."""
    if lines and lines[0] == NEW_NOTEBOOK:
        _GATE.open, _GATE.title = True, ""
        return lines
    if _GATE.open or _is_section_cell(lines) or not "".join(lines).strip():
        return lines
    return ["__import__('salesnb.report.sections', fromlist=['skipped']).skipped()\n"]


def install() -> None:
    """Register the section gate in the running IPython kernel (once; no-op outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return
    ip = get_ipython()
    if ip is None:
        return
    _GATE.open, _GATE.title = True, ""
    transformers = ip.input_transformers_post
    if not any(getattr(t, "__name__", "") == "_gate" and getattr(t, "__module__", "") ==
               __name__ for t in transformers):
        transformers.append(_gate)
    _GATE.installed = True


def notebook_sections(nb: Any) -> list[dict[str, Any]]:
    """The section records of an executed notebook, in order.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed report notebook.

    Returns
    -------
    list of dict
        ``{"title", "missing", "reason"}`` per section cell (a code cell whose first
        statement calls ``section(...)``); a section that ran has no record of its own (it
        shows nothing) and is listed with ``missing`` empty.
    """
    found = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if not _is_section_cell([source if isinstance(source, str) else "".join(source)]):
            continue
        records = [out.get("metadata", {}).get(RECORD) for out in cell.get("outputs", [])]
        records = [r for r in records if isinstance(r, dict)]
        found.append(records[0] if records else {"title": "", "missing": [], "reason": ""})
    return found


def report_needs(records: list[dict[str, Any]]) -> str | None:
    """"needs ..." when no section of a report could run; None when one did (or none exist).

    Parameters
    ----------
    records : list of dict
        From :func:`notebook_sections`.

    Returns
    -------
    str or None
        What to add for the report to apply: the needs of the section that lacks the least
        (the first such section), e.g. ``"needs reps; orders.rep_id or opportunities"``, or
        its reason when it was blocked for another (``"the data has 3 months"``). The page's
        notes say what each other section needs.
    """
    if not records or any(not r.get("missing") and not r.get("reason") for r in records):
        return None
    closest = min(records, key=lambda r: len(r.get("missing") or [r.get("reason")]))
    wants = [" or ".join(need.split("|")) for need in closest.get("missing") or []]
    return "needs " + "; ".join(wants) if wants else str(closest.get("reason"))


def data_record(nb: Any) -> dict[str, Any] | None:
    """The data record an executed report left (:data:`DATA_RECORD`), or None.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed report notebook.

    Returns
    -------
    dict or None
        ``{"as_of", "data_through", "age_days", "chosen", "left_out"}`` from the first
        ``report_data(...)`` of the notebook (see :func:`salesnb.report.reporting.report_data`).
    """
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            record = out.get("metadata", {}).get(DATA_RECORD)
            if isinstance(record, dict):
                return record
    return None
