"""Lead assignment: give open leads to sales reps as an optimisation (a dry run).

:func:`assign` solves a transportation problem (leads x reps), as a min-cost flow (OR-Tools)
or, for tiny problems, one exact MILP (HiGHS through :mod:`scipy.optimize`):

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

Without fairness this is solved exactly by one min-cost flow on integer arc costs (the weights
scaled so the largest is ``_COST_RANGE`` = 2**31, then rounded): rounding loses at most
``n / S`` in objective for ``n`` assigned leads and scale ``S``, a relative ~1e-9 that is added
to the reported bound (so the status is "optimal" to within that). With fairness the penalty is
priced by a Lagrangian relaxation: per-rep multipliers ``mu_r`` in ``[-fairness, fairness]``,
each step a min-cost flow with weights ``w_lr + mu_r v_l`` whose value is a valid upper bound;
the multipliers follow Polyak subgradient steps, each flow's assignment is improved by local
moves, the best one by moves and swaps at the end. The result is reported as "near-optimal
(within x % of the bound)", the bound being the best Lagrangian value (the LP bound in the
limit). Small problems (at most ``_SMALL`` lead x rep pairs) are one exact MILP. Without
OR-Tools the former route is used: the LP by column generation and a MILP repair of the
fractional leads.

Territory: a lead goes out of its region only when that raises the objective, which with
``region_weight > expertise_weight + 2 * fairness`` (true for the defaults) happens only when the
region's reps are full or absent.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scipy.sparse as sp
from matplotlib.axes import Axes
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from salesnb.errors import SalesnbError
from salesnb.leads.defaults import DEFAULT_FAIRNESS

__all__ = ["Assignment", "AssignmentError", "assign", "expertise_from_customers", "plot_loads"]

ASSIGNMENT_COLUMNS = ["lead_id", "rep_id", "region", "rep_region", "in_territory", "expertise",
                      "value", "reason"]
LOAD_COLUMNS = ["rep_id", "region", "assigned", "capacity", "utilisation", "expected_value",
                "value_share", "capacity_share"]
UNASSIGNED_COLUMNS = ["lead_id", "value", "reason"]

_SMALL = 400             # lead x rep pairs up to which one exact MILP is solved
_REPAIR_LEADS = 400      # largest neighbourhood re-optimised by that MILP
_REPAIR_SECONDS = 3.0    # time for the MILP fixing the fractional leads of the LP
_REPAIR_GAP = 1e-4       # relative gap at which that MILP stops (the LP bound is reported)
_START_K = 6             # best reps per lead in the first column-generation round
_TOL = 1e-7              # relative gap at which column generation stops
_COST_RANGE = 2.0 ** 31  # largest integer arc cost in the min-cost flow
_LAGRANGE_STEPS = 10     # most subgradient steps (fairness > 0)
_LAGRANGE_SECONDS = 1.0  # time for the subgradient steps (local search, LP: ~2 s more at most)
_LAGRANGE_GAP = 1e-4     # relative gap at which the Lagrangian loop stops
_WARM_PAIRS = 20_000     # lead x rep pairs above which a restricted LP refines the bound
_WARM_SECONDS = 1.0      # time for the restricted LP giving the final multipliers


class AssignmentError(SalesnbError):
    """The inputs of :func:`assign` cannot be used (missing columns, bad capacity, ...)."""


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


# ----------------------------------------------------------------------------- inputs


def _require(frame: pd.DataFrame, columns: list[str], what: str, hint: str = "") -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns)) or "none"
        raise AssignmentError(f"{what} lacks the column(s) {', '.join(missing)} (it has: {have})."
                              + (f" {hint}" if hint else ""))


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
    AssignmentError
        When a required column is missing.
    """
    _require(customers, ["owner_rep_id", "industry"], "customers")
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


# ----------------------------------------------------------------------------- solver


@dataclass
class _Problem:
    weight: np.ndarray      # m x R objective weight per pair (scaled)
    fvalue: np.ndarray      # m value entering the fairness rows (scaled)
    cap: np.ndarray         # R
    target: np.ndarray      # R fairness targets s_r * T (scaled)
    required: np.ndarray    # m bool: must be assigned (else: tie group)
    k_tie: int              # how many of the tie group to assign
    fairness: float


def _build(pb: _Problem, li: np.ndarray, ri: np.ndarray, fixed_cap: np.ndarray | None = None,
           fixed_target: np.ndarray | None = None, k_tie: int | None = None):
    """Sparse rows of the model restricted to columns (li, ri); returns pieces for both APIs."""
    m, R = pb.weight.shape
    n = len(li)
    cols = np.arange(n)
    cap = pb.cap if fixed_cap is None else fixed_cap
    target = pb.target if fixed_target is None else fixed_target
    k = pb.k_tie if k_tie is None else k_tie
    nf = 2 * R if pb.fairness > 0 else 0
    nv = n + nf
    c = np.concatenate([-pb.weight[li, ri], np.full(nf, pb.fairness)])
    lead = sp.csr_array((np.ones(n), (li, cols)), shape=(m, nv))
    rep = sp.csr_array((np.ones(n), (ri, cols)), shape=(R, nv))
    req = pb.required
    eq_blocks, eq_b, ub_blocks, ub_b = [lead[req]], [np.ones(int(req.sum()))], [rep], [cap]
    if (~req).any():
        tie = ~req
        ub_blocks.append(lead[tie])
        ub_b.append(np.ones(int(tie.sum())))
        count = sp.csr_array(np.asarray(lead[tie].sum(axis=0)).reshape(1, -1))
        eq_blocks.append(count)
        eq_b.append(np.array([float(k)]))
    if nf:
        fair = sp.hstack([sp.csr_array((pb.fvalue[li], (ri, cols)), shape=(R, n)),
                          sp.csr_array(np.hstack([-np.eye(R), np.eye(R)]))]).tocsr()
        eq_blocks.append(fair)
        eq_b.append(target)
    A_eq = sp.vstack(eq_blocks).tocsr()
    A_ub = sp.vstack(ub_blocks).tocsr()
    return c, A_eq, np.concatenate(eq_b), A_ub, np.concatenate(ub_b)


def _milp(pb: _Problem, li, ri, time_limit, start: np.ndarray | None = None,
          gap: float = 1e-9) -> np.ndarray:
    """Solve the MILP over columns (li, ri) to relative gap ``gap``.

    ``start`` (0/1 per column) is the fallback when no solution is found in time.
    """
    c, A_eq, b_eq, A_ub, b_ub = _build(pb, li, ri)
    n = len(li)
    cons = [LinearConstraint(A_eq, b_eq, b_eq), LinearConstraint(A_ub, -np.inf, b_ub)]
    integrality = np.concatenate([np.ones(n), np.zeros(len(c) - n)])
    res = milp(c, constraints=cons, integrality=integrality, bounds=Bounds(0, np.inf),
               options={"time_limit": time_limit, "mip_rel_gap": gap})
    if res.x is None and start is not None:
        return start
    if res.x is None:
        raise AssignmentError(f"the solver found no assignment ({res.message}). This should not "
                              "happen with valid inputs; please report it.")
    return np.round(res.x[:n])


def _greedy_columns(pb: _Problem) -> np.ndarray:
    """A feasible assignment (best free rep, in lead order) so the first LP is feasible."""
    m, _ = pb.weight.shape
    left = pb.cap.copy()
    out = np.full(m, -1)
    todo = np.nonzero(pb.required)[0].tolist() + np.nonzero(~pb.required)[0][:pb.k_tie].tolist()
    w = pb.weight
    for i in todo:
        free = left > 0
        r = int(np.argmax(np.where(free, w[i], -np.inf)))
        out[i] = r
        left[r] -= 1
    return out


class _Flow:
    """The transportation network of a problem, solved by min-cost flow for any weights.

    Nodes: leads, reps, a sink and a tie node feeding the leads tied at the value cut-off. Arc
    costs are the weights scaled to integers (largest ``_COST_RANGE``) and rounded.
    """

    def __init__(self, pb: _Problem) -> None:
        m, R = pb.weight.shape
        tie = np.nonzero(~pb.required)[0]
        sink, tnode = m + R, m + R + 1
        self.m, self.R = m, R
        self.tails = np.concatenate([np.repeat(np.arange(m), R), m + np.arange(R),
                                     np.full(len(tie), tnode)]).astype(np.int64)
        self.heads = np.concatenate([m + np.tile(np.arange(R), m), np.full(R, sink),
                                     tie]).astype(np.int64)
        self.caps = np.concatenate([np.ones(m * R), np.rint(pb.cap),
                                    np.ones(len(tie))]).astype(np.int64)
        k = pb.k_tie if len(tie) else 0
        self.n_assigned = int(pb.required.sum()) + k
        self.supply = np.zeros(m + R + 2, dtype=np.int64)
        self.supply[:m] = pb.required
        self.supply[tnode] = k
        self.supply[sink] = -self.n_assigned

    def solve(self, weight: np.ndarray) -> tuple[np.ndarray, float]:
        """Maximise ``sum weight * x``; return (rep per lead or -1, largest rounding loss).

        The loss bounds how much the exact optimum for ``weight`` can exceed the returned
        assignment's value: each of the ``n`` assigned costs is off by at most ``0.5 / S``.
        """
        from ortools.graph.python import min_cost_flow

        m, R = self.m, self.R
        top = float(np.abs(weight).max())
        S = _COST_RANGE / top if top > 0 else 1.0
        cost = np.zeros(len(self.tails), dtype=np.int64)
        cost[:m * R] = -np.rint(weight.ravel() * S).astype(np.int64)
        net = min_cost_flow.SimpleMinCostFlow()
        net.add_arcs_with_capacity_and_unit_cost(self.tails, self.heads, self.caps, cost)
        net.set_nodes_supplies(np.arange(len(self.supply)), self.supply)
        status = net.solve()
        if status != net.OPTIMAL:
            raise AssignmentError(f"the min-cost flow solver failed (status {status}). This "
                                  "should not happen with valid inputs; please report it.")
        flow = net.flows(np.arange(m * R)).reshape(m, R)
        rep = np.full(m, -1)
        li, ri = np.nonzero(flow > 0)
        rep[li] = ri
        return rep, self.n_assigned / S


def _value(pb: _Problem, rep: np.ndarray) -> tuple[float, np.ndarray]:
    """Objective (scaled units) of an assignment and the value given to each rep."""
    got = np.nonzero(rep >= 0)[0]
    E = np.bincount(rep[got], weights=pb.fvalue[got], minlength=pb.weight.shape[1])
    obj = pb.weight[got, rep[got]].sum() - pb.fairness * np.abs(E - pb.target).sum()
    return float(obj), E


def _polish(pb: _Problem, rep: np.ndarray, swaps: bool = True, passes: int = 20,
            deadline: float = np.inf) -> tuple[float, np.ndarray]:
    """Improve an assignment by local search; return (objective, assignment).

    Moves of one lead to a rep with room (the leads with the best gains first, each gain
    re-checked before the move), then swaps of two leads between two reps on opposite sides of
    their fairness target (best swap per pair), repeated while the objective rises.
    """
    m, R = pb.weight.shape
    w, v, f = pb.weight, pb.fvalue, pb.fairness
    rep = rep.copy()
    got = np.nonzero(rep >= 0)[0]
    D = np.bincount(rep[got], weights=v[got], minlength=R) - pb.target
    room = pb.cap - np.bincount(rep[got], minlength=R)
    eps = 1e-9 * max(1.0, float(np.abs(w).max()))

    def move_gain(ls: np.ndarray) -> np.ndarray:
        own = rep[ls]
        gain = (w[ls] - w[ls, own][:, None]
                - f * (np.abs(D[None, :] + v[ls, None]) - np.abs(D)[None, :])
                - f * (np.abs(D[own] - v[ls]) - np.abs(D[own]))[:, None])
        gain[:, room <= 0] = -np.inf
        gain[np.arange(len(ls)), own] = -np.inf
        return gain

    for _ in range(passes):                              # passes of moves
        if not (room > 0).any() or time.perf_counter() > deadline:
            break
        best = move_gain(got).max(axis=1)
        todo = got[best > eps][np.argsort(-best[best > eps], kind="stable")]
        moved = 0
        for lead in todo:
            gain = move_gain(np.array([lead]))[0]
            r = int(np.argmax(gain))
            if gain[r] <= eps:
                continue
            r0 = rep[lead]
            rep[lead] = r
            D[r0] -= v[lead]
            D[r] += v[lead]
            room[r0] += 1
            room[r] -= 1
            moved += 1
        if not moved:
            break
    improved = swaps
    while improved and time.perf_counter() < deadline:
        improved = False
        members = [np.nonzero(rep == r)[0] for r in range(R)]
        for r in range(R):
            for r2 in range(R):
                if not (D[r] > 0 > D[r2]):
                    continue
                A, B = members[r], members[r2]
                if not len(A) or not len(B):
                    continue
                dv = v[A][:, None] - v[B][None, :]
                gain = ((w[A, r2] - w[A, r])[:, None] + (w[B, r] - w[B, r2])[None, :]
                        - f * (np.abs(D[r] - dv) - abs(D[r]) + np.abs(D[r2] + dv) - abs(D[r2])))
                k = int(np.argmax(gain))
                a, b = divmod(k, len(B))
                if gain[a, b] <= eps:
                    continue
                la, lb = A[a], B[b]
                rep[la], rep[lb] = r2, r
                D[r] -= dv[a, b]
                D[r2] += dv[a, b]
                A[a], B[b] = lb, la
                improved = True
    return _value(pb, rep)[0], rep


def _solve_flow(pb: _Problem) -> tuple[np.ndarray, float]:
    """Fairness 0: one min-cost flow; the bound adds the largest cost-rounding loss."""
    rep, err = _Flow(pb).solve(pb.weight)
    return rep, _value(pb, rep)[0] + err


def _lp_multipliers(pb: _Problem, rep: np.ndarray, time_limit: float
                    ) -> np.ndarray | None:
    """Fairness-row duals of the LP restricted to each lead's best two reps and ``rep``.

    Cheap, usually near-optimal multipliers (``None`` if the LP fails); the bound is always
    evaluated on the full problem.
    """
    m, R = pb.weight.shape
    cand = np.zeros((m, R), dtype=bool)
    k = min(R, 2)
    top = np.argpartition(-pb.weight, k - 1, axis=1)[:, :k]
    cand[np.arange(m)[:, None], top] = True
    cand[np.nonzero(rep >= 0)[0], rep[rep >= 0]] = True
    li, ri = np.nonzero(cand)
    c, A_eq, b_eq, A_ub, b_ub = _build(pb, li, ri)
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=(0, None),
                  method="highs", options={"time_limit": time_limit})
    if res.status != 0:
        return None
    pos = int(pb.required.sum()) + int((~pb.required).any())
    return np.clip(res.eqlin.marginals[pos:pos + R], -pb.fairness, pb.fairness)


def _solve_lagrange(pb: _Problem, time_limit: float) -> tuple[np.ndarray, float]:
    """Fairness > 0: Lagrangian relaxation of the fairness terms, solved by subgradient steps.

    ``-f |E_r - t_r| = min over |mu_r| <= f of mu_r (E_r - t_r)``, so for any such ``mu``
    ``L(mu) = max_x sum (w_lr + mu_r v_l) x_lr - sum mu_r t_r`` (a min-cost flow) bounds the
    optimum from above. Each ``x(mu)`` is a feasible assignment; the best is polished by local
    moves and kept. Stops at relative gap ``_LAGRANGE_GAP``, after ``_LAGRANGE_STEPS`` steps or
    ``_LAGRANGE_SECONDS``. Then the best assignment is polished (moves and swaps) and, for
    problems above ``_WARM_PAIRS`` pairs, the fairness duals of the LP restricted to that
    assignment and each lead's best two reps give one more multiplier vector (usually close to
    the LP optimum), evaluated on the full problem.
    """
    flow = _Flow(pb)
    f = pb.fairness
    m, R = pb.weight.shape
    mu = np.zeros(R)
    best_rep, best = np.full(pb.weight.shape[0], -1), -np.inf
    bound = np.inf
    lam, stall = 1.0, 0
    start = time.perf_counter()
    for _ in range(_LAGRANGE_STEPS):
        w = pb.weight + pb.fvalue[:, None] * mu[None, :]
        rep, err = flow.solve(w)
        got = np.nonzero(rep >= 0)[0]
        L = float(w[got, rep[got]].sum() - mu @ pb.target) + err
        if L < bound - 1e-12:
            bound, stall = L, 0
        else:
            stall += 1
            if stall >= 2:
                lam, stall = lam / 2, 0
        g = _value(pb, rep)[1] - pb.target
        obj, rep = _polish(pb, rep, swaps=False, passes=2)
        if obj > best:
            best, best_rep = obj, rep
        if (bound - best <= _LAGRANGE_GAP * max(abs(bound), 1e-12)
                or time.perf_counter() - start > min(time_limit, _LAGRANGE_SECONDS)):
            break
        gg = float(g @ g)
        if gg == 0:
            break
        mu = np.clip(mu - lam * (L - best) / gg * g, -f, f)
    best, best_rep = _polish(pb, best_rep, deadline=time.perf_counter() + min(time_limit, 0.8))
    # multipliers from the LP restricted to the best assignment and each lead's best two reps:
    # usually close to the LP optimum, they tighten the bound (and may give a better assignment)
    mu = (_lp_multipliers(pb, best_rep, min(time_limit, _WARM_SECONDS))
          if m * R > _WARM_PAIRS else None)
    if mu is not None:
        w = pb.weight + pb.fvalue[:, None] * mu[None, :]
        rep, err = flow.solve(w)
        got = np.nonzero(rep >= 0)[0]
        bound = min(bound, float(w[got, rep[got]].sum() - mu @ pb.target) + err)
        obj, rep = _polish(pb, rep, deadline=time.perf_counter() + min(time_limit, 0.4))
        if obj > best:
            best, best_rep = obj, rep
    return best_rep, max(bound, best)


def _solve(pb: _Problem, time_limit: float, notes: list[str] | None = None
           ) -> tuple[np.ndarray, float]:
    """Return (rep index per lead or -1, proven upper bound in scaled units).

    NaN as the bound means the assignment is optimal (exact MILP). Small problems are one MILP;
    larger ones use min-cost flow (OR-Tools), or the LP route when OR-Tools is not installed.
    """
    m, R = pb.weight.shape
    if m * R <= _SMALL:
        li, ri = (a.ravel() for a in np.indices((m, R)))
        x = _milp(pb, li, ri, time_limit)
        rep = np.full(m, -1)
        rep[li[x > 0.5]] = ri[x > 0.5]
        return rep, np.nan
    try:
        from ortools.graph.python import min_cost_flow  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        if notes is not None:
            notes.append("OR-Tools is not installed: solved with the (slower) LP route.")
        return _solve_lp(pb, time_limit)
    if pb.fairness > 0:
        return _solve_lagrange(pb, time_limit)
    return _solve_flow(pb)


def _solve_lp(pb: _Problem, time_limit: float) -> tuple[np.ndarray, float]:
    """LP relaxation by column generation, fractional leads fixed by a MILP (reference route)."""
    m, R = pb.weight.shape
    cand = np.zeros((m, R), dtype=bool)
    k = min(R, _START_K)
    top = np.argpartition(-pb.weight, k - 1, axis=1)[:, :k]
    cand[np.arange(m)[:, None], top] = True
    g = _greedy_columns(pb)
    cand[np.nonzero(g >= 0)[0], g[g >= 0]] = True
    start = time.perf_counter()
    bound = np.nan
    while True:
        li, ri = np.nonzero(cand)
        c, A_eq, b_eq, A_ub, b_ub = _build(pb, li, ri)
        res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=(0, None),
                      method="highs", options={"time_limit": time_limit})
        if res.status != 0:
            raise AssignmentError(f"the LP solver failed: {res.message}")
        y_eq, y_ub = res.eqlin.marginals, res.ineqlin.marginals
        req, tie = pb.required, ~pb.required
        y_lead = np.zeros(m)
        y_lead[req] = y_eq[:int(req.sum())]
        pos = int(req.sum())
        y_rep = y_ub[:R]
        if tie.any():
            y_lead[tie] = y_ub[R:]
            y_lead[tie] += y_eq[pos]
            pos += 1
        y_fair = y_eq[pos:pos + R] if pb.fairness > 0 else np.zeros(R)
        rc = (-pb.weight - y_lead[:, None] - y_rep[None, :]
              - y_fair[None, :] * pb.fvalue[:, None])
        worst = np.minimum(rc.min(axis=1), 0.0)
        bound = -(res.fun + worst.sum())
        viol = (rc < -1e-9) & ~cand
        if (-worst.sum() <= _TOL * max(1.0, abs(res.fun)) or not viol.any()
                or time.perf_counter() - start > time_limit):
            break
        cand |= viol
    x = res.x[:len(li)]
    frac_cols = np.abs(x - np.round(x)) > 1e-6
    rep = np.full(m, -1)
    whole = (~frac_cols) & (x > 0.5)
    rep[li[whole]] = ri[whole]
    frac_leads = np.unique(li[frac_cols])
    if len(frac_leads):
        # neighbourhood: the fractional leads plus the leads held by the reps they touch
        touched = np.unique(ri[frac_cols])
        near = np.nonzero(np.isin(rep, touched))[0]
        if len(near) + len(frac_leads) <= _REPAIR_LEADS:
            frac_leads = np.union1d(frac_leads, near)
        rep[frac_leads] = -1
        frac = np.zeros((m, R))
        frac[li, ri] = x
        rep = _repair(pb, rep, frac_leads, frac, time_limit)
    return rep, bound


def _round(pb: _Problem, x: np.ndarray) -> np.ndarray:
    """Feasible 0/1 columns from a fractional x (largest share first): the repair fallback."""
    m, R = x.shape
    left = pb.cap.copy()
    out = np.zeros((m, R))
    n_tie = 0
    for i in np.argsort(-x.max(axis=1), kind="stable"):
        if not pb.required[i] and n_tie >= pb.k_tie:
            continue
        free = left > 0
        if not free.any():
            break
        r = int(np.argmax(np.where(free, x[i] + 1e-3 * pb.weight[i], -np.inf)))
        out[i, r] = 1
        left[r] -= 1
        n_tie += int(not pb.required[i])
    return out.ravel()


def _repair(pb: _Problem, rep: np.ndarray, leads: np.ndarray, frac: np.ndarray,
            time_limit: float) -> np.ndarray:
    """Fix the fractional leads of the LP by an exact MILP over them (others held fixed)."""
    m, R = pb.weight.shape
    done = rep >= 0
    used = np.bincount(rep[done], minlength=R).astype(float)
    given = np.bincount(rep[done], weights=pb.fvalue[done], minlength=R)
    k_left = pb.k_tie - int((done & ~pb.required).sum())
    sub = _Problem(pb.weight[leads], pb.fvalue[leads], pb.cap - used,
                   pb.target - given, pb.required[leads], max(k_left, 0), pb.fairness)
    li, ri = (a.ravel() for a in np.indices((len(leads), R)))
    x = _milp(sub, li, ri, min(time_limit, _REPAIR_SECONDS), start=_round(sub, frac[leads]),
              gap=_REPAIR_GAP)
    out = rep.copy()
    out[leads[li[x > 0.5]]] = ri[x > 0.5]
    return out


# ----------------------------------------------------------------------------- main


def _fmt_pct(x: float) -> str:
    return f"{100 * x:.0f} %"


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
    AssignmentError
        Missing columns, duplicate ids, negative or fractional capacity, negative weights.
    """
    for name, w in [("region_weight", region_weight), ("expertise_weight", expertise_weight),
                    ("fairness", fairness)]:
        if not np.isfinite(w) or w < 0:
            raise AssignmentError(f"{name} must be a finite number >= 0, got {w!r}.")
    _require(scored, ["lead_id", "region", value], "the leads frame",
             "" if value in scored.columns or "budget" not in scored.columns else
             "Score the leads first, or pass value='budget' to use the budget instead.")
    _require(reps, ["rep_id", "region"], "reps")
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
            parts.append(f"{_fmt_pct(share[i, r])} of the rep's accounts are in "
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


def plot_loads(assignment: Assignment, ax: Axes | None = None) -> Axes:
    """Bar chart of assigned leads against capacity per rep, coloured by region.

    Parameters
    ----------
    assignment : Assignment
        The result of :func:`assign`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; the current Axes by default.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on (nothing is saved).
    """
    ax = ax or plt.gca()
    loads = assignment.loads
    if loads.empty:
        ax.text(0.5, 0.5, "No eligible rep", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    loads = loads.sort_values(["region", "rep_id"], kind="stable").reset_index(drop=True)
    regions = loads["region"].fillna("(none)").astype("str")
    palette = dict(zip(sorted(regions.unique()), plt.get_cmap("tab10").colors, strict=False))
    x = np.arange(len(loads))
    ax.bar(x, loads["capacity"], color="0.88", edgecolor="0.6", label="capacity")
    ax.bar(x, loads["assigned"], width=0.6, color=[palette[r] for r in regions])
    for reg, col in palette.items():
        ax.bar([0], [0], color=col, label=reg)
    ax.set_xticks(x, loads["rep_id"], rotation=90, fontsize=7)
    ax.set_ylabel("leads")
    ax.set_title(f"Assigned leads vs capacity per rep (Gini of value per capacity "
                 f"{assignment.fairness.get('gini', 0):.2f})")
    ax.legend(fontsize=7, ncols=2)
    return ax
