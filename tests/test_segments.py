"""Customer segmentation: RFM by hand, scores, the segment map, clusters, migration, actions.

Sections follow the modules of ``salesnb.segments``: scoring, clusters, customers, movement,
playbook, plots.
"""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED
from hypothesis import given, settings
from hypothesis import strategies as st

import salesnb as sn
from salesnb import segments as sg
from salesnb.data.schema import PII_COLUMNS
from salesnb.errors import ColumnError, PeriodError


def _orders(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "revenue"])
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    return frame


@pytest.fixture
def small() -> pd.DataFrame:
    return _orders([
        # A: three orders, two of them on the same day, one order with two lines
        ("O1", "A", "2025-01-10", 100.0), ("O1", "A", "2025-01-10", 50.0),
        ("O2", "A", "2025-03-01", 30.0), ("O3", "A", "2025-03-01", 20.0),
        # B: one order, then a return that nets part of it out
        ("O4", "B", "2025-02-01", 400.0), ("R1", "B", "2025-02-20", -100.0),
        # C: one small order long ago
        ("O5", "C", "2024-06-30", 10.0),
        # D: only a return on record
        ("R2", "D", "2025-01-05", -25.0),
        # lines without a customer id: counted apart, never one customer
        ("O6", None, "2025-03-02", 999.0), ("O7", None, "2025-03-03", 1.0),
        # after as_of: left out
        ("O8", "C", "2025-04-01", 500.0),
    ])


def test_rfm_by_hand(small):
    t = sg.rfm(small, as_of="2025-03-31")
    assert list(t.index) == ["A", "B", "C", "D"]
    assert t.loc["A", "recency"] == 30          # 2025-03-01 -> 2025-03-31
    assert t.loc["A", "frequency"] == 3          # O1, O2, O3 (two on one day count twice)
    assert t.loc["A", "monetary"] == pytest.approx(200.0)
    assert t.loc["B", "frequency"] == 1          # the return is not a purchase ...
    assert t.loc["B", "monetary"] == pytest.approx(300.0)  # ... but nets out
    assert t.loc["B", "recency"] == (dt.date(2025, 3, 31) - dt.date(2025, 2, 1)).days
    assert t.loc["C", "monetary"] == pytest.approx(10.0)  # the April order is after as_of
    assert t.loc["C", "recency"] == 274
    assert t.loc["D", "segment"] == sg.NO_PURCHASE and pd.isna(t.loc["D", "r"])
    # scores among the three buyers: recency A best, C worst; frequency A; monetary B
    assert t.loc[["A", "B", "C"], "r"].tolist() == [4, 2, 1]
    assert t.loc[["A", "B", "C"], "f"].tolist() == [4, 1, 1]
    assert t.loc[["A", "B", "C"], "m"].tolist() == [2, 4, 1]
    assert t.loc["A", "rfm"] == "442" and t.loc["A", "fm"] == 3
    ex = t.attrs["excluded"]
    assert ex == {"no customer id": 2, "no date or amount": 0, "after as_of": 1,
                  "lines read": 11}
    assert "2 no customer id" in sg.rfm_note(t)
    # the as-of day itself counts (every report is as of the end of its day): C's April order
    on_the_day = sg.rfm(small, as_of="2025-04-01")
    assert on_the_day.loc["C", "recency"] == 0 and on_the_day.attrs["excluded"]["after as_of"] == 0


def test_rfm_defaults_and_foreign_column_names(small):
    renamed = small.rename(columns={"order_id": "InvoiceNo", "customer_id": "Cust",
                                    "order_date": "When", "revenue": "Net"})
    t = sg.rfm(renamed, customer="Cust", date="When", amount="Net", order="InvoiceNo")
    assert t.attrs["as_of"] == "2025-04-01"  # the day of the last order
    assert t.index.name == "Cust"
    assert t.loc["C", "monetary"] == pytest.approx(510.0) and t.loc["C", "recency"] == 0
    by_day = sg.rfm(renamed, customer="Cust", date="When", amount="Net", order=None)
    assert by_day.loc["A", "frequency"] == 2  # two purchase days
    with pytest.raises(ColumnError, match="amount='revenue'") as err:
        sg.rfm(renamed)
    assert "customer='customer_id'" in str(err.value) and "Cust" in str(err.value)


def test_rfm_bad_input_is_handled():
    one_day = _orders([(f"O{i}", c, "2025-01-01", 10.0 * (i + 1))
                       for i, c in enumerate("ABCD")])
    t = sg.rfm(one_day)
    assert (t["recency"] == 0).all() and (t["r"] == 3).all()  # no spread: the middle score
    single = sg.rfm(one_day.head(1))
    assert single[["r", "f", "m"]].iloc[0].tolist() == [3, 3, 3]
    assert single["segment"].iloc[0] == "Need attention"
    nobody = _orders([("O1", None, "2025-01-01", 5.0)])
    with pytest.raises(sg.SegmentError, match="no customer id: 1"):
        sg.rfm(nobody)
    with pytest.raises(sg.SegmentError, match="bins"):
        sg.rfm(one_day, bins=2)
    with pytest.raises(PeriodError, match="as_of='soon'"):
        sg.rfm(one_day, as_of="soon")


# --- scores and the segment map ----------------------------------------------------------


def test_score_quintile_edge_cases():
    assert sg.score([10, 20, 20, 30, 40]).tolist() == [1, 2, 2, 4, 5]
    assert sg.score([5, 5, 5]).tolist() == [3, 3, 3]
    assert sg.score([7]).tolist() == [3]
    assert sg.score([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # 60 % of customers ordered once: they all share F=1, never split at random
    f = sg.score([1] * 6 + [2, 3, 4, 5])
    assert set(f[:6]) == {1} and f[6:].tolist() == [4, 4, 5, 5]
    assert sg.score([1, 2, 3], higher_is_better=False).tolist() == [4, 2, 1]
    assert sg.score([], 5).size == 0
    with pytest.raises(sg.SegmentError):
        sg.score([1.0, np.nan])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=1, max_size=60), st.integers(3, 10))
def test_score_properties(values, bins):
    s = sg.score(values, bins)
    assert s.min() >= 1 and s.max() <= bins
    order = np.argsort(values, kind="stable")
    assert (np.diff(s[order]) >= 0).all()  # monotone in the value
    for v in set(values):  # ties share a score
        assert len(set(s[np.asarray(values) == v])) == 1
    if len(set(values)) > 1:
        assert s[np.argmin(values)] == 1


def test_segment_map_covers_every_score_combination():
    assert set(sg.SEGMENT_GRID) == set(itertools.product(range(1, 6), repeat=2))
    assert set(sg.SEGMENT_GRID.values()) == set(sg.SEGMENTS)
    assert set(sg.SEGMENT_ACTIONS) == {*sg.SEGMENTS, sg.NO_PURCHASE}
    for bins in range(3, 11):
        levels = np.arange(1, bins + 1)
        q = sg.quintile_equivalent(levels, bins)
        assert q[0] == 1 and q[-1] == 5 and (np.diff(q) >= 0).all()
        r, fm = np.meshgrid(levels, levels)
        names = sg.segment_of(r.ravel(), fm.ravel(), bins)
        assert all(n in sg.SEGMENTS for n in names)
    assert sg.quintile_equivalent([1, 2, 3, 4, 5], 5).tolist() == [1, 2, 3, 4, 5]
    assert sg.segment_of([5, 1, 1, 5], [5, 1, 5, 1]).tolist() == [
        "Champions", "Lost", "Can't lose", "New"]


# --- summaries ---------------------------------------------------------------------------


def test_segment_share_by_hand(small):
    t = sg.rfm(small, as_of="2025-03-31")
    seg = t["segment"].astype(str)
    names = tuple(seg[["A", "B"]].unique())
    share = sg.segment_share(t, names)
    inside = seg.isin(names)
    assert share.customers == int(inside.sum())
    assert share.customers_share == pytest.approx(inside.sum() / 4)
    assert share.revenue_share == pytest.approx(t.loc[inside, "monetary"].sum()
                                                / t["monetary"].sum())
    none = sg.segment_share(t, [s for s in sg.SEGMENTS if s not in set(seg)])
    assert none.customers == 0 and none.customers_share == 0 and none.revenue_share == 0
    assert sg.segment_share(t, [*sg.SEGMENTS, sg.NO_PURCHASE]).revenue_share == pytest.approx(1)
    assert sg.segment_share(t.iloc[:0], sg.CORE).customers == 0
    assert set(sg.CORE) | set(sg.AT_RISK) <= set(sg.SEGMENTS)
    with pytest.raises(sg.SegmentError, match="Chamions"):
        sg.segment_share(t, ["Chamions"])


# --- clusters ----------------------------------------------------------------------------


def _blobs(n: int = 300, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    centers = [(10, 40, 50_000), (200, 5, 3_000), (700, 1, 200)]
    parts = [pd.DataFrame({"recency": rng.normal(r, r * 0.1, n).clip(1),
                           "frequency": rng.normal(f, f * 0.1 + 0.1, n).clip(1),
                           "monetary": rng.lognormal(np.log(m), 0.15, n)})
             for r, f, m in centers]
    frame = pd.concat(parts, ignore_index=True)
    frame.index = [f"C{i:04d}" for i in range(len(frame))]
    return frame


def test_cluster_finds_separated_groups_and_orders_by_value():
    frame = _blobs()
    res = sg.cluster(frame)
    assert res.k == 3
    assert res.silhouette.idxmax() == 3
    means = frame.groupby(res.labels)["monetary"].mean()
    assert means.is_monotonic_decreasing  # cluster 1 is the most valuable
    assert res.profile["customers"].sum() == len(frame)
    assert res.profile["customers"].tolist() == [300, 300, 300]


def test_cluster_logs_skewed_features_only():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"monetary": rng.lognormal(8, 1.2, 400),
                          "tenure": rng.normal(50, 5, 400)},
                         index=[f"C{i}" for i in range(400)])
    res = sg.cluster(frame, k=2, features=["monetary", "tenure"])
    assert res.transforms == {"monetary": "log1p", "tenure": "none"}
    frame.iloc[:5, 0] = -frame.iloc[:5, 0]  # net returns: still on a (signed) log scale
    res = sg.cluster(frame, k=2, features=["monetary", "tenure"])
    assert res.transforms["monetary"] == "signed log1p" and res.labels.notna().all()


def test_cluster_is_stable_under_row_order():
    frame = _blobs(120)
    first = sg.cluster(frame, k=4).labels
    shuffled = frame.sample(frac=1.0, random_state=7)
    second = sg.cluster(shuffled, k=4).labels
    pd.testing.assert_series_equal(first.sort_index(), second.sort_index())


def test_cluster_small_inputs():
    frame = _blobs(2)
    with pytest.raises(sg.SegmentError, match="choose k <= 6"):
        sg.cluster(frame, k=7)
    one = sg.cluster(frame.head(1))
    assert one.k == 1 and one.labels.tolist() == [1]
    two = sg.cluster(frame.head(2))
    assert two.k == 1 and "too few" in two.note
    pair = pd.DataFrame({"recency": [5, 50], "frequency": [1, 3], "monetary": [10.0, 100.0]},
                        index=["A", "B"])
    assert sg.cluster(pair, k=2).labels.tolist() == [2, 1]  # B is worth more: cluster 1
    dup = pd.DataFrame({"recency": [1, 2], "frequency": [1, 1], "monetary": [1.0, 1.0]},
                       index=["A", "A"])
    with pytest.raises(sg.SegmentError, match="unique"):
        sg.cluster(dup)
    with pytest.raises(ColumnError, match="'tenure'"):
        sg.cluster(pair, features=["recency", "tenure"])


# --- customer types, satisfaction, follow-up ---------------------------------------------


def test_customer_types_growth_and_shares():
    orders = _orders([("O1", "A", "2024-02-01", 100.0), ("O2", "A", "2025-02-01", 150.0),
                      ("O3", "B", "2025-03-01", 50.0), ("O4", "B", "2025-03-01", 50.0),
                      ("O5", "Z", "2025-01-15", 20.0)])
    customers = pd.DataFrame({"customer_id": ["A", "B", "C"],
                              "industry": ["Retail", "Finance", "Retail"],
                              "size": ["small", "large", None]})
    t = sg.customer_types(orders, customers, by="industry", as_of="2025-04-01")
    assert t.loc["Retail", "customers"] == 2 and t.loc["Retail", "active customers"] == 1
    assert t.loc["Retail", "growth %"] == pytest.approx(50.0)
    assert t.loc["Finance", "orders per customer"] == 2
    assert t.loc["Finance", "avg order value"] == pytest.approx(50.0)
    assert pd.isna(t.loc["Finance", "growth %"]) and t.loc["Finance", "note"].startswith("new")
    assert t.loc["(unknown)", "revenue"] == pytest.approx(20.0)  # Z is not in the table
    assert t["revenue %"].sum() == pytest.approx(100.0)
    two = sg.customer_types(orders, customers, as_of="2025-04-01")
    assert ("Retail", "(not set)") in two.index
    with pytest.raises(ColumnError, match="by='segment'"):
        sg.customer_types(orders, customers, by="segment")
    with pytest.raises(ColumnError, match=r"by\[1\]='tier'"):
        sg.customer_types(orders, customers, by=("industry", "tier"))


def test_satisfaction_and_follow_up():
    orders = _orders([(f"O{i}", c, "2025-06-01", v) for i, (c, v) in
                      enumerate([("A", 9000), ("B", 8000), ("C", 10), ("D", 5)])])
    table = sg.rfm(orders, as_of="2026-01-01")
    surveys = pd.DataFrame({
        "customer_id": ["A", "A", "B", "B", "C", "D"],
        "rep_id": ["R1", "R2", "R1", "R1", "R2", "R2"],
        "survey_date": pd.to_datetime(["2024-06-01", "2025-09-01", "2024-01-01",
                                       "2025-10-01", "2025-10-01", "2025-10-01"]),
        "score": [5, 4, 4, 4, 1, 2],
    })
    by_rep = sg.satisfaction(surveys, by="rep_id")
    assert by_rep.loc["R1", "answers"] == 3 and by_rep.loc["R1", "mean score"] == pytest.approx(
        13 / 3)
    assert by_rep.loc["R2", "low scores %"] == pytest.approx(200 / 3)
    by_seg = sg.satisfaction(surveys, table)
    assert by_seg["answers"].sum() == len(surveys)
    flagged = sg.follow_up(table, surveys, top=0.5, low=3.0, drop=0.5)
    # A fell from 5 to 4 (falling), B is steady at 4; C and D score low but are not valuable
    assert flagged["customer_id"].tolist() == ["A"]
    assert flagged["reason"].tolist() == ["falling satisfaction"]
    assert flagged["last rep"].tolist() == ["R2"]
    assert sg.follow_up(table, surveys, top=1.0, low=2.0)["customer_id"].tolist() == [
        "A", "C", "D"]
    with pytest.raises(sg.SegmentError):
        sg.satisfaction(surveys, by="nothing")
    with pytest.raises(ColumnError, match="date='answered'"):
        sg.follow_up(table, surveys, date="answered")


# --- movement ----------------------------------------------------------------------------


def test_migration_conserves_customers(small):
    mig = sg.migration(small, as_of="2025-03-31", months=2)
    assert mig.previous == dt.date(2025, 1, 31)
    assert int(mig.matrix.to_numpy().sum()) == len(mig.moves) == 4
    before = sg.rfm(small, as_of="2025-01-31")["segment"].astype(str).value_counts()
    rows = mig.matrix.sum(axis=1)
    for seg, n in before.items():
        assert rows[seg] == n
    assert rows["(new customer)"] == 4 - before.sum()
    assert "new" in mig.summary()


def test_migration_on_the_sample_conserves(sample_orders):
    mig = sg.migration(sample_orders, as_of="2025-07-01", months=6)
    now = sg.rfm(sample_orders, as_of="2025-07-01")
    assert int(mig.matrix.to_numpy().sum()) == len(now)
    cols = mig.matrix.sum(axis=0)
    counts = now["segment"].astype(str).value_counts()
    assert (cols == counts.reindex(cols.index)).all()


@pytest.fixture(scope="module")
def sample_orders():
    return sn.load("data", tables=["orders"]).orders


# --- playbook ----------------------------------------------------------------------------


def test_actions_and_their_sheets(small):
    table = sg.rfm(small, as_of="2025-03-31")
    customers = pd.DataFrame({"customer_id": list("ABCD"), "owner_rep_id": ["R1"] * 4,
                              "region": ["North"] * 4, "email": ["x@y.z"] * 4})
    acts = sg.actions(table, customers)
    assert len(acts) == len(table)
    assert acts["priority"].is_monotonic_increasing
    pii = {c for cols in PII_COLUMNS.values() for c in cols}
    assert not pii & set(acts.columns) and "owner_rep_id" in acts.columns
    per_rep = sg.actions_by(acts)
    assert per_rep.loc["R1", sorted(set(acts["action"]))].sum() == len(acts)
    with pytest.raises(ColumnError, match="by='rep'"):
        sg.actions_by(acts, by="rep")
    sheets = sg.action_sheets(acts)
    assert list(sheets) == ["all", *sorted(set(acts["action"]))]
    pd.testing.assert_frame_equal(sheets["all"], acts)
    for act, part in list(sheets.items())[1:]:
        assert (part["action"] == act).all() and list(part.index) == list(range(len(part)))
        assert part["customer_id"].tolist() == acts.loc[acts["action"] == act,
                                                        "customer_id"].tolist()
    assert sum(len(v) for k, v in sheets.items() if k != "all") == len(acts)
    sheets["all"].loc[0, "priority"] = 99  # the sheets are not views of the list
    assert acts.loc[0, "priority"] != 99
    with pytest.raises(ColumnError, match="'action'"):
        sg.action_sheets(acts.drop(columns="action"))


def test_rfm_on_the_sample_is_consistent(sample_orders):
    t = sn.segments.rfm(sample_orders)
    assert t["frequency"].sum() == sample_orders["order_id"].nunique()
    assert t["monetary"].sum() == pytest.approx(sample_orders["revenue"].sum())
    assert t["segment"].notna().all()
    codes = t["r"].astype(str) + t["f"].astype(str) + t["m"].astype(str)
    assert (t["rfm"].astype(str) == codes).all() and "555" in set(t["rfm"].astype(str))
    ten = sn.segments.rfm(sample_orders, bins=10)
    top = ten[ten["r"] == 10].iloc[0]
    assert ten.loc[top.name, "rfm"] == f"10-{top['f']}-{top['m']}"
    grid = sg.rfm_grid(t)
    assert grid.to_numpy().sum() == len(t) and grid.shape == (5, 5)


# --- the shared online-retail export -----------------------------------------------------


def test_rfm_on_online_retail_matches_pandas(shared_retail_mapping):
    src, mapping = shared_retail_mapping
    d = sn.load(src, mapping)
    t = sg.rfm(d.orders)
    raw = pd.read_csv(SHARED / "online_retail_sample" / "online_retail.csv", sep=";",
                      na_values=["NA"])
    kept = raw[raw["CustomerID"].notna()]
    assert len(kept) == len(d.orders)  # rows without a customer are quarantined, not merged
    assert len(t) == kept["CustomerID"].nunique()
    per_order = (kept.assign(a=kept["Quantity"] * kept["UnitPrice"])
                 .groupby(["CustomerID", "InvoiceNo"])["a"].sum())
    assert t["frequency"].sum() == int((per_order > 0).sum())
    assert t["monetary"].sum() == pytest.approx(per_order.sum(), rel=1e-9)
    top = per_order.groupby(level=0).sum().sort_values().index[-1]
    assert t["monetary"].idxmax() == str(int(top))


def test_rfm_on_the_raw_foreign_table(shared_retail_mapping):
    raw = pd.read_csv(SHARED / "online_retail_sample" / "online_retail.csv", sep=";",
                      na_values=["NA"], dtype={"CustomerID": "str"})
    raw["InvoiceDate"] = pd.to_datetime(raw["InvoiceDate"], format="mixed")
    raw["amount"] = raw["Quantity"] * raw["UnitPrice"]
    t = sg.rfm(raw, customer="CustomerID", date="InvoiceDate", amount="amount",
               order="InvoiceNo")
    assert t.attrs["excluded"]["no customer id"] == int(raw["CustomerID"].isna().sum())
    kept = raw[raw["CustomerID"].notna()]
    assert t["monetary"].sum() == pytest.approx(kept["amount"].sum())
    assert t["frequency"].sum() == kept["InvoiceNo"].nunique()
    assert sg.segment_summary(t)["customers"].sum() == len(t)


def test_rfm_table_saves_to_parquet(small, tmp_path):
    t = sg.rfm(small, as_of="2025-03-31")
    t.to_parquet(tmp_path / "rfm.parquet")
    back = pd.read_parquet(tmp_path / "rfm.parquet")
    assert back.attrs["as_of"] == "2025-03-31" and back["monetary"].equals(t["monetary"])


def test_analysis_modules_are_attributes_of_the_package():
    assert sn.segments is sg
    with pytest.raises(AttributeError, match="nothing"):
        sn.nothing  # noqa: B018


def test_every_public_name_comes_from_its_module():
    import salesnb.segments as package

    for module, names in package._EXPORTS.items():
        assert module not in names and not callable(getattr(package, module))
        for name in names:
            assert getattr(package, name) is getattr(getattr(package, module), name)
    assert not hasattr(sg.playbook, "export_actions") and "export_actions" not in sg.__all__


# --- plots -------------------------------------------------------------------------------


def test_plots_draw_on_the_axes_given_or_the_current_ones(small):
    import inspect

    import matplotlib.pyplot as plt

    table = sg.rfm(small, as_of="2025-03-31")
    two = sg.customer_types(small, pd.DataFrame({"customer_id": list("ABCD"),
                                                 "industry": ["x", "y", "x", "y"],
                                                 "size": ["small", "large"] * 2}),
                            as_of="2025-03-31")
    surveys = pd.DataFrame({"customer_id": list("ABC"), "score": [4, 2, 5]})
    calls = {
        "plot_segments": (sg.segment_summary(table),),
        "plot_rfm_grid": (table,),
        "plot_migration": (sg.migration(small, as_of="2025-03-31", months=2),),
        "plot_satisfaction": (sg.satisfaction(surveys, table),),
        "plot_clusters": (table.dropna(subset=["r"]),
                          sg.cluster(table.dropna(subset=["r"]), k=2)),
        "plot_customer_types": (two,),
    }
    assert set(calls) == set(sg.plots.__all__)
    for name, args in calls.items():
        fn = getattr(sg, name)
        assert inspect.signature(fn).parameters["ax"].kind is inspect.Parameter.KEYWORD_ONLY
        fig, ax = plt.subplots()
        assert fn(*args, ax=ax) is ax and ax.has_data(), name
        plt.close("all")
        current = plt.figure().gca()
        assert fn(*args) is current and len(plt.get_fignums()) == 1, name
        plt.close("all")
    ax = sg.plot_rfm_grid(table, cmap="Reds")  # extra keywords reach the drawing call
    assert ax.collections[0].get_cmap().name == "Reds"
    one = sg.plot_customer_types(two.droplevel(1))  # one attribute: bars
    assert len(one.patches) == len(two) and one.get_title().startswith("Revenue share by")
    with pytest.raises(sg.SegmentError, match="at most two"):
        sg.plot_customer_types(two.set_index(two.index.get_level_values(0), append=True))
