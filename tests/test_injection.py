"""Nothing from the data or the parameters becomes markup or a formula (issue 14, defects 1-2).

A small synthetic dataset is poisoned: every free-text column of every table (ids, names,
regions, categories, lead sources, e-mails ...) gets a formula payload in front of each value
and an HTML payload behind it, each table gets an extra column named like a payload, and a few
rows that break a rule carry payloads into the quarantine. Every report runs on it with
payloads in every string parameter, and then:

- no payload survives as markup in any HTML page of the run (parsed with ``html.parser``: no
  element or event handler made from a payload), and in Chromium no dialog fires on any page
  (``browser``; a control page with the live payloads proves the detector works);
- every export (the action list, the payouts, the quarantine written by ``salesnb validate``,
  in Excel and CSV) holds the formula payloads as text starting with ``'`` while numbers,
  negative ones too, stay numbers.

Parameters that the reports refuse (a period, a plan or a series file named like a payload)
are checked in a second run: the failure messages on the index page and in the pages are
escaped as well.
"""

from __future__ import annotations

import csv
import re
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from salesnb.cli import main
from salesnb.core.fmt import code, escape, no_html
from salesnb.data.sample import write_sample
from salesnb.data.schema import TABLES
from salesnb.errors import SourceError
from salesnb.paths import ARTIFACTS_ENV
from salesnb.report.pages import about, header, write_index
from salesnb.report.params import ParameterError
from salesnb.report.runner import NotebookRun, plan_runs, run_reports

#: HTML payloads: a script, an event handler on an element, an attribute break-out.
HTML_PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
                 '"><svg onload=alert(1)>')
#: Spreadsheet formula payloads (OWASP CSV injection).
FORMULAS = ('=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+1", "-1+1", "@SUM(A1)")
#: A payload that reached a page as markup (raw text; the parser below also sees re-quoted ones).
RAW_MARKUP = re.compile(r"<script>alert|<img src=x|<svg onload", re.IGNORECASE)
#: How each HTML payload reads once escaped (it reached the page, as text).
ESCAPED = ("&lt;script&gt;alert(1)", "&lt;img src=x onerror=alert(1)&gt;",
           "&lt;svg onload=alert(1)&gt;")
_JS_TYPES = ("", "text/javascript", "application/javascript", "module")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")



# --------------------------------------------------------------------------- detectors
class _LiveMarkup(HTMLParser):
    """Collects what a payload turned into: event handlers and executable scripts, not text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on") and "alert(" in (value or ""):
                self.found.append(f"<{tag} {name}={value!r}> at line {self.getpos()[0]}")
        if tag == "svg" or (tag == "img" and dict(attrs).get("src") == "x"):
            self.found.append(f"<{tag} {attrs}> at line {self.getpos()[0]}")
        if tag == "script":
            self._script = (dict(attrs).get("type") or "").lower() in _JS_TYPES

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = False

    def handle_data(self, data: str) -> None:
        if self._script and "alert(1)" in data:
            self.found.append(f"script {data.strip()[:60]!r} at line {self.getpos()[0]}")


def live_markup(page: str) -> list[str]:
    """The payloads that are markup in an HTML page (empty when all are text)."""
    parser = _LiveMarkup()
    parser.feed(page)
    parser.close()
    return parser.found + [f"raw {m.group(0)!r}" for m in RAW_MARKUP.finditer(page)]


def markdown_html(text: str) -> str:
    """Markdown as the report pages render it (nbconvert's renderer)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(text)


def _neutral(value: object) -> bool:
    """A written cell is safe: not text starting like a formula (``'`` in front is)."""
    return not (isinstance(value, str) and value.startswith(_FORMULA_START))


def _neutral_csv(value: str) -> bool:
    """A CSV field is safe: not formula-like, or a number as pandas writes it (no ``+``)."""
    if not value.startswith(_FORMULA_START):
        return True
    try:
        float(value)
    except ValueError:
        return False
    return value.startswith("-")


def test_the_detector_sees_live_payloads_and_not_escaped_ones():
    live = "<p>" + "".join(HTML_PAYLOADS) + "</p>"
    assert len(live_markup(live)) >= 3
    assert live_markup(markdown_html("x " + "".join(HTML_PAYLOADS))) != []  # raw HTML runs
    safe = "<p>" + "".join(escape(p) for p in HTML_PAYLOADS) + "</p>"
    assert live_markup(safe) == []
    assert live_markup('<script type="application/json">{"a": "alert(1)"}</script>') == []


# --------------------------------------------------------------------------- the poisoned data
def _poison(value: str) -> str:
    """``value`` with a formula payload in front and an HTML payload behind (same every time)."""
    if not value:
        return value
    h = zlib.crc32(value.encode())
    return f"{FORMULAS[h % len(FORMULAS)]}{value}{HTML_PAYLOADS[(h // 7) % len(HTML_PAYLOADS)]}"


def poison_folder(src: Path, dst: Path) -> Path:
    """Copy a CSV source, poisoning every free-text column and adding payload rows/columns."""
    dst.mkdir(parents=True, exist_ok=True)
    extra = f"{FORMULAS[0]}note{HTML_PAYLOADS[1]}"
    for name, spec in TABLES.items():
        frame = pd.read_csv(src / f"{name}.csv", dtype=str, keep_default_na=False)
        for col in spec.columns:
            if col.dtype == "str" and not col.choices and col.name in frame.columns:
                frame[col.name] = frame[col.name].map(_poison)
        frame[extra] = [HTML_PAYLOADS[i % 3] for i in range(len(frame))]
        if name == "customers":  # a row the choice rule quarantines, its value a payload
            bad = frame.iloc[[0]].copy()
            bad["customer_id"], bad["credit_rating"] = "CX" + HTML_PAYLOADS[0], FORMULAS[1]
            frame = pd.concat([frame, bad])
        if name == "orders":  # an unknown product and a quantity that is not a number
            bad = frame.iloc[[0]].copy()
            bad["order_id"], bad["product_id"] = "OX" + HTML_PAYLOADS[2], FORMULAS[4] + "PX"
            bad["quantity"] = HTML_PAYLOADS[1]
            frame = pd.concat([frame, bad])
        frame.to_csv(dst / f"{name}.csv", index=False)
    return dst


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory) -> Path:
    clean = tmp_path_factory.mktemp("clean")
    write_sample(clean, scale=0.05)
    return poison_folder(clean, tmp_path_factory.mktemp("poisoned"))


def _params(src: Path) -> dict[str, object]:
    """A payload in every string parameter the reports accept and still run with."""
    products = pd.read_csv(src / "products.csv", dtype=str)
    orders = pd.read_csv(src / "orders.csv", dtype=str)
    region = orders["region"].mode()[0]
    return {"region": region, "category": products["category"].mode()[0], "regions": [region],
            "actions_file": f"{FORMULAS[4]}a{HTML_PAYLOADS[1]}.xlsx",
            "payouts_file": f'p{HTML_PAYLOADS[2]}.csv'}


@pytest.fixture(scope="module")
def report_run(poisoned, tmp_path_factory):
    runs = plan_runs(run_all=True, params=_params(poisoned), source=str(poisoned),
                     show_pii=True)
    return run_reports(runs, out=tmp_path_factory.mktemp("reports"), jobs=2)


@pytest.fixture(scope="module")
def refused_run(poisoned, tmp_path_factory):
    """Parameters named like payloads that the reports refuse: failed notebooks."""
    out = tmp_path_factory.mktemp("refused")
    per = out / "params.yaml"
    per.write_text(
        "notebooks:\n"
        f"  04_product_region: {{region: '{HTML_PAYLOADS[0]}', category: "
        f"'{HTML_PAYLOADS[1]}'}}\n"
        f"  05_rep_assessment: {{period: '{HTML_PAYLOADS[2]}'}}\n", encoding="utf-8")
    names = ["04_product_region", "05_rep_assessment"]
    # The runner refuses values the data does not hold before any kernel starts ...
    with pytest.raises(ParameterError, match="is not in the data"):
        plan_runs(names, param_file=per, source=str(poisoned))
    # ... and a report given them anyway (JupyterLab, an older runner) refuses them as text.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("salesnb.report.runner.check_data_values", lambda _checks: None)
        runs = plan_runs(names, param_file=per, source=str(poisoned))
    return run_reports(runs, out=out, jobs=2)


def _pages(run) -> list[Path]:
    return sorted(run.run_dir.glob("*.html"))


# --------------------------------------------------------------------------- HTML, end to end
@pytest.mark.slow
def test_every_report_runs_on_poisoned_data(report_run):
    assert report_run.status == "ok", report_run.failure_message()


@pytest.mark.slow
def test_no_payload_survives_as_markup_in_any_page(report_run):
    seen = set()
    for page in _pages(report_run):
        text = page.read_text(encoding="utf-8")
        assert live_markup(text) == [], page.name
        if page.name != "index.html":
            shown = {p for p in ESCAPED if p in text}
            assert shown, f"{page.name}: no payload reached the page, the test proves nothing"
            seen |= shown
    assert seen == set(ESCAPED)
    index = (report_run.run_dir / "index.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in index  # the export's name, as text


@pytest.mark.slow
def test_the_about_section_shows_parameter_values_as_text(report_run):
    page = (report_run.run_dir / "04_product_region.html").read_text(encoding="utf-8")
    about = re.search(r'<details class="salesnb-about">.*?</details>', page, re.DOTALL)
    assert about, "no About section on the page"
    assert "<code>region</code>" in about.group(0) and "<code>category</code>" in about.group(0)
    assert any(p in about.group(0) for p in ESCAPED)


@pytest.mark.slow
def test_refused_parameters_are_reported_as_text(refused_run):
    assert refused_run.status == "failed"
    failed = {n.name for n in refused_run.notebooks if n.status == "failed"}
    assert "05_rep_assessment" in failed
    for page in _pages(refused_run):
        assert live_markup(page.read_text(encoding="utf-8")) == [], page.name
    index = (refused_run.run_dir / "index.html").read_text(encoding="utf-8")
    assert any(p in index for p in ESCAPED)  # the error names the value, escaped


def test_input_files_named_like_payloads_are_refused_before_any_kernel(poisoned):
    for name, value in (("series_file", f"s{HTML_PAYLOADS[1]}.csv"),
                        ("plan_file", f"{HTML_PAYLOADS[1]}.yaml")):
        with pytest.raises(SourceError, match="does not exist"):
            plan_runs(run_all=True, params={name: value}, source=str(poisoned))


# --------------------------------------------------------------------------- HTML, units
def _frame_full_of_payloads() -> pd.DataFrame:
    p0, p1, p2 = HTML_PAYLOADS
    frame = pd.DataFrame({p0: [p1, p2], "n": [1234.5, -2.0], "listed": [[p0], (p1,)],
                          "mixed": [1, p2], "kind": pd.Categorical([p0, "b"])},
                         index=pd.Index([p1, "j"], name=p2))
    frame.columns.name = p0
    return frame


@pytest.mark.parametrize("index", [True, False])
def test_show_escapes_cells_labels_and_their_names(index):
    from salesnb.report.reporting import show

    page = show(_frame_full_of_payloads(), index=index).to_html()
    assert live_markup(page) == []
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "1,234.50" in page and "-2.00" in page  # numbers still formatted


def test_show_escapes_the_empty_sentence():
    from salesnb.report.reporting import show

    out = show(pd.DataFrame(), f"No rows for {HTML_PAYLOADS[1]}")
    assert live_markup(markdown_html(out.data)) == []


def test_escape_keeps_values_literal_in_markdown():
    hostile = "a*b*_c_ [x](javascript:alert(1)) `c` $x$ | ~~s~~ \\ line\n# heading " + \
        "".join(HTML_PAYLOADS)
    page = markdown_html(f"Name: **{escape(hostile)}**")
    assert live_markup(page) == []
    assert "<a " not in page and "<em>" not in page and "<code>" not in page
    assert "<h1>" not in page and "<del>" not in page


def test_code_spans_cannot_be_closed_by_a_backtick():
    page = markdown_html(f"call {code('x` <img src=x onerror=alert(1)> `y')}")
    assert live_markup(page) == []


def test_no_html_keeps_markdown_and_drops_tags_and_script_links():
    text = no_html("**bold** &nbsp; [link](a%20b.xlsx) [web](https://example.org/x) a < b "
                   "[x](javascript:alert(1)) ![y](data:text/html,z) [r][d]\n[d]: javascript:1 "
                   + "".join(HTML_PAYLOADS))
    page = markdown_html(text)
    assert live_markup(page) == []
    assert "<strong>bold</strong>" in page and '<a href="a%20b.xlsx">' in page
    assert '<a href="https://example.org/x">' in page
    assert "javascript:" not in "".join(re.findall(r'(?:href|src)="[^"]*"', page))
    assert "data:" not in "".join(re.findall(r'src="[^"]*"', page))


def test_setup_guards_every_markdown_output(monkeypatch):
    import IPython
    from IPython.core.formatters import DisplayFormatter
    from IPython.display import Markdown

    from salesnb.report import reporting

    class Shell:  # what a kernel's get_ipython() gives, without a global shell in the tests
        display_formatter = DisplayFormatter()

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell)
    reporting._guard_markdown()
    data, _ = Shell.display_formatter.format(Markdown(f"**top** {HTML_PAYLOADS[1]}"))
    assert live_markup(markdown_html(data["text/markdown"])) == []
    assert "**top**" in data["text/markdown"]


def test_the_header_escapes_parameter_values():
    run = NotebookRun("x", "X", "d", "x.ipynb", {
        "source": "/tmp/data", "region": HTML_PAYLOADS[0], "category": HTML_PAYLOADS[1],
        "actions_file": HTML_PAYLOADS[2], "regions": list(HTML_PAYLOADS)})
    fp = {"path": f"/tmp/{HTML_PAYLOADS[1]}", "sha256": "ab" * 32}
    page = markdown_html(header(run, "2026-01-01T000000", fp) + "\n\n"
                         + about(run, "2026-01-01T000000", fp))  # the parameters are in About
    assert live_markup(page) == []
    assert page.count("&lt;script&gt;alert(1)") >= 2


def test_the_index_page_escapes_titles_errors_and_file_names(tmp_path):
    name = f"{HTML_PAYLOADS[1]}.xlsx"
    (tmp_path / name).write_text("x")
    (tmp_path / "javascript:alert(1).csv").write_text("x")
    runs = [NotebookRun("r", HTML_PAYLOADS[0], HTML_PAYLOADS[2], "r.ipynb", {},
                        status="failed", error=f"ValueError: {HTML_PAYLOADS[1]}")]
    manifest = {"status": "failed", "started": "2026-01-01T00:00:00", "seconds": 1.0,
                "source": {"path": f"/x/{HTML_PAYLOADS[2]}", "sha256": "0" * 64},
                "versions": {"salesnb": "0"}}
    write_index(tmp_path, HTML_PAYLOADS[0], manifest, runs)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert live_markup(page) == []
    assert 'href="javascript:' not in page  # a file name is a relative link, never a scheme
    assert "%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.xlsx" in page


def test_export_note_escapes_the_file_name(tmp_path, monkeypatch):
    from salesnb.report.reporting import export_note

    monkeypatch.setenv(ARTIFACTS_ENV, str(tmp_path))
    name = f'a{HTML_PAYLOADS[2]}.csv'
    note = export_note(name, lambda p: p, what="the list", how=f'write("{name}")', param="f")
    assert live_markup(markdown_html(note)) == []
    monkeypatch.delenv(ARTIFACTS_ENV)
    note = export_note(name, lambda p: p, what="the list", how=f'write("{name}")', param="f")
    assert live_markup(markdown_html(note)) == []


def test_views_escape_names_in_their_sentences():
    from salesnb.leads.views import assignment_view
    from salesnb.products.views import findings_markdown

    found = findings_markdown([f"Fastest growing: {p}" for p in HTML_PAYLOADS])
    assert live_markup(markdown_html(found.data)) == []
    region = HTML_PAYLOADS[1]
    scored = pd.DataFrame({"lead_id": ["L1", "L2"], "probability": [0.6, 0.2],
                           "expected_value": [600.0, 100.0], "region": [region, region],
                           "industry": ["x", "y"]})
    reps = pd.DataFrame({"rep_id": ["R1"], "role": ["rep"], "region": [region],
                         "status": ["active"], "name": [HTML_PAYLOADS[0]]})
    summary, _fig, table, _rest = assignment_view(0.5, 0.3, 0.15, 5, 0.2, "C", [region],
                                                  scored=scored, reps=reps)
    assert live_markup(markdown_html(summary.data)) == []
    assert live_markup(table.to_html()) == []


# --------------------------------------------------------------------------- Chromium


def _dialogs(browser, page_file: Path) -> list[str]:
    """Open a local page (nothing fetched from the network); the dialogs it opened."""
    context = browser.new_context()
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith("file:") else route.abort())
    page = context.new_page()
    fired: list[str] = []
    page.on("dialog", lambda d: (fired.append(d.message), d.dismiss()))
    try:
        page.goto(page_file.as_uri(), wait_until="load", timeout=120_000)
        page.wait_for_timeout(500)  # handlers of images that failed to load run after load
    finally:
        context.close()
    return fired


@pytest.mark.browser
@pytest.mark.slow
def test_no_dialog_fires_in_chromium(browser, report_run, refused_run, tmp_path):
    control = tmp_path / "control.html"
    control.write_text("<!doctype html><p>" + "".join(HTML_PAYLOADS) + "</p>", encoding="utf-8")
    assert len(_dialogs(browser, control)) == 3  # the detector sees every live payload
    for page in _pages(report_run) + _pages(refused_run):
        assert _dialogs(browser, page) == [], page


# --------------------------------------------------------------------------- formulas
def _xlsx_cells(path: Path) -> list[tuple[str, object, str]]:
    """(sheet, value, data type) of every cell of a workbook, formulas as formulas."""
    from openpyxl import load_workbook

    wb = load_workbook(path)  # not data_only: a formula would read as "=..." of type "f"
    return [(ws.title, c.value, c.data_type) for ws in wb for row in ws.iter_rows()
            for c in row if c.value is not None]


def _csv_cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _check_xlsx(path: Path) -> None:
    cells = _xlsx_cells(path)
    assert cells
    assert not [c for c in cells if c[2] == "f"], "a formula was written"
    assert all(_neutral(v) for _, v, _ in cells)
    assert any(isinstance(v, str) and v.startswith(("'=", "'+", "'-", "'@"))
               for _, v, _ in cells), "no formula payload reached the file"


def _check_csv(path: Path) -> None:
    rows = _csv_cells(path)
    assert all(_neutral_csv(v) for row in rows for v in row), "a formula was written"
    assert any(v.startswith(("'=", "'+", "'-", "'@")) for row in rows for v in row)


@pytest.mark.slow
def test_report_exports_hold_formulas_as_text(report_run, poisoned):
    params = _params(poisoned)
    actions = report_run.run_dir / str(params["actions_file"])
    _check_xlsx(actions)
    sheets = pd.read_excel(actions, sheet_name=None)
    assert pd.api.types.is_numeric_dtype(sheets["all"]["monetary"])
    assert pd.api.types.is_integer_dtype(sheets["all"]["priority"])
    payouts = report_run.run_dir / str(params["payouts_file"])
    _check_csv(payouts)
    pay = pd.read_csv(payouts)
    assert pd.api.types.is_float_dtype(pay["bonus"]) and pay["rep_id"].str.startswith("'").any()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_quarantine_file_holds_formulas_as_text(tiny, write, tmp_path, capsys, suffix):
    for i, formula in enumerate(FORMULAS[:4]):
        tiny["orders"].loc[i, "product_id"] = formula  # an unknown product
    tiny["customers"].loc[0, "credit_rating"] = FORMULAS[4]  # not a rating
    tiny["orders"].loc[3, "quantity"] = "-5"  # a negative quantity: the range rule
    qfile = tmp_path / f"rejected{suffix}"
    assert main(["validate", str(write(tiny)), "--as-of", "2026-01-01",
                 "--quarantine", str(qfile)]) == 1
    assert "quarantine written" in capsys.readouterr().out
    if suffix == ".csv":
        _check_csv(qfile)
        q = pd.read_csv(qfile)
    else:
        _check_xlsx(qfile)
        q = pd.read_excel(qfile)
    assert pd.api.types.is_integer_dtype(q["row"])  # row numbers stay numbers
    assert set(FORMULAS) <= {v.removeprefix("'") for v in q["value"].astype(str)}


def test_quarantine_file_must_be_csv_or_excel(tiny, write, tmp_path, capsys):
    assert main(["validate", str(write(tiny)), "--quarantine", str(tmp_path / "q.txt")]) == 2
    err = capsys.readouterr().err
    assert ".csv" in err and ".xlsx" in err and "Traceback" not in err
    assert not (tmp_path / "q.txt").exists()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_view_exports_keep_numbers_and_neutralise_text(tmp_path, monkeypatch, suffix):
    from salesnb.assessment.views import payout_note
    from salesnb.segments.views import export_note

    monkeypatch.setenv(ARTIFACTS_ENV, str(tmp_path))
    actions = pd.DataFrame({"customer_id": list(FORMULAS), "action": ["retain"] * 5,
                            "priority": [1, 2, 3, 4, 5],
                            "monetary": [-12.5, -1.0, 0.0, 3.25, 1e6],
                            "region": ["-1+1", "+1", "@x", "=1+1", "North"]})
    export_note(actions, f"actions{suffix}")
    payouts = pd.DataFrame({"rep_id": list(FORMULAS), "bonus": [-100.0, 0.0, 1.5, 2.0, 3.0],
                            "rule": ["=1", "+tier", "-cap", "@gate", "ok"]})
    payout_note(payouts, f"payouts{suffix}")
    for stem, numeric in (("actions", "monetary"), ("payouts", "bonus")):
        path = tmp_path / f"{stem}{suffix}"
        if suffix == ".csv":
            _check_csv(path)
            back = pd.read_csv(path)
        else:
            _check_xlsx(path)
            back = pd.read_excel(path)  # the first sheet ("all" / "payouts")
        assert pd.api.types.is_float_dtype(back[numeric]), stem
        assert back[numeric].min() < 0  # negative numbers stay numbers
        assert back.iloc[:, 0].tolist() == ["'" + f for f in FORMULAS]
