"""What the rep-assessment report shows: headline, scorecard, rank intervals, trends, payouts.

Thin compositions of :mod:`salesnb.assessment` for ``05_rep_assessment`` and its widget
panel. The panel holds a computed :class:`~salesnb.assessment.Scorecard`: new weights only
re-weigh cached KPI points and new tiers only re-run the bonus rules, so a change redraws in
milliseconds without touching the data.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import Markdown
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from salesnb.assessment.blocks import attainment_trend, counts, org_view, teams_of
from salesnb.assessment.bonuses import bonus, bonus_summary, headline_numbers, load_plan, plan_from
from salesnb.assessment.periods import period_choices
from salesnb.assessment.scoring import Scorecard, scorecard, weights_from
from salesnb.core.export import write_table
from salesnb.core.fmt import escape, no_html, pct
from salesnb.core.periods import period_freq
from salesnb.core.plots import axes, say
from salesnb.report.catalog import ASSESSMENT_PANEL
from salesnb.report.params import Param
from salesnb.report.reporting import export_note, show
from salesnb.report.widgets import FIXED_LAYOUT, Panel, panel

__all__ = ["report_plan", "headline", "scoring_note", "scorecard_columns", "plot_ranks",
           "ranks_figure", "plot_trend", "trend_figure", "org_table", "bonus_overview",
           "history_note", "assessment_view", "assessment_panel", "payout_note"]

#: How each KPI is named in sentences.
_WORDS = {"attainment": "attainment", "win_rate": "win rate", "lead_conversion":
          "lead conversion", "satisfaction": "satisfaction", "new_customers": "new customers",
          "activity": "activity (visits)", "avg_deal_size": "average deal size",
          "cycle_days": "cycle days", "revenue": "revenue", "target": "target",
          "volume": "volume"}


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


def headline(card: Scorecard, payouts: pd.DataFrame | None = None) -> Markdown:
    """The numbers a sales director reads first.

    Parameters
    ----------
    card : Scorecard
        The period's scorecard.
    payouts : pandas.DataFrame, optional
        From :func:`~salesnb.assessment.bonuses.bonus`; the bonus line is left out without.

    Returns
    -------
    IPython.display.Markdown
        Reps assessed and on target, the clear top quarter, the bonuses; when the data cannot
        measure attainment, that it (and with it the bonus) is not assessed, and why.
    """
    h = headline_numbers(card, payouts if payouts is not None else pd.DataFrame(
        {"role": [], "bonus": []}))
    clear = ", ".join(escape(r) for r in h["clear_top"]) if h["clear_top"] else (
        "nobody — the ranks overlap too much to single anyone out")
    lines = [f"**{escape(h['period'])}: {h['assessed']} reps assessed**"]
    if any(k in card.left_out for k in card.weights):
        lines[0] += " on " + escape(", ".join(_WORDS[k] for k in card.used_weights))
    if "attainment" in card.left_out:
        lines[0] += (f"; attainment is not assessed ({escape(card.left_out['attainment'])}), "
                     "so nobody is measured against a target and no bonus is due.")
    else:
        lines[0] += (f", {h['on_target']} at or above target (median attainment "
                     f"{pct(h['median_attainment'])}).")
    lines.append(f"- **Clearly top quarter** (even the pessimistic end of the rank interval): "
                 f"{clear}.")
    if payouts is not None and "attainment" not in card.left_out:
        lines.append(f"- **Bonuses:** {h['rep_bonus']:,.0f} to {h['reps_paid']} reps, "
                     f"{h['manager_bonus']:,.0f} to managers.")
    return Markdown("\n".join(lines))


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
    used = ", ".join(f"{_WORDS[k]} {pct(v)}" for k, v in card.used_weights.items())
    weighed = [k for k in card.weights if k in card.left_out]
    if not weighed:
        return Markdown(f"The score weighs {escape(used)}, as set for this report.")
    why = "; ".join(f"{_WORDS[k]} ({card.left_out[k]})" for k in weighed)
    share = sum(card.weights[k] for k in weighed)
    return Markdown(
        f"**Left out of the score:** {escape(why)}. Their weight ({pct(share)} of the total) is "
        f"shared out over the KPIs the data measures in proportion, so the score weighs "
        f"{escape(used)}.")


def scorecard_columns(card: Scorecard) -> pd.DataFrame:
    """The scorecard as a manager reads it: rank with its interval, score, key KPIs, note.

    Parameters
    ----------
    card : Scorecard
        The period's scorecard.

    Returns
    -------
    pandas.DataFrame
        One row per rep, best first, shares in percent; without the columns of KPIs the data
        cannot measure (:attr:`Scorecard.left_out`).
    """
    t = card.table
    out = pd.DataFrame({
        "rank": t["rank"].astype("Int64"),
        "likely rank": [f"{lo:.0f}–{hi:.0f}" if pd.notna(lo) else ""
                        for lo, hi in zip(t.get("rank_low", pd.Series(np.nan, t.index)),
                                          t.get("rank_high", pd.Series(np.nan, t.index)),
                                          strict=True)],
        "score": t["score"], "revenue": t["revenue"],
        "attainment %": 100 * t["attainment"], "win rate %": 100 * t["win_rate"],
        "lead conv. %": 100 * t["lead_conversion"], "satisfaction": t["satisfaction"],
        "new customers": t["new_customers"], "visits": t["activity"],
        "deals": t["deals"], "region": t.get("region"), "note": t["note"],
    }, index=t.index)
    gone = {"attainment %": "attainment", "win rate %": "win_rate", "deals": "win_rate",
            "lead conv. %": "lead_conversion", "satisfaction": "satisfaction",
            "new customers": "new_customers", "visits": "activity", "revenue": "revenue"}
    out = out.drop(columns=[c for c, k in gone.items() if k in card.left_out])
    return out.reset_index()


def _sized(rows: int, width: float) -> tuple[Figure, Axes]:
    """A figure tall enough for one line per rep."""
    return plt.subplots(figsize=(width, max(3.0, 0.22 * rows + 1)))


def plot_ranks(card: Scorecard, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Each rep's rank with its 90 % interval: overlapping bars are not really different.

    Parameters
    ----------
    card : Scorecard
        The period's scorecard (intervals drawn when it has rank draws).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current axes.
    **kwargs
        Passed to the rank markers (``Axes.plot``).

    Returns
    -------
    matplotlib.axes.Axes
        The chart, best rep at the top.
    """
    ax = axes(ax)
    t = card.table.dropna(subset=["score"])
    if t.empty:
        return say(ax, f"No rep has a score in {card.period}.")
    y = np.arange(len(t))
    if "rank_low" in t:
        ax.hlines(y, t["rank_low"], t["rank_high"], color="#9ab", lw=4, alpha=0.8,
                  label="90 % interval")
    ax.plot(t["rank"], y, "o", **{"color": "#235", "label": "rank", **kwargs})
    ax.set_yticks(y, t.index.tolist(), fontsize=8)
    ax.invert_yaxis()
    ax.set(title=f"Rank with its uncertainty, {card.period} (1 = best)", xlabel="rank",
           ylabel="")
    ax.legend(loc="upper right", fontsize=8)
    return ax


def ranks_figure(card: Scorecard) -> Figure:
    """:func:`plot_ranks` in a figure sized to the reps, laid out once (for the panel).

    Parameters
    ----------
    card : Scorecard
        The period's scorecard.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, with fixed margins.
    """
    fig, ax = _sized(int(card.table["score"].notna().sum()), 9)
    plot_ranks(card, ax=ax)
    # fixed margins: tight_layout would cost more than the rest of a widget redraw
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.1, right=0.98, top=1 - 0.45 / height, bottom=0.6 / height)
    setattr(fig, FIXED_LAYOUT, True)  # drawn once in a panel
    return fig


def plot_trend(blocks: pd.DataFrame, reps: pd.DataFrame | None = None, *, periods: int = 8,
               until: str | pd.Period | None = None, ax: Axes | None = None,
               **kwargs: Any) -> Axes:
    """Attainment per rep over the last ``periods`` periods (a heatmap, 100 % = on target).

    Parameters
    ----------
    blocks : pandas.DataFrame
        From :func:`~salesnb.assessment.blocks.counts`.
    reps : pandas.DataFrame, optional
        The org: only reps are shown (see
        :func:`~salesnb.assessment.blocks.attainment_trend`).
    periods : int, default=8
        How many of the latest periods.
    until : str or pandas.Period, optional
        The last period shown (the one assessed); default the last in ``blocks``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current axes.
    **kwargs
        Passed to :func:`seaborn.heatmap`.

    Returns
    -------
    matplotlib.axes.Axes
        The heatmap.
    """
    ax = axes(ax)
    att = attainment_trend(blocks, reps, periods=periods, until=until)
    if att.empty:
        return say(ax, "No rep has a target in these periods.")
    style = {"annot": True, "fmt": ".0f", "cmap": "RdYlGn", "center": 100, "vmin": 50,
             "vmax": 150, "cbar_kws": {"label": "attainment %"}, "annot_kws": {"fontsize": 7}}
    sns.heatmap(100 * att.rename(columns=str), ax=ax, **{**style, **kwargs})
    ax.set(title="Attainment per rep and period (%)", xlabel="", ylabel="")
    return ax


def trend_figure(blocks: pd.DataFrame, reps: pd.DataFrame | None = None, *,
                 periods: int = 8, until: str | pd.Period | None = None) -> Figure:
    """:func:`plot_trend` in a figure sized to the reps.

    Parameters
    ----------
    blocks : pandas.DataFrame
        From :func:`~salesnb.assessment.blocks.counts`.
    reps : pandas.DataFrame, optional
        The org: only reps are shown.
    periods : int, default=8
        How many of the latest periods.
    until : str or pandas.Period, optional
        The last period shown (the one assessed); default the last in ``blocks``.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    fig, ax = _sized(len(attainment_trend(blocks, reps, periods=periods, until=until)), 10)
    plot_trend(blocks, reps, periods=periods, until=until, ax=ax)
    fig.tight_layout()
    return fig


def org_table(blocks: pd.DataFrame, reps: pd.DataFrame, card: Scorecard) -> pd.DataFrame:
    """The org roll-up of the assessed period, without the KPIs the data cannot measure.

    Parameters
    ----------
    blocks : pandas.DataFrame
        From :func:`~salesnb.assessment.blocks.counts`, at the period's length.
    reps : pandas.DataFrame
        The org.
    card : Scorecard
        The period's scorecard (its period and :attr:`Scorecard.left_out`).

    Returns
    -------
    pandas.DataFrame
        :func:`~salesnb.assessment.blocks.org_view` of the period.
    """
    org = org_view(blocks, reps, card.period)
    return org.drop(columns=[c for c in org.columns if c in card.left_out])


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
    text = bonus_summary(payouts, plan)
    gate = plan.get("min_satisfaction")
    if gate and "satisfaction" in card.left_out:
        text += (f"\n\n**The plan's satisfaction gate ({float(gate):.2f}) cannot be met:** "
                 f"{card.left_out['satisfaction']}, so no rep has a score to pass it and every "
                 "rep bonus is stopped. To pay on attainment alone, set `min_satisfaction` to 0 "
                 "(or remove it from the plan file).")
    return Markdown(no_html(text))


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
    scored = list(hist.attrs.get("periods", sorted(hist["period"].unique())))
    left = dict(hist.attrs.get("left_out", {}))
    text = (f"History scored over {escape(', '.join(scored))}." if scored else
            "No period of the history could be scored.")
    if left:
        text += " Left out: " + "; ".join(f"{escape(p)} ({escape(why)})"
                                          for p, why in left.items()) + "."
    if len(scored) < min_periods:
        text += (f" A promotion needs {min_periods} periods in the top quarter and only "
                 f"{len(scored)} could be scored, so nobody qualifies yet.")
    return Markdown(text)


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
            teams = teams_of(blocks, reps, card.period) if reps is not None else None
            self.cards[period] = (card, teams)
        return self.cards[period]


def assessment_view(*, card: Scorecard, teams: pd.DataFrame | None = None,
                    rows: int = 40, budget: float | None = None, period: str = "",
                    periods: _Periods | None = None, **values: Any) -> tuple[Any, ...]:
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
    pay = bonus(fresh.table, plan, teams=teams)
    ms = 1000 * (time.perf_counter() - start)
    top = fresh.table.head(3)
    lead = ", ".join(f"{escape(r)} ({s:.0f})"
                     for r, s in zip(top.index, top["score"], strict=True))
    used = ", ".join(f"{_WORDS[k]} {pct(v)}" for k, v in fresh.used_weights.items())
    gone = [_WORDS[k] for k in fresh.weights if k in fresh.left_out]
    summary = Markdown(f"**{escape(fresh.period)}: top 3 {lead}.** Weights used: {escape(used)}"
                       + (f" (left out: {escape(', '.join(gone))})" if gone else "")
                       + f". Recomputed in {ms:.0f} ms.")
    return (summary, ranks_figure(fresh),
            show(scorecard_columns(fresh), precision=1, top=rows),
            bonus_overview(fresh, pay, plan), show(pay, precision=2, top=rows))


def assessment_panel(card: Scorecard, teams: pd.DataFrame | None = None,
                     budget: float | None = None, *, data: Any = None,
                     **values: Any) -> Panel | None:
    """The rep-assessment panel: the period, KPI weight sliders and bonus tier inputs.

    Parameters
    ----------
    card : Scorecard
        The period's scorecard.
    teams : pandas.DataFrame, optional
        Manager roll-ups for the team bonus.
    budget : float, optional
        Bonus budget the payouts are compared with.
    data : SalesData, optional
        The report's data: with it the panel has a period control offering every year,
        quarter and month the data has (:func:`~salesnb.assessment.periods.period_choices`),
        and a change of period scores that period (once; going back is instant).
    **values
        Starting values (the notebook's parameters).

    Returns
    -------
    Panel or None
        The panel; None in a headless run (a scheduled report shows the values above).
    """
    params: tuple[Param, ...] = ASSESSMENT_PANEL
    periods = None
    if data is not None:
        choices = period_choices(data, as_of=getattr(data, "as_of", None))
        here = str(card.period)
        choices = choices if here in choices else (here, *choices)
        params = (Param("period", "str", here, "period assessed: a year, a quarter or a "
                        "month the data has", choices=choices), *ASSESSMENT_PANEL)
        values = {**values, "period": here}
        periods = _Periods(data, card, teams)
    fn = partial(assessment_view, card=card, teams=teams, budget=budget, periods=periods)
    return panel(params, fn, values)


def payout_note(payouts: pd.DataFrame, file_name: str) -> Markdown:
    """Write the payouts to Excel beside a scheduled report and say where.

    Parameters
    ----------
    payouts : pandas.DataFrame
        From :func:`~salesnb.assessment.bonuses.bonus`.
    file_name : str
        The report's ``payouts_file`` (empty: nothing written).

    Returns
    -------
    IPython.display.Markdown
        Where the file went, or how to write it by hand.
    """
    return Markdown(export_note(
        file_name, partial(write_table, {"payouts": payouts}),
        what="the payouts with their audit lines (one row per person, the rule behind each "
             "amount)",
        how=f'salesnb.core.export.write_table(payouts, "{file_name}")', param="payouts_file"))
