"""Derived tables (``from:``) and columns (unit_price, region), missing tables, the as-of rule."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest
from conftest import AS_OF, ORDERS_ONLY_MAPPING, ROOT, tiny_tables, write_orders_only

import salesnb as sn
from salesnb.data.loader import MissingTableError, data_end
from salesnb.data.mapping import load_mapping
from salesnb.data.schema import data_dictionary
from salesnb.data.sources import open_source
from salesnb.data.validation import RULES
from salesnb.errors import MappingError, SalesnbError, TableError

CUSTOMERS_FROM_ORDERS = {"customers": {"from": "orders", "columns": {"Customer Name": "name",
                                                                     "Segment": "segment"}}}


def _counts_add_up(d: sn.SalesData) -> pd.DataFrame:
    counts = d.report.counts.set_index("table")
    assert (counts["rows_read"] == counts["rows_loaded"] + counts["rows_quarantined"]).all()
    for table, frame in d.tables.items():
        assert counts.loc[table, "rows_loaded"] == len(frame), table
    return counts


# ------------------------------------------------------------------ the orders-only export
def test_an_orders_only_export_gives_orders_customers_and_products(orders_only):
    src, mapping = orders_only
    lines = pd.read_csv(src / "superstore.csv", dtype=str)
    d = sn.load(src, mapping)
    assert set(d.tables) == {"orders", "customers", "products"}
    counts = _counts_add_up(d)
    assert counts.loc["orders", "rows_read"] == len(lines)
    assert counts.loc["customers", "rows_read"] == lines["Customer ID"].nunique()
    assert counts.loc["products", "rows_read"] == lines["Product ID"].nunique()
    assert counts.loc["customers", "file"].endswith(
        "superstore.csv (customers from the order lines)")
    # one row per id, the table's own columns plus the extras its mapping named, no others
    assert d.customers["customer_id"].is_unique and d.products["product_id"].is_unique
    assert list(d.customers.columns) == ["customer_id", "name", "region", "city", "segment"]
    assert list(d.products.columns) == ["product_id", "name", "category", "list_price",
                                        "sub_category"]
    first = lines.drop_duplicates("Customer ID").set_index("Customer ID")
    got = d.customers.set_index("customer_id")
    assert (got["name"] == first.loc[got.index, "Customer Name"]).all()
    assert (got["segment"] == first.loc[got.index, "Segment"]).all()
    notes = d.report.notes
    assert any(n.startswith("orders.unit_price: the file has none; derived as revenue / "
                            "quantity / (1 - discount)") for n in notes["orders"])
    assert any(n.startswith("products.list_price: derived as the median unit price")
               for n in notes["products"])
    assert d.report.exit_code == 0
    found = open_source(src, load_mapping(mapping)).available()
    assert list(found) == ["products", "customers", "orders"]


def test_the_derived_unit_price_is_the_samples_within_rounding(orders_only):
    src, mapping = orders_only
    d = sn.load(src, mapping)
    sample = pd.read_csv(ROOT / "data" / "orders.csv", dtype={"order_id": str}).iloc[::13]
    sample["order_id"] = "US-" + sample["order_id"]
    both = d.orders.merge(sample, on=["order_id", "product_id"], suffixes=("", "_true"),
                          validate="one_to_one")
    assert len(both) == len(d.orders) == len(sample)
    # revenue is written to the cent, so the price it gives is exact to the cent over
    # quantity x (1 - discount), plus the rounding of the derived price itself
    tol = 0.005 / (both["quantity"] * (1 - both["discount"])) + 0.005 + 1e-9
    err = (both["unit_price"] - both["unit_price_true"]).abs()
    assert (err <= tol).all(), both.loc[err > tol, ["unit_price", "unit_price_true"]]
    assert (err < 0.006).mean() > 0.99
    # the derived list price is the median of each product's line prices
    lines = both.groupby("product_id")["unit_price"].median().round(2)
    prices = d.products.set_index("product_id")["list_price"]
    assert (prices - lines.loc[prices.index]).abs().max() <= 0.0051


def test_an_excel_parquet_or_duckdb_export_builds_the_same_tables(orders_only, tmp_path):
    src, mapping = orders_only
    lines = pd.read_csv(src / "superstore.csv", dtype=str, keep_default_na=False).iloc[:400]
    lines.loc[5, "Customer ID"] = ""  # one line without a customer: quarantined, row kept
    orders = mapping["tables"]["orders"]

    def mapped(**options):
        return {**mapping, "tables": {**mapping["tables"], "orders": {**orders, **options}}}

    folders = {k: tmp_path / k for k in ("csv", "xlsx", "parquet")}
    for folder in folders.values():
        folder.mkdir()
    lines.to_csv(folders["csv"] / "superstore.csv", index=False)
    with pd.ExcelWriter(folders["xlsx"] / "export.xlsx") as xl:
        pd.DataFrame({"About": ["cover"]}).to_excel(xl, sheet_name="Cover", index=False)
        lines.to_excel(xl, sheet_name="Orders", index=False, startrow=2)
        xl.sheets["Orders"]["A1"] = "Superstore orders"
    typed = lines.astype({"Quantity": int, "Sales": float, "Discount": float})
    typed.to_parquet(folders["parquet"] / "superstore.parquet", index=False)
    db = tmp_path / "export.duckdb"
    with duckdb.connect(str(db)) as con:
        con.register("lines", typed)
        con.execute("CREATE TABLE superstore AS SELECT * FROM lines")
    loaded = {
        "csv": sn.load(folders["csv"], mapping),
        "xlsx": sn.load(folders["xlsx"], mapped(file="export.xlsx", sheet="Orders",
                                                header_row=3)),
        "parquet": sn.load(folders["parquet"], mapped(file="superstore.parquet")),
        "duckdb": sn.load(db, mapped(file="superstore")),
    }
    ref = loaded["csv"]
    assert len(ref.customers) == lines["Customer ID"].replace("", None).nunique()
    # the line without a customer: its file row (CSV line 7; Excel row 9, below a title, a
    # blank row and the header on row 3; record 6 in Parquet and DuckDB)
    rows = {"csv": 7, "xlsx": 9, "parquet": 6, "duckdb": 6}
    for kind, d in loaded.items():
        _counts_add_up(d)
        q = d.quarantine[d.quarantine["table"] == "customers"]
        assert q[["row", "rule"]].values.tolist() == [[rows[kind], "required"]], kind
        for table in ("customers", "products"):
            pd.testing.assert_frame_equal(d[table], ref[table], check_dtype=False)
        pd.testing.assert_series_equal(d.orders["unit_price"], ref.orders["unit_price"])
    where = loaded["duckdb"].report.counts.set_index("table").loc["customers", "file"]
    assert where.endswith("export.duckdb:superstore (customers from the order lines)")


def _lines(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["Order ID", "Order Date", "Customer ID",
                                       "Customer Name", "Segment", "Region", "City",
                                       "Product ID", "Category", "Sales", "Quantity",
                                       "Discount"])


_MAPPING = {"tables": {
    "orders": {"file": "lines.csv", "columns": {"Sales": "revenue"}},
    "customers": {"from": "orders", "columns": {"Customer Name": "name", "Segment": "segment"}},
    "products": {"from": "orders"},
}}


def test_conflicting_attributes_are_counted_and_the_first_is_kept(tmp_path):
    lines = _lines([
        ("A1", "2024-01-02", "C1", "Acme", "shop", "North", "Oslo", "P1", "tools", "20", "2", "0"),
        ("A2", "2024-01-03", "C2", "Beta", "shop", "East", "Bonn", "P1", "tools", "10", "1", "0"),
        ("A3", "2024-01-04", "C2", "Beta", "shop", "West", "Bonn", "P2", "soft", "50", "1", "0"),
        ("A4", "2024-01-05", "C3", "Gamma", "", "South", "Rome", "P2", "", "40", "1", "0.2"),
        ("A5", "2024-01-06", "C3", "Gamma", "tech", " South ", "Rome", "P1", "gear", "10", "1",
         "0"),
        ("A6", "2024-01-07", "C4", "Delta", "tech", "North", "Lyon", "P1", "tools", "50", "1",
         "0"),
        ("A7", "2024-01-08", "C4", "Delta Ltd", "tech", "South", "Nice", "P3", "hw", "9", "3", "0"),
        ("A8", "2024-01-09", "", "Nobody", "tech", "North", "Oslo", "P3", "hw", "9", "3", "0"),
        ("A9", "2024-01-10", "", "Nobody", "tech", "North", "Oslo", "P3", "hw", "9", "3", "0"),
    ])
    src = tmp_path / "conflicts"
    src.mkdir()
    lines.to_csv(src / "lines.csv", index=False)
    d = sn.load(src, _MAPPING, as_of=AS_OF)
    counts = _counts_add_up(d)
    assert counts.loc["customers", "rows_read"] == 5  # C1-C4 and one row for the empty ids
    assert counts.loc["customers", "rows_quarantined"] == 1
    q = d.quarantine[d.quarantine["table"] == "customers"]
    assert q[["row", "column", "rule"]].values.tolist() == [[9, "customer_id", "required"]]
    got = d.customers.set_index("customer_id")
    assert got.loc["C2", "region"] == "East" and got.loc["C4", "city"] == "Lyon"
    assert got.loc["C3", "segment"] == "tech"  # the first non-empty value
    assert got.loc["C3", "region"] == "South"  # ' South ' is the same value, not a conflict
    assert d.report.notes["customers"] == [
        "customers.name: 1 of 4 customers has more than one value in the order lines; the "
        "first was kept",
        "customers.region: 2 of 4 customers have more than one value in the order lines; "
        "the first was kept",
        "customers.city: 1 of 4 customers has more than one value in the order lines; the "
        "first was kept",
    ]
    assert "products.category: 1 of 3 products has more than one value" in " ".join(
        d.report.notes["products"])
    # P1's lines cost 10, 10, 10, 50 per unit: the median, 10, is its list price; P2's 50, 50
    prices = d.products.set_index("product_id")["list_price"]
    assert prices.to_dict() == {"P1": 10.0, "P2": 50.0, "P3": 3.0}
    assert set(d.customers.columns) == {"customer_id", "name", "region", "city", "segment"}


def test_a_products_price_column_on_the_lines_is_used_for_the_list_price(tmp_path):
    lines = _lines([
        ("A1", "2024-01-02", "C1", "Acme", "r", "North", "Oslo", "P1", "tools", "18", "2",
         "0.1"),
        ("A2", "2024-01-03", "C1", "Acme", "r", "North", "Oslo", "P1", "tools", "12", "1", "0"),
        ("A3", "2024-01-04", "C1", "Acme", "r", "North", "Oslo", "P1", "tools", "30", "3", "0"),
    ]).assign(Price=["10", "12", "10"])
    src = tmp_path / "priced"
    src.mkdir()
    lines.to_csv(src / "lines.csv", index=False)
    mp = {"tables": {**_MAPPING["tables"], "orders": {"file": "lines.csv", "columns": {
        "Sales": "revenue", "Price": "unit_price"}}}}
    d = sn.load(src, mp, as_of=AS_OF)
    assert d.products["list_price"].tolist() == [10.0]
    assert "(their unit_price)" in d.report.notes["products"][0]
    assert "orders" not in d.report.notes  # unit_price given: nothing derived
    assert d.report.exit_code == 0


def test_a_line_without_a_unit_price_is_quarantined(tmp_path):
    lines = _lines([
        ("A1", "2024-01-02", "C1", "Acme", "r", "North", "Oslo", "P1", "tools", "20", "2", "0"),
        ("A2", "2024-01-03", "C1", "Acme", "r", "North", "Oslo", "P1", "tools", "10", "0", "0"),
        ("A3", "2024-01-04", "C1", "Acme", "r", "North", "Oslo", "P1", "tools", "0", "1", "1"),
        ("A4", "2024-01-05", "C1", "Acme", "r", "North", "Oslo", "P1", "tools", "", "1", "0"),
        ("A5", "2024-01-06", "C1", "Acme", "r", "North", "Oslo", "P1", "tools", "-5", "1", "0"),
        ("A6", "2024-01-07", "C1", "Acme", "r", "North", "Oslo", "P1", "tools", "0", "4", "0"),
    ])
    src = tmp_path / "zero"
    src.mkdir()
    lines.to_csv(src / "lines.csv", index=False)
    d = sn.load(src, {"tables": {"orders": {"file": "lines.csv",
                                            "columns": {"Sales": "revenue"}}}}, as_of=AS_OF)
    counts = _counts_add_up(d)
    assert counts.loc["orders", "rows_quarantined"] == 4
    q = d.quarantine.sort_values("row")
    assert q[["row", "column", "rule"]].values.tolist() == [
        [3, "quantity", "not_derivable"], [4, "discount", "not_derivable"],
        [5, "revenue", "not_derivable"], [6, "unit_price", "range"]]
    assert q["message"].iloc[0] == ("unit_price cannot be derived as revenue / quantity / "
                                    "(1 - discount): quantity is 0")
    assert "discount is 1 (100 %)" in q["message"].iloc[1]
    assert d.orders["unit_price"].tolist() == [10.0, 0.0]  # a $0 line has price 0
    assert RULES["not_derivable"]
    # without a discount column: revenue / quantity, and a discount of 0 on every line
    d = sn.load(src, {"tables": {"orders": {"file": "lines.csv", "drop": ["Discount"],
                                            "columns": {"Sales": "revenue"}}}}, as_of=AS_OF)
    assert d.orders["discount"].eq(0).all()
    assert d.orders.set_index("order_id")["unit_price"].to_dict() == {
        "A1": 10.0, "A3": 0.0, "A6": 0.0}
    # neither unit_price nor revenue: unit_price is a missing column, as before
    with pytest.raises(TableError, match="required column.*unit_price"):
        sn.load(src, {"tables": {"orders": {"file": "lines.csv", "drop": ["Sales"]}}},
                as_of=AS_OF)


def test_the_data_dictionary_says_unit_price_may_be_derived():
    text = data_dictionary()
    row = next(line for line in text.splitlines() if line.startswith("| `unit_price`"))
    assert "yes, or revenue and quantity" in row and "derived as revenue / quantity" in row


# ------------------------------------------------------------------ region from another table
def test_an_orders_region_comes_from_the_customer_else_the_rep(tmp_path):
    tiny = tiny_tables()
    tiny["customers"].loc[1, "region"] = "South"  # C2
    tiny["orders"] = tiny["orders"].drop(columns=["region"])
    src = tmp_path / "noregion"
    for name, frame in tiny.items():
        src.mkdir(exist_ok=True)
        frame.to_csv(src / f"{name}.csv", index=False)
    d = sn.load(src, as_of=AS_OF)
    assert d.orders["region"].tolist() == ["North", "North", "South", "North"]
    assert d.report.notes["orders"] == ["orders.region: the file has none; each line takes "
                                        "its customer's region (customers.region by "
                                        "customer_id)"]
    assert list(d.orders.columns).index("region") == 6  # in its place in the schema
    # no customers table: the rep's region
    (src / "customers.csv").unlink()
    reps = tiny["reps"].copy()
    reps.loc[3, "region"] = "West"  # R4
    reps.to_csv(src / "reps.csv", index=False)
    for name in ("leads", "opportunities", "surveys"):
        (src / f"{name}.csv").unlink()
    d = sn.load(src, as_of=AS_OF)
    assert d.orders["region"].tolist() == ["North", "North", "North", "West"]
    assert "reps.region by rep_id" in d.report.notes["orders"][0]
    # neither: the region stays absent, and nothing is said
    d = sn.load(src, as_of=AS_OF, tables=["products", "orders"])
    assert "region" not in d.orders.columns and "orders" not in d.report.notes


def test_a_derived_customer_table_gives_the_orders_their_region(tmp_path):
    lines = _lines([
        ("A1", "2024-01-02", "C1", "Acme", "r", "North", "Oslo", "P1", "tools", "20", "2", "0"),
        ("A2", "2024-01-03", "C2", "Beta", "r", "East", "Bonn", "P1", "tools", "10", "1", "0"),
    ]).rename(columns={"Region": "Customer Region"})
    src = tmp_path / "custregion"
    src.mkdir()
    lines.to_csv(src / "lines.csv", index=False)
    mp = {"tables": {**_MAPPING["tables"], "customers": {
        "from": "orders", "columns": {"Customer Region": "region"}}}}
    d = sn.load(src, mp, as_of=AS_OF)
    assert d.orders["region"].tolist() == ["North", "East"]
    assert d.customers["region"].tolist() == ["North", "East"]


# ------------------------------------------------------------------ bad mappings
@pytest.mark.parametrize(("tables", "fragment"), [
    ({"customers": {"from": "order"}}, "'order' is not a salesnb table"),
    ({"customers": {"from": "customers"}}, "cannot be built from itself"),
    ({"customers": {"from": 3}}, "expected the name of the table"),
    ({"customers": {"from": ""}}, "expected the name of the table"),
    ({"customers": {"from": "orders"}, "products": {"from": "customers"}},
     "customers is itself built 'from: orders'"),
    ({"targets": {"from": "orders"}}, "targets cannot be built from another table's rows"),
    ({"customers": {"from": "orders", "file": "x.csv"}}, "file cannot be set on a table "
     "built 'from: orders'"),
    ({"customers": {"from": "orders", "columns": {"Segment": "segmnt"}}},
     "not a column of customers"),
])
def test_bad_from_values_are_refused_with_the_fix(tables, fragment):
    with pytest.raises(MappingError) as err:
        load_mapping({"tables": tables})
    assert fragment in str(err.value)
    assert "tables." in str(err.value)


def test_a_derived_table_whose_parent_is_absent_is_not_listed(tmp_path):
    tiny = tiny_tables()
    src = tmp_path / "noleads"
    src.mkdir()
    tiny["reps"].to_csv(src / "reps.csv", index=False)
    mp = {"tables": {"customers": {"from": "leads"}}}
    assert "customers" not in open_source(src, load_mapping(mp)).available()
    with pytest.raises(TableError, match="built from the leads rows.*leads is not in the source"):
        sn.load(src, mp, tables=["customers"])
    tiny["customers"].to_csv(src / "customers.csv", index=False)  # the file is not used
    assert "customers" not in open_source(src, load_mapping(mp)).available()


def test_a_parent_without_the_id_column_is_a_clear_error(tmp_path):
    tiny = tiny_tables()
    src = tmp_path / "noid"
    src.mkdir()
    tiny["leads"].drop(columns=["customer_id"]).to_csv(src / "leads.csv", index=False)
    with pytest.raises(TableError, match="no customer_id column to build customers"):
        sn.load(src, {"tables": {"customers": {"from": "leads"}}}, tables=["customers"])


# ------------------------------------------------------------------ missing tables
def test_a_missing_table_is_a_salesnb_error_that_hasattr_understands(orders_only):
    src, mapping = orders_only
    d = sn.load(src, mapping)
    assert d.get("surveys") is None and d.get("surveys", 0) == 0
    assert d.get("orders") is d.orders
    assert "surveys" not in d and "orders" in d
    assert not hasattr(d, "surveys") and getattr(d, "reps", None) is None
    with pytest.raises(MissingTableError) as err:
        d.surveys  # noqa: B018
    exc = err.value
    assert isinstance(exc, SalesnbError) and isinstance(exc, AttributeError)
    msg = str(exc)
    assert msg.startswith("surveys (") and "not in this data" in msg
    assert "tables loaded: products, customers, orders" in msg and "surveys.csv" in msg
    assert "d.get('surveys')" in msg
    with pytest.raises(KeyError) as err:
        d["surveys"]
    assert isinstance(err.value, SalesnbError) and str(err.value) == msg
    with pytest.raises(MissingTableError, match="not a salesnb table"):
        d["survey"]
    with pytest.raises(AttributeError) as err:
        d.no_such_thing  # noqa: B018
    assert not isinstance(err.value, SalesnbError)  # not a table: a plain attribute miss


# ------------------------------------------------------------------ as-of day
def test_rows_after_a_past_as_of_day_are_left_out(tiny, write):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    tiny["surveys"].loc[0, "survey_date"] = tomorrow.isoformat()
    src = write(tiny)
    d = sn.load(src, as_of="2025-06-01")
    q = d.quarantine.set_index("table")
    assert q.loc["orders", "rule"] == "after_as_of"  # O3, ordered 2025-07-01
    assert q.loc["orders", "message"] == "left out: after the as-of day 2025-06-01"
    assert q.loc["orders", "row"] == 5
    assert q.loc["surveys", "rule"] == "future_date"  # after today: a date in the future
    assert "after today" in q.loc["surveys", "message"]
    assert d.report.left_out() == {"orders": 1}
    assert d.report.exit_code == 1  # the future survey date is a fault of the data
    tiny["surveys"].loc[0, "survey_date"] = "2024-02-01"
    d = sn.load(write(tiny), as_of="2025-06-01")
    assert set(d.quarantine["rule"]) == {"after_as_of"}
    assert d.report.exit_code == 0  # rows left out for the as-of day are not a fault
    assert len(d.orders) == 3
    # as of today (the default): only future_date
    tiny["orders"].loc[3, "order_date"] = tomorrow.isoformat()
    d = sn.load(write(tiny))
    assert d.quarantine["rule"].tolist() == ["future_date"]
    assert d.report.left_out() == {}
    assert "after_as_of" in RULES


def test_data_end_is_the_last_event_day(tiny, write):
    d = sn.load(write(tiny), as_of=AS_OF)
    assert data_end(d) == dt.date(2025, 7, 1)  # the newest order
    d = sn.load(write({k: v for k, v in tiny.items() if k != "orders"}), as_of=AS_OF)
    assert data_end(d) == dt.date(2025, 5, 1)  # the newest lead (opportunities: 2024)
    d = sn.load(write({"reps": tiny["reps"], "products": tiny["products"]}), as_of=AS_OF)
    assert data_end(d) is None


def test_the_orders_only_export_with_a_mapping_file_validates_from_the_command_line(
        orders_only, tmp_path, capsys):
    import yaml

    from salesnb.cli import main

    src, mapping = orders_only
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(mapping), encoding="utf-8")
    assert main(["validate", str(src), "--mapping", str(path)]) == 0
    out = capsys.readouterr().out
    assert "note on orders: orders.unit_price: the file has none" in out
    assert "result: clean" in out


def test_write_orders_only_is_one_file(tmp_path):
    path = write_orders_only(tmp_path / "x", every=50)
    assert [p.name for p in path.parent.iterdir()] == ["superstore.csv"]
    assert ORDERS_ONLY_MAPPING["tables"]["customers"]["from"] == "orders"


def test_the_readme_mapping_for_an_orders_only_export_is_the_one_tested():
    import yaml

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    part = text.split("### An export of order lines only", 1)[1]
    block = part.split("```yaml", 1)[1].split("```", 1)[0]
    assert yaml.safe_load(block) == ORDERS_ONLY_MAPPING
