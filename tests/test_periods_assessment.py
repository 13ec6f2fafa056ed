"""Rep assessment in every period format, outside the data, and on partial data.

Mirrors ``salesnb.assessment.periods`` and the parts of ``scoring``, ``careers`` and ``views``
that follow the period's own length (a month's history is months, a year's is years) and the
data's tables (KPIs the data cannot measure are left out and their weight shared out).
"""

from __future__ import annotations

import datetime as dt

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml

import salesnb as sn
from salesnb import assessment as A
from salesnb.assessment import views as av
from salesnb.errors import PeriodError, SalesnbError

_TIERS = dict(tier1_from=0.8, tier1_rate=1.0, tier2_from=1.0, tier2_rate=2.0, tier3_from=1.2,
              tier3_rate=3.0, cap=60_000.0, min_satisfaction=3.0)
_WEIGHTS = {f"w_{k}": v for k, v in A.DEFAULT_WEIGHTS.items()}


@pytest.fixture(scope="module")
def d():
    return sn.load("data")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _without(d, *names):
    return {k: v for k, v in d.tables.items() if k not in names}


# --- the periods with data ------------------------------------------------------------------


def test_available_periods_on_the_sample(d):
    avail = A.available_periods(d)
    assert [str(p) for p in avail["Y"]] == ["2023", "2024", "2025"]
    assert len(avail["Q"]) == 12 and str(avail["Q"][0]) == "2023Q1"
    assert len(avail["M"]) == 36 and str(avail["M"][-1]) == "2025-12"
    choices = A.period_choices(d)
    assert choices[:4] == ("2025", "2024", "2023", "2025Q4")
    assert len(choices) == 3 + 12 + 36 and "2025-09" in choices
    # the as-of day cuts the span
    cut = A.available_periods(d, as_of=dt.date(2025, 6, 30))
    assert str(cut["M"][-1]) == "2025-06" and str(cut["Q"][-1]) == "2025Q2"
    assert A.period_range(avail, "Q") == (
        "2023Q1 to 2025Q4 (months 2023-01 to 2025-12, years 2023 to 2025)")
    assert A.available_periods({}) == {"Y": [], "Q": [], "M": []}


def test_the_default_period_is_the_last_complete_quarter(d):
    assert A.check_period(d, "") == pd.Period("2025Q4")
    assert A.check_period(d, None, as_of=dt.date(2025, 12, 31)) == pd.Period("2025Q4")
    assert A.check_period(d, "", as_of=dt.date(2025, 12, 30)) == pd.Period("2025Q3")
    # a report as of today, long after the data ends: the data's last complete quarter
    assert A.check_period(d, "", as_of=dt.date(2026, 12, 1)) == pd.Period("2025Q4")
    assert A.latest_period(d, "Y", as_of="2025-12-31") == pd.Period("2025", "Y")
    assert A.latest_period(d, "M", as_of="2025-10-15") == pd.Period("2025-09", "M")


@pytest.mark.parametrize("text, freq", [("2025", "Y"), ("2025Q4", "Q"), ("2025-09", "M")])
def test_every_period_format_scores_its_own_period(d, text, freq):
    p = A.check_period(d, text, as_of=d.as_of)
    assert p == pd.Period(text, freq)
    blocks = A.counts(d, freq=freq)
    card = A.scorecard(d, period=p, blocks=blocks, draws=50)
    assert card.period == p and not card.left_out
    # revenue and attainment recomputed from the raw tables for one rep
    rep = card.table.index[0]
    o = d.orders[(d.orders["rep_id"] == rep)
                 & (pd.to_datetime(d.orders["order_date"]).dt.to_period(freq) == p)]
    assert card.table.loc[rep, "revenue"] == pytest.approx(o["revenue"].sum())
    t = d.targets[(d.targets["rep_id"] == rep)
                  & (pd.to_datetime(d.targets["period"]).dt.to_period(freq) == p)]
    assert card.table.loc[rep, "attainment"] == pytest.approx(
        o["revenue"].sum() / t["revenue_target"].sum())
    # the bonus is paid on that period's revenue
    pay = A.bonus(card.table, A.DEFAULT_PLAN, teams=A.teams_of(blocks, d.reps, p))
    reps = pay[pay["role"] == "rep"].set_index("rep_id")
    assert reps.loc[rep, "revenue"] == pytest.approx(o["revenue"].sum())
    # the history is made of periods of the same length, ending with this one
    hist = A.history(d, A.recent_periods(p, 4))
    assert hist["period"].iloc[-1] == str(p)
    assert {pd.Period(x).freqstr[0] for x in hist["period"]} == {freq}
    # the trend ends with the period assessed
    trend = A.attainment_trend(blocks, d.reps, periods=8, until=p)
    assert trend.columns[-1] == p and len(trend.columns) == min(8, len(
        [c for c in blocks.index.get_level_values("period").unique() if c <= p]))


def test_a_year_history_leaves_out_the_years_without_data(d):
    assert A.recent_periods("2025", 4) == ["2022", "2023", "2024", "2025"]
    assert A.split_recent(d, "2025", 4) == (["2023", "2024", "2025"], ["2022"])
    assert A.recent_periods("2025-09", 4, data=d) == ["2025-06", "2025-07", "2025-08",
                                                      "2025-09"]
    hist = A.history(d, A.recent_periods("2025", 4))
    assert sorted(hist["period"].unique()) == ["2023", "2024", "2025"]
    assert hist.attrs["left_out"] == {"2022": "the data has nothing in it"}
    text = av.history_note(hist).data
    assert "2023, 2024, 2025" in text and "Left out: 2022 (the data has nothing in it)" in text
    assert "nobody qualifies" not in text
    short = A.history(d, ["2021", "2022", "2023"])
    assert "only 1 could be scored, so nobody qualifies" in av.history_note(short).data
    assert A.promotion_candidates(short, reps=d.reps).empty
    none = A.history(d, ["2020", "2021"])
    assert none.empty and "No period" in av.history_note(none).data
    assert A.promotion_candidates(none).empty
    with pytest.raises(A.AssessmentError, match="mix lengths"):
        A.history(d, ["2025", "2025Q4"])


@pytest.mark.parametrize("text, span", [("2022", "2023 to 2025"),
                                        ("2030Q1", "2023Q1 to 2025Q4"),
                                        ("2026-01", "2023-01 to 2025-12")])
def test_a_period_outside_the_data_is_refused_with_the_range(d, text, span):
    with pytest.raises(A.PeriodOutsideError, match=span) as err:
        A.check_period(d, text)
    assert isinstance(err.value, SalesnbError) and isinstance(err.value, PeriodError)
    assert isinstance(err.value, A.AssessmentError)
    with pytest.raises(A.PeriodOutsideError, match=span):
        A.scorecard(d, period=text, draws=0)
    with pytest.raises(PeriodError, match="quarter"):
        A.check_period(d, "last spring")


def test_blocks_of_another_length_are_named(d):
    with pytest.raises(A.AssessmentError, match="counted per quarter but 2025 is a year"):
        A.scorecard(d, period="2025", blocks=A.counts(d, freq="Q"))


# --- partial data -------------------------------------------------------------------------


def test_partial_data_scorecard_shares_out_the_missing_weights(d):
    tables = _without(d, "targets", "surveys")
    card = A.scorecard(tables, period="2025Q4", draws=50)
    assert card.left_out["attainment"] == "no targets table"
    assert card.left_out["satisfaction"] == "no surveys table"
    kept = {k: v for k, v in A.DEFAULT_WEIGHTS.items() if k not in ("attainment",
                                                                     "satisfaction")}
    assert card.used_weights == pytest.approx({k: v / 0.4 for k, v in kept.items()})
    t = card.table
    assert t["attainment_points"].isna().all() and t["satisfaction_points"].isna().all()
    assert t["attainment"].isna().all() and t["satisfaction"].isna().all()
    # the score is the weighted mean of the points of the KPIs measured
    pts = np.column_stack([t[f"{k}_points"] for k in kept])
    w = np.array(list(kept.values()))
    ok = np.isfinite(pts)
    expected = np.nansum(pts * w, axis=1) / (ok * w).sum(axis=1)
    assert np.allclose(t["score"], expected)
    assert "no target" not in " ".join(t["note"])  # said once, not on every rep
    note = av.scoring_note(card).data
    assert "attainment (no targets table); satisfaction (no surveys table)" in note
    assert "60 %" in note.replace("\u00a0", " ")
    cols = av.scorecard_columns(card).columns
    assert "attainment %" not in cols and "satisfaction" not in cols and "win rate %" in cols
    head = av.headline(card, A.bonus(t, A.DEFAULT_PLAN)).data
    assert "attainment is not assessed (no targets table)" in head and "Bonuses" not in head
    # rescoring keeps what is left out
    again = card.rescore({"win_rate": 0.5, "satisfaction": 0.5})
    assert again.used_weights == {"win_rate": 1.0}


def test_a_kpi_without_data_scores_nobody(d):
    tables = _without(d, "targets", "surveys", "opportunities", "leads")
    card = A.scorecard(tables, period="2025-09", draws=50)
    assert card.used_weights == {"new_customers": 1.0}
    for k in ("win_rate", "lead_conversion", "activity"):
        assert card.table[f"{k}_points"].isna().all(), k  # not 83 points for everyone
    assert np.allclose(card.table["score"], card.table["new_customers_points"])
    assert not A.training_needs(card)["weakest_kpi"].ne("new_customers").any()
    with pytest.raises(A.AssessmentError, match=r"none of the weighed KPIs can be measured: "
                                                r"attainment \(no targets table\)"):
        A.scorecard(tables, period="2025Q4", weights={"attainment": 1.0})
    with pytest.raises(A.AssessmentError, match="Weigh KPIs the data has: new_customers"):
        card.rescore({"satisfaction": 1.0})


def test_no_survey_means_the_gate_stops_every_bonus_and_the_page_says_so(d):
    card = A.scorecard(_without(d, "surveys"), period="2025Q4", draws=0)
    pay = A.bonus(card.table, A.DEFAULT_PLAN)
    assert (pay["bonus"] == 0).all()
    text = av.bonus_overview(card, pay, A.DEFAULT_PLAN).data
    assert "satisfaction gate (3.00) cannot be met" in text and "min_satisfaction" in text
    full = A.scorecard(d, period="2025Q4", draws=0)
    assert "cannot be met" not in av.bonus_overview(full, A.bonus(full.table, A.DEFAULT_PLAN),
                                                    A.DEFAULT_PLAN).data


def test_orders_without_reps_raise_a_clear_error(d, orders_only, tmp_path):
    folder, mapping = orders_only
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(mapping), encoding="utf-8")
    data = sn.load(folder, path)
    missing = A.missing_kpis(data)
    assert missing["attainment"] == "the orders have no rep_id"
    assert missing["satisfaction"] == "no surveys table"
    assert str(A.check_period(data, "2025")) == "2025"  # the orders' dates are the span
    with pytest.raises(A.AssessmentError, match="add rep_id to the orders"):
        A.counts(data)
    with pytest.raises(A.AssessmentError, match="add rep_id to the orders"):
        A.scorecard(data, period="2025Q4")
    # orders without rep_id but deals per rep: scored on the deals
    tables = {**d.tables, "orders": d.orders.drop(columns="rep_id")}
    card = A.scorecard(tables, period="2025Q4", draws=0)
    assert card.left_out["new_customers"] == "the orders have no rep_id"
    assert "revenue" not in av.scorecard_columns(card).columns


# --- the panel's period control -------------------------------------------------------------


def test_the_panel_offers_every_period_the_data_has(d, monkeypatch):
    from salesnb.report.widgets import HEADLESS_ENV, Panel

    blocks = A.counts(d, freq="Q")
    card = A.scorecard(d, period="2025Q4", blocks=blocks)
    teams = A.teams_of(blocks, d.reps, card.period)
    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    p = av.assessment_panel(card, teams, data=d, **_WEIGHTS, **_TIERS)
    assert isinstance(p, Panel)
    control = p.controls["period"]
    assert tuple(control.options) == A.period_choices(d) and control.value == "2025Q4"
    for value in ("2025", "2025-09"):
        control.value = value
        assert p.last_good["period"] == value and not p.error.value
        summary = p.output.outputs[0]["data"]["text/markdown"]
        assert summary.startswith(f"**{value}: top 3")
    control.value = "2025Q4"
    assert p.output.outputs[0]["data"]["text/markdown"].startswith("**2025Q4: top 3")
    # without the data there is no period control (as before)
    assert "period" not in av.assessment_panel(card, teams, **_WEIGHTS, **_TIERS).controls
