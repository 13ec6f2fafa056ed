"""Bonus plans and payouts: validate a plan, pay every rep by it, with an audit line each.

A plan pays a share of the rep's revenue by the attainment tier reached (the highest tier's
rate on all revenue, or each tier's rate on its band), up to a cap, and only when customer
satisfaction reaches the gate; managers earn a team bonus when their team reaches its target.

Examples
--------
>>> import salesnb as sn
>>> card = sn.assessment.scorecard(sn.load("data"), period="2025Q4")     # doctest: +SKIP
>>> sn.assessment.bonus(card.table, {"tiers": [{"from": 0.0, "rate": 0.0},
...                                             {"from": 0.8, "rate": 0.02},
...                                             {"from": 1.0, "rate": 0.04}]})  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salesnb.assessment.blocks import AssessmentError
from salesnb.assessment.defaults import DEFAULT_PLAN
from salesnb.assessment.scoring import Scorecard
from salesnb.core.columns import require_columns
from salesnb.core.files import read_yaml

__all__ = ["check_plan", "plan_from", "load_plan", "bonus", "bonus_summary", "cap_warning",
           "headline_numbers", "MOST_AT_CAP"]

#: Share of the paid reps at the cap from which a page warns that the cap, not the tiers,
#: decides most bonuses (the plan needs review).
MOST_AT_CAP = 0.5


def check_plan(plan: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a bonus plan; return it with tiers sorted and defaults filled.

    A plan has ``tiers`` (a list of ``{from, rate}``, optionally ``to``; the first starts at 0,
    each ``to`` must be the next ``from``), optional ``mode`` ("highest": the rate of the
    highest tier reached applies to all revenue; "marginal": each tier's rate applies to the
    revenue within its band), ``cap`` (per-rep maximum), ``min_satisfaction`` (below it, no
    bonus), ``team`` (``{from, rate}``: a manager's bonus on the team's revenue when the team's
    attainment reaches ``from``) and ``budget``.

    Parameters
    ----------
    plan : mapping
        The plan, e.g. read from YAML (:func:`load_plan`) or built by :func:`plan_from`.

    Returns
    -------
    dict
        The plan with its tiers sorted by ``from`` and ``mode`` filled in.

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


def plan_from(*, tier1_from: float, tier1_rate: float, tier2_from: float, tier2_rate: float,
              tier3_from: float, tier3_rate: float, cap: float, min_satisfaction: float,
              budget: float = DEFAULT_PLAN["budget"], mode: str = "highest",
              team: Mapping[str, float] | None = None, **_ignored: Any) -> dict[str, Any]:
    """A validated bonus plan from a report's tier parameters (rates in % of revenue).

    Parameters
    ----------
    tier1_from, tier2_from, tier3_from : float
        Attainment (1.0 = on target) where each paid tier starts; below the first, no bonus.
    tier1_rate, tier2_rate, tier3_rate : float
        Each tier's rate in percent of revenue (2 = 2 %).
    cap : float
        Most a rep earns in the period; 0 means no cap.
    min_satisfaction : float
        Satisfaction below which no bonus is paid; 0 means no gate.
    budget : float, optional
        Total the payouts are compared with; default the default plan's.
    mode : {"highest", "marginal"}, default="highest"
        See :func:`check_plan`.
    team : mapping, optional
        The managers' team bonus ``{from, rate}``; default the default plan's.
    **_ignored
        Other report parameters (weights ...), ignored.

    Returns
    -------
    dict
        The plan, validated by :func:`check_plan`.

    Raises
    ------
    AssessmentError
        When the tiers overlap or a value is negative.
    """
    plan = {
        "mode": mode,
        "tiers": [{"from": 0.0, "rate": 0.0},
                  {"from": tier1_from, "rate": tier1_rate / 100},
                  {"from": tier2_from, "rate": tier2_rate / 100},
                  {"from": tier3_from, "rate": tier3_rate / 100}],
        "cap": cap or None, "min_satisfaction": min_satisfaction or None,
        "team": dict(DEFAULT_PLAN["team"] if team is None else team), "budget": budget,
    }
    return check_plan(plan)


def load_plan(path: str | Path) -> dict[str, Any]:
    """Read and validate a bonus plan from YAML.

    Parameters
    ----------
    path : str or Path
        The YAML file (see ``data/bonus_plan.yaml``).

    Returns
    -------
    dict
        The plan, validated by :func:`check_plan`.

    Raises
    ------
    AssessmentError
        Naming the file, when it cannot be read, is not valid YAML or not a valid plan.
    """
    plan = read_yaml(path, error=AssessmentError)
    try:
        return check_plan(plan)
    except AssessmentError as exc:
        raise AssessmentError(f"{path}: {exc}") from exc


#: The columns of :func:`bonus` (also when nobody is paid).
_PAYOUT_COLUMNS = ("rep_id", "role", "revenue", "attainment", "satisfaction", "tier", "rate",
                   "bonus", "capped", "rule")
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
        Manager teams (:func:`~salesnb.assessment.blocks.teams_of`, one period) with
        ``revenue`` and ``attainment``: each manager gets the plan's team bonus.

    Returns
    -------
    pandas.DataFrame
        One row per rep (then manager): rep_id, role, revenue, attainment, satisfaction,
        tier (the start of the tier reached), rate, bonus, capped, rule.

    Raises
    ------
    AssessmentError
        An invalid plan (:func:`check_plan`).
    ColumnError
        When ``scorecard`` has no ``rep_id`` or ``teams`` no ``revenue`` and ``attainment``.
    """
    plan = check_plan(plan)
    card = scorecard.reset_index() if "rep_id" not in scorecard.columns else scorecard
    require_columns(card, ["rep_id"], table="the scorecard",
                    fix="pass Scorecard.table, or a frame with one row per rep_id")
    rows = [_rep_row(rec, plan) for rec in card.itertuples(index=False)]
    if teams is not None and plan.get("team") is not None:
        rows.extend(_team_rows(teams, plan["team"], plan.get("cap")))
    return pd.DataFrame(rows, columns=list(_PAYOUT_COLUMNS))


def _capped(amount: float, rule: str, cap: float | None) -> tuple[float, bool, str]:
    """The amount held to the plan's cap, whether it was, and the rule saying so."""
    if cap is not None and amount > float(cap):
        return float(cap), True, rule + f"; capped at {float(cap):,.0f}"
    return amount, False, rule


def _rep_row(rec: Any, plan: Mapping[str, Any]) -> dict[str, Any]:
    """One rep's payout by the plan's tiers, cap and satisfaction gate."""
    starts = np.array([t["from"] for t in plan["tiers"]])
    rates = np.array([t["rate"] for t in plan["tiers"]])
    gate = plan.get("min_satisfaction")
    rev = float(getattr(rec, "revenue", 0.0) or 0.0)
    att = getattr(rec, "attainment", np.nan)
    sat = getattr(rec, "satisfaction", np.nan)
    base = {"rep_id": rec.rep_id, "role": "rep", "revenue": rev, "attainment": att,
            "satisfaction": sat}
    if att is None or not np.isfinite(att):
        return {**base, "tier": np.nan, "rate": 0.0, "bonus": 0.0, "capped": False,
                "rule": "no target in the period: not eligible"}
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
    amount, capped, rule = _capped(amount, rule, plan.get("cap"))
    if gate is not None and not (np.isfinite(sat) and sat >= float(gate)):
        shown = f"{sat:.2f}" if np.isfinite(sat) else "no survey"
        rule = (f"satisfaction {shown} below the {float(gate):.2f} gate: no bonus "
                f"(would have been {amount:,.0f})")
        amount, capped = 0.0, False
    return {**base, "tier": starts[i], "rate": rates[i], "bonus": amount, "capped": capped,
            "rule": rule}


def _team_rows(teams: pd.DataFrame, team: Mapping[str, Any], cap: float | None
               ) -> list[dict[str, Any]]:
    """Each manager's team bonus: a share of the team's revenue once it reaches its target."""
    t = teams.reset_index()
    require_columns(t, ["revenue", "attainment"], table="the teams",
                    fix="pass the managers' roll-up of the period (assessment.teams_of)")
    who = "manager_id" if "manager_id" in t.columns else t.columns[0]
    start, rate = float(team["from"]), float(team["rate"])
    rows = []
    for rec in t.itertuples(index=False):
        mgr, rev, att = getattr(rec, who), float(rec.revenue), rec.attainment
        if np.isfinite(att) and att + _EPS >= start:
            amount = rev * rate
            rule = (f"team attainment {att:.2%} reaches {start:.0%}: "
                    f"{rate:.2%} of team revenue {rev:,.0f}")
        else:
            amount = 0.0
            rule = (f"team attainment {att:.2%} below {start:.0%}: no team "
                    "bonus" if np.isfinite(att) else "team has no target: no team bonus")
        amount, capped, rule = _capped(amount, rule, cap)
        rows.append({"rep_id": mgr, "role": "manager", "revenue": rev, "attainment": att,
                     "satisfaction": np.nan, "tier": start, "rate": rate, "bonus": amount,
                     "capped": capped, "rule": rule})
    return rows


def cap_warning(payouts: pd.DataFrame, plan: Mapping[str, Any], *,
                most: float = MOST_AT_CAP) -> str:
    """A plain warning when most paid reps earn the cap: the plan then needs review.

    Parameters
    ----------
    payouts : pandas.DataFrame
        From :func:`bonus` (``role``, ``bonus``, ``capped``).
    plan : mapping
        The plan paid by (its ``cap``).
    most : float, default :data:`MOST_AT_CAP`
        Share of the paid reps (bonus above 0) at the cap from which to warn.

    Returns
    -------
    str
        E.g. "**18 of 26 paid reps reach the cap of 60,000**: ..."; empty when fewer do, or
        when the plan has no cap.
    """
    reps = payouts[payouts["role"] == "rep"]
    paid = reps[reps["bonus"] > 0]
    capped = int(paid["capped"].sum())
    cap = plan.get("cap")
    if not cap or paid.empty or capped < most * len(paid):
        return ""
    return (f"**{capped} of {len(paid)} paid reps reach the cap of {float(cap):,.0f}:** for "
            "them the cap, not their attainment, decides the bonus, so beating the target by "
            "more earns nothing more. The plan needs review (a higher cap, or lower rates in "
            "the top tiers).")


def bonus_summary(payouts: pd.DataFrame, plan: Mapping[str, Any]) -> str:
    """Markdown: total payout against the budget, by role, and how many were capped or gated.

    Parameters
    ----------
    payouts : pandas.DataFrame
        From :func:`bonus`.
    plan : mapping
        The plan paid by (its ``budget`` is compared with the total).

    Returns
    -------
    str
        One Markdown sentence.
    """
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


def headline_numbers(card: Scorecard, payouts: pd.DataFrame) -> dict[str, Any]:
    """The numbers a sales director reads first about a period's assessment.

    Parameters
    ----------
    card : Scorecard
        The period's scorecard.
    payouts : pandas.DataFrame
        From :func:`bonus`.

    Returns
    -------
    dict
        ``period``; ``assessed`` (reps with a score); ``on_target`` (at or above target);
        ``median_attainment``; ``clear_top`` (rep ids whose pessimistic rank, the top of the
        90 % interval, is still within the top quarter, at least the top 3); ``rep_bonus``
        and ``reps_paid`` (total and number of reps with a bonus); ``manager_bonus``.
    """
    t = card.table.dropna(subset=["score"])
    top = max(3, int(np.ceil(len(t) / 4)))
    clear = t[t["rank_high"] <= top] if "rank_high" in t else t[:0]
    reps = payouts[payouts["role"] == "rep"]
    return {
        "period": card.period, "assessed": len(t), "on_target": int((t["attainment"] >= 1).sum()),
        "median_attainment": float(t["attainment"].median()),
        "clear_top": clear.index.tolist(),
        "rep_bonus": float(reps["bonus"].sum()), "reps_paid": int((reps["bonus"] > 0).sum()),
        "manager_bonus": float(payouts.loc[payouts["role"] == "manager", "bonus"].sum()),
    }
