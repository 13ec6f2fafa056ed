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

from salesnb.assessment.blocks import attainment_trend
from salesnb.assessment.bonuses import bonus, bonus_summary, headline_numbers, load_plan, plan_from
from salesnb.assessment.scoring import Scorecard, weights_from
from salesnb.core.export import write_table
from salesnb.core.fmt import escape, no_html, pct
from salesnb.core.plots import axes, say
from salesnb.report.catalog import ASSESSMENT_PANEL
from salesnb.report.reporting import export_note, show
from salesnb.report.widgets import FIXED_LAYOUT, Panel, panel

__all__ = ["report_plan", "headline", "scorecard_columns", "plot_ranks", "ranks_figure",
           "plot_trend", "trend_figure", "assessment_view", "assessment_panel", "payout_note"]


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


def headline(card: Scorecard, payouts: pd.DataFrame) -> Markdown:
    """The numbers a sales director reads first.

    Parameters
    ----------
    card : Scorecard
        The period's scorecard.
    payouts : pandas.DataFrame
        From :func:`~salesnb.assessment.bonuses.bonus`.

    Returns
    -------
    IPython.display.Markdown
        Reps assessed and on target, the clear top quarter, the bonuses.
    """
    h = headline_numbers(card, payouts)
    clear = ", ".join(escape(r) for r in h["clear_top"]) if h["clear_top"] else (
        "nobody — the ranks overlap too much to single anyone out")
    lines = [
        f"**{escape(h['period'])}: {h['assessed']} reps assessed**, {h['on_target']} at or above "
        f"target (median attainment {pct(h['median_attainment'])}).",
        f"- **Clearly top quarter** (even the pessimistic end of the rank interval): {clear}.",
        f"- **Bonuses:** {h['rep_bonus']:,.0f} to {h['reps_paid']} reps, "
        f"{h['manager_bonus']:,.0f} to managers.",
    ]
    return Markdown("\n".join(lines))


def scorecard_columns(card: Scorecard) -> pd.DataFrame:
    """The scorecard as a manager reads it: rank with its interval, score, key KPIs, note.

    Parameters
    ----------
    card : Scorecard
        The period's scorecard.

    Returns
    -------
    pandas.DataFrame
        One row per rep, best first, shares in percent.
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
               ax: Axes | None = None, **kwargs: Any) -> Axes:
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
    att = attainment_trend(blocks, reps, periods=periods)
    if att.empty:
        return say(ax, "No rep has a target in these periods.")
    style = {"annot": True, "fmt": ".0f", "cmap": "RdYlGn", "center": 100, "vmin": 50,
             "vmax": 150, "cbar_kws": {"label": "attainment %"}, "annot_kws": {"fontsize": 7}}
    sns.heatmap(100 * att.rename(columns=str), ax=ax, **{**style, **kwargs})
    ax.set(title="Attainment per rep and period (%)", xlabel="", ylabel="")
    return ax


def trend_figure(blocks: pd.DataFrame, reps: pd.DataFrame | None = None, *,
                 periods: int = 8) -> Figure:
    """:func:`plot_trend` in a figure sized to the reps.

    Parameters
    ----------
    blocks : pandas.DataFrame
        From :func:`~salesnb.assessment.blocks.counts`.
    reps : pandas.DataFrame, optional
        The org: only reps are shown.
    periods : int, default=8
        How many of the latest periods.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    fig, ax = _sized(len(attainment_trend(blocks, reps, periods=periods)), 10)
    plot_trend(blocks, reps, periods=periods, ax=ax)
    fig.tight_layout()
    return fig


def assessment_view(*, card: Scorecard, teams: pd.DataFrame | None = None,
                    rows: int = 40, budget: float | None = None,
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
        Scorecard rows shown.
    budget : float, optional
        Bonus budget the payouts are compared with.
    **values
        ``w_<kpi>`` weights and the tier inputs of :func:`salesnb.assessment.plan_from`.

    Returns
    -------
    tuple
        A summary, the rank chart, the scorecard, the payout summary and the payouts.

    Raises
    ------
    AssessmentError
        Weights that do not add up to 1, or an invalid plan (the panel shows the message and
        keeps the last good result).
    """
    start = time.perf_counter()
    fresh = card.rescore(weights_from(**values))  # AssessmentError: the panel shows it and
    plan = report_plan("", budget, **values)  # keeps the last good result
    pay = bonus(fresh.table, plan, teams=teams)
    ms = 1000 * (time.perf_counter() - start)
    top = fresh.table.head(3)
    lead = ", ".join(f"{escape(r)} ({s:.0f})"
                     for r, s in zip(top.index, top["score"], strict=True))
    summary = Markdown(f"**{escape(card.period)}: top 3 {lead}.** Weights: "
                       + ", ".join(f"{escape(k)} {pct(v)}" for k, v in fresh.weights.items())
                       + f". Recomputed in {ms:.0f} ms.")
    return (summary, ranks_figure(fresh), show(scorecard_columns(fresh).head(rows), precision=1),
            Markdown(no_html(bonus_summary(pay, plan))), show(pay, precision=2))


def assessment_panel(card: Scorecard, teams: pd.DataFrame | None = None,
                     budget: float | None = None, **values: Any) -> Panel | None:
    """The rep-assessment panel: KPI weight sliders and bonus tier inputs.

    Parameters
    ----------
    card : Scorecard
        The period's scorecard.
    teams : pandas.DataFrame, optional
        Manager roll-ups for the team bonus.
    budget : float, optional
        Bonus budget the payouts are compared with.
    **values
        Starting values (the notebook's parameters).

    Returns
    -------
    Panel or None
        The panel; None in a headless run (a scheduled report shows the values above).
    """
    fn = partial(assessment_view, card=card, teams=teams, budget=budget)
    return panel(ASSESSMENT_PANEL, fn, values)


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
