"""The lead report's views: summaries, key leads, the assignment panel."""

from __future__ import annotations

import pytest
from IPython.display import Markdown

import salesnb as sn
from salesnb import leads
from salesnb.leads import LeadScoringError
from salesnb.leads.views import (
    assignment_panel,
    assignment_view,
    baseline_verdict,
    key_leads,
    model_summary,
    score_open,
)
from salesnb.report.widgets import HEADLESS_ENV, Panel


@pytest.fixture(scope="module")
def sample():
    d = sn.load("data")
    model = leads.train(d.leads)
    return d, model, score_open(model, d.leads)


def test_model_summary_names_excluded_leakage(sample):
    _, model, _ = sample
    text = model_summary(model)
    assert "`outcome_date` (leakage" in text and "ROC AUC" in text
    assert "chosen by 5-fold cross-validated" in text  # train's default cv
    assert f"({100 * model.metrics_['positive_rate']:.1f} % converted)" in text


def test_baseline_verdict_is_honest(sample):
    d, _, _ = sample
    comparison = leads.compare(d.leads)
    text = baseline_verdict(comparison)
    auc = comparison.metrics["roc_auc"]
    assert ("better than the policy's screening score" in text) == (auc["model"] > auc["rule"])
    assert ("does about as well" in text) == (auc["plain_logistic"] >= auc["model"] - 0.005)


def test_the_comparison_is_of_the_reports_model_not_a_new_choice():
    """'Model: boosting' above, so the hold-out row named 'model' is boosting's."""
    from salesnb.leads.scoped import baseline_comparison, lead_model

    d = sn.load("data")
    chosen = lead_model(d).metrics_["model"]
    comparison = baseline_comparison(d)
    assert comparison.model.metrics_["model"] == chosen
    assert list(comparison.model.metrics_["candidates"]) == [chosen]
    text = baseline_verdict(comparison)
    assert f"the model ({chosen})" in text and f"**Model: {chosen}**" in model_summary(
        lead_model(d))
    auc = comparison.metrics["roc_auc"]
    if chosen != "logistic":  # a different model from the plain logistic regression
        assert comparison.scores["model"].corr(comparison.scores["plain_logistic"]) < 0.999
    assert ("does about as well" in text) == (auc["plain_logistic"] >= auc["model"] - 0.005)


def test_key_leads_rank_by_expected_value(sample):
    d, _, scored = sample
    top = key_leads(scored, d.leads, top_n=10)
    assert len(top) == 10 and top["expected_value"].is_monotonic_decreasing
    assert top["why"].notna().all() and {"source", "budget", "region"} <= set(top.columns)
    assert set(top["lead_id"]) <= set(d.leads.loc[d.leads["status"] == "open", "lead_id"])
    every = key_leads(scored, d.leads)  # the report shows the top and exports the whole list
    assert len(every) == len(scored) and every["lead_id"].head(10).tolist() == (
        top["lead_id"].tolist())


def test_assignment_view_respects_tiers_and_capacity(sample):
    d, _, scored = sample
    summary, fig, table, unassigned = assignment_view(0.5, 0.3, 0.15, 3, 0.0, "B",
                                                      scored=scored, reps=d.reps)
    n_ab = int((scored["probability"] >= 0.3).sum())
    assert isinstance(summary, Markdown) and "leads in tiers A–B assigned" in summary.data
    assert f"of {n_ab:,} leads" in summary.data
    assigned = int(summary.data.split("**")[1].split(" of ")[0].replace(",", ""))
    if assigned > 15:  # a list cut to its first rows says so, never silently
        assert f"15 of {assigned:,} shown" in table.caption
    with pytest.raises(LeadScoringError, match="A >= B >= C"):
        assignment_view(0.2, 0.3, 0.15, 3, 0.0, "C", scored=scored, reps=d.reps)


def test_assignment_view_limits_to_regions(sample):
    d, _, scored = sample
    region = sorted(scored["region"].unique())[0]
    summary, _, _, _ = assignment_view(0.5, 0.3, 0.15, 50, 0.0, "D", [region],
                                       scored=scored, reps=d.reps, rows=10_000)
    n_region = int((scored["region"] == region).sum())
    assert f"of {n_region:,} leads in {region} in tiers A–D" in summary.data


def test_assignment_panel_interactive_and_headless(sample, monkeypatch):
    d, _, scored = sample
    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    p = assignment_panel(scored, d.reps, d.customers, capacity=10, fairness=0.0)
    assert isinstance(p, Panel) and p.values()["capacity"] == 10
    p.controls["capacity"].value = 5
    assert p.calls == 2
    assert p.controls["regions"].options == tuple(sorted(scored["region"].unique()))
    p.controls["regions"].value = p.controls["regions"].options[:1]
    assert p.calls == 3 and p.last_good["regions"] == list(p.controls["regions"].options[:1])
    p.controls["tier_a"].value = 0.1  # below tier B: refused, last assignment kept
    assert p.calls == 3 and "A &gt;= B &gt;= C" in p.error.value
    p.controls["tier_a"].value = 0.6
    assert p.calls == 4 and p.error.value == ""
    monkeypatch.setenv(HEADLESS_ENV, "1")
    assert assignment_panel(scored, d.reps, None, fairness=0.0) is None
