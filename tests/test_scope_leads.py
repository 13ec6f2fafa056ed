"""The lead report for every scope: the company's model, the scope's leads, the role's assignment.

On the sample: East's reps are R004 (the manager) and R019-R024; South's team of manager R003
is R013-R018 (R017 has left). The model is fitted once per module (and the test says so).
"""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest
from IPython.display import Markdown

import salesnb as sn
from salesnb.leads import scoped as S
from salesnb.leads.assignment import assign, expertise_from_customers
from salesnb.leads.conversion import conversion_by, funnel
from salesnb.leads.tiers import triage
from salesnb.leads.views import (
    assignment_panel,
    assignment_pool,
    assignment_view,
    channel_conversion,
    conversion_note,
    funnel_note,
    key_leads,
    lead_model,
    model_summary,
    open_leads_note,
    scope_funnel,
    score_open,
)
from salesnb.report.widgets import HEADLESS_ENV, Panel
from salesnb.scope import apply_scope, team_data

TIERS = (0.5, 0.3, 0.15)
REP_ID = re.compile(r"R0\d\d")


@pytest.fixture(scope="module")
def d():
    return sn.load("data")


@pytest.fixture(scope="module")
def fits(d):
    """Every scope's model, counting the fits (the real one, once for all scopes)."""
    calls: list[int] = []
    real = S.train
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(S, "train", lambda leads: calls.append(len(leads)) or real(leads))
        models = {text: lead_model(apply_scope(d, text))
                  for text in ("region:East", "rep:R013", "manager:R004", "rep:R020")}
    return calls, models


@pytest.fixture(scope="module")
def model(fits):
    return fits[1]["region:East"]


@pytest.fixture(scope="module")
def page(d, model):
    """A scope's data, its scored open leads and its assignment pool, per scope text."""
    out = {}
    for text in ("company", "region:East", "manager:R004", "rep:R013", "rep:R020",
                 "rep:R017"):
        x = apply_scope(d, text)
        scored = score_open(model, x.leads, tiers=TIERS, as_of=x.as_of)
        out[text] = (x, scored, assignment_pool(x, model, scored))
    return out


def _view(pool, regions=(), capacity=15, rows=10_000):
    expertise = (expertise_from_customers(pool.customers) if pool.customers is not None
                 else None)
    return assignment_view(*TIERS, capacity, 0.2, "C", list(regions), scored=pool.scored,
                           reps=pool.reps, expertise=expertise, rows=rows, pool=pool.kind,
                           rep=pool.rep, scope_regions=pool.regions)


def _frame(shown) -> pd.DataFrame:
    """The table behind what ``show`` returned (an empty frame for its sentence)."""
    return shown.data if hasattr(shown, "data") and isinstance(shown.data, pd.DataFrame) \
        else pd.DataFrame()


def _open(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["status"] == "open"]


# --------------------------------------------------------------------------- the model


def test_the_model_is_fitted_once_for_every_scope_from_the_company_leads(d, fits):
    calls, models = fits
    assert calls == [len(d.leads)]  # one fit, on the whole company's leads
    closed = int(d.leads["status"].isin(["converted", "lost"]).sum())
    assert {m.metrics_["n_train"] for m in models.values()} == {closed}
    assert len({m.metrics_["roc_auc"] for m in models.values()}) == 1


def test_the_baseline_comparison_is_computed_once(d, monkeypatch):
    calls = []
    monkeypatch.setattr(S, "compare", lambda leads, **kw: calls.append(len(leads)) or "cmp")
    other = dataclasses.replace(d)  # a dataset of its own: the module's stays as it is
    assert [S.baseline_comparison(apply_scope(other, t)) for t in
            ("region:West", "rep:R013")] == ["cmp", "cmp"]
    assert calls == [len(d.leads)]


def test_model_summary_says_the_model_is_the_companys(page, model):
    x, scored, _ = page["rep:R013"]
    text = model_summary(model, x)
    closed = model.metrics_["n_train"]
    assert f"learnt once from all {closed:,} closed leads of the whole company" in text
    assert f"{len(scored):,} open leads of Ashley Robinson (R013)" in text
    assert "whole company" not in model_summary(model)  # unchanged without the data


# --------------------------------------------------------------------------- a region


def test_region_open_leads_are_the_companys_open_leads_of_the_region(d, page):
    x, scored, _ = page["region:East"]
    company = _open(d.leads)
    east = company[company["region"] == "East"]
    assert len(scored) == len(east) and set(scored["lead_id"]) == set(east["lead_id"])
    _, everyone, _ = page["company"]  # a lead's score is the same on every page
    same = everyone.set_index("lead_id").loc[scored["lead_id"], "probability"]
    assert same.to_numpy() == pytest.approx(scored["probability"].to_numpy())
    free = int(east["assigned_rep_id"].isna().sum())
    note = open_leads_note(x, scored)
    assert f"has **{len(east):,} open leads**, {free:,} of them without a rep" in note


def test_region_conversion_is_its_own_beside_the_company_column(d, page):
    x, _, _ = page["region:East"]
    table = channel_conversion(x)
    east = d.leads[d.leads["region"] == "East"]
    assert table["leads"].sum() == len(east)
    pd.testing.assert_series_equal(table["conversion_rate"],
                                   conversion_by(east, "source")["conversion_rate"])
    company = conversion_by(d.leads, "source")["conversion_rate"]
    assert table["conversion_rate, whole company"].to_dict() == pytest.approx(
        company.reindex(table.index).to_dict())
    assert "conversion_rate, team median" not in table  # a region compares with the company
    closed = east[east["status"] != "open"]
    rate = (closed["status"] == "converted").mean()
    note = conversion_note(x, table)
    assert f"{len(closed):,} closed leads" in note and f"(**{100 * rate:.1f} %**)" in note
    assert "whole company converts 15.1 %" in note
    plain = channel_conversion(apply_scope(d, "company"))
    assert not [c for c in plain.columns if "," in str(c)]  # the company's page: no extra line


def test_region_funnel_is_its_own_beside_the_company(d, page):
    x, _, _ = page["region:East"]
    table = scope_funnel(x)
    assert table["reached"].iloc[0] == len(x.opportunities)
    company = funnel(d.opportunities)
    assert table["stage_conversion, whole company"].dropna().to_numpy() == pytest.approx(
        company["stage_conversion"].dropna().to_numpy())
    note = funnel_note(x, table)
    assert f"{len(x.opportunities):,} opportunities reached a visit" in note
    assert f"The whole company wins {100 * company.loc['won', 'share_of_visits']:.0f} %" in note


def test_region_key_leads_name_who_holds_each(d, page):
    x, scored, _ = page["region:East"]
    table = key_leads(scored, x.leads, data=x)
    cols = list(table.columns)
    assert cols[cols.index("assigned_rep_id") + 1] == "rep"
    names = d.reps.set_index("rep_id")["name"]
    held = table.dropna(subset=["assigned_rep_id"])
    assert len(held) and (held["rep"] == names.loc[held["assigned_rep_id"]].to_numpy()).all()
    assert set(held["assigned_rep_id"]) <= {"R004", *(f"R0{i}" for i in range(19, 25))}


def test_region_assigns_the_teams_unassigned_leads_to_its_own_reps(d, page):
    x, _, pool = page["region:East"]
    assert pool.kind == "team" and pool.regions == ("East",)
    leads = d.leads.set_index("lead_id").loc[pool.scored["lead_id"]]
    assert leads["assigned_rep_id"].isna().all() and (leads["region"] == "East").all()
    assert len(pool.scored) == int(_open(x.leads)["assigned_rep_id"].isna().sum())
    summary, _fig, table, _rest = _view(pool)
    rows = _frame(table)
    sellers = set(x.reps.loc[x.reps["role"] == "rep", "rep_id"])
    assert len(rows) and set(rows["rep_id"]) <= sellers and "R004" not in set(rows["rep_id"])
    names = d.reps.set_index("rep_id")["name"]
    assert (rows["rep"] == names.loc[rows["rep_id"]].to_numpy()).all()
    assert "unassigned leads in tiers A–C assigned** to" in summary.data
    assert "the manager takes none" in summary.data


def test_a_region_outside_the_scope_selects_nothing_and_says_so(page):
    _, _, pool = page["region:East"]
    summary, _fig, table, _rest = _view(pool, regions=["West"])
    assert "**West is not a region of this report's scope (East).** No lead is selected" \
        in summary.data
    assert "**0 of 0 unassigned leads in West" in summary.data and _frame(table).empty
    summary, *_ = _view(pool, regions=["East", "West"])
    assert "No lead of it is selected" in summary.data
    _, _, everyone = page["company"]
    summary, *_ = _view(everyone, regions=["Atlantis"])
    assert "**Atlantis is not a region in the data.**" in summary.data


def test_the_manager_page_is_the_teams(page):
    x, scored, pool = page["manager:R004"]
    east_x, east_scored, east_pool = page["region:East"]
    assert set(scored["lead_id"]) == set(east_scored["lead_id"])
    assert set(pool.scored["lead_id"]) == set(east_pool.scored["lead_id"])
    assert set(pool.reps["rep_id"]) == set(x.scope.reps)


# --------------------------------------------------------------------------- a rep


def _texts(*items) -> str:
    parts = []
    for item in items:
        if isinstance(item, Markdown):
            parts.append(item.data)
        elif isinstance(item, str):
            parts.append(item)
        elif isinstance(item, pd.DataFrame):
            parts.append(item.to_csv())
        elif hasattr(item, "data"):
            parts.append(_frame(item).to_csv() if isinstance(item.data, pd.DataFrame)
                         else str(item.data))
    return "\n".join(parts)


@pytest.mark.parametrize("text", ["rep:R013", "rep:R020", "rep:R017"])
def test_a_reps_tables_hold_no_other_rep(d, page, model, text):
    x, scored, pool = page[text]
    me = x.scope.value
    by_source, stages = channel_conversion(x), scope_funnel(x)
    shown = _texts(by_source, stages, conversion_note(x, by_source), funnel_note(x, stages),
                   key_leads(scored, x.leads, data=x), open_leads_note(x, scored),
                   model_summary(model, x), *_view(pool))
    assert set(REP_ID.findall(shown)) == {me}
    others = d.reps.loc[d.reps["rep_id"].isin(set(x.scope.team) - {me}), "name"]
    assert len(others) and not [n for n in others if n in shown]
    assert "assigned_rep_id" not in key_leads(scored, x.leads, data=x)  # all the rep's own


def test_a_rep_sees_their_own_open_leads(d, page):
    x, scored, _ = page["rep:R013"]
    own = _open(d.leads)
    own = own[own["assigned_rep_id"] == "R013"]
    assert len(scored) == len(own) and set(scored["lead_id"]) == set(own["lead_id"])
    assert f"Ashley Robinson (R013) holds **{len(own):,} open leads**" in open_leads_note(
        x, scored)
    left, none, _ = page["rep:R017"]
    name = left.scope.names["R017"]
    assert open_leads_note(left, none) == f"{name} (R017) has no open lead."


@pytest.mark.parametrize("text", ["rep:R020", "rep:R013"])
def test_a_reps_proposed_leads_are_the_team_assignments_rows_for_them(model, page, text):
    x, _, pool = page[text]
    me = x.scope.value
    team = team_data(x)
    pending = _open(team.leads)
    pending = pending[pending["assigned_rep_id"].isna()]
    assert pool.rep == me and set(pool.scored["lead_id"]) == set(pending["lead_id"])
    assert set(pool.reps["rep_id"]) == {x.scope.manager, *x.scope.team}
    # the team's assignment, computed as the team's page computes it
    scored = score_open(model, pending, explain=False, as_of=x.as_of)
    chosen = triage(scored, tiers=TIERS, min_tier="C")
    result = assign(chosen[chosen["to_rep"]], team.reps, capacity=15, fairness=0.2,
                    expertise=expertise_from_customers(team.customers), only_open=False)
    theirs = result.assignments[result.assignments["rep_id"] == me]
    summary, table = _view(pool)
    rows = _frame(table)
    assert (rows["lead_id"].tolist() if len(rows) else []) == theirs["lead_id"].tolist()
    assert not len(rows) or (rows["rep_id"] == me).all()
    sharers = int((result.loads["assigned"] > 0).sum())
    assert (f"The team's {len(pending):,} unassigned open leads: "
            f"{int(chosen['to_rep'].sum()):,} in tiers A–C were shared among {sharers} rep"
            ) in summary.data
    assert f"gets {len(theirs)} new lead" in summary.data
    if text == "rep:R020":
        assert len(rows)  # East's team has leads for R020 with these settings


def test_a_rep_who_left_takes_no_new_lead(page):
    _, _, pool = page["rep:R017"]
    summary, table = _view(pool)
    assert "takes no new lead (only active reps take new leads)" in summary.data
    assert _frame(table).empty and "No new lead for R017" in table.data


def test_a_reps_conversion_is_beside_the_team_median_and_the_company(d, page):
    x, _, _ = page["rep:R013"]
    table = channel_conversion(x)
    cols = list(table.columns)
    assert cols[cols.index("conversion_rate") + 1:cols.index("conversion_rate") + 3] == [
        "conversion_rate, team median", "conversion_rate, whole company"]
    closed = d.leads[d.leads["status"] != "open"]
    per_rep = {}
    for rep in x.scope.team:
        mine = closed[closed["assigned_rep_id"] == rep]
        per_rep[rep] = (mine.groupby("source")["status"]
                        .apply(lambda s: (s == "converted").mean()))
    median = pd.DataFrame(per_rep).median(axis=1)
    assert table["conversion_rate, team median"].to_dict() == pytest.approx(
        median.reindex(table.index).to_dict())
    overall = pd.Series({r: (closed.loc[closed["assigned_rep_id"] == r, "status"]
                             == "converted").mean() for r in x.scope.team})
    rank = int((overall > overall["R013"]).sum()) + 1
    note = conversion_note(x, table)
    assert f"team's median rep converts {100 * overall.median():.1f} %" in note
    assert f"ranks {rank}{'st' if rank == 1 else ''}" in note and f"of {len(overall)}" in note


def test_a_rep_without_closed_leads_says_so(page):
    x, _, _ = page["rep:R013"]
    empty = dataclasses.replace(x, tables={**x.tables, "leads": x.leads.iloc[0:0],
                                           "opportunities": x.opportunities.iloc[0:0]})
    assert conversion_note(empty, channel_conversion(empty)) == (
        "Ashley Robinson (R013) has no closed lead yet: there is no conversion rate to show.")
    assert funnel_note(empty, scope_funnel(empty)) == (
        "Ashley Robinson (R013) has no opportunity in the funnel yet.")


# --------------------------------------------------------------------------- the panel


def test_the_panel_works_on_a_scopes_pool(page, monkeypatch):
    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    _, _, east = page["region:East"]
    p = assignment_panel(east, capacity=10, fairness=0.0)
    assert isinstance(p, Panel) and p.controls["regions"].options == ("East",)
    p.controls["capacity"].value = 1
    assert p.calls == 2 and p.error.value == ""
    x, _, mine = page["rep:R020"]
    p = assignment_panel(mine, capacity=15)
    assert p.calls == 1 and p.controls["regions"].options == ("East",)
    shown = _texts(*(item.get("data", {}).get("text/markdown", "") for item in p.output.outputs),
                   *(item.get("data", {}).get("text/html", "") for item in p.output.outputs))
    assert set(REP_ID.findall(shown)) <= {"R020"}
    with pytest.raises(TypeError, match="needs the reps"):
        assignment_panel(east.scored)
