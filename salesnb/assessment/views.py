"""What the rep-assessment report shows: headline, scorecard, payouts, each scope's page, panel.

The display layer of ``05_rep_assessment`` and its widget panel, on one
:class:`~salesnb.assessment.Scorecard`: it puts the report's sentences
(:mod:`~salesnb.assessment.words`, and each scope's in :mod:`~salesnb.assessment.pages`) into
Markdown and its tables into styled tables, for the company, a region, a team or a rep; the
tables and charts themselves are built in :mod:`~salesnb.assessment.tables`,
:mod:`~salesnb.assessment.plots` and :mod:`~salesnb.assessment.pages` (their names are
importable from here too). The panel holds a computed scorecard: new weights only re-weigh
cached KPI points and new tiers only re-run the bonus rules, so a change redraws in
milliseconds without touching the data; given the report's
:class:`~salesnb.assessment.Assessment`, it shows the results for its scope.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from functools import partial
from typing import Any

import pandas as pd
from IPython.display import Markdown

from salesnb.assessment.blocks import counts, teams_of
from salesnb.assessment.bonuses import bonus, load_plan, plan_from
from salesnb.assessment.names import _who, rep_names
from salesnb.assessment.pages import (
    headline_text,
    org_note_text,
    payout_rows,
    payout_text,
    promotion_text,
    rank_figure,
    ranking_text,
    scorecard_rows,
    training_text,
)
from salesnb.assessment.periods import period_choices
from salesnb.assessment.plots import plot_ranks, plot_trend, ranks_figure, trend_figure
from salesnb.assessment.ranks import rank_band, rank_words
from salesnb.assessment.scoped import (
    Assessment,
    promotion_list,
    rep_trend,
    scope_payouts,
    scope_trend,
    team_medians,
    training_status,
)
from salesnb.assessment.scoring import Scorecard, scorecard, weights_from
from salesnb.assessment.tables import org_table, scorecard_columns
from salesnb.assessment.words import (
    bonus_text,
    headline_lines,
    history_text,
    scoring_text,
    weights_text,
)
from salesnb.core.export import write_table
from salesnb.core.fmt import escape, no_html
from salesnb.core.periods import period_freq
from salesnb.report.catalog import ASSESSMENT_PANEL
from salesnb.report.params import Param
from salesnb.report.reporting import export_note, show
from salesnb.report.widgets import Panel, panel
from salesnb.scope.names import with_names

__all__ = ["report_plan", "headline", "scoring_note", "scorecard_columns", "plot_ranks",
           "ranks_figure", "plot_trend", "trend_figure", "org_table", "bonus_overview",
           "history_note", "assessment_view", "assessment_panel", "payout_note", "rep_names",
           "page_headline", "ranking_note", "scorecard_view", "team_comparison", "trend_table",
           "org_view_note", "payout_view", "payout_overview", "promotion_view",
           "training_view"]


def report_plan(plan_file: str = "", budget: float | None = None,
                **values: Any) -> dict[str, Any]:
    """The plan the report pays by: the YAML file when given, else the tier controls.

    Parameters
    ----------
    plan_file : str, default=""
        A YAML bonus plan (relative paths from the current folder, then the project).
    budget : float, optional
        The report's budget, replacing the plan's.
    **values
        The tier parameters of :func:`~salesnb.assessment.bonuses.plan_from`.

    Returns
    -------
    dict
        The validated plan.
    """
    if plan_file:
        from salesnb.paths import resolve_path

        plan = load_plan(resolve_path(plan_file))
    else:
        plan = plan_from(**values)
    if budget is not None:
        plan["budget"] = budget
    return plan


def headline(card: Scorecard, payouts: pd.DataFrame | None = None, *,
             names: Mapping[str, str] | None = None) -> Markdown:
    """The numbers a sales director reads first.

    Parameters
    ----------
    card : Scorecard
        The period's scorecard.
    payouts : pandas.DataFrame, optional
        From :func:`~salesnb.assessment.bonuses.bonus`; the bonus line is left out without.
    names : mapping, optional
        Rep id -> name, shown beside the ids (:func:`rep_names`).

    Returns
    -------
    IPython.display.Markdown
        :func:`~salesnb.assessment.words.headline_lines`: reps assessed and on target, the
        clear top quarter, the bonuses; when the data cannot measure attainment, that it (and
        with it the bonus) is not assessed, and why.
    """
    return Markdown("\n".join(headline_lines(card, payouts, names or {})))


def scoring_note(card: Scorecard) -> Markdown:
    """What the score is made of: the weights used, and the KPIs left out with the reason.

    Parameters
    ----------
    card : Scorecard
        The period's scorecard.

    Returns
    -------
    IPython.display.Markdown
        One or two sentences; the weights used are the weights set, divided by the share of
        them the data can measure.
    """
    return Markdown(scoring_text(card))


def bonus_overview(card: Scorecard, payouts: pd.DataFrame, plan: dict[str, Any]) -> Markdown:
    """The payout total against the budget, and what the data means for the plan's gate.

    Parameters
    ----------
    card : Scorecard
        The period's scorecard.
    payouts : pandas.DataFrame
        From :func:`~salesnb.assessment.bonuses.bonus`.
    plan : dict
        The plan paid by.

    Returns
    -------
    IPython.display.Markdown
        :func:`~salesnb.assessment.bonuses.bonus_summary`, and, when the data has no survey
        for the satisfaction gate to read, that the gate stops every bonus and how to change
        that.
    """
    return Markdown(no_html(bonus_text(card, payouts, plan)))


def history_note(hist: pd.DataFrame, *, min_periods: int = 3) -> Markdown:
    """Which periods the promotion history covers, and which were left out and why.

    Parameters
    ----------
    hist : pandas.DataFrame
        From :func:`~salesnb.assessment.careers.history`.
    min_periods : int, default=3
        Periods in the top quarter a promotion needs (as passed to
        :func:`~salesnb.assessment.careers.promotion_candidates`).

    Returns
    -------
    IPython.display.Markdown
        One or two sentences.
    """
    return Markdown(history_text(hist, min_periods=min_periods))


def payout_note(payouts: pd.DataFrame | Assessment, file_name: str) -> Markdown:
    """Write the payouts to Excel beside a scheduled report and say where.

    Parameters
    ----------
    payouts : pandas.DataFrame or Assessment
        From :func:`~salesnb.assessment.bonuses.bonus`, or the report's assessment: then
        its scope's people only, with their names.
    file_name : str
        The report's ``payouts_file`` (empty: nothing written).

    Returns
    -------
    IPython.display.Markdown
        Where the file went, or how to write it by hand.
    """
    table = (with_names(payouts.payouts, payouts.data) if isinstance(payouts, Assessment)
             else payouts)
    return Markdown(export_note(
        file_name, partial(write_table, {"payouts": table}),
        what="the payouts with their audit lines (one row per person, the rule behind each "
             "amount)",
        how=f'salesnb.core.export.write_table(payouts, "{file_name}")', param="payouts_file"))


# --------------------------------------------------------------------------- the page of a scope


def page_headline(a: Assessment) -> Markdown:
    """The numbers the page's reader reads first, for their scope.

    Parameters
    ----------
    a : Assessment
        The report's assessment.

    Returns
    -------
    IPython.display.Markdown
        :func:`~salesnb.assessment.pages.headline_text`. The company: :func:`headline` with
        names. A region or team: the same for its reps, ranked with each other, and one line
        with the whole company's figures for comparison. A rep: their rank in the team with
        its range, their attainment beside the team's median and their bonus with its rule.
    """
    return Markdown(headline_text(a))


def ranking_note(a: Assessment) -> Markdown:
    """Who the scope's reps are ranked with, in one or two sentences.

    Parameters
    ----------
    a : Assessment
        The report's assessment.

    Returns
    -------
    IPython.display.Markdown
        :func:`~salesnb.assessment.pages.ranking_text`. The company: every rep together. A
        region or team: its reps with each other (their points relative to each other). A
        rep: their rank in the team with its range.
    """
    return Markdown(ranking_text(a))


def scorecard_view(a: Assessment, *, top: int | None = None) -> Any:
    """The scope's scorecard as the page shows it.

    Parameters
    ----------
    a : Assessment
        The report's assessment.
    top : int, optional
        Rows shown (the caption says how many there are).

    Returns
    -------
    pandas.io.formats.style.Styler or IPython.display.Markdown
        :func:`~salesnb.assessment.pages.scorecard_rows`, or a sentence when the rep has no
        score.
    """
    empty = (f"{a.rep} has no score in {a.period}." if a.rep is not None
             else f"No rep has a score in {a.period}.")
    return show(scorecard_rows(a), empty, precision=1, top=top)


def team_comparison(a: Assessment) -> Any:
    """A rep's KPIs beside the team median; what other pages show instead.

    Parameters
    ----------
    a : Assessment
        The report's assessment.

    Returns
    -------
    pandas.io.formats.style.Styler or IPython.display.Markdown
        A rep: :func:`~salesnb.assessment.scoped.team_medians`. Other scopes: a sentence
        (the scorecard above ranks the reps with each other; each rep's page compares them
        with their team's median).
    """
    if a.rep is None:
        return Markdown("Each rep's own page sets their KPIs beside their team's median; here "
                        "the scorecard above ranks the reps with each other.")
    return show(team_medians(a.card, a.rep),
                f"{a.rep} has no score in {a.period} to compare with the team.", precision=1)


def trend_table(a: Assessment) -> Any:
    """The trend in figures: the rep's own KPIs per period, or the scope's reps together.

    Parameters
    ----------
    a : Assessment
        The report's assessment.

    Returns
    -------
    pandas.io.formats.style.Styler or IPython.display.Markdown
        :func:`~salesnb.assessment.scoped.rep_trend` (with the rep's name) on a rep's page,
        else :func:`~salesnb.assessment.scoped.scope_trend`.
    """
    if a.rep is not None:
        return show(with_names(rep_trend(a), a.data), "No period to show.", precision=1)
    return show(scope_trend(a), "No period to show.", precision=1)


def org_view_note(a: Assessment) -> Markdown:
    """What the roll-up's lines are for the page's scope.

    Parameters
    ----------
    a : Assessment
        The report's assessment.

    Returns
    -------
    IPython.display.Markdown
        :func:`~salesnb.assessment.pages.org_note_text`.
    """
    return Markdown(org_note_text(a))


def payout_view(a: Assessment, *, top: int | None = None) -> Any:
    """The page's payouts table.

    Parameters
    ----------
    a : Assessment
        The report's assessment.
    top : int, optional
        Rows shown.

    Returns
    -------
    pandas.io.formats.style.Styler or IPython.display.Markdown
    """
    empty = (f"{a.rep} has no payout in {a.period}." if a.rep is not None
             else "Nobody to pay.")
    return show(payout_rows(a), empty, precision=2, top=top)


def payout_overview(a: Assessment) -> Markdown:
    """The payouts against the budget, said for the page's scope.

    Parameters
    ----------
    a : Assessment
        The report's assessment.

    Returns
    -------
    IPython.display.Markdown
        :func:`~salesnb.assessment.pages.payout_text`. The company: :func:`bonus_overview`.
        A region or team: its people's total, as a share of what the company pays in all, and
        the company's use of the budget (the budget is the company's, not the region's). A
        rep: their bonus with its rule.
    """
    return Markdown(no_html(payout_text(a)))


def promotion_view(a: Assessment) -> Any:
    """The promotion candidates of the scope; on a rep's page whether the rep is one, and why.

    Parameters
    ----------
    a : Assessment
        The report's assessment (its history is ranked as its scorecard is).

    Returns
    -------
    pandas.io.formats.style.Styler or IPython.display.Markdown
        :func:`~salesnb.assessment.scoped.promotion_list` with names; on a rep's page
        :func:`~salesnb.assessment.pages.promotion_text`.
    """
    if a.rep is None:
        return show(with_names(promotion_list(a), a.data),
                    "No rep was in the top quarter often enough.")
    return Markdown(promotion_text(a))


def training_view(a: Assessment) -> Any:
    """The training needs of the scope's reps; on a rep's page the rep's own, in words.

    Parameters
    ----------
    a : Assessment
        The report's assessment.

    Returns
    -------
    pandas.io.formats.style.Styler or IPython.display.Markdown
        :func:`~salesnb.assessment.scoped.training_status` with names; on a rep's page
        :func:`~salesnb.assessment.pages.training_text`.
    """
    if a.rep is None:
        return show(with_names(training_status(a), a.data),
                    "Every rep scores 75 points or more on every KPI.")
    return Markdown(training_text(a))


# --------------------------------------------------------------------------- the panel


class _Periods:
    """The scorecards and team roll-ups a period control switches between (computed once)."""

    def __init__(self, data: Any, card: Scorecard, teams: pd.DataFrame | None) -> None:
        self.data = data
        self.cards: dict[str, tuple[Scorecard, pd.DataFrame | None]] = {
            str(card.period): (card, teams)}
        self.blocks: dict[str, pd.DataFrame] = {}

    def get(self, period: str, like: Scorecard) -> tuple[Scorecard, pd.DataFrame | None]:
        if period not in self.cards:
            kind = period_freq(period)
            if kind not in self.blocks:
                self.blocks[kind] = counts(self.data, freq=kind)
            blocks = self.blocks[kind]
            card = scorecard(self.data, period=period, weights=like.weights, blocks=blocks)
            reps = self.data.get("reps") if hasattr(self.data, "get") else None
            teams = (teams_of(blocks, reps, card.period)
                     if reps is not None and {"role", "manager_id"} <= set(reps.columns)
                     else None)
            self.cards[period] = (card, teams)
        return self.cards[period]


def assessment_view(*, card: Scorecard, teams: pd.DataFrame | None = None,
                    rows: int = 40, budget: float | None = None, period: str = "",
                    periods: _Periods | None = None, page: Assessment | None = None,
                    **values: Any) -> tuple[Any, ...]:
    """Re-weigh the scorecard and re-run the bonus plan for the panel's current values.

    Parameters
    ----------
    card : Scorecard
        Computed once for the period (:func:`salesnb.assessment.scorecard`).
    teams : pandas.DataFrame, optional
        Manager roll-ups of the period (:func:`salesnb.assessment.teams_of`), for the team
        bonus.
    rows : int, default=40
        Scorecard rows shown (the caption says how many there are).
    budget : float, optional
        Bonus budget the payouts are compared with.
    period : str, default=""
        The period assessed (the panel's period control); empty: ``card``'s.
    periods : optional
        The panel's cache of other periods' scorecards (:func:`assessment_panel` makes it).
    page : Assessment, optional
        The report's assessment (:func:`~salesnb.assessment.scoped.assess`): the results are
        then its scope's (a rep's page shows the rep's own rank, row and bonus only), with
        rep names beside the ids.
    **values
        ``w_<kpi>`` weights and the tier inputs of :func:`salesnb.assessment.plan_from`.

    Returns
    -------
    tuple
        A summary, the rank chart, the scorecard, the payout summary and the payouts.

    Raises
    ------
    AssessmentError
        Weights that do not add up to 1 or fall only on KPIs the data cannot measure, or an
        invalid plan (the panel shows the message and keeps the last good result).
    """
    start = time.perf_counter()
    if period and period != str(card.period) and periods is not None:
        card, teams = periods.get(period, card)
    fresh = card.rescore(weights_from(**values))  # AssessmentError: the panel shows it and
    plan = report_plan("", budget, **values)  # keeps the last good result
    if page is not None:
        view = dataclasses.replace(page, card=fresh, teams=teams, plan=plan,
                                   period=fresh.period,
                                   payouts=scope_payouts(fresh.table, plan, teams, page.scope))
        ms = 1000 * (time.perf_counter() - start)
        return (_panel_summary(view, ms), rank_figure(view), scorecard_view(view, top=rows),
                payout_overview(view), payout_view(view, top=rows))
    pay = bonus(fresh.table, plan, teams=teams)
    ms = 1000 * (time.perf_counter() - start)
    top = fresh.table.head(3)
    lead = ", ".join(f"{escape(r)} ({s:.0f})"
                     for r, s in zip(top.index, top["score"], strict=True))
    summary = Markdown(f"**{escape(fresh.period)}: top 3 {lead}.** {weights_text(fresh)}"
                       f". Recomputed in {ms:.0f} ms.")
    return (summary, ranks_figure(fresh),
            show(scorecard_columns(fresh), precision=1, top=rows),
            bonus_overview(fresh, pay, plan), show(pay, precision=2, top=rows))


def _panel_summary(a: Assessment, ms: float) -> Markdown:
    """The panel's first line for a scope: the top 3 of the scope, or the rep's own rank."""
    names = rep_names(a.data)
    if a.rep is not None:
        band = rank_band(a.card, a.rep)
        pay = a.payouts.loc[a.payouts["rep_id"].astype(str) == a.rep, "bonus"]
        what = (f"{rank_words(band)}, score {band['score']:.0f}" if band is not None
                else f"has no score in {a.period}")
        paid = f"; bonus {float(pay.sum()):,.0f}" if len(pay) else ""
        lead = f"{_who(a.rep, names)} {escape(what)}{paid}"
    else:
        top = a.card.table.dropna(subset=["score"]).head(3)
        lead = "top 3 " + ", ".join(f"{_who(r, names)} ({s:.0f})"
                                    for r, s in zip(top.index, top["score"], strict=True))
    return Markdown(f"**{escape(a.period)}: {lead}.** {weights_text(a.card)}. "
                    f"Recomputed in {ms:.0f} ms.")


def assessment_panel(card: Scorecard | Assessment, teams: pd.DataFrame | None = None,
                     budget: float | None = None, *, data: Any = None,
                     **values: Any) -> Panel | None:
    """The rep-assessment panel: the period, KPI weight sliders and bonus tier inputs.

    Parameters
    ----------
    card : Scorecard or Assessment
        The period's scorecard, or the report's assessment
        (:func:`~salesnb.assessment.scoped.assess`): then the panel works on its scope (a
        rep's page shows the rep's own result as the weights move), offers the periods of
        the company's data and ranks within the team as the page does.
    teams : pandas.DataFrame, optional
        Manager roll-ups for the team bonus (an assessment brings its own).
    budget : float, optional
        Bonus budget the payouts are compared with.
    data : SalesData, optional
        The report's data: with it the panel has a period control offering every year,
        quarter and month the data has (:func:`~salesnb.assessment.periods.period_choices`),
        and a change of period scores that period (once; going back is instant). With an
        assessment, its data is used.
    **values
        Starting values (the notebook's parameters).

    Returns
    -------
    Panel or None
        The panel; None in a headless run (a scheduled report shows the values above).
    """
    page = card if isinstance(card, Assessment) else None
    score = page.card if page is not None else card
    assert isinstance(score, Scorecard)
    if page is not None:
        teams, data = page.teams, page.data
    params: tuple[Param, ...] = ASSESSMENT_PANEL
    periods = None
    if data is not None:
        offered = data.company if page is not None else data
        choices = period_choices(offered, as_of=getattr(data, "as_of", None))
        here = str(score.period)
        choices = choices if here in choices else (here, *choices)
        params = (Param("period", "str", here, "period assessed: a year, a quarter or a "
                        "month the data has", choices=choices), *ASSESSMENT_PANEL)
        values = {**values, "period": here}
        periods = _Periods(page.team if page is not None else data, score, teams)
    fn = partial(assessment_view, card=score, teams=teams, budget=budget, periods=periods,
                 page=page)
    return panel(params, fn, values)
