"""Customer segmentation on real exports: orders only, $0 orders, the attributes there are.

A company's first export is often one file of order lines: the segmentation must give RFM,
clusters, customer types (from whatever attributes exist), migration and actions on it, and
skip satisfaction cleanly when there are no surveys.
"""

from __future__ import annotations

import ast
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT

import salesnb as sn
from salesnb import segments as sg
from salesnb.errors import ColumnError
from salesnb.segments import views as sv


def _orders(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "revenue"])
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    return frame


# --- $0 orders are purchases, returns are not ------------------------------------------------


@pytest.fixture
def free_and_returns() -> pd.DataFrame:
    return _orders([
        ("O1", "A", "2025-01-10", 100.0), ("O2", "A", "2025-02-10", 40.0),
        ("F1", "Z", "2025-01-20", 0.0), ("F2", "Z", "2025-03-01", 0.0),  # free goods only
        ("F2", "Z", "2025-03-01", 0.0),
        ("R1", "R", "2025-02-01", -30.0),                                # a return only
        ("C1", "C", "2025-02-05", 25.0), ("C1", "C", "2025-02-05", -25.0),  # cancelled in full
        ("M1", "M", "2025-01-05", 0.0), ("M2", "M", "2025-02-05", -10.0),   # free, then a return
        ("B1", "B", "2025-03-10", 60.0),
    ])


def test_zero_dollar_orders_are_purchases_not_returns(free_and_returns):
    t = sg.rfm(free_and_returns, as_of="2025-04-01")
    assert t.loc["Z", "segment"] != sg.NO_PURCHASE
    assert t.loc["Z", "frequency"] == 2                      # F1, and F2 of two lines
    assert t.loc["Z", "monetary"] == 0.0
    assert t.loc["Z", "last_purchase"] == pd.Timestamp("2025-03-01")
    assert t.loc["Z", "recency"] == 31 and pd.notna(t.loc["Z", "r"])
    assert t.loc["Z", "m"] == 2                              # scored: above M's -10 only
    assert t.loc["M", "frequency"] == 1 and t.loc["M", "segment"] != sg.NO_PURCHASE
    assert t.loc["M", "monetary"] == -10.0 and t.loc["M", "m"] == 1
    # negative lines stay returns: a return alone, or an order netted out by its return line
    assert t.loc["R", "segment"] == sg.NO_PURCHASE and t.loc["R", "frequency"] == 0
    assert t.loc["C", "segment"] == sg.NO_PURCHASE and pd.isna(t.loc["C", "r"])
    assert (t["segment"] == sg.NO_PURCHASE).sum() == 2
    assert "2 with only returns on record are not scored" in sg.rfm_note(t)
    acts = sg.actions(t).set_index("customer_id")
    assert acts.loc["Z", "what to do"] != sg.SEGMENT_ACTIONS[sg.NO_PURCHASE][2]
    assert acts.loc["R", "what to do"] == sg.SEGMENT_ACTIONS[sg.NO_PURCHASE][2]


def test_all_zero_dollar_customers_count_in_migration(free_and_returns):
    mig = sg.migration(free_and_returns, as_of="2025-04-01", months=1)
    assert mig.moves.loc["Z", "now"] != sg.NO_PURCHASE
    assert int(mig.matrix.to_numpy().sum()) == 6


def test_migration_when_the_data_starts_after_the_earlier_day(free_and_returns):
    from IPython.display import Markdown

    mig = sg.migration(free_and_returns, as_of="2025-04-01", months=6)
    assert not mig.compared and (mig.moves["then"] == sg.NEW_CUSTOMER).all()
    text = mig.summary()
    assert "no customer had bought by 2024-10-01" in text and "all 6 customers are new" in text
    assert "%" not in text  # no shares of zero customers
    view = sv.migration_view(mig)
    assert isinstance(view, Markdown) and "compare_months" in view.data
    assert sg.migration(free_and_returns, as_of="2025-04-01", months=1).compared


# --- customer types from the attributes there are ---------------------------------------------


@pytest.fixture
def lines() -> pd.DataFrame:
    frame = _orders([
        ("O1", "A", "2025-01-10", 100.0), ("O2", "A", "2025-06-10", 50.0),
        ("O3", "B", "2025-02-01", 200.0), ("O4", "C", "2025-03-01", 30.0),
        ("O5", "D", "2024-03-01", 80.0), ("O6", "D", "2025-05-01", 20.0),
    ])
    frame["region"] = ["East", "West", "West", "East", "North", "South"]
    return frame


def test_type_attributes_prefer_few_valued_columns():
    cust = pd.DataFrame({"customer_id": list("ABCD"), "segment": ["X", "Y", "X", None],
                         "city": ["a", "b", "c", "d"], "region": ["E", "W", "E", "W"],
                         "industry": [None] * 4, "size": ["", " ", "", None]})
    # industry and size have no value; city has too many distinct values for a type
    assert sg.type_attributes(cust, max_values=3) == ["segment", "region"]
    assert sg.type_attributes(cust[["customer_id", "city"]], max_values=3) == ["city"]
    assert sg.type_attributes(cust[["customer_id", "industry", "size"]]) == []
    assert sg.type_attributes(None) == []
    one = pd.DataFrame({"customer_id": list("AB"), "region": ["E", "E"]})
    assert sg.type_attributes(one) == ["region"]  # one value only: still the only attribute


def test_types_from_the_customer_table_attributes(lines):
    cust = pd.DataFrame({"customer_id": list("ABCDE"),
                         "segment": ["Corporate", "Consumer", "Corporate", "", "Consumer"],
                         "region": ["East", "West", "East", "North", "West"]})
    t = sg.customer_types(lines, cust, as_of="2025-07-01")
    assert t.attrs["by"] == ["segment", "region"] and t.attrs["source"] == "customers"
    assert t.index.names == ["segment", "region"]
    assert t["customers"].sum() == 5                       # E has no order but is known
    assert t.loc[("Corporate", "East"), "revenue"] == pytest.approx(180.0)
    assert t.loc[("Corporate", "East"), "active customers"] == 2
    assert t.loc[("(not set)", "North"), "revenue"] == pytest.approx(20.0)  # blank segment
    assert t.loc[("(not set)", "North"), "previous revenue"] == pytest.approx(80.0)
    assert t.loc[("(not set)", "North"), "growth %"] == pytest.approx(-75.0)
    assert t["revenue"].sum() == pytest.approx(lines.loc[lines["order_date"] >= "2024-07-01",
                                                         "revenue"].sum())
    assert t["revenue %"].sum() == pytest.approx(100.0)
    # the region on the order lines (D bought in the South) does not override the customer's
    assert ("(not set)", "South") not in t.index


def test_types_from_the_order_lines_without_a_customer_table(lines):
    for customers in (None, pd.DataFrame({"customer_id": list("ABCD"), "name": list("wxyz")})):
        t = sg.customer_types(lines, customers, as_of="2025-07-01")
        assert t.attrs["by"] == ["region"] and t.attrs["source"] == "orders"
        # each customer's first line: A East, B West, C East, D North (2024)
        assert t["customers"].to_dict() == {"East": 2, "West": 1, "North": 1}
        assert t.loc["East", "revenue"] == pytest.approx(180.0)
        assert t.loc["North", "revenue"] == pytest.approx(20.0)
    note = sv.types_note(t).data
    assert "**region**" in note and "first order line" in note and "3 types" in note
    # the twelve months up to the as-of day, included, against the twelve before
    assert "from 2024-07-02 to 2025-07-01 is compared with 2023-07-02 to 2024-07-01;" in note
    # D's 2024 line is the first: the earlier period is only partly covered
    assert t.attrs["first_day"] == "2024-03-01" and "growth reads high" in note
    late = sg.customer_types(lines[lines["order_date"] >= "2025-01-01"], None,
                             as_of="2025-07-01")
    assert "after that period, so growth is not known" in sv.types_note(late).data
    assert late["growth %"].isna().all() and late["note"].str.startswith("new").all()
    explicit = sg.customer_types(lines, None, by="region", as_of="2025-07-01")
    pd.testing.assert_frame_equal(explicit, t)


def test_types_without_any_attribute_say_what_to_add(lines):
    with pytest.raises(sg.SegmentError, match="industry, size, segment, region, city"):
        sg.customer_types(lines.drop(columns="region"), None)
    with pytest.raises(ColumnError, match="size"):
        sg.customer_types(lines, pd.DataFrame({"customer_id": ["A"], "industry": ["x"]}),
                          by=("industry", "size"))


def test_type_needs_cover_every_attribute():
    for attr in sg.TYPE_ATTRIBUTES:
        assert f"customers.{attr}" in sg.TYPE_NEEDS.split("|")
        assert f"orders.{attr}" in sg.TYPE_NEEDS.split("|")


def test_customer_type_chart_by_one_attribute(lines):
    import matplotlib.pyplot as plt

    many = pd.concat([lines.assign(customer_id=lines["customer_id"] + str(i),
                                   region=lines["region"] + str(i)) for i in range(20)])
    t = sg.customer_types(many, None, as_of="2025-07-01")
    ax = sg.plot_customer_types(t, top=15)
    # 60 regions are customers' first: A, B, C, D of each copy (South is never a first line)
    # the 15 drawn have no growth (only the North types, D's, have an earlier period)
    assert len(ax.patches) == 15
    assert ax.get_title() == "Revenue share by region (15 of 60 with the most revenue)"
    plt.close("all")
    ax = sg.plot_customer_types(sg.customer_types(lines, None, as_of="2025-07-01"))
    assert len(ax.patches) == 3
    assert ax.get_title() == ("Revenue share by region (beside each bar: growth on the previous "
                              "period)")
    assert [t.get_text() for t in ax.texts] == [" -75 % growth"]  # North: 20 against 80


# --- no surveys ------------------------------------------------------------------------------


def test_follow_up_and_headline_without_surveys(free_and_returns):
    table = sg.rfm(free_and_returns, as_of="2025-04-01")
    assert sg.follow_up(table, None) is None
    mig = sg.migration(free_and_returns, as_of="2025-04-01", months=1)
    text = sv.headline(table, sg.follow_up(table, None), mig).data
    assert "Follow up" not in text and "satisfaction" not in text
    assert f"**{len(table):,} customers** as of 2025-04-01" in text
    with pytest.raises(sg.SegmentError, match="no survey table"):
        sg.satisfaction(None, table)


def test_rfm_cache_shares_one_entry_per_day(free_and_returns):
    table_of = sv.rfm_cache(free_and_returns)
    a = table_of(dt.date(2025, 4, 1), 5)
    b = table_of("2025-04-01", 5)
    assert table_of.cache_info().misses == 1 and table_of.cache_info().hits == 1
    pd.testing.assert_frame_equal(a, b)


def test_actions_by_owner_else_region(free_and_returns):
    table = sg.rfm(free_and_returns, as_of="2025-04-01")
    cust = pd.DataFrame({"customer_id": list("AZRCMB"), "region": list("EEWWEN")})
    by = sg.actions_by(sg.actions(table, cust))
    assert by.index.name == "region" and set(by.index) == {"E", "W", "N"}
    assert int(by.drop(columns=["priority 1", "win-back revenue"]).to_numpy().sum()) == 6
    with pytest.raises(ColumnError, match="owner_rep_id"):
        sg.actions_by(sg.actions(table))


# --- the orders-only export and the online-retail file -------------------------------------


def _load(folder, mapping, tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(mapping), encoding="utf-8")
    return sn.load(folder, path)


def _check_segmentation(orders: pd.DataFrame, customers: pd.DataFrame | None):
    """RFM, clusters, migration, types and actions on one export: sensible and consistent."""
    table = sg.rfm(orders)
    with_id = orders[orders["customer_id"].notna()]
    assert set(table.index) == set(with_id["customer_id"])
    assert table["monetary"].sum() == pytest.approx(with_id["revenue"].sum())
    assert table["segment"].isin([*sg.SEGMENTS, sg.NO_PURCHASE]).all()
    # a purchase: an order netting above 0, or a $0 order without a return line
    per = with_id.groupby(["customer_id", "order_id"])["revenue"].agg(["sum", "min"])
    bought = (per["sum"] > 0) | ((per["sum"] == 0) & (per["min"] >= 0))
    freq = bought.groupby(level="customer_id").sum()
    assert table["frequency"].to_dict() == freq.to_dict()
    scored = table["segment"] != sg.NO_PURCHASE
    assert scored.sum() == (freq > 0).sum() and scored.mean() > 0.9
    result = sg.cluster(table, k=3)
    assert sorted(result.labels.dropna().unique()) == [1, 2, 3]
    assert result.profile["customers"].sum() == scored.sum()
    mig = sg.migration(orders, months=3)
    assert int(mig.matrix.to_numpy().sum()) == len(table)
    acts = sg.actions(table, customers)
    assert len(acts) == len(table) and acts["customer_id"].is_unique
    assert acts["priority"].is_monotonic_increasing
    types = sg.customer_types(orders, customers)
    assert types.attrs["by"] and types["revenue %"].sum() == pytest.approx(100.0)
    start, end = types.attrs["period"]
    day = orders["order_date"].dt.normalize()
    inside = (day >= start) & (day <= end)
    assert end == table.attrs["as_of"]  # both up to the last order's day
    assert types["revenue"].sum() == pytest.approx(orders.loc[inside, "revenue"].sum())
    return table, types


def test_orders_only_export(orders_only, tmp_path):
    folder, mapping = orders_only
    d = _load(folder, mapping, tmp_path)
    assert "surveys" not in d and d.get("surveys") is None
    table, types = _check_segmentation(d.orders, d.get("customers"))
    assert sg.follow_up(table, d.get("surveys")) is None
    if d.get("customers") is not None:  # built from the order lines (the mapping's from:)
        assert types.attrs["source"] == "customers"
        assert types.attrs["by"] == ["segment", "region"]
    else:
        assert types.attrs["by"] == ["region"]


def test_online_retail_export(shared_retail_mapping, tmp_path):
    folder, mapping = shared_retail_mapping
    d = _load(folder, mapping, tmp_path)
    table, types = _check_segmentation(d.orders, d.get("customers"))
    assert types.attrs == {**types.attrs, "by": ["region"], "source": "orders"}
    assert types.index[0] == "United Kingdom"  # most of the revenue


# --- the notebook ----------------------------------------------------------------------------


def _sections(path) -> list[tuple[set[str], set[str], set[str]]]:
    """Per section of a report notebook: its needs, the names it assigns and those it reads."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    found: list[tuple[set[str], set[str], set[str]]] = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]))
        first = tree.body[0] if tree.body else None
        call = getattr(first, "value", None)
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "section":
            needs = next(k.value for k in call.keywords if k.arg == "needs")
            found.append((set(eval(compile(ast.Expression(needs), "needs", "eval"),
                                       {"segments": sg})), set(), set()))
            continue
        if not found:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                (found[-1][1] if isinstance(node.ctx, ast.Store) else found[-1][2]).add(node.id)
    return found


def test_notebook_sections_only_read_what_runs_with_them():
    """A name made in a section is read later only by sections that need at least as much."""
    found = _sections(ROOT / "notebooks" / "03_customer_segmentation.ipynb")
    assert len(found) >= 8 and all("orders" in n or "surveys.rep_id" in n for n, _, _ in found)
    for i, (needs, _, reads) in enumerate(found):
        for earlier_needs, made, _ in found[:i]:
            for name in reads & made:
                assert earlier_needs <= needs, (name, earlier_needs, needs)


def test_notebook_passes_the_settled_as_of_day():
    nb = json.loads((ROOT / "notebooks" / "03_customer_segmentation.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"
                     and "parameters" not in c["metadata"].get("tags", []))
    uses = [n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name) and n.id == "as_of"]
    assert len(uses) == 1  # only report_data(source, mapping, as_of, ...) reads the parameter
    assert "d.as_of" in code and ".head(" not in code
    assert np.sum([line.count("top=") for line in code.splitlines()]) >= 4
