"""Forecasts that add up: per-group forecasts reconciled with the total (two-level hierarchy).

* :func:`reconcile` makes per-group forecasts and a total forecast add up (the total kept,
  bottom-up, OLS or structurally weighted least squares);
* :func:`coherent_forecasts` forecasts the total and every column of a wide monthly frame
  and reconciles the groups to the total's own forecast, so a director's total is the same
  by region and by category, and the managers' numbers add up to it;
* :func:`forecast_table` lays them out one row per future month;
  :func:`group_forecasts_figure` draws them as small multiples.

A forecast for one series is a DataFrame indexed by future period with columns ``mean``,
``lower_80``, ``upper_80``, ``lower_95``, ``upper_95`` (see :func:`salesnb.forecast.forecast`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from salesnb.core.columns import require_columns
from salesnb.errors import SalesnbError
from salesnb.forecast import evaluation as ev
from salesnb.forecast.defaults import LEVELS
from salesnb.forecast.models import INTERVAL_COLUMNS, forecast_many

__all__ = ["reconcile", "coherent_forecasts", "forecast_table", "group_forecasts_figure"]

#: The total's key among the series forecast (not a group name: groups are column names).
_TOTAL_KEY = "\x00total"
_FRAME_FIX = "pass forecast frames (Forecast.frame from salesnb.forecast.forecast)"


def _half_widths(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Distance of every interval bound from the mean (positive numbers)."""
    out = {}
    for lo, hi in INTERVAL_COLUMNS:
        if lo in frame.columns and hi in frame.columns:
            out[lo] = frame["mean"] - frame[lo]
            out[hi] = frame[hi] - frame["mean"]
    return out


def _with_mean(frame: pd.DataFrame, mean: np.ndarray, widths: Mapping[str, pd.Series],
               ) -> pd.DataFrame:
    out = pd.DataFrame({"mean": mean}, index=frame.index)
    for lo, hi in INTERVAL_COLUMNS:
        if lo in widths and hi in widths:
            out[lo] = out["mean"] - np.asarray(widths[lo], dtype=float)
            out[hi] = out["mean"] + np.asarray(widths[hi], dtype=float)
    return out


def _variances(frame: pd.DataFrame) -> np.ndarray:
    """Each period's forecast variance from the widest interval (0 without intervals)."""
    for lo, hi in reversed(INTERVAL_COLUMNS):
        if lo in frame.columns and hi in frame.columns:
            level = float(lo.split("_")[1])
            z = stats.norm.ppf(0.5 + level / 200.0)
            half = (frame[hi].to_numpy(dtype=float) - frame[lo].to_numpy(dtype=float)) / 2
            return (half / z) ** 2
    return np.zeros(len(frame))


def _floor(frame: pd.DataFrame) -> float:
    """0 for a forecast that never goes below 0 (no returns in its history), else -inf."""
    cols = ["mean", *(c for c in frame.columns if c.startswith("lower_"))]
    return 0.0 if bool((frame[cols] >= 0).all().all()) else -np.inf


def _keep_total(bottom: np.ndarray, top: np.ndarray, var: np.ndarray,
                floor: np.ndarray) -> np.ndarray:
    """Groups moved so they add up to ``top``, each by its share of the variance.

    A group that would fall below its floor (0 for a group without negative history) is
    held there and the rest of the difference shared among the others.
    """
    out = bottom.copy()
    for t in range(out.shape[0]):
        free = np.ones(out.shape[1], dtype=bool)
        row = bottom[t].copy()
        for _ in range(out.shape[1]):
            gap = top[t] - row.sum()
            w = np.where(free, var[t], 0.0)
            w = w / w.sum() if w.sum() > 0 else free / max(free.sum(), 1)
            row = row + gap * w
            low = free & (row < floor)
            if not low.any():
                break
            row[low] = floor[low]
            free &= ~low
        out[t] = row
    return out


def reconcile(base: Mapping[str, pd.DataFrame], total: pd.DataFrame | None = None, *,
              method: Literal["bottom_up", "ols", "wls_struct", "keep_total"] = "bottom_up",
              ) -> dict[str, pd.DataFrame]:
    """Make group forecasts and the total forecast add up (two-level hierarchy).

    Parameters
    ----------
    base : mapping of str to pandas.DataFrame
        One forecast per group (columns ``mean`` and optionally ``lower_80``, ``upper_80``,
        ``lower_95``, ``upper_95``), all on the same index. ``"total"`` is not a valid
        group name.
    total : pandas.DataFrame, optional
        A forecast of the total made separately (same layout and index). Required for
        ``"ols"`` and ``"wls_struct"``; ignored by ``"bottom_up"``.
    method : {"bottom_up", "ols", "wls_struct", "keep_total"}
        * ``"keep_total"``: the total keeps its own forecast and intervals; the groups are
          moved to add up to it, each by its share of the groups' forecast variance (read
          from its widest interval): weighted least squares with those variances, the limit
          of MinT with a diagonal covariance as the total's own variance goes to 0. A
          group's mean is not moved below 0 unless its interval reaches below 0 (returns);
          the others then take the difference. This keeps the top level's accuracy and
          makes the total the same whichever grouping is reconciled to it.
        * ``"bottom_up"``: groups are kept unchanged, total mean = sum of group means.
          Total intervals assume independent group errors: each bound lies
          ``sqrt(sum of the groups' squared distances)`` from the total mean (lower and
          upper separately).
        * ``"ols"``: the least-squares projection onto coherent forecasts,
          ``y~ = S (S'S)^-1 S' y^`` with the summing matrix ``S = [1'; I]``; both levels
          move.
        * ``"wls_struct"``: MinT with structural weights ``W = diag(S 1)`` (the total
          weighs as many series as it sums), ``y~ = S (S'W^-1 S)^-1 S'W^-1 y^``.

        For ``"ols"`` and ``"wls_struct"`` every series keeps the interval *widths* of its
        own base forecast, re-centred on its reconciled mean (a documented approximation:
        reconciled intervals are not recomputed from error covariances).

    Returns
    -------
    dict of str to pandas.DataFrame
        Key ``"total"`` plus every group, each with ``mean`` and the interval columns the
        inputs had; group means add up to the total mean exactly for every period.
    """
    if not base:
        raise SalesnbError("reconcile needs at least one group forecast")
    if "total" in base:
        raise SalesnbError("'total' is reserved for the total; pass it as total=")
    if method not in ("bottom_up", "ols", "wls_struct", "keep_total"):
        raise SalesnbError(f"unknown method {method!r}; use 'bottom_up', 'ols', "
                           "'wls_struct' or 'keep_total'")
    names = list(base)
    index = base[names[0]].index
    frames = dict(base) if total is None else {**base, "total": total}
    for name, f in frames.items():
        require_columns(f, ["mean"], table=f"forecast {name!r}", fix=_FRAME_FIX)
        if not f.index.equals(index):
            raise SalesnbError(f"forecast {name!r} covers other periods than {names[0]!r}; "
                               "all forecasts must share the same index")
    bottom = np.column_stack([base[n]["mean"].to_numpy(dtype=float) for n in names])  # T x m
    m = len(names)
    if method == "bottom_up":
        out = {n: base[n].copy() for n in names}
        widths = [_half_widths(base[n]) for n in names]
        total_w = {}
        for col in {k for w in widths for k in w}:
            if all(col in w for w in widths):
                total_w[col] = np.sqrt(sum(np.asarray(w[col], float) ** 2 for w in widths))
        out = {"total": _with_mean(base[names[0]], bottom.sum(axis=1), total_w), **out}
        return out
    if total is None:
        raise SalesnbError(f"method={method!r} needs a separate total forecast (total=)")
    if method == "keep_total":
        var = np.column_stack([_variances(base[n]) for n in names])
        floor = np.array([_floor(base[n]) for n in names])
        means = _keep_total(bottom, total["mean"].to_numpy(dtype=float), var, floor)
        out = {"total": total.copy()}
        for j, n in enumerate(names):
            out[n] = _with_mean(base[n], means[:, j], _half_widths(base[n]))
            lower = [c for c in out[n].columns if c.startswith("lower_")]
            out[n][lower] = out[n][lower].clip(lower=floor[j])
        return out
    s_mat = np.vstack([np.ones((1, m)), np.eye(m)])  # (m+1) x m
    y_hat = np.column_stack([total["mean"].to_numpy(dtype=float), bottom])  # T x (m+1)
    if method == "ols":
        w_inv = np.eye(m + 1)
    else:
        w_inv = np.diag(1.0 / s_mat.sum(axis=1))
    proj = s_mat @ np.linalg.solve(s_mat.T @ w_inv @ s_mat, s_mat.T @ w_inv)
    y_tilde = y_hat @ proj.T
    # enforce exact coherence (removes floating-point noise in the total)
    y_tilde[:, 0] = y_tilde[:, 1:].sum(axis=1)
    out = {"total": _with_mean(total, y_tilde[:, 0], _half_widths(total))}
    for j, n in enumerate(names, start=1):
        out[n] = _with_mean(base[n], y_tilde[:, j], _half_widths(base[n]))
    return out



def _total(frame: pd.DataFrame) -> pd.Series:
    """The groups' sum per period, the same to the last bit whichever grouping ``frame`` has.

    Group sums of the same order lines differ in their last bits by grouping (1e-16 of the
    total), and a fit amplifies that (an optimiser's stopping point, the order statistic an
    interval's quantile takes). So the exact sum (``math.fsum``) is rounded to 10
    significant digits of the largest total: cents on totals of millions.
    """
    sums = np.array([math.fsum(row) for row in frame.to_numpy(dtype=float)])
    top = float(np.max(np.abs(sums))) if sums.size else 0.0
    digits = 9 - int(np.floor(np.log10(top))) if top > 0 else 0
    return pd.Series(np.round(sums, digits), index=frame.index, name="total")


def coherent_forecasts(series_frame: pd.DataFrame, *, horizon: int = 6, model: str = "auto",
                       levels: Sequence[float] = LEVELS, n_jobs: int = 1,
                       ) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Forecast the total and every group, and make the groups add up to the total.

    The total is forecast from its own history (the sum of the groups), with intervals
    calibrated on its own backtest errors, so it is the same whichever grouping the frame
    has; the groups are reconciled to it (:func:`reconcile`, ``method="keep_total"``). Every
    series is backtested on the same horizon whatever ``horizon`` is
    (:func:`salesnb.forecast.evaluation.fixed_horizon`), so a month's forecast does not move
    when the horizon grows.

    Parameters
    ----------
    series_frame : pandas.DataFrame
        Wide regular frame (index: period start with a frequency, one column per group), as
        :func:`salesnb.forecast.sales_series` builds it; the groups sum to the total.
    horizon : int, default 6
        Periods to forecast.
    model : str, default "auto"
        As for :func:`salesnb.forecast.forecast` (``"auto"``: each series' backtest choice).
    levels : sequence of float, default (80, 95)
        Interval levels in percent.
    n_jobs : int, default 1
        Processes for the series (:func:`salesnb.forecast.forecast_many`); the results do
        not depend on it.

    Returns
    -------
    tuple
        ``({"total": frame, group: frame, ...}, {group: model used})``; group names are the
        columns as text.
    """
    scored = ev.fixed_horizon(len(series_frame))
    options = {"horizon": horizon, "model": model, "levels": levels,
               "backtest_horizon": scored}
    names = [str(c) for c in series_frame.columns]
    every = {_TOTAL_KEY: _total(series_frame)}
    if len(names) > 1:
        every.update({n: series_frame[c] for n, c in zip(names, series_frame.columns,
                                                          strict=True)})
    done = forecast_many(every, n_jobs=n_jobs, **options)
    total = done[_TOTAL_KEY]
    base = {n: (done[n] if len(names) > 1 else total).frame for n in names}
    used = {n: (done[n] if len(names) > 1 else total).model for n in names}
    return reconcile(base, total.frame, method="keep_total"), used


def forecast_table(coherent: Mapping[str, pd.DataFrame], *, level: int = 80) -> pd.DataFrame:
    """One row per future month: every group's forecast, the total and its ``level`` % interval.

    Parameters
    ----------
    coherent : mapping of str to pandas.DataFrame
        From :func:`coherent_forecasts` (or :func:`reconcile`): ``"total"`` and the groups.
    level : int, default 80
        The interval shown for the total.

    Returns
    -------
    pandas.DataFrame
        Indexed by month (``"2026-01"``): one column per series (means), then
        ``total low <level>%`` and ``total high <level>%``.
    """
    means = pd.DataFrame({name: f["mean"] for name, f in coherent.items()})
    total = coherent["total"]
    means[f"total low {level}%"] = total[f"lower_{level}"]
    means[f"total high {level}%"] = total[f"upper_{level}"]
    means.index = means.index.strftime("%Y-%m")
    means.index.name = "month"
    return means


def group_forecasts_figure(series_frame: pd.DataFrame, coherent: Mapping[str, pd.DataFrame],
                           *, level: int = 80, history: int = 24,
                           fig: Figure | None = None) -> Figure:
    """Small multiples: recent history and the forecast with its interval, per group and total.

    Parameters
    ----------
    series_frame : pandas.DataFrame
        The history that was forecast (one column per group).
    coherent : mapping of str to pandas.DataFrame
        From :func:`coherent_forecasts`.
    level : int, default 80
        The interval shaded.
    history : int, default 24
        Periods of history drawn before the forecast.
    fig : matplotlib.figure.Figure, optional
        Draw into this (empty) figure instead of a new one.

    Returns
    -------
    matplotlib.figure.Figure
        Two columns of panels, the total first. The spacing is fixed (no ``tight_layout``), so
        a panel can redraw it without measuring it again.
    """
    names = ["total", *[str(c) for c in series_frame.columns]]
    hist = series_frame.copy()
    hist.columns = [str(c) for c in hist.columns]
    hist["total"] = hist.sum(axis=1)
    cols = 2
    rows = -(-len(names) // cols)
    fig = fig if fig is not None else plt.figure(figsize=(11, 2.6 * rows))
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
    locator = mdates.MonthLocator(bymonth=(1, 7))  # one locator and formatter for all axes
    formatter = mdates.DateFormatter("%Y-%m")
    for ax, name in zip(axes.ravel(), names, strict=False):
        h = hist[name].tail(history)
        f = coherent[name]
        ax.plot(h.index, h.to_numpy(), color="#444", lw=1.2)
        ax.plot(f.index, f["mean"], color="#2c7fb8", lw=1.8)
        ax.fill_between(f.index, f[f"lower_{level}"], f[f"upper_{level}"], color="#2c7fb8",
                        alpha=0.2, lw=0)
        ax.set_title(name, fontsize=10)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(formatter)
        ax.tick_params(labelsize=8, labelbottom=True)
    for ax in axes.ravel()[len(names):]:
        ax.set_axis_off()
    fig.suptitle(f"Forecast with {level} % interval (groups add up to the total)",
                 fontweight="bold")
    # Fixed spacing: tight_layout measured ~40 % of a redraw when only the level changes.
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.08, right=0.98, top=1 - 0.7 / height, bottom=0.35 / height,
                        hspace=0.55, wspace=0.18)
    return fig
