"""Chinese or English (issue 19): one setting for the language and the money, kept catalogs.

Every message a reader sees is in the gettext catalog of each language (a test fails while one
lacks its translation), a translation keeps its message's placeholders, and numbers, money and
days follow the language through Babel's CLDR data.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from conftest import require_browser

from salesnb.cli import main
from salesnb.core import fmt, i18n
from salesnb.report.messages import TRANSLATED_NOTEBOOKS, messages, missing
from salesnb.report.runner import plan_runs, run_reports

_PLACEHOLDER = re.compile(r"\{(\w*)\}")


def test_every_message_has_a_chinese_translation():
    assert len(messages()) > 50
    assert missing("zh-CN") == []


def test_translations_keep_their_placeholders():
    from babel.messages.pofile import read_po

    with i18n.catalog_path("zh-CN").open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    checked = 0
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        want = set(_PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            assert set(_PLACEHOLDER.findall(text)) == want, message.id
            checked += 1
    assert checked >= len(catalog) > 50


def test_numbers_money_and_days_follow_the_language():
    assert (fmt.money(1_234_567), fmt.money(-35_400), fmt.pct(0.152)) == ("$1.2 M", "-$35 k",
                                                                           "15 %")
    assert (fmt.day("2025-12-31"), fmt.month("2025-12-01")) == ("31 Dec 2025", "Dec 2025")
    with i18n.speaking("zh-CN", "CNY"):
        assert fmt.money(1_234_567) == "¥123.5万" and fmt.money(123_456_789) == "¥1.2亿"
        assert fmt.pct(0.152) == "15%" and fmt.compact(35_400) == "3.5万"
        assert (fmt.day("2025-12-31"), fmt.month("2025-12-01")) == ("2025年12月31日",
                                                                   "2025年12月")
        assert i18n._("all reports") == "全部报告"
    with i18n.speaking("zh-CN", "usd"):
        assert fmt.money(1_234_567) == "US$123.5万"
    assert i18n.language() == "en" and fmt.money(10) == "$10"


def test_an_unknown_language_or_currency_is_refused_before_any_kernel_starts(tmp_path,
                                                                            capsys):
    with pytest.raises(i18n.LocaleError, match="currency='XYZ' is not an ISO 4217"):
        plan_runs(["02_sales_forecast"], params={"currency": "XYZ"})
    with pytest.raises(i18n.LocaleError, match="lang='fr'"):
        i18n.set_language("fr")
    code = main(["run", "02_sales_forecast", "-p", "currency", "dollars", "--out",
                 str(tmp_path / "out"), "-q"])
    assert code == 2 and "ISO 4217" in capsys.readouterr().err


@pytest.mark.browser
def test_a_chinese_run_writes_chinese_pages_and_pdfs(tmp_path):
    require_browser()
    from pypdf import PdfReader

    run = run_reports(plan_runs(list(TRANSLATED_NOTEBOOKS),
                                params={"lang": "zh-CN", "currency": "CNY",
                                        "scope": "region:East"}),
                      out=tmp_path, jobs=2, pdf=True)  # every report, in Chinese
    assert run.status == "ok", run.failure_message()
    page = (run.run_dir / "02_sales_forecast.html").read_text(encoding="utf-8")
    assert '<html lang="zh"' in page and "<h1" in page
    head = page[page.index("<h1"):page.index("</p>", page.index('class="salesnb-meta"'))]
    assert "销售趋势与预测" in head and "适用范围：<b>" in head
    assert "数据截至" in head and "Data through" not in head and "as of" not in head
    for heading in ("收入走势", "趋势与季节性", "该相信哪个预测模型", "分组预测"):
        assert heading in page
    assert "本报告适用于" in page
    assert re.search(r"¥[\d.]+[万亿]", page)  # money in CNY, in 万 or 亿
    quality = (run.run_dir / "00_data_quality.html").read_text(encoding="utf-8")
    assert "数据质量" in quality and "完整性" in quality and "Completeness</h2>" not in quality
    index = (run.run_dir / "index.html").read_text(encoding="utf-8")
    assert "<h1>销售报告</h1>" in index and "销售趋势与预测" in index
    text = unicodedata.normalize("NFKC", "\n".join(
        p.extract_text() for p in PdfReader(run.run_dir / "02_sales_forecast.pdf").pages))
    assert "销售趋势与预测" in text and "收入走势" in text
    nb = (run.run_dir / "02_sales_forecast.ipynb").read_text(encoding="utf-8")
    assert "Glyph" not in nb  # the charts found a CJK font for their Chinese


@pytest.mark.browser
def test_screenshots_of_a_report_in_english_and_in_chinese(tmp_path, browser):
    """The top of the forecast report in both languages, as a reader's browser shows it.

    ``SALESNB_SCREENSHOTS=docs/screenshots`` writes them where the README shows them (how the
    committed ones were taken); otherwise they go to a temporary folder.
    """
    import os
    from pathlib import Path

    from conftest import ROOT

    where = Path(os.environ.get("SALESNB_SCREENSHOTS") or tmp_path / "shots")
    where = where if where.is_absolute() else ROOT / where
    where.mkdir(parents=True, exist_ok=True)
    for lang, money in (("en", "USD"), ("zh-CN", "CNY")):
        run = run_reports(plan_runs(["02_sales_forecast"], params={
            "lang": lang, "currency": money, "scope": "region:East"}),
            out=tmp_path / lang, jobs=1)
        assert run.status == "ok", run.failure_message()
        page = browser.new_page(viewport={"width": 1100, "height": 1500})
        page.goto((run.run_dir / "02_sales_forecast.html").as_uri())
        shot = where / f"forecast-{lang}.png"
        page.screenshot(path=str(shot))
        page.close()
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
