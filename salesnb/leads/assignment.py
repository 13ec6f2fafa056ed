"""Lead assignment: give open leads to sales reps as an optimisation (a dry run).

:func:`assign` solves a transportation problem (leads x reps):

1. **Which leads** (hard priority): every eligible rep may take any lead, so when capacity is
   short the set of leads that maximises the assigned value is simply the highest-value ones.
   They are kept; leads tied at the cut-off are left to the optimiser (the best-matched win).
2. **Who gets them** (the optimisation): maximise
   ``sum p_l * (1 + region_weight * same_region + expertise_weight * share) * x_lr
   - fairness * sum_r |E_r - s_r * T|``
   where ``p_l`` is the lead's value (missing or below 0.1 % of the largest value: that floor),
   ``share`` the rep's share of accounts in the lead's industry, ``E_r`` the value given to rep
   ``r``, ``s_r`` its share of the total capacity and ``T`` the total value assigned.
   Subject to: each selected lead exactly once, no rep over capacity, only active reps with role
   ``rep``.

It is solved exactly without fairness (a min-cost flow, or one MILP for tiny problems) and to
a proven bound with fairness (a Lagrangian relaxation, reported as "near-optimal (within x % of
the bound)"); :mod:`salesnb.leads.solver` describes the method.

Territory: a lead goes out of its region only when that raises the objective, which with
``region_weight > expertise_weight + 2 * fairness`` (true for the defaults) happens only when the
region's reps are full or absent.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from salesnb.core.columns import require_columns
from salesnb.core.fmt import pct
from salesnb.leads.defaults import DEFAULT_FAIRNESS
from salesnb.leads.errors import AssignmentError
from salesnb.leads.plots import plot_loads
from salesnb.leads.solver import _Problem, _solve

__all__ = ["Assignment", "AssignmentError", "assign", "expertise_from_customers", "plot_loads"]

ASSIGNMENT_COLUMNS = ["lead_id", "rep_id", "region", "rep_region", "in_territory", "expertise",
                      "value", "reason"]
LOAD_COLUMNS = ["rep_id", "region", "assigned", "capacity", "utilisation", "expected_value",
                "value_share", "capacity_share"]
UNASSIGNED_COLUMNS = ["lead_id", "value", "reason"]


@dataclass
class Assignment:
    """The result of :func:`assign`: a proposal, nothing is written back.

    Attributes
    ----------
    assignments : pandas.DataFrame
        One row per assigned lead: lead_id, rep_id, region, rep_region, in_territory,
        expertise (the rep's account share in the lead's industry, NaN without an expertise
        table), value, reason (a sentence). Highest value first.
    loads : pandas.DataFrame
        One row per eligible rep: rep_id, region, assigned, capacity, utilisation,
        expected_value, value_share (of the value assigned), capacity_share.
    unassigned : pandas.DataFrame
        Open leads left without a rep: lead_id, value, reason.
    fairness : dict of str to float
        gini (of assigned value per unit of capacity across reps with capacity), max_min_ratio,
        deviation (sum of ``|E_r - s_r T|`` over ``T``, 0 is perfectly proportional), penalty.
    objective : float
        The objective value (in value units) of the proposal.
    status : str
        ``"optimal"``, ``"near-optimal (within ... of the bound)"`` (fairness > 0, large
        problems), ``"no open leads"`` or ``"no eligible rep"``.
    bound : float
        Proven upper bound of the objective (equal to it when optimal).
    notes : list of str
        Fallbacks that were applied.
    seconds : float
        Solver wall time.
    """

    assignments: pd.DataFrame
    loads: pd.DataFrame
    unassigned: pd.DataFrame
    fairness: dict[str, float]
    objective: float
    status: str
    bound: float = float("nan")
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def gap(self) -> float:
        """Relative gap between the objective and the proven bound (0 when optimal)."""
        if not np.isfinite(self.bound) or self.bound == 0:
            return 0.0
        return max(0.0, (self.bound - self.objective) / abs(self.bound))

    def summary(self) -> dict[str, Any]:
        """The proposal in a few numbers, for a sentence or a dashboard tile.

        Returns
        -------
        dict
            ``assigned`` (leads given a rep), ``reps`` (reps receiving at least one lead),
            ``in_territory`` (share of the assigned leads in their rep's region, 0 when none),
            ``unassigned`` (open leads left without a rep), ``gini`` (of value per unit of
            capacity, NaN when unknown) and ``status``.
        """
        a = self.assignments
        return {
            "assigned": len(a),
            "reps": int((self.loads["assigned"] > 0).sum()),
            "in_territory": float(a["in_territory"].mean()) if len(a) else 0.0,
            "unassigned": len(self.unassigned),
            "gini": float(self.fairness.get("gini", float("nan"))),
            "status": self.status,
        }


def _norm(s: pd.Series) -> pd.Series:
    return s.astype("str").str.strip().str.lower()


def expertise_from_customers(customers: pd.DataFrame) -> pd.DataFrame:
    """Each rep's share of accounts per industry, from who owns which customer.

    Parameters
    ----------
    customers : pandas.DataFrame
        Needs ``owner_rep_id`` and ``industry``; rows missing either are ignored.

    Returns
    -------
    pandas.DataFrame
        Indexed by rep_id, one column per industry, values in [0, 1] summing to 1 per rep.

    Raises
    ------
    ColumnError
        When a required column is missing.
    """
    require_columns(customers, ["owner_rep_id", "industry"], table="customers",
                    fix="load the customers with their owner rep (owner_rep_id) and industry")
    known = customers.dropna(subset=["owner_rep_id", "industry"])
    if known.empty:
        return pd.DataFrame(index=pd.Index([], name="rep_id", dtype="str"))
    table = pd.crosstab(known["owner_rep_id"].astype("str"), known["industry"].astype("str"),
                        normalize="index")
    table.index.name = "rep_id"
    table.columns.name = "industry"
    return table.astype(float)


def _capacity(capacity: int | Mapping[str, int] | pd.Series, rep_ids: pd.Index) -> np.ndarray:
    if isinstance(capacity, bool):
        raise AssignmentError("capacity must be an int, a mapping rep_id -> int or a Series.")
    if isinstance(capacity, (int, np.integer)):
        cap = pd.Series(int(capacity), index=rep_ids, dtype=float)
    elif isinstance(capacity, (Mapping, pd.Series)):
        series = pd.Series(capacity, dtype=object) if isinstance(capacity, Mapping) else capacity
        series = pd.to_numeric(series, errors="coerce")
        series.index = series.index.astype("str")
        bad = series[series.isna()]
        if len(bad):
            raise AssignmentError(f"capacity is not a number for {', '.join(bad.index[:5])}.")
        cap = series.reindex(rep_ids).fillna(0).astype(float)
    else:
        raise AssignmentError(f"capacity must be an int, a mapping rep_id -> int or a Series, "
                              f"not {type(capacity).__name__}.")
    neg = cap[cap < 0]
    if len(neg):
        raise AssignmentError(f"capacity must be >= 0; negative for {', '.join(neg.index[:5])}.")
    frac = cap[cap != np.floor(cap)]
    if len(frac):
        raise AssignmentError(f"capacity must be a whole number of leads; got {frac.iloc[0]} "
                              f"for {frac.index[0]}.")
    return cap.to_numpy(dtype=float)


def _eligible(reps: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Active reps with role ``rep`` (missing status = active; missing role column = all)."""
    ok = pd.Series(True, index=reps.index)
    if "role" in reps.columns:
        ok &= _norm(reps["role"].fillna("")).eq("rep")
    else:
        notes.append("reps has no role column: every row is treated as a sales rep.")
    if "status" in reps.columns:
        status = _norm(reps["status"].fillna(""))
        ok &= status.isin(["active", "", "nan", "<na>"])
    else:
        notes.append("reps has no status column: every rep is treated as active.")
    out = reps.loc[ok, ["rep_id", "region"]].copy()
    out["rep_id"] = out["rep_id"].astype("str")
    return out.reset_index(drop=True)


def _empty(notes: list[str], status: str, unassigned: pd.DataFrame | None = None,
           loads: pd.DataFrame | None = None) -> Assignment:
    return Assignment(
        assignments=pd.DataFrame(columns=ASSIGNMENT_COLUMNS),
        loads=loads if loads is not None else pd.DataFrame(columns=LOAD_COLUMNS),
        unassigned=(unassigned if unassigned is not None
                    else pd.DataFrame(columns=UNASSIGNED_COLUMNS)),
        fairness={"gini": 0.0, "max_min_ratio": float("nan"), "deviation": 0.0, "penalty": 0.0},
        objective=0.0, status=status, bound=0.0, notes=notes)


def _gini(x: np.ndarray) -> float:
    if len(x) == 0 or x.sum() <= 0:
        return 0.0
    s = np.sort(x)
    n = len(s)
    return float(np.sum((2 * np.arange(1, n + 1) - n - 1) * s) / (n * s.sum()))


def assign(scored: pd.DataFrame, reps: pd.DataFrame, *,
           capacity: int | Mapping[str, int] | pd.Series = 20, value: str = "expected_value",
           expertise: pd.DataFrame | None = None, region_weight: float = 1.0,
           expertise_weight: float = 0.3, fairness: float = DEFAULT_FAIRNESS,
           only_open: bool = True,
           time_limit: float = 60.0) -> Assignment:
    """Assign open leads to reps, maximising value-weighted match quality (a dry run).

    Parameters
    ----------
    scored : pandas.DataFrame
        Leads with ``lead_id``, ``region``, the ``value`` column and optionally ``industry``
        and ``status``. Typically the scored leads (``expected_value``); ``budget`` works too.
    reps : pandas.DataFrame
        Reps with ``rep_id`` and ``region``; ``role`` and ``status`` when present restrict to
        role ``rep`` and status ``active`` (a missing status counts as active).
    capacity : int, mapping or pandas.Series, default 20
        New leads each rep can take: one number for all, or per rep_id (reps absent from the
        mapping get 0). Must be whole and >= 0.
    value : str, default "expected_value"
        Column giving each lead's value. Missing values count as 0 for priority; the lead is
        still assignable.
    expertise : pandas.DataFrame, optional
        rep_id x industry shares in [0, 1] (see :func:`expertise_from_customers`); without it the
        industry plays no role.
    region_weight : float, default 1.0
        Bonus (relative to the lead's value) for a rep of the lead's region.
    expertise_weight : float, default 0.3
        Bonus (relative to the lead's value) per unit of the rep's industry share.
    fairness : float, default 0.2
        Weight of the penalty ``sum_r |E_r - s_r T|`` keeping each rep's assigned value near its
        capacity share (0 ignores fairness). Below 0.5 it never outweighs a lead's value.
    only_open : bool, default True
        Keep only leads whose ``status`` is ``"open"`` (when the column exists).
    time_limit : float, default 60.0
        Seconds the solver may use per solve.

    Returns
    -------
    Assignment
        Assignments, rep loads, unassigned leads with reasons, fairness measures, objective.

    Raises
    ------
    ColumnError
        When the leads or reps lack a column.
    AssignmentError
        Duplicate ids, negative or fractional capacity, negative weights.
    """
    for name, w in [("region_weight", region_weight), ("expertise_weight", expertise_weight),
                    ("fairness", fairness)]:
        if not np.isfinite(w) or w < 0:
            raise AssignmentError(f"{name} must be a finite number >= 0, got {w!r}.")
    require_columns(scored, ["lead_id", "region", value], table="the leads frame",
                    fix=("score the leads first, or pass value='budget' to use the budget "
                         "instead" if value not in scored.columns and "budget" in scored.columns
                         else "pass leads with lead_id, region and the value= column"))
    require_columns(reps, ["rep_id", "region"], table="reps",
                    fix="pass the reps table (rep_id, region; role and status when known)")
    if reps["rep_id"].duplicated().any():
        dup = reps.loc[reps["rep_id"].duplicated(), "rep_id"].iloc[0]
        raise AssignmentError(f"reps has duplicate rep_id values (e.g. {dup}).")
    notes: list[str] = []
    leads = scored
    if only_open and "status" in leads.columns:
        leads = leads[_norm(leads["status"].fillna("")).eq("open")]
    if leads["lead_id"].duplicated().any():
        dup = leads.loc[leads["lead_id"].duplicated(), "lead_id"].iloc[0]
        raise AssignmentError(f"the leads frame has duplicate lead_id values (e.g. {dup}).")

    elig = _eligible(reps, notes)
    cap_all = _capacity(capacity, pd.Index(elig["rep_id"]))
    loads = pd.DataFrame({"rep_id": elig["rep_id"], "region": elig["region"],
                          "assigned": 0, "capacity": cap_all.astype(int),
                          "utilisation": np.nan, "expected_value": 0.0, "value_share": 0.0,
                          "capacity_share": 0.0})
    if leads.empty:
        notes.append("there is no open lead to assign.")
        return _empty(notes, "no open leads", loads=loads)

    raw = pd.to_numeric(leads[value], errors="coerce").astype(float).to_numpy()
    if np.isnan(raw).any():
        notes.append(f"{int(np.isnan(raw).sum())} lead(s) have no {value}: treated as 0.")
    v = np.nan_to_num(raw, nan=0.0)
    if (v < 0).any():
        notes.append(f"{int((v < 0).sum())} lead(s) have a negative {value}: treated as 0.")
        v = np.maximum(v, 0.0)
    lead_ids = leads["lead_id"].astype("str").to_numpy()

    use = cap_all > 0
    reps_u = elig[use].reset_index(drop=True)
    cap = cap_all[use]
    if not use.any():
        why = ("no active rep (role 'rep', status active) with capacity > 0"
               if len(elig) else "no active rep (role 'rep', status active)")
        notes.append(why + ": nothing can be assigned.")
        un = pd.DataFrame({"lead_id": lead_ids, "value": raw, "reason": why})
        return _empty(notes, "no eligible rep", unassigned=un, loads=loads)

    start = time.perf_counter()
    m_all, R, C = len(v), len(cap), int(cap.sum())
    order = np.argsort(-v, kind="stable")
    if m_all <= C:
        sel, required, k_tie = order, np.ones(m_all, dtype=bool), 0
    else:
        cut = v[order[C - 1]]
        above, tied = order[v[order] > cut], order[v[order] == cut]
        sel = np.concatenate([above, tied])
        required = np.concatenate([np.ones(len(above), bool), np.zeros(len(tied), bool)])
        k_tie = C - len(above)
        if k_tie == len(tied):
            required[:] = True
    # match quality
    lreg = leads["region"].astype("str").to_numpy()[sel]
    rreg = reps_u["region"].astype("str").to_numpy()
    lreg_ok = leads["region"].notna().to_numpy()[sel]
    same = (lreg[:, None] == rreg[None, :]) & lreg_ok[:, None] & reps_u["region"].notna(
    ).to_numpy()[None, :]
    share = np.zeros((len(sel), R))
    industry = None
    if expertise is not None:
        if "industry" not in leads.columns:
            notes.append("the leads have no industry column: expertise is ignored.")
        else:
            exp = expertise.set_index("rep_id") if "rep_id" in expertise.columns else expertise
            exp = exp.apply(pd.to_numeric, errors="coerce").fillna(0.0).clip(0, 1)
            exp.index = exp.index.astype("str")
            exp.columns = exp.columns.astype("str")
            mat = exp.reindex(index=reps_u["rep_id"], fill_value=0.0)
            industry = leads["industry"].astype("str").where(leads["industry"].notna())
            codes = pd.Index(mat.columns).get_indexer(industry.to_numpy()[sel])
            table = np.hstack([mat.to_numpy(dtype=float), np.zeros((R, 1))])
            share = table[:, codes].T      # code -1 picks the zero column
    vs = v[sel]
    floor = 1e-3 * vs.max() if vs.max() > 0 else 1.0
    p = np.maximum(vs, floor)
    scale = p.max()
    quality = 1 + region_weight * same + expertise_weight * share
    T = vs[required].sum() + (vs[~required][:1].sum() * k_tie if (~required).any() else 0.0)
    s_r = cap / cap.sum()
    pb = _Problem(weight=p[:, None] * quality / scale, fvalue=vs / scale, cap=cap.astype(float),
                  target=s_r * T / scale, required=required, k_tie=k_tie, fairness=fairness)
    rep_of, bound = _solve(pb, time_limit, notes)
    seconds = time.perf_counter() - start

    # outputs
    got = rep_of >= 0
    idx = np.nonzero(got)[0]
    ridx = rep_of[got]
    E = np.bincount(ridx, weights=vs[got], minlength=R)
    n_r = np.bincount(ridx, minlength=R)
    objective = float((p[idx] * quality[idx, ridx]).sum() - fairness * np.abs(E - s_r * T).sum())
    bound_v = objective if np.isnan(bound) else max(float(bound) * scale, objective)
    gap = 0.0 if bound_v == 0 else (bound_v - objective) / abs(bound_v)
    status = ("optimal" if gap <= 1e-6
              else f"near-optimal (within {100 * gap:.3g} % of the bound)")

    spare = dict.fromkeys(set(rreg), 0)
    for reg, c_r, n in zip(rreg, cap, n_r, strict=True):
        spare[reg] += int(c_r - n)
    label = value.replace("_", " ")
    reasons = []
    for i, r in zip(idx, ridx, strict=True):
        parts = []
        if same[i, r]:
            parts.append(f"same region ({lreg[i]})")
        elif not lreg_ok[i]:
            parts.append(f"the lead has no region; a {rreg[r]} rep")
        elif lreg[i] not in spare:
            parts.append(f"no active rep in {lreg[i]}; a {rreg[r]} rep")
        elif spare[lreg[i]] == 0:
            parts.append(f"{lreg[i]} reps are at capacity; a {rreg[r]} rep")
        else:
            parts.append(f"out of region ({rreg[r]}) although {lreg[i]} reps had room: "
                         "better expertise/fairness")
        if industry is not None and isinstance(industry.iloc[sel[i]], str):
            parts.append(f"{pct(share[i, r])} of the rep's accounts are in "
                         f"{industry.iloc[sel[i]]}")
        rv = raw[sel[i]]
        parts.append(f"priority: {label} {rv:,.0f}" if np.isfinite(rv)
                     else f"priority: {label} unknown (counted as 0)")
        reasons.append("; ".join(parts))
    assignments = pd.DataFrame({
        "lead_id": lead_ids[sel[idx]], "rep_id": reps_u["rep_id"].to_numpy()[ridx],
        "region": leads["region"].to_numpy()[sel[idx]], "rep_region": rreg[ridx],
        "in_territory": same[idx, ridx].astype(bool),
        "expertise": share[idx, ridx] if industry is not None else np.nan,
        "value": raw[sel[idx]], "reason": reasons,
    }, columns=ASSIGNMENT_COLUMNS)
    assignments["region"] = assignments["region"].astype("str")
    assignments["rep_region"] = assignments["rep_region"].astype("str")
    assignments = assignments.sort_values("value", ascending=False, kind="stable",
                                          na_position="last").reset_index(drop=True)

    short = (f"all eligible reps are at capacity ({C:,} slots for {m_all:,} open leads); "
             "higher-value leads were assigned first")
    left = np.setdiff1d(np.arange(m_all), sel[idx])
    un_reason = [short + ("; tied in value with assigned leads that matched better"
                          if m_all > C and v[j] == v[order[C - 1]] else "") for j in left]
    unassigned = pd.DataFrame({"lead_id": lead_ids[left], "value": raw[left],
                               "reason": un_reason}, columns=UNASSIGNED_COLUMNS)
    unassigned = unassigned.sort_values("value", ascending=False, kind="stable",
                                        na_position="last").reset_index(drop=True)
    if len(left):
        notes.append(f"{len(left):,} open lead(s) exceed the total capacity of {C:,}.")

    pos = np.nonzero(use)[0]
    loads.loc[pos, "assigned"] = n_r
    loads.loc[pos, "expected_value"] = E
    loads["utilisation"] = loads["assigned"] / loads["capacity"].where(loads["capacity"] > 0)
    total = E.sum()
    loads.loc[pos, "value_share"] = E / total if total > 0 else 0.0
    loads.loc[pos, "capacity_share"] = s_r
    per_cap = E / cap
    mn, mx = per_cap.min(), per_cap.max()
    fair = {"gini": _gini(per_cap),
            "max_min_ratio": float(mx / mn) if mn > 0 else (1.0 if mx == 0 else float("inf")),
            "deviation": float(np.abs(E - s_r * T).sum() / T) if T > 0 else 0.0,
            "penalty": float(fairness * np.abs(E - s_r * T).sum())}
    return Assignment(assignments=assignments, loads=loads, unassigned=unassigned,
                      fairness=fair, objective=objective, status=status, bound=bound_v,
                      notes=notes, seconds=seconds)
