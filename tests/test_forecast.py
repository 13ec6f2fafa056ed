"""salesnb.forecast.models and .evaluation: the models, backtests, fallbacks and intervals."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SHARED

import salesnb as sn
from salesnb.errors import SalesnbError
from salesnb.forecast import evaluation
from salesnb.forecast.defaults import MODELS
from salesnb.forecast.evaluation import backtest
from salesnb.forecast.models import Forecast, forecast, plot_forecast
from salesnb.forecast.series import sales_series

SERIES = SHARED / "series"
SEASONAL = {"seasonal_naive", "ets", "regression", "theta", "combo"}  # each models the season


def synthetic(n: int = 60, seed: int = 0, noise: float = 4.0,
              extra: int = 0) -> tuple[pd.Series, np.ndarray]:
    """Linear trend + yearly season + noise; returns the series and the true continuation."""
    rng = np.random.default_rng(seed)
    t = np.arange(n + extra)
    truth = 200 + 1.5 * t + 30 * np.sin(2 * np.pi * t / 12) + 10 * np.cos(2 * np.pi * t / 6)
    y = truth[:n] + rng.normal(0, noise, n)
    idx = pd.date_range("2019-01-01", periods=n, freq="MS")
    return pd.Series(y, index=idx, name="sales"), truth[n:]


# --------------------------------------------------------------------------- models


def test_auto_picks_seasonal_and_tracks_truth() -> None:
    y, truth = synthetic(60, extra=12)
    fc = forecast(y, horizon=12)
    assert isinstance(fc, Forecast)
    assert fc.model in SEASONAL
    assert fc.model != "seasonal_naive" or fc.leaderboard is not None
    lb = fc.leaderboard
    assert lb is not None and lb["model"].iloc[0] == fc.model
    assert set(lb["model"]) == set(MODELS)
    mape = np.mean(np.abs(fc.frame["mean"].to_numpy() - truth) / truth)
    assert mape < 0.10
    # frame shape, future index, ordered intervals
    assert list(fc.frame.columns) == ["mean", "lower_80", "upper_80", "lower_95", "upper_95"]
    assert fc.frame.index[0] == pd.Timestamp("2024-01-01")
    assert fc.frame.index.freqstr == "MS"
    f = fc.frame
    assert (f["lower_95"] <= f["lower_80"]).all() and (f["lower_80"] <= f["mean"]).all()
    assert (f["mean"] <= f["upper_80"]).all() and (f["upper_80"] <= f["upper_95"]).all()


@pytest.mark.parametrize("model", MODELS)
def test_every_model_runs(model: str) -> None:
    y, truth = synthetic(48, seed=1, extra=6)
    fc = forecast(y, horizon=6, model=model, levels=(90,))
    assert fc.model == model
    assert list(fc.frame.columns) == ["mean", "lower_90", "upper_90"]
    assert np.isfinite(fc.frame.to_numpy()).all()
    assert (fc.frame["upper_90"] > fc.frame["lower_90"]).all()


def test_interval_coverage_on_simulated_series() -> None:
    hits80, hits95 = [], []
    for seed in range(25):
        rng = np.random.default_rng(100 + seed)
        n, h = 60, 12
        t = np.arange(n + h)
        noise = np.zeros(n + h)
        e = rng.normal(0, 6, n + h)
        for i in range(1, n + h):
            noise[i] = 0.3 * noise[i - 1] + e[i]
        y = 150 + rng.uniform(-1, 2) * t + rng.uniform(10, 40) * np.sin(2 * np.pi * t / 12)
        y = y + noise
        s = pd.Series(y[:n], index=pd.date_range("2018-01-01", periods=n, freq="MS"))
        fc = forecast(s, horizon=h)
        out = y[n:]
        hits80.append((out >= fc.frame["lower_80"]) & (out <= fc.frame["upper_80"]))
        hits95.append((out >= fc.frame["lower_95"]) & (out <= fc.frame["upper_95"]))
    cov80 = float(np.mean(np.concatenate(hits80)))
    cov95 = float(np.mean(np.concatenate(hits95)))
    assert 0.65 <= cov80 <= 0.95, cov80
    assert cov95 >= cov80 and cov95 >= 0.8, cov95


def test_backtest_leaderboard() -> None:
    y, _ = synthetic(60, seed=2)
    lb = backtest(y, horizon=12, folds=3)
    assert list(lb.columns) == ["rank", "model", "mase", "smape", "coverage_80",
                                "coverage_95", "folds"]
    assert lb["rank"].tolist() == list(range(1, len(lb) + 1))
    assert lb["mase"].is_monotonic_increasing
    assert (lb["folds"] == 3).all()
    assert lb.set_index("model").loc["seasonal_naive", "mase"] > lb["mase"].iloc[0] - 1e-12
    assert lb["coverage_80"].between(0, 1).all()
    sub = backtest(y, models=["naive", "drift"])
    assert set(sub["model"]) == {"naive", "drift"}
    with pytest.raises(SalesnbError, match="unknown model"):
        backtest(y, models=["prophet"])


# --------------------------------------------------------------------------- fallbacks


def test_short_series_falls_back_to_non_seasonal() -> None:
    y, _ = synthetic(18, seed=3)
    fc = forecast(y, horizon=12)
    assert fc.model not in ("seasonal_naive",)
    assert any("two full seasons" in n for n in fc.notes)
    assert len(fc.frame) == 12 and np.isfinite(fc.frame.to_numpy()).all()
    lb = backtest(y, horizon=6)
    assert "seasonal_naive" not in set(lb["model"])


def test_too_short_for_backtest_uses_drift() -> None:
    y, _ = synthetic(8, seed=4)
    fc = forecast(y, horizon=12)
    assert fc.model == "drift"
    assert fc.leaderboard is None
    assert any("too short for a backtest" in n for n in fc.notes)
    assert backtest(y, horizon=12).empty


@pytest.mark.parametrize("value", [0.0, 42.5])
def test_constant_and_zero_series(value: float) -> None:
    s = pd.Series(value, index=pd.date_range("2020-01-01", periods=40, freq="MS"))
    fc = forecast(s, horizon=6)
    assert fc.model == "naive"
    assert np.allclose(fc.frame.to_numpy(), value)
    assert any("constant" in n for n in fc.notes)
    lb = backtest(s, horizon=6)  # MASE undefined (zero scale) but no crash
    assert len(lb) > 0


def test_nan_and_negative_values() -> None:
    y, _ = synthetic(40, seed=5)
    y = y - 250  # many negative values (returns)
    y.iloc[[3, 10, 11, 39]] = np.nan
    fc = forecast(y, horizon=6)
    assert any("interpolated" in n for n in fc.notes)
    assert np.isfinite(fc.frame.to_numpy()).all()
    assert (fc.frame["mean"] < 0).any()
    all_nan = pd.Series(np.nan, index=y.index)
    fc2 = forecast(all_nan, horizon=3)
    assert fc2.model == "naive" and np.allclose(fc2.frame["mean"], 0)


def test_irregular_index_is_a_clear_error() -> None:
    idx = pd.DatetimeIndex(["2024-01-01", "2024-01-05", "2024-03-01", "2024-03-02",
                            "2024-06-10"])
    s = pd.Series([1.0, 2, 3, 4, 5], index=idx)
    with pytest.raises(SalesnbError, match="sales_series"):
        forecast(s)
    with pytest.raises(SalesnbError, match="sales_series"):
        forecast(pd.Series([1.0, 2, 3, 4]))


def test_plot_forecast_returns_axes() -> None:
    y, _ = synthetic(36, seed=6)
    fc = forecast(y, horizon=6, model="seasonal_naive")
    fig, ax = plt.subplots()
    assert plot_forecast(y, fc, ax=ax) is ax
    assert len(ax.collections) == 1  # the shaded interval
    with pytest.raises(SalesnbError):
        plot_forecast(y, fc, level=50)
    plt.close(fig)


def test_plot_forecast_draws_on_the_current_axes() -> None:
    y, _ = synthetic(36, seed=6)
    fc = forecast(y, horizon=6, model="naive")
    fig, ax = plt.subplots()
    assert plot_forecast(y, fc) is ax  # no new figure: plt.gca(), as seaborn does
    assert len(plt.get_fignums()) == 1
    plt.close(fig)


def test_forecast_and_backtest_share_one_cached_backtest() -> None:
    y, _ = synthetic(48, seed=7)
    evaluation.backtest_errors.cache_clear()
    forecast(y, horizon=6)
    hits = evaluation.backtest_errors.cache_info().hits
    backtest(y, horizon=6)
    assert evaluation.backtest_errors.cache_info().hits == hits + 1


def test_cached_backtest_errors_are_copies() -> None:
    y, _ = synthetic(48, seed=8)
    args = (y.to_numpy().tobytes(), 6, 3, ("naive",), 12)
    first = evaluation.backtest_errors(*args)
    first["naive"].errors[:] = 1e9  # a caller changing its result
    again = evaluation.backtest_errors(*args)
    assert np.abs(again["naive"].errors).max() < 1e9


def test_origins_keep_enough_training_points() -> None:
    assert evaluation.origins(60, 12, 3, 12) == [24, 36, 48]
    assert evaluation.origins(30, 12, 3, 12) == [14, 16, 18]  # overlapping windows
    assert evaluation.origins(10, 12, 3, 12) == []


# --------------------------------------------------------------------------- sample data


@pytest.fixture(scope="module")
def sample():
    return sn.load(ROOT / "data", tables=["products", "orders"])


def test_forecast_on_sample_revenue(sample) -> None:
    s = sales_series(sample.orders)["total"]
    fc = forecast(s, horizon=6)
    assert fc.model in SEASONAL | {"naive", "drift"}
    assert np.isfinite(fc.frame.to_numpy()).all()
    assert fc.frame.index[0] == s.index[-1] + pd.DateOffset(months=1)


# --------------------------------------------------------------------------- shared series


def _auscafe() -> pd.Series:
    path = SERIES / "auscafe_monthly.csv"
    if not path.exists():
        pytest.skip("shared auscafe series absent")
    df = pd.read_csv(path)
    idx = pd.date_range("1982-04-01", periods=len(df), freq="MS")
    year = np.floor(df["time"].to_numpy() + 1e-6)
    month = np.rint((df["time"].to_numpy() - year) * 12).astype(int) + 1
    assert year[0] == 1982 and month[0] == 4 and month[-1] == idx[-1].month
    return pd.Series(df["value"].to_numpy(), index=idx, name="auscafe")


def _shampoo() -> pd.Series:
    path = SERIES / "shampoo_monthly.csv"
    if not path.exists():
        pytest.skip("shared shampoo series absent")
    df = pd.read_csv(path)
    idx = pd.DatetimeIndex(pd.to_datetime(df["Time"], format="%Y-%m"), freq="MS")
    return pd.Series(df["Sales"].to_numpy(), index=idx, name="shampoo")


@pytest.mark.parametrize("load", [_auscafe, _shampoo], ids=["auscafe", "shampoo"])
def test_shared_series_auto_beats_seasonal_naive(load) -> None:
    s = load()
    fc = forecast(s, horizon=12)
    lb = fc.leaderboard
    assert lb is not None
    mase = lb.set_index("model")["mase"]
    assert mase[fc.model] <= mase["seasonal_naive"]
    assert np.isfinite(fc.frame.to_numpy()).all()
    if s.name == "auscafe":
        # long, strongly seasonal series: a real model clearly beats the benchmark
        assert mase[fc.model] < 0.9 * mase["seasonal_naive"]


def test_regression_uses_a_lag_of_the_series():
    # a level shift: trend and calendar terms alone would forecast between the two levels
    idx = pd.date_range("2024-01-01", periods=20, freq="MS")
    y = pd.Series([10.0] * 10 + [100.0] * 10, index=idx)
    result = forecast(y, horizon=2, model="regression")
    assert result.model == "regression"
    assert abs(result.frame["mean"].iloc[0] - 100.0) < 15
