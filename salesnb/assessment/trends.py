"""A scope's KPIs period by period: the rep's own beside the team's median, or the scope's.

Up to eight periods of the assessed period's length, ending with it: :func:`rep_trend` for a
rep's page (the rep's own figures and the median attainment of the reps ranked with them),
:func:`scope_trend` for the company, a region or a team (the scope's reps together).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from salesnb.assessment.blocks import ratios

if TYPE_CHECKING:
    from salesnb.assessment.scoped import Assessment

__all__ = ["rep_trend", "scope_trend"]


def _last(blocks: pd.DataFrame, period: pd.Period, periods: int) -> list[pd.Period]:
    have = sorted(set(blocks.index.get_level_values("period")))
    return [q for q in have if q <= period][-periods:]


def rep_trend(a: Assessment, periods: int = 8) -> pd.DataFrame:
    """The rep's own KPIs period by period, beside the team's median attainment.

    Parameters
    ----------
    a : Assessment
        A rep's assessment.
    periods : int, default=8
        How many periods up to the one assessed (of its length).

    Returns
    -------
    pandas.DataFrame
        One row per period the team has data in: ``period``, ``rep_id``, revenue, target,
        ``attainment %``, ``team median attainment %`` (over the team's reps with a target),
        win rate and lead conversion in percent, satisfaction. Only the rep's id.
    """
    rep = a.rep or ""
    kpi = ratios(a.blocks)
    team = set(a.card.table.index)  # the reps ranked (role rep), the rep included
    rows = []
    for p in _last(a.blocks, a.period, periods):
        at = kpi.xs(p, level="period")
        at = at[at.index.isin(team | {rep})]
        own = at.loc[rep] if rep in at.index else None
        att = at["attainment"].dropna()

        def val(column: str, factor: float = 1.0, own: pd.Series | None = own) -> float:
            return float(own[column]) * factor if own is not None and pd.notna(own[column]) \
                else np.nan

        rows.append({"period": str(p), "rep_id": rep, "revenue": val("revenue"),
                     "target": val("target"), "attainment %": val("attainment", 100.0),
                     "team median attainment %": 100 * float(att.median()) if len(att)
                     else np.nan, "win rate %": val("win_rate", 100.0),
                     "lead conv. %": val("lead_conversion", 100.0),
                     "satisfaction": val("satisfaction")})
    return pd.DataFrame(rows, columns=["period", "rep_id", "revenue", "target", "attainment %",
                                       "team median attainment %", "win rate %", "lead conv. %",
                                       "satisfaction"])


def scope_trend(a: Assessment, periods: int = 8) -> pd.DataFrame:
    """The scope's reps together, period by period: revenue, target, attainment, on target.

    Parameters
    ----------
    a : Assessment
        A company, region or team assessment.
    periods : int, default=8
        How many periods up to the one assessed (of its length).

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period``, ``reps`` (with a target), ``on target``, ``median
        attainment %``, and the reps' summed ``revenue``, ``target`` and ``attainment %``
        (summed revenue over summed target, not an average of ratios).
    """
    reps = a.team.get("reps")
    blocks = a.blocks
    if reps is not None and "role" in reps.columns:
        sellers = set(reps.loc[reps["role"] == "rep", "rep_id"].astype(str))
        blocks = blocks[blocks.index.get_level_values("rep_id").isin(sellers)]
    kpi = ratios(blocks)
    rows = []
    for p in _last(blocks, a.period, periods):
        at = blocks.xs(p, level="period")
        att = kpi.xs(p, level="period")["attainment"].dropna()
        total = ratios(at.sum().to_frame().T).iloc[0]
        rows.append({"period": str(p), "reps": len(att), "on target": int((att >= 1).sum()),
                     "median attainment %": 100 * float(att.median()) if len(att) else np.nan,
                     "revenue": float(total["revenue"]), "target": float(total["target"]),
                     "attainment %": 100 * float(total["attainment"])})
    return pd.DataFrame(rows, columns=["period", "reps", "on target", "median attainment %",
                                       "revenue", "target", "attainment %"])
