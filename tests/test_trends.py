"""Trend analysis, reconciliation and pipeline blending (salesnb.trends)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

import salesnb as sn
from salesnb.errors import SalesnbError
from salesnb.forecast import trends as t

IDX = pd.date_range("2023-01-01", periods=36, freq="MS")


@pytest.fixture(scope="module")
def opportunities() -> pd.DataFrame:
    return sn.load(ROOT / "data", tables=["opportunities"]).opportunities


def _wide(data: dict[str, np.ndarray], index: pd.DatetimeIndex = IDX) -> pd.DataFrame:
    frame = pd.DataFrame(data, index=index)
    frame.columns.name = "region"
    return frame


def _fc(mean, width80=10.0, width95=20.0, index=None) -> pd.DataFrame:
    mean = np.asarray(mean, dtype=float)
    index = index if index is not None else pd.date_range("2026-01-01", periods=len(mean),
                                                          freq="MS")
    return pd.DataFrame({"mean": mean, "lower_80": mean - width80, "upper_80": mean + width80,
                         "lower_95": mean - width95, "upper_95": mean + width95}, index=index)


# ----------------------------------------------------------------------------- growth


def test_growth_numbers_on_hand_made_series():
    values = np.arange(1, 25, dtype=float) * 10  # 10, 20, ..., 240
    g = t.growth(_wide({"A": values, "Z": np.zeros(24)}, IDX[:24]))
    a = g[g["group"] == "A"].set_index("period")
    last = a.loc["2024-12-01"]
    assert last["value"] == 240
    assert last["yoy_pct"] == pytest.approx(100 * (240 - 120) / 120)
    assert last["pop_pct"] == pytest.approx(100 * 10 / 230)
    assert last["ma_3"] == pytest.approx((220 + 230 + 240) / 3)
    assert last["ma_12"] == pytest.approx(values[12:].mean())
    assert np.isnan(a.loc["2023-12-01", "yoy_pct"])  # no year-earlier value
    assert np.isnan(a.loc["2023-02-01", "ma_3"])
    z = g[g["group"] == "Z"]
    assert z["yoy_pct"].isna().all() and z["pop_pct"].isna().all()  # zero base: no inf
    assert len(g) == 48


def test_growth_rejects_non_monthly_frame():
    with pytest.raises(SalesnbError):
        t.growth(pd.DataFrame({"A": [1, 2]}))


# ----------------------------------------------------------------------------- decompose


def test_decompose_recovers_known_season():
    rng = np.random.default_rng(0)
    season = np.tile(np.array([0, -5, 3, 8, 2, -1, -8, -6, 1, 4, 6, 20], dtype=float), 4)
    idx = pd.date_range("2022-01-01", periods=48, freq="MS")
    y = pd.Series(100 + 0.8 * np.arange(48) + season + rng.normal(0, 1, 48), index=idx)
    dec = t.decompose(y)
    assert dec.attrs["method"] == "stl"
    assert list(dec.columns) == ["observed", "trend", "seasonal", "resid"]
    assert np.corrcoef(dec["seasonal"], season)[0, 1] > 0.9
    assert np.allclose(dec["trend"] + dec["seasonal"] + dec["resid"], y)


def test_decompose_short_series_falls_back():
    y = pd.Series(np.arange(18, dtype=float), index=IDX[:18])
    dec = t.decompose(y)
    assert dec.attrs["method"] == "moving_average"
    assert "fewer than two seasons" in dec.attrs["note"]
    assert (dec["seasonal"] == 0).all()
    assert np.allclose(dec["trend"] + dec["resid"], y)
    with pytest.raises(SalesnbError):
        t.decompose(pd.Series([1.0, np.nan, 3.0], index=IDX[:3]))


# ----------------------------------------------------------------------------- findings


def test_findings_name_fastest_and_weakest_group_and_peak():
    n = np.arange(36)
    december = np.where(IDX.month == 12, 2.0, 1.0)
    frame = _wide({
        "North": 100 * december * 1.05 ** (n // 12),
        "East": 100 * december * 1.30 ** (n // 12),   # +30 % a year
        "West": 100 * december * 0.90 ** (n // 12),   # -10 % a year
        "Central": np.where(n >= 24, 50.0, 0.0),       # new this year
    })
    text = t.findings(frame)
    assert any(s.startswith("East grew 30 %") and "fastest of the 3 regions" in s
               for s in text)
    assert any(s.startswith("West fell 10 %") and "weakest" in s for s in text)
    assert any(s.startswith("Central is new") for s in text)
    assert any("peaks in December" in s for s in text)
    assert not any("inf" in s or "nan" in s for s in text)


def test_findings_respects_as_of_and_short_history():
    frame = _wide({"A": np.ones(36), "B": np.ones(36)})
    assert t.findings(frame.iloc[:6]) == []  # too short for year-over-year
    cut = t.findings(frame, as_of="2024-06-01")
    assert any("(Apr 2024–Jun 2024)" in s for s in cut)


def test_plots_return_figures():
    frame = _wide({"A": np.arange(36.0), "B": np.ones(36)})
    fig = t.plot_trends(frame, window=3)
    assert len(fig.axes) == 2
    fig2 = t.plot_decomposition(t.decompose(frame["A"]))
    assert len(fig2.axes) == 4


# ----------------------------------------------------------------------------- reconcile


@pytest.fixture
def forecasts():
    rng = np.random.default_rng(1)
    base = {g: _fc(rng.uniform(50, 150, 6), width80=w, width95=2 * w)
            for g, w in (("North", 3.0), ("South", 4.0), ("East", 12.0))}
    total = _fc(sum(f["mean"] for f in base.values()) + rng.normal(30, 5, 6), 15.0, 30.0)
    return base, total


def test_bottom_up_adds_up_and_keeps_groups(forecasts):
    base, total = forecasts
    rec = t.reconcile(base, total, method="bottom_up")
    assert set(rec) == {"total", "North", "South", "East"}
    for g, f in base.items():
        pd.testing.assert_frame_equal(rec[g], f)
    assert np.allclose(rec["total"]["mean"], sum(f["mean"] for f in base.values()))
    half = rec["total"]["upper_80"] - rec["total"]["mean"]
    assert np.allclose(half, np.sqrt(3**2 + 4**2 + 12**2))
    assert np.allclose(rec["total"]["mean"] - rec["total"]["lower_95"], 26.0)


@pytest.mark.parametrize("method", ["ols", "wls_struct"])
def test_ols_and_wls_add_up_exactly_and_move_both_levels(forecasts, method):
    base, total = forecasts
    rec = t.reconcile(base, total, method=method)
    groups = sum(rec[g]["mean"] for g in base)
    assert np.allclose(rec["total"]["mean"], groups)
    assert (rec["total"]["mean"] - groups).abs().max() < 1e-9
    # the incoherence (about +30 per period) is split between the levels
    assert (rec["total"]["mean"] < total["mean"]).all()
    assert (rec["North"]["mean"] > base["North"]["mean"]).all()
    # widths kept, re-centred
    assert np.allclose(rec["East"]["upper_80"] - rec["East"]["mean"], 12.0)


def test_ols_matches_closed_form_for_two_groups():
    base = {"A": _fc([10.0]), "B": _fc([20.0])}
    total = _fc([36.0])  # incoherent by 6
    rec = t.reconcile(base, total, method="ols")
    # OLS spreads the gap equally over the three series: each moves by 2
    assert rec["A"]["mean"].iloc[0] == pytest.approx(12.0)
    assert rec["B"]["mean"].iloc[0] == pytest.approx(22.0)
    assert rec["total"]["mean"].iloc[0] == pytest.approx(34.0)


def test_reconcile_errors(forecasts):
    base, total = forecasts
    with pytest.raises(SalesnbError, match="total"):
        t.reconcile(base, method="ols")
    with pytest.raises(SalesnbError, match="unknown method"):
        t.reconcile(base, total, method="magic")  # type: ignore[arg-type]
    shifted = {**base, "West": _fc([1.0] * 6, index=pd.date_range("2027-01-01", periods=6,
                                                                     freq="MS"))}
    with pytest.raises(SalesnbError, match="same index"):
        t.reconcile(shifted)


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


# ----------------------------------------------------------------------------- blend


def test_blend_equals_formula():
    stat = _fc([100.0, 200.0, 300.0, 400.0])
    pipe = pd.DataFrame({"month": stat.index[:2], "open_count": [3, 1],
                         "pipeline_amount": [90.0, 60.0], "weighted_amount": [50.0, 40.0]})
    b = t.blend(stat, pipe, weight=0.25)
    assert np.allclose(b["mean"].iloc[:2], [0.25 * 50 + 0.75 * 100, 0.25 * 40 + 0.75 * 200])
    assert np.allclose(b["mean"].iloc[2:], [300.0, 400.0])
    assert list(b["source"]) == ["blend", "blend", "statistical", "statistical"]
    assert np.allclose(b["statistical_mean"], stat["mean"])
    assert np.allclose(b["upper_80"] - b["mean"], 10.0)
    assert b["pipeline_weighted"].iloc[2:].isna().all()
    assert t.plot_blend(b, history=pd.Series([80.0, 90.0], index=IDX[:2])) is not None
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
