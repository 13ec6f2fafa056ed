"""Product analysis: hand-computed expectations, both engines, foreign tables.

Mirrors ``salesnb.products``: engine (the group-by), growth, portfolio, pvm and pricing.
Regions, plots, findings, selection and views have their own ``test_products_*`` files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import AS_OF, ROOT
from products_tables import BASE, CURRENT, ENGINES, lines, perf_tables, pvm_orders

import salesnb as sn
from salesnb import products as pr
from salesnb.errors import ColumnError, PeriodError, SalesnbError
from salesnb.products import regions as rg


@pytest.fixture(scope="module")
def sample():
    return sn.load(ROOT / "data", as_of=AS_OF)


# --------------------------------------------------------------------------- price/volume/mix


@pytest.mark.parametrize("engine", ENGINES)
def test_price_volume_mix_hand_computed(engine):
    # Q0 = 20, Q1 = 25; base shares A .5, B .5; current A .6, B .2, C .2
    out = pr.price_volume_mix(pvm_orders(), base=BASE, current=CURRENT,
                              engine=engine).set_index("product_id")
    assert out.loc["A", ["volume_effect", "mix_effect", "price_effect"]].tolist() == \
        pytest.approx([5 * 0.5 * 10, 25 * 0.1 * 10, 15 * (11 - 10)])
    assert out.loc["B", ["volume_effect", "mix_effect", "price_effect"]].tolist() == \
        pytest.approx([5 * 0.5 * 20, 25 * -0.3 * 20, 0.0])
    # a new product: no base price, all its revenue is mix
    assert out.loc["C", ["volume_effect", "mix_effect", "price_effect"]].tolist() == \
        pytest.approx([0.0, 50.0, 0.0])
    assert out.loc["C", "note"].startswith("new")
    assert out["total"].to_dict() == pytest.approx({"A": 65.0, "B": -100.0, "C": 50.0})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_price_volume_mix_effects_add_up_to_the_change(seed):
    rng = np.random.default_rng(seed)
    n = 400
    df = pd.DataFrame({
        "order_date": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 730, n),
                                                                     "D"),
        "product_id": rng.choice([f"P{i}" for i in range(12)], n),
        "quantity": rng.integers(1, 20, n).astype(float),
    })
    df["revenue"] = df["quantity"] * rng.uniform(5, 50, n)
    out = pr.price_volume_mix(df, base=BASE, current=CURRENT)
    effects = out[["price_effect", "volume_effect", "mix_effect"]].sum(axis=1)
    np.testing.assert_allclose(effects, out["total"], rtol=1e-10, atol=1e-8)
    d = df["order_date"]
    change = (df.loc[d.dt.year == 2025, "revenue"].sum()
              - df.loc[d.dt.year == 2024, "revenue"].sum())
    assert out["total"].sum() == pytest.approx(change)
    assert effects.sum() == pytest.approx(change)

def test_price_volume_mix_period_without_data_is_explained():
    with pytest.raises(SalesnbError, match="no order lines in the base period.*2024-03-01"):
        pr.price_volume_mix(pvm_orders(), base=("2020-01-01", "2020-12-31"), current=CURRENT)
    with pytest.raises(PeriodError, match="last day is before the first"):
        pr.price_volume_mix(pvm_orders(), base=("2024-12-31", "2024-01-01"), current=CURRENT)


def test_price_volume_totals_add_up_to_the_change():
    pvm = pr.price_volume_mix(pvm_orders(), base=BASE, current=CURRENT)
    t = pr.price_volume_totals(pvm)
    assert t["base_revenue"] == 300 and t["current_revenue"] == 315 and t["total"] == 15
    assert t[["volume_effect", "mix_effect", "price_effect"]].sum() == pytest.approx(15)
    assert t["growth"] == pytest.approx(0.05)
    empty_base = pvm.assign(base_revenue=0.0)
    assert np.isnan(pr.price_volume_totals(empty_base)["growth"])


# --------------------------------------------------------------------------- portfolio


@pytest.mark.parametrize("engine", ENGINES)
def test_abc_classes_on_a_hand_made_table(engine):
    df = lines([("2025-01-01", p, 1, v) for p, v in
                [("P1", 50.0), ("P2", 30.0), ("P3", 10.0), ("P4", 6.0), ("P5", 4.0)]])
    products = pd.DataFrame({"product_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
                             "category": ["x"] * 6})
    out = pr.abc(df, products=products, engine=engine)
    assert out["product_id"].tolist() == ["P1", "P2", "P3", "P4", "P5", "P6"]
    # items above P3 hold 80 %: P3 starts class B; above P5 hold 96 %: class C
    assert out["class"].tolist() == ["A", "A", "B", "B", "C", "C"]
    assert out["cum_share"].tolist() == pytest.approx([0.5, 0.8, 0.9, 0.96, 1.0, 1.0])
    assert out["share"].sum() == pytest.approx(1.0)
    assert out.set_index("product_id").loc["P6", "note"] == "no sales"
    tight = pr.abc(df, cutoffs=(0.5, 0.9), engine=engine)
    assert tight["class"].tolist() == ["A", "B", "B", "C", "C"]
    by_qty = pr.abc(df, value="quantity", engine=engine)
    # five equal quantities: the items above the fifth hold exactly 80 %, so it is B
    assert by_qty["class"].tolist() == ["A", "A", "A", "A", "B"]
    assert by_qty["product_id"].tolist() == ["P1", "P2", "P3", "P4", "P5"]  # ties by id
    with pytest.raises(SalesnbError, match="cutoffs"):
        pr.abc(df, cutoffs=(0.9, 0.8))


@pytest.mark.parametrize("engine", ENGINES)
def test_structure_shares_sum_to_one(engine, sample):
    shares = pr.structure(sample.orders, sample.products, by="category", engine=engine)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    assert len(shares) == 12 and set(shares.columns) == set(sample.products["category"])
    gap = lines([("2024-01-10", "P1", 1, 10.0), ("2024-07-10", "P2", 1, 30.0)])
    s = pr.structure(gap, by="product_id", engine=engine)
    assert list(s.index) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-07-01")]
    assert "2024-04-01" in s.attrs["note"]


# --------------------------------------------------------------------------- growth


@pytest.mark.parametrize("engine", ENGINES)
def test_performance_growth_margin_and_said_so_notes(engine):
    orders, products = perf_tables()
    out = pr.performance(orders, products, current=CURRENT, base=BASE,
                         engine=engine).set_index("product_id")
    assert out.loc["P1", "growth_pct"] == pytest.approx(50.0)
    assert out.loc["P1", "gross_margin"] == pytest.approx(150 - 12 * 4)
    assert out.loc["P1", "margin_pct"] == pytest.approx(100 * (150 - 48) / 150)
    assert np.isnan(out.loc["P2", "growth_pct"])
    assert "new: no sales in the base period, growth undefined" in out.loc["P2", "note"]
    assert out.loc["P2", "margin_pct"] == pytest.approx(100 * (200 - 150) / 200)
    assert np.isnan(out.loc["P3", "margin_pct"]) and "margin unknown" in out.loc["P3", "note"]
    assert out.loc["P3", "growth_pct"] == pytest.approx(-25.0)
    assert out.loc["P4", "revenue"] == 0 and "no sales in the period" in out.loc["P4", "note"]
    assert out["revenue_share"].sum() == pytest.approx(1.0)
    cats = pr.performance(orders, products, by="category", current=CURRENT, base=BASE,
                          engine=engine).set_index("category")
    assert cats.loc["tools", "revenue"] == 350 and cats.loc["tools", "base_revenue"] == 100
    # the category's margin uses only lines with a known cost: P3 (cost 0) leaves soft unknown
    assert np.isnan(cats.loc["soft", "margin_pct"])


@pytest.mark.parametrize("engine", ENGINES)
def test_quarterly_growth_with_missing_prior_quarter(engine):
    orders = lines([("2024-01-15", "P1", 1, 100.0), ("2024-10-15", "P1", 1, 150.0),
                    ("2025-01-15", "P1", 1, 120.0), ("2025-03-31", "P2", 1, 80.0)])
    out = pr.quarterly_growth(orders, engine=engine).set_index("product_id")
    assert (out["quarter"] == pd.Timestamp("2025-01-01")).all()
    assert out.loc["P1", "qoq_pct"] == pytest.approx(-20.0)
    assert out.loc["P1", "yoy_pct"] == pytest.approx(20.0)
    assert np.isnan(out.loc["P2", "yoy_pct"]) and np.isnan(out.loc["P2", "qoq_pct"])
    assert out.loc["P2", "note"] == "new: no sales a year earlier, growth undefined"


def test_last_complete_quarter_is_the_default():
    orders = lines([("2024-12-15", "P1", 1, 10.0), ("2025-02-01", "P1", 1, 10.0)])
    out = pr.quarterly_growth(orders)
    assert out["quarter"].iloc[0] == pd.Timestamp("2024-10-01")


# --------------------------------------------------------------------------- engine


@pytest.mark.parametrize("kwargs", [
    dict(by="product_id"),
    dict(by=["region", "category"], freq="QS", customer="customer_id", rep="rep_id"),
    dict(by="category", freq="MS", period=("2024-02-10", "2024-11-20")),
    dict(by=(), bands={"discount": [0, 0.05, 0.1, 0.2]}),
])
def test_duckdb_and_pandas_aggregates_agree(sample, kwargs):
    a = pr.aggregate(sample.orders, products=sample.products, **kwargs)
    b = pr.aggregate(sample.orders, products=sample.products, engine="pandas", **kwargs)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)
    assert a["revenue"].sum() == pytest.approx(
        sample.orders["revenue"].sum() if "period" not in kwargs else a["revenue"].sum())


def test_aggregate_period_filter_matches_a_plain_sum(sample):
    o = sample.orders
    got = pr.aggregate(o, "region", period=("2024-02-10", "2024-11-20"))
    mask = (o["order_date"] >= "2024-02-10") & (o["order_date"] <= "2024-11-20")
    want = o[mask].groupby("region")["revenue"].sum()
    assert got.set_index("region")["revenue"].to_dict() == pytest.approx(want.to_dict())

def test_missing_column_is_named():
    with pytest.raises(ColumnError, match="orders has no column value='Sales'"):
        pr.abc(pvm_orders(), value="Sales")
    with pytest.raises(ColumnError, match=r"orders has no column 'Sales'.*Fix: pass the names"):
        pr.aggregate(pvm_orders(), "product_id", revenue="Sales")
    with pytest.raises(SalesnbError, match="pass products="):
        pr.aggregate(pvm_orders(), "category")


@pytest.mark.parametrize("engine", ENGINES)
def test_aggregate_quotes_names_and_values(engine):
    odd = pvm_orders().rename(columns={"revenue": 'net "€"', "product_id": "it's"})
    odd["it's"] = odd["it's"].replace({"A": "O'Brien"})
    got = pr.aggregate(odd, "it's", revenue='net "€"', product="it's", period=CURRENT,
                       engine=engine)
    assert got.set_index("it's")["revenue"].to_dict() == {"B": 100.0, "C": 50.0,
                                                          "O'Brien": 165.0}


def test_a_period_text_is_a_window():
    o = pvm_orders()
    pd.testing.assert_frame_equal(pr.aggregate(o, "product_id", period="2025"),
                                  pr.aggregate(o, "product_id", period=CURRENT))
    assert pr.aggregate(o, "product_id", period="2025Q2")["product_id"].tolist() == ["B", "C"]
    with pytest.raises(PeriodError, match="not a .start, end. pair"):
        pr.aggregate(o, period=("2025-01-01",))


@pytest.mark.parametrize(("last", "want"), [
    ("2025-12-31", [("2024-01-01", "2024-12-31"), ("2025-01-01", "2025-12-31")]),
    ("2025-12-15", [("2023-12-01", "2024-11-30"), ("2024-12-01", "2025-11-30")]),
])
def test_default_periods_are_the_last_complete_months(last, want):
    o = lines([("2023-01-05", "P1", 1, 1.0), (last, "P1", 1, 1.0)])
    base, current = pr.default_periods(o)
    assert [(str(a), str(b)) for a, b in (base, current)] == want
    with pytest.raises(SalesnbError, match="no dates"):
        pr.default_periods(o.assign(order_date=pd.NaT))
    with pytest.raises(ColumnError, match="date='day'"):
        pr.default_periods(o, date="day")


# --------------------------------------------------------------------------- discounts, elasticity


def test_discount_bands_hand_computed():
    df = lines([("2025-01-01", "P1", 2, 20.0), ("2025-01-02", "P1", 4, 36.0),
                ("2025-01-03", "P1", 6, 48.0)])
    df["unit_price"] = 10.0
    df["discount"] = [0.0, 0.1, 0.2]
    products = pd.DataFrame({"product_id": ["P1"], "unit_cost": [5.0]})
    out = pr.discount_bands(df, products, edges=(0, 0.1, 0.2, 0.3))
    assert out["band"].tolist() == ["0–10 %", "10–20 %", "20–30 %", "30 % +"]
    assert out["lines"].tolist() == [1, 1, 1, 0]
    assert out["units_per_line"].iloc[:3].tolist() == [2, 4, 6]
    assert out["margin_pct"].iloc[:3].tolist() == pytest.approx(
        [100 * (20 - 10) / 20, 100 * (36 - 20) / 36, 100 * (48 - 30) / 48])


def test_elasticity_recovers_a_known_slope_despite_customer_size():
    rng = np.random.default_rng(7)
    n = 6000
    size = rng.integers(0, 4, n)  # big customers: deeper discounts AND more units
    cust = np.array([f"C{i}" for i in range(200)])[rng.integers(0, 50, n) + 50 * size]
    prod = rng.choice(["P1", "P2", "P3"], n)
    disc = np.clip(0.03 * size + rng.uniform(0, 0.15, n), 0, 0.5)
    price = pd.Series(prod).map({"P1": 10.0, "P2": 50.0, "P3": 120.0}).to_numpy()
    net = price * (1 - disc)
    qty = np.exp(1 + 0.8 * size - 1.5 * np.log(net / price) + rng.normal(0, 0.3, n))
    qty = np.maximum(1, np.round(qty * 5))
    df = pd.DataFrame({"order_date": pd.to_datetime("2024-01-01")
                       + pd.to_timedelta(rng.integers(0, 365, n), "D"),
                       "product_id": prod, "customer_id": cust, "quantity": qty,
                       "revenue": qty * net, "grp": "g"})
    # a second group with one fixed price per product: no variation to learn from
    flat = df.head(500).assign(grp="flat")
    flat["revenue"] = flat["quantity"] * pd.Series(flat["product_id"]).map(
        {"P1": 10.0, "P2": 50.0, "P3": 120.0}).to_numpy()
    out = pr.elasticity(pd.concat([df, flat]), by="grp").set_index("grp")
    g = out.loc["g"]
    assert g["ci_low"] < -1.5 < g["ci_high"] and abs(g["elasticity"] + 1.5) < 0.2
    assert "elastic" in g["note"]
    assert np.isnan(out.loc["flat", "elasticity"])
    assert out.loc["flat", "note"].startswith("too few price variations")
    naive = pr.elasticity(df, by="grp", customer=None, min_prices=2).set_index("grp").loc["g"]
    assert naive["elasticity"] < g["ci_low"]  # without customer effects: biased


# --------------------------------------------------------------------------- foreign table


def test_runs_on_the_online_retail_export(shared_retail_mapping):
    src, mapping = shared_retail_mapping
    d = sn.load(src, mapping, as_of=AS_OF)
    o = d.orders.rename(columns={"region": "Country", "order_date": "InvoiceDate",
                                 "product_id": "StockCode", "customer_id": "CustomerID"})
    kw = dict(date="InvoiceDate", product="StockCode")
    classes = pr.abc(o, by="StockCode", **kw)
    assert classes["share"].sum() == pytest.approx(1.0)
    assert classes.iloc[0]["class"] == "A" and set(classes["class"]) <= {"A", "B", "C"}
    base, current = (("2010-12-01", "2010-12-31"), ("2011-01-01", "2011-01-31"))
    pvm = pr.price_volume_mix(o, base=base, current=current, by="StockCode", date="InvoiceDate")
    d0 = o["InvoiceDate"]
    change = (o.loc[d0.dt.month == 1, "revenue"].sum()
              - o.loc[(d0.dt.month == 12) & (d0.dt.year == 2010), "revenue"].sum())
    assert pvm[["price_effect", "volume_effect", "mix_effect"]].to_numpy().sum() == \
        pytest.approx(change)
    by_country = pr.performance(o, by="Country", current=current, base=base, **kw)
    assert by_country["revenue"].sum() == pytest.approx(o.loc[d0.dt.month == 1, "revenue"].sum())
    sold = by_country["revenue"] > 0
    assert by_country.loc[sold, "note"].str.contains("margin unknown").all()  # no costs
    base_only = by_country.loc[~sold]  # countries that bought in December only are listed
    assert (base_only["base_revenue"] > 0).all() and by_country["base_revenue"].sum() == \
        pytest.approx(o.loc[(d0.dt.month == 12) & (d0.dt.year == 2010), "revenue"].sum())
    regions = rg.performance(o, current=current, base=base, region="Country",
                             customer="CustomerID", rep=None, date="InvoiceDate")
    assert regions["coverage_pct"].between(0, 100).all()
    assert regions["note"].str.contains("no rep column").all()
    shares = pr.structure(o, by="Country", freq="MS", **kw)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
