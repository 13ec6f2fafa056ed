"""The whole company's figures a region's, a team's or a rep's page compares with.

A scope's page ranks its reps with each other (:func:`~salesnb.assessment.scoped.assess`);
the one labelled company figure beside it is computed here from the company's data: its
counts (:func:`company_blocks`), scorecard (:func:`company_card`), payouts
(:func:`company_payouts`) and the summed line of the org roll-up (:func:`company_line`).
Each is computed once per dataset (:func:`salesnb.scope.shared.shared`) and reused by every
scope's page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from salesnb.assessment.blocks import counts, ratios, teams_of
from salesnb.assessment.bonuses import bonus
from salesnb.assessment.defaults import DEFAULT_WEIGHTS
from salesnb.assessment.scoring import Scorecard, scorecard
from salesnb.core.periods import period_freq
from salesnb.scope.shared import shared

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData

__all__ = ["company_blocks", "company_card", "company_payouts", "company_line"]


def _plan_key(plan: Mapping[str, Any]) -> str:
    return json.dumps(plan, sort_keys=True, default=str)


def company_blocks(d: SalesData, freq: str) -> pd.DataFrame:
    """:func:`~salesnb.assessment.blocks.counts` of the whole company (computed once).

    Parameters
    ----------
    d : SalesData
        Any scope's data.
    freq : {"M", "Q", "Y"}
        Period length.

    Returns
    -------
    pandas.DataFrame
    """
    return shared(d, ("assessment.counts", freq), lambda: counts(d.company, freq=freq))


def company_card(d: SalesData, period: str | pd.Period,
                 weights: Mapping[str, float] | None = None) -> Scorecard:
    """The whole company's scorecard of the period (no rank draws; computed once).

    Parameters
    ----------
    d : SalesData
        Any scope's data.
    period : str or pandas.Period
        The period.
    weights : mapping, optional
        KPI weights (the raw KPIs and the payouts do not depend on them).

    Returns
    -------
    Scorecard
    """
    w = dict(weights or DEFAULT_WEIGHTS)
    freq = period_freq(pd.Period(period) if isinstance(period, str) else period)
    key = ("assessment.card", str(period), tuple(sorted(w.items())))
    return shared(d, key, lambda: scorecard(d.company, period=period, weights=w, draws=0,
                                            blocks=company_blocks(d, freq)))


def company_payouts(d: SalesData, period: str | pd.Period, plan: Mapping[str, Any],
                    weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """What the company pays everyone in the period by ``plan`` (the company page's payouts).

    Parameters
    ----------
    d : SalesData
        Any scope's data.
    period : str or pandas.Period
        The period.
    plan : mapping
        The bonus plan.
    weights : mapping, optional
        KPI weights the company's scorecard is computed with when it is not yet (the
        payouts read only raw KPIs, which the weights do not change).

    Returns
    -------
    pandas.DataFrame
        :func:`~salesnb.assessment.bonuses.bonus` of every rep and manager.
    """
    p = pd.Period(period) if isinstance(period, str) else period
    reps = d.company.get("reps")

    def compute() -> pd.DataFrame:
        card = company_card(d, p, weights)
        teams = None
        if reps is not None and {"role", "manager_id"} <= set(reps.columns):
            teams = teams_of(company_blocks(d, period_freq(card.period)), reps, card.period)
        return bonus(card.table, plan, teams=teams)

    # the payouts read the raw KPIs only, which no weight changes: one result per plan
    return shared(d, ("assessment.payouts", str(p), _plan_key(plan)), compute)


def company_line(d: SalesData, period: str | pd.Period) -> pd.Series:
    """The whole company's KPIs in the period: everyone's counts summed, rates recomputed.

    Parameters
    ----------
    d : SalesData
        Any scope's data.
    period : str or pandas.Period
        The period.

    Returns
    -------
    pandas.Series
        The :func:`~salesnb.assessment.blocks.ratios` of the company's summed counts (the
        director's line of the company's org roll-up).
    """
    p = pd.Period(period) if isinstance(period, str) else period
    blocks = company_blocks(d, period_freq(p))
    at = blocks[blocks.index.get_level_values("period") == p]
    return ratios(at.sum().to_frame().T).iloc[0]
