"""The forecast report's views: coherent group forecasts, growth table, pipeline view."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from IPython.display import Markdown

import salesnb as sn
from salesnb import forecast as fc
from salesnb.forecast_views import (
    coherent_forecasts,
    findings_markdown,
    forecast_table,
    forecast_view,
    latest_growth,
    pipeline_view,
    won_series,
)


@pytest.fixture(scope="module")
def data():
    return sn.load("data", tables=["products", "orders", "opportunities", "customers", "reps",
                                   "leads"])


def test_group_forecasts_add_up_to_the_total(data):
    monthly = fc.sales_series(data.orders, by="region")
    coherent, used = coherent_forecasts(monthly, horizon=4)
    groups = sum(coherent[str(c)]["mean"] for c in monthly.columns)
    assert np.allclose(groups, coherent["total"]["mean"])
    assert set(used) == {str(c) for c in monthly.columns}
    table = forecast_table(coherent, level=80)
    assert len(table) == 4 and "total low 80%" in table.columns
    assert (table["total low 80%"] <= table["total"]).all()


def test_latest_growth_and_findings(data):
    monthly = fc.sales_series(data.orders, by="region")
    growth = latest_growth(monthly)
    recent = monthly.tail(3).sum().sum()
    assert growth.loc["total", "last 3 months"] == pytest.approx(recent)
    assert isinstance(findings_markdown(monthly), Markdown)
    short = findings_markdown(monthly.tail(6))
    assert "Not enough history" in short.data or short.data.startswith("- ")


def test_forecast_view_by_category(data):
    summary, fig, _table = forecast_view(3, "category", "seasonal_naive", 95,
                                         orders=data.orders, products=data.products)
    assert "Forecast" in summary.data and "seasonal_naive" in summary.data
    assert len(fig.axes) >= 2


def test_pipeline_view_compares_like_with_like(data):
    opp = data.opportunities
    won = won_series(opp, as_of=pd.Timestamp("2025-12-31").date())
    expected = opp.loc[opp["stage"] == "won", "amount"].sum()
    assert won.sum() == pytest.approx(expected)
    fig, _table = pipeline_view(data.orders, opp, months=3, weight=0.5)
    assert "Won deals" in fig.axes[0].get_title()
