"""Product and region charts follow the plot convention: keyword-only ax, gca, return Axes."""

from __future__ import annotations

import inspect

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from products_tables import BASE, CURRENT, lines, pvm_orders, region_tables

from salesnb import products as pr
from salesnb.products import plots
from salesnb.products import regions as rg


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _tables() -> dict[str, tuple]:
    orders, products, _, competitors = region_tables()
    priced = lines([("2025-01-01", "P1", 2, 20.0), ("2025-01-02", "P1", 4, 36.0)])
    priced["unit_price"], priced["discount"] = 10.0, [0.0, 0.1]
    return {
        "plot_abc": (pr.abc(pvm_orders()),),
        "plot_structure": (pr.structure(orders, products),),
        "plot_price_volume_mix": (pr.price_volume_mix(pvm_orders(), base=BASE,
                                                      current=CURRENT),),
        "plot_discount_bands": (pr.discount_bands(priced, pd.DataFrame(
            {"product_id": ["P1"], "unit_cost": [5.0]})),),
        "plot_heatmap": (rg.cross(orders, products),),
        "plot_market_share": (rg.market_share(orders, competitors, products),),
    }


@pytest.mark.parametrize("name", plots.__all__)
def test_plots_take_a_keyword_only_ax_and_return_it(name):
    fn = getattr(plots, name)
    params = inspect.signature(fn).parameters
    assert params["ax"].kind is inspect.Parameter.KEYWORD_ONLY and params["ax"].default is None
    assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    args = _tables()[name]
    _, (left, right) = plt.subplots(1, 2)
    assert fn(*args, ax=right) is right and right.has_data() and not left.has_data()
    n_figs = len(plt.get_fignums())
    plt.sca(left)
    assert fn(*args) is left  # no ax: the current axes, no new figure
    assert len(plt.get_fignums()) == n_figs


def test_plot_keyword_arguments_reach_the_drawing_call():
    ax = plots.plot_discount_bands(_tables()["plot_discount_bands"][0], color="#000000")
    assert all(p.get_facecolor()[:3] == (0.0, 0.0, 0.0) for p in ax.patches)
    ax = plots.plot_heatmap(_tables()["plot_heatmap"][0], annot=False, ax=plt.figure().gca())
    assert not ax.texts


def test_price_volume_mix_waterfall_shows_the_totals():
    pvm = pr.price_volume_mix(pvm_orders(), base=BASE, current=CURRENT)
    ax = plots.plot_price_volume_mix(pvm)
    heights = [p.get_height() for p in ax.patches]
    t = pr.price_volume_totals(pvm)
    assert heights == pytest.approx([t["base_revenue"], t["volume_effect"], t["mix_effect"],
                                     t["price_effect"], t["current_revenue"]])
    assert [x.get_text() for x in ax.get_xticklabels()] == ["base", "volume", "mix", "price",
                                                            "current"]


def test_empty_charts_say_why():
    orders, products, _, _ = region_tables()
    ax = plots.plot_market_share(rg.market_share(orders, None, products))
    assert "No competitor estimates" in ax.texts[0].get_text()
    ax = plots.plot_structure(pd.DataFrame(), ax=plt.figure().gca())
    assert "No sales" in ax.texts[0].get_text()
