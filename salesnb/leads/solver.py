"""The solver behind :func:`salesnb.leads.assign`: a transportation problem, leads x reps.

:class:`_Problem` holds the scaled weights, capacities and fairness targets built by
``assign``; :func:`_solve` returns the rep of every lead and a proven upper bound.

Without fairness the problem is solved exactly by one min-cost flow (OR-Tools) on integer arc
costs (the weights scaled so the largest is ``_COST_RANGE`` = 2**31, then rounded): rounding
loses at most ``n / S`` in objective for ``n`` assigned leads and scale ``S``, a relative ~1e-9
that is added to the reported bound (so the status is "optimal" to within that). With fairness
the penalty is priced by a Lagrangian relaxation: per-rep multipliers ``mu_r`` in
``[-fairness, fairness]``, each step a min-cost flow with weights ``w_lr + mu_r v_l`` whose
value is a valid upper bound; the multipliers follow Polyak subgradient steps, each flow's
assignment is improved by local moves, the best one by moves and swaps at the end. The bound is
the best Lagrangian value (the LP bound in the limit). Small problems (at most ``_SMALL`` lead x
rep pairs) are one exact MILP (HiGHS through :mod:`scipy.optimize`). Without OR-Tools the
former route is used: the LP by column generation and a MILP repair of the fractional leads.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from salesnb.leads.errors import AssignmentError

__all__: list[str] = []

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
            notes.append("OR-Tools is not installed (pip install 'salesnb[assign]'): "
                         "solved with the (slower) LP route.")
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
