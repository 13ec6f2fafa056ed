"""The segmentation report's views: cached RFM, panels, headline, export beside the report."""

from __future__ import annotations

import pandas as pd
import pytest
from IPython.display import Markdown
from matplotlib.figure import Figure

import salesnb as sn
from salesnb import segments as sg
from salesnb.core.fmt import pct
from salesnb.paths import ARTIFACTS_ENV
from salesnb.segments import views as sv


@pytest.fixture(scope="module")
def orders():
    return sn.load("data", tables=["orders"]).orders


def test_rfm_cache_reuses_tables(orders):
    table_of = sv.rfm_cache(orders)
    first = table_of("2025-07-01", 5)
    again = table_of("2025-07-01", 5)
    assert table_of.cache_info().hits == 1 and table_of.cache_info().misses == 1
    pd.testing.assert_frame_equal(again, first)
    assert table_of("2025-07-01", 4)["r"].max() == 4
    assert first.attrs["as_of"] == "2025-07-01"
    assert table_of("", 5).attrs["as_of"] == "2025-12-31"  # the last order's day
    assert table_of.cache_info().misses == 3


def test_rfm_cache_hands_out_copies(orders):
    table_of = sv.rfm_cache(orders)
    first = table_of("2025-07-01", 5)
    kept = first.copy()
    who = first.index[0]
    first.loc[who, "monetary"] = -1.0  # a caller changing its table ...
    first["segment"] = first["segment"].cat.set_categories(["Lost"])
    first["r"] = 0
    first.attrs["as_of"] = "changed"
    first.attrs["excluded"]["lines read"] = -1
    again = table_of("2025-07-01", 5)  # ... does not change what the next caller gets
    assert table_of.cache_info().hits == 1
    pd.testing.assert_frame_equal(again, kept)
    assert again.attrs["as_of"] == "2025-07-01" and again.attrs["excluded"]["lines read"] > 0


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
    (typo,) = sv.segment_view("2025-13-45", 5, table_of=table_of)
    assert "as_of='2025-13-45'" in typo.data
    (no_col,) = sv.segment_view("", 5, table_of=sv.rfm_cache(orders, amount="net"))
    assert "amount='net'" in no_col.data


def test_figures_of_the_report(orders):
    table = sg.rfm(orders, as_of="2026-01-01")
    fig = sv.overview_figure(table)
    assert isinstance(fig, Figure) and len(fig.axes) >= 2
    assert fig.axes[0].get_title().startswith("Segments") and "recency" in fig.axes[1].get_title()
    mig = sg.migration(orders, as_of="2026-01-01", months=3)
    fig = sv.migration_figure(mig)
    assert isinstance(fig, Figure) and "Where customers moved" in fig.axes[0].get_title()


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
    assert sg.segment_share(table, sg.CORE).revenue_share == pytest.approx(core / 100)
    assert f"**{pct(core / 100)}** of that revenue" in text
    risk = summary.reindex(["At risk", "Can't lose"])["customers"].fillna(0).sum()
    assert f"{int(risk):,} customers who used to buy a lot" in text
    assert f"{len(table):,} customers" in text


def test_export_goes_beside_the_report(orders, tmp_path, monkeypatch):
    monkeypatch.setenv(ARTIFACTS_ENV, str(tmp_path))
    acts = sg.actions(sg.rfm(orders.head(500)))
    note = sv.export_note(acts, "list.csv")
    assert (tmp_path / "list.csv").exists() and "list.csv" in note.data
    back = pd.read_csv(tmp_path / "list.csv", dtype={"customer_id": str})
    assert back["customer_id"].tolist() == acts["customer_id"].tolist()
    note = sv.export_note(acts, "list.xlsx")
    sheets = pd.read_excel(tmp_path / "list.xlsx", sheet_name=None)
    assert list(sheets) == list(sg.action_sheets(acts)) and len(sheets["all"]) == len(acts)
    assert sum(len(v) for k, v in sheets.items() if k != "all") == len(acts)
    assert "No file written" in sv.export_note(acts, "").data
    monkeypatch.delenv(ARTIFACTS_ENV)  # JupyterLab or the app: opening a page writes nothing
    note = sv.export_note(acts, "other.xlsx")
    assert "write_table(segments.action_sheets(actions)" in note.data
    assert not (tmp_path / "other.xlsx").exists()
    assert 'write_table(actions, "other.csv")' in sv.export_note(acts, "other.csv").data


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


def test_segment_revenue_is_said_to_be_all_time_and_adds_up():
    """The headline's revenue is each customer's over all orders: labelled, with its span."""
    import re

    from salesnb.core.fmt import day, money
    from salesnb.segments import summaries

    d = sn.load("data")
    table = sn.segments.rfm(d.orders, as_of=d.as_of)
    text = summaries.revenue_span(table)
    first = table["first_purchase"].min().date()
    assert text == (f"net revenue of all their orders, {day(first)} – {day(d.as_of)} "
                    f"({money(table['monetary'].sum())} in all), not one year's")
    assert table["monetary"].sum() == pytest.approx(
        d.orders.loc[d.orders["customer_id"].notna(), "revenue"].sum())
    summary = summaries.segment_summary(table)
    assert {"revenue (all time)", "avg revenue (all time)"} <= set(summary.columns)
    assert "revenue" not in summary.columns
    head = sv.headline(table).data
    assert text in head and "of that revenue" in head
    share = re.search(r"bring \*\*(\d+) %\*\* of that revenue", head)
    core = table["segment"].isin(sn.segments.CORE)
    assert int(share[1]) == round(100 * table.loc[core, "monetary"].sum()
                                  / table["monetary"].sum())
