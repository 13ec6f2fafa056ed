"""Sales forecasting: regular series from orders, simple models, backtests and intervals.

Pure functions on pandas objects, in the style of :mod:`salesnb.quality`:

* :func:`sales_series` turns order lines into a regular, zero-filled series (wide frame);
* :func:`backtest` scores candidate models on rolling origins (MASE, sMAPE, coverage);
* :func:`forecast` forecasts one series with a chosen model or the backtest winner
  (``model="auto"``), with prediction intervals calibrated on the backtest errors;
* :func:`plot_forecast` draws history, forecast and interval.

Intervals. Every model gives a "native" standard deviation per horizon step (from its
in-sample residuals). The backtest errors, divided by that standard deviation, are pooled over
steps and folds; their empirical absolute quantiles replace the normal quantile. In
:func:`backtest` the coverage of fold *k* uses quantiles from the *other* folds only, so the
reported coverage is an honest out-of-sample measure of the intervals :func:`forecast` returns.

Rolling origins. The last origin is ``n - horizon``; earlier origins step back by
``horizon`` when the series is long enough, otherwise by a smaller step (overlapping
windows) so that every fold keeps at least ``season_length + 2`` training points.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from scipy import stats

from salesnb.errors import SalesnbError
from salesnb.forecast.defaults import GROUPINGS, MODELS

__all__ = [
    "MODELS",
    "Forecast",
    "sales_series",
    "sales_series_sql",
    "read_series",
    "forecast",
    "backtest",
    "plot_forecast",
]

FREQS = {"D": "D", "W": "W-MON", "MS": "MS", "QS": "QS"}
VALUES = ("revenue", "quantity")
SEASONAL_MODELS = ("seasonal_naive",)
_MIN_CALIBRATION = 8


# --------------------------------------------------------------------------- sales_series


def sales_series(orders: pd.DataFrame, *, freq: str = "MS", by: str | None = None,
                 value: str = "revenue", products: pd.DataFrame | None = None) -> pd.DataFrame:
    """Revenue (or quantity) summed per period, as a regular zero-filled wide frame.

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines with ``order_date`` and the ``value`` column (``data.orders``).
    freq : {"D", "W", "MS", "QS"}, default="MS"
        Period: day, week (starting Monday), month start, quarter start.
    by : {None, "region", "category", "product_id", "rep_id"}, default=None
        One column per group; ``None`` gives a single column ``"total"``.
    value : {"revenue", "quantity"}, default="revenue"
        What to sum.
    products : pandas.DataFrame, optional
        Needed for ``by="category"`` (maps ``product_id`` to ``category``).

    Returns
    -------
    pandas.DataFrame
        Index: period start (a DatetimeIndex with ``freq``) from the first to the last order's
        period; one column per group, periods without orders are 0.

    Raises
    ------
    SalesnbError
        On an unknown ``freq``, ``by`` or ``value``, a missing column, or ``by="category"``
        without ``products``.
    """
    if freq not in FREQS:
        raise SalesnbError(f"freq={freq!r} is not supported; use one of {sorted(FREQS)}.")
    if value not in VALUES:
        raise SalesnbError(f"value={value!r} is not supported; use one of {list(VALUES)}.")
    if by is not None and by not in GROUPINGS:
        raise SalesnbError(f"by={by!r} is not supported; use None or one of {list(GROUPINGS)}.")
    need = ["order_date", value] + ([by] if by not in (None, "category") else [])
    if by == "category":
        need.append("product_id")
    missing = [c for c in need if c not in orders.columns]
    if missing:
        raise SalesnbError(f"orders has no column(s) {missing}; pass data.orders from "
                           "salesnb.load().")
    df = orders[need].copy()
    if by == "category":
        if products is None or not {"product_id", "category"} <= set(products.columns):
            raise SalesnbError("by='category' needs products=data.products (with product_id "
                               "and category).")
        cat = products.drop_duplicates("product_id").set_index("product_id")["category"]
        df["category"] = df["product_id"].map(cat).fillna("(unknown)")
    dates = pd.to_datetime(df["order_date"])
    pfreq = {"D": "D", "W": "W-SUN", "MS": "M", "QS": "Q"}[freq]
    df["period"] = dates.dt.to_period(pfreq).dt.start_time.astype("datetime64[ns]")
    df = df[df["period"].notna()]
    vals = pd.to_numeric(df[value], errors="coerce").fillna(0.0)
    df = df.assign(**{value: vals})
    if df.empty:
        idx = pd.DatetimeIndex([], freq=FREQS[freq], name="period")
        return pd.DataFrame(index=idx, columns=["total"] if by is None else [], dtype=float)
    key = "total" if by is None else by
    if by is None:
        df["total"] = "total"
    return _widen(df, key, value, freq, by)


def _widen(df: pd.DataFrame, key: str, value: str, freq: str, by: str | None) -> pd.DataFrame:
    """Pivot a long (period, key, value) frame to the zero-filled regular wide frame."""
    wide = df.pivot_table(index="period", columns=key, values=value, aggfunc="sum",
                          fill_value=0.0, observed=True)
    full = pd.date_range(wide.index.min(), wide.index.max(), freq=FREQS[freq], name="period")
    wide = wide.reindex(full, fill_value=0.0).astype(float)
    wide.columns = wide.columns.astype(str)
    wide.columns.name = by
    return wide


_TRUNC = {"D": "day", "W": "week", "MS": "month", "QS": "quarter"}


def read_series(path: Any) -> pd.DataFrame:
    """Read one monthly series from a CSV file: a time column, then a value column.

    The time column may hold dates (``1991-01``, ``2024-03-01``) or decimal years
    (``1982.25`` is April 1982, as in many textbook data sets). Missing months are filled with
    0, as :func:`sales_series` does.

    Returns
    -------
    pandas.DataFrame
        One column (named after the value column), indexed by month start with freq "MS".

    Raises
    ------
    SalesnbError
        When the file does not have two columns or the times do not parse.
    """
    raw = pd.read_csv(path, sep=None, engine="python")
    if raw.shape[1] < 2:
        raise SalesnbError(f"{path}: expected a time column and a value column, found "
                           f"{list(raw.columns)}")
    time, value = raw.columns[:2]
    t = raw[time]
    if pd.api.types.is_numeric_dtype(t) and t.between(1800, 2300).all():
        year = np.floor(t.to_numpy(float)).astype(int)
        month = np.rint((t.to_numpy(float) - year) * 12).astype(int) + 1
        stamps = pd.to_datetime({"year": year, "month": month, "day": 1})
    else:
        stamps = pd.to_datetime(t.astype(str), errors="coerce", format="mixed")
    if stamps.isna().any():
        raise SalesnbError(f"{path}: column {time!r} has values that are not dates or decimal "
                           f"years (e.g. {t[stamps.isna()].iloc[0]!r})")
    df = pd.DataFrame({"period": stamps.dt.to_period("M").dt.start_time.astype("datetime64[ns]"),
                       "series": str(value), "value": pd.to_numeric(raw[value], errors="coerce")})
    return _widen(df.fillna({"value": 0.0}), "series", "value", "MS", None)


def sales_series_sql(source: Any, *, freq: str = "MS", by: str | None = None,
                     value: str = "revenue", mapping: Any = None,
                     as_of: Any = None) -> pd.DataFrame:
    """:func:`sales_series` computed inside DuckDB, straight from a data source.

    The source is validated as by :func:`salesnb.load` (quarantined rows excluded), the
    group-by runs in DuckDB, and only the aggregated series reaches pandas, so order lines
    larger than memory still give a series.

    Parameters
    ----------
    source : path or Source
        As for :func:`salesnb.load`.
    freq, by, value
        As for :func:`sales_series` (``by="category"`` joins the products table).
    mapping, as_of
        As for :func:`salesnb.load`.

    Returns
    -------
    pandas.DataFrame
        The same frame :func:`sales_series` returns for the loaded orders.
    """
    from salesnb.data.loader import query

    if freq not in FREQS or value not in VALUES or (by is not None and by not in GROUPINGS):
        raise SalesnbError(f"freq={freq!r}, by={by!r}, value={value!r}: use freq in "
                           f"{sorted(FREQS)}, by None or in {list(GROUPINGS)}, value in "
                           f"{list(VALUES)}.")
    group = ("'total'" if by is None else "p.category" if by == "category" else f"o.{by}")
    join = " LEFT JOIN {products} p USING (product_id)" if by == "category" else ""
    sql = (f"SELECT CAST(date_trunc('{_TRUNC[freq]}', o.order_date) AS TIMESTAMP) AS period, "
           f"coalesce(CAST({group} AS VARCHAR), '(unknown)') AS grp, "
           f"sum(o.{value})::DOUBLE AS value FROM {{orders}} o{join} GROUP BY ALL")
    long, _ = query(source, sql, mapping, tables=None, as_of=as_of)
    long["period"] = pd.to_datetime(long["period"]).astype("datetime64[ns]")
    return _widen(long, "grp", "value", freq, by)


# --------------------------------------------------------------------------- models
# Each model: (y, h, m) -> (mean[h], native sigma[h], note | None). y has no NaN.


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


def _ets(y: np.ndarray, h: int, m: int) -> tuple[np.ndarray, np.ndarray, str | None]:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    n = y.size
    if n < 6:
        mean, sd, _ = _drift(y, h, m)
        return mean, sd, "ets: fewer than 6 points, used drift"
    seasonal = m > 1 and n >= 2 * m + 2
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = ExponentialSmoothing(
                y, trend="add", damped_trend=True,
                seasonal="add" if seasonal else None,
                seasonal_periods=m if seasonal else None,
                initialization_method="estimated",
            ).fit(method="L-BFGS-B", use_brute=False)
            mean = np.asarray(fit.forecast(h), dtype=float)
        if not np.all(np.isfinite(mean)):
            raise ValueError("non-finite forecast")
    except Exception:  # noqa: BLE001 - any optimiser failure falls back to drift
        mean, sd, _ = _drift(y, h, m)
        return mean, sd, "ets: fit failed, used drift"
    alpha = float(fit.params.get("smoothing_level", 0.5) or 0.0)
    s = _sigma(y - np.asarray(fit.fittedvalues, dtype=float))
    steps = np.arange(1, h + 1)
    return mean, s * np.sqrt(1 + (steps - 1) * alpha ** 2), None


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
    for k in range(h):
        ext[n + k] = reg.predict(np.append(xf[k], ext[n + k - lag] / scale)[None, :])[0]
    # errors compound once the lag reaches back into forecasts
    compound = 1 + (steps - 1) // lag
    return ext[n:], s * np.sqrt(compound + steps / rows), None


_FITTERS: dict[str, Callable[[np.ndarray, int, int],
                             tuple[np.ndarray, np.ndarray, str | None]]] = {
    "seasonal_naive": _seasonal_naive,
    "naive": _naive,
    "drift": _drift,
    "ets": _ets,
    "regression": _regression,
}


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


def _prepare(series: pd.Series, season_length: int | None,
             notes: list[str]) -> tuple[np.ndarray, pd.DatetimeIndex, str, int]:
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


def _candidates(n: int, m: int, models: Sequence[str] | None) -> list[str]:
    if models is None:
        if m > 1 and n >= 2 * m:
            return list(MODELS)
        return [k for k in MODELS if k not in SEASONAL_MODELS]
    bad = [k for k in models if k not in _FITTERS]
    if bad:
        raise SalesnbError(f"unknown model(s) {bad}; choose from {list(MODELS)}.")
    return list(models)


def _origins(n: int, h: int, folds: int, m: int) -> list[int]:
    """Training lengths of the rolling origins, oldest first (may be fewer than ``folds``)."""
    min_train = max(3, m + 2 if m > 1 else 3)
    last = n - h
    if last < min_train or folds < 1:
        return []
    room = last - min_train
    step = h if folds == 1 else max(1, min(h, room // (folds - 1))) if room else 1
    origins = [last - j * step for j in range(folds)]
    return sorted({o for o in origins if o >= min_train})


# --------------------------------------------------------------------------- backtest


@dataclass(frozen=True)
class _Raw:
    """Backtest errors for one model: arrays of shape (folds, h)."""

    errors: np.ndarray
    actual: np.ndarray
    pred: np.ndarray
    sigma: np.ndarray
    scale: np.ndarray  # per fold: in-sample (seasonal) naive MAE


@lru_cache(maxsize=32)
def _backtest_raw(key: bytes, h: int, folds: int, models: tuple[str, ...],
                  m: int) -> dict[str, _Raw]:
    y = np.frombuffer(key, dtype=float)
    origins = _origins(y.size, h, folds, m)
    out: dict[str, _Raw] = {}
    for name in models:
        rows = []
        for o in origins:
            train, test = y[:o], y[o:o + h]
            mean, sd, _ = _FITTERS[name](train, h, m)
            lag = m if (m > 1 and o > m) else 1
            scale = float(np.mean(np.abs(train[lag:] - train[:-lag])))
            rows.append((test - mean, test, mean, sd, scale))
        out[name] = _Raw(*(np.array([r[i] for r in rows], dtype=float) for i in range(4)),
                         scale=np.array([r[4] for r in rows], dtype=float))
    return out


def _zquantiles(raw: _Raw, levels: Sequence[float], folds: np.ndarray) -> dict[float, float]:
    """Absolute quantiles of errors/sigma over the given folds; normal quantile if too few."""
    e, s = raw.errors[folds], raw.sigma[folds]
    ok = s > 0
    z = np.abs(e[ok] / s[ok])
    out = {}
    for lv in levels:
        if z.size >= _MIN_CALIBRATION:
            out[lv] = float(np.quantile(z, lv / 100.0, method="higher"))
        else:
            out[lv] = float(stats.norm.ppf(0.5 + lv / 200.0))
    return out


def _metrics(raw: _Raw, levels: Sequence[float]) -> dict[str, float]:
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
            q = _zquantiles(raw, [lv], others)[lv]
            hits.append(np.abs(raw.errors[f]) <= q * raw.sigma[f] + 1e-12)
        row[f"coverage_{_lvname(lv)}"] = float(np.mean(hits))
    return row


def _lvname(level: float) -> str:
    return f"{level:g}"


def _leaderboard(raws: dict[str, _Raw], levels: Sequence[float], folds: int) -> pd.DataFrame:
    cols = ["rank", "model", "mase", "smape"] + [f"coverage_{_lvname(lv)}" for lv in levels]
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
        :func:`sales_series`. Missing values are linearly interpolated.
    horizon : int, default=12
        Periods forecast from every origin.
    folds : int, default=3
        Number of origins (the last ``folds`` windows of ``horizon``; overlapping windows when
        the series is too short for disjoint ones).
    models : sequence of str, optional
        Models to score (see :data:`MODELS`); default: all that suit the series length.
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
    y, _, _, m = _prepare(series, season_length, notes)
    if y.size < 2 * m:
        m = 1  # fewer than two full seasons: non-seasonal models, MASE scaled by naive
    horizon = int(horizon)
    if horizon < 1:
        raise SalesnbError("horizon must be at least 1.")
    names = tuple(_candidates(y.size, m, models))
    raws = _backtest_raw(y.tobytes(), horizon, int(folds), names, m)
    used = len(_origins(y.size, horizon, int(folds), m))
    if used == 0:
        raws = {}
    return _leaderboard(raws, levels, used)


# --------------------------------------------------------------------------- forecast


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
             folds: int = 3) -> Forecast:
    """Forecast one regular series, with intervals calibrated on backtest errors.

    Parameters
    ----------
    series : pandas.Series
        A regular series (DatetimeIndex with a frequency), e.g. a column of
        :func:`sales_series`. Negative values (returns) are allowed.
    horizon : int, default=12
        Periods to forecast.
    model : str, default="auto"
        One of :data:`MODELS`, or ``"auto"``: the lowest backtest MASE (ties: the simpler).
    levels : sequence of float, default=(80, 95)
        Interval levels in percent.
    season_length : int, optional
        Override the season inferred from the frequency.
    folds : int, default=3
        Rolling origins of the backtest used for model choice and intervals.

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
    y, idx, freq, m = _prepare(series, season_length, notes)
    horizon = int(horizon)
    if horizon < 1:
        raise SalesnbError("horizon must be at least 1.")
    if model != "auto" and model not in _FITTERS:
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
            cols[f"lower_{_lvname(lv)}"] = cols["mean"]
            cols[f"upper_{_lvname(lv)}"] = cols["mean"]
        return Forecast(pd.DataFrame(cols, index=future), "naive", notes, None, m)

    if m > 1 and y.size < 2 * m:
        notes.append(f"fewer than two full seasons ({y.size} < 2x{m} points): non-seasonal "
                     "models only")
        m = 1
    names = tuple(_candidates(y.size, m, None if model == "auto" else [model]))
    origins = _origins(y.size, horizon, int(folds), m)
    leaderboard = None
    raws: dict[str, _Raw] = {}
    if not origins:
        chosen = "drift" if model == "auto" else model
        notes.append(f"too short for a backtest ({y.size} points, horizon {horizon}): "
                     f"{chosen} with uncalibrated normal intervals")
    else:
        raws = _backtest_raw(y.tobytes(), horizon, int(folds), names, m)
        leaderboard = _leaderboard(raws, levels, len(origins))
        chosen = str(leaderboard["model"].iloc[0]) if model == "auto" else model
    mean, sd, note = _FITTERS[chosen](y, horizon, m)
    if note:
        notes.append(note)
    if chosen in raws:
        q = _zquantiles(raws[chosen], levels, np.arange(len(origins)))
        if raws[chosen].errors.size < _MIN_CALIBRATION:
            notes.append("few backtest errors: normal intervals")
    else:
        q = {lv: float(stats.norm.ppf(0.5 + lv / 200.0)) for lv in levels}
    cols = {"mean": mean}
    for lv in levels:
        cols[f"lower_{_lvname(lv)}"] = mean - q[lv] * sd
        cols[f"upper_{_lvname(lv)}"] = mean + q[lv] * sd
    return Forecast(pd.DataFrame(cols, index=future), chosen, notes, leaderboard, m)


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
        Where to draw; a new figure when not given.
    level : float, default=80
        Which interval to shade (must be one of the forecast's levels).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (never saved).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4))
    lo, hi = f"lower_{_lvname(level)}", f"upper_{_lvname(level)}"
    if lo not in fc.frame.columns:
        raise SalesnbError(f"the forecast has no {level} % interval; levels: "
                           f"{[c[6:] for c in fc.frame.columns if c.startswith('lower_')]}.")
    ax.plot(series.index, series.to_numpy(dtype=float), color="0.3", label="history")
    ax.plot(fc.frame.index, fc.frame["mean"], color="C0", label=f"forecast ({fc.model})")
    ax.fill_between(fc.frame.index, fc.frame[lo], fc.frame[hi], color="C0", alpha=0.25,
                    label=f"{level:g} % interval")
    ax.set_title(f"Forecast: {series.name or 'series'} ({fc.model})")
    ax.legend(loc="upper left")
    return ax
