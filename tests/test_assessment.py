"""Rep assessment: counts and KPIs, roll-ups, periods, weights, shrinkage, scorecard, decisions.

Mirrors ``salesnb.assessment.blocks``, ``scoring`` and ``careers``; the bonus rules are in
``test_assessment_bonuses.py``, the report's views in ``test_assessment_views.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import salesnb as sn
from salesnb import assessment as A
from salesnb.assessment import scoring
from salesnb.errors import ColumnError, PeriodError

# --- weights ----------------------------------------------------------------------------


def test_weights_from_the_report_parameters():
    assert A.weights_from(w_attainment=0.6, w_satisfaction="0.4", tier1_rate=1.0) == {
        "attainment": 0.6, "satisfaction": 0.4}


def test_weight_validation():
    assert A.check_weights({"attainment": 0.5, "satisfaction": 0.5, "activity": 0.0}) == {
        "attainment": 0.5, "satisfaction": 0.5}
    with pytest.raises(A.AssessmentError, match="sum to 0.900"):
        A.check_weights({"attainment": 0.5, "satisfaction": 0.4})
    with pytest.raises(A.AssessmentError, match="unknown KPI.*charm"):
        A.check_weights({"attainment": 0.5, "charm": 0.5})
    with pytest.raises(A.AssessmentError, match="non-negative"):
        A.check_weights({"attainment": 1.5, "satisfaction": -0.5})


# --- counts, KPIs and roll-ups ------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    d = sn.load("data")
    return d, A.counts(d, freq="Q")


def test_counts_by_hand(tiny, write):
    d = sn.load(write(tiny))
    b = A.counts(d, freq="Q")
    q1 = b.loc[("R3", pd.Period("2024Q1"))]
    assert q1["revenue"] == pytest.approx(30 + 22.95 + 150)
    assert q1["orders"] == 2 and q1["volume"] == 6
    assert q1["new_customers"] == 2  # C1 and C2 first bought from R3
    k = A.ratios(b)
    assert k.loc[("R3", pd.Period("2024Q1")), "win_rate"] == 1.0  # OP1 won in 2024Q1
    assert k.loc[("R3", pd.Period("2024Q1")), "attainment"] == pytest.approx(202.95 / 2200)
    assert k.loc[("R3", pd.Period("2024Q1")), "satisfaction"] == 5.0
    assert np.isnan(k.loc[("R4", pd.Period("2025Q3")), "attainment"])  # no target there


def test_rollups_equal_the_sum_of_their_parts(sample):
    d, b = sample
    mgr = A.rollup(b, d.reps, level="manager")
    top = A.rollup(b, d.reps, level="director")
    p = pd.Period("2025Q2")
    parent = d.reps.set_index("rep_id")["manager_id"]
    for m in ("R002", "R004"):
        team = [r for r in parent.index if parent[r] == m or r == m]
        part = b.loc[b.index.get_level_values("rep_id").isin(team)].xs(p, level="period")
        assert mgr.loc[(m, p), "revenue"] == pytest.approx(part["revenue"].sum())
        assert mgr.loc[(m, p), "attainment"] == pytest.approx(
            part["revenue"].sum() / part["target"].sum())
    assert top.loc[("R001", p), "revenue"] == pytest.approx(b.xs(p, level="period")["revenue"]
                                                            .sum())
    assert mgr.xs(p, level="period")["revenue"].sum() == pytest.approx(
        top.loc[("R001", p), "revenue"])
    org = A.org_view(b, d.reps, "2025Q2")
    assert org.loc[org["level"] == "manager", "revenue"].sum() == pytest.approx(
        org.loc[org["level"] == "rep", "revenue"].sum())
    teams = A.teams_of(b, d.reps, "2025Q2")
    pd.testing.assert_frame_equal(teams, mgr.xs(p, level="period"))
    assert teams.index.name == "manager_id"


def test_attainment_trend(sample):
    d, b = sample
    trend = A.attainment_trend(b, d.reps, periods=3)
    assert [str(c) for c in trend.columns] == ["2025Q2", "2025Q3", "2025Q4"]
    assert set(trend.index) <= set(d.reps.loc[d.reps["role"] == "rep", "rep_id"])
    k = A.ratios(b)["attainment"]
    rep = trend.index[0]
    assert trend.loc[rep, pd.Period("2025Q4")] == pytest.approx(k[(rep, pd.Period("2025Q4"))])
    everyone = A.attainment_trend(b, periods=3)
    assert len(everyone) >= len(trend)


def test_missing_columns_are_named(tiny, write):
    d = sn.load(write(tiny))
    tables = {"orders": d.orders.drop(columns="quantity"), "reps": d.reps}
    with pytest.raises(ColumnError, match="orders has no column 'quantity'"):
        A.counts(tables)
    with pytest.raises(ColumnError, match="reps has no column 'manager_id'"):
        A.rollup(A.counts(d), d.reps.drop(columns="manager_id"))
    with pytest.raises(ColumnError, match="opportunities has no column 'amount'"):
        A.counts({"orders": d.orders, "opportunities": d.opportunities.drop(columns="amount")})


def test_periods_parse_and_missing_periods_are_refused(sample):
    d, b = sample
    assert A.scorecard(d, period="2025-Q2", blocks=b, draws=0).period == pd.Period("2025Q2")
    with pytest.raises(PeriodError, match="quarter"):
        A.scorecard(d, period="last spring", blocks=b)
    with pytest.raises(A.AssessmentError, match="covers 2023Q1 to 2025Q4"):
        A.scorecard(d, period="2030Q1", blocks=b)
    assert str(A.latest_period(d)) == "2025Q4"
    assert str(A.latest_period(d, as_of="2025-11-15")) == "2025Q3"
    assert str(A.latest_period(d, freq="M", as_of="2025-12-01")) == "2025-11"
    with pytest.raises(PeriodError, match="as_of"):
        A.latest_period(d, as_of="soon")
    assert A.recent_periods("2025Q2", 4) == ["2024Q3", "2024Q4", "2025Q1", "2025Q2"]
    assert A.recent_periods(pd.Period("2025-01", "M"), 2) == ["2024-12", "2025-01"]


# --- shrinkage and the scorecard ----------------------------------------------------------


def test_shrinkage_moves_small_samples_more():
    rng = np.random.default_rng(0)
    n = np.array([2, 5, 10, 40, 200, 20, 30, 15])
    x = np.array([2, 5, 9, 30, 120, 9, 12, 6])
    raw, post, draws = scoring._shrink_rate(x, n, 200, rng)
    pooled = x.sum() / n.sum()
    pull = 1 - (post - pooled) / (raw - pooled)  # share of the way moved to the pooled rate
    order = np.argsort(n)
    assert (np.diff(pull[order]) < 0).all()  # fewer deals, more shrinkage
    assert draws.shape == (200, n.size)
    assert draws[:, 0].std() > draws[:, 4].std()  # and a wider interval
    est = np.array([1.5, 1.5, 0.9, 1.1, 1.0])
    se = np.array([0.5, 0.05, 0.1, 0.1, 0.1])
    _, shrunk, _ = scoring._shrink_mean(est, se, 0, rng)
    assert abs(shrunk[0] - est[0]) > abs(shrunk[1] - est[1])


def test_scorecard_on_the_sample(sample):
    d, b = sample
    card = A.scorecard(d, period="2025Q4", blocks=b)
    t = card.table
    assert set(t.index) <= set(d.reps.loc[d.reps["role"] == "rep", "rep_id"])
    assert t["rank"].tolist() == sorted(t["rank"].tolist())
    # the point rank lies in its 90 % interval (up to 2 places of sampling noise)
    assert (t["rank_low"] <= t["rank_high"]).all()
    assert t["rank"].between(t["rank_low"] - 2, t["rank_high"] + 2).all()
    assert t["p_top"].between(0, 1).all()
    assert t["score"].between(0, 100).all()
    # re-weighing with the same weights changes nothing; other weights re-rank
    pd.testing.assert_frame_equal(card.rescore(A.DEFAULT_WEIGHTS).table, t)
    only = card.rescore({"attainment": 1.0}).table
    expected = (100 * t["attainment_est"].clip(upper=1.2) / 1.2).reindex(only.index)
    assert np.allclose(only["score"], expected)
    raw = A.scorecard(d, period="2025Q4", blocks=b, shrink=False, draws=0).table
    assert "rank_low" not in raw and np.allclose(raw["attainment_est"], raw["attainment"])


def test_rep_without_target_and_new_rep(tiny, write):
    tiny["reps"].loc[3, "hire_date"] = "2025-08-15"
    d = sn.load(write(tiny))
    card = A.scorecard(d, period="2025Q3", draws=50)
    t = card.table
    assert "no target" in t.loc["R4", "note"] and "joined 2025-08-15" in t.loc["R4", "note"]
    assert np.isnan(t.loc["R4", "attainment_points"]) and np.isfinite(t.loc["R4", "score"])
    assert "attainment" not in t.loc["R4", "scored_on"]
    pay = A.bonus(t, A.DEFAULT_PLAN)
    assert pay.set_index("rep_id").loc["R4", "rule"].startswith("no target")


# --- decisions ---------------------------------------------------------------------------


def test_promotion_and_training(sample):
    d, b = sample
    hist = A.history(d, ["2025Q1", "2025Q2", "2025Q3", "2025Q4"])
    cands = A.promotion_candidates(hist, reps=d.reps, as_of="2026-01-01")
    assert (cands["periods_top"] >= 3).all() and len(cands) > 0
    size = hist.groupby("period")["rank"].transform("count")
    top = hist[hist["rank"] <= np.ceil(size / 4)].groupby("rep_id").size()
    assert set(cands["rep_id"]) <= set(top[top >= 3].index)
    left = set(d.reps.loc[d.reps["status"] != "active", "rep_id"])
    assert not set(cands["rep_id"]) & left
    card = A.scorecard(d, period="2025Q4", blocks=b, draws=0)
    needs = A.training_needs(card, below=75)
    assert (needs["points"] < 75).all()
    assert set(needs["training"]) <= set(A.TRAINING.values())
    row = needs.iloc[0]
    assert row["training"] == A.TRAINING[row["weakest_kpi"]]
    assert row["reason"].startswith(row["weakest_kpi"].replace("_", " "))
    assert f"({row['points']:.0f} points)" in row["reason"]
