"""Products and regions on a real company's export: orders only, foreign layout, short spans.

Issue 15: report 04 runs on the tables it has (each section declares its needs), region
coverage counts a customer once per region it bought in, and findings name the count and the
first few items of a long list.
"""

from __future__ import annotations

import ast
import json
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest
from conftest import AS_OF, ROOT
from products_tables import BASE, CURRENT, ENGINES, lines

import salesnb as sn
from salesnb import products as pr
from salesnb.core.fmt import money
from salesnb.products import regions as rg
from salesnb.products import views as pv
from salesnb.report.sections import missing_needs

matplotlib.use("Agg")

NOTEBOOK = ROOT / "notebooks" / "04_product_region.ipynb"


@pytest.fixture(autouse=True)
def _close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


# --------------------------------------------------------------------- region coverage (item 6)


def two_region_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """C1 (based North) buys in North and South; C2 (South) in South; C3 (North) never buys."""
    orders = lines([
        ("2025-02-01", "P1", 1, 100.0, "North", "C1", "R1"),
        ("2025-03-01", "P1", 1, 60.0, "South", "C1", "R2"),
        ("2025-04-01", "P2", 1, 80.0, "South", "C2", "R2"),
        ("2024-05-01", "P2", 1, 50.0, "South", "C2", "R2"),
    ])
    customers = pd.DataFrame({"customer_id": ["C1", "C2", "C3"],
                              "region": ["North", "South", "North"]})
    return orders, customers


@pytest.mark.parametrize("engine", ENGINES)
def test_coverage_counts_a_customer_once_in_each_region_it_bought_in(engine):
    orders, customers = two_region_tables()
    out = rg.performance(orders, current=CURRENT, base=BASE, customers=customers,
                         engine=engine).set_index("region")
    # South: active C1 and C2; known C2 (based there) and C1 (bought there): 2 of 2, not 2 of 1
    assert out.loc["South", ["active_customers", "known_customers"]].tolist() == [2, 2]
    assert out.loc["South", "coverage_pct"] == 100
    assert "1 of the known customers is based in another region" in out.loc["South", "note"]
    # North: active C1; known C1 and C3 (based there, no order)
    assert out.loc["North", ["active_customers", "known_customers"]].tolist() == [1, 2]
    assert out.loc["North", "coverage_pct"] == 50
    assert "another region" not in out.loc["North", "note"]
    assert (out["coverage_pct"] <= 100).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_coverage_without_a_customer_table_counts_region_customer_pairs(engine):
    orders, _ = two_region_tables()
    out = rg.performance(orders, current=CURRENT, customers=None,
                         engine=engine).set_index("region")
    assert out.loc["South", ["active_customers", "known_customers"]].tolist() == [2, 2]
    assert out.loc["North", ["active_customers", "known_customers"]].tolist() == [1, 1]
    assert out["note"].str.contains("those who ever ordered").all()


def test_coverage_never_exceeds_100_on_random_multi_region_buyers():
    rng = np.random.default_rng(7)
    n = 400
    orders = pd.DataFrame({
        "order_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 730, n),
                                                                   unit="D"),
        "product_id": rng.choice(["P1", "P2"], n), "quantity": 1.0,
        "revenue": rng.uniform(10, 100, n), "region": rng.choice(["N", "S", "E"], n),
        "customer_id": rng.choice([f"C{i}" for i in range(40)], n)})
    customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(50)],
                              "region": rng.choice(["N", "S", "E", None], 50)})
    out = rg.performance(orders, current=CURRENT, base=BASE, customers=customers)
    assert (out["coverage_pct"] <= 100).all() and (out["coverage_pct"] > 0).all()
    pairs = orders[orders["order_date"] <= "2025-12-31"][["region", "customer_id"]]
    based = customers.dropna().rename(columns={"region": "region"})
    known = pd.concat([pairs, based]).drop_duplicates().groupby("region").size()
    assert out.set_index("region")["known_customers"].to_dict() == known.to_dict()


def test_region_table_leaves_out_what_no_region_has():
    orders, customers = two_region_tables()
    perf = rg.performance(orders.drop(columns="rep_id"), current=CURRENT, base=BASE,
                          customers=customers)
    table = pv.region_table(perf)
    assert "revenue per rep" not in table.columns and "reps" not in table.columns
    assert not table["note"].str.contains("rep").any()
    bare = pv.region_table(rg.performance(orders, current=CURRENT, customers=None))
    assert not bare["note"].str.contains("ever ordered").any()
    assert {"coverage %", "growth %"} <= set(table.columns)
    with_reps = pv.region_table(rg.performance(orders, current=CURRENT, customers=customers))
    assert "revenue per rep" in with_reps.columns


def test_region_of_the_lines_comes_from_the_customer_when_missing():
    orders, customers = two_region_tables()
    bare = orders.drop(columns="region")
    got = pr.with_region(bare, customers)
    assert got["region"].tolist() == ["North", "North", "South", "South"]
    partly = orders.assign(region=[None, "South", None, "South"])
    assert pr.with_region(partly, customers)["region"].tolist() == [
        "North", "South", "South", "South"]
    assert pr.with_region(bare, None) is bare
    assert pr.with_region(orders, customers) is orders


def test_win_rates_fall_back_to_the_reps_region():
    opp = pd.DataFrame({"customer_id": ["C1", "C2"], "rep_id": ["R1", "R2"],
                        "stage": ["won", "lost"], "amount": [10.0, 30.0]})
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "region": ["North", "South"]})
    out = rg.win_rates(opp, customers=pd.DataFrame({"customer_id": ["C1"]}), reps=reps)
    assert out.set_index("region")["win_rate"].to_dict() == {"North": 100.0, "South": 0.0}


# --------------------------------------------------------------- findings name counts (item 5)


def many_new_products(n: int = 12) -> pd.DataFrame:
    """A and B sold in both years; N00..N11 new in 2025 with revenue 10, 20, ..."""
    rows = [("2024-03-01", "A", 10, 100.0), ("2025-03-01", "A", 10, 150.0),
            ("2024-04-01", "B", 10, 200.0), ("2025-04-01", "B", 10, 100.0)]
    rows += [("2025-05-01", f"N{i:02d}", 1, 10.0 * (i + 1)) for i in range(n)]
    return lines(rows)


def test_a_long_list_of_new_products_names_its_count_and_the_largest_three():
    orders = many_new_products()
    got = pr.findings(orders, None, None, base=BASE, current=CURRENT)
    sentence = next(s for s in got if s.startswith("New products")).replace("\\$", "$")
    perf = pr.performance(orders, current=CURRENT, base=BASE)
    new = perf[(perf["base_revenue"] <= 0) & (perf["revenue"] > 0)]
    top = new.sort_values("revenue", ascending=False).head(3)
    named = ", ".join(f"{r.product_id} {money(r.revenue)}" for r in top.iloc[:2].itertuples())
    last = top.iloc[2]
    assert sentence == (f"New products (no sales in the base period, so no growth rate): "
                        f"{len(new)} products (the largest: {named} and "
                        f"{last.product_id} {money(last.revenue)}).")
    assert len(new) == 12 and top["product_id"].tolist() == ["N11", "N10", "N09"]


def test_findings_without_base_sales_say_growth_cannot_be_measured():
    orders = many_new_products()
    current_only = orders[orders["order_date"] >= "2025-01-01"]
    got = pr.findings(current_only, None, None, base=BASE, current=CURRENT)
    total = current_only["revenue"].sum()
    assert got[0] == (f"Revenue was **{money(total)}** in the current period; there were no "
                      "sales in the base period (2024-01-01 – 2024-12-31), so no growth can be "
                      "measured: choose a base period inside the data.")
    assert not any(s.startswith(("New products", "Products growing")) for s in got)


def test_findings_margins_say_what_to_add_without_costs_and_use_a_profit_column():
    orders = many_new_products(2)
    got = pr.findings(orders, None, None, base=BASE, current=CURRENT)
    assert ("Margins cannot be judged: the data have no product costs (add `unit_cost` to the "
            "products, or a `profit` column to the orders).") in got
    with_profit = orders.assign(profit=orders["revenue"] * 0.1)
    got = pr.findings(with_profit, None, None, base=BASE, current=CURRENT, margin_floor=20)
    thin = next(s for s in got if s.startswith("Products to re-price"))
    assert "4 products (the thinnest: " not in thin and thin.count("margin 10 %") == 4


# ------------------------------------------------------------------------ margins from profit


@pytest.mark.parametrize("engine", ENGINES)
def test_margin_from_a_profit_column_when_products_have_no_cost(engine):
    orders = lines([("2025-02-01", "A", 2, 100.0), ("2025-03-01", "A", 1, 50.0),
                    ("2025-04-01", "B", 1, 40.0)])
    orders["profit"] = [30.0, 15.0, np.nan]
    perf = pr.performance(orders, current=CURRENT, engine=engine).set_index("product_id")
    assert perf.loc["A", "margin_pct"] == pytest.approx(30.0)
    assert np.isnan(perf.loc["B", "margin_pct"])
    assert perf.loc["B", "note"] == "margin unknown: no profit on its lines"
    products = pd.DataFrame({"product_id": ["A", "B"], "unit_cost": [40.0, 10.0]})
    by_cost = pr.performance(orders, products, current=CURRENT,
                             engine=engine).set_index("product_id")
    assert by_cost.loc["A", "margin_pct"] == pytest.approx(100 * (150 - 3 * 40) / 150)
    bands = pr.discount_bands(orders.assign(discount=0.0), period=CURRENT, engine=engine)
    assert bands.loc[0, "margin_pct"] == pytest.approx(100 * 45 / 150)


def test_product_table_leaves_out_margin_and_discount_it_cannot_give():
    orders = many_new_products(2).drop(columns="unit_price")
    table = pv.product_table(orders, None, base=BASE, current=CURRENT)
    assert "margin %" not in table.columns and "discount %" not in table.columns
    assert not table["note"].str.contains("margin").any()
    assert table["note"].str.contains("new: no sales in the base period").sum() == 2
    costed = pv.product_table(orders.assign(profit=1.0), None, base=BASE, current=CURRENT)
    assert "margin %" in costed.columns


def test_pvm_table_total_row_counts_the_items_not_listed():
    orders = many_new_products()
    pvm = pr.price_volume_mix(orders, base=BASE, current=CURRENT)
    table = pv.pvm_table(pvm, top=5)
    assert len(table) == 6 and table.iloc[-1]["product_id"] == f"all {len(pvm)} items"
    assert pv.pvm_table(pvm, top=50).iloc[-1]["product_id"] == "all items"


def test_elasticity_without_categories_gives_one_estimate_for_all_products():
    orders = many_new_products()
    out = pv.elasticity_table(orders, None)
    assert out.columns[0] == "group" and out["group"].tolist() == ["all products"]
    assert "too few price variations" in out.loc[0, "note"]
    cats = pv.elasticity_table(orders, pd.DataFrame({"product_id": ["A", "B"],
                                                     "category": ["x", "y"]}))
    assert cats["category"].tolist() == ["x", "y"]


# ------------------------------------------------------------------------------ the periods


def test_default_periods_fit_data_shorter_than_two_years():
    orders = lines([("2010-12-01", "A", 1, 10.0), ("2011-01-15", "A", 1, 10.0),
                    ("2011-02-23", "A", 1, 10.0)])
    base, current = pr.periods(orders)
    # complete months: 2010-12 and 2011-01 (February is not over): one month each
    assert base == (pd.Timestamp("2010-12-01").date(), pd.Timestamp("2010-12-31").date())
    assert current == (pd.Timestamp("2011-01-01").date(), pd.Timestamp("2011-01-31").date())
    assert pr.comparison_gap(orders, base=base, current=current) == ""


def test_default_periods_end_at_the_as_of_day(sample_orders):
    base, current = pr.periods(sample_orders, as_of=pd.Timestamp("2025-06-15").date())
    assert current == (pd.Timestamp("2024-06-01").date(), pd.Timestamp("2025-05-31").date())
    assert base[0] == pd.Timestamp("2023-06-01").date()
    assert pr.periods(sample_orders, as_of=pd.Timestamp("2030-01-01").date()) == \
        pr.periods(sample_orders)


@pytest.mark.parametrize(("start", "end", "want"), [
    ("2025Q4", "", ("2025-10-01", "2025-12-31")),
    ("2025", "", ("2025-01-01", "2025-12-31")),
    ("2025-11", "", ("2025-11-01", "2025-11-30")),
    ("", "2025-11", ("2025-11-01", "2025-11-30")),
    ("2025-06", "2025Q4", ("2025-06-01", "2025-12-31")),
    ("2025-03-05", "2025-04-30", ("2025-03-05", "2025-04-30")),
])
def test_periods_accept_every_period_format(sample_orders, start, end, want):
    base, current = pr.periods(sample_orders, current_start=start, current_end=end)
    assert tuple(d.isoformat() for d in current) == want
    lo = pd.Timestamp(want[0]) - pd.DateOffset(years=1)
    assert base[0] == lo.date()
    b, _ = pr.periods(sample_orders, base_start="2024Q1", current_start="2025Q1")
    assert tuple(d.isoformat() for d in b) == ("2024-01-01", "2024-03-31")


def test_periods_refuse_half_a_current_period(sample_orders):
    with pytest.raises(sn.SalesnbError, match="give both current_start and current_end"):
        pr.periods(sample_orders, current_start="2025-03-01")
    with pytest.raises(sn.SalesnbError, match="is not a day"):
        pr.periods(sample_orders, current_start="soon", current_end="later")


def test_gaps_name_the_period_and_the_data_span():
    orders = many_new_products(1)
    gap = pr.comparison_gap(orders, base=("2010-01-01", "2010-12-31"), current=CURRENT)
    assert gap == ("no order lines in the base period 2010-01-01 – 2010-12-31 (the data run "
                   "from 2024-03-01 to 2025-05-01); choose base dates inside that span")
    assert pr.comparison_gap(orders, current=CURRENT) == ""
    assert pr.discount_gap(orders.assign(discount=0.0), period=CURRENT) == (
        "no order line of the period has a discount (all 3 are at the price charged, so "
        "depth cannot be compared)")
    assert pr.discount_gap(orders.assign(discount=[0.0, 0.1, 0.0, 0.0, 0.0]),
                           period=CURRENT) == ""


@pytest.fixture(scope="module")
def sample_orders():
    return sn.load(ROOT / "data", tables=["orders"], as_of=AS_OF).orders


# ----------------------------------------------- the report's sections on an orders-only export


def notebook_cells() -> list[str]:
    nb = json.loads(NOTEBOOK.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def section_needs() -> dict[str, list[str]]:
    """Title -> needs of every section(...) call of report 04."""
    out = {}
    for src in notebook_cells():
        if not src.startswith("section("):
            continue
        call = ast.parse(src).body[0].value
        title = ast.literal_eval(call.args[1])
        kw = {k.arg: k.value for k in call.keywords}
        out[title] = ast.literal_eval(kw["needs"]) if "needs" in kw else []
    return out


ORDERS_ONLY_SKIPPED = {"Win rates", "Competitors and market share"}
RETAIL_SKIPPED = ORDERS_ONLY_SKIPPED | {
    "Product categories", "Product structure over time",
    "Price, volume and mix between categories", "Regions by category"}


def run_report(data: sn.SalesData, **params: object) -> dict[str, bool]:
    """Run report 04's code cells in-process on ``data``, skipping as ``section`` decides.

    Returns which sections ran. Any exception in a cell fails the test (with the cell).
    """
    import matplotlib.pyplot as plt

    ns: dict[str, object] = {}
    ran: dict[str, bool] = {}
    cells = notebook_cells()
    exec(cells[0], ns)  # the parameters cell
    ns.update(params)
    gate = True
    for src in cells[1:]:
        if src.startswith("d = report_data("):
            ns["d"] = data
            continue
        if src.startswith("section("):
            result = eval(src, ns)
            gate = ran[result.title] = result.runs
            continue
        if gate:
            try:
                exec(src, ns)
            except Exception as exc:  # pragma: no cover - the failure message
                pytest.fail(f"cell failed with {type(exc).__name__}: {exc}\n{src}")
            plt.close("all")  # as the notebook's inline backend does after each cell
    return ran


@pytest.fixture(scope="module")
def orders_only_data(tmp_path_factory):
    from conftest import ORDERS_ONLY_MAPPING, write_orders_only

    folder = tmp_path_factory.mktemp("superstore")
    write_orders_only(folder)
    return sn.load(folder, ORDERS_ONLY_MAPPING)


def test_orders_only_needs_skip_only_the_competitor_and_deal_sections(orders_only_data):
    needs = section_needs()
    assert len(needs) == 15
    skipped = {t for t, n in needs.items() if missing_needs(orders_only_data, n)}
    assert skipped == ORDERS_ONLY_SKIPPED
    orders_only = {"orders": orders_only_data.orders}  # before the products are derived
    skipped = {t for t, n in needs.items() if missing_needs(orders_only, n)}
    assert skipped == RETAIL_SKIPPED


def test_report_runs_every_section_it_can_on_orders_only(orders_only_data, monkeypatch):
    monkeypatch.setenv("SALESNB_HEADLESS", "1")
    ran = run_report(orders_only_data)
    assert {t for t, r in ran.items() if not r} == ORDERS_ONLY_SKIPPED
    assert len(ran) == 15


def test_report_runs_on_orders_without_products_or_customers(orders_only_data, monkeypatch):
    monkeypatch.setenv("SALESNB_HEADLESS", "1")
    bare = sn.SalesData({"orders": orders_only_data.orders}, orders_only_data.report,
                        orders_only_data.source, orders_only_data.as_of)
    ran = run_report(bare, region="West")
    assert {t for t, r in ran.items() if not r} == RETAIL_SKIPPED


@pytest.mark.slow
def test_report_on_the_sample_runs_every_section(monkeypatch):
    monkeypatch.setenv("SALESNB_HEADLESS", "1")
    data = sn.load(ROOT / "data", as_of=AS_OF)
    ran = run_report(data, category="Software")
    assert all(ran.values()) and len(ran) == 15


def test_retail_export_report_sections(shared_retail_mapping, monkeypatch):
    monkeypatch.setenv("SALESNB_HEADLESS", "1")
    folder, mapping = shared_retail_mapping
    data = sn.load(folder, mapping)
    import dataclasses

    from salesnb.data.loader import data_end

    data = dataclasses.replace(data, as_of=data_end(data))
    ran = run_report(data)
    skipped = {t for t, r in ran.items() if not r}
    assert skipped == RETAIL_SKIPPED | {"Discounts, volume and margin"}  # no discounts at all
    base, current = pr.periods(data.orders, as_of=data.as_of)
    assert pr.comparison_gap(data.orders, base=base, current=current) == ""
    got = pr.findings(data.orders, None, None, base=base, current=current)
    for s in got:  # every list is its count and three items at most
        assert len(re.findall(r", | and ", s.split(":", 1)[-1])) <= 6, s


@pytest.mark.parametrize("engine", ENGINES)
def test_items_sold_only_in_the_base_period_count_without_a_product_table(engine):
    orders = lines([("2024-02-01", "A", 1, 100.0), ("2025-02-01", "A", 1, 120.0),
                    ("2024-03-01", "D", 1, 80.0, "South")])
    perf = pr.performance(orders, current=CURRENT, base=BASE,
                          engine=engine).set_index("product_id")
    assert perf.loc["D", ["revenue", "base_revenue"]].tolist() == [0.0, 80.0]
    assert perf["base_revenue"].sum() == 180.0
    got = pr.findings(orders, None, None, base=BASE, current=CURRENT, engine=engine)
    got = [line.replace("\\$", "$") for line in got]
    assert got[0].startswith("Revenue was **$120** in the current period, **-33.3 %** against "
                             "the base period ($180)")
    assert "No sales any more in the current period: D (had $80)." in got
    south = rg.performance(orders, current=CURRENT, base=BASE,
                           engine=engine).set_index("region").loc["South"]
    assert south["revenue"] == 0 and south["base_revenue"] == 80
    assert "no sales in the current period" in south["note"]


def test_discount_table_in_percent_without_an_unknown_margin():
    orders = many_new_products(2).assign(discount=[0.0, 0.12, 0.0, 0.0, 0.0, 0.25])
    table = pv.discount_table(pr.discount_bands(orders, period=CURRENT))
    assert "margin %" not in table.columns
    assert table["share %"].sum() == pytest.approx(100.0)
    costed = pv.discount_table(pr.discount_bands(orders.assign(profit=1.0), period=CURRENT))
    assert "margin %" in costed.columns


def test_elasticity_notes_are_true_of_their_intervals(orders_only_data):
    out = pr.elasticity(orders_only_data.orders, orders_only_data.products)
    assert out["elasticity"].notna().all()
    for r in out.itertuples():
        if r.note.startswith("elastic"):
            assert r.ci_high < -1
        elif r.note.startswith("inelastic"):
            assert -1 < r.ci_low and r.ci_high < 0
        elif r.note.startswith("around -1"):
            assert -1.5 <= r.ci_low <= -1 <= r.ci_high <= -0.5
        elif r.note.startswith("the interval includes -1"):
            assert r.ci_low <= -1 <= r.ci_high
        else:
            assert r.note.startswith(("not distinguishable", "units rise")), r.note


@pytest.mark.parametrize("engine", ENGINES)
def test_a_profit_column_read_as_text_still_gives_margins(engine):
    # a column outside the schema (an export's "Profit" mapped to profit) arrives as text
    orders = lines([("2025-02-01", "A", 2, 100.0), ("2025-03-01", "A", 1, 50.0),
                    ("2025-04-01", "B", 1, 40.0)]).assign(profit=["30", "15.0", "n/a"])
    perf = pr.performance(orders, current=CURRENT, engine=engine).set_index("product_id")
    assert perf.loc["A", "margin_pct"] == pytest.approx(30.0)
    assert np.isnan(perf.loc["B", "margin_pct"])
