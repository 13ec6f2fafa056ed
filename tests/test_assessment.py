"""Rep assessment: counts and KPIs, roll-ups, weights, shrinkage, scorecard, bonus rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from IPython.display import Markdown

import salesnb as sn
from salesnb import assessment as A
from salesnb.assessment import scoring
from salesnb.assessment import views as av

TIERS = [{"from": 0.0, "rate": 0.0}, {"from": 0.8, "rate": 0.02}, {"from": 1.0, "rate": 0.04}]


def _card(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["rep_id", "revenue", "attainment", "satisfaction"])


# --- bonus rules -------------------------------------------------------------------------


def test_bonus_tier_boundaries_are_exact():
    card = _card([("a", 100_000.0, 0.7999, 4.0), ("b", 100_000.0, 0.8, 4.0),
                  ("c", 100_000.0, 1.0, 4.0), ("d", 100_000.0, 1.0001, 4.0),
                  ("e", 100_000.0, 0.8 * 3 / 3, 4.0)])
    pay = A.bonus(card, {"tiers": TIERS}).set_index("rep_id")
    assert pay["bonus"].tolist() == pytest.approx([0.0, 2_000.0, 4_000.0, 4_000.0, 2_000.0])
    assert pay.loc["a", "tier"] == 0.0 and pay.loc["b", "tier"] == 0.8
    assert "reaches the 80% tier" in pay.loc["b", "rule"]
    # revenue / target with float noise (0.7999999999) still reaches the 80 % tier
    noisy = _card([("f", 100_000.0, 79_999.99999999 / 100_000, 4.0)])
    assert A.bonus(noisy, {"tiers": TIERS})["bonus"].iloc[0] == pytest.approx(2_000.0)


def test_bonus_marginal_bands_by_hand():
    card = _card([("a", 120_000.0, 1.2, 4.0)]).assign(target=100_000.0)
    pay = A.bonus(card, {"tiers": TIERS, "mode": "marginal"})
    # 0-80 %: 80,000 at 0; 80-100 %: 20,000 at 2 %; 100-120 %: 20,000 at 4 %
    assert pay["bonus"].iloc[0] == pytest.approx(20_000 * 0.02 + 20_000 * 0.04)
    assert "marginal bands" in pay["rule"].iloc[0]
    no_target_col = A.bonus(card.drop(columns="target"), {"tiers": TIERS, "mode": "marginal"})
    assert no_target_col["bonus"].iloc[0] == pytest.approx(1_200.0)


def test_bonus_cap_gate_and_missing_target():
    card = _card([("a", 1_000_000.0, 1.5, 4.0), ("b", 100_000.0, 1.5, 2.99),
                  ("c", 100_000.0, 1.5, 3.0), ("d", 50_000.0, np.nan, 4.5),
                  ("e", 100_000.0, 1.5, np.nan)])
    plan = {"tiers": TIERS, "cap": 10_000, "min_satisfaction": 3.0}
    pay = A.bonus(card, plan).set_index("rep_id")
    assert pay.loc["a", "bonus"] == 10_000 and pay.loc["a", "capped"]
    assert "capped at 10,000" in pay.loc["a", "rule"]
    assert pay.loc["b", "bonus"] == 0 and "gate" in pay.loc["b", "rule"]
    assert pay.loc["c", "bonus"] == pytest.approx(4_000.0)  # the gate is inclusive
    assert pay.loc["d", "bonus"] == 0 and "no target" in pay.loc["d", "rule"]
    assert pay.loc["e", "bonus"] == 0 and "no survey" in pay.loc["e", "rule"]


def test_team_bonus_for_managers():
    teams = pd.DataFrame({"manager_id": ["M1", "M2"], "revenue": [1e6, 2e6],
                          "attainment": [1.0, 0.95]})
    plan = {"tiers": TIERS, "team": {"from": 1.0, "rate": 0.005}}
    pay = A.bonus(_card([("a", 1e5, 1.0, 4.0)]), plan, teams=teams).set_index("rep_id")
    assert pay.loc["M1", "bonus"] == pytest.approx(5_000.0) and pay.loc["M1", "role"] == "manager"
    assert pay.loc["M2", "bonus"] == 0 and "below 100%" in pay.loc["M2", "rule"]
    text = A.bonus_summary(pay.reset_index(), {**plan, "budget": 8_000})
    assert "over" in text and "9,000" in text


@pytest.mark.parametrize("plan, message", [
    ({"tiers": [{"from": 0.0, "rate": 0}, {"from": 0.8, "rate": 0.1}, {"from": 0.8, "rate": 0.2}]},
     "overlapping"),
    ({"tiers": [{"from": 0.0, "rate": 0, "to": 0.7}, {"from": 0.8, "rate": 0.1}]}, "a gap"),
    ({"tiers": [{"from": 0.0, "rate": 0, "to": 0.9}, {"from": 0.8, "rate": 0.1}]},
     "an overlap"),
    ({"tiers": [{"from": 0.5, "rate": 0.01}]}, "first tier from 0.0"),
    ({"tiers": [{"from": 0.0, "rate": -0.01}]}, "negative"),
    ({"tiers": TIERS, "mode": "linear"}, "mode"),
    ({"tiers": TIERS, "bonus_pool": 3}, "unknown plan key"),
    ({"tiers": []}, "needs 'tiers'"),
    ({"tiers": [{"from": "x", "rate": 0.1}]}, "numeric"),
])
def test_bad_plans_are_refused(plan, message):
    with pytest.raises(A.AssessmentError, match=message):
        A.check_plan(plan)


def test_plan_from_yaml(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("mode: marginal\ntiers:\n  - {from: 1.0, rate: 0.04}\n  - {from: 0.0, "
                    "rate: 0.0}\n  - {from: 0.8, rate: 0.02}\ncap: 5000\n", encoding="utf-8")
    plan = A.load_plan(path)
    assert [t["from"] for t in plan["tiers"]] == [0.0, 0.8, 1.0]  # sorted
    path.write_text("tiers:\n  - {from: 0.2, rate: 0.0}\n", encoding="utf-8")
    with pytest.raises(A.AssessmentError, match="plan.yaml"):
        A.load_plan(path)


# --- weights ----------------------------------------------------------------------------


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


def test_periods_parse_and_missing_periods_are_refused(sample):
    d, b = sample
    assert str(A.period_of("2025Q4")) == "2025Q4" and A.period_of("2025-03").freqstr == "M"
    assert A.period_of("2025").freqstr.startswith("Y")
    with pytest.raises(A.AssessmentError, match="quarter"):
        A.period_of("last spring")
    with pytest.raises(A.AssessmentError, match="covers 2023Q1 to 2025Q4"):
        A.scorecard(d, period="2030Q1", blocks=b)
    assert str(A.latest_period(d)) == "2025Q4"
    assert str(A.latest_period(d, as_of="2025-11-15")) == "2025Q3"


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
    assert ((t["rank_low"] <= t["rank"]) | (t["rank"] - t["rank_low"] <= 2)).all()
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
    pay = A.bonus(t, {"tiers": TIERS})
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


def test_export_payouts(tmp_path):
    pay = A.bonus(_card([("a", 1e5, 1.0, 4.0)]), {"tiers": TIERS})
    back = pd.read_excel(A.export_payouts(pay, tmp_path / "p.xlsx"))
    assert back["bonus"].tolist() == [4_000.0] and "rule" in back.columns


# --- the report's views and panel ---------------------------------------------------------

_TIER_VALUES = dict(tier1_from=0.8, tier1_rate=1.0, tier2_from=1.0, tier2_rate=2.0,
                    tier3_from=1.2, tier3_rate=3.0, cap=60_000.0, min_satisfaction=3.0)


def test_assessment_view_and_panel(sample, monkeypatch):
    from salesnb.report.widgets import HEADLESS_ENV, Panel

    d, b = sample
    card = A.scorecard(d, period="2025Q4", blocks=b)
    teams = av.teams_of(b, d.reps, card.period)
    weights = {f"w_{k}": v for k, v in A.DEFAULT_WEIGHTS.items()}
    out = av.assessment_view(card=card, teams=teams, **weights, **_TIER_VALUES)
    assert len(out) == 5 and "top 3" in out[0].data
    with pytest.raises(A.AssessmentError, match="sum to 1.250"):
        av.assessment_view(card=card, teams=teams, **{**weights, "w_activity": 0.3},
                           **_TIER_VALUES)
    with pytest.raises(A.AssessmentError, match="overlapping"):
        av.assessment_view(card=card, **weights, **{**_TIER_VALUES, "tier2_from": 0.8})
    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    p = av.assessment_panel(card, teams, **weights, **_TIER_VALUES)
    assert isinstance(p, Panel)
    p.controls["tier3_rate"].value = 5.0
    assert p.calls == 2
    shown = p.output.outputs
    p.controls["w_activity"].value = 0.3  # weights now sum to 1.25: message, last result kept
    assert p.calls == 2 and "sum to 1.250" in p.error.value and p.output.outputs == shown
    p.controls["w_activity"].value = 0.05
    assert p.calls == 3 and "sum to" not in p.error.value
    monkeypatch.setenv(HEADLESS_ENV, "1")
    assert av.assessment_panel(card, teams, **weights, **_TIER_VALUES) is None
    assert isinstance(av.headline(card, A.bonus(card.table, A.DEFAULT_PLAN)), Markdown)


def test_the_shipped_plan_is_the_default_plan():
    from conftest import ROOT

    plan = A.load_plan(ROOT / "data" / "bonus_plan.yaml")
    assert plan == A.check_plan(A.DEFAULT_PLAN)
