"""The stronger forecasting candidates (issue 17): ETS forms, Theta, the combination, the
choice between them, and no negative forecast for a series that never goes below zero."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesnb.forecast import evaluation, smoothing
from salesnb.forecast.fitters import FITTERS, for_origins
from salesnb.forecast.models import COMBO_MARGIN, choose, forecast


def _monthly(values: np.ndarray, start: str = "2015-01-01") -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="MS"))


def _multiplicative(n: int = 96, seed: int = 1) -> np.ndarray:
    """Growing level with a season whose swing grows with it (multiplicative)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (100 * 1.01 ** t * (1 + 0.3 * np.sin(2 * np.pi * t / 12))
            * rng.lognormal(0, 0.03, n))


def test_the_combination_is_the_mean_of_its_members():
    y = _multiplicative()
    members = [FITTERS[k](y, 12, 12)[0] for k in ("ets", "theta")]
    from salesnb.forecast.fitters import _holt_winters

    members.append(_holt_winters(y, 12, 12)[0])
    combo, sd, note = FITTERS["combo"](y, 12, 12)
    assert note is None and np.all(sd > 0)
    np.testing.assert_allclose(combo, np.mean(members, axis=0))


def test_ets_tries_multiplicative_forms_only_on_positive_series():
    assert ("mul", "add", "mul") in smoothing.forms(positive=True, seasonal=True)
    assert all(err == "add" and season != "mul"
               for err, _, season in smoothing.forms(positive=False, seasonal=True))
    assert all(season is None
               for _, _, season in smoothing.forms(positive=True, seasonal=False))


@pytest.mark.parametrize("form", smoothing.forms(positive=True, seasonal=True)
                         + [("add", None, None), ("add", "add", None)])
def test_the_ets_point_forecast_and_aicc_are_statsmodels_own(form):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = _multiplicative(72, seed=4)
    fit = smoothing.select(y.tobytes(), 12)[form] if form in smoothing.select(
        y.tobytes(), 12) else smoothing._fit(y, form, 12)
    err, trend, season = form
    res = ETSModel(y, error=err, trend=trend, damped_trend=trend is not None,
                   seasonal=season, seasonal_periods=12 if season else None
                   ).smooth(fit.params)
    np.testing.assert_allclose(smoothing.point_forecast(fit, 30), res.forecast(30),
                               rtol=1e-9)
    np.testing.assert_allclose(fit.fitted, res.fittedvalues, rtol=1e-9)
    assert fit.aicc == pytest.approx(res.aicc, rel=1e-9)


def test_the_backtest_never_fits_ets_on_data_after_the_window():
    # a series whose end differs completely: the first window's ETS forecast must not move
    y = _multiplicative(96, seed=2)
    other = y.copy()
    other[60:] *= 3.0
    base = y[:48]
    for name in ("ets", "combo"):
        a = for_origins(name, base, 12)(y[:54], 12, 12)[0]
        b = for_origins(name, other[:48], 12)(other[:54], 12, 12)[0]
        np.testing.assert_allclose(a, b)
        # and a longer window refits the form chosen on the first window, from its params
    chosen = smoothing.best(smoothing.select(base.tobytes(), 12))
    later = smoothing.refit(y[:60].tobytes(), 12, chosen.form, chosen.params.tobytes())
    assert later.form == chosen.form
    assert not np.allclose(later.params, chosen.params)


def test_ets_and_theta_follow_a_multiplicative_season():
    n, h = 96, 12
    full = _multiplicative(n + h)
    y, truth = full[:n], full[n:]
    for name in ("ets", "theta", "combo"):
        mean = FITTERS[name](y, h, 12)[0]
        assert np.mean(np.abs(mean - truth) / truth) < 0.08, name  # within 8 % on average
    naive = FITTERS["seasonal_naive"](y, h, 12)[0]
    assert (np.mean(np.abs(FITTERS["combo"](y, h, 12)[0] - truth))
            < np.mean(np.abs(naive - truth)))


def test_a_positive_series_never_gets_a_negative_forecast_or_bound():
    # the M3 case: a history of 400-2,240 ending in a steep fall
    rng = np.random.default_rng(3)
    y = np.concatenate([rng.uniform(1500, 2240, 40), np.linspace(1500, 400, 14)])
    s = _monthly(y)
    for model in ("auto", "drift", "regression", "ets", "combo"):
        fc = forecast(s, horizon=18, model=model)
        assert (fc.frame.to_numpy() >= 0).all(), model
    fc = forecast(s, horizon=18, model="drift")
    assert any("below 0" in n for n in fc.notes)
    returns = _monthly(np.concatenate([y[:-1], [-50.0]]))  # a series with returns may go below
    assert (forecast(returns, horizon=18, model="drift").frame["lower_80"] < 0).any()


def _board(**mase: float) -> pd.DataFrame:
    lb = pd.DataFrame({"model": list(mase), "mase": list(mase.values())})
    return lb.sort_values("mase", ignore_index=True)


def test_auto_keeps_the_combination_unless_another_model_clearly_wins():
    assert choose(_board(naive=0.95, combo=1.0, ets=1.1)) == "combo"
    assert choose(_board(naive=(1 - COMBO_MARGIN) * 0.99, combo=1.0)) == "naive"
    assert choose(_board(ets=0.8, naive=0.9)) == "ets"  # no combination scored
    assert choose(_board(combo=0.7, ets=0.8)) == "combo"


def test_auto_says_when_it_preferred_the_combination():
    rng = np.random.default_rng(5)
    s = _monthly(1000 + rng.normal(0, 30, 60).cumsum())  # a random walk: naive ~ the rest
    fc = forecast(s, horizon=6)
    lb = fc.leaderboard.set_index("model")["mase"]
    if fc.model == "combo" and lb.idxmin() != "combo":
        assert any("used the combination" in n for n in fc.notes)
    else:
        assert fc.model == lb.idxmin()
        assert fc.model == "combo" or lb.min() < (1 - COMBO_MARGIN) * lb["combo"]


@pytest.mark.parametrize("model", ["ets", "theta", "combo"])
def test_new_models_are_backtested_like_the_others(model):
    s = _monthly(_multiplicative(72))
    lb = evaluation.backtest(s, horizon=12, models=[model])
    assert list(lb["model"]) == [model] and np.isfinite(lb["mase"]).all()


def test_theta_is_statsmodels_theta_with_its_interval_shape():
    from scipy import stats
    from statsmodels.tsa.forecasting.theta import ThetaModel

    y = _multiplicative(80)
    mean, sd, note = FITTERS["theta"](y, 12, 12)
    res = ThetaModel(y, period=12).fit()
    bands = np.asarray(res.prediction_intervals(12, alpha=0.2), dtype=float)
    assert note is None
    np.testing.assert_allclose(mean, np.asarray(res.forecast(12)))
    # the same growth over the horizon as statsmodels' band; its scale from the one-step
    # errors of the same integrated MA by conditional least squares, not exact likelihood
    ratio = (bands[:, 1] - mean) / (stats.norm.ppf(0.9) * sd)
    assert np.ptp(ratio) < 1e-9
    assert 0.9 < ratio[0] < 1.1


def test_forecast_many_in_processes_gives_what_one_process_gives():
    from salesnb.forecast import forecast_many

    frame = pd.DataFrame({f"s{i}": _multiplicative(60, seed=i) for i in range(4)},
                         index=pd.date_range("2019-01-01", periods=60, freq="MS"))
    alone = forecast_many(frame, horizon=6, model="ets")
    parallel = forecast_many(frame, n_jobs=2, horizon=6, model="ets")
    assert list(parallel) == list(frame.columns)
    for name in frame.columns:
        pd.testing.assert_frame_equal(alone[name].frame, parallel[name].frame)
        pd.testing.assert_frame_equal(
            alone[name].frame, forecast(frame[name], horizon=6, model="ets").frame)


def test_forecast_many_names_the_series_it_cannot_forecast():
    from salesnb.errors import SalesnbError
    from salesnb.forecast import forecast_many

    good = _monthly(_multiplicative(30))
    bad = pd.Series([1.0, 2.0], index=["a", "b"])
    with pytest.raises(SalesnbError, match="series 'North': the series needs a DatetimeIndex"):
        forecast_many({"South": good, "North": bad}, n_jobs=2, horizon=3)
    with pytest.raises(SalesnbError, match="n_jobs=0"):
        forecast_many({"South": good}, n_jobs=0)
    with pytest.raises(SalesnbError, match="not list"):
        forecast_many([good])  # type: ignore[arg-type]
