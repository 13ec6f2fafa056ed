"""salesnb.forecast.hierarchy: reconciled forecasts that add up to the total."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, fc_frame

import salesnb as sn
from salesnb.errors import ColumnError, SalesnbError
from salesnb.forecast import hierarchy as hr
from salesnb.forecast.series import sales_series


@pytest.fixture(scope="module")
def monthly() -> pd.DataFrame:
    return sales_series(sn.load(ROOT / "data", tables=["orders"]).orders, by="region")


# ----------------------------------------------------------------------------- reconcile


@pytest.fixture
def forecasts():
    rng = np.random.default_rng(1)
    base = {g: fc_frame(rng.uniform(50, 150, 6), width80=w, width95=2 * w)
            for g, w in (("North", 3.0), ("South", 4.0), ("East", 12.0))}
    total = fc_frame(sum(f["mean"] for f in base.values()) + rng.normal(30, 5, 6), 15.0, 30.0)
    return base, total


def test_bottom_up_adds_up_and_keeps_groups(forecasts):
    base, total = forecasts
    rec = hr.reconcile(base, total, method="bottom_up")
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
    rec = hr.reconcile(base, total, method=method)
    groups = sum(rec[g]["mean"] for g in base)
    assert np.allclose(rec["total"]["mean"], groups)
    assert (rec["total"]["mean"] - groups).abs().max() < 1e-9
    # the incoherence (about +30 per period) is split between the levels
    assert (rec["total"]["mean"] < total["mean"]).all()
    assert (rec["North"]["mean"] > base["North"]["mean"]).all()
    # widths kept, re-centred
    assert np.allclose(rec["East"]["upper_80"] - rec["East"]["mean"], 12.0)


def test_ols_matches_closed_form_for_two_groups():
    base = {"A": fc_frame([10.0]), "B": fc_frame([20.0])}
    total = fc_frame([36.0])  # incoherent by 6
    rec = hr.reconcile(base, total, method="ols")
    # OLS spreads the gap equally over the three series: each moves by 2
    assert rec["A"]["mean"].iloc[0] == pytest.approx(12.0)
    assert rec["B"]["mean"].iloc[0] == pytest.approx(22.0)
    assert rec["total"]["mean"].iloc[0] == pytest.approx(34.0)


def test_reconcile_errors(forecasts):
    base, total = forecasts
    with pytest.raises(SalesnbError, match="total"):
        hr.reconcile(base, method="ols")
    with pytest.raises(SalesnbError, match="unknown method"):
        hr.reconcile(base, total, method="magic")  # type: ignore[arg-type]
    shifted = {**base, "West": fc_frame([1.0] * 6, index=pd.date_range("2027-01-01", periods=6,
                                                                     freq="MS"))}
    with pytest.raises(SalesnbError, match="same index"):
        hr.reconcile(shifted)
    with pytest.raises(ColumnError, match="forecast 'North' has no column 'mean'"):
        hr.reconcile({**base, "North": base["North"].drop(columns="mean")})


# ----------------------------------------------------------------------------- coherent


def test_group_forecasts_add_up_to_the_total(monthly):
    coherent, used = hr.coherent_forecasts(monthly, horizon=4)
    groups = sum(coherent[str(c)]["mean"] for c in monthly.columns)
    assert np.allclose(groups, coherent["total"]["mean"])
    assert set(used) == {str(c) for c in monthly.columns}
    assert set(coherent) == {"total", *used}
    table = hr.forecast_table(coherent, level=80)
    assert len(table) == 4 and "total low 80%" in table.columns
    assert (table["total low 80%"] <= table["total"]).all()
    assert table.index[0] == f"{coherent['total'].index[0]:%Y-%m}"


def test_forecast_table_columns():
    coherent = {"total": fc_frame([30.0, 40.0]), "A": fc_frame([10.0, 15.0]),
                "B": fc_frame([20.0, 25.0])}
    table = hr.forecast_table(coherent, level=95)
    assert list(table.columns) == ["total", "A", "B", "total low 95%", "total high 95%"]
    assert table.index.tolist() == ["2026-01", "2026-02"] and table.index.name == "month"
    assert table["total high 95%"].tolist() == [50.0, 60.0]


def test_group_forecasts_figure(monthly):
    coherent, _ = hr.coherent_forecasts(monthly, horizon=3, model="naive")
    fig = hr.group_forecasts_figure(monthly, coherent, level=95)
    n = monthly.shape[1] + 1  # groups and the total
    assert sum(ax.axison for ax in fig.axes) == n
    assert fig.axes[0].get_title() == "total"
    assert "95 % interval" in fig.texts[0].get_text()


# ------------------------------------------------------------ one company total (issue 17)


def test_keep_total_keeps_the_total_and_shares_the_gap_by_variance(forecasts):
    base, total = forecasts
    rec = hr.reconcile(base, total, method="keep_total")
    pd.testing.assert_frame_equal(rec["total"], total)
    groups = sum(rec[g]["mean"] for g in base)
    np.testing.assert_allclose(groups, total["mean"])
    gap = total["mean"] - sum(base[g]["mean"] for g in base)
    moves = {g: rec[g]["mean"] - base[g]["mean"] for g in base}
    # East's interval is 4x North's: 16x the variance, 16x the share of the gap
    np.testing.assert_allclose(moves["East"], 16 * moves["North"])
    np.testing.assert_allclose(sum(moves.values()), gap)
    for g in base:  # each keeps its own interval widths
        np.testing.assert_allclose(rec[g]["upper_80"] - rec[g]["mean"],
                                   base[g]["upper_80"] - base[g]["mean"])


def test_keep_total_holds_a_group_without_returns_at_zero():
    base = {"big": fc_frame([100.0, 100.0], width80=1.0, width95=2.0),
            "small": fc_frame([5.0, 5.0], width80=50.0, width95=100.0)}
    base = {g: f.assign(**{c: f[c].clip(lower=0) for c in f if c.startswith("lower_")})
            for g, f in base.items()}
    total = fc_frame([60.0, 104.0], width80=10.0, width95=20.0)
    rec = hr.reconcile(base, total, method="keep_total")
    assert (rec["small"]["mean"] >= 0).all() and (rec["small"]["lower_80"] >= 0).all()
    np.testing.assert_allclose(rec["small"]["mean"] + rec["big"]["mean"], total["mean"])
    assert rec["small"]["mean"].iloc[0] == 0.0 and rec["big"]["mean"].iloc[0] == 60.0


def test_the_company_total_is_the_same_by_region_and_by_category():
    d = sn.load(ROOT / "data", tables=["orders", "products"])
    by = {k: sales_series(d.orders, by=k, products=d.products) for k in ("region", "category")}
    pd.testing.assert_series_equal(by["region"].sum(axis=1), by["category"].sum(axis=1))
    totals = {k: hr.coherent_forecasts(f, horizon=6)[0] for k, f in by.items()}
    pd.testing.assert_frame_equal(totals["region"]["total"], totals["category"]["total"])
    for k, coherent in totals.items():
        groups = sum(coherent[str(c)]["mean"] for c in by[k].columns)
        np.testing.assert_allclose(groups, coherent["total"]["mean"])


def test_a_months_forecast_does_not_move_when_the_horizon_grows(monthly):
    short, used_short = hr.coherent_forecasts(monthly, horizon=6)
    long, used_long = hr.coherent_forecasts(monthly, horizon=12)
    assert used_short == used_long
    for name, frame in short.items():
        pd.testing.assert_frame_equal(frame, long[name].iloc[:6], check_freq=False)


def _correlated_groups(seed: int, groups: int = 4, n: int = 72, h: int = 12,
                       rho: float = 0.7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seasonal random-walk groups whose shocks correlate ``rho``: history and held out."""
    rng = np.random.default_rng(seed)
    t = np.arange(n + h)
    season = 1 + 0.25 * np.sin(2 * np.pi * t / 12)
    shocks = (np.sqrt(rho) * rng.normal(size=(n + h, 1, 2))
              + np.sqrt(1 - rho) * rng.normal(size=(n + h, groups, 2)))
    level = 100 + np.cumsum(3 * shocks[:, :, 0], axis=0)
    y = np.maximum(level * season[:, None] + 6 * shocks[:, :, 1], 1)
    frame = pd.DataFrame(y, index=pd.date_range("2018-01-01", periods=n + h, freq="MS"),
                         columns=[f"g{i}" for i in range(groups)])
    return frame.iloc[:n], frame.iloc[n:]


@pytest.mark.slow
def test_the_totals_interval_covers_held_out_totals_of_correlated_groups():
    inside, bottom_up = [], []
    for seed in range(30):
        history, held_out = _correlated_groups(seed)
        coherent, _ = hr.coherent_forecasts(history, horizon=12, model="ets", levels=(80,))
        actual = held_out.sum(axis=1).to_numpy()
        for frame, hits in ((coherent["total"], inside),
                            (hr.reconcile({g: coherent[g] for g in history.columns})["total"],
                             bottom_up)):
            hits.append(np.mean((actual >= frame["lower_80"].to_numpy())
                                & (actual <= frame["upper_80"].to_numpy())))
    assert 0.70 <= np.mean(inside) <= 0.90
    # a sum of the groups' bands as if their errors were independent covers far less
    assert np.mean(bottom_up) < 0.68
