"""Order lines summed where they live (issue 18): a report that reads them only as sums.

The forecast report asks the engine for its order lines summed per day, region, product and
rep (:data:`salesnb.data.schema.ORDER_ROLLUP`): its history, figures and scopes must be
those of the lines themselves.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import AS_OF

import salesnb as sn
from salesnb.data.schema import ORDER_ROLLUP as ROLLUP
from salesnb.engine import LINES, engine_data, from_frames, open_engine, rolled_orders, rollup_keys
from salesnb.errors import SalesnbError
from salesnb.forecast.defaults import REPORT_TABLES
from salesnb.forecast.history import scope_history
from salesnb.report import reporting
from salesnb.report.reporting import report_data


@pytest.fixture(scope="module")
def lines():
    return sn.load("data", as_of=AS_OF)


@pytest.fixture(scope="module")
def rolled():
    with open_engine("data", as_of=AS_OF) as e:
        return engine_data(e, grain={"orders": ROLLUP}, as_of=AS_OF)


def test_the_rolled_orders_are_the_lines_summed_per_day_and_key(lines, rolled):
    keys = list(ROLLUP)
    expected = (lines.orders.assign(**{LINES: 1})
                .groupby(keys, dropna=False, sort=True)[["revenue", "quantity", LINES]].sum()
                .reset_index())
    got = rolled.orders
    assert list(got.columns) == [*keys, "revenue", "quantity", LINES]
    assert len(got) < len(lines.orders)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9)
    assert rolled.grain == {"orders": tuple(keys)}
    assert rolled.line_count("orders") == len(lines.orders)
    assert rolled.line_count("customers") == len(lines.customers)


def test_the_other_tables_come_as_load_types_them(lines, rolled):
    for name, frame in lines.tables.items():
        if name == "orders":
            continue
        got = rolled[name]
        assert dict(got.dtypes) == dict(frame.dtypes), name
        pd.testing.assert_frame_equal(got, frame, obj=name)
    pd.testing.assert_frame_equal(rolled.report.counts, lines.report.counts)


def test_the_keys_keep_the_customer_when_a_scope_places_rows_through_it(lines):
    no_region = {**lines.tables, "orders": lines.orders.drop(columns=["region"])}
    no_owner = {**lines.tables, "customers": lines.customers.drop(columns=["owner_rep_id"])}
    with from_frames(lines.tables) as e:
        assert rollup_keys(e, ROLLUP) == list(ROLLUP)
    with from_frames(no_region) as e:
        assert rollup_keys(e, ROLLUP) == ["order_date", "product_id", "rep_id", "customer_id"]
        assert "customer_id" in rolled_orders(e, ROLLUP).columns
    with from_frames(no_owner) as e:
        assert rollup_keys(e, ROLLUP)[-1] == "customer_id"


def test_only_orders_roll_up(lines):
    with from_frames(lines.tables) as e, pytest.raises(ValueError, match="only orders"):
        engine_data(e, grain={"leads": ["created_date"]})


@pytest.mark.parametrize("scope", ["company", "region:East", "manager:R003", "rep:R010"])
def test_a_scopes_forecast_history_and_figures_are_those_of_its_lines(scope):
    full = report_data("data", "", str(AS_OF), scope=scope)
    summed = report_data("data", "", str(AS_OF), scope=scope, tables=list(REPORT_TABLES),
                         rollup=ROLLUP)
    assert set(summed.tables) == set(REPORT_TABLES)
    for by in ("region", "category"):
        a, b = scope_history(full, by), scope_history(summed, by)
        pd.testing.assert_frame_equal(b.frame, a.frame, rtol=1e-9)
        assert (b.note, b.part_month) == (a.note, a.part_month)
        if a.company is None:
            assert b.company is None
        else:
            pd.testing.assert_series_equal(b.company, a.company, rtol=1e-9)
    totals_full, totals_summed = reporting._scope_totals(full), reporting._scope_totals(summed)
    assert totals_summed["lines"] == totals_full["lines"] > 0
    assert totals_summed["revenue"] == pytest.approx(totals_full["revenue"], abs=0.011)
    assert {t: totals_summed["rows"][t] for t in REPORT_TABLES} == {
        t: totals_full["rows"][t] for t in REPORT_TABLES}


def test_an_unknown_engine_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("SALESNB_ENGINE", "oracle")
    with pytest.raises(SalesnbError, match="SALESNB_ENGINE='oracle'.*duckdb.*spark"):
        report_data("data", "", str(AS_OF), rollup=ROLLUP)


def test_spark_takes_no_mapping(monkeypatch, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("orders: {}\n", encoding="utf-8")
    monkeypatch.setenv("SALESNB_ENGINE", "spark")
    with pytest.raises(SalesnbError, match="mapping.*Spark"):
        report_data("data", str(mapping), str(AS_OF), rollup=ROLLUP)


def test_a_memory_limit_caps_duckdb_and_gives_it_a_folder_to_spill_to(monkeypatch):
    import duckdb

    from salesnb.data.validated import duckdb_config

    monkeypatch.delenv("SALESNB_MEMORY_LIMIT", raising=False)
    assert "memory_limit" not in duckdb_config()
    monkeypatch.setenv("SALESNB_MEMORY_LIMIT", "1GB")
    config = duckdb_config()
    assert config["memory_limit"] == "1GB" and "salesnb-duckdb-" in config["temp_directory"]
    with duckdb.connect(config=config) as con:
        limit = con.sql("SELECT current_setting('memory_limit')").fetchone()[0]
    assert limit.replace(" ", "") in ("953.6MiB", "1.0GB", "1GB", "953.7MiB")


def test_run_refuses_a_memory_limit_that_is_not_a_size(capsys):
    from salesnb.cli import main

    assert main(["run", "02_sales_forecast", "--memory-limit", "lots"]) == 2
    err = capsys.readouterr().err
    assert "--memory-limit 'lots'" in err and "4GB" in err and "Traceback" not in err


@pytest.mark.parametrize("scope", ["company", "region:East", "manager:R003", "rep:R010"])
def test_a_scopes_assessment_from_summed_lines_is_that_of_its_lines(scope):
    from salesnb import assessment as A
    from salesnb.assessment.scoped import assess

    full = report_data("data", "", str(AS_OF), scope=scope)
    summed = report_data("data", "", str(AS_OF), scope=scope, rollup=ROLLUP, marks=True)
    assert {"order_count", "order_sq", "new_customers"} <= set(summed.orders.columns)
    for freq in ("M", "Q", "Y"):
        pd.testing.assert_frame_equal(A.counts(summed, freq=freq), A.counts(full, freq=freq),
                                      rtol=1e-9)
    a, b = assess(full, ""), assess(summed, "")
    pd.testing.assert_frame_equal(b.card.table, a.card.table, rtol=1e-9)
    pd.testing.assert_frame_equal(b.payouts, a.payouts, rtol=1e-9)


def test_a_reps_new_customers_are_the_same_on_every_page_that_shows_the_rep(lines):
    from salesnb import assessment as A
    from salesnb.scope import apply_scope

    company = A.counts(lines, freq="Q")
    east = A.counts(apply_scope(lines, "region:East"), freq="Q")
    reps = east.index.get_level_values("rep_id").unique()
    mine = company.loc[company.index.get_level_values("rep_id").isin(reps), "new_customers"]
    pd.testing.assert_series_equal(east["new_customers"], mine)
    assert mine.sum() > 0
