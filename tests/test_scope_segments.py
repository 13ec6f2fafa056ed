"""The segmentation report for every scope: the company's segments, shown for the scope."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

import salesnb as sn
from salesnb import segments as sg
from salesnb.core.fmt import pct
from salesnb.scope import apply_scope
from salesnb.segments import scoped as sc
from salesnb.segments import views as sv

DAY = "2025-12-31"
REP_ID = re.compile(r"R\d{3}")
CUSTOMER_ID = re.compile(r"C\d{5}")


@pytest.fixture(scope="module")
def whole():
    """The sample as a report loads it: no personal data."""
    return sn.load("data", as_of=DAY).without_pii()


@pytest.fixture(scope="module")
def with_pii():
    return sn.load("data", as_of=DAY)


@pytest.fixture(scope="module")
def company_table(whole):
    return sg.rfm(whole.orders, as_of=DAY)


def _region(whole, region):
    """The region's reps and customers, read from the tables themselves."""
    reps = set(whole.reps.loc[whole.reps["region"] == region, "rep_id"])
    customers = set(whole.customers.loc[whole.customers["region"] == region, "customer_id"])
    return reps, customers


def _text(*frames: pd.DataFrame | None) -> str:
    """Every cell, index value and column label of the frames, as one text."""
    parts = []
    for f in frames:
        if f is None:
            continue
        flat = f.reset_index()
        parts.append(flat.to_csv(index=False))
    return "\n".join(parts)


def test_a_regions_segments_are_the_companys_filtered_to_its_customers(whole, company_table):
    east = apply_scope(whole, "region:East")
    table = sc.scope_rfm(east, DAY, 5)
    _, customers = _region(whole, "East")
    expected = company_table.loc[company_table.index.isin(customers)]
    assert list(table.index) == list(expected.index) and len(table) > 100
    assert table["segment"].astype(str).tolist() == expected["segment"].astype(str).tolist()
    counts = sc.scope_summary(east, table)["customers"]
    want = expected["segment"].astype(str).value_counts()
    assert counts.to_dict() == want.reindex(counts.index).to_dict()
    assert counts.sum() == len(customers & set(company_table.index))
    # the company line is the company's own figure
    summary = sc.scope_summary(east, table)
    company = sg.segment_summary(company_table)
    pd.testing.assert_series_equal(summary["company customers %"],
                                   company["customers %"].reindex(summary.index),
                                   check_names=False)
    assert "company customers %" not in sc.scope_summary(whole, company_table).columns
    assert "ranked among all 2," in sg.rfm_note(table) and "East region" in sg.rfm_note(table)


def test_a_customer_has_the_same_segment_and_cluster_on_every_page(whole, company_table):
    rep = apply_scope(whole, "rep:R020")
    east = apply_scope(whole, "region:East")
    mine, region = sc.scope_rfm(rep, DAY, 5), sc.scope_rfm(east, DAY, 5)
    both = mine.index.intersection(region.index)
    assert len(both) == len(mine) > 50  # the rep's customers are the region's
    assert (mine.loc[both, "segment"] == region.loc[both, "segment"]).all()
    assert (mine["segment"] == company_table.loc[mine.index, "segment"]).all()
    tables = sc.scope_tables(rep)
    note, profile, _ = sv.cluster_view(DAY, 3, table_of=tables)
    whole_clusters = sg.cluster(company_table, k=3)
    labels = sg.clusters.restrict(whole_clusters, mine).labels
    assert (labels == whole_clusters.labels.loc[mine.index]).all()
    assert profile.data["customers"].sum() == len(mine)
    assert "among all 2," in note.data and "R020" in note.data


def test_migration_is_the_companys_for_the_scopes_customers(whole):
    east = apply_scope(whole, "region:East")
    assert east.as_of == dt.date.fromisoformat(DAY)
    company = sg.migration(whole.orders, as_of=DAY, months=3)
    mig = sc.scope_migration(east, months=3)
    _, customers = _region(whole, "East")
    kept = company.moves.loc[company.moves.index.isin(customers)]
    assert int(mig.matrix.to_numpy().sum()) == len(kept) == len(mig.moves)
    assert (mig.moves["now"] == kept["now"]).all()


def test_a_reps_page_holds_no_other_rep_id(whole):
    rep = apply_scope(whole, "rep:R020")
    table = sc.scope_tables(rep)(DAY, 5)
    actions = sv.action_list(rep, table)
    frames = [sc.rep_satisfaction(rep), actions, sg.actions_by(actions),
              sv.follow_list(rep, table), sc.scope_satisfaction(rep, table),
              sc.scope_summary(rep, table), sc.scope_types(rep)]
    assert set(REP_ID.findall(_text(*frames))) == {"R020"}
    for words in (sv.rep_satisfaction_note(frames[0], rep).data,
                  sv.headline(table, frames[3], data=rep).data, sg.rfm_note(table)):
        assert set(REP_ID.findall(words)) <= {"R020"}


def test_a_reps_satisfaction_is_compared_with_the_team_median_only(whole):
    rep = apply_scope(whole, "rep:R020")
    by = sc.rep_satisfaction(rep)
    assert list(by.index) == ["R020", sc.TEAM_LINE]
    team = whole.surveys[whole.surveys["rep_id"].isin(rep.scope.team)]
    means = team.groupby("rep_id")["score"].mean()
    assert by.loc[sc.TEAM_LINE, "mean score"] == pytest.approx(means.median())
    assert by.loc["R020", "mean score"] == pytest.approx(means["R020"])
    rank = int((means > means["R020"]).sum()) + 1
    note = sv.rep_satisfaction_note(by, rep).data
    assert f"of {len(means)} in the team" in note and sv._ordinal(rank) in note
    assert by.loc["R020", "rep"] == "David Ramirez"  # the name beside the id


def test_a_regions_reps_are_listed_with_names_and_one_company_line(whole):
    east = apply_scope(whole, "region:East")
    reps, _ = _region(whole, "East")
    by = sc.rep_satisfaction(east)
    listed = [i for i in by.index if i != sc.COMPANY_LINE]
    assert set(listed) <= reps and len(listed) == 6 and "R001" not in by.index
    assert by.index[-1] == sc.COMPANY_LINE
    assert by.loc[sc.COMPANY_LINE, "mean score"] == pytest.approx(whole.surveys["score"].mean())
    assert by.loc[sc.COMPANY_LINE, "answers"] == len(whole.surveys)
    names = dict(zip(whole.reps["rep_id"], whole.reps["name"], strict=True))
    assert all(by.loc[r, "rep"] == names[r] for r in listed)
    assert by.loc[listed, "mean score"].is_monotonic_increasing


def test_a_region_page_holds_only_its_own_ids(whole):
    east = apply_scope(whole, "region:East")
    reps, customers = _region(whole, "East")
    table = sc.scope_tables(east)(DAY, 5)
    actions = sv.action_list(east, table)
    follow = sv.follow_list(east, table)
    text = _text(actions, follow, sc.rep_satisfaction(east), sg.actions_by(actions))
    assert set(REP_ID.findall(text)) <= reps and "R001" not in text
    assert set(CUSTOMER_ID.findall(text)) <= customers
    assert set(actions["customer_id"]) == set(table.index)


def test_an_owner_outside_the_scope_is_not_named(whole):
    east = apply_scope(whole, "region:East")
    frame = pd.DataFrame({"customer_id": ["C1", "C2"], "owner_rep_id": ["R020", "R030"]})
    out = sc.hide_outside(frame, east, "owner_rep_id")
    assert out["owner_rep_id"].tolist() == ["R020", sc.OUTSIDE]
    assert sc.hide_outside(frame, whole, "owner_rep_id").equals(frame)


def test_a_reps_action_list_is_their_own_accounts(whole):
    rep = apply_scope(whole, "rep:R020")
    table = sc.scope_tables(rep)(DAY, 5)
    actions = sv.action_list(rep, table)
    owned = set(whole.customers.loc[whole.customers["owner_rep_id"] == "R020", "customer_id"])
    assert set(actions["customer_id"]) == owned & set(table.index)
    assert set(actions["owner_rep_id"]) == {"R020"} and set(actions["owner"]) == {"David Ramirez"}
    assert list(actions.columns).index("owner") == list(actions.columns).index("owner_rep_id") + 1
    # R017 left and their accounts went to R013: R017's customers are on R017's page, and on
    # R013's list, not on R017's
    other = apply_scope(whole, "rep:R017")
    page = sc.scope_tables(other)(DAY, 5)
    listed = sv.action_list(other, page)
    assert len(page) > 50 and listed.empty
    said = sv.actions_view(listed, other).data
    assert "Yuki Lee (R017) owns no account" in said and f"the {len(page)} customers" in said
    assert set(REP_ID.findall(_text(sv.follow_list(other, page)) + said)) <= {"R017"}


def test_customer_names_only_with_personal_data(whole, with_pii):
    plain = apply_scope(whole, "region:East")
    named = apply_scope(with_pii, "region:East")
    table = sc.scope_rfm(plain, DAY, 5)
    assert "name" not in sv.action_list(plain, table).columns
    assert "name" not in sv.follow_list(plain, table).columns
    actions = sv.action_list(named, sc.scope_rfm(named, DAY, 5))
    names = dict(zip(with_pii.customers["customer_id"], with_pii.customers["name"],
                     strict=True))
    assert actions["name"].tolist() == [names[c] for c in actions["customer_id"]]
    assert list(actions.columns)[1] == "name"


def test_headline_puts_the_company_beside_the_scope(whole, company_table):
    east = apply_scope(whole, "region:East")
    table = sc.scope_rfm(east, DAY, 5)
    text = sv.headline(table, data=east).data
    core = sg.segment_share(company_table, sg.CORE)
    own = sg.segment_share(table, sg.CORE)
    assert f"**{len(table):,} customers** of the East region" in text
    assert (f"bring **{pct(own.revenue_share)}** of that revenue (whole company: "
            f"{pct(core.customers_share)} of customers, {pct(core.revenue_share)} of revenue)"
            ) in text
    assert "whole company" not in sv.headline(company_table, data=whole).data


def test_satisfaction_by_segment_has_the_company_mean_beside(whole, company_table):
    east = apply_scope(whole, "region:East")
    by = sc.scope_satisfaction(east, sc.scope_rfm(east, DAY, 5))
    every = sg.satisfaction(whole.surveys, company_table)
    pd.testing.assert_series_equal(by["company mean score"], every["mean score"].reindex(by.index),
                                   check_names=False)
    assert by["answers"].sum() == len(east.surveys)


def test_the_scope_tables_compute_the_company_once(whole, monkeypatch):
    from salesnb.scope import clear_shared

    clear_shared()
    calls = []
    original = sg.scoring.rfm

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(sg.scoring, "rfm", counting)
    for text in ("region:East", "region:West", "rep:R020"):
        scoped = apply_scope(whole, text)
        sc.scope_tables(scoped)(DAY, 5)
        sc.scope_tables(scoped)(scoped.as_of, 5)
    assert len(calls) == 1
    tables = sc.scope_tables(apply_scope(whole, "region:East"))
    for _ in range(2):  # another day (a control moved): computed once for this page
        tables("2025-06-30", 5)
        tables.company("2025-06-30", 5)
    assert len(calls) == 2


def test_a_rep_without_accounts_is_told_so(whole):
    rep = apply_scope(whole, "rep:R020")
    empty = sv.action_list(rep, sc.scope_rfm(rep, DAY, 5).iloc[0:0])
    assert empty.empty
    assert "David Ramirez (R020) owns no account" in sv.owners_view(empty, rep).data
    assert "none (no customer listed)" in sv.export_note(empty, "").data
