"""The forecasting models and the checks of their input.

Each model is a function ``(y, h, m) -> (mean[h], native sigma[h], note | None)``: ``y`` the
history (no NaN), ``h`` the horizon, ``m`` the season length. The native standard deviation
per step comes from the model's in-sample residuals; :mod:`salesnb.forecast.evaluation`
calibrates it on backtest errors. A model that cannot fit the data falls back to a simpler
one and says so in ``note``.

The models, by name: ``seasonal_naive`` (the yardstick), ``naive``, ``drift``, ``ets``
(exponential smoothing in state-space form, statsmodels ``ETSModel``: additive or
multiplicative error and season, none or a damped trend, the form with the lowest AICc),
``theta`` (statsmodels' Theta method, its own season test), ``regression`` (calendar and
lag terms) and ``combo``, the mean of ETS, Theta and a damped Holt-Winters: combinations of
such models beat each member on monthly sales (measured on the M3 competition's series in
``benchmarks/bench_m3.py``). The members' fits are cached by the data, so a backtest that
scores ``ets``, ``theta`` and ``combo`` fits each member once per origin.

A series that is never negative gets no negative forecast (:func:`bounded`).

:data:`FITTERS` maps each name of :data:`~salesnb.forecast.defaults.MODELS` to its function;
:func:`prepare` turns a series into the array the models take, :func:`candidates` lists the
models that suit it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.signal import lfilter

from salesnb.core.cache import memoize
from salesnb.errors import SalesnbError
from salesnb.forecast import smoothing
from salesnb.forecast.defaults import MODELS

__all__ = ["FITTERS", "SEASONAL_MODELS", "Fitter", "prepare", "candidates", "bounded",
           "for_origins"]

#: Models that need a full season of history.
SEASONAL_MODELS: tuple[str, ...] = ("seasonal_naive",)
#: A model: (history, horizon, season length) -> (mean, native sigma, note or None).
Fitter = Callable[[np.ndarray, int, int], tuple[np.ndarray, np.ndarray, str | None]]


# --------------------------------------------------------------------------- models


def _sigma(resid: np.ndarray) -> float:
    resid = resid[np.isfinite(resid)]
    return float(np.sqrt(np.mean(resid ** 2))) if resid.size else 0.0


def _naive(y: np.ndarray, h: int, m: int) -> tuple[np.ndarray, np.ndarray, str | None]:
    s = _sigma(np.diff(y)) if y.size > 1 else 0.0
    steps = np.arange(1, h + 1)
    return np.full(h, y[-1], dtype=float), s * np.sqrt(steps), None


def _seasonal_naive(y: np.ndarray, h: int,
                    m: int) -> tuple[np.ndarray, np.ndarray, str | None]:
    if m <= 1 or y.size < m + 2:
        mean, sd, _ = _naive(y, h, m)
        return mean, sd, "seasonal_naive: too short for a season, used naive"
    steps = np.arange(1, h + 1)
    mean = y[-m:][(steps - 1) % m]
    s = _sigma(y[m:] - y[:-m])
    return mean.astype(float), s * np.sqrt((steps - 1) // m + 1), None


def _drift(y: np.ndarray, h: int, m: int) -> tuple[np.ndarray, np.ndarray, str | None]:
    n = y.size
    if n < 2:
        return _naive(y, h, m)
    d = np.diff(y)
    slope = d.mean()
    s = _sigma(d - slope)
    steps = np.arange(1, h + 1)
    return y[-1] + slope * steps, s * np.sqrt(steps * (1 + steps / (n - 1))), None


def _steps_sigma(y: np.ndarray, fitted: np.ndarray, h: int, alpha: float) -> np.ndarray:
    """Native standard deviation per step: in-sample residuals grown as a smoothing model's."""
    steps = np.arange(1, h + 1)
    return _sigma(y - fitted) * np.sqrt(1 + (steps - 1) * alpha ** 2)


def _ets_result(y: np.ndarray, h: int, m: int,
                fit: smoothing.EtsFit | None) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Mean and native sigma of an ETS fit; drift, with a note, without one."""
    mean = smoothing.point_forecast(fit, h) if fit is not None else None
    if mean is None or not np.all(np.isfinite(mean)):
        mean, sd, _ = _drift(y, h, m)
        return mean, sd, "ets: no form could be fitted, used drift"
    return mean, _steps_sigma(y, fit.fitted, h, fit.alpha), None


def _ets(y: np.ndarray, h: int, m: int) -> tuple[np.ndarray, np.ndarray, str | None]:
    """ETS of the lowest AICc among the forms that suit the series."""
    if y.size < 6:
        mean, sd, _ = _drift(y, h, m)
        return mean, sd, "ets: fewer than 6 points, used drift"
    return _ets_result(y, h, m, smoothing.best(smoothing.select(y.tobytes(), m)))


@memoize(maxsize=64)
def _theta_fit(key: bytes, h: int, m: int) -> tuple[np.ndarray, np.ndarray, str | None]:
    """The Theta method of statsmodels (cached by the data)."""
    from statsmodels.tsa.forecasting.theta import ThetaModel

    y = np.frombuffer(key, dtype=float).copy()
    if y.size < 4:
        mean, sd, _ = _drift(y, h, m)
        return mean, sd, "theta: fewer than 4 points, used drift"
    seasonal = m > 1 and y.size >= 2 * m
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = ThetaModel(y, period=m if seasonal else 1, deseasonalize=seasonal).fit()
            mean = np.asarray(res.forecast(h), dtype=float)
    except Exception:  # noqa: BLE001 - a failed fit falls back to drift
        mean, sd, _ = _drift(y, h, m)
        return mean, sd, "theta: fit failed, used drift"
    if not np.all(np.isfinite(mean)):
        mean, sd, _ = _drift(y, h, m)
        return mean, sd, "theta: fit failed, used drift"
    # the variance of statsmodels' prediction intervals: the integrated MA
    # X_t = X_{t-1} + c + theta e_{t-1} + e_t fitted to the series, by conditional least
    # squares (statsmodels fits it a second time by exact likelihood, 3x the Theta fit)
    alpha = float(res.params.iloc[1])
    sigma2 = _ima_variance(np.diff(y))
    sd = np.sqrt(np.arange(h) * (1 + (alpha - 1) ** 2) + 1) * np.sqrt(sigma2)
    return mean, np.nan_to_num(sd, nan=0.0), None


def _ima_variance(d: np.ndarray) -> float:
    """One-step error variance of an MA(1) with drift on the differences ``d`` (CSS)."""
    if d.size < 3:
        return float(np.var(d)) if d.size else 0.0
    x = d - d.mean()

    def css(theta: float) -> float:
        return float(np.mean(lfilter([1.0], [1.0, theta], x) ** 2))

    best = minimize_scalar(css, bounds=(-0.99, 0.99), method="bounded",
                           options={"xatol": 1e-4})
    return css(float(best.x))


def _theta(y: np.ndarray, h: int, m: int) -> tuple[np.ndarray, np.ndarray, str | None]:
    return _theta_fit(y.tobytes(), h, m)


def _holt_winters(y: np.ndarray, h: int,
                  m: int) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Damped Holt-Winters by least squares: multiplicative season on a positive series.

    statsmodels' ``ExponentialSmoothing`` from its own starting values (``use_brute=False``:
    the grid search for them costs 2.5x the fit and changed the M3 benchmark's sMAPE by 0.3 %).
    Fitted by squared errors, not by the likelihood of the ETS forms, it is the combination's
    more different member.
    """
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    n = y.size
    if n < 6:
        mean, sd, _ = _drift(y, h, m)
        return mean, sd, "holt-winters: fewer than 6 points, used drift"
    season = ("mul" if np.all(y > 0) else "add") if smoothing.seasonal(n, m) else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = ExponentialSmoothing(y, trend="add", damped_trend=True, seasonal=season,
                                       seasonal_periods=m if season else None,
                                       initialization_method="estimated").fit(use_brute=False)
            mean = np.asarray(fit.forecast(h), dtype=float)
        if not np.all(np.isfinite(mean)):
            raise ValueError("non-finite forecast")
    except Exception:  # noqa: BLE001 - any optimiser failure falls back to drift
        mean, sd, _ = _drift(y, h, m)
        return mean, sd, "holt-winters: fit failed, used drift"
    alpha = float(fit.params.get("smoothing_level", 0.5) or 0.0)
    return mean, _steps_sigma(y, np.asarray(fit.fittedvalues, dtype=float), h, alpha), None


def _combo(y: np.ndarray, h: int, m: int) -> tuple[np.ndarray, np.ndarray, str | None]:
    """The mean of ETS, Theta and damped Holt-Winters (native sigma: the members' mean)."""
    return _mean_of([_ets(y, h, m), _theta(y, h, m), _holt_winters(y, h, m)])


def _mean_of(members: list[tuple[np.ndarray, np.ndarray, str | None]]
             ) -> tuple[np.ndarray, np.ndarray, str | None]:
    mean = np.mean([f[0] for f in members], axis=0)
    sd = np.mean([f[1] for f in members], axis=0)
    notes = [f[2] for f in members if f[2]]
    return mean, sd, ("combo: " + "; ".join(notes)) if notes else None


def bounded(fitter: Fitter) -> Fitter:
    """``fitter``, with no forecast below zero for a series that is never negative.

    Parameters
    ----------
    fitter : Fitter
        A model.

    Returns
    -------
    Fitter
        The same model; on a history without negative values its mean is kept at 0 or
        above (sales do not go below zero; a series with returns may).
    """
    def fit(y: np.ndarray, h: int, m: int) -> tuple[np.ndarray, np.ndarray, str | None]:
        mean, sd, note = fitter(y, h, m)
        if y.size and np.min(y) >= 0 and np.min(mean) < 0:
            mean = np.maximum(mean, 0.0)
            note = "; ".join(x for x in (note, "forecast below 0 set to 0") if x)
        return mean, sd, note

    fit.__doc__ = fitter.__doc__
    return fit


def for_origins(name: str, base: np.ndarray, m: int) -> Fitter:
    """The model ``name`` as a backtest fits it on windows that grow from ``base``.

    Parameters
    ----------
    name : str
        A key of :data:`FITTERS`.
    base : numpy.ndarray
        The oldest training window; the others extend it.
    m : int
        Season length.

    Returns
    -------
    Fitter
        ``FITTERS[name]``, except for ETS, alone and in the combination: its form (the
        lowest AICc) is chosen on ``base`` and refitted on each longer window from
        ``base``'s parameters
        (:func:`salesnb.forecast.smoothing.refit`). No window sees data after its end, and
        the backtest fits one form per window instead of every form.
    """
    fits = (smoothing.select(base.tobytes(), m)
            if name in ("ets", "combo") and base.size >= 6 else {})
    chosen = smoothing.best(fits)
    if chosen is None:
        return FITTERS[name]

    def member(fit: smoothing.EtsFit) -> Fitter:
        def refit(t: np.ndarray, h: int, s: int) -> tuple[np.ndarray, np.ndarray, str | None]:
            if t.size == base.size:
                return _ets_result(t, h, s, fit)
            return _ets_result(t, h, s, smoothing.refit(t.tobytes(), s, fit.form,
                                                         fit.params.tobytes()))
        return refit

    def combo(t: np.ndarray, h: int, s: int) -> tuple[np.ndarray, np.ndarray, str | None]:
        return _mean_of([member(chosen)(t, h, s), _theta(t, h, s), _holt_winters(t, h, s)])

    return bounded(member(chosen) if name == "ets" else combo)


def _design(t: np.ndarray, n: int, m: int, seasonal: bool) -> np.ndarray:
    cols = [t / max(n, 1)]
    if seasonal:
        pos = t % m
        if m <= 12:
            cols += [(pos == k).astype(float) for k in range(1, m)]
        else:
            for k in range(1, min(6, m // 2) + 1):
                cols += [np.sin(2 * np.pi * k * pos / m), np.cos(2 * np.pi * k * pos / m)]
    return np.column_stack(cols)


def _regression(y: np.ndarray, h: int, m: int) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Ridge regression on trend, calendar (month) terms and a lag of the series.

    The lag is the seasonal one (``m``) when there are two seasons of history, else lag 1;
    future lags come from the history or, beyond it, from the model's own forecasts
    (recursive). Without enough rows for the lag, the lag is left out.
    """
    from sklearn.linear_model import Ridge

    n = y.size
    if n < 4:
        mean, sd, _ = _drift(y, h, m)
        return mean, sd, "regression: fewer than 4 points, used drift"
    seasonal = m > 1 and n >= 2 * m
    lag = m if seasonal else 1
    t = np.arange(n, dtype=float)
    x = _design(t, n, m, seasonal)
    xf = _design(np.arange(n, n + h, dtype=float), n, m, seasonal)
    steps = np.arange(1, h + 1)
    if n - lag < x.shape[1] + 4:  # too few rows to learn the lag as well
        reg = Ridge(alpha=0.1).fit(x, y)
        s = _sigma(y - reg.predict(x)) * np.sqrt(n / max(n - x.shape[1] - 1, 1))
        return reg.predict(xf), s * np.sqrt(1 + steps / n), None
    scale = float(np.max(np.abs(y))) or 1.0  # keeps the lag column on the calendar's scale
    xl = np.column_stack([x[lag:], y[:-lag] / scale])
    reg = Ridge(alpha=0.1).fit(xl, y[lag:])
    rows = n - lag
    s = _sigma(y[lag:] - reg.predict(xl)) * np.sqrt(rows / max(rows - xl.shape[1] - 1, 1))
    ext = np.concatenate([y, np.zeros(h)])
    calendar = xf @ reg.coef_[:-1] + reg.intercept_  # reg.predict, one step at a time
    for k in range(h):
        ext[n + k] = calendar[k] + reg.coef_[-1] * ext[n + k - lag] / scale
    # errors compound once the lag reaches back into forecasts
    compound = 1 + (steps - 1) // lag
    return ext[n:], s * np.sqrt(compound + steps / rows), None


#: The models by name (the keys are :data:`~salesnb.forecast.defaults.MODELS`).
FITTERS: dict[str, Fitter] = {name: bounded(f) for name, f in {
    "seasonal_naive": _seasonal_naive,
    "naive": _naive,
    "drift": _drift,
    "ets": _ets,
    "theta": _theta,
    "regression": _regression,
    "combo": _combo,
}.items()}


# --------------------------------------------------------------------------- input checks


def _season_length(index: pd.DatetimeIndex) -> tuple[str, int]:
    freq = index.freq.freqstr if index.freq is not None else pd.infer_freq(index)
    if freq is None:
        raise SalesnbError("the series index is irregular (no fixed frequency); build a "
                           "regular series with salesnb.forecast.sales_series(orders, "
                           "freq='MS') first.")
    base = freq.split("-")[0].upper()
    if base in ("MS", "ME", "M", "BMS", "BME"):
        return freq, 12
    if base in ("QS", "QE", "Q", "BQS", "BQE"):
        return freq, 4
    if base == "W":
        return freq, 52
    if base == "D":
        return freq, 7
    if base == "B":
        return freq, 5
    return freq, 1


def prepare(series: pd.Series, season_length: int | None,
            notes: list[str]) -> tuple[np.ndarray, pd.DatetimeIndex, str, int]:
    """Check one regular series and turn it into the array the models take.

    Parameters
    ----------
    series : pandas.Series
        A regular series (DatetimeIndex with a frequency), or a one-column frame.
    season_length : int or None
        Override the season inferred from the frequency.
    notes : list of str
        Data fixes applied (interpolated values) are appended here, in words.

    Returns
    -------
    tuple
        ``(values, index with freq, freq, season length >= 1)``.

    Raises
    ------
    SalesnbError
        On a frame of several columns, a non-date, unsorted or irregular index.
    """
    if isinstance(series, pd.DataFrame):
        if series.shape[1] != 1:
            raise SalesnbError("pass one series (a column of sales_series(...)), not a "
                               f"frame with {series.shape[1]} columns.")
        series = series.iloc[:, 0]
    if not isinstance(series.index, pd.DatetimeIndex):
        raise SalesnbError("the series needs a DatetimeIndex of period starts; build it with "
                           "salesnb.forecast.sales_series(orders, freq='MS').")
    if not series.index.is_monotonic_increasing or series.index.has_duplicates:
        raise SalesnbError("the series index is not sorted/unique; build a regular series "
                           "with salesnb.forecast.sales_series(orders, freq='MS').")
    if len(series) < 3 and series.index.freq is None:
        raise SalesnbError("a series of fewer than 3 points needs an index with freq; build "
                           "it with salesnb.forecast.sales_series(orders, freq='MS').")
    freq, m = _season_length(pd.DatetimeIndex(series.index))
    if season_length is not None:
        m = int(season_length)
    y = pd.to_numeric(series, errors="coerce").astype(float)
    if y.isna().all():
        notes.append("all values missing: treated as 0")
        y = y.fillna(0.0)
    elif y.isna().any():
        notes.append(f"{int(y.isna().sum())} missing value(s) linearly interpolated "
                     "(ends filled with the nearest value)")
        y = y.interpolate(limit_direction="both")
    idx = pd.DatetimeIndex(series.index, freq=freq)
    return y.to_numpy(dtype=float), idx, freq, max(m, 1)


def candidates(n: int, m: int, models: Sequence[str] | None) -> list[str]:
    """The models to try on a series of ``n`` points with season ``m``.

    Parameters
    ----------
    n : int
        Length of the series.
    m : int
        Season length (1: none).
    models : sequence of str or None
        The models asked for; ``None`` means every model that suits the series (seasonal
        ones only with two full seasons).

    Returns
    -------
    list of str
        Model names, in the order of :data:`~salesnb.forecast.defaults.MODELS` by default.

    Raises
    ------
    SalesnbError
        On an unknown model name.
    """
    if models is None:
        if m > 1 and n >= 2 * m:
            return list(MODELS)
        return [k for k in MODELS if k not in SEASONAL_MODELS]
    bad = [k for k in models if k not in FITTERS]
    if bad:
        raise SalesnbError(f"unknown model(s) {bad}; choose from {list(MODELS)}.")
    return list(models)
