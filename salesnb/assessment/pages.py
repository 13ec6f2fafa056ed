"""The rep-assessment page for each scope, as data: what the director, a manager and a rep read.

Every function takes the report's :class:`~salesnb.assessment.scoped.Assessment`
(:func:`~salesnb.assessment.scoped.assess`) and returns what its scope's page shows, branching
on the scope here so the notebook stays one call per cell: its sentences as Markdown text
(``*_text``), its tables and its charts. :mod:`salesnb.assessment.views` displays them
(``page_headline``, ``scorecard_view``, ...).

- the company (the director): every rep ranked together and the org roll-up of every manager
  and region;
- a region or a team: its reps ranked with each other, its roll-up, and one **Whole company**
  line (or sentence) to compare with; no other region's or team's people, nor the director;
- a rep: their own rank in the team with its range ("5th of 6 in the team; likely between 4th
  and 6th"), their KPIs beside the team median, their trend, bonus, promotion and training;
  the other reps only as team figures, never by name or id.

Rep names stand beside rep ids in every table (:func:`salesnb.scope.with_names`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from salesnb.assessment.bonuses import cap_warning, headline_numbers
from salesnb.assessment.company import company_card, company_line, company_payouts
from salesnb.assessment.names import _tick, _who, rep_names
from salesnb.assessment.plots import ranks_figure, trend_figure
from salesnb.assessment.ranks import rank_band, rank_words
from salesnb.assessment.scoped import Assessment, promotion_status, training_status
from salesnb.assessment.tables import org_table, scorecard_columns
from salesnb.assessment.trends import rep_trend
from salesnb.assessment.words import bonus_text, headline_lines
from salesnb.core.fmt import escape, no_html, pct
from salesnb.core.plots import FIXED_LAYOUT, axes, fit, say
from salesnb.scope.names import with_names

if TYPE_CHECKING:
    from salesnb.scope.model import Scope

__all__ = ["headline_text", "ranking_text", "scorecard_rows", "rank_figure", "plot_rep_trend",
           "trend_view", "org_rollup", "org_note_text", "payout_rows", "payout_text",
           "promotion_text", "training_text"]


def _where(scope: Scope) -> str:
    """The scope's people in words: "the East region", "the team of manager ..."."""
    if scope.kind == "region":
        return f"the {scope.value} region"
    if scope.kind == "manager":
        return f"the team of manager {_who(scope.value, scope.names)}"
    return "the company"


def headline_text(a: Assessment) -> str:
    """The numbers the page's reader reads first, for their scope.

    Parameters
    ----------
    a : Assessment
        The report's assessment.

    Returns
    -------
    str
        The company: :func:`~salesnb.assessment.words.headline_lines` with names. A region or
        team: the same for its reps, ranked with each other, and one line with the whole
        company's figures for comparison. A rep: their rank in the team with its range, their
        attainment beside the team's median and their bonus with its rule.
    """
    names = rep_names(a.data)
    if a.scope.is_company:
        return "\n".join(headline_lines(a.card, a.payouts, names))
    if a.rep is None:
        lines = headline_lines(a.card, a.payouts, names)
        lines[0] = lines[0].replace(" reps assessed**",
                                    f" reps of {escape(_where(a.scope))} assessed**, ranked "
                                    "with each other", 1)
        whole = company_card(a.data, a.period, a.card.weights)
        h = headline_numbers(whole, a.payouts.iloc[:0])
        if "attainment" not in whole.left_out:
            lines.append(f"- **Whole company** (for comparison): {h['assessed']} reps assessed, "
                         f"{h['on_target']} at or above target, median attainment "
                         f"{pct(h['median_attainment'])}.")
        return "\n".join(lines)
    band = rank_band(a.card, a.rep)
    who = _who(a.rep, names)
    if band is None:
        return (f"**{escape(a.period)}: {who} has no score in this period**: nothing "
                "the assessment counts (orders, deals, leads, surveys) is credited to "
                "them in it, so there is no rank and no bonus.")
    row = a.card.table.loc[a.rep]
    lines = [f"**{escape(a.period)}: {who} is {escape(rank_words(band))}** "
             f"(score {band['score']:.0f} of 100)."]
    if "attainment" not in a.card.left_out:
        median = float(a.card.table["attainment"].median())
        own = (f"attainment {pct(row['attainment'])}" if pd.notna(row["attainment"])
               else "no target this period")
        lines.append(f"- **Revenue** {row['revenue']:,.0f}: {own} (team median "
                     f"{pct(median)}).")
        pay = a.payouts[a.payouts["rep_id"].astype(str) == a.rep]
        if len(pay):
            lines.append(f"- **Bonus {float(pay['bonus'].iloc[0]):,.0f}**: "
                         f"{escape(pay['rule'].iloc[0])}.")
    else:
        lines.append(f"- Attainment is not assessed ({escape(a.card.left_out['attainment'])}), "
                     "so no bonus is due.")
    return "\n".join(lines)


def ranking_text(a: Assessment) -> str:
    """Who the scope's reps are ranked with, in one or two sentences.

    Parameters
    ----------
    a : Assessment
        The report's assessment.

    Returns
    -------
    str
        The company: every rep together. A region or team: its reps with each other (their
        points relative to each other). A rep: their rank in the team with its range.
    """
    n = a.team_size
    if a.scope.is_company:
        return (f"All {n} reps with a score in {escape(a.period)} are ranked together; "
                "the KPIs other than attainment and satisfaction are scored against "
                "their average.")
    if a.rep is None:
        return (f"The {n} reps of {escape(_where(a.scope))} with a score in "
                f"{escape(a.period)} are ranked with each other: the KPIs other than "
                "attainment and satisfaction are scored against their average, and "
                f"every rank and its range are among these {n}. The roll-up below "
                "compares them with the whole company.")
    band = rank_band(a.card, a.rep)
    who = _who(a.rep, rep_names(a.data))
    if band is None:
        return f"{who} has no score in {escape(a.period)}, so no rank in the team."
    if band["of"] == 1:
        return (f"{who} is the only rep of their team with a score in "
                f"{escape(a.period)}: the KPIs are scored against their own values "
                "and targets, and a rank says nothing.")
    return (f"{who} is **{escape(rank_words(band))}** ({n} reps with a score in "
            f"{escape(a.period)}): the KPIs other than attainment and satisfaction are "
            "scored against the team's average. The other reps are not shown; the "
            f"table below sets each KPI beside the team median (the median of the {n} "
            "reps, this one included).")


def scorecard_rows(a: Assessment) -> pd.DataFrame:
    """The scorecard rows the scope's page shows, with rep names beside the ids.

    Parameters
    ----------
    a : Assessment
        The report's assessment.

    Returns
    -------
    pandas.DataFrame
        :func:`~salesnb.assessment.tables.scorecard_columns` of the scope's reps (a rep:
        their own row, ranked within the team), with a ``rep`` name column.
    """
    return with_names(a.own(scorecard_columns(a.card)), a.data)


def _rep_rank_figure(a: Assessment) -> Figure:
    """The rep's rank in the team with its interval, on the axis 1..team size."""
    rep = a.rep or ""
    fig, ax = plt.subplots(figsize=(9, 1.9))
    band = rank_band(a.card, rep)
    if band is None:
        say(ax, f"{rep} has no score in {a.period}.")
        return fig
    if band["low"] is not None and band["high"] is not None:
        ax.hlines([0], band["low"], band["high"], color="#9ab", lw=8, alpha=0.8,
                  label="90 % interval")
    ax.plot([band["rank"]], [0], "o", color="#235", ms=9, label="rank")
    ax.set_xlim(0.5, band["of"] + 0.5)
    ax.set_xticks(range(1, band["of"] + 1))
    ax.set_yticks([0], [_tick(rep, rep_names(a.data))], fontsize=8)
    ax.set(title=f"Rank in the team with its uncertainty, {a.period} (1 = best, of "
                 f"{band['of']})", xlabel="rank in the team")
    ax.legend(loc="upper right", fontsize=8)
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.22, right=0.98, top=1 - 0.45 / height, bottom=0.6 / height)
    setattr(fig, FIXED_LAYOUT, True)
    return fig


def rank_figure(a: Assessment) -> Figure:
    """The rank chart of the page: the scope's reps, or the rep's own band in the team.

    Parameters
    ----------
    a : Assessment
        The report's assessment.

    Returns
    -------
    matplotlib.figure.Figure
        :func:`~salesnb.assessment.plots.ranks_figure` of the scope's reps (names beside the
        ids); on a rep's page the rep's rank and its 90 % interval on the team's axis, no
        other rep drawn.
    """
    if a.rep is not None:
        return _rep_rank_figure(a)
    return ranks_figure(a.card, labels=rep_names(a.data))


def plot_rep_trend(trend: pd.DataFrame, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """One rep's attainment per period beside the team's median (100 % = on target).

    Parameters
    ----------
    trend : pandas.DataFrame
        From :func:`~salesnb.assessment.trends.rep_trend`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current axes.
    **kwargs
        Passed to the rep's line (``Axes.plot``).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes(ax)
    if trend.empty or trend["attainment %"].isna().all():
        return say(ax, "The rep has no target in these periods.")
    x = np.arange(len(trend))
    ax.axhline(100, color="#888", lw=1, ls=":")
    ax.plot(x, trend["team median attainment %"], "--", color="#9ab", label="team median")
    ax.plot(x, trend["attainment %"], "o-", **{"color": "#235", "label": "the rep", **kwargs})
    ax.set_xticks(x, trend["period"].tolist(), fontsize=8)
    ax.set(title="Attainment per period (%), the rep and the team median", ylabel="attainment %")
    ax.legend(loc="best", fontsize=8)
    return ax


def trend_view(a: Assessment) -> Figure:
    """The trend chart of the page: the scope's reps, or the rep beside the team median.

    Parameters
    ----------
    a : Assessment
        The report's assessment.

    Returns
    -------
    matplotlib.figure.Figure
        :func:`~salesnb.assessment.plots.trend_figure` of the scope's reps (names beside the
        ids); on a rep's page :func:`plot_rep_trend` of the rep's own periods.
    """
    if a.rep is None:
        return trend_figure(a.blocks, a.team.get("reps"), until=a.period,
                            labels=rep_names(a.data))
    fig, ax = plt.subplots(figsize=(9, 3.4))
    plot_rep_trend(rep_trend(a), ax=ax)
    ax.set_title(f"Attainment per period (%), {_tick(a.rep, rep_names(a.data))} and the team "
                 "median")
    fit(fig)
    return fig


def org_rollup(a: Assessment) -> pd.DataFrame:
    """The org roll-up the page shows, with names beside the ids.

    Parameters
    ----------
    a : Assessment
        The report's assessment (its data needs a reps table with role, manager_id, region).

    Returns
    -------
    pandas.DataFrame
        The company: :func:`~salesnb.assessment.tables.org_table` (the director, each
        manager's team and its reps). A region or team: its managers' lines and reps, then one
        ``Whole company`` line (the company's summed counts,
        :func:`~salesnb.assessment.company.company_line`). A rep: their team's line (``level``
        "team") and their own.
    """
    org = org_table(a.blocks, a.team.reps, a.card)
    if a.rep is not None:
        keep = (org["level"] == "manager") & (org["who"].astype(str) == str(a.scope.manager))
        org = pd.concat([org[keep].assign(level="team"),
                         org[org["who"].astype(str) == a.rep]], ignore_index=True)
    elif not a.scope.is_company:
        org = org[org["who"].astype(str).isin(set(a.scope.reps))]
        line = company_line(a.data, a.period)
        row = {"level": "company", "who": "", "region": "all",
               **{c: line[c] for c in org.columns if c in line.index}}
        org = pd.concat([org, pd.DataFrame([row])], ignore_index=True)
    named = with_names(org.reset_index(drop=True), a.data, rep="who", label="name")
    if "name" in named.columns:
        named.loc[named["level"] == "company", "name"] = "Whole company"
    return named


def org_note_text(a: Assessment) -> str:
    """What the roll-up's lines are for the page's scope.

    Parameters
    ----------
    a : Assessment
        The report's assessment.

    Returns
    -------
    str
        One or two sentences on :func:`org_rollup`'s lines.
    """
    if a.scope.is_company:
        return ("The director's line adds up everyone; each manager's line adds up "
                "their team, followed by its reps.")
    if a.rep is not None:
        names = rep_names(a.data)
        team = (f"The team's line adds up the whole team of {_who(a.scope.manager, names)}"
                if a.scope.manager else "The rep has no team in the data")
        has_line = a.rep in set(org_rollup(a)["who"].astype(str))
        own = ("the rep's own line follows" if has_line
               else f"{_who(a.rep, names)} has no line: nothing is credited to them in "
                    f"{escape(a.period)}")
        return f"{team}; {own}. Other reps' lines are on their own pages."
    return (f"The manager's line adds up {escape(_where(a.scope))}; its reps follow. "
            "The last line, **Whole company**, adds up every rep of the company in the "
            "same period, for comparison.")


def payout_rows(a: Assessment) -> pd.DataFrame:
    """The page's payouts with rep names beside the ids (what the export holds too).

    Parameters
    ----------
    a : Assessment
        The report's assessment (its payouts are the scope's people only).

    Returns
    -------
    pandas.DataFrame
        :attr:`Assessment.payouts` with a ``rep`` name column.
    """
    return with_names(a.payouts, a.data)


def payout_text(a: Assessment) -> str:
    """The payouts against the budget, said for the page's scope.

    Parameters
    ----------
    a : Assessment
        The report's assessment.

    Returns
    -------
    str
        The company: :func:`~salesnb.assessment.words.bonus_text`. A region or team: its
        people's total, as a share of what the company pays in all, and the company's use of
        the budget (the budget is the company's, not the region's). A rep: their bonus with
        its rule. Raw HTML not yet removed (:func:`salesnb.core.fmt.no_html`).
    """
    if a.scope.is_company:
        return bonus_text(a.card, a.payouts, a.plan)
    gate = no_html(bonus_text(a.card, a.payouts, {**a.plan, "budget": None}, warn_cap=False))
    gate_note = gate.split("\n\n", 1)[1] if "\n\n" in gate else ""
    budget = a.plan.get("budget")
    if a.rep is not None:
        pay = a.payouts[a.payouts["rep_id"].astype(str) == a.rep]
        who = _who(a.rep, rep_names(a.data))
        text = (f"**{who}: bonus {float(pay['bonus'].sum()):,.0f}** — "
                f"{escape(pay['rule'].iloc[0])}." if len(pay)
                else f"{who} has no payout in {escape(a.period)} (no score in the period).")
        if budget:
            text += (f" The budget ({float(budget):,.0f}) is the company's, for every rep's and "
                     "manager's bonus.")
    else:
        total = float(a.payouts["bonus"].sum())
        whole = company_payouts(a.data, a.period, a.plan, a.card.weights)
        company = float(whole["bonus"].sum())
        by_role = a.payouts.groupby("role")["bonus"].sum()
        share = f", {total / company:.0%} of the company's total of {company:,.0f}" \
            if company > 0 else ""
        text = (f"**Total bonus {total:,.0f}** to the people of {escape(_where(a.scope))}"
                f"{share} ("
                + ", ".join(f"{r}s {v:,.0f}" for r, v in by_role.items()) + ").")
        if budget:
            used = company / float(budget)
            verdict = "within" if company <= float(budget) else "**over**"
            text += (f" The budget of {float(budget):,.0f} is the company's: all payouts "
                     f"together are {verdict} it ({used:.0%} used).")
        capped = int(a.payouts["capped"].sum())
        gated = int(a.payouts["rule"].str.contains("gate").sum())
        none = int(((a.payouts["role"] == "rep") & (a.payouts["bonus"] == 0)).sum())
        text += (f" {capped} capped, {gated} stopped by the satisfaction gate, {none} rep(s) "
                 "without a bonus.")
        warning = cap_warning(a.payouts, a.plan)
        if warning:
            text += "\n\n" + warning
    if gate_note:
        text += "\n\n" + gate_note
    return text


def promotion_text(a: Assessment) -> str:
    """Whether the page's rep is a promotion candidate, and why, in one sentence.

    Parameters
    ----------
    a : Assessment
        A rep's assessment (its history is ranked as its scorecard is: within the team).

    Returns
    -------
    str
        From :func:`~salesnb.assessment.scoped.promotion_status`.
    """
    status = promotion_status(a)
    who = _who(a.rep, rep_names(a.data))
    if status["candidate"]:
        return (f"**{who} is a promotion candidate** (ranked within the team): "
                f"{escape(status['reason'])}.")
    return (f"**{who} is not a promotion candidate** this time: "
            f"{escape(status['reason'])}.")


def training_text(a: Assessment) -> str:
    """The page's rep's training need, in one sentence.

    Parameters
    ----------
    a : Assessment
        A rep's assessment.

    Returns
    -------
    str
        The rep's weakest KPI under 75 points and the training it calls for
        (:func:`~salesnb.assessment.scoped.training_status`), that there is none, or that the
        rep has no score in the period.
    """
    needs = training_status(a)
    who = _who(a.rep, rep_names(a.data))
    if a.rep not in set(a.card.table.index):
        return (f"{who} has no score in {escape(a.period)}, so no training need is "
                "read from it.")
    if needs.empty:
        return f"**{who} has no training need**: every KPI scores 75 points or more."
    row = needs.iloc[0]
    return (f"**{who} has a training need: {escape(row['training'])}** — the weakest "
            f"KPI is {escape(row['reason'])}, under 75 points.")
