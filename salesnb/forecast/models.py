"""Forecast one regular series: the model a backtest picks, intervals calibrated on its errors.

* :class:`Forecast` is a forecast and how it was made (model, notes, leaderboard);
* :func:`forecast` forecasts one series with a chosen model or the backtest winner
  (``model="auto"``), with prediction intervals calibrated on the backtest errors (see
  :mod:`salesnb.forecast.evaluation`);
* :func:`forecast_many` forecasts many series the same way, in parallel processes
  (``n_jobs``);
* :func:`plot_forecast` draws history, forecast and interval.

A forecast frame is indexed by future period with columns ``mean``, ``lower_<level>`` and
``upper_<level>`` per level (:data:`INTERVAL_COLUMNS` for the default levels).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from scipy import stats

from salesnb.core.plots import axes
from salesnb.errors import SalesnbError
from salesnb.forecast import evaluation as ev
from salesnb.forecast.defaults import LEVELS, MODELS
from salesnb.forecast.fitters import FITTERS, candidates, prepare

__all__ = ["MODELS", "INTERVAL_COLUMNS", "COMBO_MARGIN", "Forecast", "forecast",
           "forecast_many", "choose", "plot_forecast"]

#: ``model="auto"`` takes another model over the combination only when its backtest MASE is
#: at least this much lower: a few origins rank close models by chance, and the combination
#: is the better bet on average. On 300 M3 monthly series, the backtest's plain winner scored
#: a sMAPE of 13.9, the winner with a margin of 0.1 13.7, of 0.3 13.3, of 0.5 13.2, the
#: combination always 13.2 (``benchmarks/README.md``).
COMBO_MARGIN = 0.5

#: Interval columns of a forecast frame at the default levels, as (lower, upper) pairs.
INTERVAL_COLUMNS: tuple[tuple[str, str], ...] = tuple(
    (f"lower_{ev.level_name(lv)}", f"upper_{ev.level_name(lv)}") for lv in LEVELS)


@dataclass
class Forecast:
    """A forecast and how it was made.

    Attributes
    ----------
    frame : pandas.DataFrame
        Index: future periods; columns ``mean``, ``lower_<l>``, ``upper_<l>`` per level.
    model : str
        The model used (one of :data:`MODELS`).
    notes : list of str
        Fallbacks and data fixes applied, in words.
    leaderboard : pandas.DataFrame or None
        The backtest behind ``model="auto"`` and the interval calibration (None without one).
    season_length : int
        Season used.
    """

    frame: pd.DataFrame
    model: str
    notes: list[str] = field(default_factory=list)
    leaderboard: pd.DataFrame | None = None
    season_length: int = 1


def forecast(series: pd.Series, *, horizon: int = 12, model: str = "auto",
             levels: Sequence[float] = (80, 95), season_length: int | None = None,
             folds: int = 3, backtest_horizon: int | None = None) -> Forecast:
    """Forecast one regular series, with intervals calibrated on backtest errors.

    Parameters
    ----------
    series : pandas.Series
        A regular series (DatetimeIndex with a frequency), e.g. a column of
        :func:`~salesnb.forecast.sales_series`. Negative values (returns) are allowed.
    horizon : int, default=12
        Periods to forecast.
    model : str, default="auto"
        One of :data:`MODELS`, or ``"auto"``: the backtest's choice (:func:`choose`).
    levels : sequence of float, default=(80, 95)
        Interval levels in percent.
    season_length : int, optional
        Override the season inferred from the frequency.
    folds : int, default=3
        Rolling origins of the backtest used for model choice and intervals.
    backtest_horizon : int, optional
        Periods the backtest forecasts from each origin (default: ``horizon``). A fixed one
        makes the forecast independent of ``horizon``: the same model and interval widths,
        so a month's forecast does not move when more months are asked for (the models'
        forecasts do not depend on how far they go). The intervals' multiplier is pooled
        over the backtest's steps and applies to the steps beyond them too.

    Returns
    -------
    Forecast
        ``.frame`` (mean and intervals per future period), ``.model``, ``.notes``,
        ``.leaderboard``.

    Raises
    ------
    SalesnbError
        On an irregular or non-date index, an unknown model, or ``horizon < 1``.

    Notes
    -----
    Fallbacks (each recorded in ``.notes``): missing values are linearly interpolated; a
    constant (or all-zero) series gets a naive forecast with zero-width intervals; fewer than
    two full seasons restricts ``"auto"`` to non-seasonal models; a series too short for a
    backtest (fewer than ``horizon + 3`` points, or ``horizon + season_length + 2``) gets
    ``"drift"`` with uncalibrated normal intervals.
    """
    notes: list[str] = []
    y, idx, freq, m = prepare(series, season_length, notes)
    horizon = int(horizon)
    if horizon < 1:
        raise SalesnbError("horizon must be at least 1.")
    if model != "auto" and model not in FITTERS:
        raise SalesnbError(f"unknown model {model!r}; use 'auto' or one of {list(MODELS)}.")
    if y.size == 0:
        raise SalesnbError("the series is empty; nothing to forecast.")
    future = pd.date_range(idx[-1], periods=horizon + 1, freq=freq)[1:]
    levels = list(levels)

    if np.ptp(y) == 0:
        notes.append("constant series: naive forecast (repeat the last value), zero-width "
                     "intervals")
        cols = {"mean": np.full(horizon, y[-1])}
        for lv in levels:
            cols[f"lower_{ev.level_name(lv)}"] = cols["mean"]
            cols[f"upper_{ev.level_name(lv)}"] = cols["mean"]
        return Forecast(pd.DataFrame(cols, index=future), "naive", notes, None, m)

    if m > 1 and y.size < 2 * m:
        notes.append(f"fewer than two full seasons ({y.size} < 2x{m} points): non-seasonal "
                     "models only")
        m = 1
    names = tuple(candidates(y.size, m, None if model == "auto" else [model]))
    scored = horizon if backtest_horizon is None else int(backtest_horizon)
    if scored < 1:
        raise SalesnbError("backtest_horizon must be at least 1.")
    origins = ev.origins(y.size, scored, int(folds), m)
    leaderboard = None
    raws: dict[str, ev.BacktestErrors] = {}
    if not origins:
        chosen = "drift" if model == "auto" else model
        notes.append(f"too short for a backtest ({y.size} points, horizon {scored}): "
                     f"{chosen} with uncalibrated normal intervals")
    else:
        raws = ev.backtest_errors(y.tobytes(), scored, int(folds), names, m)
        leaderboard = ev.leaderboard(raws, levels, len(origins))
        chosen = choose(leaderboard) if model == "auto" else model
        if chosen != leaderboard["model"].iloc[0] and model == "auto":
            notes.append(f"{leaderboard['model'].iloc[0]} led the backtest by less than "
                         f"{COMBO_MARGIN:.0%}: used the combination of ETS, Theta and "
                         "damped Holt-Winters")
    mean, sd, note = FITTERS[chosen](y, horizon, m)
    if note:
        notes.append(note)
    if chosen in raws:
        q = ev.interval_quantiles(raws[chosen], levels, np.arange(len(origins)))
        if raws[chosen].errors.size < ev.MIN_CALIBRATION:
            notes.append("few backtest errors: normal intervals")
    else:
        q = {lv: float(stats.norm.ppf(0.5 + lv / 200.0)) for lv in levels}
    cols = {"mean": mean}
    floor = 0.0 if np.min(y) >= 0 else -np.inf  # a series without returns stays at 0 or above
    for lv in levels:
        cols[f"lower_{ev.level_name(lv)}"] = np.maximum(mean - q[lv] * sd, floor)
        cols[f"upper_{ev.level_name(lv)}"] = mean + q[lv] * sd
    if np.isfinite(floor) and np.any(mean - max(q.values(), default=0.0) * sd < 0):
        notes.append("lower interval bounds below 0 set to 0 (the history has no negative "
                     "values)")
    return Forecast(pd.DataFrame(cols, index=future), chosen, notes, leaderboard, m)


def _forecast_one(item: tuple[str, pd.Series, dict]) -> tuple[str, Forecast]:
    name, series, options = item
    try:
        return name, forecast(series, **options)
    except SalesnbError as exc:
        raise SalesnbError(f"series {name!r}: {exc}") from None


def forecast_many(series: pd.DataFrame | Mapping[str, pd.Series], *, n_jobs: int = 1,
                  **options: object) -> dict[str, Forecast]:
    """Forecast many series the same way, in ``n_jobs`` processes.

    Parameters
    ----------
    series : pandas.DataFrame or mapping of str to pandas.Series
        One regular series per column (e.g. :func:`~salesnb.forecast.sales_series` with
        ``by=``), or series by name (they may have different lengths).
    n_jobs : int, default 1
        Processes: 1 forecasts in this process (no start-up cost, the best choice for a
        few series); -1 takes every core. Each series is forecast once, whatever the
        number of processes, so the results do not depend on it.
    **options
        Passed to :func:`forecast` (``horizon``, ``model``, ``levels``, ...).

    Returns
    -------
    dict of str to Forecast
        By column or key, in the input's order.

    Raises
    ------
    SalesnbError
        On input that is not a frame or a mapping, ``n_jobs`` 0 or below -1, or a series
        :func:`forecast` refuses (the message names the series).
    """
    if not isinstance(series, (pd.DataFrame, Mapping)):
        raise SalesnbError("forecast_many takes a wide frame (one column per series) or a "
                           f"dict of series, not {type(series).__name__}.")
    if n_jobs == 0 or n_jobs < -1:
        raise SalesnbError(f"n_jobs={n_jobs}: use 1 (this process), a number of processes, "
                           "or -1 (every core).")
    work = [(str(name), s, dict(options)) for name, s in series.items()]
    workers = min((os.cpu_count() or 1) if n_jobs == -1 else n_jobs, len(work))
    if workers <= 1:
        return dict(_forecast_one(w) for w in work)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(_forecast_one, work, chunksize=max(1, len(work) // (4 * workers))))


def choose(leaderboard: pd.DataFrame, margin: float = COMBO_MARGIN) -> str:
    """The model ``"auto"`` takes from a backtest leaderboard.

    Parameters
    ----------
    leaderboard : pandas.DataFrame
        From :func:`salesnb.forecast.evaluation.leaderboard`, best first.
    margin : float, default :data:`COMBO_MARGIN`
        How much lower another model's MASE must be than the combination's.

    Returns
    -------
    str
        The leader, unless the combination was scored and the leader's MASE is not
        ``margin`` below its own: then ``"combo"``.
    """
    best = str(leaderboard["model"].iloc[0])
    combo = leaderboard.loc[leaderboard["model"] == "combo", "mase"]
    if best == "combo" or combo.empty or not np.isfinite(combo.iloc[0]):
        return best
    lead = float(leaderboard["mase"].iloc[0])
    return best if lead < (1 - margin) * float(combo.iloc[0]) else "combo"


# --------------------------------------------------------------------------- plot


def plot_forecast(series: pd.Series, fc: Forecast, *, ax: Axes | None = None,
                  level: float = 80) -> Axes:
    """History, forecast mean and the shaded ``level`` % interval.

    Parameters
    ----------
    series : pandas.Series
        The history that was forecast.
    fc : Forecast
        From :func:`forecast`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current axes (``plt.gca()``) when not given.
    level : float, default=80
        Which interval to shade (must be one of the forecast's levels).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (never saved).
    """
    lo, hi = f"lower_{ev.level_name(level)}", f"upper_{ev.level_name(level)}"
    if lo not in fc.frame.columns:
        raise SalesnbError(f"the forecast has no {level} % interval; levels: "
                           f"{[c[6:] for c in fc.frame.columns if c.startswith('lower_')]}.")
    ax = axes(ax)
    ax.plot(series.index, series.to_numpy(dtype=float), color="0.3", label="history")
    ax.plot(fc.frame.index, fc.frame["mean"], color="C0", label=f"forecast ({fc.model})")
    ax.fill_between(fc.frame.index, fc.frame[lo], fc.frame[hi], color="C0", alpha=0.25,
                    label=f"{level:g} % interval")
    ax.set_title(f"Forecast: {series.name or 'series'} ({fc.model})")
    ax.legend(loc="upper left")
    return ax
