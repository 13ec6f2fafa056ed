"""The product and region report for each scope: the scope's orders, one company line."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

import salesnb as sn
from salesnb.core.fmt import money, pct
from salesnb.errors import SalesnbError
from salesnb.products import regions as rg
from salesnb.products import scoped as sv
from salesnb.products.views import category_table, period_markdown, product_table
from salesnb.report.reporting import show
from salesnb.scope import apply_scope

matplotlib.use("Agg")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "04_product_region.ipynb"
EAST = {"R004", "R019", "R020", "R021", "R022", "R023", "R024"}


@pytest.fixture(scope="module")
def d():
    return sn.load("data")


@pytest.fixture(scope="module")
def east(d):
    return apply_scope(d, "region:East")


@pytest.fixture(autouse=True)
def _close():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def _revenue(orders: pd.DataFrame, window) -> float:
    day = pd.to_datetime(orders["order_date"])
    lo, hi = pd.Timestamp(window[0]), pd.Timestamp(window[1]) + pd.Timedelta(days=1)
    return float(orders.loc[(day >= lo) & (day < hi), "revenue"].sum())


def test_a_regions_product_totals_equal_the_companys_filtered_to_it(d, east):
    sel = sv.report_selection(east)
    company = sv.report_selection(apply_scope(d, "company"), region="East")
    assert (sel.base, sel.current) == (company.base, company.current)
    for table in (product_table, category_table):
        ours = table(sel.orders, d.products, base=sel.base, current=sel.current)
        theirs = table(company.orders, d.products, base=company.base, current=company.current)
        pd.testing.assert_frame_equal(ours, theirs)
    total = product_table(sel.orders, d.products, base=sel.base, current=sel.current)
    assert total["revenue"].sum() == pytest.approx(
        _revenue(d.orders[d.orders["region"] == "East"], sel.current))


def test_the_company_line_equals_the_companys_figures(d, east):
    sel = sv.report_selection(east)
    table = sv.region_view(east, sel)
    line = table.set_index("region").loc[sv.COMPANY_ROW]
    company = sv.report_selection(apply_scope(d, "company"))
    regions = sv.region_view(apply_scope(d, "company"), company)
    assert line["revenue"] == pytest.approx(regions["revenue"].sum())
    assert line["base revenue"] == pytest.approx(regions["base revenue"].sum())
    assert line["growth %"] == pytest.approx(
        100 * (regions["revenue"].sum() / regions["base revenue"].sum() - 1))
    day = pd.to_datetime(d.orders["order_date"])
    now = d.orders[(day >= pd.Timestamp(sel.current[0]))
                   & (day <= pd.Timestamp(sel.current[1]))]
    assert line["reps"] == now["rep_id"].nunique()
    assert line["active customers"] == now["customer_id"].nunique()
    assert line["known customers"] == d.customers["customer_id"].nunique()
    wins = sv.win_rate_view(east, sel).set_index("region").loc[sv.COMPANY_ROW]
    closed = d.opportunities[pd.to_datetime(d.opportunities["closed_date"]).between(
        pd.Timestamp(sel.current[0]), pd.Timestamp(sel.current[1]))]
    assert wins["won"] == (closed["stage"] == "won").sum()
    assert wins["lost"] == (closed["stage"] == "lost").sum()


def test_the_region_page_lists_only_its_region_and_the_company_line(east):
    sel = sv.report_selection(east)
    allowed = {"East", sv.COMPANY_ROW}
    assert list(sv.region_view(east, sel)["region"]) == ["East", sv.COMPANY_ROW]
    assert list(sv.win_rate_view(east, sel)["region"]) == ["East", sv.COMPANY_ROW]
    ax = sv.category_mix_view(east, sel)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["East", sv.COMPANY_ROW]
    shares = sv.market_shares(east, sel)
    assert set(shares["region"]) == {"East"}
    assert set(rg.share_change(shares, base=sel.base, current=sel.current)["region"]) <= allowed
    assert set(sv.competitor_view(east, sel)["region"]) == {"East"}


def test_the_company_page_compares_every_region(d):
    company = apply_scope(d, "company")
    sel = sv.report_selection(company)
    assert set(sv.region_view(company, sel)["region"]) == {"North", "South", "East", "West",
                                                           "Central"}
    assert sel.company is None and sel.market is None


@pytest.mark.parametrize("scope, label", [("manager:R004", "East (team)"),
                                          ("rep:R013", "South (R013)")])
def test_a_team_or_rep_row_is_labelled_as_theirs(d, scope, label):
    scoped = apply_scope(d, scope)
    sel = sv.report_selection(scoped)
    table = sv.region_view(scoped, sel)
    assert list(table["region"]) == [label, sv.COMPANY_ROW]
    own = d.orders[d.orders["rep_id"].isin(scoped.scope.reps)]
    assert table["revenue"].iloc[0] == pytest.approx(_revenue(own, sel.current))


def test_a_reps_market_share_is_of_the_whole_market(d):
    rep = apply_scope(d, "rep:R013")
    sel = sv.report_selection(rep)
    shares = sv.market_shares(rep, sel)
    company = rg.market_share(d.orders, d.competitors, d.products)
    south = company[company["region"] == "South"].set_index(["category", "period"])
    mine = shares.set_index(["category", "period"])
    assert set(shares["region"]) == {"South"}
    pd.testing.assert_series_equal(mine["market"], south["market"].reindex(mine.index))
    assert (mine["share"] < 0.2).all()  # one rep's part of the market, not the region's


def _sentence(lines: list[str], start: str) -> str:
    hits = [line for line in lines if line.startswith(start)]
    assert hits, (start, lines)
    return hits[0]


def test_the_findings_are_true_of_the_scopes_numbers(d, east):
    sel = sv.report_selection(east)
    lines = sv.scope_findings(east, sel)
    own = d.orders[d.orders["region"] == "East"]
    cur, prev = _revenue(own, sel.current), _revenue(own, sel.base)
    first = _sentence(lines, "Revenue was")
    assert f"**{money(cur)}**" in first and f"({money(prev)};" in first
    assert f"**{pct(cur / prev - 1, digits=1, signed=True)}**" in first
    whole = _revenue(d.orders, sel.current) / _revenue(d.orders, sel.base) - 1
    assert f"whole company: {pct(whole, digits=1, signed=True)}" in first
    share = _sentence(lines, "Our share of the East market")
    comp = d.competitors[d.competitors["region"] == "East"]
    period = pd.to_datetime(comp["period"])

    def share_in(window) -> float:
        lo, hi = pd.Timestamp(window[0]), pd.Timestamp(window[1])
        theirs = comp.loc[(period >= lo) & (period <= hi), "estimated_revenue"].sum()
        ours = _revenue(own, window)
        return ours / (ours + theirs)

    before, after = share_in(sel.base), share_in(sel.current)
    assert f"({pct(before, digits=1)} → {pct(after, digits=1)})" in share
    assert f"{abs(100 * (after - before)):.1f} pp" in share
    assert ("rose" if after > before else "fell") in share
    for line in lines:
        assert not re.search(r"\b(North|South|West|Central)\b", line), line


def test_a_reps_findings_name_the_rep_not_us(d):
    rep = apply_scope(d, "rep:R013")
    text = " ".join(sv.scope_findings(rep, sv.report_selection(rep)))
    assert "The rep's share of the South market" in text
    assert " us:" not in text and "our +" not in text


def test_a_region_outside_the_scope_gives_a_sentence(east):
    sel = sv.report_selection(east, region="North")
    assert sel.region == "all" and len(sel.orders) == len(sel.every_region)
    text = period_markdown(sel.base, sel.current, sel.note).data
    assert "'North'" in text and "outside this report's scope" in text and "East" in text
    same = sv.report_selection(east, region="east")  # its own region, any case
    assert same.region == "East" and same.note == ""


def test_the_company_page_still_refuses_a_region_the_data_lacks(d):
    with pytest.raises(SalesnbError, match="regions are"):
        sv.report_selection(apply_scope(d, "company"), region="Atlantis")


def test_every_page_compares_the_same_periods(d):
    periods = {(s.base, s.current) for s in
               (sv.report_selection(apply_scope(d, x))
                for x in ("company", "region:West", "manager:R003", "rep:R013"))}
    assert len(periods) == 1


def _html(*frames: pd.DataFrame) -> str:
    return "".join(show(f).to_html() for f in frames if not f.empty)


@pytest.mark.parametrize("scope", ["region:East", "manager:R004", "rep:R020"])
def test_no_rep_or_customer_of_another_region_in_the_tables(d, scope):
    scoped = apply_scope(d, scope)
    sel = sv.report_selection(scoped)
    html = _html(sv.region_view(scoped, sel), sv.win_rate_view(scoped, sel),
                 sv.competitor_view(scoped, sel),
                 product_table(sel.orders, d.products, base=sel.base, current=sel.current))
    html += " ".join(sv.scope_findings(scoped, sel)) + sel.note
    assert set(re.findall(r"R0\d\d", html)) <= EAST
    east_customers = set(d.customers.loc[d.customers["region"] == "East", "customer_id"])
    assert set(re.findall(r"C\d{5}", html)) <= east_customers
    assert not re.search(r"\b(North|South|West|Central)\b", html)


def _cells() -> list[str]:
    import json

    nb = json.loads(NOTEBOOK.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("scope", ["region:East", "manager:R004", "rep:R013"])
def test_the_notebook_cells_run_for_every_kind_of_scope(d, scope, monkeypatch):
    monkeypatch.setenv("SALESNB_HEADLESS", "1")
    import matplotlib.pyplot as plt

    ns: dict[str, object] = {}
    cells = _cells()
    exec(cells[0], ns)  # the parameters
    for src in cells[1:]:
        if src.startswith("d = report_data("):
            ns["d"] = apply_scope(d, scope)
        elif src.startswith("section("):
            assert eval(src, ns).runs, src
        else:
            exec(src, ns)
        plt.close("all")
    assert ns["sel"].region == "all"


def test_the_orders_only_export_runs_for_a_region(tmp_path):
    from conftest import ORDERS_ONLY_MAPPING, write_orders_only

    write_orders_only(tmp_path)
    data = sn.load(tmp_path, ORDERS_ONLY_MAPPING)
    west = apply_scope(data, "region:West")
    sel = sv.report_selection(west)
    table = sv.region_view(west, sel)
    assert list(table["region"]) == ["West", sv.COMPANY_ROW]
    whole = sv.region_view(data, sv.report_selection(data))
    assert table["revenue"].iloc[0] == pytest.approx(
        whole.set_index("region").loc["West", "revenue"])
    assert table["revenue"].iloc[1] == pytest.approx(whole["revenue"].sum())
    assert np.isfinite(table["coverage %"]).all()
    assert sv.scope_findings(west, sel)[0].startswith("Revenue was")
