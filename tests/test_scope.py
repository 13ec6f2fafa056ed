"""Scopes: what they are, how every table is filtered, names beside ids, shared fits, checks."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

import salesnb as sn
from salesnb.report.datacheck import data_values
from salesnb.report.params import ParameterError
from salesnb.report.reporting import data_sentence
from salesnb.report.scoperuns import scope_folders, set_status
from salesnb.scope import (
    ScopeError,
    apply_scope,
    check_scope,
    clear_shared,
    parse_scope,
    resolve_scope,
    scope_choices,
    shared,
    team_data,
    team_of,
    with_names,
)


@pytest.fixture(scope="module")
def d():
    return sn.load("data")


def _region_people(d, region):
    reps = d.reps
    return set(reps.loc[reps["region"] == region, "rep_id"])


def test_parse_scope_forms_and_refusals():
    assert parse_scope("") == ("company", "")
    assert parse_scope(" Company ") == ("company", "")
    assert parse_scope("Region: East ") == ("region", "East")
    assert parse_scope("rep:R013") == ("rep", "R013")
    for bad in ("team:R003", "rep:", "East", "region"):
        with pytest.raises(ScopeError, match="region:<name>"):
            parse_scope(bad)


def test_team_of_walks_the_whole_tree_once():
    reps = pd.DataFrame({"rep_id": ["D", "M", "S", "A", "B", "C", "X"],
                         "manager_id": [None, "D", "M", "S", "S", "A", "X"]})
    assert team_of(reps, "M") == ["M", "S", "A", "B", "C"]  # three levels down
    assert team_of(reps, "D")[0] == "D" and set(team_of(reps, "D")) == set("DMSABC")
    cyclic = pd.DataFrame({"rep_id": ["P", "Q"], "manager_id": ["Q", "P"]})
    assert team_of(cyclic, "P") == ["P", "Q"]


def test_choices_and_labels_come_from_the_data(d):
    choices = scope_choices(d)
    assert choices["region"] == sorted(d.reps["region"].dropna().unique())
    managers = d.reps.loc[d.reps["role"] == "manager", "rep_id"]
    assert choices["manager"] == sorted(managers)  # the director is the company scope
    assert choices["rep"] == sorted(d.reps.loc[d.reps["role"] == "rep", "rep_id"])
    east = resolve_scope(d, "region:east")  # any case; spelt as in the data
    manager = d.reps.loc[(d.reps["role"] == "manager") & (d.reps["region"] == "East")]
    name, rid = manager["name"].iloc[0], manager["rep_id"].iloc[0]
    n_reps = int(((d.reps["region"] == "East") & (d.reps["role"] == "rep")).sum())
    assert east.text == "region:East"
    assert east.label == f"East region — manager {name} ({rid}), {n_reps} reps"
    rep = resolve_scope(d, "rep:R013")
    boss = d.reps.set_index("rep_id").loc["R013", "manager_id"]
    assert rep.manager == boss
    siblings = set(d.reps.loc[(d.reps["manager_id"] == boss) & (d.reps["role"] == "rep"),
                              "rep_id"])
    assert set(rep.team) == siblings and "R013" in rep.team


def test_invalid_scopes_name_the_valid_ones(d):
    with pytest.raises(ScopeError, match=r"'Nowhere' is not a region.*Central, East"):
        apply_scope(d, "region:Nowhere")
    with pytest.raises(ScopeError, match=r"not a manager.*R002"):
        apply_scope(d, "manager:R013")
    with pytest.raises(ScopeError, match="no reps table"):
        check_scope("manager:R003", {"region": ["East"], "manager": [], "rep": ["R1"]})


def test_a_region_holds_only_its_rows_and_sums_to_the_company(d):
    east = apply_scope(d, "region:East")
    people = _region_people(d, "East")
    customers = set(d.customers.loc[d.customers["region"] == "East", "customer_id"])
    assert set(east.reps["rep_id"]) == people and "R001" not in people
    assert set(east.orders["rep_id"]) <= people
    assert set(east.orders["customer_id"]) <= customers
    assert set(east.customers["customer_id"]) == customers
    assert set(east.leads["region"]) == {"East"}
    assert set(east.opportunities["customer_id"]) <= customers
    assert set(east.surveys["customer_id"]) <= customers
    assert set(east.targets["rep_id"]) <= people
    assert set(east.competitors["region"]) == {"East"}
    assert len(east.products) == len(d.products)
    company = d.orders.loc[d.orders["region"] == "East", "revenue"].sum()
    assert east.orders["revenue"].sum() == pytest.approx(company)
    assert east.whole is d and east.company is d
    assert sum(len(apply_scope(d, f"region:{r}").orders)
               for r in scope_choices(d)["region"]) == len(d.orders)


def test_a_team_and_a_rep(d):
    team = apply_scope(d, "manager:R003")
    members = set(team_of(d.reps, "R003"))
    assert set(team.reps["rep_id"]) == members
    assert set(team.orders["rep_id"]) <= members
    assert set(team.customers["owner_rep_id"]) <= members
    free = d.leads[d.leads["assigned_rep_id"].isna() & (d.leads["status"] == "open")
                   & d.leads["region"].isin(team.scope.regions)]
    assert set(free["lead_id"]) <= set(team.leads["lead_id"])  # the manager's to assign
    assert set(team.leads["assigned_rep_id"].dropna()) <= members
    rep = apply_scope(d, "rep:R013")
    assert set(rep.orders["rep_id"]) == {"R013"}
    assert set(rep.leads["assigned_rep_id"]) == {"R013"}
    assert set(rep.customers["owner_rep_id"]) == {"R013"}
    assert rep.orders["revenue"].sum() == pytest.approx(
        d.orders.loc[d.orders["rep_id"] == "R013", "revenue"].sum())
    mates = team_data(rep)
    assert mates.scope is rep.scope  # still the rep's page
    assert set(mates.reps["rep_id"]) == {rep.scope.manager, *rep.scope.team}
    assert team_data(team) is team


def test_scopes_on_an_orders_only_export(orders_only):
    src, mapping = orders_only
    d = sn.load(src, mapping)
    choices = scope_choices(d)
    assert choices["manager"] == []
    assert choices["region"] == sorted(d.orders["region"].dropna().unique())
    region = choices["region"][0]
    part = apply_scope(d, f"region:{region}")
    assert set(part.orders["region"]) == {region}
    assert part.scope.label == f"{region} region"
    with pytest.raises(ScopeError, match="no reps table"):
        apply_scope(d, "manager:R003")


def test_rep_names_by_default_customer_names_only_with_pii(d):
    assert "name" in d.without_pii().reps.columns  # colleagues, not customers
    assert "name" not in d.without_pii().customers.columns
    frame = pd.DataFrame({"rep_id": ["R013", "R999"], "customer_id": ["C00001", "C00002"]})
    named = with_names(frame, d.without_pii())
    assert list(named.columns) == ["rep_id", "rep", "customer_id"]
    assert named["rep"].tolist() == [d.reps.set_index("rep_id").loc["R013", "name"], ""]
    with_pii = with_names(frame, d)
    assert with_pii["customer"].iloc[0] == d.customers.set_index("customer_id").loc[
        "C00001", "name"]
    indexed = with_names(frame.set_index("rep_id"), d.without_pii(), customer=None)
    assert indexed.index.name == "rep_id" and "rep" in indexed.columns


def test_shared_results_are_computed_once_per_dataset(d):
    clear_shared()
    calls = []

    def fit():
        calls.append(1)
        return pd.DataFrame({"x": [1, 2]})

    first = shared(apply_scope(d, "region:East"), ("fit",), fit)
    second = shared(apply_scope(d, "rep:R013"), ("fit",), fit)
    shared(apply_scope(d, "company"), ("fit",), fit)  # the company's page too
    assert len(calls) == 1 and second.equals(first)
    second.loc[0, "x"] = 99  # a copy: the next caller is not affected
    assert shared(d, ("fit",), fit).loc[0, "x"] == 1
    other = dataclasses.replace(d, tables=dict(d.tables))  # another dataset: its own results
    shared(other, ("fit",), fit)
    assert len(calls) == 2


def test_shared_keeps_only_the_last_results_of_a_family(d):
    clear_shared()
    calls = []

    def make(n):
        return lambda: calls.append(n) or n

    for n in (1, 2, 3):
        shared(d, ("per scope", n), make(n), keep=2)
    shared(d, ("model",), make("model"))
    assert shared(d, ("per scope", 2), make(2), keep=2) == 2  # kept, and used last
    shared(d, ("per scope", 4), make(4), keep=2)  # drops 3, the least recently used
    assert calls == [1, 2, 3, "model", 4]
    shared(d, ("per scope", 3), make(3), keep=2)
    shared(d, ("per scope", 1), make(1), keep=2)
    shared(d, ("model",), make("model"))  # another family keeps its result
    assert calls == [1, 2, 3, "model", 4, 3, 1]


def test_a_scope_filters_the_company_tables_once(d, monkeypatch):
    from salesnb.scope import filters

    clear_shared()
    calls = []
    people = filters._people_tables
    monkeypatch.setattr(filters, "_people_tables",
                        lambda *a: calls.append(1) or people(*a))
    first = apply_scope(d, "rep:R013")
    first.orders.loc[first.orders.index[0], "revenue"] = -1.0  # a page changes its copy
    again = apply_scope(d, "rep:R013")
    assert len(calls) == 1
    assert (again.orders["revenue"] >= 0).all() and len(again.orders) == len(first.orders)
    assert again.whole is d and set(again.orders["rep_id"]) == {"R013"}
    team_data(again), team_data(apply_scope(d, "rep:R013"))
    assert len(calls) == 2  # the rep's team: filtered once for both pages


def test_scope_folders_are_safe_and_distinct():
    folders = scope_folders(["company", "region:East", "region:华东 区", "region:a/b",
                             "region:A/B", "rep:R013"])
    assert folders == ["company", "region-East", "region-华东_区", "region-a_b",
                       "region-A_B-2", "rep-R013"]


def test_set_status():
    from salesnb.report.runner import NotebookRun

    ok = NotebookRun("a", "A", "", "a.ipynb", {}, status="ok")
    bad = NotebookRun("b", "B", "", "b.ipynb", {}, status="failed")
    assert set_status("failed", [ok]) == "ok"
    assert set_status("failed", [ok, bad]) == "failed"


def test_data_values_read_the_scopes_before_any_kernel(d):
    found = data_values("data", kinds=("scope",)).scopes
    assert found == scope_choices(d)


def test_plan_refuses_bad_scopes_and_expands_each(tmp_path):
    from salesnb.report.runner import plan_runs

    with pytest.raises(ParameterError, match=r"scope='region:Mars'.*valid scopes: company"):
        plan_runs(["05_rep_assessment"], params={"scope": "region:Mars"})
    with pytest.raises(ParameterError, match="leave out the scope"):
        plan_runs(["05_rep_assessment"], params={"scope": "region:East"}, each="region")
    runs = plan_runs(["05_rep_assessment", "00_data_quality"], each="manager")
    managers = scope_choices(sn.load("data", tables=["reps"]))["manager"]
    assert [r.folder for r in runs[::2]] == ["company", *(f"manager-{m}" for m in managers)]
    assert {r.parameters["scope"] for r in runs} == {"company",
                                                     *(f"manager:{m}" for m in managers)}
    assert runs[2].ipynb == f"manager-{managers[0]}/05_rep_assessment.ipynb"


def test_the_report_says_its_scope():
    record = {"as_of": "2025-12-31", "data_through": "2025-12-31", "age_days": 3,
              "chosen": "today", "left_out": 0, "scope": "region:East",
              "scope_label": "East region — manager <b>X</b>, 6 reps"}
    text = data_sentence(record)
    assert text.startswith("This report is for **East region — manager ") and "<b>" not in text
    from salesnb.report.pages import data_line

    line = data_line(record)
    assert "For <b>East region — manager &lt;b>X&lt;/b>, 6 reps</b>" in line  # shown as typed
    assert "as of 31 Dec 2025 (today) · data through 31 Dec 2025, 3 days old" in line
    assert data_line({**record, "scope": "company"}).startswith("For <b>the whole company</b>")
    assert "This report is for" not in data_sentence({**record, "scope": "company"})
    assert json.dumps(record)  # the record travels in the notebook's metadata


def test_a_region_parameter_outside_the_region_scope_is_refused():
    from salesnb.report.runner import plan_runs

    with pytest.raises(ParameterError, match=r"region='West' of 04_product_region is outside "
                                             r"scope 'region:East'.*scope region:West"):
        plan_runs(["04_product_region"], params={"scope": "region:East", "region": "West"})
    with pytest.raises(ParameterError, match=r"regions=\['East', 'West'\].*leave regions empty"):
        plan_runs(["01_lead_scoring"], params={"scope": "region:East", "regions": "East,West"})
    runs = plan_runs(["04_product_region"], params={"scope": "region:east", "region": "East"})
    assert runs[0].parameters["scope"] == "region:east"  # the kernel spells it as the data


def test_salesnb_scopes_lists_every_scope_with_names(capsys, d):
    from salesnb.cli import main

    assert main(["scopes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "company"
    name = d.reps.set_index("rep_id").loc["R013", "name"]
    assert f"rep:R013  {name}" in lines
    assert len(lines) == 1 + sum(len(v) for v in scope_choices(d).values())
