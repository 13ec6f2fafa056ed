"""Lead tiers, and which scored leads to work first or hand to a rep.

* :func:`tier_of` turns conversion probabilities into tiers "A".."D" (:data:`TIERS`);
  :func:`tier_counts` counts them.
* :func:`triage` re-tiers scored leads, keeps a scope (regions) and marks those in tiers
  A to ``min_tier`` for a rep (the rest go to marketing nurture).
* :func:`top_leads` ranks scored leads by expected value, with the lead attributes a person
  reads to decide.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesnb.core.columns import require_columns
from salesnb.leads.defaults import DEFAULT_TIERS, TIERS
from salesnb.leads.errors import LeadScoringError

__all__ = ["KEY_ATTRIBUTES", "tier_of", "tier_counts", "triage", "top_leads"]

#: Lead attributes listed beside the key leads (those the table has).
KEY_ATTRIBUTES: tuple[str, ...] = ("source", "industry", "size", "region", "budget",
                                   "needs_score", "credit_rating")


def _check_tiers(tiers: tuple[float, float, float]) -> None:
    if not (len(tiers) == 3 and tiers[0] >= tiers[1] >= tiers[2]):
        raise LeadScoringError(f"tiers must be three descending cut-offs (A >= B >= C), "
                               f"got {tiers!r}.")


def tier_of(probability: pd.Series, tiers: tuple[float, float, float] = DEFAULT_TIERS
            ) -> pd.Series:
    """Tier "A".."D" of each probability (A from ``tiers[0]``, B, C, then D below ``tiers[2]``).

    Parameters
    ----------
    probability : pandas.Series
        Conversion probabilities.
    tiers : tuple of three floats, default=(0.5, 0.3, 0.15)
        Probability from which a lead is tier A, B and C (descending).

    Returns
    -------
    pandas.Series
        Text "A".."D", aligned with ``probability``.

    Raises
    ------
    LeadScoringError
        When the cut-offs are not descending.
    """
    _check_tiers(tiers)
    prob = probability.to_numpy(dtype=float)
    idx = np.select([prob >= tiers[0], prob >= tiers[1], prob >= tiers[2]], [0, 1, 2], 3)
    labels = np.array(TIERS, dtype=object)
    return pd.Series(labels[idx], index=probability.index, dtype="str")


def tier_counts(tiers: pd.Series) -> pd.Series:
    """How many leads are in each tier, every tier listed (best first).

    Parameters
    ----------
    tiers : pandas.Series
        Tiers "A".."D", e.g. from :func:`tier_of`.

    Returns
    -------
    pandas.Series
        Indexed by tier ("A", "B", "C", "D"), leads per tier (0 for an empty tier).
    """
    return tiers.value_counts().reindex(list(TIERS), fill_value=0)


def triage(scored: pd.DataFrame, *, tiers: tuple[float, float, float] = DEFAULT_TIERS,
           min_tier: str = "C", regions: Sequence[str] = ()) -> pd.DataFrame:
    """Re-tier scored leads and mark the ones a rep should take.

    Parameters
    ----------
    scored : pandas.DataFrame
        Scored leads with ``probability`` (and ``region`` when ``regions`` is given), e.g.
        from :meth:`~salesnb.leads.LeadModel.score`.
    tiers : tuple of three floats, default=(0.5, 0.3, 0.15)
        Probability from which a lead is tier A, B and C.
    min_tier : {"A", "B", "C", "D"}, default="C"
        Lowest tier given to a rep; lower tiers go to marketing nurture.
    regions : sequence of str, default=()
        Keep only the leads of these regions (empty: every region).

    Returns
    -------
    pandas.DataFrame
        The leads in scope (rows of ``scored``, same index), ``tier`` set from ``tiers`` and
        a boolean ``to_rep`` (tier A to ``min_tier``).

    Raises
    ------
    LeadScoringError
        When the cut-offs are not descending or ``min_tier`` is not a tier.
    ColumnError
        When ``probability`` (or, with ``regions``, ``region``) is missing.
    """
    if min_tier not in TIERS:
        raise LeadScoringError(f"min_tier must be one of {', '.join(TIERS)}, got {min_tier!r}.")
    require_columns(scored, ["probability", "region" if regions else None],
                    table="the scored leads", fix="score the leads first (LeadModel.score)")
    out = scored.assign(tier=tier_of(scored["probability"], tiers))
    if regions:
        out = out[out["region"].isin(list(regions)).to_numpy()]
    return out.assign(to_rep=out["tier"].isin(TIERS[: TIERS.index(min_tier) + 1]))


def top_leads(scored: pd.DataFrame, leads: pd.DataFrame, *, n: int = 25,
              attributes: Sequence[str] = KEY_ATTRIBUTES) -> pd.DataFrame:
    """The scored leads worth following first: highest expected value, then probability.

    Parameters
    ----------
    scored : pandas.DataFrame
        From :meth:`~salesnb.leads.LeadModel.score` (lead_id, probability, expected_value,
        tier, top_factors).
    leads : pandas.DataFrame
        The lead attributes, by ``lead_id``.
    n : int, default=25
        Leads returned.
    attributes : sequence of str, default=KEY_ATTRIBUTES
        Columns of ``leads`` added beside the scores (those present and not already scored).

    Returns
    -------
    pandas.DataFrame
        The ``n`` best rows of ``scored`` (its index), with the attributes joined; leads
        without an expected value last.

    Raises
    ------
    ColumnError
        When ``scored`` lacks lead_id, probability or expected_value, or ``leads`` lacks
        lead_id.
    """
    fix = "score the leads first (LeadModel.score) and pass the lead table with lead_id"
    require_columns(scored, ["lead_id", "probability", "expected_value"],
                    table="the scored leads", fix=fix)
    require_columns(leads, ["lead_id"], table="the leads", fix=fix)
    attrs = leads.set_index("lead_id")[[c for c in attributes
                                        if c in leads.columns and c not in scored.columns]]
    out = scored.join(attrs, on="lead_id")
    return out.sort_values(["expected_value", "probability"], ascending=False,
                           na_position="last").head(n)
