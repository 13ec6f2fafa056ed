"""The segmentation report's views: cached RFM, panels, headline, export beside the report."""

from __future__ import annotations

import pandas as pd
import pytest
from IPython.display import Markdown
from matplotlib.figure import Figure

import salesnb as sn
from salesnb import segments as sg
from salesnb.paths import ARTIFACTS_ENV
from salesnb.segments import views as sv


@pytest.fixture(scope="module")
def orders():
    return sn.load("data", tables=["orders"]).orders


def test_rfm_cache_reuses_tables(orders):
    table_of = sv.rfm_cache(orders)
    first = table_of("2025-07-01", 5)
    assert table_of("2025-07-01", 5) is first
    assert table_of("2025-07-01", 4) is not first
    assert first.attrs["as_of"] == "2025-07-01"
    assert table_of("", 5).attrs["as_of"] == "2026-01-01"


def test_segment_view_follows_its_controls(orders):
    table_of = sv.rfm_cache(orders)
    note, fig, table = sv.segment_view("2025-01-01", 5, table_of=table_of)
    assert isinstance(note, Markdown) and isinstance(fig, Figure)
    assert "as of 2025-01-01" in note.data
    later = sv.segment_view("2026-01-01", 4, table_of=table_of)
    assert "scored 1-4" in later[0].data
    assert table.data.equals(sg.segment_summary(table_of("2025-01-01", 5))
                             .drop(columns="what to do"))
    (bad,) = sv.segment_view("2000-01-01", 5, table_of=table_of)
    assert "no order line" in bad.data


def test_cluster_view_reports_bad_k_instead_of_failing(orders):
    table_of = sv.rfm_cache(orders.head(30))
    out = sv.cluster_view("", 3, table_of=table_of)
    assert "k = 3 as asked" in out[0].data and isinstance(out[2], Figure)
    (msg,) = sv.cluster_view("", 10, table_of=sv.rfm_cache(orders.head(8)))
    assert "choose k <=" in msg.data


def test_headline_numbers_match_the_summary(orders):
    table = sg.rfm(orders, as_of="2026-01-01")
    summary = sg.segment_summary(table)
    text = sv.headline(table).data
    core = summary.loc[["Champions", "Loyal"], "revenue %"].sum()
    assert f"**{core:.0f} %** of net revenue" in text
    assert f"{len(table):,} customers" in text


def test_export_goes_beside_the_report(orders, tmp_path, monkeypatch):
    monkeypatch.setenv(ARTIFACTS_ENV, str(tmp_path))
    acts = sg.actions(sg.rfm(orders.head(500)))
    note = sv.export_note(acts, "list.csv")
    assert (tmp_path / "list.csv").exists() and "list.csv" in note.data
    assert len(pd.read_csv(tmp_path / "list.csv")) == len(acts)
    assert "No file written" in sv.export_note(acts, "").data
    monkeypatch.delenv(ARTIFACTS_ENV)  # JupyterLab or the app: opening a page writes nothing
    note = sv.export_note(acts, "other.xlsx")
    assert "export_actions" in note.data and not (tmp_path / "other.xlsx").exists()


def test_panels_recompute_on_a_control_change(orders, monkeypatch):
    from salesnb.report.widgets import HEADLESS_ENV, Panel

    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    table_of = sv.rfm_cache(orders)
    p = sv.segment_panel(orders, table_of, as_of="2025-07-01", bins=5)
    assert isinstance(p, Panel) and p.values() == {"as_of": "2025-07-01", "bins": 5}
    p.controls["bins"].value = 3
    assert p.calls == 2 and table_of.cache_info().currsize == 2
    c = sv.cluster_panel(orders.head(2000), as_of="", k=2)
    c.controls["k"].value = 3
    assert c.calls == 2
    monkeypatch.setenv(HEADLESS_ENV, "1")
    assert sv.segment_panel(orders, table_of, as_of="2025-07-01", bins=5) is None
