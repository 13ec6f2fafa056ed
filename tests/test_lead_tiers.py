"""Tests of salesnb.leads.tiers: tiers, triage for the assignment, the key leads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesnb import leads as L
from salesnb.errors import ColumnError


@pytest.fixture
def scored() -> pd.DataFrame:
    return pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(6)],
        "probability": [0.9, 0.55, 0.35, 0.2, 0.05, 0.3],
        "expected_value": [900.0, np.nan, 3500.0, 200.0, 50.0, 3500.0],
        "tier": "?",
        "top_factors": "+ x=1",
        "region": ["North", "South", "North", "South", "North", "South"],
    }, index=[10, 11, 12, 13, 14, 15])


def test_tier_of_and_counts(scored) -> None:
    t = L.tier_of(scored["probability"], (0.5, 0.3, 0.15))
    assert t.tolist() == ["A", "A", "B", "C", "D", "B"] and t.index.equals(scored.index)
    assert L.tier_of(scored["probability"]).tolist() == t.tolist()  # DEFAULT_TIERS
    assert L.tier_of(scored["probability"], (0.99, 0.98, 0.97)).eq("D").all()
    counts = L.tier_counts(t.iloc[:2])
    assert counts.to_dict() == {"A": 2, "B": 0, "C": 0, "D": 0}
    with pytest.raises(L.LeadScoringError, match="A >= B >= C"):
        L.tier_of(scored["probability"], (0.2, 0.3, 0.1))


def test_triage_tiers_scope_and_min_tier(scored) -> None:
    t = L.triage(scored, tiers=(0.5, 0.3, 0.15), min_tier="B")
    assert t.index.equals(scored.index)
    assert t["tier"].tolist() == ["A", "A", "B", "C", "D", "B"]
    assert t["to_rep"].tolist() == [True, True, True, False, False, True]
    north = L.triage(scored, tiers=(0.5, 0.3, 0.15), min_tier="D", regions=["North"])
    assert north["lead_id"].tolist() == ["L0", "L2", "L4"] and north["to_rep"].all()
    assert scored["tier"].eq("?").all()  # the input is not changed
    with pytest.raises(L.LeadScoringError, match="min_tier"):
        L.triage(scored, min_tier="E")
    with pytest.raises(ColumnError, match="'region'"):
        L.triage(scored.drop(columns="region"), regions=["North"])
    assert len(L.triage(scored.drop(columns="region"))) == len(scored)


def test_top_leads_rank_by_expected_value(scored) -> None:
    attrs = pd.DataFrame({"lead_id": [f"L{i}" for i in range(6)],
                          "source": list("abcdef"), "budget": np.arange(6) * 1000.0,
                          "region": "ignored: already scored", "secret": "x"})
    top = L.top_leads(scored, attrs, n=4)
    # expected value first, probability breaks the tie, no expected value last
    assert top["lead_id"].tolist() == ["L2", "L5", "L0", "L3"]
    assert top.index.tolist() == [12, 15, 10, 13]
    assert {"source", "budget"} <= set(top.columns) and "secret" not in top.columns
    assert (top["region"] == scored.loc[top.index, "region"]).all()
    assert L.top_leads(scored, attrs, n=10)["lead_id"].iloc[-1] == "L1"
    with pytest.raises(ColumnError, match="'expected_value'"):
        L.top_leads(scored.drop(columns="expected_value"), attrs)
