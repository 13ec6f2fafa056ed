"""The product report's periods and filters, from its text parameters."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import AS_OF, ROOT

import salesnb as sn
from salesnb.errors import PeriodError, SalesnbError
from salesnb.products import selection as ps


@pytest.fixture(scope="module")
def sample():
    return sn.load(ROOT / "data", as_of=AS_OF)


def test_periods_defaults_and_overrides(sample):
    base, current = ps.periods(sample.orders)
    assert [str(x) for x in (*base, *current)] == ["2024-01-01", "2024-12-31", "2025-01-01",
                                                    "2025-12-31"]
    base, current = ps.periods(sample.orders, current_start="2025-04-01",
                               current_end="2025-06-30")
    assert [str(x) for x in base] == ["2024-04-01", "2024-06-30"]
    with pytest.raises(SalesnbError, match="both current_start and current_end"):
        ps.periods(sample.orders, current_start="2025-04-01")


def test_filter_orders_names_the_available_values(sample):
    east = ps.filter_orders(sample.orders, sample.products, "East", "Printing")
    assert set(east["region"]) == {"East"}
    assert set(east["product_id"]) <= set(
        sample.products.loc[sample.products["category"] == "Printing", "product_id"])
    with pytest.raises(SalesnbError, match="regions are: Central, East"):
        ps.filter_orders(sample.orders, sample.products, "Mars")

def test_periods_check_what_they_are_given(sample):
    base, _ = ps.periods(sample.orders, base_start="2023-01-01", current_start="2025-01-01",
                         current_end="2025-06-30")
    assert [str(x) for x in base] == ["2023-01-01", "2024-06-30"]  # end: a year earlier
    with pytest.raises(PeriodError, match="current=.*last day is before the first"):
        ps.periods(sample.orders, current_start="2025-06-30", current_end="2025-01-01")
    with pytest.raises(PeriodError, match="base_start=.someday. is not a day"):
        ps.periods(sample.orders, base_start="someday", current_start="2025-01-01",
                   current_end="2025-06-30")


def test_filter_competitors_like_the_orders(sample):
    east = ps.filter_competitors(sample.competitors, "East", "Printing")
    assert set(east["region"]) == {"East"} and set(east["category"]) == {"Printing"}
    assert len(ps.filter_competitors(sample.competitors)) == len(sample.competitors)
    assert ps.filter_competitors(None, "East") is None
    assert ps.options(pd.Series(["b", None, "a", "b"])) == ["a", "b"]
    with pytest.raises(SalesnbError, match="categories are: .*Printing"):
        ps.filter_orders(sample.orders, sample.products, category="Nothing")
