"""A rep's standing among the reps ranked with them: rank bands, in words, beside the median.

On a rep's page the rep is ranked inside their team (:func:`~salesnb.assessment.scoped.assess`):
:func:`rank_band` is the rep's rank with its 90 % interval, :func:`rank_words` says it ("2nd
of 6 in the team; likely between 1st and 3rd"), and :func:`team_medians` sets each KPI
beside the median of the reps ranked together, so the other reps appear only as team figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from salesnb.assessment.scoring import Scorecard

__all__ = ["rank_band", "ordinal", "rank_words", "MEDIAN_KPIS", "team_medians"]

#: The KPIs compared with the team median on a rep's page: (column, words, in percent).
MEDIAN_KPIS: tuple[tuple[str, str, bool], ...] = (
    ("revenue", "revenue", False), ("attainment", "attainment %", True),
    ("win_rate", "win rate %", True), ("lead_conversion", "lead conversion %", True),
    ("satisfaction", "satisfaction", False), ("new_customers", "new customers", False),
    ("activity", "visits", False), ("avg_deal_size", "average deal size", False),
    ("cycle_days", "cycle days (lower is better)", False))


def rank_band(card: Scorecard, rep: str) -> dict[str, Any] | None:
    """A rep's rank among the reps of a scorecard, with its 90 % interval.

    Parameters
    ----------
    card : Scorecard
        The scorecard the rep was ranked in (a rep's page: the team's).
    rep : str
        The rep's id.

    Returns
    -------
    dict or None
        ``rank``, ``of`` (reps with a score), ``low`` and ``high`` (the interval, None
        without rank draws), ``p_top`` (chance of a top-quarter rank, or None), ``score``;
        None when the rep has no score in the period.
    """
    t = card.table
    if rep not in t.index or pd.isna(t.at[rep, "score"]):
        return None
    row = t.loc[rep]

    def num(key: str) -> float | None:
        return float(row[key]) if key in t.columns and pd.notna(row[key]) else None

    low, high = num("rank_low"), num("rank_high")
    return {"rank": int(row["rank"]), "of": int(t["score"].notna().sum()),
            "low": None if low is None else int(low), "high": None if high is None else int(high),
            "p_top": num("p_top"), "score": float(row["score"])}


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``21st``.

    Parameters
    ----------
    n : int

    Returns
    -------
    str

    Examples
    --------
    >>> [ordinal(i) for i in (1, 2, 3, 4, 11, 12, 13, 21, 102)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '102nd']
    """
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_words(band: Mapping[str, Any], among: str = "in the team") -> str:
    """A rank band in words: ``"2nd of 6 in the team; likely between 1st and 3rd"``.

    Parameters
    ----------
    band : mapping
        From :func:`rank_band`.
    among : str, default="in the team"
        Who the rank is among.

    Returns
    -------
    str
    """
    text = f"{ordinal(band['rank'])} of {band['of']} {among}"
    low, high = band.get("low"), band.get("high")
    if low is not None and high is not None:
        text += (f"; likely {ordinal(low)} whatever the luck of the period" if low == high
                 else f"; likely between {ordinal(low)} and {ordinal(high)}")
    return text


def team_medians(card: Scorecard, rep: str) -> pd.DataFrame:
    """A rep's KPIs beside the median of the reps they are ranked with, KPI by KPI.

    Parameters
    ----------
    card : Scorecard
        The scorecard the rep was ranked in (the team's).
    rep : str
        The rep's id.

    Returns
    -------
    pandas.DataFrame
        One row per KPI the data measures (:data:`MEDIAN_KPIS`, shares in percent): ``kpi``,
        ``this rep`` (the rep's value), ``team median`` (over the ranked reps with a value, the
        rep included), ``reps`` (how many), ``points`` (the rep's 0–100 points where the KPI
        is weighed) and ``verdict``. No row when the rep is not in the card.
    """
    t = card.table
    rows = []
    if rep in t.index:
        for column, words, share in MEDIAN_KPIS:
            if column in card.left_out or column not in t.columns:
                continue
            values = pd.to_numeric(t[column], errors="coerce").dropna()
            mine = t.at[rep, column]
            if values.empty:
                continue
            factor = 100.0 if share else 1.0
            median = float(values.median())
            own = float(mine) if pd.notna(mine) else np.nan
            points = t.at[rep, f"{column}_points"] if f"{column}_points" in t.columns else np.nan
            if not np.isfinite(own):
                verdict = "no value this period"
            elif np.isclose(own, median):
                verdict = "at the median"
            else:
                better = (own < median) if column == "cycle_days" else (own > median)
                verdict = "above the median" if better else "below the median"
                if column == "cycle_days":
                    verdict = "faster than the median" if better else "slower than the median"
            rows.append({"kpi": words, "this rep": own * factor, "team median": median * factor,
                         "reps": len(values), "points": float(points) if pd.notna(points)
                         else np.nan, "verdict": verdict})
    return pd.DataFrame(rows, columns=["kpi", "this rep", "team median", "reps", "points",
                                       "verdict"])
