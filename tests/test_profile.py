"""The data-quality report on order lines counted where they live (issue 18).

The report asks the engine for the order lines profiled per day, region and rep
(:data:`salesnb.data.schema.ORDER_PROFILE`): rows, filled values per column and possible
double entries. Every table and sentence of the report must be the one the lines give, for
every scope, and on messy lines too (gaps, a line entered twice).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import AS_OF

import salesnb as sn
from salesnb import quality as q
from salesnb.data.schema import DOUBLES, FILLED, ORDER_PROFILE, PROFILE
from salesnb.engine import LINES, engine_data, from_frames, profiled, rolled_orders
from salesnb.report.reporting import report_data

SCOPES = ["company", "region:East", "manager:R003", "rep:R010"]


def _pages(d) -> dict[str, object]:
    """Every table and sentence of the data-quality report for ``d``."""
    fresh = q.freshness(d, str(AS_OF))
    placed = q.place_quarantine(d)
    vol = q.monthly_volumes(d)
    return {"headline": q.headline(d, fresh), "overview": q.overview(d),
            "completeness": q.completeness(d), "placed": placed,
            "by_rule": q.quarantine_by_rule(d.report, placed),
            "examples": q.quarantine_examples(d.report, 3, placed=placed),
            "duplicates": q.duplicates(d, placed), "freshness": fresh, "volumes": vol,
            "gaps": q.volume_gaps(vol),
            "references": q.broken_references(d.report, placed=placed)}


@pytest.mark.parametrize("scope", SCOPES)
def test_a_scopes_data_quality_report_is_that_of_its_lines(scope):
    full = report_data("data", "", str(AS_OF), scope=scope)
    counted = report_data("data", "", str(AS_OF), scope=scope, rollup=ORDER_PROFILE,
                          profile=True)
    assert counted.grain["orders"][:3] == ORDER_PROFILE
    for name in PROFILE:  # counted in the engine, not fetched row by row
        assert name in counted.grain and len(counted[name]) < len(full[name]), name
        assert counted.line_count(name) == len(full[name]), name
    want, got = _pages(full), _pages(counted)
    for name, expected in want.items():
        if isinstance(expected, pd.DataFrame):
            pd.testing.assert_frame_equal(got[name], expected, check_dtype=False, obj=name)
        else:
            assert got[name] == expected, name
    if scope != "company":
        assert "of the loaded rows are in its scope" in got["headline"]


def _messy(lines: sn.SalesData) -> dict[str, pd.DataFrame]:
    """The sample's orders with gaps in optional columns and lines entered twice."""
    o = lines.orders.copy()
    rng = np.random.default_rng(7)
    for col, share in (("discount", 0.2), ("region", 0.05), ("customer_id", 0.03),
                       ("unit_price", 0.01)):
        o.loc[rng.random(len(o)) < share, col] = pd.NA
    twice = o.sample(50, random_state=7).assign(order_id=lambda f: f["order_id"] + "-again")
    return {**lines.tables, "orders": pd.concat([o, twice], ignore_index=True)}


def test_on_messy_lines_completeness_and_double_entries_are_the_lines(tmp_path):
    lines = sn.load("data", as_of=AS_OF)
    tables = _messy(lines)
    as_lines = dataclasses.replace(lines, tables=tables)
    with from_frames(tables) as e:
        profile = rolled_orders(e, ORDER_PROFILE, profile=True)
    as_counts = dataclasses.replace(
        lines, tables={**tables, "orders": profile},
        grain={"orders": tuple(c for c in profile.columns if c not in
                               (LINES, DOUBLES, "revenue", "quantity")
                               and not c.startswith(FILLED))})
    assert "customer_id" in as_counts.grain["orders"]  # the buyers' rows carry it
    assert as_counts.line_count("orders") == len(tables["orders"])
    pd.testing.assert_frame_equal(q.completeness(as_counts), q.completeness(as_lines))
    assert q.completeness(as_lines).query("table == 'orders' and column == 'discount'")[
        "missing"].iloc[0] > 0
    dup = q.duplicates(as_counts).set_index("table")["possible_double_entries"]
    assert dup["orders"] == q.duplicates(as_lines).set_index("table").loc[
        "orders", "possible_double_entries"]
    assert dup["orders"] >= 50  # the lines entered twice, and the sample's own
    pd.testing.assert_frame_equal(q.monthly_volumes(as_counts), q.monthly_volumes(as_lines),
                                  check_dtype=False)


def test_a_profile_row_without_lines_says_who_bought_from_whom(tmp_path):
    lines = sn.load("data", as_of=AS_OF)
    with from_frames(lines.tables) as e:
        profile = rolled_orders(e, ORDER_PROFILE, profile=True)
    buyers = profile[profile[LINES] == 0]
    pairs = lines.orders[["region", "rep_id", "customer_id"]].drop_duplicates()
    assert len(buyers) == len(pairs)
    assert buyers["order_date"].isna().all() and (buyers["revenue"] == 0).all()
    assert profile.loc[profile[LINES] > 0, "customer_id"].isna().all()
    assert profile[LINES].sum() == len(lines.orders)


def test_a_profile_carries_no_marks():
    lines = sn.load("data", as_of=AS_OF)
    with from_frames(lines.tables) as e, pytest.raises(ValueError, match="no marks"):
        rolled_orders(e, ORDER_PROFILE, profile=True, marks=True)


def test_every_profiled_table_gives_the_rows_completeness_and_doubles(tmp_path):
    lines = sn.load("data", as_of=AS_OF)
    tables = dict(lines.tables)
    leads = tables["leads"].copy()
    leads.loc[leads.index[::7], "industry"] = pd.NA
    tables["leads"] = pd.concat([leads, leads.head(9).assign(
        lead_id=lambda f: f["lead_id"] + "-again")], ignore_index=True)
    as_lines = dataclasses.replace(lines, tables=tables)
    with from_frames(tables) as e:
        counted = engine_data(e, grain=PROFILE, as_of=AS_OF, profile=True)
        assert profiled(e, "leads", PROFILE["leads"])[LINES].sum() == len(tables["leads"])
    counted = dataclasses.replace(counted, report=lines.report)
    pd.testing.assert_frame_equal(q.completeness(counted), q.completeness(as_lines))
    pd.testing.assert_frame_equal(q.duplicates(counted), q.duplicates(as_lines))
    assert q.duplicates(counted).set_index("table").loc["leads", "possible_double_entries"] >= 9
    pd.testing.assert_frame_equal(q.freshness(counted, str(AS_OF)),
                                  q.freshness(as_lines, str(AS_OF)), check_dtype=False)
    assert len(counted.leads) < len(tables["leads"])


def test_without_a_profile_only_orders_are_summed():
    lines = sn.load("data", as_of=AS_OF)
    with from_frames(lines.tables) as e, pytest.raises(ValueError, match="profile=True"):
        engine_data(e, grain={"leads": PROFILE["leads"]})
