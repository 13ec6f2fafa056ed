"""Bonus plans and payouts (salesnb.assessment.bonuses): tiers, bands, cap, gate, team bonus."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesnb import assessment as A

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


def test_plan_from_the_report_parameters():
    plan = A.plan_from(tier1_from=0.8, tier1_rate=1.0, tier2_from=1.0, tier2_rate=2.0,
                       tier3_from=1.2, tier3_rate=3.0, cap=0, min_satisfaction=0,
                       w_attainment=1.0)
    assert [(t["from"], t["rate"]) for t in plan["tiers"]] == [
        (0.0, 0.0), (0.8, 0.01), (1.0, 0.02), (1.2, 0.03)]  # rates entered in percent
    assert plan["cap"] is None and plan["min_satisfaction"] is None  # 0: no cap, no gate
    assert plan["team"] == A.DEFAULT_PLAN["team"] and plan["budget"] == A.DEFAULT_PLAN["budget"]
    plan["team"]["rate"] = 0.5  # the caller's copy, not the default plan
    assert A.DEFAULT_PLAN["team"]["rate"] == 0.002
    with pytest.raises(A.AssessmentError, match="overlapping"):
        A.plan_from(tier1_from=0.8, tier1_rate=1.0, tier2_from=0.8, tier2_rate=2.0,
                    tier3_from=1.2, tier3_rate=3.0, cap=0, min_satisfaction=0)


def test_unreadable_plans_name_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("tiers: [{from: 0.0, rate: 0.0}\n", encoding="utf-8")
    with pytest.raises(A.AssessmentError, match="broken.yaml.*not valid YAML"):
        A.load_plan(path)
    path.write_text("", encoding="utf-8")
    with pytest.raises(A.AssessmentError, match="broken.yaml.*needs 'tiers'"):
        A.load_plan(path)
    with pytest.raises(A.AssessmentError, match="missing.yaml.*cannot be read"):
        A.load_plan(tmp_path / "missing.yaml")


def test_payouts_need_a_rep_id():
    from salesnb.errors import ColumnError

    with pytest.raises(ColumnError, match="rep_id"):
        A.bonus(pd.DataFrame({"revenue": [1.0]}, index=pd.Index(["a"], name="who")),
                {"tiers": TIERS})


def test_headline_numbers_by_hand():
    table = pd.DataFrame({"score": [90.0, 80.0, 70.0, 60.0, np.nan],
                          "rank_high": [2.0, 3.0, 5.0, 4.0, np.nan],
                          "attainment": [1.2, 1.0, 0.9, 0.5, np.nan]},
                         index=pd.Index(["a", "b", "c", "d", "e"], name="rep_id"))
    card = A.Scorecard(table, pd.Period("2025Q4"), {"attainment": 1.0})
    pay = pd.DataFrame({"rep_id": ["a", "b", "c", "M"], "role": ["rep", "rep", "rep", "manager"],
                        "bonus": [100.0, 50.0, 0.0, 30.0]})
    h = A.headline_numbers(card, pay)
    assert h["assessed"] == 4 and h["on_target"] == 2
    assert h["median_attainment"] == pytest.approx(0.95)
    assert h["clear_top"] == ["a", "b"]  # the top quarter is at least the top 3
    assert (h["rep_bonus"], h["reps_paid"], h["manager_bonus"]) == (150.0, 2, 30.0)
    no_draws = A.Scorecard(table.drop(columns="rank_high"), card.period, card.weights)
    assert A.headline_numbers(no_draws, pay)["clear_top"] == []


def test_the_shipped_plan_is_the_default_plan():
    from conftest import ROOT

    plan = A.load_plan(ROOT / "data" / "bonus_plan.yaml")
    assert plan == A.check_plan(A.DEFAULT_PLAN)


def test_a_plan_where_most_paid_reps_reach_the_cap_is_said_to_need_review():
    plan = {"cap": 10_000}
    pay = pd.DataFrame({"role": ["rep"] * 5 + ["manager"],
                        "bonus": [10_000, 10_000, 10_000, 4_000, 0, 10_000],
                        "capped": [True, True, True, False, False, True]})
    text = A.cap_warning(pay, plan)
    assert text.startswith("**3 of 4 paid reps reach the cap of 10,000:**")
    assert "needs review" in text
    fewer = pay.assign(capped=[True, False, False, False, False, True])
    assert A.cap_warning(fewer, plan) == ""  # 1 of 4: the tiers decide most bonuses
    assert A.cap_warning(pay, {"cap": 0}) == ""  # no cap, nothing to reach


def test_the_assessment_page_says_how_many_paid_reps_reach_the_cap(tmp_path):
    """The report's sentence recomputed from the payouts it writes beside itself."""
    import re

    from salesnb.report.runner import plan_runs, run_reports

    run = run_reports(plan_runs(["05_rep_assessment"]), out=tmp_path, jobs=1)
    assert run.status == "ok", run.failure_message()
    pay = pd.read_excel(run.run_dir / "bonus_payouts.xlsx")
    reps = pay[(pay["role"] == "rep") & (pay["bonus"] > 0)]
    capped, paid = int(reps["capped"].sum()), len(reps)
    page = (run.run_dir / "05_rep_assessment.html").read_text(encoding="utf-8")
    said = re.search(r"(\d+) of (\d+) paid reps reach the cap", page)
    if capped >= A.MOST_AT_CAP * paid:
        assert said is not None and (int(said[1]), int(said[2])) == (capped, paid)
    else:
        assert said is None
