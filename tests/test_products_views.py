"""The product report's views: display tables, Markdown and the explore panel."""

from __future__ import annotations

import pytest
from conftest import AS_OF, ROOT
from products_tables import BASE, CURRENT, pvm_orders

import salesnb as sn
from salesnb import products as pr
from salesnb.core.fmt import money, pct
from salesnb.products import views as pv


@pytest.fixture(scope="module")
def sample():
    return sn.load(ROOT / "data", as_of=AS_OF)


def test_pvm_table_ends_with_the_total_row():
    pvm = pr.price_volume_mix(pvm_orders(), base=BASE, current=CURRENT)
    table = pv.pvm_table(pvm, top=2)
    assert table["product_id"].tolist() == ["B", "A", "all 3 items"]  # one not listed
    total = table.iloc[-1]
    assert total[["base", "current", "change"]].tolist() == [300.0, 315.0, 15.0]
    assert total[["price", "volume", "mix"]].sum() == pytest.approx(15.0)


def test_product_table_shows_percentages_and_names(sample):
    base, current = pr.periods(sample.orders)
    table = pv.product_table(sample.orders, sample.products, base=base, current=current)
    assert table.columns[:3].tolist() == ["product_id", "name", "category"]
    assert table["share %"].sum() == pytest.approx(100.0)
    cats = pv.category_table(sample.orders, sample.products, base=base, current=current)
    assert set(cats["category"]) == set(sample.products["category"])


def test_markdown_pieces():
    assert "2025-01-01 – 2025-12-31" in pv.period_markdown(BASE, CURRENT).data
    assert pv.findings_markdown(["a", "b"]).data == "- a\n- b"
    assert "No findings" in pv.findings_markdown([]).data


def test_explore_view_handles_a_period_without_data(sample):
    out = pv.explore_view("West", "all", "2010-01-01", "2010-12-31", "2025-01-01",
                          "2025-12-31", orders=sample.orders, products=sample.products)
    assert len(out) == 1 and "no order lines in the base period" in out[0].data
    full = pv.explore_view("West", "Software", "", "", "", "", orders=sample.orders,
                           products=sample.products)
    assert "region West" in full[0].data and len(full) == 3
    sub = pr.filter_orders(sample.orders, sample.products, "West", "Software")
    base, current = pr.periods(sample.orders)
    t = pr.price_volume_totals(pr.price_volume_mix(sub, base=base, current=current))
    assert (f"revenue {money(t['current_revenue'])} in 2025-01-01 – 2025-12-31 against "
            f"{money(t['base_revenue'])} in 2024-01-01 – 2024-12-31 "
            f"({pct(t['growth'], digits=1, signed=True)}): volume {money(t['volume_effect'])}"
            ) in full[0].data


def test_a_scheduled_page_explores_in_one_line_what_it_shows_above(sample, monkeypatch):
    """Headless, the panel's view is the report's own choice: its headline, not a second
    waterfall and product table; the app keeps them."""
    from salesnb.paths import HEADLESS_ENV
    from salesnb.report import widgets

    shown = []
    monkeypatch.setattr(widgets, "display_all", shown.append)
    monkeypatch.setenv(HEADLESS_ENV, "1")
    assert pv.explore_panel(sample.orders, sample.products, region="West") is None
    full = pv.explore_view("West", "all", "", "", "", "", orders=sample.orders,
                           products=sample.products)
    assert len(shown) == 1 and len(shown[0]) == 1 and shown[0][0].data == full[0].data
    monkeypatch.delenv(HEADLESS_ENV)
    assert isinstance(pv.explore_panel(sample.orders, sample.products), widgets.Panel)


def test_the_elasticity_notes_say_what_a_price_cut_does_to_gross_profit():
    """A cut that raises revenue lowers gross profit when units grow by less than 1/margin."""
    import re

    from salesnb.products.pricing import profit_note
    from salesnb.products.views import elasticity_table

    d = sn.load("data")
    table = elasticity_table(d.orders, d.products)
    assert table["margin %"].notna().all()
    for _, row in table.iterrows():
        need = 100 / row["margin %"]
        said = re.search(r"grow over (\d+\.\d) % per 1 % off", row["note"])
        assert said is not None and float(said[1]) == round(need, 1)
        if row["ci_low"] > -need:
            assert "lowers gross profit" in row["note"]
        elif row["ci_high"] < -need:
            assert "raises gross profit too" in row["note"]
    # on the sample every category is elastic, yet a cut costs profit at its margin: the two
    # sentences agree with the list of products to re-price
    assert table["note"].str.contains("raises revenue").all()
    assert table["note"].str.contains("lowers gross profit").all()
    assert "raises gross profit too" in profit_note(-5.0, -5.5, -4.5, 50.0)  # needs 2 % a cut
    assert "uncertain" in profit_note(-2.0, -2.5, -1.5, 50.0)
    assert profit_note(-2.0, -2.5, -1.5, float("nan")) == ""
