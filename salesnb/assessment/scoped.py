"""The assessment of one scope: who is ranked with whom, whose rows are shown, what is paid.

The policy's three roles read the same assessment at three levels. The director's page
(``company``) ranks every rep. A region's or a team's page (``region:<r>``,
``manager:<id>``) ranks its reps with each other: :func:`assess` scores the scope's data, so
every KPI's points, the shrinkage and the rank intervals are relative to the scope's reps; one
labelled company figure (:func:`company_line`, :func:`company_card`) compares the region or
team with the whole company. A rep's page (``rep:<id>``) ranks the rep inside their team
(:func:`salesnb.scope.team_data`): the team is scored, only the rep's own rows are shown
(:meth:`Assessment.own`), and the others appear only as team figures (the median, a rank "2nd
of 6").

The scope's figures are in modules of their own, and their names importable from here too:
the rep's standing in the team (:mod:`~salesnb.assessment.ranks`), the whole company's line
to compare with (:mod:`~salesnb.assessment.company`) and the KPIs period by period
(:mod:`~salesnb.assessment.trends`).

Examples
--------
>>> import salesnb as sn
>>> d = sn.scope.apply_scope(sn.load("data"), "rep:R020")                  # doctest: +SKIP
>>> a = sn.assessment.assess(d, "2025Q4")                                  # doctest: +SKIP
>>> rank_words(rank_band(a.card, "R020"))                                  # doctest: +SKIP
'2nd of 6 in the team; likely between 1st and 3rd'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from salesnb.assessment.blocks import AssessmentError, counts, teams_of
from salesnb.assessment.bonuses import bonus
from salesnb.assessment.careers import history, promotion_candidates, training_needs
from salesnb.assessment.company import (
    company_blocks,
    company_card,
    company_line,
    company_payouts,
)
from salesnb.assessment.defaults import DEFAULT_PLAN, DEFAULT_WEIGHTS
from salesnb.assessment.periods import check_period, recent_periods
from salesnb.assessment.ranks import MEDIAN_KPIS, ordinal, rank_band, rank_words, team_medians
from salesnb.assessment.scoring import Scorecard, scorecard
from salesnb.assessment.trends import rep_trend, scope_trend
from salesnb.core.periods import parse_as_of, period_freq
from salesnb.scope.filters import scoped, team_data
from salesnb.scope.model import Scope
from salesnb.scope.shared import shared

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData

T = TypeVar("T")

__all__ = ["Assessment", "assess", "visible", "scope_payouts", "rank_band", "ordinal",
           "rank_words", "MEDIAN_KPIS", "team_medians", "company_blocks", "company_card",
           "company_payouts", "company_line", "rep_trend", "scope_trend", "promotion_status",
           "promotion_list", "training_status", "per_team"]


@dataclass
class Assessment:
    """One period's assessment of a scope, ready for the report's views.

    Attributes
    ----------
    scope : Scope
        Whose page it is.
    data : SalesData
        The scope's data (:func:`salesnb.scope.apply_scope`).
    team : SalesData
        The data ranked within: a rep's whole team (:func:`salesnb.scope.team_data`), else
        ``data``.
    period : pandas.Period
        The period assessed.
    blocks : pandas.DataFrame
        :func:`~salesnb.assessment.blocks.counts` of ``team`` at the period's length.
    card : Scorecard
        ``team``'s scorecard: the scope's reps ranked with each other (a rep: with their
        team). On a rep's page only the rep's row is shown.
    teams : pandas.DataFrame or None
        The scope's managers' roll-ups of the period (the team bonus); None without a reps
        table, no rows on a rep's page.
    plan : dict
        The bonus plan paid by.
    payouts : pandas.DataFrame
        :func:`~salesnb.assessment.bonuses.bonus` of the scope's people only (their reps and,
        for a region or team, their managers' team bonus).
    """

    scope: Scope
    data: SalesData
    team: SalesData
    period: pd.Period
    blocks: pd.DataFrame
    card: Scorecard
    teams: pd.DataFrame | None
    plan: dict[str, Any]
    payouts: pd.DataFrame

    @property
    def rep(self) -> str | None:
        """The rep's id on a rep's page, else None."""
        return self.scope.value if self.scope.kind == "rep" else None

    @property
    def team_size(self) -> int:
        """Reps with a score in the period among those ranked together."""
        return int(self.card.table["score"].notna().sum())

    def own(self, frame: pd.DataFrame, column: str = "rep_id") -> pd.DataFrame:
        """The rows of ``frame`` (by ``column`` or the index) the scope may show.

        Parameters
        ----------
        frame : pandas.DataFrame
            A table with rep ids.
        column : str, default="rep_id"
            The rep id column, or the index's name.

        Returns
        -------
        pandas.DataFrame
            ``frame`` for the company; else only the scope's people (:func:`visible`).
        """
        return visible(frame, self.scope, column)

    @cached_property
    def history(self) -> pd.DataFrame:
        """Scores and ranks of the last four periods, ranked as the card is (within the team).

        Returns
        -------
        pandas.DataFrame
            :func:`~salesnb.assessment.careers.history` of ``team``.
        """
        periods = recent_periods(self.period, 4)
        return per_team(self.data, ("history", str(self.period),
                                    tuple(sorted(self.card.weights.items()))),
                        lambda: history(self.team, periods, weights=self.card.weights))


def per_team(d: SalesData, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()`` on a rep's page once per team: every teammate's page ranks the same team.

    Parameters
    ----------
    d : SalesData
        The page's data (:func:`salesnb.scope.apply_scope`).
    key : tuple
        What is computed on the team's data, with its parameters.
    compute : callable
        Computes it from :func:`~salesnb.scope.filters.team_data` of ``d``.

    Returns
    -------
    object
        The result, shared (:func:`~salesnb.scope.shared.shared`) among the pages of the
        reps of one team; on any other page, computed for it.
    """
    scope = scoped(d)
    if scope.kind != "rep" or scope.manager is None or d.whole is None:
        return compute()  # not a rep with a team: the page's own data, ranked for it alone
    return shared(d, ("assessment.team", scope.manager, scope.team, *key), compute, keep=6)


def visible(frame: pd.DataFrame, scope: Scope, column: str = "rep_id") -> pd.DataFrame:
    """The rows of ``frame`` a scope's page may show: its own people (all for the company).

    Parameters
    ----------
    frame : pandas.DataFrame
        A table with rep ids in ``column`` (or in the index of that name).
    scope : Scope
        The page's scope.
    column : str, default="rep_id"
        The rep id column or index name.

    Returns
    -------
    pandas.DataFrame
        ``frame`` for the company; else its rows whose rep id is one of
        :attr:`Scope.reps` (on a rep's page, the rep's own).
    """
    if scope.is_company:
        return frame
    ids = pd.Series(frame.index if column not in frame.columns else frame[column].to_numpy())
    keep = ids.astype("string").str.strip().isin(set(scope.reps)).fillna(False)
    return frame.loc[keep.to_numpy(dtype=bool)]


def scope_payouts(table: pd.DataFrame, plan: Mapping[str, Any], teams: pd.DataFrame | None,
                  scope: Scope) -> pd.DataFrame:
    """Pay the scope's people by the plan: its reps, and its managers' team bonus.

    A bonus depends only on the person's own revenue, attainment and satisfaction (and a
    manager's on their team's): each amount is the one the company's page pays the same
    person.

    Parameters
    ----------
    table : pandas.DataFrame
        The scorecard table (:attr:`Scorecard.table`) the scope was ranked in.
    plan : mapping
        The bonus plan.
    teams : pandas.DataFrame, optional
        Manager roll-ups (:func:`~salesnb.assessment.blocks.teams_of`), indexed by manager.
    scope : Scope
        The page's scope.

    Returns
    -------
    pandas.DataFrame
        :func:`~salesnb.assessment.bonuses.bonus` of the scope's people only.
    """
    mine = visible(table, scope)
    if teams is not None:
        teams = visible(teams, scope, teams.index.name or "manager_id")
        teams = teams if len(teams) else None
    return bonus(mine, plan, teams=teams)


def assess(d: SalesData, period: str | pd.Period | None = None, *,
           weights: Mapping[str, float] | None = None,
           plan: Mapping[str, Any] | None = None) -> Assessment:
    """Assess one scope for one period: rank within the team, pay the scope's people.

    Parameters
    ----------
    d : SalesData
        The scope's data (:func:`salesnb.scope.apply_scope`; unscoped data is the company).
    period : str or pandas.Period, optional
        "2025Q4", "2025-12", "2025"; default the company's last complete quarter (the same
        period on every scope's page).
    weights : mapping, optional
        KPI weights; default :data:`~salesnb.assessment.defaults.DEFAULT_WEIGHTS`.
    plan : mapping, optional
        The bonus plan; default :data:`~salesnb.assessment.defaults.DEFAULT_PLAN`.

    Returns
    -------
    Assessment

    Raises
    ------
    PeriodOutsideError
        The company's data has nothing in the period.
    AssessmentError
        Invalid weights or plan, or nobody of the scope has data in the period.
    """
    scope = scoped(d)
    p = check_period(d.company, period, as_of=d.as_of)
    team = team_data(d)
    w = dict(weights or DEFAULT_WEIGHTS)
    blocks = per_team(d, ("counts", str(p)), lambda: counts(team, freq=period_freq(p)))
    try:
        card = per_team(d, ("card", str(p), tuple(sorted(w.items()))),
                        lambda: scorecard(team, period=p, weights=w, blocks=blocks))
    except AssessmentError as exc:
        if scope.is_company:
            raise
        raise AssessmentError(f"{scope.label}: {exc} Choose another period.") from exc
    reps = team.get("reps")
    teams = (teams_of(blocks, reps, card.period)
             if reps is not None and {"role", "manager_id"} <= set(reps.columns) else None)
    use = dict(plan) if plan is not None else dict(DEFAULT_PLAN)
    payouts = scope_payouts(card.table, use, teams, scope)
    return Assessment(scope, d, team, card.period, blocks, card, teams, use, payouts)


# --------------------------------------------------------------------------- careers


def promotion_status(a: Assessment, *, top: float = 0.25, min_periods: int = 3,
                     min_tenure_years: float = 1.0) -> dict[str, Any]:
    """Whether the page's rep is a promotion candidate, and why (or why not).

    Parameters
    ----------
    a : Assessment
        A rep's assessment (its :attr:`Assessment.history` is ranked within the team).
    top, min_periods, min_tenure_years
        As for :func:`~salesnb.assessment.careers.promotion_candidates`.

    Returns
    -------
    dict
        ``candidate`` (bool), ``periods_top``, ``periods`` (scored periods with the rep),
        ``mean_score``, ``tenure`` (years, or None), ``active`` (bool) and ``reason`` (the
        candidate list's reason for a candidate, else what is missing).
    """
    rep = a.rep or ""
    hist = a.history
    reps = a.team.get("reps")
    listed = promotion_candidates(hist, top=top, min_periods=min_periods,
                                  min_tenure_years=min_tenure_years, reps=reps,
                                  as_of=a.data.as_of) if not hist.empty else pd.DataFrame()
    everyone = (promotion_candidates(hist, top=top, min_periods=0) if not hist.empty
                else pd.DataFrame())
    mine = everyone[everyone["rep_id"] == rep] if len(everyone) else everyone
    periods_top = int(mine["periods_top"].iloc[0]) if len(mine) else 0
    periods = int(mine["periods"].iloc[0]) if len(mine) else 0
    mean_score = float(mine["mean_score"].iloc[0]) if len(mine) else np.nan
    tenure, active = None, True
    if reps is not None and "rep_id" in reps.columns:
        info = reps[reps["rep_id"].astype(str) == rep]
        if len(info) and "hire_date" in info.columns and pd.notna(info["hire_date"].iloc[0]):
            day = pd.Timestamp(parse_as_of(a.data.as_of))
            tenure = float((day - pd.Timestamp(info["hire_date"].iloc[0])).days / 365.25)
        if len(info) and "status" in info.columns and pd.notna(info["status"].iloc[0]):
            active = str(info["status"].iloc[0]) == "active"
    candidate = bool(len(listed)) and rep in set(listed["rep_id"])
    if candidate:
        reason = str(listed.loc[listed["rep_id"] == rep, "reason"].iloc[0])
    else:
        why = []
        if periods_top < min_periods:
            why.append(f"in the team's top {top:.0%} in {periods_top} of {periods} "
                       f"period{'s' if periods != 1 else ''} ({min_periods} needed)")
        if tenure is not None and tenure < min_tenure_years:
            why.append(f"{tenure:.1f} years with the company ({min_tenure_years:g} needed)")
        if not active:
            why.append("not active")
        reason = "; ".join(why) or "not in the candidate list"
    return {"candidate": candidate, "periods_top": periods_top, "periods": periods,
            "mean_score": mean_score, "tenure": tenure, "active": active, "reason": reason}


def training_status(a: Assessment, *, below: float = 75.0) -> pd.DataFrame:
    """The training needs of the page's people: the scope's reps (a rep: their own row).

    Parameters
    ----------
    a : Assessment
        The assessment.
    below : float, default=75.0
        As for :func:`~salesnb.assessment.careers.training_needs` (its ``team`` column is
        the average of the reps ranked together).

    Returns
    -------
    pandas.DataFrame
        :func:`~salesnb.assessment.careers.training_needs` rows of the scope's people.
    """
    return a.own(training_needs(a.card, below=below))


def promotion_list(a: Assessment) -> pd.DataFrame:
    """The promotion candidates among the scope's reps (ranked within the scope).

    Parameters
    ----------
    a : Assessment

    Returns
    -------
    pandas.DataFrame
        :func:`~salesnb.assessment.careers.promotion_candidates` of :attr:`Assessment.history`,
        the scope's people only.
    """
    hist = a.history
    if hist.empty:
        return pd.DataFrame(columns=["rep_id", "periods_top", "periods", "mean_score",
                                     "mean_attainment", "best_rank", "worst_rank", "reason"])
    return a.own(promotion_candidates(hist, reps=a.team.get("reps"), as_of=a.data.as_of))
