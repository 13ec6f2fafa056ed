"""PDFs beside the HTML pages (``salesnb run --pdf``, issue 19), printed by a real Chromium."""

from __future__ import annotations

import pytest
from conftest import require_browser

from salesnb.cli import main
from salesnb.report.pdf import CHROMIUM_ENV, PdfError, chromium
from salesnb.report.runner import plan_runs, run_reports

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    require_browser()
    out = tmp_path_factory.mktemp("pdf")
    return run_reports(plan_runs(["00_data_quality", "02_sales_forecast"],
                                 params={"scope": "region:East"}), out=out, jobs=2, pdf=True)


def test_each_page_gets_a_pdf_that_shows_its_text(printed):
    from pypdf import PdfReader

    assert printed.status == "ok", printed.failure_message()
    for run in printed.notebooks:
        pdf = printed.run_dir / run.pdf
        assert run.pdf == f"{run.name}.pdf" and pdf.read_bytes()[:5] == b"%PDF-"
        reader = PdfReader(pdf)
        assert len(reader.pages) >= 2
        first = reader.pages[0].extract_text()
        assert run.title in first  # the page's own heading
        assert "For East region" in first and "as of " in first  # its header line
        text = "\n".join(p.extract_text() for p in reader.pages)
        assert "Traceback" not in text


def test_the_index_links_each_pdf(printed):
    index = (printed.run_dir / "index.html").read_text(encoding="utf-8")
    for run in printed.notebooks:
        assert f'href="{run.pdf}">PDF</a>' in index
    import json

    manifest = json.loads((printed.run_dir / "manifest.json").read_text())
    assert {n["pdf"] for n in manifest["notebooks"]} == {n.pdf for n in printed.notebooks}


def test_without_a_browser_pdf_is_refused_before_any_report_runs(tmp_path, monkeypatch,
                                                                  capsys):
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "no-such-chromium"))
    with pytest.raises(PdfError, match=f"{CHROMIUM_ENV}=.*not an executable"):
        chromium()
    code = main(["run", "00_data_quality", "--pdf", "--out", str(tmp_path / "out"), "-q"])
    assert code == 2
    err = capsys.readouterr().err
    assert "not an executable file" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
