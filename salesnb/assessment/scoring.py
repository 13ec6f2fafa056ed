"""The fair scorecard: KPI weights, empirical Bayes shrinkage, points, score and rank.

A rep with three closed deals and a 100 % win rate is not better than one with 40 deals and
70 %. Each KPI is therefore estimated with empirical Bayes shrinkage towards the team: rates
(win rate, lead conversion) with a beta-binomial prior, averages (attainment, satisfaction, deal
size, cycle length) with a normal prior whose strength is the spread between reps, counts (new
customers, activity) with a gamma-Poisson prior. Small samples move most. Draws from each
rep's posterior give every rank an interval, so a lucky month does not crown a rep.

Examples
--------
>>> import salesnb as sn
>>> d = sn.load("data")                                                   # doctest: +SKIP
>>> card = sn.assessment.scorecard(d, period="2025Q4")                    # doctest: +SKIP
>>> card.table[["score", "rank", "rank_low", "rank_high"]]                 # doctest: +SKIP
>>> card.rescore({"attainment": 0.6, "satisfaction": 0.4})                # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from salesnb.assessment.blocks import AssessmentError, _table, counts, missing_kpis, ratios
from salesnb.assessment.defaults import DEFAULT_WEIGHTS, KPIS, SCORABLE
from salesnb.assessment.periods import (
    PeriodOutsideError,
    available_periods,
    latest_period,
    period_range,
)
from salesnb.core.periods import parse_period, period_freq

__all__ = ["WEIGHT_PREFIX", "check_weights", "weights_from", "Scorecard", "scorecard"]

#: Prefix of the report parameters that hold KPI weights (``w_attainment``).
WEIGHT_PREFIX = "w_"


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Validate KPI weights: known KPIs, non-negative, summing to 1 (within 1e-6).

    Parameters
    ----------
    weights : mapping
        KPI -> weight, any of :data:`~salesnb.assessment.defaults.SCORABLE`.

    Returns
    -------
    dict
        The weights, without zero entries.

    Raises
    ------
    AssessmentError
        Naming the unknown KPI, the negative weight or the actual sum.
    """
    unknown = sorted(set(weights) - set(SCORABLE))
    if unknown:
        raise AssessmentError(f"unknown KPI(s) in the weights: {', '.join(unknown)}; "
                              f"weigh any of: {', '.join(SCORABLE)}.")
    bad = {k: v for k, v in weights.items() if not (isinstance(v, int | float)
                                                     and math.isfinite(v) and v >= 0)}
    if bad:
        raise AssessmentError(f"weights must be non-negative numbers: {bad}.")
    total = float(sum(weights.values()))
    if abs(total - 1.0) > 1e-6:
        raise AssessmentError(f"weights sum to {total:.3f}, not 1: adjust them so they add "
                              f"up to 1 (e.g. divide each by {total:.3f}).")
    return {k: float(v) for k, v in weights.items() if v > 0}


def weights_from(**values: Any) -> dict[str, float]:
    """KPI weights from report parameters or panel values named ``w_<kpi>``.

    Parameters
    ----------
    **values
        ``w_attainment=0.4, w_win_rate=0.15, ...``; keys without the prefix are ignored.

    Returns
    -------
    dict
        KPI -> weight, unchecked (:func:`check_weights` validates them).
    """
    return {k[len(WEIGHT_PREFIX):]: float(v) for k, v in values.items()
            if k.startswith(WEIGHT_PREFIX)}


def _shrink_rate(x: np.ndarray, n: np.ndarray, draws: int, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Beta-binomial empirical Bayes: (raw, posterior mean, draws)."""
    has = n > 0
    raw = np.where(has, x / np.where(has, n, 1), np.nan)
    pooled = x[has].sum() / n[has].sum() if n[has].sum() > 0 else 0.5
    pooled = float(np.clip(pooled, 1e-3, 1 - 1e-3))
    if has.sum() > 2:
        noise = np.mean(pooled * (1 - pooled) / n[has])
        between = max(float(np.var(raw[has]) - noise), 1e-4)
        strength = float(np.clip(pooled * (1 - pooled) / between - 1, 2.0, 1000.0))
    else:
        strength = 2.0
    a, b = pooled * strength, (1 - pooled) * strength
    post = (x + a) / (n + a + b)
    sample = rng.beta(x + a, n - x + b, size=(draws, x.size)) if draws else np.empty((0, x.size))
    return raw, post, sample


def _shrink_mean(est: np.ndarray, se: np.ndarray, draws: int, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normal-normal empirical Bayes on estimates with standard errors: (raw, mean, draws)."""
    ok = np.isfinite(est) & np.isfinite(se)
    if ok.sum() == 0:
        return est, est, np.full((draws, est.size), np.nan)
    mu = float(np.mean(est[ok]))
    tau2 = max(float(np.var(est[ok]) - np.mean(se[ok] ** 2)), 1e-12 + 1e-6 * mu ** 2)
    b = tau2 / (tau2 + np.where(ok, se ** 2, np.inf))
    post = np.where(ok, mu + b * (est - mu), np.nan)
    sd = np.sqrt(b) * se
    sample = post + sd * rng.standard_normal((draws, est.size)) if draws else (
        np.empty((0, est.size)))
    return est, post, sample


def _shrink_count(x: np.ndarray, draws: int, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gamma-Poisson empirical Bayes on counts: (raw, posterior mean, draws)."""
    m, v = float(np.mean(x)), float(np.var(x))
    if x.size > 2 and v > m > 0:
        a, rate = m * m / (v - m), m / (v - m)
    else:
        a, rate = 0.5, 0.0
    post = (x + a) / (1 + rate)
    sample = rng.gamma(x + a, 1 / (1 + rate), size=(draws, x.size)) if draws else (
        np.empty((0, x.size)))
    return x.astype(float), post, sample


def _se(total: np.ndarray, sq: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and its standard error from a sum, a sum of squares and a count."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, total / np.where(n > 0, n, 1), np.nan)
        var = np.where(n > 1, (sq - n * mean ** 2) / np.where(n > 1, n - 1, 1), np.nan)
    pooled = np.nanmean(var) if np.isfinite(var).any() else np.nan
    var = np.where(np.isfinite(var) & (n > 1), var, pooled)
    return mean, np.sqrt(var / np.where(n > 0, n, 1))


@dataclass
class Scorecard:
    """Result of :func:`scorecard`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per rep, best first: the raw KPIs, the shrunk estimates (``*_est``), the
        points per weighed KPI (0-100), ``score``, ``rank``, the 90 % rank interval
        ``rank_low``-``rank_high``, ``p_top`` (chance of a top-quartile rank) and a ``note``.
    period : pandas.Period
    weights : dict
    points : dict of numpy.ndarray
        Per weighable KPI, the points of every posterior draw (draws x reps), so new weights
        re-rank without recomputing (:meth:`rescore`).
    estimate_points : dict of numpy.ndarray
        Per weighable KPI, the points of the shrunk estimate (one per rep).
    reps : pandas.Index
        The rep order of the arrays in ``points`` and ``estimate_points``.
    left_out : dict of str to str
        KPIs the data cannot measure in the period, each with the reason (no such table, or
        nothing in the period): their values are empty, they score no points and their weight
        is shared out over the other KPIs in proportion (see :attr:`used_weights`).
    """

    table: pd.DataFrame
    period: pd.Period
    weights: dict[str, float]
    points: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    estimate_points: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    reps: pd.Index = field(repr=False, default_factory=lambda: pd.Index([]))
    left_out: dict[str, str] = field(default_factory=dict)

    @property
    def used_weights(self) -> dict[str, float]:
        """The weights the score is made of: the weighed KPIs the data measures, summing to 1.

        Returns
        -------
        dict of str to float
            :attr:`weights` without the :attr:`left_out` KPIs, divided by what is left (a
            rep without a value for one of them, e.g. no target, is scored on the others in
            the same way: see the ``scored_on`` column).
        """
        kept = {k: v for k, v in self.weights.items() if k not in self.left_out}
        total = sum(kept.values())
        return {k: v / total for k, v in kept.items()} if total > 0 else {}

    def rescore(self, weights: Mapping[str, float]) -> Scorecard:
        """The same scorecard under new weights (no KPI is recomputed).

        Parameters
        ----------
        weights : mapping
            KPI -> weight (:func:`check_weights`).

        Returns
        -------
        Scorecard
            Re-scored and re-ranked, with the same estimates and draws.
        """
        w = check_weights(weights)
        _check_measured(w, self.left_out)
        base = self.table.drop(columns=_SCORE_COLS, errors="ignore").reindex(self.reps)
        base = base.drop(columns=[c for c in base.columns if c.endswith("_points")])
        for n in w:
            base[f"{n}_points"] = self.estimate_points[n]
        table = _score(base, self.estimate_points, self.points, w)
        return Scorecard(table, self.period, w, self.points, self.estimate_points, self.reps,
                         dict(self.left_out))


_SCORE_COLS = ["score", "rank", "rank_low", "rank_high", "p_top", "scored_on"]


def _mean(values: np.ndarray) -> float:
    """Mean of the finite values (NaN, without a warning, when there are none)."""
    ok = np.isfinite(values)
    return float(values[ok].mean()) if ok.any() else float("nan")


def _points(kpi: str, values: np.ndarray, ref: np.ndarray | float, cap: float) -> np.ndarray:
    """Points 0-100: the value relative to its reference, capped at ``cap`` x reference."""
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = ref / values if kpi == "cycle_days" else values / ref
    return 100 * np.clip(rel, 0, cap) / cap


def _score(table: pd.DataFrame, est_points: dict[str, np.ndarray],
           draw_points: dict[str, np.ndarray], w: dict[str, float]) -> pd.DataFrame:
    names = list(w)
    weights = np.array([w[k] for k in names])
    est = np.column_stack([est_points[k] for k in names])  # reps x K
    avail = np.isfinite(est)
    denom = (avail * weights).sum(axis=1)
    score = np.where(denom > 0, np.nansum(est * weights, axis=1) / np.where(denom > 0, denom, 1),
                     np.nan)
    out = table.copy()
    out["score"] = score
    out["rank"] = pd.Series(score, index=out.index).rank(ascending=False, method="min")
    draws = next(iter(draw_points.values())).shape[0] if draw_points else 0
    if draws:
        stack = np.stack([draw_points[k] for k in names], axis=-1)  # draws x reps x K
        ok = np.isfinite(stack)
        tot = np.nansum(stack * weights, axis=-1) / np.maximum((ok * weights).sum(axis=-1),
                                                               1e-12)
        tot = np.where(np.isfinite(score)[None, :], tot, -np.inf)
        ranks = (-tot).argsort(axis=1).argsort(axis=1) + 1
        out["rank_low"] = np.percentile(ranks, 5, axis=0).round()
        out["rank_high"] = np.percentile(ranks, 95, axis=0).round()
        top = max(1, int(np.ceil(np.isfinite(score).sum() / 4)))
        out["p_top"] = (ranks <= top).mean(axis=0)
    missing = [[k for k, a in zip(names, row, strict=True) if not a] for row in avail]
    out["scored_on"] = [", ".join(k for k in names if k not in m) for m in missing]
    return out.sort_values(["score", "revenue"], ascending=False, na_position="last")


def _check_measured(w: Mapping[str, float], left_out: Mapping[str, str]) -> None:
    """Refuse weights that fall only on KPIs the data cannot measure."""
    if w and all(k in left_out for k in w):
        why = "; ".join(f"{k} ({left_out[k]})" for k in w)
        have = [k for k in SCORABLE if k not in left_out]
        raise AssessmentError(f"none of the weighed KPIs can be measured: {why}. Weigh KPIs "
                              f"the data has: {', '.join(have) or 'none'}.")


#: Per KPI, the counts that say whether anything in a period measures it, and what they are.
_EVIDENCE: dict[str, tuple[tuple[str, ...], str]] = {
    "attainment": (("target_months",), "target"), "win_rate": (("won", "lost"), "closed deal"),
    "lead_conversion": (("leads_closed",), "closed lead"), "satisfaction": (("surveys",), "survey"),
    "new_customers": (("orders",), "order credited to a rep"), "activity": (("visits",), "visit"),
    "avg_deal_size": (("won",), "won deal"), "cycle_days": (("won",), "won deal"),
}


def _left_out(missing: Mapping[str, str], at: pd.DataFrame, period: pd.Period
              ) -> dict[str, str]:
    """``missing`` (KPIs the data cannot measure) and the KPIs nothing in ``period`` measures."""
    left = dict(missing)
    for name, (columns, what) in _EVIDENCE.items():
        if name not in left and not (at[list(columns)].sum(axis=1) > 0).any():
            left[name] = f"no {what} in {period}"
    return left


def _resolve(data: Any, period: str | pd.Period | None, freq: str | None, as_of: Any,
             blocks: pd.DataFrame | None) -> tuple[pd.Period, pd.DataFrame]:
    """The period assessed and the blocks at its length (counted here unless given)."""
    empty = period is None or (isinstance(period, str) and not period.strip())
    p = latest_period(data, freq or "Q", as_of) if empty else parse_period(period, freq)
    kind = period_freq(p)
    if blocks is None:
        blocks = counts(data, freq=kind)
    periods = blocks.index.get_level_values("period")
    if len(periods) and period_freq(periods[0]) != kind:
        words = {"M": "month", "Q": "quarter", "Y": "year"}
        raise AssessmentError(f"the blocks are counted per {words[period_freq(periods[0])]} "
                              f"but {p} is a {words[kind]}: count them with "
                              f"counts(d, freq={kind!r}).")
    if p not in set(periods):
        avail = available_periods(data, as_of=as_of)
        if p not in set(avail[kind]):
            raise PeriodOutsideError(f"no data in {p}: the data covers "
                                     f"{period_range(avail, kind)}; choose a period inside.")
        raise AssessmentError(f"no rep has data in {p}: nothing in it is credited to a rep.")
    return p, blocks


def scorecard(data: Any, *, period: str | pd.Period | None = None,
              weights: Mapping[str, float] | None = None, freq: str | None = None,
              cap: float = 1.2, shrink: bool = True, draws: int = 400, seed: int = 0,
              blocks: pd.DataFrame | None = None, roles: Sequence[str] = ("rep",),
              as_of: Any = None) -> Scorecard:
    """Assess every rep for one period: KPIs, shrunk estimates, points, score and rank.

    Normalisation: each KPI becomes 0-100 points as its value relative to a reference,
    capped at ``cap`` times the reference (so 120 % attainment is the most a rep can score
    on it, with the default cap). References: the target for attainment, the satisfaction
    target for satisfaction (the team mean without one), the team mean for the rest (for
    cycle days, the team mean over the rep's value: shorter is better).

    KPIs the data cannot measure (no targets, surveys, opportunities or leads table, orders
    without a rep, or nothing in the period) are left out (:attr:`Scorecard.left_out`): they
    score nobody, and the score is made of the other weighed KPIs, their weights divided by
    what is left (:attr:`Scorecard.used_weights`).

    Parameters
    ----------
    data : SalesData or mapping of DataFrames
        The tables (see :func:`~salesnb.assessment.blocks.counts`); ``reps`` decides who
        is assessed.
    period : str or Period, optional
        "2025Q4", "2025-12", "2025"; default the last complete quarter.
    weights : mapping, optional
        KPI -> weight (:func:`check_weights`); default
        :data:`~salesnb.assessment.defaults.DEFAULT_WEIGHTS`.
    freq : {"M", "Q", "Y"}, optional
        Default: the period's own.
    cap : float, default=1.2
        Highest value counted, relative to the reference.
    shrink : bool, default=True
        Empirical Bayes shrinkage of every KPI towards the team (False: raw values).
    draws : int, default=400
        Posterior draws for the rank intervals (0: none).
    seed : int, default=0
        Seed of the posterior draws (the same seed gives the same rank intervals).
    blocks : pandas.DataFrame, optional
        Precomputed :func:`~salesnb.assessment.blocks.counts` at the period's length (for
        speed when scoring several periods).
    roles : sequence of str, default=("rep",)
        Roles assessed.
    as_of : str or date, optional
        The report's as-of day: the default period is the last quarter complete by then.

    Returns
    -------
    Scorecard
        The period's table and the cached points :meth:`Scorecard.rescore` re-weighs.

    Raises
    ------
    AssessmentError
        Bad weights, weights only on KPIs the data cannot measure, or no rep with data in
        the period.
    PeriodOutsideError
        A period outside the data (naming the span it covers); also a ``PeriodError``.
    PeriodError
        A period that cannot be read.
    """
    w = check_weights(DEFAULT_WEIGHTS if weights is None else weights)
    p, blocks = _resolve(data, period, freq, as_of, blocks)
    at = blocks.xs(p, level="period")
    reps = _table(data, "reps")
    info = None
    if reps is not None:
        info = reps.set_index(reps["rep_id"].astype("str"))
        keep = info.index[info["role"].isin(roles)] if "role" in info.columns else info.index
        at = at.loc[at.index.intersection(keep)]
    if at.empty:
        raise AssessmentError(f"no rep has data in {p}.")
    missing = missing_kpis(data)
    left = _left_out(missing, at, p)
    _check_measured(w, left)
    rng = np.random.default_rng(seed)
    n_draws = draws if shrink else 0
    est, samples = _estimates(at, shrink, n_draws, rng)
    table = ratios(at)
    for name in [k for k in KPIS if k in left]:
        table[name] = np.nan
        if name in est:
            est[name] = np.full(len(at), np.nan)
            samples[name] = np.full((n_draws, len(at)), np.nan)
    for name in SCORABLE:
        table[f"{name}_est"] = est[name]
    sat_ref = np.where(at["target_months"].to_numpy() > 0,
                       at["satisfaction_target_sum"].to_numpy()
                       / np.maximum(at["target_months"].to_numpy(), 1), np.nan)
    sat_ref = np.where(np.isfinite(sat_ref) & (sat_ref > 0), sat_ref,
                       _mean(est["satisfaction"]))
    refs = {n: (1.0 if n == "attainment" else sat_ref if n == "satisfaction"
                else _mean(est[n])) for n in SCORABLE}
    est_points = {n: _points(n, est[n], refs[n], cap) for n in SCORABLE}
    draw_points = ({n: _points(n, samples[n], refs[n], cap) for n in SCORABLE}
                   if n_draws else {})
    table["note"] = _notes(table, info, p, missing)
    if info is not None:
        for c in ("manager_id", "region", "status"):
            if c in info.columns:
                table[c] = info[c].reindex(table.index).to_numpy()
    for n in w:
        table[f"{n}_points"] = est_points[n]
    table.index.name = "rep_id"
    return Scorecard(_score(table, est_points, draw_points, w), p, w, draw_points, est_points,
                     table.index, left)


def _estimates(at: pd.DataFrame, shrink: bool, n_draws: int, rng: np.random.Generator
               ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every scorable KPI's estimate (shrunk or raw) and posterior draws, one per rep."""
    est, samples = {}, {}
    rev, tgt = at["revenue"].to_numpy(), at["target"].to_numpy()
    has_t = tgt > 0
    _, order_se = _se(rev, at["order_sq"].to_numpy(), at["orders"].to_numpy())
    att = np.where(has_t, rev / np.where(has_t, tgt, 1), np.nan)
    att_se = np.where(has_t, order_se * at["orders"].to_numpy() / np.where(has_t, tgt, 1),
                      np.nan)
    for name, (raw, mean, smp) in {
        "attainment": _shrink_mean(att, np.where(at["orders"].to_numpy() > 0, att_se,
                                                 np.nanmax(att_se) if np.isfinite(att_se).any()
                                                 else np.nan), n_draws, rng),
        "win_rate": _shrink_rate(at["won"].to_numpy(), (at["won"] + at["lost"]).to_numpy(),
                                 n_draws, rng),
        "lead_conversion": _shrink_rate(at["leads_converted"].to_numpy(),
                                        at["leads_closed"].to_numpy(), n_draws, rng),
        "satisfaction": _shrink_mean(*_se(at["score_sum"].to_numpy(), at["score_sq"].to_numpy(),
                                          at["surveys"].to_numpy()), n_draws, rng),
        "avg_deal_size": _shrink_mean(*_se(at["won_amount"].to_numpy(),
                                           at["won_amount_sq"].to_numpy(), at["won"].to_numpy()),
                                      n_draws, rng),
        "cycle_days": _shrink_mean(*_se(at["cycle_sum"].to_numpy(), at["cycle_sq"].to_numpy(),
                                        at["won"].to_numpy()), n_draws, rng),
        "new_customers": _shrink_count(at["new_customers"].to_numpy(), n_draws, rng),
        "activity": _shrink_count(at["visits"].to_numpy(), n_draws, rng),
    }.items():
        if name == "attainment":
            mean = np.where(has_t, mean, np.nan)
        est[name] = mean if shrink else raw
        samples[name] = smp
    return est, samples


def _notes(table: pd.DataFrame, info: pd.DataFrame | None, period: pd.Period,
           left: Mapping[str, str]) -> list[str]:
    """Per rep, what the reader should know about the score (no target, new, few deals).

    What holds for every rep of every period (``left``: a KPI the data has no table for) is
    said once, in the report's note, not per rep.
    """
    notes = []
    for rep, row in table.iterrows():
        parts = []
        if "attainment" not in left and not row["target"] > 0:
            parts.append("no target: attainment not scored")
        if info is not None and "hire_date" in info.columns and rep in info.index:
            hired = info.at[rep, "hire_date"]
            if pd.notna(hired) and pd.Timestamp(hired) > period.start_time:
                parts.append(f"joined {pd.Timestamp(hired):%Y-%m-%d}: partial period")
        if "win_rate" not in left and row["deals"] < 5:
            parts.append(f"{int(row['deals'])} closed deal(s): rates shrunk to the team")
        notes.append("; ".join(parts))
    return notes
