"""The forecast report's views: coherent group forecasts, growth table, pipeline view."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from IPython.display import Markdown

import salesnb as sn
from salesnb import forecast as fc
from salesnb.forecast.views import (
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


def test_the_report_runs_on_an_external_series(tmp_path):
    from conftest import SHARED

    from salesnb.report.runner import plan_runs, run_reports

    path = SHARED / "series" / "shampoo_monthly.csv"
    if not path.exists():
        pytest.skip("shared/data is not beside this checkout")
    frame = fc.read_series(path)
    assert frame.shape == (36, 1) and frame.index[0] == pd.Timestamp("1991-01-01")
    result = run_reports(plan_runs(["02_sales_forecast"], params={"series_file": str(path),
                                                                  "horizon": "6"}),
                         out=tmp_path / "out")
    assert result.status == "ok", result.failure_message()
    page = (result.run_dir / "02_sales_forecast.html").read_text(encoding="utf-8")
    assert "Sales" in page and "pipeline view needs them" in page


def test_read_series_decimal_years(tmp_path):
    f = tmp_path / "s.csv"
    f.write_text("time,value\n1982.25,1\n1982.3333333,2\n1982.5,4\n", encoding="utf-8")
    frame = fc.read_series(f)
    assert frame.index.tolist() == list(pd.date_range("1982-04-01", periods=4, freq="MS"))
    assert frame["value"].tolist() == [1.0, 2.0, 0.0, 4.0]  # the missing month is zero
