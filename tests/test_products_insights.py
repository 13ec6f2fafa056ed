"""Findings in words: every sentence is true of the numbers it states."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from conftest import AS_OF, ROOT
from products_tables import BASE, CURRENT, lines

import salesnb as sn
from salesnb import products as pr
from salesnb.core.fmt import money, pct
from salesnb.products import regions as rg


@pytest.fixture(scope="module")
def sample():
    return sn.load(ROOT / "data", as_of=AS_OF)


def hand_made() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A grows, B declines (thin margin), C is new (no cost), D stopped selling."""
    orders = lines([
        ("2024-01-10", "A", 10, 100.0), ("2024-02-10", "B", 10, 400.0),
        ("2024-03-10", "D", 5, 50.0),
        ("2025-01-10", "A", 15, 165.0), ("2025-02-10", "B", 8, 300.0),
        ("2025-03-10", "C", 5, 50.0),
    ])
    products = pd.DataFrame({"product_id": ["A", "B", "C", "D"],
                             "name": ["Alpha", "Beta", "Gamma", "Delta"],
                             "unit_cost": [5.0, 30.0, np.nan, 4.0]})
    competitors = pd.DataFrame({"period": pd.to_datetime(["2024-01-01", "2025-01-01"]),
                                "region": ["North", "North"], "competitor": ["X", "X"],
                                "estimated_revenue": [450.0, 700.0]})
    return orders, products, competitors


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_findings_on_a_hand_made_table(engine):
    orders, products, competitors = hand_made()
    got = [line.replace("\\$", "$") for line in pr.findings(  # \$: an escaped amount
        orders, products, competitors, base=BASE, current=CURRENT, margin_floor=25.0,
        engine=engine)]
    # 515 against 550; North's share 550 / 1000 -> 515 / 1215; X grows 450 -> 700
    assert got == [
        "Revenue was **$515** in the current period, **-6.4 %** against the base period ($550).",
        "Products growing: A (Alpha) +65 % to $165.",
        "Products declining: B (Beta) -25 % to $300.",
        "New products (no sales in the base period, so no growth rate): C (Gamma) $50.",
        "No sales any more in the current period: D (Delta) (had $50).",
        "Regions losing market share: North -12.6 pp (55.0 % → 42.4 %).",
        "Competitors growing faster than us: X in North +56 % against our -6 %.",
        "Products to re-price (gross margin under 25 % after discounts): B (Beta) margin 20 % "
        "at 0 % average discount.",
        "1 product has no unit cost: its margin is unknown.",
        "1 C-class product makes 0.0 % of revenue: review whether to keep it "
        "(D (Delta)).",
    ]


def test_findings_without_competitors_or_regions_say_so():
    orders, products, _ = hand_made()
    none = pr.findings(orders, products, None, base=BASE, current=CURRENT)
    assert "No competitor estimates: market share cannot be judged." in none
    no_region = pr.findings(orders.drop(columns="region"), products, None, base=BASE,
                            current=CURRENT)
    assert not any("market share" in s or "competitor" in s.lower() for s in no_region)


def _sentence(lines_: list[str], start: str) -> str:
    hits = [s for s in lines_ if s.startswith(start)]
    assert len(hits) == 1, (start, lines_)
    return hits[0]


def test_findings_on_the_sample_state_the_analyses_numbers(sample):
    base, current = pr.periods(sample.orders)
    got = [line.replace("\\$", "$") for line in pr.findings(
        sample.orders, sample.products, sample.competitors, base=base, current=current)]
    perf = pr.performance(sample.orders, sample.products, current=current, base=base)
    cur, prev = perf["revenue"].sum(), perf["base_revenue"].sum()
    assert got[0] == (f"Revenue was **{money(cur)}** in the current period, "
                      f"**{pct(cur / prev - 1, digits=1, signed=True)}** against the base "
                      f"period ({money(prev)}).")
    both = perf[(perf["base_revenue"] > 0) & (perf["revenue"] > 0)].set_index("product_id")
    for start, fastest in (("Products growing:", True), ("Products declining:", False)):
        sentence = _sentence(got, start)
        named = re.findall(r"(P\d+) \([^)]*\) ([+-]\d+) % to (\$[\d.,]+(?: [kM])?)", sentence)
        assert 0 < len(named) <= 3
        for pid, growth, revenue in named:
            row = both.loc[pid]
            assert bool(row["growth_pct"] > 0) is fastest
            assert growth == f"{row['growth_pct']:+.0f}" and revenue == money(row["revenue"])
        ranked = both["growth_pct"].sort_values(ascending=not fastest)
        ranked = ranked[ranked > 0] if fastest else ranked[ranked < 0]
        assert [p for p, *_ in named] == ranked.index[:len(named)].tolist()
        if len(ranked) > 3:  # the count first, then the first three
            assert sentence.startswith(f"{start} {len(ranked)} products (the ")
    change = rg.share_change(rg.market_share(sample.orders, sample.competitors,
                                             sample.products, by=("region",)),
                             base=base, current=current).set_index("region")
    losing = _sentence(got, "Regions losing market share:")
    for region, pp in re.findall(r"(\w+) ([+-][\d.]+) pp", losing):
        value = change.loc[region, "change_pp"]
        assert value < 0 and pp == f"{value:+.1f}"
    assert len(re.findall(r" pp ", losing)) == (change["change_pp"] < 0).sum()
    thin = _sentence(got, "Products to re-price")
    for pid, margin in re.findall(r"(P\d+) \([^)]*\) margin (\d+) %", thin):
        m = perf.set_index("product_id").loc[pid, "margin_pct"]
        assert m < 20 and margin == f"{m:.0f}"
    classes = pr.abc(sample.orders, products=sample.products, period=current)
    c = classes[classes["class"] == "C"]
    assert _sentence(got, f"{len(c)} C-class products together make "
                     f"{pct(c['share'].sum(), digits=1)} of revenue")
    assert all(len(re.findall(r"\bP\d{3}\b", s)) <= 6 for s in got)  # never a long list
