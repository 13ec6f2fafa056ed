"""The rep-assessment report's views (salesnb.assessment.views): headline, plots, panel, export."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from IPython.display import Markdown
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import salesnb as sn
from salesnb import assessment as A
from salesnb.assessment import views as av
from salesnb.core.plots import FIXED_LAYOUT
from salesnb.paths import ARTIFACTS_ENV

_TIER_VALUES = dict(tier1_from=0.8, tier1_rate=1.0, tier2_from=1.0, tier2_rate=2.0,
                    tier3_from=1.2, tier3_rate=3.0, cap=60_000.0, min_satisfaction=3.0)


@pytest.fixture(scope="module")
def sample():
    d = sn.load("data")
    b = A.counts(d, freq="Q")
    return d, b, A.scorecard(d, period="2025Q4", blocks=b)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_assessment_view_and_panel(sample, monkeypatch):
    from salesnb.report.widgets import HEADLESS_ENV, Panel

    d, b, card = sample
    teams = A.teams_of(b, d.reps, card.period)
    weights = {f"w_{k}": v for k, v in A.DEFAULT_WEIGHTS.items()}
    out = av.assessment_view(card=card, teams=teams, **weights, **_TIER_VALUES)
    assert len(out) == 5 and "top 3" in out[0].data and isinstance(out[1], Figure)
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


def test_headline_says_the_numbers(sample):
    _, _, card = sample
    pay = A.bonus(card.table, A.DEFAULT_PLAN)
    h = A.headline_numbers(card, pay)
    text = av.headline(card, pay)
    assert isinstance(text, Markdown)
    assert f"{h['assessed']} reps assessed**, {h['on_target']} at or above target" in text.data
    assert f"{h['rep_bonus']:,.0f} to {h['reps_paid']} reps" in text.data
    assert (", ".join(h["clear_top"]) or "nobody") in text.data


def test_report_plan_from_the_file_or_the_controls():
    from conftest import ROOT

    from_file = av.report_plan(str(ROOT / "data" / "bonus_plan.yaml"), budget=1_000.0)
    assert from_file["budget"] == 1_000.0 and from_file["tiers"][1]["rate"] == 0.01
    controls = av.report_plan("", None, **_TIER_VALUES)
    assert controls == A.plan_from(**_TIER_VALUES)


def test_plots_draw_on_the_axes_given(sample):
    d, b, card = sample
    fig, (left, right) = plt.subplots(1, 2)
    assert av.plot_ranks(card, ax=left) is left
    assert len(left.get_yticks()) == card.table["score"].notna().sum()
    assert av.plot_trend(b, d.reps, periods=4, ax=right) is right
    assert len(right.get_xticklabels()) == 4
    plt.figure()
    assert isinstance(av.plot_ranks(card.rescore({"attainment": 1.0})), Axes)  # current axes
    ranks = av.ranks_figure(card)
    assert isinstance(ranks, Figure) and getattr(ranks, FIXED_LAYOUT)
    assert isinstance(av.trend_figure(b, d.reps), Figure)
    empty = av.plot_trend(b.iloc[:0], ax=plt.figure().gca())
    assert "No rep" in empty.texts[0].get_text()


def test_payouts_are_written_beside_the_report(sample, tmp_path, monkeypatch):
    _, _, card = sample
    pay = A.bonus(card.table, A.DEFAULT_PLAN)
    monkeypatch.setenv(ARTIFACTS_ENV, str(tmp_path))
    note = av.payout_note(pay, "payouts.xlsx")
    assert "payouts.xlsx" in note.data
    back = pd.read_excel(tmp_path / "payouts.xlsx", sheet_name="payouts")
    assert back["bonus"].tolist() == pytest.approx(pay["bonus"].tolist())
    assert back["rule"].tolist() == pay["rule"].tolist()
    assert "No file written" in av.payout_note(pay, "").data
    monkeypatch.delenv(ARTIFACTS_ENV)  # JupyterLab or the app: opening a page writes nothing
    note = av.payout_note(pay, "other.xlsx")
    assert "write_table" in note.data and not (tmp_path / "other.xlsx").exists()
