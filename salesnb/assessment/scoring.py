"""Rep assessment: KPIs per period, a fair scorecard, bonus plans, promotion and training.

The policy sets KPIs from the sales targets, assesses every rep each period, pays bonuses by
performance and uses the results for promotion and training, with roll-ups for managers and
the director. Everything here is built from *additive* counts per rep and period (revenue,
target, deals won and lost, survey points ...), so a roll-up is the sum of its parts and every
ratio is recomputed from the sums, never averaged.

Fair ranking in one paragraph
-----------------------------
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
>>> sn.assessment.bonus(card.table, {"tiers": [{"from": 0.0, "rate": 0.0},
...                                             {"from": 0.8, "rate": 0.02},
...                                             {"from": 1.0, "rate": 0.04}]})  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salesnb.assessment.defaults import DEFAULT_PLAN, DEFAULT_WEIGHTS, KPIS, SCORABLE, TRAINING
from salesnb.errors import SalesnbError

__all__ = [
    "AssessmentError", "KPIS", "SCORABLE", "DEFAULT_WEIGHTS", "DEFAULT_PLAN", "TRAINING",
    "period_of", "latest_period", "counts", "ratios", "kpis", "rollup", "org_view",
    "check_weights", "Scorecard", "scorecard", "check_plan", "load_plan", "bonus",
    "bonus_summary", "history", "promotion_candidates", "training_needs", "export_payouts",
]


class AssessmentError(SalesnbError):
    """Input an assessment cannot use (bad weights or plan, a period with no data)."""


_ADDITIVE = ("revenue", "target", "volume", "orders", "order_sq", "new_customers",
             "leads_converted", "leads_closed", "won", "lost", "won_amount", "won_amount_sq",
             "cycle_sum", "cycle_sq", "surveys", "score_sum", "score_sq", "visits",
             "satisfaction_target_sum", "target_months")


# --------------------------------------------------------------------------- periods


def period_of(period: str | pd.Period, freq: str | None = None) -> pd.Period:
    """Parse "2025-12" (a month), "2025Q4" (a quarter) or "2025" (a year).

    Raises
    ------
    AssessmentError
        With the accepted forms.
    """
    if isinstance(period, pd.Period):
        return period
    text = str(period).strip()
    guess = "Q" if "Q" in text.upper() else "M" if "-" in text else "Y"
    try:
        return pd.Period(text, freq=freq or guess)
    except (ValueError, TypeError) as exc:
        raise AssessmentError(f"period={period!r}: write a month (2025-12), a quarter (2025Q4) "
                              f"or a year (2025).") from exc


def latest_period(data: Any, freq: str = "Q", as_of: Any = None) -> pd.Period:
    """The last complete period of the orders (before ``as_of`` when given)."""
    last = pd.Timestamp(as_of) - pd.Timedelta(days=1) if as_of else (
        pd.to_datetime(_table(data, "orders")["order_date"]).max())
    p = last.to_period(freq)
    return p if (p + 1).start_time - pd.Timedelta(days=1) <= last else p - 1


def _table(data: Any, name: str) -> pd.DataFrame | None:
    if isinstance(data, Mapping):
        return data.get(name)
    try:
        return data[name] if name in data else None
    except TypeError:
        return getattr(data, name, None)


# --------------------------------------------------------------------------- counts


def counts(data: Any, *, freq: str = "Q") -> pd.DataFrame:
    """Additive building blocks of every KPI, per rep and period.

    Parameters
    ----------
    data : SalesData or mapping of DataFrames
        Needs ``orders``; ``targets``, ``leads``, ``opportunities`` and ``surveys`` are used
        when present (the KPIs they feed are missing otherwise).
    freq : {"M", "Q", "Y"}, default="Q"
        Period length.

    Returns
    -------
    pandas.DataFrame
        Indexed by (rep_id, period): revenue, target, volume, orders, order_sq (sum of
        squared order revenue), new_customers, leads_converted, leads_closed, won, lost,
        won_amount, won_amount_sq, cycle_sum, cycle_sq, surveys, score_sum, score_sq,
        visits, satisfaction_target_sum and target_months. Zero where nothing happened.
    """
    if freq not in ("M", "Q", "Y"):
        raise AssessmentError(f"freq={freq!r}: use 'M' (month), 'Q' (quarter) or 'Y' (year).")
    orders = _table(data, "orders")
    if orders is None or orders.empty:
        raise AssessmentError("counts: the data has no orders table (or it is empty).")
    parts: list[pd.DataFrame] = []

    def per(frame: pd.DataFrame, rep: str, date: str) -> pd.DataFrame:
        frame = frame[frame[rep].notna() & frame[date].notna()]
        return frame.assign(rep_id=frame[rep].astype("str"),
                            period=pd.to_datetime(frame[date]).dt.to_period(freq))

    o = per(orders, "rep_id", "order_date")
    by_order = o.groupby(["rep_id", "period", "order_id"], observed=True)["revenue"].sum()
    g = by_order.groupby(level=["rep_id", "period"])
    parts.append(pd.DataFrame({"revenue": g.sum(), "orders": g.size(),
                               "order_sq": (by_order ** 2).groupby(
                                   level=["rep_id", "period"]).sum()}))
    parts.append(o.groupby(["rep_id", "period"])["quantity"].sum().rename("volume").to_frame())
    first = orders.sort_values(["order_date", "order_id"]).drop_duplicates("customer_id")
    first = per(first, "rep_id", "order_date")
    parts.append(first.groupby(["rep_id", "period"]).size().rename("new_customers").to_frame())
    targets = _table(data, "targets")
    if targets is not None and not targets.empty:
        t = per(targets, "rep_id", "period")
        tg = t.groupby(["rep_id", "period"])
        block = pd.DataFrame({"target": tg["revenue_target"].sum(), "target_months": tg.size()})
        if "satisfaction_target" in t.columns:
            block["satisfaction_target_sum"] = tg["satisfaction_target"].sum()
        parts.append(block)
    leads = _table(data, "leads")
    if leads is not None and {"assigned_rep_id", "status", "outcome_date"} <= set(leads.columns):
        closed = per(leads[leads["status"].isin(["converted", "lost"])], "assigned_rep_id",
                     "outcome_date")
        lg = closed.assign(conv=(closed["status"] == "converted").astype(float)).groupby(
            ["rep_id", "period"])["conv"]
        parts.append(pd.DataFrame({"leads_converted": lg.sum(), "leads_closed": lg.size()}))
    opps = _table(data, "opportunities")
    if opps is not None and not opps.empty:
        done = per(opps[opps["stage"].isin(["won", "lost"])], "rep_id", "closed_date")
        won = done[done["stage"] == "won"]
        cycle = (pd.to_datetime(won["closed_date"]) - pd.to_datetime(won["created_date"])
                 ).dt.days.astype(float)
        amount = won["amount"].astype(float)
        wg = won.assign(cycle=cycle, cycle2=cycle ** 2, amount2=amount ** 2).groupby(
            ["rep_id", "period"])
        parts.append(pd.DataFrame({
            "won": wg.size(), "won_amount": wg["amount"].sum(),
            "won_amount_sq": wg["amount2"].sum(), "cycle_sum": wg["cycle"].sum(),
            "cycle_sq": wg["cycle2"].sum()}))
        parts.append(done[done["stage"] == "lost"].groupby(["rep_id", "period"]).size()
                     .rename("lost").to_frame())
        if "visit_date" in opps.columns:
            parts.append(per(opps, "rep_id", "visit_date").groupby(["rep_id", "period"])
                         .size().rename("visits").to_frame())
    surveys = _table(data, "surveys")
    if surveys is not None and "rep_id" in surveys.columns and not surveys.empty:
        s = per(surveys, "rep_id", "survey_date").assign(
            sq=lambda f: f["score"].astype(float) ** 2)
        sg = s.groupby(["rep_id", "period"])
        parts.append(pd.DataFrame({"surveys": sg.size(), "score_sum": sg["score"].sum(),
                                   "score_sq": sg["sq"].sum()}))
    out = pd.concat(parts, axis=1).astype(float)
    out = out.reindex(columns=list(_ADDITIVE)).fillna(0.0)
    out.index = out.index.set_names(["rep_id", "period"])
    return out.sort_index()


def ratios(blocks: pd.DataFrame) -> pd.DataFrame:
    """Every KPI from additive counts (one row per row of ``blocks``; NaN where undefined).

    Parameters
    ----------
    blocks : pandas.DataFrame
        From :func:`counts` or :func:`rollup` (any index).

    Returns
    -------
    pandas.DataFrame
        The :data:`KPIS` columns plus the sample sizes ``orders``, ``deals`` (closed
        opportunities), ``leads_closed``, ``surveys`` and ``won``.
    """
    b = blocks

    def div(a: pd.Series, n: pd.Series) -> pd.Series:
        return a / n.where(n > 0)

    return pd.DataFrame({
        "revenue": b["revenue"], "target": b["target"].where(b["target_months"] > 0),
        "attainment": div(b["revenue"], b["target"]),
        "volume": b["volume"], "new_customers": b["new_customers"],
        "lead_conversion": div(b["leads_converted"], b["leads_closed"]),
        "win_rate": div(b["won"], b["won"] + b["lost"]),
        "avg_deal_size": div(b["won_amount"], b["won"]),
        "cycle_days": div(b["cycle_sum"], b["won"]),
        "satisfaction": div(b["score_sum"], b["surveys"]),
        "activity": b["visits"],
        "orders": b["orders"], "deals": b["won"] + b["lost"], "won": b["won"],
        "leads_closed": b["leads_closed"], "surveys": b["surveys"],
    }, index=b.index)


def kpis(data: Any, *, freq: str = "Q") -> pd.DataFrame:
    """KPIs per rep and period (month, quarter or year): :func:`ratios` of :func:`counts`."""
    return ratios(counts(data, freq=freq))


def _parents(reps: pd.DataFrame) -> dict[str, str | None]:
    mgr = reps.set_index(reps["rep_id"].astype("str"))["manager_id"]
    return {k: (None if pd.isna(v) or v == "" else str(v)) for k, v in mgr.items()}


def rollup(blocks: pd.DataFrame, reps: pd.DataFrame, *, level: str = "manager") -> pd.DataFrame:
    """Sum a team's counts up the org tree and recompute its KPIs.

    Parameters
    ----------
    blocks : pandas.DataFrame
        From :func:`counts`, indexed by (rep_id, period).
    reps : pandas.DataFrame
        The org: rep_id, role, manager_id.
    level : {"manager", "director"}
        "manager": each manager's team (the manager and everyone reporting to them, at any
        depth); "director": the whole organisation under each director.

    Returns
    -------
    pandas.DataFrame
        Indexed by (the manager's or director's rep_id, period): the summed counts followed
        by the KPIs, and ``people`` (reps with a row in the period).
    """
    if level not in ("manager", "director"):
        raise AssessmentError(f"level={level!r}: use 'manager' or 'director'.")
    parent = _parents(reps)
    roles = reps.set_index(reps["rep_id"].astype("str"))["role"].to_dict()

    def head(rep: str) -> str | None:
        seen, node = set(), rep
        while node is not None and node not in seen:
            seen.add(node)
            if roles.get(node) == level:
                return node
            node = parent.get(node)
        return None

    heads = {r: head(r) for r in blocks.index.get_level_values("rep_id").unique()}
    lead = blocks.index.get_level_values("rep_id").map(heads)
    keep = lead.notna()
    part = blocks[keep]
    key = [np.asarray(lead[keep]), part.index.get_level_values("period")]
    summed = part.groupby(key).sum()
    summed.index = summed.index.set_names([f"{level}_id", "period"])
    people = part.groupby(key).size()
    kpi = ratios(summed)
    out = pd.concat([summed, kpi.drop(columns=kpi.columns.intersection(summed.columns))],
                    axis=1)
    out["people"] = people.to_numpy()
    return out


def org_view(blocks: pd.DataFrame, reps: pd.DataFrame, period: str | pd.Period) -> pd.DataFrame:
    """One period's KPIs for the director, each manager and each rep, in org order.

    Returns
    -------
    pandas.DataFrame
        Rows: the director's total, then each manager's team followed by its reps; columns
        ``level``, ``who`` (rep_id), ``region`` and the main KPIs.
    """
    p = period_of(period, _freq(blocks))
    cols = ["revenue", "target", "attainment", "new_customers", "win_rate",
            "lead_conversion", "satisfaction", "activity"]
    at = blocks.xs(p, level="period") if p in blocks.index.get_level_values("period") else (
        blocks.iloc[:0].droplevel("period"))
    if at.empty:
        raise AssessmentError(f"org_view: no data in {p}.")
    region = reps.set_index(reps["rep_id"].astype("str"))["region"]
    rows = []
    for lvl in ("director", "manager"):
        r = rollup(blocks.loc[blocks.index.get_level_values("period") == p], reps, level=lvl)
        for (who, _), rec in r.iterrows():
            rows.append({"level": lvl, "who": who, "region": region.get(who), **rec[cols]})
            if lvl == "manager":
                team = [x for x, m in _parents(reps).items() if m == who and x in at.index]
                for x, rr in ratios(at.loc[team]).iterrows():
                    rows.append({"level": "rep", "who": x, "region": region.get(x),
                                 **rr[cols]})
    return pd.DataFrame(rows)


def _freq(blocks: pd.DataFrame) -> str:
    periods = blocks.index.get_level_values("period")
    return periods[0].freqstr[0] if len(periods) else "Q"


# --------------------------------------------------------------------------- scorecard


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Validate KPI weights: known KPIs, non-negative, summing to 1 (within 1e-6).

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


def _shrink_rate(x: np.ndarray, n: np.ndarray, draws: int, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Beta-binomial empirical Bayes: (raw, posterior mean, draws)."""
    has = n > 0
    raw = np.where(has, x / np.where(has, n, 1), np.nan)
    pooled = x[has].sum() / n[has].sum() if n[has].sum() > 0 else 0.5
    pooled = min(max(pooled, 1e-3), 1 - 1e-3)
    if has.sum() > 2:
        noise = np.mean(pooled * (1 - pooled) / n[has])
        between = max(np.var(raw[has]) - noise, 1e-4)
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
    """

    table: pd.DataFrame
    period: pd.Period
    weights: dict[str, float]
    points: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    estimate_points: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    reps: pd.Index = field(repr=False, default_factory=lambda: pd.Index([]))

    def rescore(self, weights: Mapping[str, float]) -> Scorecard:
        """The same scorecard under new weights (no KPI is recomputed)."""
        w = check_weights(weights)
        base = self.table.drop(columns=_SCORE_COLS, errors="ignore").reindex(self.reps)
        base = base.drop(columns=[c for c in base.columns if c.endswith("_points")])
        for n in w:
            base[f"{n}_points"] = self.estimate_points[n]
        table = _score(base, self.estimate_points, self.points, w)
        return Scorecard(table, self.period, w, self.points, self.estimate_points, self.reps)


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


def scorecard(data: Any, *, period: str | pd.Period | None = None,
              weights: Mapping[str, float] | None = None, freq: str | None = None,
              cap: float = 1.2, shrink: bool = True, draws: int = 400, seed: int = 0,
              blocks: pd.DataFrame | None = None, roles: Sequence[str] = ("rep",)
              ) -> Scorecard:
    """Assess every rep for one period: KPIs, shrunk estimates, points, score and rank.

    Normalisation: each KPI becomes 0-100 points as its value relative to a reference,
    capped at ``cap`` times the reference (so 120 % attainment is the most a rep can score
    on it, with the default cap). References: the target for attainment, the satisfaction
    target for satisfaction (the team mean without one), the team mean for the rest (for
    cycle days, the team mean over the rep's value: shorter is better).

    Parameters
    ----------
    data : SalesData or mapping of DataFrames
        The tables (see :func:`counts`); ``reps`` decides who is assessed.
    period : str or Period, optional
        "2025Q4", "2025-12", "2025"; default the last complete quarter.
    weights : mapping, optional
        KPI -> weight (:func:`check_weights`); default :data:`DEFAULT_WEIGHTS`.
    freq : {"M", "Q", "Y"}, optional
        Default: the period's own.
    cap : float, default=1.2
        Highest value counted, relative to the reference.
    shrink : bool, default=True
        Empirical Bayes shrinkage of every KPI towards the team (False: raw values).
    draws : int, default=400
        Posterior draws for the rank intervals (0: none).
    seed : int, default=0
    blocks : pandas.DataFrame, optional
        Precomputed :func:`counts` (for speed when scoring several periods).
    roles : sequence of str, default=("rep",)
        Roles assessed.

    Returns
    -------
    Scorecard

    Raises
    ------
    AssessmentError
        Bad weights, an unparseable period, or no data in the period.
    """
    w = check_weights(DEFAULT_WEIGHTS if weights is None else weights)
    p = period_of(period, freq) if period is not None else latest_period(data, freq or "Q")
    blocks = counts(data, freq=p.freqstr[0]) if blocks is None else blocks
    periods = blocks.index.get_level_values("period")
    if p not in set(periods):
        span = f"{periods.min()} to {periods.max()}" if len(periods) else "nothing"
        raise AssessmentError(f"no data in {p}: the data covers {span}; choose a period inside.")
    at = blocks.xs(p, level="period")
    reps = _table(data, "reps")
    info = None
    if reps is not None:
        info = reps.set_index(reps["rep_id"].astype("str"))
        keep = info.index[info["role"].isin(roles)] if "role" in info.columns else info.index
        at = at.loc[at.index.intersection(keep)]
    if at.empty:
        raise AssessmentError(f"no rep has data in {p}.")
    k = ratios(at)
    rng = np.random.default_rng(seed)
    n_draws = draws if shrink else 0
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
    table = k.copy()
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
    notes = []
    for rep, row in table.iterrows():
        parts = []
        if not row["target"] > 0:
            parts.append("no target: attainment not scored")
        if info is not None and "hire_date" in info.columns and rep in info.index:
            hired = info.at[rep, "hire_date"]
            if pd.notna(hired) and pd.Timestamp(hired) > p.start_time:
                parts.append(f"joined {pd.Timestamp(hired):%Y-%m-%d}: partial period")
        if row["deals"] < 5:
            parts.append(f"{int(row['deals'])} closed deal(s): rates shrunk to the team")
        notes.append("; ".join(parts))
    table["note"] = notes
    if info is not None:
        for c in ("manager_id", "region", "status"):
            if c in info.columns:
                table[c] = info[c].reindex(table.index).to_numpy()
    for n in w:
        table[f"{n}_points"] = est_points[n]
    table.index.name = "rep_id"
    return Scorecard(_score(table, est_points, draw_points, w), p, w, draw_points, est_points,
                     table.index)


# --------------------------------------------------------------------------- bonus


def check_plan(plan: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a bonus plan; return it with tiers sorted and defaults filled.

    A plan has ``tiers`` (a list of ``{from, rate}``, optionally ``to``; the first starts at 0,
    each ``to`` must be the next ``from``), optional ``mode`` ("highest": the rate of the
    highest tier reached applies to all revenue; "marginal": each tier's rate applies to the
    revenue within its band), ``cap`` (per-rep maximum), ``min_satisfaction`` (below it, no
    bonus), ``team`` (``{from, rate}``: a manager's bonus on the team's revenue when the team's
    attainment reaches ``from``) and ``budget``.

    Raises
    ------
    AssessmentError
        Naming the overlapping, gapped or invalid tier and how to fix it.
    """
    if not isinstance(plan, Mapping) or not plan.get("tiers"):
        raise AssessmentError("a bonus plan needs 'tiers': a list of {from, rate}, the first "
                              "from 0.0.")
    known = {"tiers", "mode", "cap", "min_satisfaction", "team", "budget", "name"}
    extra = sorted(set(plan) - known)
    if extra:
        raise AssessmentError(f"unknown plan key(s): {', '.join(extra)}; use {sorted(known)}.")
    tiers = []
    for i, t in enumerate(plan["tiers"]):
        try:
            start, rate = float(t["from"]), float(t["rate"])
        except (KeyError, TypeError, ValueError) as exc:
            raise AssessmentError(f"tier {i + 1} ({t!r}) needs numeric 'from' and 'rate'."
                                  ) from exc
        if rate < 0 or start < 0:
            raise AssessmentError(f"tier {i + 1}: 'from' and 'rate' cannot be negative.")
        tiers.append({"from": start, "rate": rate, "to": t.get("to")})
    tiers.sort(key=lambda t: t["from"])
    if tiers[0]["from"] != 0:
        raise AssessmentError(f"the tiers start at {tiers[0]['from']:.0%}: add a first tier "
                              "from 0.0 (rate 0 for no bonus) so every attainment is covered.")
    for i, (a, b) in enumerate(pairwise(tiers)):
        if a["from"] == b["from"]:
            raise AssessmentError(f"tiers {i + 1} and {i + 2} both start at {a['from']:.0%}: "
                                  "overlapping tiers; keep one.")
        if a["to"] is not None and float(a["to"]) != b["from"]:
            kind = "a gap" if float(a["to"]) < b["from"] else "an overlap"
            raise AssessmentError(f"tier {i + 1} ends at {float(a['to']):.0%} but the next "
                                  f"starts at {b['from']:.0%}: {kind}; make 'to' equal the "
                                  "next tier's 'from'.")
    mode = plan.get("mode", "highest")
    if mode not in ("highest", "marginal"):
        raise AssessmentError(f"mode={mode!r}: use 'highest' or 'marginal'.")
    out = {**plan, "tiers": tiers, "mode": mode}
    for key in ("cap", "min_satisfaction", "budget"):
        if out.get(key) is not None and float(out[key]) < 0:
            raise AssessmentError(f"{key} cannot be negative.")
    team = out.get("team")
    if team is not None and not ({"from", "rate"} <= set(team)):
        raise AssessmentError("team bonus needs {from, rate}.")
    return out


def load_plan(path: str | Path) -> dict[str, Any]:
    """Read and validate a bonus plan from YAML."""
    import yaml

    with open(path, encoding="utf-8") as fh:
        plan = yaml.safe_load(fh)
    try:
        return check_plan(plan)
    except AssessmentError as exc:
        raise AssessmentError(f"{path}: {exc}") from exc


_EPS = 1e-9  # attainment within this of a tier's start counts as reaching it (float noise)


def bonus(scorecard: pd.DataFrame, plan: Mapping[str, Any], *,
          teams: pd.DataFrame | None = None) -> pd.DataFrame:
    """Pay every rep by the plan, with an audit line saying which rule produced the amount.

    Parameters
    ----------
    scorecard : pandas.DataFrame
        One row per rep (index or column ``rep_id``) with ``revenue``, ``attainment`` (1.0 =
        on target) and ``satisfaction``; ``target`` is used for marginal bands when present.
    plan : mapping
        See :func:`check_plan`.
    teams : pandas.DataFrame, optional
        Manager teams (:func:`rollup`, one period) with ``revenue`` and ``attainment``: each
        manager gets the plan's team bonus.

    Returns
    -------
    pandas.DataFrame
        One row per rep (then manager): rep_id, role, revenue, attainment, satisfaction,
        tier (the start of the tier reached), rate, bonus, capped, rule.
    """
    plan = check_plan(plan)
    card = scorecard.reset_index() if "rep_id" not in scorecard.columns else scorecard
    starts = np.array([t["from"] for t in plan["tiers"]])
    rates = np.array([t["rate"] for t in plan["tiers"]])
    cap = plan.get("cap")
    gate = plan.get("min_satisfaction")
    rows = []
    for rec in card.itertuples(index=False):
        rev = float(getattr(rec, "revenue", 0.0) or 0.0)
        att = getattr(rec, "attainment", np.nan)
        sat = getattr(rec, "satisfaction", np.nan)
        base = {"rep_id": rec.rep_id, "role": "rep", "revenue": rev, "attainment": att,
                "satisfaction": sat}
        if att is None or not np.isfinite(att):
            rows.append({**base, "tier": np.nan, "rate": 0.0, "bonus": 0.0, "capped": False,
                         "rule": "no target in the period: not eligible"})
            continue
        i = int(np.searchsorted(starts, att + _EPS, side="right") - 1)
        if plan["mode"] == "highest":
            amount = rev * rates[i]
            rule = (f"attainment {att:.2%} reaches the {starts[i]:.0%} tier: "
                    f"{rates[i]:.2%} of revenue {rev:,.0f}")
        else:
            target = float(getattr(rec, "target", np.nan))
            if not np.isfinite(target) or target <= 0:
                target = rev / att if att > 0 else 0.0
            ends = np.r_[starts[1:], np.inf]
            band = np.clip(np.minimum(att, ends) - starts, 0, None) * target
            amount = float((band * rates).sum())
            used = [f"{r:.2%} on {b:,.0f}" for r, b in zip(rates, band, strict=True) if b > 0]
            rule = f"attainment {att:.2%}, marginal bands: " + " + ".join(used)
        capped = cap is not None and amount > float(cap)
        if capped:
            amount = float(cap)
            rule += f"; capped at {float(cap):,.0f}"
        if gate is not None and not (np.isfinite(sat) and sat >= float(gate)):
            shown = f"{sat:.2f}" if np.isfinite(sat) else "no survey"
            rule = (f"satisfaction {shown} below the {float(gate):.2f} gate: no bonus "
                    f"(would have been {amount:,.0f})")
            amount, capped = 0.0, False
        rows.append({**base, "tier": starts[i], "rate": rates[i], "bonus": amount,
                     "capped": capped, "rule": rule})
    team = plan.get("team")
    if teams is not None and team is not None:
        t = teams.reset_index()
        who = "manager_id" if "manager_id" in t.columns else t.columns[0]
        for rec in t.itertuples(index=False):
            mgr, rev, att = getattr(rec, who), float(rec.revenue), rec.attainment
            if np.isfinite(att) and att + _EPS >= float(team["from"]):
                amount = rev * float(team["rate"])
                rule = (f"team attainment {att:.2%} reaches {float(team['from']):.0%}: "
                        f"{float(team['rate']):.2%} of team revenue {rev:,.0f}")
            else:
                amount = 0.0
                rule = (f"team attainment {att:.2%} below {float(team['from']):.0%}: no team "
                        "bonus" if np.isfinite(att) else "team has no target: no team bonus")
            capped = cap is not None and amount > float(cap)
            if capped:
                amount = float(cap)
                rule += f"; capped at {float(cap):,.0f}"
            rows.append({"rep_id": mgr, "role": "manager", "revenue": rev, "attainment": att,
                         "satisfaction": np.nan, "tier": float(team["from"]),
                         "rate": float(team["rate"]), "bonus": amount, "capped": capped,
                         "rule": rule})
    return pd.DataFrame(rows)


def bonus_summary(payouts: pd.DataFrame, plan: Mapping[str, Any]) -> str:
    """Markdown: total payout against the budget, by role, and how many were capped or gated."""
    total = float(payouts["bonus"].sum())
    by_role = payouts.groupby("role")["bonus"].sum()
    parts = [f"**Total bonus {total:,.0f}**"]
    budget = plan.get("budget")
    if budget:
        share = total / float(budget)
        verdict = "within" if total <= float(budget) else "**over**"
        parts.append(f"{verdict} the budget of {float(budget):,.0f} ({share:.0%} used)")
    parts.append(", ".join(f"{r}s {v:,.0f}" for r, v in by_role.items()))
    gated = int(payouts["rule"].str.contains("gate").sum())
    capped = int(payouts["capped"].sum())
    none = int(((payouts["role"] == "rep") & (payouts["bonus"] == 0)).sum())
    return "; ".join(parts) + (f". {capped} capped, {gated} stopped by the satisfaction gate, "
                               f"{none} rep(s) without a bonus.")


def export_payouts(payouts: pd.DataFrame, path: str | Path) -> Path:
    """Write the payouts (with their audit lines) to an Excel sheet."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        payouts.to_excel(xl, sheet_name="payouts", index=False)
    return path


# --------------------------------------------------------------------------- decisions


def history(data: Any, periods: Sequence[str | pd.Period], *,
            weights: Mapping[str, float] | None = None, freq: str = "Q") -> pd.DataFrame:
    """Scores and ranks of every rep over several periods (no rank draws, for speed).

    Returns
    -------
    pandas.DataFrame
        Long: rep_id, period, score, rank, attainment and every KPI's shrunk estimate.
    """
    blocks = counts(data, freq=freq)
    frames = []
    for p in periods:
        card = scorecard(data, period=p, weights=weights, draws=0, blocks=blocks)
        t = card.table.reset_index()
        t.insert(1, "period", str(card.period))
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


def promotion_candidates(hist: pd.DataFrame, *, top: float = 0.25, min_periods: int = 3,
                         min_tenure_years: float = 1.0, reps: pd.DataFrame | None = None,
                         as_of: Any = None) -> pd.DataFrame:
    """Reps in the top ``top`` share in at least ``min_periods`` of the periods in ``hist``.

    Returns
    -------
    pandas.DataFrame
        rep_id, periods in the top share (of how many), mean score, mean attainment, best and
        worst rank, and the reason; active reps with enough tenure only (when ``reps`` given).
    """
    h = hist.dropna(subset=["score"])
    size = h.groupby("period")["rank"].transform("count")
    h = h.assign(in_top=h["rank"] <= np.ceil(size * top))
    g = h.groupby("rep_id")
    out = pd.DataFrame({"periods_top": g["in_top"].sum().astype(int), "periods": g.size(),
                        "mean_score": g["score"].mean(), "mean_attainment": g["attainment"]
                        .mean(), "best_rank": g["rank"].min(), "worst_rank": g["rank"].max()})
    out = out[out["periods_top"] >= min_periods]
    if reps is not None and not out.empty:
        info = reps.set_index(reps["rep_id"].astype("str"))
        day = pd.Timestamp(as_of) if as_of else pd.Timestamp.today()
        tenure = (day - pd.to_datetime(info["hire_date"])).dt.days / 365.25
        ok = (info.get("status", pd.Series("active", index=info.index)).fillna("active")
              == "active") & (tenure >= min_tenure_years)
        out = out[ok.reindex(out.index, fill_value=False)]
    out["reason"] = [f"top {top:.0%} in {r.periods_top} of {r.periods} periods, mean score "
                     f"{r.mean_score:.0f}, mean attainment {r.mean_attainment:.0%}"
                     for r in out.itertuples()]
    return out.sort_values(["periods_top", "mean_score"], ascending=False).reset_index()


def training_needs(card: Scorecard, *, below: float = 75.0) -> pd.DataFrame:
    """Each rep's weakest KPI under ``below`` points, and the training it calls for.

    Returns
    -------
    pandas.DataFrame
        rep_id, weakest KPI, its points, the rep's value and the team's, the training and
        the reason; reps whose every KPI is at or above ``below`` are not listed.
    """
    t = card.table
    rows = []
    for rep, rec in t.iterrows():
        pts = {k: rec.get(f"{k}_points", np.nan) for k in TRAINING if f"{k}_points" in t}
        pts = {k: v for k, v in pts.items() if pd.notna(v)}
        if not pts:
            continue
        kpi = min(pts, key=pts.get)
        if pts[kpi] >= below:
            continue
        team = float(t[f"{kpi}_est"].mean())
        value = float(rec[f"{kpi}_est"])
        rows.append({"rep_id": rep, "weakest_kpi": kpi, "points": pts[kpi], "value": value,
                     "team": team, "training": TRAINING[kpi],
                     "reason": f"{kpi.replace('_', ' ')} {_fmt(kpi, value)} against the "
                               f"team's {_fmt(kpi, team)} ({pts[kpi]:.0f} points)"})
    return pd.DataFrame(rows, columns=["rep_id", "weakest_kpi", "points", "value", "team",
                                       "training", "reason"]).sort_values("points")


def _fmt(kpi: str, v: float) -> str:
    if kpi in ("attainment", "win_rate", "lead_conversion"):
        return f"{v:.0%}"
    if kpi in ("satisfaction",):
        return f"{v:.2f}"
    return f"{v:,.1f}"
