"""What the rep-assessment report shows: scorecard, rank intervals, trends, payouts, panel.

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
from matplotlib.figure import Figure

from salesnb.assessment import scoring as A
from salesnb.report.catalog import ASSESSMENT_PANEL
from salesnb.report.reporting import export_note, show
from salesnb.report.widgets import FIXED_LAYOUT, Panel, panel

__all__ = ["weights_from", "plan_from", "report_plan", "teams_of", "recent_periods",
           "headline", "scorecard_columns", "plot_ranks", "plot_trend", "assessment_view",
           "assessment_panel", "payout_note"]

_WEIGHT_PREFIX = "w_"


def weights_from(**values: Any) -> dict[str, float]:
    """KPI weights from the panel's ``w_<kpi>`` values (other keys are ignored)."""
    return {k[len(_WEIGHT_PREFIX):]: float(v) for k, v in values.items()
            if k.startswith(_WEIGHT_PREFIX)}


def plan_from(*, tier1_from: float, tier1_rate: float, tier2_from: float, tier2_rate: float,
              tier3_from: float, tier3_rate: float, cap: float, min_satisfaction: float,
              budget: float = A.DEFAULT_PLAN["budget"], mode: str = "highest",
              team: dict[str, float] | None = None, **_ignored: Any) -> dict[str, Any]:
    """A validated bonus plan from the panel's tier inputs (rates in % of revenue).

    Rates are entered in percent (2 = 2 % of revenue); ``cap`` 0 means no cap and
    ``min_satisfaction`` 0 no gate.
    """
    plan = {
        "mode": mode,
        "tiers": [{"from": 0.0, "rate": 0.0},
                  {"from": tier1_from, "rate": tier1_rate / 100},
                  {"from": tier2_from, "rate": tier2_rate / 100},
                  {"from": tier3_from, "rate": tier3_rate / 100}],
        "cap": cap or None, "min_satisfaction": min_satisfaction or None,
        "team": team if team is not None else A.DEFAULT_PLAN["team"], "budget": budget,
    }
    return A.check_plan(plan)


def report_plan(plan_file: str = "", budget: float | None = None,
                **values: Any) -> dict[str, Any]:
    """The plan the report pays by: the YAML file when given, else the tier controls."""
    if plan_file:
        from salesnb.paths import resolve_path

        plan = A.load_plan(resolve_path(plan_file))
    else:
        plan = plan_from(**values)
    if budget is not None:
        plan["budget"] = budget
    return plan


def teams_of(blocks: pd.DataFrame, reps: pd.DataFrame, period: pd.Period) -> pd.DataFrame:
    """Each manager's team counts and KPIs in one period (for the team bonus)."""
    at = blocks[blocks.index.get_level_values("period") == period]
    return A.rollup(at, reps, level="manager").droplevel("period")


def recent_periods(period: pd.Period, n: int = 4) -> list[str]:
    """The ``n`` periods up to and including ``period``, oldest first."""
    return [str(period - i) for i in range(n - 1, -1, -1)]


def headline(card: A.Scorecard, payouts: pd.DataFrame) -> Markdown:
    """The numbers a sales director reads first."""
    t = card.table.dropna(subset=["score"])
    on_target = int((t["attainment"] >= 1).sum())
    clear = t[t["rank_high"] <= max(3, int(np.ceil(len(t) / 4)))] if "rank_high" in t else t[:0]
    reps = payouts[payouts["role"] == "rep"]
    lines = [
        f"**{card.period}: {len(t)} reps assessed**, {on_target} at or above target "
        f"(median attainment {t['attainment'].median():.0%}).",
        "- **Clearly top quarter** (even the pessimistic end of the rank interval): "
        + (", ".join(clear.index) if len(clear) else "nobody — the ranks overlap too much "
           "to single anyone out") + ".",
        f"- **Bonuses:** {reps['bonus'].sum():,.0f} to {int((reps['bonus'] > 0).sum())} reps, "
        f"{payouts.loc[payouts['role'] == 'manager', 'bonus'].sum():,.0f} to managers.",
    ]
    return Markdown("\n".join(lines))


def scorecard_columns(card: A.Scorecard) -> pd.DataFrame:
    """The scorecard as a manager reads it: rank with its interval, score, key KPIs, note."""
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


def plot_ranks(card: A.Scorecard, ax: Any = None) -> Figure:
    """Each rep's rank with its 90 % interval: overlapping bars are not really different."""
    t = card.table.dropna(subset=["score"])
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(
        figsize=(9, max(3.0, 0.22 * len(t) + 1)))
    y = np.arange(len(t))
    if "rank_low" in t:
        ax.hlines(y, t["rank_low"], t["rank_high"], color="#9ab", lw=4, alpha=0.8,
                  label="90 % interval")
    ax.plot(t["rank"], y, "o", color="#235", label="rank")
    ax.set_yticks(y, t.index.tolist(), fontsize=8)
    ax.invert_yaxis()
    ax.set(title=f"Rank with its uncertainty, {card.period} (1 = best)", xlabel="rank",
           ylabel="")
    ax.legend(loc="upper right", fontsize=8)
    # fixed margins: tight_layout would cost more than the rest of a widget redraw
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.1, right=0.98, top=1 - 0.45 / height, bottom=0.6 / height)
    setattr(fig, FIXED_LAYOUT, True)  # drawn once in a panel
    return fig


def plot_trend(blocks: pd.DataFrame, reps: pd.DataFrame | None = None,
               periods: int = 8) -> Figure:
    """Attainment per rep over the last ``periods`` periods (a heatmap, 100 % = on target)."""
    att = A.ratios(blocks)["attainment"].unstack("period")
    att = att[att.columns[-periods:]].dropna(how="all")
    if reps is not None and "role" in reps.columns:
        who = set(reps.loc[reps["role"] == "rep", "rep_id"].astype(str))
        att = att[att.index.isin(who)]
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.22 * len(att) + 1)))
    sns.heatmap(100 * att, annot=True, fmt=".0f", cmap="RdYlGn", center=100, vmin=50,
                vmax=150, cbar_kws={"label": "attainment %"}, annot_kws={"fontsize": 7}, ax=ax)
    ax.set(title="Attainment per rep and period (%)", xlabel="", ylabel="")
    fig.tight_layout()
    return fig


def assessment_view(*, card: A.Scorecard, teams: pd.DataFrame | None = None,
                    rows: int = 40, budget: float | None = None,
                    **values: Any) -> tuple[Any, ...]:
    """Re-weigh the scorecard and re-run the bonus plan for the panel's current values.

    Parameters
    ----------
    card : Scorecard
        Computed once for the period (:func:`salesnb.assessment.scorecard`).
    teams : pandas.DataFrame, optional
        Manager roll-ups of the period, for the team bonus.
    rows : int, default=40
        Scorecard rows shown.
    **values
        ``w_<kpi>`` weights and the tier inputs of :func:`plan_from`.

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
    pay = A.bonus(fresh.table, plan, teams=teams)
    ms = 1000 * (time.perf_counter() - start)
    top = fresh.table.head(3)
    lead = ", ".join(f"{r} ({s:.0f})" for r, s in zip(top.index, top["score"], strict=True))
    summary = Markdown(f"**{card.period}: top 3 {lead}.** Weights: "
                       + ", ".join(f"{k} {v:.0%}" for k, v in fresh.weights.items())
                       + f". Recomputed in {ms:.0f} ms.")
    return (summary, plot_ranks(fresh), show(scorecard_columns(fresh).head(rows), precision=1),
            Markdown(A.bonus_summary(pay, plan)), show(pay, precision=2))


def assessment_panel(card: A.Scorecard, teams: pd.DataFrame | None = None,
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
    """
    fn = partial(assessment_view, card=card, teams=teams, budget=budget)
    return panel(ASSESSMENT_PANEL, fn, values)


def payout_note(payouts: pd.DataFrame, file_name: str) -> Markdown:
    """Write the payouts to Excel beside a scheduled report and say where."""
    return Markdown(export_note(
        file_name, partial(A.export_payouts, payouts),
        what="the payouts with their audit lines (one row per person, the rule behind each "
             "amount)",
        how=f'assessment.export_payouts(payouts, "{file_name}")', param="payouts_file"))
