"""Loading and validation: every rule with a bad file, sources, encodings, the invariant."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest
from conftest import AS_OF, tiny_tables, write_tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import salesnb as sn
from salesnb.data.loader import close_connection, connection
from salesnb.data.sources import first_line
from salesnb.data.validation import RULES
from salesnb.errors import MappingError, PeriodError, SourceError, TableError


def test_tiny_dataset_is_clean(tiny, write):
    d = sn.load(write(tiny), as_of=AS_OF)
    assert d.report.exit_code == 0
    assert d.quarantine.empty
    assert set(d.tables) == set(sn.TABLES)
    for name, frame in tiny.items():
        assert len(d[name]) == len(frame), name


def test_types_are_parsed(tiny, write):
    d = sn.load(write(tiny), as_of=AS_OF)
    assert pd.api.types.is_datetime64_any_dtype(d.orders["order_date"])
    assert pd.api.types.is_float_dtype(d.orders["revenue"])
    assert pd.api.types.is_integer_dtype(d.orders["line_no"])
    assert d.orders["customer_id"].tolist() == ["C1", "C1", "C2", "C3"]
    assert d.reps.loc[0, "manager_id"] is None or pd.isna(d.reps.loc[0, "manager_id"])
    assert d.orders["revenue"].sum() == pytest.approx(30 + 22.95 + 150 + 95)


# (table, row index, column, bad value, expected rule)
BAD_CELLS = [
    ("orders", 1, "quantity", "three", "type"),
    ("orders", 2, "line_no", "1.5", "type"),
    ("orders", 1, "order_date", "31/02/2024", "type"),
    ("orders", 0, "customer_id", "", "required"),
    ("orders", 0, "quantity", "-1", "range"),
    ("orders", 3, "unit_price", "-9.5", "range"),
    ("orders", 2, "discount", "1.5", "range"),
    ("orders", 2, "discount", "-0.1", "range"),
    ("orders", 3, "customer_id", "C404", "foreign_key"),
    ("orders", 3, "product_id", "P404", "foreign_key"),
    ("orders", 3, "rep_id", "R404", "foreign_key"),
    ("orders", 1, "revenue", "99.99", "revenue"),
    ("orders", 3, "order_date", "2030-01-01", "future_date"),
    ("orders", 1, "line_no", "1", "duplicate_key"),
    ("customers", 2, "customer_id", "C1", "duplicate_key"),
    ("customers", 1, "owner_rep_id", "R404", "foreign_key"),
    ("customers", 0, "credit_rating", "AAA", "choice"),
    ("reps", 3, "role", "boss", "choice"),
    ("reps", 2, "manager_id", "R404", "foreign_key"),
    ("leads", 1, "status", "won", "choice"),
    ("leads", 0, "needs_score", "9", "range"),
    ("leads", 1, "outcome_date", "2024-01-01", "date_order"),
    ("opportunities", 0, "stage", "closing", "choice"),
    ("opportunities", 1, "lead_id", "L404", "foreign_key"),
    ("targets", 1, "period", "2024-01-01", "duplicate_key"),
    ("surveys", 0, "score", "11", "range"),
    ("products", 0, "list_price", "ten", "type"),
    ("competitors", 0, "estimated_revenue", "-5", "range"),
]


@pytest.mark.parametrize(("table", "idx", "column", "value", "rule"), BAD_CELLS,
                         ids=[f"{t}.{c}={v!r}->{r}" for t, _, c, v, r in BAD_CELLS])
def test_each_rule_quarantines_the_bad_row(tiny, write, table, idx, column, value, rule):
    tiny[table].loc[idx, column] = value
    d = sn.load(write(tiny), as_of=AS_OF)
    q = d.quarantine[d.quarantine["table"] == table]
    assert rule in set(q["rule"]), q
    hit = q[q["rule"] == rule].iloc[0]
    assert hit["row"] == idx + 2  # CSV line: header is line 1
    assert hit["file"].endswith(f"{table}.csv")
    assert column in hit["column"]
    assert len(d[table]) == len(tiny[table]) - 1
    counts = d.report.counts.set_index("table")
    assert counts.loc[table, "rows_read"] == len(tiny[table])
    assert counts.loc[table, "rows_quarantined"] == 1
    assert d.report.exit_code == 1


def test_every_rule_is_covered():
    tested = {r for *_, r in BAD_CELLS} | {"missing_column"}
    assert tested == set(RULES)


def test_quarantined_parent_cascades_to_children(tiny, write):
    tiny["customers"].loc[0, "credit_rating"] = "Z"  # C1 quarantined
    d = sn.load(write(tiny), as_of=AS_OF)
    fk = d.quarantine[(d.quarantine["table"] == "orders") & (d.quarantine["rule"] == "foreign_key")]
    assert sorted(fk["row"]) == [2, 3]  # both lines of order O1 belong to C1
    assert "C1" not in set(d.orders["customer_id"])


def test_missing_required_column_names_file_and_fix(tiny, write):
    src = write({"reps": tiny["reps"], "orders": tiny["orders"].drop(columns=["quantity"])})
    with pytest.raises(TableError) as err:
        sn.load(src, as_of=AS_OF)
    msg = str(err.value)
    assert "orders.csv" in msg and "quantity" in msg and "mapping" in msg
    report = sn.validate(src, as_of=AS_OF)
    assert report.exit_code == 2 and "orders" in report.errors


def test_missing_table_and_empty_file(tiny, write, tmp_path):
    src = write({"reps": tiny["reps"]})
    with pytest.raises(TableError, match="customers.*not found"):
        sn.load(src, tables=["customers"])
    (src / "orders.csv").write_text("")
    with pytest.raises(TableError, match="orders.*empty"):
        sn.load(src)
    empty = tmp_path / "nothing"
    empty.mkdir()
    with pytest.raises(TableError, match="no salesnb table"):
        sn.load(empty)
    with pytest.raises(SourceError, match="does not exist"):
        sn.load(tmp_path / "nope")


def test_absent_table_is_a_clear_attribute_error(tiny, write):
    d = sn.load(write({"reps": tiny["reps"]}), as_of=AS_OF)
    with pytest.raises(AttributeError, match="orders.*not in this data"):
        _ = d.orders
    skipped = sn.load(write({"reps": tiny["reps"], "customers": tiny["customers"],
                             "orders": tiny["orders"]}), as_of=AS_OF).report.skipped
    assert any("products" in s for s in skipped["orders"])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_encodings(tiny, write, encoding):
    tiny["customers"].loc[0, "name"] = "上海机械有限公司"
    tiny["customers"].loc[1, "industry"] = "制造业"
    src = write(tiny, encoding=encoding)
    raw = (src / "customers.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    d = sn.load(src, as_of=AS_OF)
    assert d.customers.loc[0, "name"] == "上海机械有限公司"
    assert d.customers.loc[1, "industry"] == "制造业"
    assert list(d.customers.columns[:2]) == ["customer_id", "name"]
    assert d.report.exit_code == 0


def test_gbk_bytes_late_in_a_large_file_are_detected(tiny, write):
    n = 100_000  # first megabyte is plain ASCII
    cust = pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)], "region": "North"})
    cust.loc[n - 1, "region"] = "华北"
    src = write({"customers": cust}, encoding="gbk")
    assert (src / "customers.csv").stat().st_size > 1 << 20
    d = sn.load(src)
    assert d.customers["region"].iloc[-1] == "华北"


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_excel_and_parquet_folders(tiny, write, fmt):
    tiny["orders"].loc[2, "line_no"] = "0"
    d = sn.load(write(tiny, fmt=fmt), as_of=AS_OF)
    q = d.quarantine
    assert list(q["rule"]) == ["range"]
    assert q.iloc[0]["row"] == (4 if fmt == "xlsx" else 3)
    assert len(d.orders) == 3


def test_excel_real_dates_and_numbers(tmp_path):
    frame = pd.DataFrame({"rep_id": ["R1"], "name": ["A"], "role": ["director"],
                          "manager_id": [None], "region": [None],
                          "hire_date": [pd.Timestamp("2020-05-06")]})
    path = tmp_path / "x"
    path.mkdir()
    frame.to_excel(path / "reps.xlsx", index=False)
    d = sn.load(path)
    assert d.reps.loc[0, "hire_date"] == pd.Timestamp("2020-05-06")


def test_duckdb_file_source(tiny, tmp_path):
    db = tmp_path / "sales.duckdb"
    with duckdb.connect(str(db)) as con:
        for name, frame in tiny.items():
            con.register("f", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM f")
            con.unregister("f")
        con.execute("UPDATE orders SET discount = '2' WHERE order_id = 'O2'")
    d = sn.load(db, as_of=AS_OF)
    assert len(d.orders) == 3
    assert d.quarantine.iloc[0][["table", "row", "rule"]].tolist() == ["orders", 3, "range"]
    assert d.quarantine.iloc[0]["file"].endswith("sales.duckdb:orders")


def test_mapping_renames_and_recodes(tiny, write, tmp_path):
    leads = tiny["leads"].rename(columns={"lead_id": "LeadNo", "created_date": "Created",
                                          "status": "Outcome"})
    leads["Outcome"] = ["Yes", "no", "pending"]
    leads["Created"] = ["01.01.2024", "01.02.2024", "01.05.2025"]
    leads["leftover"] = "x"
    src = write({"reps": tiny["reps"], "customers": tiny["customers"],
                 "leads": leads})
    (src / "leads.csv").rename(src / "crm_export.csv")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "tables:\n  leads:\n    file: crm_export.csv\n    drop: [leftover]\n"
        "    date_formats: ['%d.%m.%Y']\n"
        "    columns: {LeadNo: lead_id, Created: created_date, Outcome: status}\n"
        "    values: {status: {yes: converted, no: lost, pending: open}}\n",
        encoding="utf-8")
    d = sn.load(src, mapping, as_of=AS_OF)
    assert d.leads["status"].tolist() == ["converted", "lost", "open"]
    assert d.leads["created_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-01", "2024-02-01", "2025-05-01"]
    assert "leftover" not in d.leads.columns
    assert d.report.exit_code == 0


def test_header_names_match_loosely_and_extras_are_kept(tiny, write):
    orders = tiny["orders"].rename(columns={"order_id": "Order ID", "unit_price": "Unit-Price"})
    orders["channel"] = "web"
    d = sn.load(write({"orders": orders}), as_of=AS_OF)
    assert {"order_id", "unit_price", "channel"} <= set(d.orders.columns)


@pytest.mark.parametrize(("mapping", "match"), [
    ({"tables": {"order": {}}}, "unknown table"),
    ({"tables": {"orders": {"colums": {}}}}, "unknown option"),
    ({"tables": {"orders": {"columns": {"a": "order_id", "b": "order_id"}}}}, "several"),
    ({"tables": {"orders": {"columns": {"NoSuch": "order_id"}}}}, "does not have"),
    ({"tabels": {}}, "unknown key"),
])
def test_bad_mappings_are_clear(tiny, write, mapping, match):
    with pytest.raises(MappingError, match=match):
        sn.load(write({"orders": tiny["orders"]}), mapping, as_of=AS_OF)


def test_bad_mapping_file(tmp_path, tiny, write):
    bad = tmp_path / "m.yaml"
    bad.write_text("tables: [unclosed", encoding="utf-8")
    with pytest.raises(MappingError, match="not valid YAML"):
        sn.load(write(tiny), bad)
    with pytest.raises(MappingError, match="does not exist"):
        sn.load(write(tiny), tmp_path / "missing.yaml")


def test_revenue_and_discount_derived_when_absent(tiny, write):
    orders = tiny["orders"].drop(columns=["revenue", "discount"])
    d = sn.load(write({"orders": orders}), as_of=AS_OF)
    assert d.orders["discount"].eq(0).all()
    assert d.orders["revenue"].tolist() == [30.0, 25.5, 200.0, 95.0]


def test_as_of_defaults_to_today(tiny, write):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    tiny["surveys"].loc[0, "survey_date"] = tomorrow.isoformat()
    d = sn.load(write(tiny))
    assert d.quarantine["rule"].tolist() == ["future_date"]


def test_summary_and_pii(tiny, write):
    d = sn.load(write(tiny), as_of=AS_OF)
    s = d.summary()
    assert s.loc["orders", "rows_loaded"] == 4
    assert s.loc["orders", "first_date"] == pd.Timestamp("2024-01-10")
    assert "name" in d.customers.columns
    assert "name" not in d.without_pii().customers.columns
    assert "orders=4" in repr(d)


def test_online_retail_through_a_mapping(shared_retail_mapping):
    src, mapping = shared_retail_mapping
    d = sn.load(src, mapping, as_of=AS_OF)
    n_read = d.report.counts.set_index("table").loc["orders", "rows_read"]
    assert n_read == 5000
    assert len(d.orders) + d.quarantine["row"].nunique() == 5000
    missing = d.quarantine[d.quarantine["rule"] == "required"]
    assert (missing["column"] == "customer_id").all() and len(missing) > 100
    assert d.orders["order_date"].min() >= pd.Timestamp("2010-12-01")
    assert d.orders["order_date"].max() <= pd.Timestamp("2011-03-01")
    assert not d.orders["customer_id"].isna().any()
    assert "X" not in d.orders.columns and "description" in d.orders.columns


# --- the invariant: rows read == rows loaded + rows quarantined, per table -----------------

_cell = st.one_of(st.just(""), st.just("-1"), st.just("abc"), st.just("2030-01-01"),
                  st.just("1.5"), st.just("C1"), st.just("R404"), st.just("0"),
                  st.text(max_size=6))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_rows_are_conserved(tmp_path_factory, data):
    tables = tiny_tables()
    for _ in range(data.draw(st.integers(0, 8), label="n_edits")):
        name = data.draw(st.sampled_from(sorted(tables)), label="table")
        frame = tables[name]
        row = data.draw(st.integers(0, len(frame) - 1), label="row")
        col = data.draw(st.sampled_from(list(frame.columns)), label="column")
        frame.loc[row, col] = data.draw(_cell, label="value")
        if data.draw(st.booleans(), label="duplicate"):
            tables[name] = pd.concat([frame, frame.iloc[[row]]], ignore_index=True)
    src = write_tables(tables, tmp_path_factory.mktemp("prop"))
    report = sn.validate(src, as_of=AS_OF)
    for rec in report.counts.itertuples():
        assert rec.rows_read == len(tables[rec.table])
        assert rec.rows_read == rec.rows_loaded + rec.rows_quarantined
        qrows = report.quarantine.loc[report.quarantine["table"] == rec.table, "row"]
        assert qrows.nunique() == rec.rows_quarantined
    d_tables = set(report.counts["table"]) | set(report.errors)
    assert d_tables == set(tables)


def test_quoted_line_breaks_and_short_rows(tmp_path):
    src = tmp_path / "nl"
    src.mkdir()
    (src / "products.csv").write_text(
        'product_id,name,category,list_price\nP1,"Widget\nwith a note",tools,10\n'
        "P2,Gadget,tools\nP3,Gizmo,tools,5\n", encoding="utf-8")
    d = sn.load(src)
    assert d.products["name"].iloc[0] == "Widget\nwith a note"
    assert d.quarantine[["row", "column", "rule"]].values.tolist() == [[3, "list_price",
                                                                        "required"]]


def test_unreadable_csv_is_a_table_error(tmp_path):
    src = tmp_path / "bad"
    src.mkdir()
    (src / "products.parquet").write_bytes(b"PAR1 this is not really parquet PAR1")
    with pytest.raises(TableError, match=r"products \(.*products.parquet\): cannot be read"):
        sn.load(src)
    assert sn.validate(src).exit_code == 2


def test_query_runs_on_validated_rows_only(tiny, write):
    tiny["orders"].loc[3, "quantity"] = "-10"  # order O3 line quarantined
    src = write(tiny)
    frame, report = sn.query(src, "SELECT count(*) AS n, sum(revenue) AS rev FROM {orders}",
                             tables=["reps", "products", "customers", "orders"], as_of=AS_OF)
    assert frame["n"].tolist() == [3]
    assert frame["rev"].iloc[0] == pytest.approx(30 + 22.95 + 150)
    assert report.counts.set_index("table").loc["orders", "rows_quarantined"] == 1
    with pytest.raises(TableError, match="leads"):
        sn.query(src, "SELECT * FROM {leads}", tables=["orders"], as_of=AS_OF)


def test_as_of_may_be_iso_text(tiny, write):
    src = write(tiny)
    d = sn.load(src, as_of="2025-06-01")
    assert d.as_of == dt.date(2025, 6, 1)
    assert set(d.quarantine["rule"]) == {"future_date"}
    pd.testing.assert_frame_equal(d.quarantine,
                                  sn.load(src, as_of=dt.date(2025, 6, 1)).quarantine)
    with pytest.raises(PeriodError, match="as_of"):
        sn.load(src, as_of="first of June")


def test_quotes_in_names_and_codes_are_escaped(tiny, write):
    orders = tiny["orders"].copy()
    orders['note "x"'] = "it's"  # an extra column with a double quote in its name
    customers = tiny["customers"].copy()
    customers["industry"] = ["O'Brien & Co", "Retail", "Retail"]
    mapping = {"tables": {"customers": {"values": {"industry": {"o'brien & co": "Retail'"}}}}}
    d = sn.load(write({**tiny, "orders": orders, "customers": customers}), mapping,
                as_of=AS_OF, memory_limit="1GB")
    assert d.orders['note "x"'].tolist() == ["it's"] * 4
    assert d.customers["industry"].tolist() == ["Retail'", "Retail", "Retail"]


def test_first_line_of_an_error():
    assert first_line(ValueError("Binder Error: no column\nLINE 1: SELECT")) == (
        "Binder Error: no column")
    assert first_line(KeyError()) == "KeyError"


def test_shared_connection_is_visible_and_closable():
    close_connection()
    assert close_connection() is False  # nothing open
    con = connection()
    con.register("frame", pd.DataFrame({"x": [1, 2]}))
    assert con.sql("SELECT sum(x) FROM frame").fetchall() == [(3,)]
    other = connection()  # same database, own cursor: registered frames are private
    with pytest.raises(duckdb.CatalogException):
        other.sql("SELECT * FROM frame")
    con.execute("CREATE TABLE shared_t AS SELECT 1 AS y")
    assert other.sql("SELECT y FROM shared_t").fetchall() == [(1,)]
    fresh = connection(reset=True)  # a new database: the table is gone
    with pytest.raises(duckdb.CatalogException):
        fresh.sql("SELECT y FROM shared_t")
    assert close_connection() is True
    with pytest.raises(duckdb.Error):
        fresh.sql("SELECT 1").fetchall()  # cursors of a closed database stop working
    assert connection().sql("SELECT 1").fetchall() == [(1,)]  # the next call starts anew


def test_mapping_file_with_a_byte_order_mark(tiny, write, tmp_path):
    mapping = tmp_path / "excel_saved.yaml"  # Windows editors write a UTF-8 byte-order mark
    mapping.write_bytes(b"\xef\xbb\xbftables:\n  leads:\n    values: {status: {yes: converted}}\n")
    tiny["leads"]["status"] = ["yes", "lost", "open"]
    d = sn.load(write(tiny), mapping, as_of=AS_OF)
    assert d.leads["status"].tolist() == ["converted", "lost", "open"]
