"""Every report notebook runs on the embedded sample and reads like a report."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pandas as pd
import pytest
from conftest import ROOT

from salesnb.report.catalog import NOTEBOOKS
from salesnb.report.runner import plan_runs, run_reports


@pytest.fixture(scope="module")
def report_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    return run_reports(plan_runs(run_all=True), out=out, jobs=2)


def test_all_reports_succeed(report_run):
    assert report_run.status == "ok", report_run.failure_message()
    assert {n.name for n in report_run.notebooks} == set(NOTEBOOKS)
    index = (report_run.run_dir / "index.html").read_text(encoding="utf-8")
    for name in NOTEBOOKS:
        assert f'href="{name}.html"' in index


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_report_hides_code_and_shows_results(report_run, name):
    page = (report_run.run_dir / f"{name}.html").read_text(encoding="utf-8")
    assert "import salesnb" not in page and "report_data(" not in page
    assert "<img" in page  # charts are embedded
    assert NOTEBOOKS[name].title in page
    nb = json.loads((report_run.run_dir / f"{name}.ipynb").read_text(encoding="utf-8"))
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []
    # nothing printed raw either (a warm kernel's history database once printed "ERROR!")
    printed = [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "stream"]
    assert printed == []


class _Links(HTMLParser):
    """Every address a page would load or link: src, href, srcset and CSS url()."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "poster", "action") and value:
                self.found.append(value.strip())


def _addresses(text: str) -> list[str]:
    parser = _Links()
    parser.feed(text)
    css = (re.findall(r"url\(\s*['\"]?([^'\")\s]+)", text)
           + re.findall(r"@import\s+['\"]([^'\"]+)", text))
    return parser.found + css


def test_no_page_loads_anything_from_the_internet(report_run):
    pages = [*report_run.run_dir.glob("*.html"), report_run.run_dir.parent / "index.html"]
    pages = [p for p in pages if p.exists()]
    assert len(pages) >= len(NOTEBOOKS) + 1
    for page in pages:
        text = page.read_text(encoding="utf-8")
        external = [a for a in _addresses(text)
                    if urlsplit(a).scheme not in ("", "data") or a.startswith("//")]
        assert external == [], (page.name, external[:3])
        assert "cdnjs" not in text and "cdn.jsdelivr" not in text and "unpkg.com" not in text


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_a_page_opens_with_title_and_meta_line_and_ends_with_its_parameters(report_run, name):
    page = (report_run.run_dir / f"{name}.html").read_text(encoding="utf-8")
    body = page[page.index("<body"):]
    h1, meta = body.index("<h1"), body.index('<p class="salesnb-meta">')
    assert body.count("<h1") == 1 and h1 < meta < body.index("<img")
    line = body[meta:body.index("</p>", meta)]
    assert "For <b>the whole company</b> · as of " in line and "data through " in line
    assert "run " in line and 'href="index.html"' in line
    assert "parameters:" not in line and "sha256" not in line  # those are in "About"
    about = body.index('<details class="salesnb-about">')
    assert about > body.rindex("<img") and "About this report" in body[about:]
    run = next(n for n in report_run.notebooks if n.name == name)
    for param in run.parameters:
        if param not in ("source", "mapping"):
            assert f"<code>{param}</code>" in body[about:], param


#: A number a reader would have to decode: many decimals, an exponent, or seven or more
#: digits without a thousands separator.
_RAW_NUMBER = re.compile(r"(?<![\w.-])(\d+\.\d{5,}|\d+(\.\d+)?[eE][+-]?\d+|\d{7,}(\.\d+)?)"
                         r"(?![\w-])")


def test_no_page_shows_a_number_a_reader_has_to_decode(report_run):
    """Every number goes through the formatters: no 1e7, no 829064105.84, no 0.1234567."""
    import html as html_module

    for page in report_run.run_dir.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        body = re.sub(r"<(style|script)\b.*?</\1>|<img[^>]*>", " ", text, flags=re.S)
        visible = html_module.unescape(re.sub(r"<[^>]+>", " ", body))
        raw = [m.group(0) for m in _RAW_NUMBER.finditer(visible)]
        assert raw == [], (page.name, raw[:5])


def test_reports_leave_out_personal_data(report_run):
    customers = pd.read_csv(ROOT / "data" / "customers.csv", nrows=200)
    reps = pd.read_csv(ROOT / "data" / "reps.csv")
    secrets = (customers["email"].tolist() + customers["phone"].tolist()
               + customers["contact_name"].tolist() + customers["name"].tolist()
               + reps["email"].tolist())
    secrets = [s for s in secrets if s not in set(reps["name"])]  # a contact may share a
    # colleague's name, and colleagues' names are shown
    pages = {p.name: p.read_text(encoding="utf-8") for p in report_run.run_dir.glob("*.html")}
    for name, text in pages.items():
        leaked = [s for s in secrets if s in text]
        assert leaked == [], (name, leaked[:3])
    # reps are colleagues: their names are shown beside their ids by default
    assert reps.loc[reps["role"] == "rep", "name"].iloc[0] in pages["05_rep_assessment.html"]


def test_data_quality_report_content(report_run):
    page = (report_run.run_dir / "00_data_quality.html").read_text(encoding="utf-8")
    assert "Every row passed every rule" in page
    assert "137,278" in page  # order lines read


def test_segmentation_report_exports_the_action_list(report_run):
    page = (report_run.run_dir / "03_customer_segmentation.html").read_text(encoding="utf-8")
    assert "Champions" in page and "How customers moved between segments" in page
    index = (report_run.run_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="actions_for_reps.xlsx"' in index
    sheets = pd.read_excel(report_run.run_dir / "actions_for_reps.xlsx", sheet_name=None)
    listed = sheets["all"]
    customers = pd.read_csv(ROOT / "data" / "customers.csv")
    assert set(listed["customer_id"]) <= set(customers["customer_id"])
    assert not {"name", "email", "phone", "contact_name"} & set(listed.columns)
    assert set(sheets) == {"all", *listed["action"].unique()}


def test_product_region_report_content(report_run):
    page = (report_run.run_dir / "04_product_region.html").read_text(encoding="utf-8")
    assert "What drove the revenue change" in page
    assert "Products growing:" in page and "C-class products together make" in page
    assert "Regions losing market share" in page  # from the competitor estimates
    assert "too few price variations" not in page  # the sample supports an elasticity


def test_assessment_report_pays_with_an_audit_trail(report_run):
    page = (report_run.run_dir / "05_rep_assessment.html").read_text(encoding="utf-8")
    assert "Likely rank" in page or "likely rank" in page
    assert "reaches the" in page and "Promotion and training" in page
    index = (report_run.run_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="bonus_payouts.xlsx"' in index
    pay = pd.read_excel(report_run.run_dir / "bonus_payouts.xlsx")
    reps = pd.read_csv(ROOT / "data" / "reps.csv")
    assert set(pay["rep_id"]) <= set(reps["rep_id"]) and pay["rule"].notna().all()
    assert not {"name", "email"} & set(pay.columns)
