"""The lead report's scope sentences: what a page's numbers are, said for its scope.

The report's markdown cells are static text, true for every scope; these functions return the
Markdown sentence that depends on the scope (who the page is for, how many leads it holds, how
the scope converts beside the whole company and, on a rep's page, beside the team's median).
Every number in a sentence is recomputed from the table beside it or from
:mod:`salesnb.leads.scoped`; no other rep is ever named on a rep's page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from salesnb.core.fmt import escape, pct, plural
from salesnb.leads.defaults import TIERS
from salesnb.leads.scoped import COMPANY, TEAM, company_funnel, conversion_summary, unassigned
from salesnb.leads.tiers import tier_counts
from salesnb.scope.filters import scoped

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData
    from salesnb.leads.model import LeadModel
    from salesnb.scope.model import Scope

__all__ = ["person", "who", "ordinal", "model_scope_note", "conversion_note", "funnel_note",
           "open_leads_note"]


def person(scope: Scope, rep_id: str | None) -> str:
    """A rep as a page names them: ``Ashley Robinson (R013)``, or the id without a name.

    Parameters
    ----------
    scope : Scope
        Holds the reps' names.
    rep_id : str or None

    Returns
    -------
    str
        Escaped for Markdown.
    """
    if not rep_id:
        return ""
    name = scope.names.get(rep_id)
    return escape(f"{name} ({rep_id})" if name else rep_id)


def who(d: SalesData) -> str:
    """Whom a page is about, for a sentence: "the company", "the East region", a rep's name.

    Parameters
    ----------
    d : SalesData
        The scope's data.

    Returns
    -------
    str
        Escaped for Markdown.
    """
    scope = scoped(d)
    if scope.kind == "region":
        return f"the {escape(scope.value)} region"
    if scope.kind == "manager":
        return f"the team of manager {person(scope, scope.value)}"
    if scope.kind == "rep":
        return person(scope, scope.value)
    return "the company"


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``22nd``.

    Parameters
    ----------
    n : int

    Returns
    -------
    str
    """
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def model_scope_note(model: LeadModel, d: SalesData) -> str:
    """One sentence: the model is the company's, and this page applies it to its own leads.

    Parameters
    ----------
    model : LeadModel
        The company's model (:func:`salesnb.leads.scoped.lead_model`).
    d : SalesData
        The scope's data.

    Returns
    -------
    str
    """
    n_open = conversion_summary(d)["open"]
    m = model.metrics_
    learnt = (f"all {m['n_train']:,} closed leads" if m.get("n_labelled", m["n_train"])
              <= m["n_train"] else f"a random {m['n_train']:,} (stratified by outcome) of the "
              f"{m['n_labelled']:,} closed leads")
    return (f"The model is learnt once from {learnt} of "
            f"the whole company, whatever the report's scope, so a lead's score is the same on "
            f"every page; here it scores the {plural(n_open, 'open lead')} of {who(d)}.")


def conversion_note(d: SalesData, table: pd.DataFrame) -> str:
    """How the scope's closed leads convert, beside the company (and a rep's team).

    Parameters
    ----------
    d : SalesData
        The scope's data.
    table : pandas.DataFrame
        From :func:`salesnb.leads.scoped.channel_conversion`.

    Returns
    -------
    str
        Markdown.
    """
    s = conversion_summary(d)
    scope = scoped(d)
    if not s["closed"]:
        return f"{_cap(who(d))} has no closed lead yet: there is no conversion rate to show."
    text = (f"{_cap(who(d))}: {plural(s['closed'], 'closed lead')}, "
            f"{s['converted']:,} converted (**{pct(s['rate'], digits=1)}**).")
    rated = table.dropna(subset=["conversion_rate"]) if "conversion_rate" in table else table
    rated = rated[rated["closed"] > 0] if "closed" in rated else rated
    if len(rated) > 1:
        best, worst = rated["conversion_rate"].idxmax(), rated["conversion_rate"].idxmin()
        text += (f" Best channel: {escape(best)} ({pct(rated.loc[best, 'conversion_rate'])}); "
                 f"weakest: {escape(worst)} ({pct(rated.loc[worst, 'conversion_rate'])}).")
    if scope.is_company:
        return text
    text += (f" The whole company converts {pct(s['company_rate'], digits=1)} of its "
             f"{s['company_closed']:,} closed leads (column *conversion_rate, {COMPANY}*).")
    if "team_median" in s:
        text += (f" The team's median rep converts {pct(s['team_median'], digits=1)} (column "
                 f"*conversion_rate, {TEAM}*); {who(d)} ranks {ordinal(s['rank'])} of "
                 f"{s['team_size']} in the team.")
    return text


def _weakest(table: pd.DataFrame) -> str | None:
    conv = table["stage_conversion"].dropna()
    return str(conv.idxmin()) if len(conv) else None


def funnel_note(d: SalesData, table: pd.DataFrame) -> str:
    """How the scope's opportunities move through the funnel, beside the company's.

    Parameters
    ----------
    d : SalesData
        The scope's data.
    table : pandas.DataFrame
        From :func:`salesnb.leads.scoped.scope_funnel`.

    Returns
    -------
    str
        Markdown.
    """
    visits = int(table["reached"].iloc[0]) if len(table) else 0
    if not visits:
        return f"{_cap(who(d))} has no opportunity in the funnel yet."
    stages = list(table.index)
    text = (f"{_cap(who(d))}: {plural(visits, 'opportunity')} reached a visit, "
            f"{pct(table.loc['won', 'share_of_visits'])} were won.")
    weak = _weakest(table)
    if weak is not None:
        before = stages[stages.index(weak) - 1]
        text += (f" The weakest step is {escape(before)} → {escape(weak)}: "
                 f"{pct(table.loc[weak, 'stage_conversion'])} move on")
        extra = [f"{label} {pct(table.loc[weak, col])}" for label, col in
                 ((TEAM, f"stage_conversion, {TEAM}"), (COMPANY, f"stage_conversion, {COMPANY}"))
                 if col in table.columns and np.isfinite(table.loc[weak, col])]
        text += f" ({'; '.join(extra)})." if extra else "."
    if not scoped(d).is_company:
        company = company_funnel(d)
        if len(company) and company["reached"].iloc[0]:
            text += (f" The whole company wins {pct(company.loc['won', 'share_of_visits'])} "
                     f"of its {int(company['reached'].iloc[0]):,} opportunities.")
    return text


def open_leads_note(d: SalesData, scored: pd.DataFrame) -> str:
    """How many open leads the page lists, and whose they are.

    Parameters
    ----------
    d : SalesData
        The scope's data.
    scored : pandas.DataFrame
        The scope's open leads, scored (:func:`salesnb.leads.scoped.score_open`).

    Returns
    -------
    str
        Markdown; "R013 has no open lead." when there is none.
    """
    scope = scoped(d)
    n = len(scored)
    if not n:
        return f"{_cap(who(d))} has no open lead."
    counts = tier_counts(scored["tier"]) if "tier" in scored.columns else pd.Series(dtype=int)
    tiers = ", ".join(f"{t} {int(counts.get(t, 0)):,}" for t in TIERS) if len(counts) else ""
    tiers = f" Tiers: {tiers}." if tiers else ""
    if scope.kind == "rep":
        return (f"{who(d)} holds **{plural(n, 'open lead')}**, ranked below by expected "
                f"value.{tiers} New leads proposed for them from the team's unassigned leads "
                f"are under *Proposed assignment*.")
    free = int(unassigned(d.leads.loc[scored.index]).sum()) if set(scored.index) <= set(
        d.leads.index) else 0
    text = (f"{_cap(who(d))} has **{plural(n, 'open lead')}**, {free:,} of them without a rep "
            f"yet; ranked below by expected value.{tiers}")
    if not scope.is_company:
        text += (" The *assigned_rep_id* column says who holds each; the ones without a rep "
                 "are proposed to the team's reps under *Proposed assignment*.")
    return text
