"""salesnb.forecast.series: regular series from order lines, a CSV file or DuckDB."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

import salesnb as sn
from salesnb.errors import ColumnError, SalesnbError
from salesnb.forecast.models import forecast
from salesnb.forecast.series import read_series, sales_series, sales_series_sql


@pytest.fixture(scope="module")
def sample():
    return sn.load(ROOT / "data", tables=["products", "orders"])


def test_sales_series_monthly_total_and_regions(sample) -> None:
    orders = sample.orders
    total = sales_series(orders)
    assert list(total.columns) == ["total"]
    assert total.index.freqstr == "MS"
    assert total["total"].sum() == pytest.approx(orders["revenue"].sum(), rel=1e-9)
    jan = orders[(orders["order_date"] >= "2024-01-01") & (orders["order_date"] < "2024-02-01")]
    assert total.loc["2024-01-01", "total"] == pytest.approx(jan["revenue"].sum())
    regions = sales_series(orders, by="region")
    assert regions.shape[1] == orders["region"].nunique()
    assert np.allclose(regions.sum(axis=1), total["total"])
    cats = sales_series(orders, by="category", products=sample.products)
    assert np.allclose(cats.sum(axis=1), total["total"])
    qty = sales_series(orders, freq="QS", value="quantity")
    assert qty["total"].sum() == pytest.approx(orders["quantity"].sum())
    assert qty.index.freqstr.startswith("QS")


def test_sales_series_zero_fills_gaps() -> None:
    orders = pd.DataFrame({
        "order_date": pd.to_datetime(["2024-01-03", "2024-01-20", "2024-04-02", "2024-04-09"]),
        "revenue": [10.0, 5.0, -3.0, 7.0],
        "region": ["N", "S", "N", "N"],
        "product_id": ["P1", "P2", "P1", "P3"],
    })
    m = sales_series(orders, by="region")
    assert m.index.tolist() == list(pd.date_range("2024-01-01", "2024-04-01", freq="MS"))
    assert m.loc["2024-02-01"].tolist() == [0.0, 0.0]
    assert m.loc["2024-04-01", "N"] == 4.0
    w = sales_series(orders, freq="W")
    assert w.index[0] == pd.Timestamp("2024-01-01")  # the Monday of the first week
    assert w["total"].sum() == pytest.approx(19.0)
    assert (w.index.day_of_week == 0).all() and (w["total"] == 0).sum() > 5
    d = sales_series(orders, freq="D")
    assert len(d) == (pd.Timestamp("2024-04-09") - pd.Timestamp("2024-01-03")).days + 1
    products = pd.DataFrame({"product_id": ["P1", "P2"], "category": ["a", "b"]})
    c = sales_series(orders, by="category", products=products)
    assert set(c.columns) == {"a", "b", "(unknown)"}
    with pytest.raises(SalesnbError, match="products"):
        sales_series(orders, by="category")
    with pytest.raises(SalesnbError):
        sales_series(orders, freq="H")
    # a column of sales_series feeds forecast directly
    fc = forecast(m["N"], horizon=2)
    assert len(fc.frame) == 2


def test_sales_series_names_missing_columns() -> None:
    orders = pd.DataFrame({"order_date": pd.to_datetime(["2024-01-03"]), "revenue": [1.0]})
    with pytest.raises(ColumnError, match="orders has no column 'region'"):
        sales_series(orders, by="region")
    with pytest.raises(ColumnError, match="products has no column 'category'"):
        sales_series(orders.assign(product_id="P1"), by="category",
                     products=pd.DataFrame({"product_id": ["P1"]}))


def test_read_series_decimal_years(tmp_path):
    f = tmp_path / "s.csv"
    f.write_text("time,value\n1982.25,1\n1982.3333333,2\n1982.5,4\n", encoding="utf-8")
    frame = read_series(f)
    assert frame.index.tolist() == list(pd.date_range("1982-04-01", periods=4, freq="MS"))
    assert frame["value"].tolist() == [1.0, 2.0, 0.0, 4.0]  # the missing month is zero


def test_read_series_rejects_times_that_are_not_dates(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,value\n2024-01,1\nsoon,2\n", encoding="utf-8")
    with pytest.raises(SalesnbError, match="not dates or decimal"):
        read_series(bad)


def test_read_series_refuses_a_value_that_is_not_a_number(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,value\n2024-01,1\n2024-02,x\n2024-03,\n2024-04,4\n", encoding="utf-8")
    with pytest.raises(SalesnbError, match=r"not numbers on line\(s\) 3 \(e.g. 'x'\)"):
        read_series(bad)  # a typo is not a month of zero sales
    bad.write_text("time,value\n2024-01,1\n2024-03,\n", encoding="utf-8")
    assert read_series(bad)["value"].tolist() == [1.0, 0.0, 0.0]  # empty: no sales


@pytest.mark.parametrize("text", ["value\n1\n2\n", "time\n2024-01\n"])
def test_read_series_of_one_column_says_what_it_needs(tmp_path, text):
    one = tmp_path / "one.csv"
    one.write_text(text, encoding="utf-8")
    with pytest.raises(SalesnbError, match="expected a time column and a value column, found "
                       rf"\['{text.split()[0]}'\]"):
        read_series(one)


def test_read_series_of_an_empty_file_says_so(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(SalesnbError, match="the file is empty"):
        read_series(empty)


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_read_series_finds_the_separator(tmp_path, sep):
    f = tmp_path / "s.csv"
    f.write_text(f"month{sep}sales\n2024-01{sep}10\n2024-02{sep}12.5\n", encoding="utf-8")
    assert read_series(f)["sales"].tolist() == [10.0, 12.5]


@pytest.mark.parametrize(("freq", "by"), [("MS", None), ("MS", "region"), ("QS", "category"),
                                          ("W", "rep_id")])
def test_sales_series_pushed_down_to_duckdb_matches_pandas(freq, by):
    d = sn.load("data", tables=["reps", "products", "customers", "orders"])
    expected = sales_series(d.orders, freq=freq, by=by, products=d.products)
    got = sales_series_sql("data", freq=freq, by=by)
    pd.testing.assert_frame_equal(got, expected, check_freq=True, rtol=1e-9)
