"""salesnb.forecast.views: the forecast report's wiring (findings, forecast panel, pipeline)."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import SHARED
from IPython.display import Markdown

import salesnb as sn
from salesnb import forecast as fc
from salesnb.core.fmt import number
from salesnb.errors import PeriodError
from salesnb.forecast.views import (
    findings_markdown,
    forecast_cache,
    forecast_view,
    pipeline_view,
    series_frame,
)


@pytest.fixture(scope="module")
def data():
    return sn.load("data", tables=["products", "orders", "opportunities", "customers", "reps",
                                   "leads"])


def test_findings_markdown(data):
    monthly = fc.sales_series(data.orders, by="region")
    full = findings_markdown(monthly)
    assert isinstance(full, Markdown)
    lines = full.data.splitlines()
    assert lines == [f"- {s}" for s in fc.findings(monthly)] and len(lines) >= 3
    short = findings_markdown(monthly.tail(6))  # 6 months: no year-over-year comparison
    assert short.data == ("*Year-over-year findings need 15 months (the last 3 and the same "
                          "months a year earlier); the data has 6 complete months.*")
    middle = findings_markdown(monthly.tail(20)).data  # year over year, but no season
    assert middle.endswith("\n\n*The seasonal peak needs 24 months; the data has 20 "
                           "complete months.*")
    assert "peaks in" not in middle and middle.startswith("- In total")


def test_series_frame_by_grouping(data):
    regions = series_frame(data.orders, data.products, "region")
    pd.testing.assert_frame_equal(regions, fc.sales_series(data.orders, by="region"))
    cats = series_frame(data.orders, data.products, "category")
    assert cats.columns.name == "category"


def test_forecast_cache_fits_once_and_hands_out_copies(data):
    fitted = forecast_cache(data.orders, data.products)
    history, coherent, used = fitted("region", 3, "naive")
    history.frame.iloc[:, :] = -1.0  # a caller changing its result ...
    coherent["total"]["mean"] = -1.0
    again_history, again, _ = fitted("region", 3, "naive")
    assert (again_history.frame >= 0).all().all()  # ... does not change the cache
    assert (again["total"]["mean"] > 0).all()
    assert set(used.values()) == {"naive"}
    assert fitted.cache_info().hits == 1 and fitted.cache_info().misses == 1
    longer = fitted("region", 6, "naive")[1]  # every month was fitted: the horizon cuts
    assert fitted.cache_info().misses == 1
    pd.testing.assert_frame_equal(longer["total"].iloc[:3], again["total"])


def test_the_pages_company_total_is_one_whatever_the_grouping_and_horizon(data):
    # issue 17: H1 was 180.3 M by region and 160.2 M by category; January moved with the horizon
    fitted = forecast_cache(data.orders, data.products)
    by_region = fitted("region", 6, "auto")[1]["total"]
    by_category = fitted("category", 12, "auto")[1]["total"]
    pd.testing.assert_frame_equal(by_region, by_category.iloc[:6])
    summaries = [forecast_view(h, by, "auto", 80, orders=data.orders, products=data.products,
                               fitted=fitted)[0].data for h, by in ((6, "region"),
                                                                    (6, "category"))]
    first = summaries[0].split("**")[1]  # "Forecast <months>: <total>"
    assert first == summaries[1].split("**")[1]
    assert first.endswith(number(by_region["mean"].sum(), digits=0))


def test_forecast_view_by_category(data):
    summary, fig, _table = forecast_view(3, "category", "seasonal_naive", 95,
                                         orders=data.orders, products=data.products)
    assert "Forecast" in summary.data and "seasonal_naive" in summary.data
    assert "95 % interval" in summary.data
    assert len(fig.axes) >= 2


def test_pipeline_view(data):
    fig, _table = pipeline_view(data.orders, data.opportunities, months=3, weight=0.5)
    assert "Won deals" in fig.axes[0].get_title()
    fig2, _ = pipeline_view(data.orders, data.opportunities, as_of="2025-06-30", months=2)
    assert fig2.axes[0].lines[-1].get_xdata()[0] == pd.Timestamp("2025-07-01")
    (note,) = pipeline_view(data.orders, None)
    assert "pipeline view needs them" in note.data
    with pytest.raises(PeriodError):
        pipeline_view(data.orders, data.opportunities, as_of="mid-June")


def test_the_report_runs_on_an_external_series(tmp_path):
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
