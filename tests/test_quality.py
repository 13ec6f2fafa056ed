"""Data-quality functions on small hand-made data."""

from __future__ import annotations

import datetime as dt

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from conftest import AS_OF

import salesnb as sn
from salesnb import quality as q
from salesnb.data.loader import ValidationReport


def _dirty(tiny, write):
    tiny["orders"].loc[0, "customer_id"] = "C404"
    tiny["orders"].loc[1, "quantity"] = "-1"
    tiny["customers"].loc[2, "industry"] = ""
    return sn.load(write(tiny), as_of=AS_OF)


def test_overview_and_headline(tiny, write):
    d = _dirty(tiny, write)
    ov = q.overview(d)
    assert ov.loc["orders", "rows_quarantined"] == 2
    assert ov.loc["orders", "quarantined_pct"] == 50.0
    text = q.headline(d, q.freshness(d, stale_days=10_000))
    assert "2 quarantined" in text and "`orders`" in text and "All tables are fresh" in text


def test_completeness_counts_missing(tiny, write):
    d = _dirty(tiny, write)
    comp = q.completeness(d).set_index(["table", "column"])
    assert comp.loc[("customers", "industry"), "missing"] == 1
    assert comp.loc[("customers", "industry"), "filled_pct"] == round(100 * 2 / 3, 2)
    assert comp.loc[("orders", "order_id"), "filled_pct"] == 100.0
    assert bool(comp.loc[("orders", "order_id"), "required"]) is True
    assert q.completeness(d)["filled_pct"].is_monotonic_increasing


def test_quarantine_tables(tiny, write):
    d = _dirty(tiny, write)
    by = q.quarantine_by_rule(d.report)
    rules = set(zip(by["table"], by["rule"], strict=True))
    assert {("orders", "foreign_key"), ("orders", "range"), ("orders", "revenue")} <= rules
    assert by["meaning"].notna().all()
    ex = q.quarantine_examples(d.report, n=1)
    assert len(ex) == len(by)
    refs = q.broken_references(d.report)
    assert refs.iloc[0][["table", "column", "references", "rows", "examples"]].tolist() == [
        "orders", "customer_id", "customers.customer_id", 1, "C404"]


def test_pii_values_are_masked_unless_asked():
    quarantine = pd.DataFrame([{"table": "customers", "file": "c.csv", "row": 5,
                                "column": "email", "rule": "type", "value": "ann@x.com",
                                "message": "m"},
                               {"table": "orders", "file": "o.csv", "row": 2,
                                "column": "quantity", "rule": "range", "value": "-1",
                                "message": "m"}])
    counts = pd.DataFrame({"table": ["customers", "orders"], "file": ["c", "o"],
                           "rows_read": [10, 10], "rows_loaded": [9, 9],
                           "rows_quarantined": [1, 1]})
    report = ValidationReport("x", counts, quarantine)
    hidden = q.quarantine_examples(report)
    assert "ann@x.com" not in hidden["value"].tolist() and q.PII_MASK in hidden["value"].tolist()
    assert "-1" in hidden["value"].tolist()
    assert "ann@x.com" in q.quarantine_examples(report, show_pii=True)["value"].tolist()


def test_duplicates(tiny, write):
    tiny["customers"] = pd.concat([tiny["customers"], tiny["customers"].iloc[[0]]])
    extra = tiny["orders"].iloc[[2]].assign(order_id="O9")  # same line under another order
    tiny["orders"] = pd.concat([tiny["orders"], extra])
    dup = q.duplicates(sn.load(write(tiny), as_of=AS_OF)).set_index("table")
    assert dup.loc["customers", "duplicate_keys"] == 1
    assert dup.loc["orders", "possible_double_entries"] == 1
    assert pd.isna(dup.loc["targets", "possible_double_entries"])


def test_freshness_statuses(tiny, write):
    d = sn.load(write(tiny), as_of=AS_OF)
    f = q.freshness(d, dt.date(2025, 7, 10), stale_days=30).set_index("table")
    assert f.loc["orders", "days_old"] == 9 and f.loc["orders", "status"] == "fresh"
    assert f.loc["surveys", "status"] == "stale"
    assert f.loc["reps", "status"] == "reference data"


def test_volume_gaps_find_a_half_loaded_month():
    months = pd.date_range("2024-01-01", periods=12, freq="MS")
    vol = pd.DataFrame({"orders": [100, 110, 95, 105, 100, 30, 100, 98, 102, 99, 101, 100]},
                       index=months)
    gaps = q.volume_gaps(vol)
    assert gaps["month"].tolist() == [pd.Timestamp("2024-06-01")]
    assert gaps.iloc[0]["ratio"] < 0.5


def test_monthly_volumes_fill_empty_months(tiny, write):
    d = sn.load(write(tiny), as_of=AS_OF)
    vol = q.monthly_volumes(d)
    assert vol.index.min() == pd.Timestamp("2024-01-01")
    assert vol.loc["2024-02-01", "orders"] == 0  # no order that month, still a row
    assert vol["orders"].sum() == 4 and vol["orders_revenue"].sum() == d.orders["revenue"].sum()


def test_plots_return_their_axes(tiny, write):
    d = _dirty(tiny, write)
    ax = q.plot_completeness(q.completeness(d))
    assert ax.get_title().startswith("Least complete")
    ax = q.plot_quarantine(q.quarantine_by_rule(d.report))
    assert ax.get_xlabel() == "quarantined rows"
    vol = q.monthly_volumes(d)
    fig = q.volumes_figure(vol, gaps=q.volume_gaps(vol))
    assert len(fig.axes) == 4
    assert [a.get_ylabel() for a in fig.axes] == ["orders", "leads", "opportunities", "surveys"]


def test_plots_draw_on_the_axes_given(tiny, write):
    d = _dirty(tiny, write)
    fig, (left, right) = plt.subplots(1, 2)
    assert q.plot_completeness(q.completeness(d), ax=right) is right
    assert q.plot_quarantine(q.quarantine_by_rule(d.report), ax=left) is left
    assert right.get_title().startswith("Least complete") and left.patches
    with pytest.raises(TypeError):
        q.plot_quarantine(q.quarantine_by_rule(d.report), left)  # ax is keyword-only
    bars = q.plot_completeness(q.completeness(d), ax=plt.figure().gca(), color="black")
    assert {tuple(p.get_facecolor()) for p in bars.patches} == {(0.0, 0.0, 0.0, 1.0)}


def test_volumes_figure_uses_the_figure_given(tiny, write):
    vol = q.monthly_volumes(sn.load(write(tiny), as_of=AS_OF))
    fig = plt.figure()
    assert q.volumes_figure(vol, fig=fig) is fig and len(fig.axes) == 4
    empty = q.volumes_figure(pd.DataFrame())
    assert empty.axes[0].texts[0].get_text().startswith("No table with dates")


def test_empty_charts_say_so(tiny, write):
    clean = sn.load(write(tiny), as_of=AS_OF)
    ax = q.plot_quarantine(q.quarantine_by_rule(clean.report))
    assert ax.texts[0].get_text() == "No row was quarantined"


def test_loading_notes_say_what_was_derived_and_skipped(orders_only):
    import salesnb as sn

    src, mapping = orders_only
    notes = q.loading_notes(sn.load(src, mapping).report)
    by_table = notes.groupby("table")["note"].apply(" | ".join)
    assert "orders.unit_price: the file has none; derived as revenue / quantity" in \
        by_table["orders"]
    assert "products.list_price: derived as the median unit price" in by_table["products"]
    assert list(notes.columns) == ["table", "note"] and len(notes) == 2
    customers_only = sn.load(src, {**mapping, "tables": {k: v for k, v in mapping["tables"].items()
                                                         if k != "products"}}).report
    skipped = q.loading_notes(customers_only)
    assert "check skipped: foreign key product_id -> products: products not loaded" in \
        skipped["note"].tolist()
