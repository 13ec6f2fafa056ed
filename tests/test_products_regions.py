"""Region analysis: performance, coverage, win rates, market share, competitor growth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from products_tables import BASE, CURRENT, ENGINES, region_tables

from salesnb.errors import ColumnError
from salesnb.products import regions as rg


@pytest.mark.parametrize("engine", ENGINES)
def test_region_performance_coverage_and_revenue_per_rep(engine):
    orders, _, customers, _ = region_tables()
    out = rg.performance(orders, current=CURRENT, base=BASE, customers=customers,
                         engine=engine).set_index("region")
    assert out.loc["North", "revenue"] == 200 and out.loc["North", "growth_pct"] == 100
    assert out.loc["North", "revenue_per_rep"] == 100  # two selling reps
    assert out.loc["North", "coverage_pct"] == pytest.approx(100 * 2 / 3)
    assert out.loc["South", "coverage_pct"] == 50
    assert np.isnan(out.loc["South", "growth_pct"])
    assert "growth undefined" in out.loc["South", "note"]


def test_market_share_shares_and_missing_estimates():
    orders, products, _, competitors = region_tables()
    shares = rg.market_share(orders, competitors, products)
    s = shares.set_index(["region", "category", "period"])
    assert s.loc[("North", "tools", pd.Timestamp("2025-01-01")), "share"] == \
        pytest.approx(150 / (150 + 450))
    assert s.loc[("North", "tools", pd.Timestamp("2024-01-01")), "share"] == \
        pytest.approx(100 / 400)
    south = shares[shares["region"] == "South"]
    assert south["share"].isna().all() and (south["note"].str.contains("no competitor")).all()
    change = rg.share_change(shares, base=BASE, current=CURRENT).set_index("region")
    cur = 100 * (150 + 50) / (150 + 50 + 450 + 150)
    assert change.loc["North", "change_pp"] == pytest.approx(cur - 25.0)
    assert "no competitor estimates" in change.loc["South", "note"]
    growth = rg.competitor_growth(orders, competitors, products, base=BASE, current=CURRENT)
    x = growth.set_index("competitor").loc["X"]
    assert x["growth_pct"] == pytest.approx(100 * (500 / 300 - 1))
    assert x["our_growth_pct"] == pytest.approx(100.0) and not x["faster"]
    none = rg.market_share(orders, None, products)
    assert none["share"].isna().all()


def test_win_rates_by_customer_region():
    _, _, customers, _ = region_tables()
    opp = pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C5", "C4"],
                        "stage": ["won", "lost", "won", "won", "quote"],
                        "amount": [100.0, 300.0, 50.0, 100.0, 10.0],
                        "closed_date": pd.to_datetime(["2025-01-05", "2025-02-01",
                                                       "2025-03-01", "2023-01-01", None])})
    out = rg.win_rates(opp, customers=customers, period=CURRENT).set_index("region")
    assert out.loc["North", ["won", "lost"]].tolist() == [1, 1]
    assert out.loc["North", "win_rate"] == 50
    assert out.loc["North", "amount_win_rate"] == 25
    assert out.loc["South", "win_rate"] == 100


def test_region_functions_name_a_missing_column():
    orders, products, _, competitors = region_tables()
    with pytest.raises(ColumnError, match="no column region='Country'"):
        rg.performance(orders, current=CURRENT, region="Country")
    with pytest.raises(ColumnError, match="competitors has no column 'estimate'"):
        rg.market_share(orders, competitors, products, estimate="estimate")


def test_region_charts_stay_importable_from_regions():
    from salesnb.products import plots

    assert rg.plot_heatmap is plots.plot_heatmap
    assert rg.plot_market_share is plots.plot_market_share
