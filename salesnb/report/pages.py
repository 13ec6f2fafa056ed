"""What a reader of a run sees besides the reports: each report's header line and ``index.html``.

Every text from the data or a parameter is escaped, every link percent-encoded.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salesnb.core.fmt import day, escape
from salesnb.core.i18n import DEFAULT_LANGUAGE, _, ngettext, speaking

if TYPE_CHECKING:
    from salesnb.report.runner import NotebookRun

__all__ = ["DOWNLOADS", "source_name", "language_of", "header", "about", "data_line", "meta_line",
           "write_index", "write_top_index"]


def source_name(path: str) -> str:
    """How a page names its data: a folder's or file's name; a database URL as it is.

    Parameters
    ----------
    path : str
        The fingerprint's ``path`` (a database URL there is already without its password).

    Returns
    -------
    str
        ``data``, ``crm.duckdb`` or ``postgresql://sales@db:5432/crm?schema=sales``.
    """
    from salesnb.data.urls import is_url

    return path if is_url(path) else Path(path).name


def language_of(parameters: dict[str, Any]) -> str:
    """The language a report is written in: its ``lang`` parameter, else the default.

    Parameters
    ----------
    parameters : dict
        The report's parameters.

    Returns
    -------
    str
    """
    return str(parameters.get("lang") or DEFAULT_LANGUAGE)


def _run_time(run_id: str) -> str:
    """When a run started, from its id (``2026-12-04T193001`` -> ``4 Dec 2026, 19:30``)."""
    import datetime as dt

    try:
        when = dt.datetime.strptime(run_id[:17], "%Y-%m-%dT%H%M%S")
    except ValueError:
        return escape(run_id)
    return _("{day}, {time}").format(day=day(when.date()), time=f"{when:%H:%M}")


def header(run: NotebookRun, run_id: str, fp: dict[str, Any] | None) -> str:
    """The end of a report's meta line, known before it runs: when it ran, and the index.

    Parameters
    ----------
    run : NotebookRun
        The report.
    run_id : str
        The run's id (its start, ``2026-12-04T193001``).
    fp : dict or None
        The data's fingerprint (not shown here: see :func:`about`).

    Returns
    -------
    str
        E.g. ``"run 4 Dec 2026, 19:30 · <a href="index.html">all reports</a>"``.
    """
    with speaking(language_of(run.parameters)):
        index = _("all reports")
        when = _("run {when}").format(when=_run_time(run_id))
        return f'{when} · <a href="index.html">{index}</a>'


def _shown(value: object) -> str:
    """A parameter's value as typed, large numbers with thousands separators (1,800,000)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return repr(value)
    return f"{value:,}" if abs(value) >= 10_000 else repr(value)


def about(run: NotebookRun, run_id: str, fp: dict[str, Any] | None) -> str:
    """The collapsed "About this report" section at a page's end: run, data and parameters.

    Parameters
    ----------
    run : NotebookRun
        The report.
    run_id : str
        The run's id.
    fp : dict or None
        The data's fingerprint (path and sha256); None when the report read no data.

    Returns
    -------
    str
        An HTML ``<details>`` block, every value escaped.
    """
    from salesnb import __version__

    def esc(value: object) -> str:
        return html.escape(str(value))

    with speaking(language_of(run.parameters)):
        data = (_("data {name} (sha256 {sha})").format(
            name=f"<code>{esc(source_name(fp['path']))}</code>",
            sha=f"<code>{esc(fp['sha256'][:12])}</code>") if fp else _("no data"))
        default, title, report, run_word = (_("(default)"), _("About this report"), _("Report"),
                                            _("run"))
        parameter, value = _("parameter"), _("value")
        rows = "".join(f"<tr><td><code>{esc(k)}</code></td><td>"
                       f"{default if v == '' else f'<code>{esc(_shown(v))}</code>'}</td></tr>"
                       for k, v in run.parameters.items() if k not in ("source", "mapping"))
        return (f'<details class="salesnb-about"><summary>{title}'
                f"</summary>\n<p>{report} <code>{esc(run.name)}</code> · {run_word} "
                f"<code>{esc(run_id)}</code> · {data} · salesnb {esc(__version__)}. "
                + _("The executed notebook and the run's manifest.json are in this folder.")
                + f"</p>\n<table><thead><tr><th>{parameter}</th><th>{value}</th>"
                f"</tr></thead><tbody>{rows}</tbody></table>\n</details>")


def data_line(record: dict[str, Any] | None) -> str:
    """The start of a report's meta line: its scope, the day it is as of, how old its data is.

    Parameters
    ----------
    record : dict or None
        The report's data record (:func:`salesnb.report.reporting.settle_as_of`); None (a
        notebook that loads no data) gives "".

    Returns
    -------
    str
        E.g. ``"as of 30 Dec 2019 (the data's last day) · data through 30 Dec 2019, 700 days
        old"``, after ``"For <b>East region — ...</b> · "`` (the whole company's page: ``"For
        <b>the whole company</b>"``).
    """
    if not record:
        return ""
    company = record.get("scope") in (None, "company")
    who = _("the whole company") if company else escape(record.get("scope_label"))
    parts = [_("For {scope}").format(scope=f"<b>{who}</b>")]
    why = {"data": _("the data's last day"), "parameter": "as_of", "today": _("today")}
    parts.append(_("as of {day} ({why})").format(
        day=day(record.get("as_of")), why=why.get(str(record.get("chosen")), "as_of")))
    through, age = record.get("data_through"), record.get("age_days")
    if through and isinstance(age, int) and age > 0:
        parts.append(ngettext("data through {day}, {n} day old",
                              "data through {day}, {n} days old", age).format(
                                  day=day(through), n=f"{age:,}"))
    elif through:
        parts.append(_("data through {day}").format(day=day(through)))
    left = record.get("left_out")
    if left:
        parts.append(ngettext("{n} row after it left out", "{n} rows after it left out",
                              int(left)).format(n=f"{int(left):,}"))
    return " · ".join(parts)


def meta_line(*parts: str) -> str:
    """The line under a report's title: the non-empty ``parts``, joined.

    Parameters
    ----------
    *parts : str
        HTML pieces (:func:`data_line`, :func:`header`).

    Returns
    -------
    str
        A ``<p class="salesnb-meta">`` paragraph.
    """
    return '<p class="salesnb-meta">' + " · ".join(p for p in parts if p) + "</p>"


#: Files a report may export into its run folder; the index links them.
DOWNLOADS = (".csv", ".xlsx")

INDEX = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{w_title} · {run_id}</title>
<style>
body {{ font-family: system-ui, "Noto Sans CJK SC", sans-serif; margin: 2rem auto;
        max-width: 60rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .5rem .6rem; border-bottom: 1px solid #ddd;
          vertical-align: top; }}
.ok {{ color: #1e7e34; font-weight: bold; }} .failed, .interrupted {{ color: #b21f2d;
       font-weight: bold; }} .not_applicable {{ color: #666; }}
.meta {{ color: #555; font-size: .9rem; }} .err {{ color: #b21f2d; font-size: .9rem; }}
</style></head><body>
<h1>{w_title}</h1>
<p class="meta">{w_run} {run_id} · {status_word} · {w_started} {started} · {seconds:.1f} s ·
{w_data}: {source} (sha256 {sha}){as_of} · salesnb {salesnb}</p>
<table><thead><tr><th>{w_report}</th><th>{w_answers}</th><th>{w_status}</th><th>{w_time}</th>
</tr></thead><tbody>
{rows}
</tbody></table>
{downloads}<p class="meta">{w_foot}</p>
</body></html>
"""


def _index_words() -> dict[str, str]:
    """The index page's own words, in the language being written."""
    return {"w_title": _("Sales reports"), "w_run": _("Run"), "w_started": _("started"),
            "w_data": _("data"), "w_report": _("Report"), "w_answers": _("What it answers"),
            "w_status": _("Status"), "w_time": _("Time"),
            "w_foot": _("Each report shows results only (no code). The executed notebooks and "
                        "manifest.json (parameters, data fingerprint, package versions) are in "
                        "this folder.")}


def _status_label(status: str) -> str:
    """A report's status in words (ok, failed, not applicable, interrupted, pending)."""
    return {"ok": _("ok"), "failed": _("failed"), "not_applicable": _("not applicable"),
            "interrupted": _("interrupted"), "pending": _("pending")}.get(status, status)


def _status_word(status: str, runs: list[NotebookRun]) -> str:
    """The run's status in words: "all reports succeeded", "2 not applicable" ..."""
    if status != "ok":
        return _status_label(status)
    na = sum(r.status == "not_applicable" for r in runs)
    if not na:
        return _("all reports succeeded")
    return _("every report that applies to the data succeeded; {n} not applicable (the data "
             "lacks what they need)").format(n=na)


def write_index(run_dir: Path, run_id: str, manifest: dict[str, Any],
                 runs: list[NotebookRun]) -> None:
    """Write ``index.html``: every text escaped, every link percent-encoded (file names).

    It is written in the reports' language (their ``lang`` parameter), as are the reports'
    titles and descriptions.
    """
    lang = next((language_of(r.parameters) for r in runs if r.parameters.get("lang")),
                DEFAULT_LANGUAGE)
    with speaking(lang):
        _write_index(run_dir, run_id, manifest, runs, lang)


def _write_index(run_dir: Path, run_id: str, manifest: dict[str, Any],
                 runs: list[NotebookRun], lang: str) -> None:
    from urllib.parse import quote

    def esc(value: object) -> str:
        return html.escape(str(value))

    rows = []
    for r in runs:
        page, pdf = (Path(r.html).name, Path(r.pdf).name if r.pdf else "") \
            if r.folder and run_dir.name == r.folder else (r.html, r.pdf)  # a set's own index
        title = _(r.title)
        link = (f'<a href="{esc(quote(page))}">{esc(title)}</a>'
                if (run_dir / page).exists() else esc(title))
        if pdf and (run_dir / pdf).exists():
            link += f' · <a href="{esc(quote(pdf))}">PDF</a>'
        err = (f'<div class="{"meta" if r.status == "not_applicable" else "err"}">'
               f"{esc(r.error)}</div>" if r.error else "")
        if r.skipped and r.status == "ok":
            err += ('<div class="meta">' + esc(_(
                "{n} section(s) not shown for lack of data: {names}").format(
                    n=len(r.skipped), names=", ".join(r.skipped))) + "</div>")
        rows.append(f"<tr><td>{link}</td><td>{esc(_(r.description))}{err}</td>"
                    f'<td class="{esc(r.status)}">{esc(_status_label(r.status))}</td>'
                    f"<td>{r.seconds:.1f} s</td></tr>")
    sources = manifest.get("source") or {}
    sources = [sources] if isinstance(sources, dict) else sources  # or one per notebook
    source = ", ".join(source_name(s.get("path", "-")) for s in sources) or "-"
    sha = ", ".join(s.get("sha256", "-")[:12] for s in sources) or "-"
    files = sorted(p.name for p in run_dir.iterdir() if p.suffix in DOWNLOADS)
    downloads = ("<p>" + _("Downloads") + ": " + ", ".join(
        f'<a href="{esc(quote(f))}">{esc(f)}</a>' for f in files) + "</p>\n"
        if files else "")
    (run_dir / "index.html").write_text(INDEX.format(
        lang=esc(lang), **_index_words(), downloads=downloads,
        run_id=esc(run_id),
        status_word=esc(_status_word(manifest["status"], runs)),
        started=esc(manifest["started"]), seconds=manifest["seconds"],
        source=esc(source), sha=esc(sha),
        as_of=(" · " + esc(_("as of {day}").format(day=day(manifest["as_of"])))
               if manifest.get("as_of") else ""),
        salesnb=esc(manifest["versions"]["salesnb"]), rows="\n".join(rows)), encoding="utf-8")


TOP = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>salesnb reports · {run_id}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .5rem .6rem; border-bottom: 1px solid #ddd; }}
.ok {{ color: #1e7e34; font-weight: bold; }} .failed, .interrupted {{ color: #b21f2d;
       font-weight: bold; }}
.meta {{ color: #555; font-size: .9rem; }}
</style></head><body>
<h1>Sales reports for everyone</h1>
<p class="meta">Run {run_id} · {status} · started {started} · {seconds:.1f} s · {count} ·
data: {source}{as_of} · salesnb {salesnb}</p>
<p>Each folder holds one person's or team's reports, with its own index: hand each manager
and rep their own folder.</p>
<table><thead><tr><th>For</th><th>Folder</th><th>Reports</th><th>Status</th><th>Time</th>
</tr></thead><tbody>
{rows}
</tbody></table>
</body></html>
"""


def write_top_index(run_dir: Path, run_id: str, manifest: dict[str, Any],
                    sets: list[dict[str, Any]]) -> None:
    """Write the ``index.html`` of a run with one set of reports per scope (``--each``).

    Parameters
    ----------
    run_dir : pathlib.Path
        The run folder.
    run_id : str
        The run's id.
    manifest : dict
        The run's manifest.
    sets : list of dict
        Per set: ``folder``, ``label`` (the scope in words), ``status``, ``reports``,
        ``ok`` and ``seconds``.
    """
    from urllib.parse import quote

    def esc(value: object) -> str:
        return html.escape(str(value))

    rows = []
    for s in sets:
        link = quote(f"{s['folder']}/index.html")
        rows.append(f'<tr><td><a href="{esc(link)}">{esc(s["label"])}</a></td>'
                    f"<td><code>{esc(s['folder'])}/</code></td>"
                    f"<td>{int(s['ok'])} of {int(s['reports'])} ok</td>"
                    f'<td class="{esc(s["status"])}">{esc(s["status"])}</td>'
                    f"<td>{float(s['seconds']):.1f} s</td></tr>")
    sources = manifest.get("source") or {}
    sources = [sources] if isinstance(sources, dict) else sources
    source = ", ".join(Path(x.get("path", "-")).name for x in sources) or "-"
    (run_dir / "index.html").write_text(TOP.format(
        run_id=esc(run_id), status=esc(manifest["status"]), started=esc(manifest["started"]),
        seconds=float(manifest["seconds"]), count=esc(f"{len(sets):,} report sets"),
        source=esc(source),
        as_of=f" · as of {esc(manifest['as_of'])}" if manifest.get("as_of") else "",
        salesnb=esc(manifest["versions"]["salesnb"]), rows="\n".join(rows)),
        encoding="utf-8")
