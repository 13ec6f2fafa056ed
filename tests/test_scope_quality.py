"""The data-quality report for every scope: the scope's tables, the export's quarantine."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil

import pandas as pd
import pytest
from conftest import ORDERS_ONLY_MAPPING, ROOT, write_orders_only

import salesnb as sn
from salesnb import quality as q
from salesnb.data.loader import ValidationReport
from salesnb.scope import apply_scope

REP_ID = re.compile(r"R\d{3}")
CUSTOMER_ID = re.compile(r"C\d{5}")


def _edit(folder, name, change):
    frame = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
    change(frame).to_csv(folder / f"{name}.csv", index=False)


def _dirty_orders(frame):
    for region in ("East", "West", "North"):
        rows = frame.index[frame["region"] == region][:3]
        frame.loc[rows[0], "quantity"] = "-1"          # range (and revenue)
        frame.loc[rows[1], "customer_id"] = "C99999"   # a customer that exists nowhere
        frame.loc[rows[2], "order_date"] = "not a date"
    return frame


@pytest.fixture(scope="module")
def dirty(tmp_path_factory):
    """The sample with broken rows in three regions' orders and surveys, and two repeated
    customers (one East, one West)."""
    folder = tmp_path_factory.mktemp("dirty") / "data"
    shutil.copytree(ROOT / "data", folder)
    region_of = pd.read_csv(folder / "customers.csv", dtype=str).set_index("customer_id")["region"]
    _edit(folder, "orders", _dirty_orders)

    def surveys(frame):
        for region in ("East", "West"):
            rows = frame.index[frame["customer_id"].map(region_of) == region][:2]
            frame.loc[rows, "score"] = "x"
        return frame

    def customers(frame):
        twice = [frame[frame["region"] == r].iloc[[0]] for r in ("West", "East")]
        return pd.concat([frame, *twice], ignore_index=True)

    _edit(folder, "surveys", surveys)
    _edit(folder, "customers", customers)
    return sn.load(folder).without_pii(), folder


def _raw(folder, table):
    """The raw rows of a file, numbered as the quarantine numbers them (2 = first data row)."""
    frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
    frame.index = frame.index + 2
    return frame


def _region(d, region):
    reps = set(d.reps.loc[d.reps["region"] == region, "rep_id"])
    customers = set(d.customers.loc[d.customers["region"] == region, "customer_id"])
    return reps, customers


def test_a_regions_examples_are_its_own_rows_and_name_no_other_region(dirty):
    d, folder = dirty
    east = apply_scope(d, "region:East")
    placed = q.place_quarantine(east)
    shown = q.quarantine_examples(east.report, 3, placed=placed)
    assert len(shown) and set(shown["table"]) == {"orders", "surveys", "customers"}
    raw = {t: _raw(folder, t) for t in ("orders", "surveys", "customers")}
    region_of = d.customers.set_index("customer_id")["region"]
    for table, row in zip(shown["table"], shown["row"], strict=True):
        line = raw[table].loc[row]
        where = line["region"] if "region" in line else region_of[line["customer_id"]]
        assert where == "East", (table, row)
    reps, customers = _region(d, "East")
    text = shown.to_csv(index=False)
    assert set(REP_ID.findall(text)) <= reps
    assert set(CUSTOMER_ID.findall(text)) <= customers | {"C99999"}  # C99999 exists nowhere
    everyone = q.quarantine_examples(d.report, 3)
    assert len(everyone) > len(shown)  # the other regions' rows are on the company page


def test_the_examples_note_counts_every_quarantined_row_once(dirty):
    d, _ = dirty
    for text in ("region:East", "rep:R024", "manager:R004", "region:Central"):
        placed = q.place_quarantine(apply_scope(d, text))
        rows = placed.drop_duplicates(["table", "row"])
        counts = rows["place"].value_counts()
        note = q.examples_note(placed, 3)
        total = d.report.counts["rows_quarantined"].sum()
        assert len(rows) == total == 15
        assert note.startswith(f"For the whole export, {total} rows were quarantined; "
                               f"{counts.get(q.IN_SCOPE, 0)} of them belong")
        if counts.get(q.OTHER_SCOPE):
            assert f"{counts[q.OTHER_SCOPE]} belong to other scopes" in note
    central = q.place_quarantine(apply_scope(d, "region:Central"))
    assert (central["place"] != q.IN_SCOPE).all()  # nothing broke in Central
    assert "so there is no example to show" in q.examples_note(central)
    assert q.quarantine_examples(d.report, 3, placed=central).empty
    company = q.place_quarantine(d)
    assert (company["place"] == q.IN_SCOPE).all()
    assert q.examples_note(company).startswith("Examples of the 15 quarantined rows")


def test_a_reps_examples_are_rows_of_their_own(dirty):
    d, folder = dirty
    rep = apply_scope(d, "rep:R024")
    placed = q.place_quarantine(rep)
    shown = q.quarantine_examples(rep.report, 3, placed=placed)
    assert len(shown)
    for table, row in zip(shown["table"], shown["row"], strict=True):
        assert _raw(folder, table).loc[row, "rep_id"] == "R024"
    by_rule = q.quarantine_by_rule(rep.report, placed)
    assert "rows_in_scope" in by_rule.columns
    mine = placed[placed["place"] == q.IN_SCOPE].groupby(["table", "rule", "column"])["row"]
    assert by_rule.set_index(["table", "rule", "column"])["rows_in_scope"].sum() == \
        mine.nunique().sum()
    assert set(REP_ID.findall(shown.to_csv(index=False))) <= {"R024"}


def test_the_identity_is_the_exports_and_the_scopes_rows_are_beside_it(dirty):
    d, _ = dirty
    east = apply_scope(d, "region:East")
    view = q.overview(east)
    assert (view["rows_read"] == view["rows_loaded"] + view["rows_quarantined"]).all()
    counts = d.report.counts.set_index("table")
    assert view["rows_loaded"].to_dict() == counts["rows_loaded"].to_dict()
    assert view["rows_in_scope"].to_dict() == {n: len(f) for n, f in east.tables.items()}
    assert view.loc["products", "rows_in_scope"] == len(d.products)
    assert "rows_in_scope" not in q.overview(d).columns
    text = q.headline(east, q.freshness(east, stale_days=10_000))
    loaded = sum(len(f) for f in east.tables.values())
    assert text.startswith("**For the whole export: 9 tables")
    assert "Rows read = rows loaded + rows quarantined" in text
    assert f"the East region: {loaded:,} of the loaded rows" in text
    assert "whole export" not in q.headline(d)


def test_duplicates_and_broken_references_count_the_export_and_show_the_scope(dirty):
    d, _ = dirty
    east, west = apply_scope(d, "region:East"), apply_scope(d, "region:West")
    for scoped, other in ((east, "West"), (west, "East")):
        placed = q.place_quarantine(scoped)
        dup = q.duplicates(scoped, placed).set_index("table")
        assert dup.loc["customers", "duplicate_keys"] == 2
        assert dup.loc["customers", "duplicate_keys_in_scope"] == 1
        refs = q.broken_references(scoped.report, placed=placed)
        assert refs.iloc[0][["rows", "rows_in_scope", "examples"]].tolist() == [3, 1, "C99999"]
        _, others = _region(d, other)
        shown = q.quarantine_examples(scoped.report, 3, placed=placed)
        assert not set(CUSTOMER_ID.findall(shown.to_csv(index=False))) & others
    plain = q.broken_references(d.report)
    assert list(plain.columns) == ["table", "column", "references", "rows", "examples"]


def test_a_row_naming_someone_of_another_scope_is_never_shown(dirty):
    d, _ = dirty
    east = apply_scope(d, "region:East")
    row = {"table": "orders", "file": "o.csv", "row": 2, "column": "order_date",
           "rule": "type", "value": "x"}
    report = ValidationReport(
        "x", d.report.counts,
        pd.DataFrame([{**row, "message": "served by R025"},  # a West rep, in an East row
                      {**row, "row": 3, "message": "served by R020"}]))
    mixed = dataclasses.replace(d, tables=dict(d.tables), report=report)  # another dataset
    scoped = apply_scope(mixed, "region:East")
    raw = pd.DataFrame({"table": ["orders"] * 2, "row": [2, 3], "column": ["region"] * 2,
                        "value": ["East", "East"]})
    from salesnb.scope.shared import shared

    shared(scoped, ("quality.raw_values", ""), lambda: raw)  # as read from the source
    placed = q.place_quarantine(scoped)
    assert placed["place"].tolist() == [q.OTHER_SCOPE, q.IN_SCOPE]
    assert east.scope.regions == ("East",)


def test_rows_that_cannot_be_read_again_are_not_placed(dirty):
    d, _ = dirty
    moved = dataclasses.replace(d, tables=dict(d.tables), source="/no/such/folder")
    placed = q.place_quarantine(apply_scope(moved, "region:East"))
    rows = placed.drop_duplicates(["table", "row"]).set_index(["table", "row"])["place"]
    # only what the quarantine itself says places a row: a repeated customer id
    assert rows[rows == q.IN_SCOPE].index.get_level_values(0).tolist() == ["customers"]
    assert (rows.drop("customers", level=0) == q.NOT_PLACED).all()


def test_an_orders_only_export_places_rows_through_its_mapping(tmp_path):
    src = tmp_path / "superstore"
    path = write_orders_only(src)
    lines = pd.read_csv(path, dtype=str, keep_default_na=False)
    east = lines.index[lines["Region"] == "East"][0]
    west = lines.index[lines["Region"] == "West"][0]
    lines.loc[[east, west], "Quantity"] = "-3"
    lines.to_csv(path, index=False)
    mapping = tmp_path / "superstore.yaml"
    mapping.write_text(json.dumps(ORDERS_ONLY_MAPPING), encoding="utf-8")
    d = sn.load(src, mapping)
    scoped = apply_scope(d, "region:East")
    placed = q.place_quarantine(scoped, str(mapping))
    shown = q.quarantine_examples(scoped.report, 3, placed=placed)
    assert shown["row"].drop_duplicates().tolist() == [east + 2]
    assert "1 belong to other scopes" in q.examples_note(placed)
