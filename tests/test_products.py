"""Product and region analysis: hand-computed expectations, both engines, foreign tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import AS_OF, ROOT

import salesnb as sn
from salesnb import products as pr
from salesnb.errors import SalesnbError
from salesnb.products import regions as rg
from salesnb.products import views as pv

ENGINES = ["duckdb", "pandas"]
BASE = ("2024-01-01", "2024-12-31")
CURRENT = ("2025-01-01", "2025-12-31")


def lines(rows: list[tuple]) -> pd.DataFrame:
    """Order lines from (date, product, quantity, revenue[, region, customer, rep])."""
    cols = ["order_date", "product_id", "quantity", "revenue", "region", "customer_id",
            "rep_id"]
    full = [r + ("North", "C1", "R1")[len(r) - 4:] for r in rows]
    df = pd.DataFrame(full, columns=cols)
    df["order_date"] = pd.to_datetime(df["order_date"])
    df["unit_price"] = df["revenue"] / df["quantity"]
    return df


@pytest.fixture(scope="module")
def sample():
    return sn.load(ROOT / "data", as_of=AS_OF)


# --------------------------------------------------------------------------- price/volume/mix


def pvm_orders() -> pd.DataFrame:
    return lines([
        ("2024-03-01", "A", 10, 100.0), ("2024-05-01", "B", 10, 200.0),
        ("2025-03-01", "A", 15, 165.0), ("2025-05-01", "B", 5, 100.0),
        ("2025-06-01", "C", 5, 50.0),
    ])


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
    with pytest.raises(SalesnbError, match="end date is before the start"):
        pr.price_volume_mix(pvm_orders(), base=("2024-12-31", "2024-01-01"), current=CURRENT)


# --------------------------------------------------------------------------- ABC


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


# --------------------------------------------------------------------------- performance


def perf_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    orders = lines([
        ("2024-02-01", "P1", 10, 100.0), ("2025-02-01", "P1", 12, 150.0),
        ("2025-03-01", "P2", 5, 200.0),                       # new: nothing in 2024
        ("2024-04-01", "P3", 2, 40.0), ("2025-04-01", "P3", 1, 30.0),   # cost 0: unknown
    ])
    products = pd.DataFrame({"product_id": ["P1", "P2", "P3", "P4"],
                             "category": ["tools", "tools", "soft", "soft"],
                             "unit_cost": [4.0, 30.0, 0.0, np.nan]})
    return orders, products


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


@pytest.mark.parametrize("engine", ENGINES)
def test_structure_shares_sum_to_one(engine, sample):
    shares = pr.structure(sample.orders, sample.products, by="category", engine=engine)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    assert len(shares) == 12 and set(shares.columns) == set(sample.products["category"])
    gap = lines([("2024-01-10", "P1", 1, 10.0), ("2024-07-10", "P2", 1, 30.0)])
    s = pr.structure(gap, by="product_id", engine=engine)
    assert list(s.index) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-07-01")]
    assert "2024-04-01" in s.attrs["note"]


# --------------------------------------------------------------------------- engines agree


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
    with pytest.raises(SalesnbError, match=r"no column\(s\) \['Sales'\]"):
        pr.abc(pvm_orders(), value="Sales")
    with pytest.raises(SalesnbError, match="pass products="):
        pr.aggregate(pvm_orders(), "category")


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


# --------------------------------------------------------------------------- regions


def region_tables():
    orders = lines([
        ("2024-03-01", "P1", 1, 100.0, "North", "C1", "R1"),
        ("2025-03-01", "P1", 1, 150.0, "North", "C1", "R1"),
        ("2025-04-01", "P1", 1, 50.0, "North", "C2", "R2"),
        ("2025-05-01", "P2", 1, 80.0, "South", "C3", "R3"),
    ])
    products = pd.DataFrame({"product_id": ["P1", "P2"], "category": ["tools", "soft"]})
    customers = pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C4", "C5"],
                              "region": ["North", "North", "South", "South", "North"]})
    competitors = pd.DataFrame({
        "period": pd.to_datetime(["2024-01-01", "2025-01-01", "2025-01-01", "2025-04-01"]),
        "region": ["North", "North", "North", "North"],
        "category": ["tools"] * 4, "competitor": ["X", "X", "Y", "X"],
        "estimated_revenue": [300.0, 350.0, 100.0, 150.0]})
    return orders, products, customers, competitors


@pytest.mark.parametrize("engine", ENGINES)
def test_region_performance_coverage_and_revenue_per_rep(engine):
    orders, _, customers, _ = region_tables()
    out = rg.performance(orders, current=CURRENT, base=BASE, customers=customers,
                         engine=engine).set_index("region")
    assert out.loc["North", "revenue"] == 200 and out.loc["North", "growth_pct"] == 100
    assert out.loc["North", "revenue_per_rep"] == 100  # two selling reps
    assert out.loc["North", "coverage_pct"] == pytest.approx(100 * 2 / 3)
    assert out.loc["South", "coverage_pct"] == 50
    assert np.isnan(out.loc["South", "growth_pct"])
    assert "growth undefined" in out.loc["South", "note"]


def test_market_share_shares_and_missing_estimates():
    orders, products, _, competitors = region_tables()
    shares = rg.market_share(orders, competitors, products)
    s = shares.set_index(["region", "category", "period"])
    assert s.loc[("North", "tools", pd.Timestamp("2025-01-01")), "share"] == \
        pytest.approx(150 / (150 + 450))
    assert s.loc[("North", "tools", pd.Timestamp("2024-01-01")), "share"] == \
        pytest.approx(100 / 400)
    south = shares[shares["region"] == "South"]
    assert south["share"].isna().all() and (south["note"].str.contains("no competitor")).all()
    change = rg.share_change(shares, base=BASE, current=CURRENT).set_index("region")
    cur = 100 * (150 + 50) / (150 + 50 + 450 + 150)
    assert change.loc["North", "change_pp"] == pytest.approx(cur - 25.0)
    assert "no competitor estimates" in change.loc["South", "note"]
    growth = rg.competitor_growth(orders, competitors, products, base=BASE, current=CURRENT)
    x = growth.set_index("competitor").loc["X"]
    assert x["growth_pct"] == pytest.approx(100 * (500 / 300 - 1))
    assert x["our_growth_pct"] == pytest.approx(100.0) and not x["faster"]
    none = rg.market_share(orders, None, products)
    assert none["share"].isna().all()


def test_win_rates_by_customer_region():
    _, _, customers, _ = region_tables()
    opp = pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C5", "C4"],
                        "stage": ["won", "lost", "won", "won", "quote"],
                        "amount": [100.0, 300.0, 50.0, 100.0, 10.0],
                        "closed_date": pd.to_datetime(["2025-01-05", "2025-02-01",
                                                       "2025-03-01", "2023-01-01", None])})
    out = rg.win_rates(opp, customers=customers, period=CURRENT).set_index("region")
    assert out.loc["North", ["won", "lost"]].tolist() == [1, 1]
    assert out.loc["North", "win_rate"] == 50
    assert out.loc["North", "amount_win_rate"] == 25
    assert out.loc["South", "win_rate"] == 100


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
    assert by_country["note"].str.contains("margin unknown").all()  # no product costs
    regions = rg.performance(o, current=current, base=base, region="Country",
                             customer="CustomerID", rep=None, date="InvoiceDate")
    assert regions["coverage_pct"].between(0, 100).all()
    assert regions["note"].str.contains("no rep column").all()
    shares = pr.structure(o, by="Country", freq="MS", **kw)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)


# --------------------------------------------------------------------------- views


def test_periods_defaults_and_overrides(sample):
    base, current = pv.periods(sample.orders)
    assert [str(x) for x in (*base, *current)] == ["2024-01-01", "2024-12-31", "2025-01-01",
                                                    "2025-12-31"]
    base, current = pv.periods(sample.orders, current_start="2025-04-01",
                               current_end="2025-06-30")
    assert [str(x) for x in base] == ["2024-04-01", "2024-06-30"]
    with pytest.raises(SalesnbError, match="both current_start and current_end"):
        pv.periods(sample.orders, current_start="2025-04-01")


def test_filter_orders_names_the_available_values(sample):
    east = pv.filter_orders(sample.orders, sample.products, "East", "Printing")
    assert set(east["region"]) == {"East"}
    assert set(east["product_id"]) <= set(
        sample.products.loc[sample.products["category"] == "Printing", "product_id"])
    with pytest.raises(SalesnbError, match="regions are: Central, East"):
        pv.filter_orders(sample.orders, sample.products, "Mars")


def test_findings_carry_their_numbers(sample):
    base, current = pv.periods(sample.orders)
    lines_ = pv.findings(sample.orders, sample.products, sample.competitors, base=base,
                         current=current)
    text = "\n".join(lines_)
    perf = pr.performance(sample.orders, sample.products, current=current, base=base)
    both = perf[perf["base_revenue"] > 0]
    worst = both.sort_values("growth_pct").iloc[0]
    assert f"{worst.product_id} " in text.split("Declining products:")[1].split("\n")[0]
    assert f"{worst.growth_pct:+.0f} %" in text
    change = rg.share_change(rg.market_share(sample.orders, sample.competitors,
                                             sample.products, by=("region",)),
                             base=base, current=current)
    for r in change[change["change_pp"] < 0].itertuples():
        assert f"{r.region} {r.change_pp:+.1f} pp" in text
    n_c = (pr.abc(sample.orders, products=sample.products, period=current)["class"] == "C").sum()
    assert f"{n_c} C-class products" in text
    # no competitor data: said so
    none = pv.findings(sample.orders, sample.products, None, base=base, current=current)
    assert any("No competitor estimates" in s for s in none)


def test_explore_view_handles_a_period_without_data(sample):
    out = pv.explore_view("West", "all", "2010-01-01", "2010-12-31", "2025-01-01",
                          "2025-12-31", orders=sample.orders, products=sample.products)
    assert len(out) == 1 and "no order lines in the base period" in out[0].data
    full = pv.explore_view("West", "Software", "", "", "", "", orders=sample.orders,
                           products=sample.products)
    assert "region West" in full[0].data and len(full) == 3
