"""salesnb.forecast.pipeline: stage win rates, the weighted open pipeline and the blend."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, fc_frame

import salesnb as sn
from salesnb.errors import ColumnError, PeriodError, SalesnbError
from salesnb.forecast import pipeline as t

IDX = pd.date_range("2023-01-01", periods=36, freq="MS")


@pytest.fixture(scope="module")
def opportunities() -> pd.DataFrame:
    return sn.load(ROOT / "data", tables=["opportunities"]).opportunities




# ----------------------------------------------------------------------------- pipeline


def test_stage_win_rates_on_sample(opportunities):
    rates = t.stage_win_rates(opportunities)
    assert list(rates.index) == list(t.FUNNEL)
    assert rates["win_rate"].between(0, 1).all()
    assert rates["win_rate"].is_monotonic_increasing
    assert (rates["win_rate"].diff().dropna() > 0).all()
    assert (rates["reached"] >= rates["won"]).all()
    assert rates["median_days_to_close"].is_monotonic_decreasing


def test_pipeline_forecast_on_sample(opportunities):
    as_of = pd.Timestamp("2025-06-30")
    pf = t.pipeline_forecast(opportunities, as_of=as_of, months=3)
    assert list(pf.columns) == ["month", "open_count", "pipeline_amount", "weighted_amount"]
    assert list(pf["month"]) == list(pd.date_range("2025-07-01", periods=3, freq="MS"))
    assert (pf["weighted_amount"] <= pf["pipeline_amount"] + 1e-9).all()
    assert pf["open_count"].sum() > 0
    deals = pf.attrs["deals"]
    o = opportunities.set_index("opportunity_id").loc[deals["opportunity_id"]]
    assert (o["created_date"] <= as_of).all()
    assert (o["closed_date"].isna() | (o["closed_date"] > as_of)).all()  # open at as_of
    assert deals["win_probability"].between(0, 1).all()
    assert (deals["expected_close"] > as_of).all()
    assert pf["open_count"].sum() + pf.attrs["beyond_horizon"] == len(deals)


def test_pipeline_currently_open_deals_only(opportunities):
    as_of = opportunities[["created_date", "closed_date"]].max().max()
    deals = t.open_pipeline(opportunities, as_of=as_of)
    open_now = opportunities[~opportunities["stage"].isin(["won", "lost"])]
    assert set(deals["opportunity_id"]) == set(open_now["opportunity_id"])


def test_pipeline_stage_probability_override(opportunities):
    pf = t.pipeline_forecast(opportunities, as_of="2025-06-30",
                             stage_probability=dict.fromkeys(t.FUNNEL, 1.0))
    assert np.allclose(pf["weighted_amount"], pf["pipeline_amount"])
    with pytest.raises(SalesnbError):
        t.pipeline_forecast(opportunities, as_of="2025-06-30", stage_probability={"visit": 2})


def test_pipeline_needs_a_day_and_the_funnel_columns(opportunities):
    with pytest.raises(PeriodError, match="as_of"):
        t.open_pipeline(opportunities, as_of="")
    with pytest.raises(ColumnError, match="opportunities has no column 'quote_date'"):
        t.stage_win_rates(opportunities.drop(columns="quote_date"))


# ----------------------------------------------------------------------------- won deals


def test_won_series_counts_won_deals_up_to_as_of(opportunities):
    won = t.won_series(opportunities, as_of=pd.Timestamp("2025-12-31").date())
    expected = opportunities.loc[opportunities["stage"] == "won", "amount"].sum()
    assert won.sum() == pytest.approx(expected)
    assert won.name == "won deals" and won.index.freqstr == "MS"
    early = t.won_series(opportunities, as_of="2025-06-30")
    assert early.index[-1] <= pd.Timestamp("2025-06-01")
    closed = opportunities["closed_date"] <= pd.Timestamp("2025-06-30")
    assert early.sum() == pytest.approx(
        opportunities.loc[(opportunities["stage"] == "won") & closed, "amount"].sum())


def test_won_deals_blend_compares_like_with_like(opportunities):
    history, blended = t.won_deals_blend(opportunities, as_of="2025-06-30", months=3,
                                         weight=0.5)
    assert history.index[-1] == pd.Timestamp("2025-06-01")
    assert list(blended.index) == list(pd.date_range("2025-07-01", periods=3, freq="MS"))
    pipe = t.pipeline_forecast(opportunities, as_of="2025-06-30", months=3)
    covered = blended["source"] == "blend"
    assert np.allclose(blended.loc[covered, "pipeline_weighted"],
                       pipe.set_index("month").loc[blended.index[covered], "weighted_amount"])


# ----------------------------------------------------------------------------- blend


def test_blend_equals_formula():
    stat = fc_frame([100.0, 200.0, 300.0, 400.0])
    pipe = pd.DataFrame({"month": stat.index[:2], "open_count": [3, 1],
                         "pipeline_amount": [90.0, 60.0], "weighted_amount": [50.0, 40.0]})
    b = t.blend(stat, pipe, weight=0.25)
    assert np.allclose(b["mean"].iloc[:2], [0.25 * 50 + 0.75 * 100, 0.25 * 40 + 0.75 * 200])
    assert np.allclose(b["mean"].iloc[2:], [300.0, 400.0])
    assert list(b["source"]) == ["blend", "blend", "statistical", "statistical"]
    assert np.allclose(b["statistical_mean"], stat["mean"])
    assert np.allclose(b["upper_80"] - b["mean"], 10.0)
    assert b["pipeline_weighted"].iloc[2:].isna().all()
    ax = t.plot_blend(b, history=pd.Series([80.0, 90.0], index=IDX[:2]))
    assert len(ax.lines) == 4  # actual, statistical, pipeline, blend
    with pytest.raises(SalesnbError):
        t.blend(stat, pipe, weight=1.5)


def test_blend_ignores_months_without_expected_deals():
    idx = pd.date_range("2026-01-01", periods=3, freq="MS")
    stat = pd.DataFrame({"mean": [100.0, 100.0, 100.0]}, index=idx)
    pipe = pd.DataFrame({"month": idx, "open_count": [4, 0, 0],
                         "pipeline_amount": [80.0, 0.0, 0.0], "weighted_amount": [60.0, 0.0, 0.0]})
    out = t.blend(stat, pipe, weight=0.5)
    assert out["mean"].tolist() == [80.0, 100.0, 100.0]
    assert out["source"].tolist() == ["blend", "statistical", "statistical"]


def test_blend_checks_its_inputs():
    stat = fc_frame([100.0])
    with pytest.raises(ColumnError, match="the statistical forecast has no column 'mean'"):
        t.blend(stat.drop(columns="mean"), pd.DataFrame({"month": [], "weighted_amount": []}))
    with pytest.raises(ColumnError, match="the pipeline has no column 'weighted_amount'"):
        t.blend(stat, pd.DataFrame({"month": stat.index}))


def test_plot_blend_draws_on_the_current_axes():
    stat = fc_frame([100.0, 200.0])
    pipe = pd.DataFrame({"month": stat.index[:1], "open_count": [1], "pipeline_amount": [9.0],
                         "weighted_amount": [5.0]})
    fig, ax = plt.subplots()
    assert t.plot_blend(t.blend(stat, pipe)) is ax
    assert len(plt.get_fignums()) == 1
