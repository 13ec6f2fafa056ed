"""What the lead-scoring report shows: summaries, the key-lead list, the assignment view.

Thin compositions of :mod:`salesnb.leads` and :mod:`salesnb.assign` for the
``01_lead_scoring`` notebook and its widget panel: they wire report parameters to the analysis
functions and put the results into words, tables and charts; they compute nothing themselves.
A report runs for a scope (:mod:`salesnb.scope`): the model is the company's
(:mod:`salesnb.leads.scoped`), the tables and sentences are the scope's
(:mod:`salesnb.leads.words`), and the proposed assignment is the role's: across regions for
the director, the team's unassigned leads among the team's reps for a region or a manager, and
for a rep only the rows of the team's assignment given to them.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown

from salesnb.core.fmt import code, escape, money, pct, plural
from salesnb.leads.assignment import Assignment, assign, expertise_from_customers
from salesnb.leads.defaults import TIERS
from salesnb.leads.evaluation import Comparison
from salesnb.leads.model import LeadModel
from salesnb.leads.plots import plot_loads
from salesnb.leads.scoped import (
    AssignmentPool,
    assignment_pool,
    baseline_comparison,
    channel_conversion,
    lead_model,
    scope_funnel,
    score_open,
)
from salesnb.leads.tiers import KEY_ATTRIBUTES, tier_counts, top_leads, triage
from salesnb.leads.words import (
    conversion_note,
    funnel_note,
    model_scope_note,
    open_leads_note,
)
from salesnb.report.catalog import LEAD_PANEL
from salesnb.report.reporting import show
from salesnb.report.widgets import Panel, panel
from salesnb.scope.names import REP_NAME, with_names

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData

__all__ = ["TIERS", "lead_model", "baseline_comparison", "model_summary", "baseline_verdict",
           "score_open", "channel_conversion", "conversion_note", "scope_funnel", "funnel_note",
           "open_leads_note", "key_leads", "with_rep_names", "assignment_pool",
           "assignment_view", "assignment_panel"]

#: Columns of the proposed assignment a page shows.
_SHOWN = ["lead_id", "rep_id", "region", "in_territory", "value", "reason"]


def _sampled(m: dict) -> str:
    """", a random sample of the 5,110,000 closed" when the model learnt from a sample."""
    total = m.get("n_labelled", m["n_train"])
    return (f", a random sample (stratified by outcome) of the {total:,} closed"
            if total > m["n_train"] else "")


def model_summary(model: LeadModel, d: SalesData | None = None) -> str:
    """Markdown: which model was chosen, how well it ranks, and which columns it left out.

    Parameters
    ----------
    model : LeadModel
        From :func:`salesnb.leads.train` (on a report: :func:`lead_model`, the company's).
    d : SalesData, optional
        The report's (scoped) data: adds the sentence saying the model is the whole
        company's and which open leads this page scores with it.

    Returns
    -------
    str
        Three short paragraphs (four with ``d``).
    """
    m = model.metrics_
    cands = ", ".join(f"{escape(k)} {v:.3f}" for k, v in m["candidates"].items())
    excluded = "; ".join(f"{code(c)} ({escape(why)})" for c, why in model.excluded_.items())
    name = escape(m["model"])
    return (
        f"**Model: {name}**, chosen by {m['folds']}-fold cross-validated ROC AUC among: "
        f"{cands}. Trained on {m['n_train']:,} closed leads ({pct(m['positive_rate'], digits=1)} "
        f"converted){_sampled(m)}.\n\n"
        f"Cross-validated: ROC AUC **{m['roc_auc']:.3f}** (0.5 = coin toss, 1 = perfect "
        f"ranking), average precision {m['average_precision']:.3f}, Brier score "
        f"{m['brier']:.3f} (lower is better), and the top 10 % of leads by score convert "
        f"**{m['lift_top_decile']:.1f}x** as often as the average lead.\n\n"
        f"Left out of the model: {excluded or 'nothing'}. Columns known only after the outcome "
        f"would make the model look better than it can be on open leads."
    ) + (f"\n\n{model_scope_note(model, d)}" if d is not None else "")


def baseline_verdict(comparison: Comparison) -> str:
    """Markdown verdict: does the model beat the policy's rule score and a plain logit.

    Parameters
    ----------
    comparison : Comparison
        From :func:`salesnb.leads.compare` on a table with the rule score's columns.

    Returns
    -------
    str
        One or two sentences; a plain logistic regression within 0.005 ROC AUC of the model
        "does about as well".
    """
    auc = comparison.metrics["roc_auc"]
    ours, rule, plain = auc["model"], auc["rule"], auc["plain_logistic"]
    kind = escape(comparison.model.metrics_["model"])
    if comparison.beats("rule"):
        text = (f"On the same hold-out leads, the model ({kind}) ranks leads better than the "
                f"policy's screening score (ROC AUC {ours:.3f} against {rule:.3f}).")
    else:
        text = (f"**The policy's screening score does as well as or better than the model "
                f"({kind})** (ROC AUC {rule:.3f} against {ours:.3f}): keep using the rule "
                "score.")
    if not comparison.beats("plain_logistic", margin=0.005):
        text += (f" A plain logistic regression does about as well ({plain:.3f}): the gain "
                 f"comes from using all lead attributes, not from a complex model.")
    else:
        text += f" A plain logistic regression reaches {plain:.3f}."
    return text


def key_leads(scored: pd.DataFrame, leads: pd.DataFrame, top_n: int | None = None, *,
              data: SalesData | None = None) -> pd.DataFrame:
    """The open leads worth following first: highest expected value, with the reasons.

    Parameters
    ----------
    scored : pandas.DataFrame
        From :meth:`LeadModel.score` (lead_id, probability, expected_value, tier,
        top_factors).
    leads : pandas.DataFrame
        The lead attributes (for source, industry, region, budget ...).
    top_n : int, optional
        Rows returned; default every scored lead, best first (a report shows the first rows
        with ``show(..., top=top_n, full_name="key_leads")``, which says how many there are
        and exports the whole list).
    data : SalesData, optional
        The report's (scoped) data: the list then says who holds each lead
        (``assigned_rep_id`` and the rep's name), except on a rep's page, where every lead is
        the rep's own.

    Returns
    -------
    pandas.DataFrame
        :func:`salesnb.leads.top_leads`, for reading: lead_id, tier, "conversion %" (one
        decimal), expected_value, (with ``data``) assigned_rep_id and rep, then "why" and the
        lead attributes.
    """
    holder = (data is not None and data.scope is not None and data.scope.kind != "rep"
              and "assigned_rep_id" in leads.columns)
    attributes = (*KEY_ATTRIBUTES, "assigned_rep_id") if holder else KEY_ATTRIBUTES
    out = top_leads(scored, leads, n=len(scored) if top_n is None else top_n,
                    attributes=attributes)
    out["probability"] = (100 * out["probability"]).round(1)
    out = out.rename(columns={"probability": "conversion %", "top_factors": "why"})
    first = ["lead_id", "tier", "conversion %", "expected_value",
             *(["assigned_rep_id"] if holder else [])]
    out = out[first + [c for c in out.columns if c not in first]].reset_index(drop=True)
    if holder and data is not None:
        out = with_names(out, data, rep="assigned_rep_id", customer=None)
    return out


def with_rep_names(frame: pd.DataFrame, reps: pd.DataFrame | None, *,
                   rep: str = "rep_id", column: str = "rep name") -> pd.DataFrame:
    """A list with each rep's name beside the rep id, from a reps table that has names.

    The report's views name reps with :func:`salesnb.scope.with_names` (names are shown
    beside ids by default: reps are colleagues); this does the same from a plain reps table
    (an assignment's candidates), and returns ``frame`` unchanged when it has no names.

    Parameters
    ----------
    frame : pandas.DataFrame
        A list with a ``rep`` column (the proposed assignment).
    reps : pandas.DataFrame or None
        A rep table (``rep_id``, ``name``).
    rep : str, default="rep_id"
        Rep id column of ``frame``.
    column : str, default="rep name"
        Name of the column added.

    Returns
    -------
    pandas.DataFrame
        ``frame`` with a ``column`` column after ``rep``, in the same row order.
    """
    if reps is None or rep not in frame.columns or not {"rep_id", "name"} <= set(reps.columns):
        return frame
    names = reps.drop_duplicates("rep_id").set_index("rep_id")["name"]
    out = frame.copy()
    out.insert(list(frame.columns).index(rep) + 1, column,
               frame[rep].map(names).astype("string").fillna(""))
    return out


def _regions_note(regions: Sequence[str], scope_regions: Sequence[str], company: bool) -> str:
    """A sentence for the chosen regions outside the scope ("" when every one is inside)."""
    outside = [r for r in regions if scope_regions and r not in scope_regions]
    if not outside:
        return ""
    names = ", ".join(escape(r) for r in outside)
    where = ("in the data" if company
             else f"of this report's scope ({', '.join(escape(r) for r in scope_regions)})")
    verb = "is not a region" if len(outside) == 1 else "are not regions"
    rest = (" No lead is selected: leave *regions* empty for every region of the scope, or "
            "choose among its own." if len(outside) == len(regions) else
            f" No lead of {'it' if len(outside) == 1 else 'them'} is selected.")
    return f"**{names} {verb} {where}.**{rest} "


def _team_view(result: Assignment, leads: pd.DataFrame, keep: pd.Series, *, rep: str,
               reps: pd.DataFrame, capacity: int, tier: str, where: str, rows: int
               ) -> tuple[Any, ...]:
    """A rep's share of the team's assignment: one sentence on the team, the rep's rows."""
    s = result.summary()
    named = reps.set_index(reps["rep_id"].astype("string"))["name"].to_dict() \
        if "name" in reps.columns else {}
    me = escape(f"{named[rep]} ({rep})" if named.get(rep) else rep)
    mine = result.assignments[result.assignments["rep_id"].astype("string") == rep]
    text = (f"The team's {plural(len(leads), 'unassigned open lead')}{where}: "
            f"{int(keep.sum()):,} in tiers A–{tier} were shared among "
            f"{plural(s['reps'], 'rep')} of the team")
    if rep in set(result.loads["rep_id"].astype("string")):
        value = pd.to_numeric(mine["value"], errors="coerce").sum()
        text += (f"; **{me} gets {plural(len(mine), 'new lead')}**"
                 + (f" (expected value {money(value)})" if len(mine) else "")
                 + f", within a capacity of {capacity:,}")
    else:
        text += f"; {me} takes no new lead (only active reps take new leads)"
    text += (f". {int((~keep).sum()):,} below tier {tier} go to nurture"
             + (f"; {s['unassigned']:,} stay unassigned for lack of capacity"
                if s["unassigned"] else "") + ".")
    table = show(with_rep_names(mine[_SHOWN], reps, column=REP_NAME),
                 f"No new lead for {rep} in this proposal.", top=rows,
                 full_name="proposed_assignment")
    return Markdown(text), table


def assignment_view(tier_a: float, tier_b: float, tier_c: float, capacity: int,
                    fairness: float, min_tier: str, regions: Sequence[str] = (), *,
                    scored: pd.DataFrame, reps: pd.DataFrame,
                    expertise: pd.DataFrame | None = None,
                    rows: int = 15, pool: str = "open", rep: str | None = None,
                    scope_regions: Sequence[str] = ()) -> tuple[Any, ...]:
    """Re-tier scored open leads and propose an assignment (a dry run).

    The widget panel of the lead report calls this on every change; it returns what to
    display: a summary, the rep-load chart, the proposed assignments, and the leads left
    without a rep. It only re-tiers and re-solves: the leads were scored once, before.

    Parameters
    ----------
    tier_a, tier_b, tier_c : float
        Probability thresholds of tiers A, B and C.
    capacity : int
        New leads each rep can take.
    fairness : float
        Weight of spreading expected value in proportion to capacity (0 = ignore).
    min_tier : {"A", "B", "C", "D"}
        Lowest tier assigned to a rep; lower tiers go to marketing nurture.
    regions : sequence of str, default=()
        Only the open leads of these regions are assigned (empty: every region), e.g. a
        regional manager's own.
    scored : pandas.DataFrame
        Open leads from :meth:`LeadModel.score` joined with their region and industry.
    reps, expertise : pandas.DataFrame
        The candidate reps, and their industry expertise
        (:func:`salesnb.assign.expertise_from_customers`).
    rows : int, default=15
        Assignment rows shown (the caption says how many there are; a scheduled report
        exports the whole lists beside itself as ``proposed_assignment.csv`` and
        ``unassigned_leads.csv``).
    pool : {"open", "team"}, default="open"
        What ``scored`` holds: every open lead (the director's page), or the team's open leads
        without a rep (a region's, a manager's or a rep's page).
    rep : str, optional
        A rep's page: the assignment is the team's, and only the rows given to this rep are
        shown, with one sentence on the team (no other rep is named).
    scope_regions : sequence of str, default=()
        The report's regions: a region of ``regions`` outside them selects no lead, and the
        summary says so.

    Returns
    -------
    tuple
        A Markdown summary, the rep-load figure, the assignments and the unassigned leads
        (both as displayable tables); on a rep's page the summary and the rep's rows.

    Raises
    ------
    salesnb.leads.LeadScoringError
        When the tier thresholds are not in order (A >= B >= C); the panel shows the message
        and keeps the last assignment.
    """
    start = time.perf_counter()
    regions = list(regions)
    leads = triage(scored, tiers=(tier_a, tier_b, tier_c), min_tier=min_tier, regions=regions)
    keep = leads["to_rep"]
    result = assign(leads[keep], reps, capacity=capacity, expertise=expertise,
                    fairness=fairness, only_open=False)
    s = result.summary()
    where = f" in {', '.join(escape(r) for r in regions)}" if regions else ""
    tier = escape(min_tier)
    note = _regions_note(regions, scope_regions, company=pool == "open")
    if rep is not None:
        text, table = _team_view(result, leads, keep, rep=rep, reps=reps, capacity=capacity,
                                 tier=tier, where=where, rows=rows)
        return Markdown(note + text.data), table
    what, among = ("leads", f"{s['reps']} reps") if pool == "open" else (
        "unassigned leads", f"{s['reps']} of the team's {len(result.loads):,} active reps")
    summary = Markdown(
        note + f"**{s['assigned']:,} of {int(keep.sum()):,} {what}{where} in tiers A–{tier} "
        f"assigned** to {among} ({pct(s['in_territory'])} in the lead's own region), "
        f"{s['unassigned']:,} left unassigned; {int((~keep).sum()):,} leads below tier "
        f"{tier} go to nurture. Tiers: "
        + ", ".join(f"{escape(t)} {n}" for t, n in tier_counts(leads["tier"]).items())
        + f". Fairness: Gini of expected value per unit of capacity {s['gini']:.2f} "
        f"(0 = perfectly even). Solver: {escape(s['status'])}; updated in "
        f"{1000 * (time.perf_counter() - start):.0f} ms."
        + (" Only the team's open leads without a rep are proposed (the others keep theirs), "
           "to the team's own reps; the manager takes none." if pool == "team" else ""))
    fig, ax = plt.subplots(figsize=(9, 3.2))
    plot_loads(result, ax=ax)
    table = show(with_rep_names(result.assignments[_SHOWN], reps, column=REP_NAME),
                 "No lead assigned.", top=rows, full_name="proposed_assignment")
    unassigned = show(result.unassigned, "Every lead in the chosen tiers has a rep.", top=rows,
                      full_name="unassigned_leads")
    return summary, fig, table, unassigned


def assignment_panel(scored: pd.DataFrame | AssignmentPool, reps: pd.DataFrame | None = None,
                     customers: pd.DataFrame | None = None, **values: Any) -> Panel | None:
    """The lead report's widget panel: tiers, minimum tier, capacity, fairness and regions.

    The regions control becomes a multi-select of the regions of the open leads (of the
    scope, for a scope's pool).

    Parameters
    ----------
    scored : pandas.DataFrame or AssignmentPool
        From :func:`score_open`, with ``reps`` and ``customers``; or a scope's pool from
        :func:`assignment_pool` (its candidates, accounts, role and regions; ``reps`` and
        ``customers`` are then not given).
    reps, customers : pandas.DataFrame
        Reps to assign to; customers give each rep's industry expertise (may be None).
    **values
        Starting values of the controls (the notebook's parameters).

    Returns
    -------
    Panel or None
        None in a headless run, where the output for ``values`` is shown statically.
    """
    if isinstance(scored, AssignmentPool):
        pool = scored
    else:
        if reps is None:
            raise TypeError("assignment_panel() needs the reps beside scored leads "
                            "(or a pool from assignment_pool)")
        pool = AssignmentPool(scored, reps, customers)
    frame = pool.scored
    expertise = (expertise_from_customers(pool.customers) if pool.customers is not None
                 else None)
    known = tuple(sorted(frame["region"].dropna().astype(str).unique())) \
        if "region" in frame.columns else ()
    if pool.kind == "team" and pool.regions:
        known = tuple(pool.regions)
    params = [dataclasses.replace(p, choices=known) if p.name == "regions" and known else p
              for p in LEAD_PANEL]
    fn = partial(assignment_view, scored=frame, reps=pool.reps, expertise=expertise,
                 pool=pool.kind, rep=pool.rep, scope_regions=pool.regions)
    return panel(params, fn, values)
