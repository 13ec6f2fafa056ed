"""The lead report for one scope: what is learnt from the company, what is the scope's own.

A report runs for a scope (the company, a region, a manager's team or one rep; see
:mod:`salesnb.scope`). What defines a score is learnt once from the whole company's closed
leads (:func:`lead_model`, :func:`baseline_comparison`), so a lead's score is the same on every
page; what the page describes is the scope's own (:func:`channel_conversion`,
:func:`scope_funnel`, :func:`conversion_summary`), beside one labelled company figure and, on
a rep's page, the median of the rep's team (never the other reps themselves).
:func:`assignment_pool` says which open leads a page's proposed assignment shares among whom:

* the company (the director): every open lead, among every rep, across regions;
* a region or a manager's team: the team's open leads without a rep, among the team's reps
  (the manager takes none: only role ``rep`` is a candidate);
* a rep: the team's assignment, of which the page shows only the rep's own rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from salesnb.leads.conversion import conversion_by, funnel
from salesnb.leads.defaults import DEFAULT_TIERS
from salesnb.leads.evaluation import Comparison, compare
from salesnb.leads.model import LeadModel, train
from salesnb.scope.filters import scoped, team_data
from salesnb.scope.shared import shared

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData

__all__ = ["COMPANY", "TEAM", "lead_model", "baseline_comparison", "score_open", "open_leads",
           "unassigned", "channel_conversion", "scope_funnel", "company_funnel",
           "conversion_summary", "AssignmentPool", "assignment_pool"]

#: Label of the whole company's figure beside a scope's.
COMPANY = "whole company"
#: Label of the median of a rep's team beside the rep's figure.
TEAM = "team median"


def lead_model(d: SalesData) -> LeadModel:
    """The lead-scoring model, learnt once from the whole company's closed leads.

    Parameters
    ----------
    d : SalesData
        Any scope's data (:func:`salesnb.scope.apply_scope`).

    Returns
    -------
    LeadModel
        :func:`salesnb.leads.train` on ``d.company.leads``, fitted once per process for every
        scope of the same data (:func:`salesnb.scope.shared`).
    """
    return shared(d, ("lead_model",), lambda: train(d.company.leads))


def baseline_comparison(d: SalesData) -> Comparison:
    """The model against the policy's screening score, on the company's hold-out leads.

    Parameters
    ----------
    d : SalesData
        Any scope's data.

    Returns
    -------
    Comparison
        :func:`salesnb.leads.compare` on ``d.company.leads``, computed once per process. Its
        model is of the kind :func:`lead_model` chose (boosting or logistic), retrained on
        the training part: the comparison is of the report's model, not of a new choice.
    """
    def run() -> Comparison:
        return compare(d.company.leads, candidates=(lead_model(d).metrics_["model"],))

    return shared(d, ("lead_comparison",), run)


def score_open(model: LeadModel, leads: pd.DataFrame, *,
               tiers: tuple[float, float, float] = DEFAULT_TIERS,
               explain: bool | int = True,
               half_life_days: float = 0.0, as_of: Any = "") -> pd.DataFrame:
    """Score the open leads (status "open"), with region and industry for the assignment.

    Every open lead is explained by default: the key-lead list ranks by expected value, not
    by probability, so explaining only the most probable leads would leave gaps.

    Parameters
    ----------
    model : LeadModel
        From :func:`salesnb.leads.train` (on a report: :func:`lead_model`).
    leads : pandas.DataFrame
        The lead table (only rows with status "open" are scored, when it has a status).
    tiers : tuple of three floats, default=(0.5, 0.3, 0.15)
        The report's tier thresholds.
    explain : bool or int, default=True
        As for :meth:`LeadModel.score`.
    half_life_days : float, default=0.0
        The report's decay half-life; 0 means no decay.
    as_of : str or date, default=""
        The report's day (``d.as_of``; "" = today).

    Returns
    -------
    pandas.DataFrame
        :meth:`LeadModel.score`'s table joined with ``region`` and ``industry``; its index
        is the lead table's.
    """
    opened = open_leads(leads)
    scored = model.score(opened, tiers=tiers, explain=explain,
                         half_life_days=half_life_days or None, as_of=as_of)
    extra = [c for c in ("region", "industry") if c in opened.columns]
    return scored.join(opened[extra])


def _status(leads: pd.DataFrame) -> pd.Series:
    return leads["status"].astype("string").str.strip().str.lower()


def open_leads(leads: pd.DataFrame) -> pd.DataFrame:
    """The open leads (status ``open``; every row when the table has no status).

    Parameters
    ----------
    leads : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
    """
    if "status" not in leads.columns:
        return leads
    return leads[(_status(leads) == "open").fillna(False).to_numpy()]


def unassigned(leads: pd.DataFrame) -> pd.Series:
    """Which rows of a lead table have no rep yet.

    Parameters
    ----------
    leads : pandas.DataFrame
        With ``assigned_rep_id`` (without it, every lead counts as unassigned).

    Returns
    -------
    pandas.Series
        Boolean, aligned with ``leads``.
    """
    if "assigned_rep_id" not in leads.columns:
        return pd.Series(True, index=leads.index)
    rep = leads["assigned_rep_id"].astype("string").str.strip()
    return (rep.isna() | (rep == "")).astype(bool)


def _team_reps(d: SalesData) -> tuple[SalesData, list[str]] | None:
    """A rep's team data and its sellers, when the rep has a team to compare with."""
    scope = scoped(d)
    if scope.kind != "rep" or len(scope.team) < 2:
        return None
    return team_data(d), list(scope.team)


def channel_conversion(d: SalesData, by: str = "source") -> pd.DataFrame:
    """Conversion per collection channel of the scope's leads, beside the company's rate.

    Parameters
    ----------
    d : SalesData
        The scope's data.
    by : str, default="source"
        A text column of the leads (a channel, an industry).

    Returns
    -------
    pandas.DataFrame
        :func:`salesnb.leads.conversion_by` of the scope's leads; for any scope but the
        company also ``conversion_rate, whole company`` (the company's rate per group), and
        on a rep's page ``conversion_rate, team median`` (the median over the rep's team of
        each rep's rate) after ``conversion_rate``.
    """
    table = conversion_by(d.leads, by)
    scope = scoped(d)
    if scope.is_company:
        return table
    company = shared(d, ("lead_conversion", by), lambda: conversion_by(d.company.leads, by))
    at = table.columns.get_loc("conversion_rate") + 1
    team = _team_reps(d)
    if team is not None and "assigned_rep_id" in d.leads.columns:
        data, reps = team
        own = data.leads[data.leads["assigned_rep_id"].astype("string").isin(reps)
                         .fillna(False).to_numpy()]
        per_rep = conversion_by(own, ["assigned_rep_id", by])["conversion_rate"]
        median = per_rep.unstack(0).median(axis=1, skipna=True)
        table.insert(at, f"conversion_rate, {TEAM}", median.reindex(table.index))
        at += 1
    table.insert(at, f"conversion_rate, {COMPANY}",
                 company["conversion_rate"].reindex(table.index))
    return table


def scope_funnel(d: SalesData) -> pd.DataFrame:
    """The customer-development funnel of the scope's opportunities, beside the company's.

    Parameters
    ----------
    d : SalesData
        The scope's data.

    Returns
    -------
    pandas.DataFrame
        :func:`salesnb.leads.funnel` of the scope's opportunities; for any scope but the
        company also ``stage_conversion, whole company``, and on a rep's page
        ``stage_conversion, team median`` (the median of the team's reps' funnels).
    """
    table = funnel(d.opportunities)
    scope = scoped(d)
    if scope.is_company:
        return table
    company = company_funnel(d)
    at = table.columns.get_loc("stage_conversion") + 1
    team = _team_reps(d)
    if team is not None and "rep_id" in d.opportunities.columns:
        data, reps = team
        opps = data.opportunities
        ids = opps["rep_id"].astype("string").str.strip()
        each = pd.DataFrame({r: funnel(opps[(ids == r).fillna(False).to_numpy()])
                             ["stage_conversion"] for r in reps})
        table.insert(at, f"stage_conversion, {TEAM}", each.median(axis=1, skipna=True))
        at += 1
    table.insert(at, f"stage_conversion, {COMPANY}", company["stage_conversion"])
    return table


def company_funnel(d: SalesData) -> pd.DataFrame:
    """The whole company's funnel (:func:`salesnb.leads.funnel`), computed once per process.

    Parameters
    ----------
    d : SalesData
        Any scope's data.

    Returns
    -------
    pandas.DataFrame
    """
    return shared(d, ("lead_funnel",), lambda: funnel(d.company.opportunities))


def _rate(leads: pd.DataFrame) -> tuple[int, int, float]:
    """Closed leads, converted leads and the conversion rate (NaN without a closed lead)."""
    if "status" not in leads.columns:
        return 0, 0, float("nan")
    status = _status(leads)
    converted = int((status == "converted").sum())
    closed = converted + int((status == "lost").sum())
    return closed, converted, converted / closed if closed else float("nan")


def conversion_summary(d: SalesData) -> dict[str, Any]:
    """The scope's conversion in a few numbers, with the company's and the team's.

    Parameters
    ----------
    d : SalesData
        The scope's data.

    Returns
    -------
    dict
        ``closed``, ``converted``, ``rate`` (the scope's), ``company_rate``,
        ``company_closed``; on a rep's page with a team also ``team_median`` (the median of
        the team's reps' rates), ``rank`` (1 = the team's best rate, ties share the better
        rank) and ``team_size`` (reps with a closed lead); ``open`` and ``open_unassigned``
        (the scope's open leads, and those without a rep).
    """
    closed, converted, rate = _rate(d.leads)
    company_closed, _, company_rate = _rate(d.company.leads)
    opened = open_leads(d.leads)
    out: dict[str, Any] = {"closed": closed, "converted": converted, "rate": rate,
                           "company_closed": company_closed, "company_rate": company_rate,
                           "open": len(opened), "open_unassigned": int(unassigned(opened).sum())}
    team = _team_reps(d)
    if team is not None and "assigned_rep_id" in d.leads.columns:
        data, reps = team
        ids = data.leads["assigned_rep_id"].astype("string").str.strip()
        rates = pd.Series({r: _rate(data.leads[(ids == r).fillna(False).to_numpy()])[2]
                           for r in reps}).dropna()
        me = scoped(d).value
        if me in rates.index and len(rates) > 1:
            out["team_median"] = float(rates.median())
            out["rank"] = int((rates > rates[me]).sum()) + 1
            out["team_size"] = len(rates)
    return out


@dataclass(frozen=True)
class AssignmentPool:
    """Which open leads a page's assignment shares among whom (see :func:`assignment_pool`).

    Attributes
    ----------
    scored : pandas.DataFrame
        The open leads to assign, scored (:func:`salesnb.leads.views.score_open`).
    reps : pandas.DataFrame
        The candidates (the assignment keeps those with role ``rep`` who are active).
    customers : pandas.DataFrame or None
        The accounts that give each candidate's industry expertise.
    kind : {"open", "team"}
        ``open``: every open lead of the company (the director's page); ``team``: the team's
        open leads without a rep.
    rep : str, optional
        On a rep's page, the rep: only the assignment's rows given to them are shown.
    regions : tuple of str
        The scope's regions (a region outside them selects no lead).
    """

    scored: pd.DataFrame
    reps: pd.DataFrame
    customers: pd.DataFrame | None
    kind: str = "open"
    rep: str | None = None
    regions: tuple[str, ...] = ()


def assignment_pool(d: SalesData, model: LeadModel, scored: pd.DataFrame, *,
                    half_life_days: float = 0.0) -> AssignmentPool:
    """The open leads a scope's proposed assignment shares, and the reps it shares them among.

    Parameters
    ----------
    d : SalesData
        The scope's data.
    model : LeadModel
        The company's model (:func:`lead_model`), to score a rep's team's leads.
    scored : pandas.DataFrame
        The scope's open leads, scored (:func:`salesnb.leads.views.score_open` of
        ``d.leads``; its index is the leads table's).
    half_life_days : float, default=0.0
        The report's decay half-life, for the team's leads scored here (a rep's page).

    Returns
    -------
    AssignmentPool
        The company: every scored lead, every rep. A region or a manager's team: the scored
        leads without a rep, the scope's reps. A rep: the open leads of the rep's team without
        a rep (scored here, as on the team's page), the team's reps (:func:`team_data`),
        and ``rep`` set to the rep.
    """
    scope = scoped(d)
    customers = d.get("customers")
    regions = tuple(scope.regions)
    if scope.is_company:
        return AssignmentPool(scored, d.reps, customers, "open", None, regions)
    if scope.kind != "rep":
        free = unassigned(d.leads.loc[scored.index]) if len(scored) else \
            pd.Series(dtype=bool)
        return AssignmentPool(scored[free.to_numpy(dtype=bool)], d.reps, customers, "team",
                              None, regions)
    team = team_data(d)
    pending = open_leads(team.leads)
    pending = pending[unassigned(pending).to_numpy(dtype=bool)]
    team_scored = score_open(model, pending, explain=False, half_life_days=half_life_days,
                             as_of=d.as_of)
    return AssignmentPool(team_scored, team.reps, team.get("customers"), "team", scope.value,
                          regions)

