"""The rep-assessment report's sentences on a scorecard, as Markdown text.

What the headline, the scoring note, the bonus overview and the history note say, composed
from :class:`~salesnb.assessment.scoring.Scorecard`, the payouts and the plan; values from the
data are escaped (:func:`salesnb.core.fmt.escape`). :mod:`salesnb.assessment.views` shows
them (as ``IPython.display.Markdown``); :mod:`salesnb.assessment.pages` says them for a scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from salesnb.assessment.bonuses import bonus_summary, cap_warning, headline_numbers
from salesnb.assessment.names import _who
from salesnb.assessment.scoring import Scorecard
from salesnb.core.fmt import escape, pct

__all__ = ["headline_lines", "scoring_text", "bonus_text", "history_text", "weights_text"]

#: How each KPI is named in sentences.
_WORDS = {"attainment": "attainment", "win_rate": "win rate", "lead_conversion":
          "lead conversion", "satisfaction": "satisfaction", "new_customers": "new customers",
          "activity": "activity (visits)", "avg_deal_size": "average deal size",
          "cycle_days": "cycle days", "revenue": "revenue", "target": "target",
          "volume": "volume"}


def _top_words(assessed: int) -> str:
    """What :func:`~salesnb.assessment.bonuses.headline_numbers`' "clear top" is, in words."""
    top = max(3, int(np.ceil(assessed / 4)))
    return ("top quarter" if top == int(np.ceil(assessed / 4))
            else f"top {min(top, assessed)} of {assessed}")


def headline_lines(card: Scorecard, payouts: pd.DataFrame | None,
                   names: Mapping[str, str]) -> list[str]:
    """The headline's lines: the first one bold, then one bullet each.

    Parameters
    ----------
    card : Scorecard
        The period's scorecard.
    payouts : pandas.DataFrame or None
        From :func:`~salesnb.assessment.bonuses.bonus`; the bonus line is left out without.
    names : mapping
        Rep id -> name, shown beside the ids.

    Returns
    -------
    list of str
        Reps assessed and on target (or why attainment is not assessed), the clear top
        quarter, the bonuses.
    """
    h = headline_numbers(card, payouts if payouts is not None else pd.DataFrame(
        {"role": [], "bonus": []}))
    clear = ", ".join(_who(r, names) for r in h["clear_top"]) if h["clear_top"] else (
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
    lines.append(f"- **Clearly {_top_words(h['assessed'])}** (even the pessimistic end of the "
                 f"rank interval): {clear}.")
    if payouts is not None and "attainment" not in card.left_out:
        lines.append(f"- **Bonuses:** {h['rep_bonus']:,.0f} to {h['reps_paid']} reps, "
                     f"{h['manager_bonus']:,.0f} to managers.")
    return lines


def scoring_text(card: Scorecard) -> str:
    """What the score is made of: the weights used, and the KPIs left out with the reason.

    Parameters
    ----------
    card : Scorecard
        The period's scorecard.

    Returns
    -------
    str
        One or two sentences; the weights used are the weights set, divided by the share of
        them the data can measure.
    """
    used = ", ".join(f"{_WORDS[k]} {pct(v)}" for k, v in card.used_weights.items())
    weighed = [k for k in card.weights if k in card.left_out]
    if not weighed:
        return f"The score weighs {escape(used)}, as set for this report."
    why = "; ".join(f"{_WORDS[k]} ({card.left_out[k]})" for k in weighed)
    share = sum(card.weights[k] for k in weighed)
    return (f"**Left out of the score:** {escape(why)}. Their weight ({pct(share)} of the total) "
            f"is shared out over the KPIs the data measures in proportion, so the score weighs "
            f"{escape(used)}.")


def bonus_text(card: Scorecard, payouts: pd.DataFrame, plan: dict[str, Any], *,
               warn_cap: bool = True) -> str:
    """The payout total against the budget, and what the data means for the plan's gate.

    Parameters
    ----------
    card : Scorecard
        The period's scorecard.
    payouts : pandas.DataFrame
        From :func:`~salesnb.assessment.bonuses.bonus`.
    plan : dict
        The plan paid by.
    warn_cap : bool, default True
        Say when most paid reps reach the cap.

    Returns
    -------
    str
        :func:`~salesnb.assessment.bonuses.bonus_summary`, the warning of
        :func:`~salesnb.assessment.bonuses.cap_warning` when most paid reps reach the cap,
        and, when the data has no survey
        for the satisfaction gate to read, that the gate stops every bonus and how to change
        that (raw HTML not yet removed: :func:`salesnb.core.fmt.no_html`).
    """
    text = bonus_summary(payouts, plan)
    warning = cap_warning(payouts, plan) if warn_cap else ""
    if warning:
        text += "\n\n" + warning
    gate = plan.get("min_satisfaction")
    if gate and "satisfaction" in card.left_out:
        text += (f"\n\n**The plan's satisfaction gate ({float(gate):.2f}) cannot be met:** "
                 f"{card.left_out['satisfaction']}, so no rep has a score to pass it and every "
                 "rep bonus is stopped. To pay on attainment alone, set `min_satisfaction` to 0 "
                 "(or remove it from the plan file).")
    return text


def history_text(hist: pd.DataFrame, *, min_periods: int = 3) -> str:
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
    str
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
    return text


def weights_text(card: Scorecard) -> str:
    """The weights the score used, and the KPIs left out, in one clause.

    Parameters
    ----------
    card : Scorecard
        The period's scorecard.

    Returns
    -------
    str
        ``Weights used: attainment 40 %, ...``, with ``(left out: ...)`` when a weighed KPI is
        not measured.
    """
    used = ", ".join(f"{_WORDS[k]} {pct(v)}" for k, v in card.used_weights.items())
    gone = [_WORDS[k] for k in card.weights if k in card.left_out]
    return (f"Weights used: {escape(used)}"
            + (f" (left out: {escape(', '.join(gone))})" if gone else ""))
