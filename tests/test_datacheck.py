"""Parameter values checked against the data before any kernel starts; the as-of day; cut tables.

A region, category or period the data does not hold is refused by ``salesnb run`` (exit 2)
with the values that exist; the report's as-of day is the data's own when the data ended long
ago; a table cut to its first rows says so and exports the rest.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesnb.cli import main
from salesnb.report.catalog import notebook_spec
from salesnb.report.datacheck import DataValues, check_data_values, data_values
from salesnb.report.params import ParameterError, validate_params
from salesnb.report.reporting import data_sentence, settle_as_of, show

FOUND = DataValues({"region": ["East", "North", "South", "West"],
                    "category": ["Computers", "Networking"], "rep": ["R001", "R002"]},
                   dt.date(2023, 1, 1), dt.date(2025, 12, 31))


def _check(name, **values):
    spec = notebook_spec(name)
    params = validate_params(spec, {k: str(v) for k, v in values.items()})
    check_data_values([(spec, params)], reader=lambda *a, **k: FOUND)


@pytest.mark.parametrize("period", ["2025", "2023", "2025Q4", "2023Q1", "2025-12", "2024-02"])
def test_periods_inside_the_data_pass(period):
    _check("05_rep_assessment", period=period)


@pytest.mark.parametrize("period", ["2022", "2026Q1", "2022-12", "2030"])
def test_a_period_outside_the_data_is_refused_with_the_range(period):
    with pytest.raises(ParameterError, match="outside the data: the orders run from "
                       "2023-01-01 to 2025-12-31 .2023Q1 to 2025Q4."):
        _check("05_rep_assessment", period=period)


@pytest.mark.parametrize("period", ["25Q4", "2025Q5", "2025-13", "last year", "2025-1-1x"])
def test_a_period_that_is_no_period_is_refused(period):
    with pytest.raises(ParameterError, match="period"):
        _check("05_rep_assessment", period=period)


def test_unknown_region_and_category_name_the_values_that_exist():
    with pytest.raises(ParameterError, match="region='Nort' of 04_product_region is not in "
                       "the data; its regions are: East, North, South, West"):
        _check("04_product_region", region="Nort")
    with pytest.raises(ParameterError, match="its categories are: Computers, Networking"):
        _check("04_product_region", category="Phones")
    with pytest.raises(ParameterError, match="'Mars'"):
        check_data_values([(notebook_spec("01_lead_scoring"),
                            {"regions": ["East", "Mars"]})], reader=lambda *a, **k: FOUND)


def test_case_and_all_and_empty_values_pass_without_reading_the_data():
    _check("04_product_region", region="east", category="computers")

    def never(*_a, **_k):
        raise AssertionError("the data was read for default values")

    spec = notebook_spec("04_product_region")
    check_data_values([(spec, validate_params(spec, {"region": "All"}))],
                      reader=never)
    spec = notebook_spec("05_rep_assessment")
    check_data_values([(spec, validate_params(spec, {}))], reader=never)


def test_a_kind_the_data_does_not_have_is_left_to_the_report():
    spec = notebook_spec("04_product_region")
    check_data_values([(spec, validate_params(spec, {"category": "Phones"}))],
                      reader=lambda *a, **k: DataValues({"region": ["East"]}))


def test_data_values_of_the_sample():
    found = data_values("data")
    regions = set()
    for table in ("orders", "customers", "reps", "leads"):
        regions |= set(pd.read_csv(f"data/{table}.csv", usecols=["region"])["region"].dropna())
    assert found.values["region"] == sorted(regions)
    orders = pd.read_csv("data/orders.csv", usecols=["order_date", "rep_id"])
    assert found.first == dt.date.fromisoformat(orders["order_date"].min())
    assert found.last == dt.date.fromisoformat(orders["order_date"].max())
    products = pd.read_csv("data/products.csv")
    assert found.values["category"] == sorted(products["category"].unique())
    assert set(orders["rep_id"].dropna()) <= set(found.values["rep"])


def test_data_values_of_an_orders_only_export(orders_only, tmp_path):
    src, mapping = orders_only
    found = data_values(src, _mapping_file(tmp_path, mapping))
    assert found.values["rep"] == []  # no reps at all: a rep asked for is refused
    lines = pd.read_csv(src / "superstore.csv")
    assert found.values["region"] == sorted(lines["Region"].unique())
    assert found.values["category"] == sorted(lines["Category"].unique())


def _mapping_file(tmp_path, mapping):
    path = tmp_path / "m.yaml"
    path.write_text(json.dumps(mapping), encoding="utf-8")
    return path


def test_the_command_refuses_before_any_kernel(tmp_path, capsys):
    code = main(["run", "04_product_region", "-p", "region", "Atlantis", "--out",
                 str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "region='Atlantis' of 04_product_region is not in the data; its " \
        "regions are: Central, East, North, South, West" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


# --- the as-of day ---------------------------------------------------------------------------

def _data(end: dt.date, as_of: dt.date, after: int = 0):
    from salesnb.data.loader import SalesData, ValidationReport

    orders = pd.DataFrame({"order_id": ["1", "2"],
                           "order_date": pd.to_datetime([end - dt.timedelta(days=40), end])})
    quarantine = pd.DataFrame({"table": ["orders"] * after, "row": range(2, 2 + after),
                               "rule": ["after_as_of"] * after})
    report = ValidationReport("x", pd.DataFrame(), quarantine, {}, {}, {})
    return SalesData({"orders": orders}, report, "x", as_of)


def test_old_data_is_reported_as_of_its_last_day():
    today = dt.date(2026, 12, 1)
    data, record = settle_as_of(_data(dt.date(2025, 12, 30), today), chosen=False, today=today)
    assert data.as_of == dt.date(2025, 12, 30)
    assert record == {"as_of": "2025-12-30", "data_through": "2025-12-30", "age_days": 336,
                      "chosen": "data", "left_out": 0}
    assert data_sentence(record).startswith("Data through **30 Dec 2025** (336 days old): the "
                                            "report is as of that day")


def test_fresh_data_is_reported_as_of_today():
    today = dt.date(2026, 12, 1)
    data, record = settle_as_of(_data(dt.date(2026, 11, 28), today), chosen=False, today=today)
    assert data.as_of == today and record["chosen"] == "today"


def test_an_as_of_given_is_kept_and_rows_after_it_counted():
    today = dt.date(2026, 12, 1)
    data, record = settle_as_of(_data(dt.date(2025, 6, 30), dt.date(2025, 6, 30), after=12),
                                chosen=True, today=today)
    assert data.as_of == dt.date(2025, 6, 30) and record["left_out"] == 12
    assert "12 rows dated after it were left out" in data_sentence(record)


# --- tables cut short ------------------------------------------------------------------------

def test_a_cut_table_says_so_and_exports_the_rest(tmp_path, monkeypatch):
    from salesnb.paths import ARTIFACTS_ENV

    frame = pd.DataFrame({"product_id": [f"P{i}" for i in range(124)], "revenue": range(124)})
    html = show(frame, top=15, full_name="products").to_html()
    assert "15 of 124 shown" in html and "scheduled run" in html
    assert html.count("<tr>") == 16  # header + 15 rows
    monkeypatch.setenv(ARTIFACTS_ENV, str(tmp_path))
    html = show(frame, top=15, full_name="products").to_html()
    assert '<a href="products.csv">products.csv</a>' in html
    assert pd.read_csv(tmp_path / "products.csv").equals(frame)
    assert "shown" not in show(frame.head(15), top=15, full_name="x").to_html()


@pytest.mark.parametrize(("name", "value", "ok"), [
    ("base_start", "2024", True), ("base_end", "2024Q4", True), ("current_start", "2025-01", True),
    ("current_end", "2025-12-31", True), ("current_end", "2026-06-30", True),  # a day: kept
    ("base_start", "2019Q1", False), ("current_start", "2026", False),
])
def test_product_periods_take_days_or_periods_inside_the_data(name, value, ok):
    if ok:
        _check("04_product_region", **{name: value})
    else:
        with pytest.raises(ParameterError, match="outside the data"):
            _check("04_product_region", **{name: value})


@pytest.mark.parametrize("value", ["2024Q5", "24Q1", "2024-1-1", "Q1", " "])
def test_a_product_period_that_is_neither_day_nor_period_is_refused(value):
    spec = notebook_spec("04_product_region")
    if not value.strip():
        assert validate_params(spec, {"base_start": value})["base_start"] == ""
        return
    with pytest.raises(ParameterError, match="a date like 2025-12-31 or a period"):
        validate_params(spec, {"base_start": value})


_TEXT = st.one_of(st.text(max_size=12), st.from_regex(r"\A20[0-9]{2}(Q[0-9]|-[0-9]{1,2})?\Z"),
                  st.sampled_from(["", " ", "all", "ALL", "2025Q4", "2025-12", "2025"]))


@settings(max_examples=300, deadline=None)
@given(period=_TEXT, region=_TEXT, category=_TEXT)
def test_any_text_is_accepted_or_refused_with_a_parameter_error(period, region, category):
    """Fuzz: every value either passes both checks or raises ParameterError, nothing else."""
    for name, values in (("05_rep_assessment", {"period": period}),
                         ("04_product_region", {"region": region, "category": category,
                                                "base_start": period})):
        spec = notebook_spec(name)
        try:
            params = validate_params(spec, values)
            check_data_values([(spec, params)], reader=lambda *a, **k: FOUND)
        except ParameterError as exc:
            assert str(exc).startswith(("parameter ", f"{name}: parameter "))
