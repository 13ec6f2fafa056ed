"""What the lead-scoring report shows: summaries, the key-lead list, the assignment view.

Thin compositions of :mod:`salesnb.leads` and :mod:`salesnb.assign` for the
``01_lead_scoring`` notebook and its widget panel: they wire report parameters to the analysis
functions and put the results into words, tables and charts; they compute nothing themselves.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from functools import partial
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown

from salesnb.core.fmt import code, escape, pct
from salesnb.leads.assignment import assign, expertise_from_customers
from salesnb.leads.defaults import DEFAULT_TIERS, TIERS
from salesnb.leads.evaluation import Comparison
from salesnb.leads.model import LeadModel
from salesnb.leads.plots import plot_loads
from salesnb.leads.tiers import tier_counts, top_leads, triage
from salesnb.report.catalog import LEAD_PANEL
from salesnb.report.reporting import show
from salesnb.report.widgets import Panel, panel

__all__ = ["TIERS", "model_summary", "baseline_verdict", "score_open", "key_leads",
           "with_rep_names", "assignment_view", "assignment_panel"]


def model_summary(model: LeadModel) -> str:
    """Markdown: which model was chosen, how well it ranks, and which columns it left out.

    Parameters
    ----------
    model : LeadModel
        From :func:`salesnb.leads.train`.

    Returns
    -------
    str
        Three short paragraphs.
    """
    m = model.metrics_
    cands = ", ".join(f"{escape(k)} {v:.3f}" for k, v in m["candidates"].items())
    excluded = "; ".join(f"{code(c)} ({escape(why)})" for c, why in model.excluded_.items())
    name = escape(m["model"])
    return (
        f"**Model: {name}**, chosen by {m['folds']}-fold cross-validated ROC AUC among: "
        f"{cands}. Trained on {m['n_train']:,} closed leads ({pct(m['positive_rate'], digits=1)} "
        f"converted).\n\n"
        f"Cross-validated: ROC AUC **{m['roc_auc']:.3f}** (0.5 = coin toss, 1 = perfect "
        f"ranking), average precision {m['average_precision']:.3f}, Brier score "
        f"{m['brier']:.3f} (lower is better), and the top 10 % of leads by score convert "
        f"**{m['lift_top_decile']:.1f}x** as often as the average lead.\n\n"
        f"Left out of the model: {excluded or 'nothing'}. Columns known only after the outcome "
        f"would make the model look better than it can be on open leads."
    )


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
    if comparison.beats("rule"):
        text = (f"On the same hold-out leads, the model ranks leads better than the policy's "
                f"screening score (ROC AUC {ours:.3f} against {rule:.3f}).")
    else:
        text = (f"**The policy's screening score does as well as or better than the model** "
                f"(ROC AUC {rule:.3f} against {ours:.3f}): keep using the rule score.")
    if not comparison.beats("plain_logistic", margin=0.005):
        text += (f" A plain logistic regression does about as well ({plain:.3f}): the gain "
                 f"comes from using all lead attributes, not from a complex model.")
    else:
        text += f" A plain logistic regression reaches {plain:.3f}."
    return text


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
        From :func:`salesnb.leads.train`.
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
        :meth:`LeadModel.score`'s table joined with ``region`` and ``industry``.
    """
    open_leads = leads[leads["status"] == "open"] if "status" in leads.columns else leads
    scored = model.score(open_leads, tiers=tiers, explain=explain,
                         half_life_days=half_life_days or None, as_of=as_of)
    extra = [c for c in ("region", "industry") if c in open_leads.columns]
    return scored.join(open_leads[extra])


def key_leads(scored: pd.DataFrame, leads: pd.DataFrame, top_n: int | None = None
              ) -> pd.DataFrame:
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

    Returns
    -------
    pandas.DataFrame
        :func:`salesnb.leads.top_leads`, for reading: lead_id, tier, "conversion %" (one
        decimal), expected_value, then "why" and the lead attributes.
    """
    out = top_leads(scored, leads, n=len(scored) if top_n is None else top_n)
    out["probability"] = (100 * out["probability"]).round(1)
    out = out.rename(columns={"probability": "conversion %", "top_factors": "why"})
    first = ["lead_id", "tier", "conversion %", "expected_value"]
    return out[first + [c for c in out.columns if c not in first]].reset_index(drop=True)


def with_rep_names(frame: pd.DataFrame, reps: pd.DataFrame | None, *,
                   rep: str = "rep_id") -> pd.DataFrame:
    """A list of leads with the rep's name beside the rep id, when the report loaded names.

    Names are personal data: a report has them only when it runs with ``show_pii``
    (:func:`salesnb.report.reporting.report_data` drops them otherwise), and without them
    this returns ``frame`` unchanged (ids only).

    Parameters
    ----------
    frame : pandas.DataFrame
        A list with a ``rep`` column (the proposed assignment).
    reps : pandas.DataFrame or None
        The rep table as the report loaded it (``rep_id``, ``name``).
    rep : str, default="rep_id"
        Rep id column of ``frame``.

    Returns
    -------
    pandas.DataFrame
        ``frame`` with a ``rep name`` column after ``rep``, in the same row order.
    """
    if reps is None or rep not in frame.columns or not {"rep_id", "name"} <= set(reps.columns):
        return frame
    names = reps.drop_duplicates("rep_id").set_index("rep_id")["name"]
    out = frame.copy()
    out.insert(list(frame.columns).index(rep) + 1, "rep name", frame[rep].map(names))
    return out


def assignment_view(tier_a: float, tier_b: float, tier_c: float, capacity: int,
                    fairness: float, min_tier: str, regions: Sequence[str] = (), *,
                    scored: pd.DataFrame, reps: pd.DataFrame,
                    expertise: pd.DataFrame | None = None,
                    rows: int = 15) -> tuple[Any, ...]:
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
        The reps, and their industry expertise (:func:`salesnb.assign.expertise_from_customers`).
    rows : int, default=15
        Assignment rows shown (the caption says how many there are; a scheduled report
        exports the whole lists beside itself as ``proposed_assignment.csv`` and
        ``unassigned_leads.csv``).

    Returns
    -------
    tuple
        A Markdown summary, the rep-load figure, the assignments and the unassigned leads
        (both as displayable tables).

    Raises
    ------
    salesnb.leads.LeadScoringError
        When the tier thresholds are not in order (A >= B >= C); the panel shows the message
        and keeps the last assignment.
    """
    start = time.perf_counter()
    leads = triage(scored, tiers=(tier_a, tier_b, tier_c), min_tier=min_tier, regions=regions)
    keep = leads["to_rep"]
    result = assign(leads[keep], reps, capacity=capacity, expertise=expertise,
                    fairness=fairness, only_open=False)
    s = result.summary()
    scope = f" in {', '.join(escape(r) for r in regions)}" if regions else ""
    tier = escape(min_tier)
    summary = Markdown(
        f"**{s['assigned']:,} of {int(keep.sum()):,} leads{scope} in tiers A–{tier} "
        f"assigned** to {s['reps']} reps ({pct(s['in_territory'])} in the lead's own region), "
        f"{s['unassigned']:,} left unassigned; {int((~keep).sum()):,} leads below tier "
        f"{tier} go to nurture. Tiers: "
        + ", ".join(f"{escape(t)} {n}" for t, n in tier_counts(leads["tier"]).items())
        + f". Fairness: Gini of expected value per unit of capacity {s['gini']:.2f} "
        f"(0 = perfectly even). Solver: {escape(s['status'])}; updated in "
        f"{1000 * (time.perf_counter() - start):.0f} ms.")
    fig, ax = plt.subplots(figsize=(9, 3.2))
    plot_loads(result, ax=ax)
    table = show(with_rep_names(result.assignments[
        ["lead_id", "rep_id", "region", "in_territory", "value", "reason"]], reps),
        "No lead assigned.", top=rows, full_name="proposed_assignment")
    unassigned = show(result.unassigned, "Every lead in the chosen tiers has a rep.", top=rows,
                      full_name="unassigned_leads")
    return summary, fig, table, unassigned


def assignment_panel(scored: pd.DataFrame, reps: pd.DataFrame, customers: pd.DataFrame | None,
                     **values: Any) -> Panel | None:
    """The lead report's widget panel: tiers, minimum tier, capacity, fairness and regions.

    The regions control becomes a multi-select of the regions of the open leads.

    Parameters
    ----------
    scored : pandas.DataFrame
        From :func:`score_open`.
    reps, customers : pandas.DataFrame
        Reps to assign to; customers give each rep's industry expertise (may be None).
    **values
        Starting values of the controls (the notebook's parameters).

    Returns
    -------
    Panel or None
        None in a headless run, where the output for ``values`` is shown statically.
    """
    expertise = expertise_from_customers(customers) if customers is not None else None
    known = tuple(sorted(scored["region"].dropna().astype(str).unique())) \
        if "region" in scored.columns else ()
    params = [dataclasses.replace(p, choices=known) if p.name == "regions" and known else p
              for p in LEAD_PANEL]
    fn = partial(assignment_view, scored=scored, reps=reps, expertise=expertise)
    return panel(params, fn, values)
