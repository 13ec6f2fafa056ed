"""Backtests: rolling origins, backtest errors, metrics and the model leaderboard.

* :func:`backtest` scores candidate models on rolling origins (MASE, sMAPE, coverage);
* :func:`backtest_errors` holds the errors behind it (cached, so :func:`salesnb.forecast.forecast`
  and :func:`backtest` on the same data fit the models once);
* :func:`interval_quantiles` turns those errors into interval widths.

Intervals. Every model gives a "native" standard deviation per horizon step (from its
in-sample residuals). The backtest errors, divided by that standard deviation, are pooled over
steps and folds; their empirical absolute quantiles replace the normal quantile. In
:func:`backtest` the coverage of fold *k* uses quantiles from the *other* folds only, so the
reported coverage is an honest out-of-sample measure of the intervals
:func:`salesnb.forecast.forecast` returns.

Rolling origins. The last origin is ``n - horizon``; earlier origins step back by
``horizon`` when the series is long enough, otherwise by a smaller step (overlapping
windows) so that every fold keeps at least ``season_length + 2`` training points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from salesnb.core.cache import memoize
from salesnb.core.fmt import plural
from salesnb.errors import SalesnbError
from salesnb.forecast.defaults import BACKTEST_MONTHS, MODELS
from salesnb.forecast.fitters import candidates, for_origins, prepare

__all__ = ["MIN_CALIBRATION", "BacktestErrors", "origins", "min_history", "fixed_horizon",
           "backtest_errors", "interval_quantiles", "yardstick_sentence", "level_name",
           "leaderboard", "backtest"]

#: Fewer scaled backtest errors than this: intervals use the normal quantile.
MIN_CALIBRATION = 8


def origins(n: int, h: int, folds: int, m: int) -> list[int]:
    """Training lengths of the rolling origins, oldest first (may be fewer than ``folds``).

    Parameters
    ----------
    n : int
        Length of the series.
    h : int
        Horizon forecast from every origin.
    folds : int
        Origins wanted.
    m : int
        Season length; every fold keeps at least ``m + 2`` training points (3 without a
        season).

    Returns
    -------
    list of int
        Training lengths, ascending; empty when the series is too short for one origin.
    """
    min_train = max(3, m + 2 if m > 1 else 3)
    last = n - h
    if last < min_train or folds < 1:
        return []
    room = last - min_train
    step = h if folds == 1 else max(1, min(h, room // (folds - 1))) if room else 1
    found = [last - j * step for j in range(folds)]
    return sorted({o for o in found if o >= min_train})


def min_history(horizon: int, season_length: int = 12) -> int:
    """The shortest series :func:`backtest` scores (one rolling origin) for this horizon.

    A series shorter than two seasons is backtested without a season (three training
    points are enough); a longer one keeps ``season_length + 2`` training points per fold.

    Parameters
    ----------
    horizon : int
        Periods forecast from every origin.
    season_length : int, default 12
        Season of the series (12 for monthly data).

    Returns
    -------
    int
        The smallest length ``n`` with at least one origin; :func:`backtest` of a shorter
        series is empty.
    """
    n = 1
    while True:
        m = season_length if n >= 2 * season_length else 1
        if origins(n, int(horizon), 1, m):
            return n
        n += 1


def fixed_horizon(n: int, limit: int = BACKTEST_MONTHS, season_length: int = 12) -> int:
    """The backtest horizon the reports score a series of ``n`` points on, whatever they show.

    Parameters
    ----------
    n : int
        Length of the series.
    limit : int, default :data:`~salesnb.forecast.defaults.BACKTEST_MONTHS`
        The horizon wanted (a year of months).
    season_length : int, default 12
        Season of the series.

    Returns
    -------
    int
        ``limit``, or the longest horizon with one rolling origin when the series is too
        short for ``limit`` (``limit`` again when it is too short for any). It depends on
        the data only, so forecasts made with it (``forecast(..., backtest_horizon=...)``) do
        not change with the horizon shown.
    """
    m = season_length if n >= 2 * season_length else 1
    for h in range(int(limit), 0, -1):
        if origins(n, h, 1, m):
            return h
    return int(limit)


@dataclass(frozen=True)
class BacktestErrors:
    """Backtest results for one model: arrays of shape (folds, h), ``scale`` of (folds,).

    Attributes
    ----------
    errors, actual, pred, sigma : numpy.ndarray
        Actual minus forecast, actual, forecast mean and native standard deviation per fold
        and step.
    scale : numpy.ndarray
        Per fold: the in-sample (seasonal) naive MAE, the MASE denominator.
    """

    errors: np.ndarray
    actual: np.ndarray
    pred: np.ndarray
    sigma: np.ndarray
    scale: np.ndarray


@memoize(maxsize=32)
def backtest_errors(key: bytes, h: int, folds: int, models: tuple[str, ...],
                    m: int) -> dict[str, BacktestErrors]:
    """Fit every model at every rolling origin and keep its errors (cached by the data).

    Parameters
    ----------
    key : bytes
        The series values as float64 bytes (``y.tobytes()``): the cache key.
    h : int
        Horizon.
    folds : int
        Origins wanted (see :func:`origins`).
    models : tuple of str
        Model names (keys of :data:`~salesnb.forecast.fitters.FITTERS`).
    m : int
        Season length.

    Returns
    -------
    dict of str to BacktestErrors
        One entry per model (a copy: changing it does not change the cache).
    """
    y = np.frombuffer(key, dtype=float)
    found = origins(y.size, h, folds, m)
    out: dict[str, BacktestErrors] = {}
    for name in models:
        rows = []
        fit = for_origins(name, y[:found[0] if found else 0], m)
        for o in found:
            train, test = y[:o], y[o:o + h]
            mean, sd, _ = fit(train, h, m)
            lag = m if (m > 1 and o > m) else 1
            scale = float(np.mean(np.abs(train[lag:] - train[:-lag])))
            rows.append((test - mean, test, mean, sd, scale))
        errors, actual, pred, sigma = (np.array([r[i] for r in rows], dtype=float)
                                       for i in range(4))
        out[name] = BacktestErrors(errors, actual, pred, sigma,
                                   scale=np.array([r[4] for r in rows], dtype=float))
    return out


def interval_quantiles(raw: BacktestErrors, levels: Sequence[float],
                       folds: np.ndarray) -> dict[float, float]:
    """Absolute quantiles of errors/sigma over the given folds; normal quantile if too few.

    Parameters
    ----------
    raw : BacktestErrors
        One model's backtest.
    levels : sequence of float
        Interval levels in percent.
    folds : numpy.ndarray
        Indices of the folds to pool.

    Returns
    -------
    dict of float to float
        Level -> multiplier of the native standard deviation.
    """
    e, s = raw.errors[folds], raw.sigma[folds]
    ok = s > 0
    z = np.abs(e[ok] / s[ok])
    out = {}
    for lv in levels:
        if z.size >= MIN_CALIBRATION:
            out[lv] = float(np.quantile(z, lv / 100.0, method="higher"))
        else:
            out[lv] = float(stats.norm.ppf(0.5 + lv / 200.0))
    return out


def level_name(level: float) -> str:
    """How a level appears in column names: 80 -> ``"80"``, 97.5 -> ``"97.5"``.

    Parameters
    ----------
    level : float
        Interval level in percent.

    Returns
    -------
    str
        The level without trailing zeros.
    """
    return f"{level:g}"


def _metrics(raw: BacktestErrors, levels: Sequence[float]) -> dict[str, float]:
    k = raw.errors.shape[0]
    mase = np.where(raw.scale > 0, np.mean(np.abs(raw.errors), axis=1) /
                    np.where(raw.scale > 0, raw.scale, 1.0), np.nan)
    denom = np.abs(raw.actual) + np.abs(raw.pred)
    sm = np.where(denom > 0, 2 * np.abs(raw.errors) / np.where(denom > 0, denom, 1.0), 0.0)
    row: dict[str, float] = {
        "mase": float(np.nanmean(mase)) if np.isfinite(mase).any() else np.nan,
        "smape": float(100 * sm.mean()),
    }
    for lv in levels:
        hits = []
        for f in range(k):
            others = np.array([j for j in range(k) if j != f], dtype=int)
            q = interval_quantiles(raw, [lv], others)[lv]
            hits.append(np.abs(raw.errors[f]) <= q * raw.sigma[f] + 1e-12)
        row[f"coverage_{level_name(lv)}"] = float(np.mean(hits))
    return row


def leaderboard(raws: dict[str, BacktestErrors], levels: Sequence[float],
                folds: int) -> pd.DataFrame:
    """Rank the backtested models: lowest MASE first (ties: lower sMAPE, then the simpler).

    Parameters
    ----------
    raws : dict of str to BacktestErrors
        From :func:`backtest_errors`.
    levels : sequence of float
        Interval levels whose coverage is reported.
    folds : int
        Origins used (reported in the ``folds`` column).

    Returns
    -------
    pandas.DataFrame
        Columns rank, model, mase, smape, coverage_<level>..., folds.
    """
    cols = ["rank", "model", "mase", "smape"] + [f"coverage_{level_name(lv)}" for lv in levels]
    rows = [{"model": name, **_metrics(raw, levels)} for name, raw in raws.items()]
    if not rows:
        return pd.DataFrame(columns=cols + ["folds"])
    lb = pd.DataFrame(rows)
    order = {k: i for i, k in enumerate(MODELS)}
    lb["_simple"] = lb["model"].map(order)
    lb = lb.sort_values(["mase", "smape", "_simple"], na_position="last", kind="stable",
                        ignore_index=True)
    lb["rank"] = np.arange(1, len(lb) + 1)
    lb["folds"] = folds
    return lb[cols + ["folds"]]


def backtest(series: pd.Series, *, horizon: int = 12, folds: int = 3,
             models: Sequence[str] | None = None, levels: Sequence[float] = (80, 95),
             season_length: int | None = None) -> pd.DataFrame:
    """Rolling-origin backtest of the candidate models: a leaderboard, best first.

    Parameters
    ----------
    series : pandas.Series
        A regular series (DatetimeIndex with a frequency), e.g. a column of
        :func:`~salesnb.forecast.sales_series`. Missing values are linearly interpolated.
    horizon : int, default=12
        Periods forecast from every origin.
    folds : int, default=3
        Number of origins (the last ``folds`` windows of ``horizon``; overlapping windows when
        the series is too short for disjoint ones).
    models : sequence of str, optional
        Models to score (see :data:`~salesnb.forecast.defaults.MODELS`); default: all that
        suit the series length.
    levels : sequence of float, default=(80, 95)
        Interval levels (percent) whose coverage is measured.
    season_length : int, optional
        Override the season inferred from the frequency (12 monthly, 4 quarterly, 52 weekly,
        7 daily).

    Returns
    -------
    pandas.DataFrame
        rank, model, mase (scaled by the in-sample seasonal naive MAE of each fold), smape
        (percent), coverage_<level> (share of outcomes inside the interval, calibrated on the
        other folds), folds (number of origins used). Empty when the series is too short for
        a single origin.
    """
    notes: list[str] = []
    y, _, _, m = prepare(series, season_length, notes)
    if y.size < 2 * m:
        m = 1  # fewer than two full seasons: non-seasonal models, MASE scaled by naive
    horizon = int(horizon)
    if horizon < 1:
        raise SalesnbError("horizon must be at least 1.")
    names = tuple(candidates(y.size, m, models))
    used = len(origins(y.size, horizon, int(folds), m))
    raws = backtest_errors(y.tobytes(), horizon, int(folds), names, m) if used else {}
    return leaderboard(raws, levels, used)


def yardstick_sentence(board: pd.DataFrame) -> str:
    """What a leaderboard says about the yardstick: which models beat last year's month.

    Parameters
    ----------
    board : pandas.DataFrame
        A leaderboard (:func:`backtest`) with columns ``model`` and ``mase``.

    Returns
    -------
    str
        How many models scored a lower MASE than ``seasonal_naive`` (repeating last year's
        month) and the best of them, or that none did; and, when no MASE is below 1, that
        every model's error is at least the one last year's month made inside the history.
        Empty without either case.
    """
    mase = board.set_index("model")["mase"].dropna()
    text = ""
    if "seasonal_naive" in mase.index:
        bar = float(mase["seasonal_naive"])
        others = mase.drop("seasonal_naive")
        beat = others[others < bar]
        if beat.empty:
            text = (f"No model beat repeating last year's month (seasonal_naive, MASE "
                    f"{bar:.2f}) in this backtest.")
        else:
            text = (f"{len(beat)} of {plural(len(others), 'model')} beat repeating last "
                    f"year's month (seasonal_naive, MASE {bar:.2f}); the best, "
                    f"{beat.idxmin()}, scored {beat.min():.2f}.")
    if len(mase) and float(mase.min()) >= 1:
        text += (" Every MASE is 1 or more: each model's error is at least the error last "
                 "year's month made inside the history.")
    return text.strip()


# --------------------------------------------------------------------------- forecast
