"""The sales-forecast report for each scope: the scope's orders, one labelled company figure."""

from __future__ import annotations

import dataclasses
import re

import matplotlib
import pandas as pd
import pytest

import salesnb as sn
from salesnb.forecast import hierarchy, pipeline, series, trends
from salesnb.forecast import views as v
from salesnb.scope import apply_scope

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def d():
    return sn.load("data")


@pytest.fixture(autouse=True)
def _close():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def _monthly(orders: pd.DataFrame) -> pd.Series:
    """Revenue per calendar month, straight from order lines (no salesnb code)."""
    month = pd.to_datetime(orders["order_date"]).dt.to_period("M").dt.start_time
    return orders.groupby(month)["revenue"].sum()


def _pct(text: str) -> float:
    return float(text.replace("%", "").replace(" ", ""))


def test_a_rep_history_is_the_company_orders_filtered_to_the_rep(d):
    rep = apply_scope(d, "rep:R013")
    h = v.scope_history(rep, "region")
    expected = _monthly(d.orders[d.orders["rep_id"] == "R013"]).reindex(h.frame.index,
                                                                        fill_value=0.0)
    pd.testing.assert_series_equal(h.total, expected, check_names=False, check_freq=False)
    assert h.total.sum() < 0.2 * _monthly(d.orders).sum()


def test_a_rep_forecast_is_computed_from_that_reps_orders_only(d):
    rep = apply_scope(d, "rep:R013")
    fitted = v.forecast_cache(rep.orders, rep.products, as_of=rep.as_of,
                              last_day=v.data_end(rep))
    history, coherent, _ = fitted("category", 3, "seasonal_naive")
    own = d.orders[d.orders["rep_id"] == "R013"]
    frame = series.order_history(own, by="category", products=d.products,
                                 last_day=d.orders["order_date"].max()).frame
    pd.testing.assert_frame_equal(history.frame, frame)
    alone, _ = hierarchy.coherent_forecasts(frame, horizon=3, model="seasonal_naive")
    pd.testing.assert_frame_equal(coherent["total"], alone["total"])
    company, _ = hierarchy.coherent_forecasts(
        series.order_history(d.orders, by="category", products=d.products).frame,
        horizon=3, model="seasonal_naive")
    assert coherent["total"]["mean"].sum() < 0.2 * company["total"]["mean"].sum()


def test_a_region_total_equals_the_company_total_filtered_to_the_region(d):
    east = apply_scope(d, "region:East")
    h = v.scope_history(east, "category")
    expected = _monthly(d.orders[d.orders["region"] == "East"]).reindex(h.frame.index)
    pd.testing.assert_series_equal(h.total, expected, check_names=False, check_freq=False)


@pytest.mark.parametrize("scope", ["region:East", "manager:R004", "rep:R013"])
def test_one_region_is_split_by_category_and_says_so(d, scope):
    scoped = apply_scope(d, scope)
    h = v.scope_history(scoped, "region")
    assert h.frame.columns.name == "category" and h.frame.shape[1] > 1
    region = scoped.scope.regions[0]
    assert f"all in one region ({region})" in h.note
    assert h.note in v.history_markdown(h, by="region").data
    summary, fig, _table = v.forecast_view(3, "region", "seasonal_naive", 80,
                                           orders=scoped.orders, products=scoped.products,
                                           as_of=scoped.as_of, last_day=v.data_end(scoped))
    assert h.note in summary.data
    assert len(fig.axes) > 1  # a chart per category, not one empty region


def test_the_company_page_keeps_its_regions_and_has_no_company_line(d):
    h = v.scope_history(apply_scope(d, "company"), "region")
    assert h.frame.columns.name == "region" and h.frame.shape[1] == 5
    assert h.company is None and h.note == ""
    assert v.COMPANY_ROW not in v.growth_table(h).index
    assert "whole company" not in v.findings_markdown(h).data


def test_the_growth_finding_has_the_company_figure_beside_it(d):
    east = apply_scope(d, "region:East")
    h = v.scope_history(east, "region")
    first = v.findings_markdown(h).data.splitlines()[0]
    found = re.search(r"grew (\d+) % .*whole company: ([+-]\d+) %\)", first)
    assert found, first
    last = h.frame.index[-3:]
    year = last - pd.DateOffset(years=1)
    own = _monthly(d.orders[d.orders["region"] == "East"])
    every = _monthly(d.orders)
    assert int(found.group(1)) == round(100 * (own[last].sum() / own[year].sum() - 1))
    assert int(found.group(2)) == round(100 * (every[last].sum() / every[year].sum() - 1))


def test_the_growth_table_ends_with_the_company_line(d):
    rep = apply_scope(d, "rep:R013")
    table = v.growth_table(v.scope_history(rep, "region"))
    assert list(table.index[-2:]) == ["total", v.COMPANY_ROW]
    company = trends.latest_growth(series.order_history(d.orders).frame)
    pd.testing.assert_series_equal(table.loc[v.COMPANY_ROW], company.loc["total"],
                                   check_names=False)
    assert not table.index.str.fullmatch(r"R0\d\d").any()


def test_a_scope_history_ends_where_the_company_data_ends(d):
    rep = d.orders[d.orders["rep_id"] == "R013"]
    early = rep[pd.to_datetime(rep["order_date"]) < "2025-12-10"]
    alone = series.order_history(early)
    assert alone.part_month == pd.Timestamp("2025-12-01")  # read alone: December is a part
    h = series.order_history(early, last_day=d.orders["order_date"].max())
    assert h.part_month is None and h.frame.index[-1] == pd.Timestamp("2025-12-01")
    assert h.total.iloc[-1] == pytest.approx(_monthly(early).iloc[-1])


def test_the_pipeline_blend_uses_the_scopes_deals_and_the_companys_rates(d):
    rep = apply_scope(d, "rep:R013")
    lead, *_fig, table = v.scope_pipeline_view(rep, months=3)
    own = d.opportunities[d.opportunities["rep_id"] == "R013"]
    assert f"({len(own):,} opportunities)" in lead.data
    assert "learnt from all" in lead.data
    day = pipeline.last_activity(d.opportunities)
    rates = pipeline.stage_win_rates(d.opportunities, as_of=day)
    expected = pipeline.pipeline_forecast(own, as_of=day, months=3, rates=rates)
    shown = table.data["pipeline_weighted"].dropna()
    want = expected.set_index(expected["month"].dt.strftime("%Y-%m"))["weighted_amount"]
    assert len(shown) and (shown - want[shown.index]).abs().max() < 1e-6


def test_a_scope_without_deals_says_whose_they_would_be(d):
    rep = apply_scope(d, "rep:R013")
    empty = dataclasses.replace(rep, tables={**rep.tables,
                                             "opportunities": rep.opportunities.iloc[0:0]})
    (note,) = v.scope_pipeline_view(empty)
    assert "No opportunities for Rep" in note.data and "R013" in note.data
