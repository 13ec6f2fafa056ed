"""The rep-assessment report's tables on a scorecard: the scorecard as read, the org roll-up.

Plain data frames for :mod:`salesnb.assessment.views` and the scope's page
(:mod:`salesnb.assessment.pages`): shares in percent, the KPIs the data cannot measure
(:attr:`~salesnb.assessment.scoring.Scorecard.left_out`) left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.assessment.blocks import org_view
from salesnb.assessment.scoring import Scorecard

__all__ = ["scorecard_columns", "org_table"]


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
