"""Report 02 on real exports (issue 15): orders only, old data, part months, short histories."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ORDERS_ONLY_MAPPING, write_orders_only

import salesnb as sn
from salesnb.core.fmt import number, plural
from salesnb.forecast import requirements as rq
from salesnb.forecast import views as v
from salesnb.forecast.evaluation import backtest, min_history, yardstick_sentence
from salesnb.forecast.series import order_history
from salesnb.report.sections import missing_needs

TODAY = dt.date(2026, 12, 1)
END = dt.date(2025, 12, 31)  # the embedded sample's (and so the export's) last day


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """The orders-only export (one file, foreign layout), its mapping file and its data."""
    folder = tmp_path_factory.mktemp("superstore")
    write_orders_only(folder)
    mapping = folder / "mapping.yaml"
    mapping.write_text(yaml.safe_dump(ORDERS_ONLY_MAPPING), encoding="utf-8")
    return folder, mapping, sn.load(folder, mapping)


@pytest.fixture(scope="module")
def oo(export):
    return export[2]


def _orders(days: list[str], revenue: list[float] | None = None) -> pd.DataFrame:
    return pd.DataFrame({"order_date": pd.to_datetime(days),
                         "revenue": revenue or [100.0] * len(days),
                         "region": ["N"] * len(days)})


def _monthly(n: int, start: str = "2010-12-01") -> pd.DataFrame:
    """Order lines, two a month (the 1st and the 28th), for ``n`` months from ``start``."""
    months = pd.date_range(start, periods=n, freq="MS")
    days = [d for m in months for d in (m, m + pd.Timedelta(days=27))]
    return _orders([str(d.date()) for d in days], list(np.arange(1.0, 2 * n + 1) * 10))


# --------------------------------------------------------------------------- the as-of month


def test_forecast_starts_after_the_data_that_ended_a_year_before_as_of(oo):
    as_of = dt.date(2026, 12, 31)
    assert oo.orders["order_date"].max().date() == END
    fitted = v.forecast_cache(oo.orders, oo.products, as_of=as_of)
    history, coherent, _ = fitted("region", 6, "naive")
    assert history.frame.index[-1] == pd.Timestamp("2025-12-01") and history.part_month is None
    total = coherent["total"]
    assert list(total.index) == list(pd.date_range("2026-01-01", periods=6, freq="MS"))
    summary, _fig, _table = v.forecast_view(6, "region", "naive", 80, orders=oo.orders,
                                            products=oo.products, as_of=as_of, today=TODAY)
    text = summary.data
    assert text.startswith(f"**Forecast Jan 2026 – Jun 2026: "
                           f"{number(total['mean'].sum(), digits=0)}** in total")
    age = (TODAY - END).days
    assert (f"the 6 months after the data's last complete month, Dec 2025 (data through "
            f"{END}, {age} days old)") in text
    assert "not the months after today" in text


def test_a_part_month_is_left_out_and_forecast_in_full(oo):
    cut = dt.date(2025, 12, 15)
    h = v.monthly_history(oo.orders, oo.products, "region", as_of=cut)
    last = oo.orders.loc[oo.orders["order_date"] <= pd.Timestamp(cut), "order_date"].max()
    assert h.last_day == last.date() and h.part_month == pd.Timestamp("2025-12-01")
    assert h.frame.index[-1] == pd.Timestamp("2025-11-01")
    november = oo.orders["order_date"].dt.to_period("M") == pd.Period("2025-11", "M")
    assert h.total.iloc[-1] == pytest.approx(oo.orders.loc[november, "revenue"].sum())
    text = v.history_markdown(h, by="region").data
    assert (f"December 2025 is left out: the data covers only its first "
            f"{plural(h.last_day.day, 'day')} (to {h.last_day})") in text
    assert text.startswith(f"Monthly revenue of {h.months} complete months, Jan 2023 – Nov "
                           "2025, per region (5).")
    summary = v.forecast_view(3, "region", "naive", 80, orders=oo.orders,
                              products=oo.products, as_of=cut, today=TODAY)[0].data
    assert summary.startswith("**Forecast Dec 2025 – Feb 2026")
    assert f"Dec 2025 is forecast in full, the data covering only its first {h.last_day.day}" \
        in summary


def test_the_last_month_is_complete_within_three_days_of_its_end():
    march = order_history(_orders(["2024-01-05", "2024-02-10", "2024-03-28"]))
    assert march.part_month is None and march.months == 3  # 28 March: within 3 days
    part = order_history(_orders(["2024-01-05", "2024-02-10", "2024-03-27"]))
    assert part.part_month == pd.Timestamp("2024-03-01") and part.months == 2
    assert part.total.tolist() == [100.0, 100.0]
    cut = order_history(_orders(["2024-01-05", "2024-02-10", "2024-03-30"]), as_of="2024-03-20")
    assert cut.last_day == dt.date(2024, 2, 10) and cut.part_month == pd.Timestamp("2024-02-01")
    with pytest.raises(sn.SalesnbError, match="no order line dated on or before 2023-12-31"):
        order_history(_orders(["2024-01-05"]), as_of=dt.date(2023, 12, 31))


def test_lines_without_a_group_are_counted_and_small_groups_summed():
    orders = _orders(["2024-01-05", "2024-01-06", "2024-01-31", "2024-01-31"],
                     [10.0, 20.0, 30.0, 40.0]).assign(region=["A", None, "B", "C"])
    h = order_history(orders, by="region", top=2)
    assert list(h.frame.columns) == ["C", "B", "Other (2 regions)"]
    only_later = pd.concat([orders, _orders(["2024-02-02"]).assign(region="D")])
    assert "D" not in order_history(only_later, by="region").frame.columns  # part month only
    assert h.other == "Other (2 regions)" and h.frame.columns.name == "region"
    assert h.frame.iloc[0].tolist() == [40.0, 30.0, 30.0]  # A and the line without a region
    assert h.total.iloc[0] == 100.0


# --------------------------------------------------------------------------- orders only


@pytest.mark.parametrize("by", ["region", "category"])
def test_by_region_and_by_category_on_an_orders_only_export(oo, by):
    assert set(oo.tables) == {"orders", "customers", "products"}
    wants = rq.needs("groups", by=by, data=oo)
    assert missing_needs(oo, wants) == []
    h = v.monthly_history(oo.orders, oo.products, by, as_of=oo.as_of)
    groups = (oo.orders["region"] if by == "region" else
              oo.orders["product_id"].map(oo.products.set_index("product_id")["category"]))
    expected = oo.orders["revenue"].groupby(groups).sum()
    assert h.frame.columns.name == by and h.other is None
    assert h.frame.sum().to_dict() == pytest.approx(expected.to_dict())
    findings = v.findings_markdown(h).data.splitlines()
    last3, before = h.frame.tail(3).sum(), h.frame.iloc[-15:-12].sum()
    growth = (last3 - before) / before
    fastest = growth.idxmax()
    assert (f"- {fastest} grew {round(100 * growth.max()):.0f} % year over year in the last 3 "
            f"months, the fastest of the {plural(len(growth), by)}.") in findings
    summary = v.forecast_view(3, by, "naive", 80, orders=oo.orders, products=oo.products,
                              as_of=oo.as_of, today=TODAY)[0].data
    assert f"Model: naive for all {plural(len(expected), by)}." in summary


def test_by_category_without_products_says_what_it_needs(oo):
    frames = {"orders": oo.orders}
    wants = rq.needs("groups", by="category", data=frames)
    assert missing_needs(frames, wants) == ["products.category"]
    h = v.monthly_history(oo.orders, None, "category", as_of=oo.as_of)
    assert list(h.frame.columns) == ["total"]
    assert ("for the company total (per category it needs `orders.product_id`, "
            "`products.category`)") in v.history_markdown(h, by="category").data
    (note,) = v.forecast_view(3, "category", "naive", 80, orders=oo.orders, products=None)
    assert "no `products` table" in note.data and "from: orders" in note.data
    with pytest.raises(sn.SalesnbError, match="products.category"):
        v.monthly_history(oo.orders, None, "category", fall_back=False)


def test_the_pipeline_is_absent_from_an_orders_only_export(oo):
    wants = rq.needs("pipeline", data=oo)
    assert wants == ["opportunities.closed_date"]  # one note for the missing table
    assert missing_needs(oo, wants) == wants
    assert len(rq.needs("pipeline")) == 6
    (note,) = v.pipeline_view(oo.orders, None, as_of=oo.as_of)
    assert "pipeline view needs them" in note.data


def test_the_pipeline_of_old_data_stands_at_the_data_s_last_day():
    d = sn.load("data", tables=["opportunities"], as_of="2026-12-31")
    last = v.pipeline.last_activity(d.opportunities)
    note, fig, _table = v.pipeline_view(None, d.opportunities, as_of=dt.date(2026, 12, 31))
    gap = (dt.date(2026, 12, 31) - last).days
    assert note.data.startswith(f"The pipeline as it stood on {last}, the opportunities' last "
                                f"date ({gap} days before the report's day, 2026-12-31)")
    first = pd.Timestamp(last + dt.timedelta(days=1)).to_period("M").to_timestamp()
    assert fig.axes[0].lines[-1].get_xdata()[0] == first


# --------------------------------------------------------------------------- short histories


def test_a_short_history_says_what_each_section_needs():
    h = order_history(_monthly(3))
    assert h.months == 3 and h.part_month is None
    assert rq.blocked("history", h) == ""
    assert rq.blocked("seasonality", h) == ("the data has 3 complete months; the trend and "
                                            "seasonal split needs 24 (two years, to tell a "
                                            "season from a trend)")
    assert rq.blocked("backtest", h) == "the data has 3 complete months; a backtest needs 4"
    assert rq.blocked("backtest", order_history(_monthly(4))) == ""
    assert rq.blocked("forecast", h) == ""
    assert rq.blocked("forecast", order_history(_monthly(2))) == ("the data has 2 complete "
                                                                  "months; a forecast needs 3")
    assert rq.blocked("seasonality", None) == ""  # no orders: the needs say so
    assert v.decomposition_view(h.total).data == ("*The trend and seasonal split needs 24 "
                                                  "months; the data has 3 complete months.*")
    assert v.backtest_view(h.total).data == ("*A backtest needs 4 months; the data has 3 "
                                             "complete months.*")
    board = v.backtest_view(order_history(_monthly(8)).total)
    # 8 months: 3 to train on, 5 ahead
    assert "Each model forecast 5 months ahead from 1 past origin" in board.caption
    assert v.findings_markdown(h.frame).data.startswith("*Year-over-year findings need 15 ")
    summary = v.forecast_view(6, "region", "auto", 80, orders=_monthly(3), today=TODAY)[0].data
    assert ("With 3 complete months there is no backtest (it needs 4), so each series gets "
            "drift") in summary
    (short,) = v.forecast_view(6, "region", "auto", 80, orders=_monthly(2), today=TODAY)
    assert short.data == "*A forecast needs 3 complete months; the data has 2.*"


@pytest.mark.parametrize("horizon", [1, 3, 6, 12, 21])
def test_min_history_is_where_the_backtest_starts(horizon):
    idx = pd.date_range("2020-01-01", periods=60, freq="MS")
    y = pd.Series(np.random.default_rng(horizon).normal(100, 10, 60), index=idx)
    n = min_history(horizon)
    assert not backtest(y.iloc[:n], horizon=horizon, folds=1).empty
    assert backtest(y.iloc[:n - 1], horizon=horizon, folds=1).empty


def test_the_online_retail_export_keeps_its_complete_months(shared_retail_mapping):
    folder, mapping = shared_retail_mapping
    d = sn.load(folder, mapping)
    h = v.monthly_history(d.orders, None, "region", as_of=d.as_of)
    assert h.last_day == dt.date(2011, 2, 23) and h.part_month == pd.Timestamp("2011-02-01")
    assert list(h.frame.index) == list(pd.date_range("2010-12-01", periods=2, freq="MS"))
    assert h.frame.shape[1] == 9 and h.other is not None  # 8 countries and the others
    complete = d.orders[d.orders["order_date"] < pd.Timestamp("2011-02-01")]
    sold = complete.groupby("region")["revenue"].sum()
    assert h.other == f"Other ({(sold != 0).sum() - 8} regions)"
    assert h.frame[h.other].sum() == pytest.approx(sold.sort_values().iloc[:-8].sum())
    assert rq.blocked("forecast", h) == "the data has 2 complete months; a forecast needs 3"


# --------------------------------------------------------------------------- the report


@pytest.mark.slow
def test_the_report_on_an_orders_only_export_by_category(export, tmp_path):
    from salesnb.report.runner import plan_runs, run_reports
    from salesnb.report.sections import notebook_sections

    folder, mapping, _ = export
    runs = plan_runs(["02_sales_forecast"], source=str(folder),
                     params={"mapping": str(mapping), "by": "category", "horizon": "3"})
    result = run_reports(runs, out=tmp_path / "out")
    assert result.status == "ok", result.failure_message()
    nb = json.loads((result.run_dir / "02_sales_forecast.ipynb").read_text(encoding="utf-8"))
    records = {r["title"]: r for r in notebook_sections(nb) if r["title"]}
    assert list(records) == ["Near term: forecast against the open pipeline"]
    assert records["Near term: forecast against the open pipeline"]["missing"] == [
        "opportunities.closed_date"]
    page = (result.run_dir / "02_sales_forecast.html").read_text(encoding="utf-8")
    assert "per category (6)" in page and "Forecast Jan 2026 – Mar 2026" in page
    assert "Traceback" not in page and "SalesnbError" not in page


@pytest.mark.parametrize("seasonal", [True, False])
def test_the_leaderboard_caption_says_which_models_beat_last_years_month(seasonal):
    # issue 19: "MASE below 1 is good" stood beside a board where every model scored above 1
    rng = np.random.default_rng(5)
    t = np.arange(60)
    y = (100 + 40 * np.sin(2 * np.pi * t / 12) if seasonal else 100 + 2.0 * t)
    total = pd.Series(y + rng.normal(0, 3, 60),
                      index=pd.date_range("2020-01-01", periods=60, freq="MS"))
    caption = v.backtest_view(total).caption
    board = backtest(total, horizon=12, folds=3).set_index("model")["mase"]
    bar = board["seasonal_naive"]
    beat = board.drop("seasonal_naive")[lambda s: s < bar]
    if beat.empty:
        assert f"No model beat repeating last year's month (seasonal_naive, MASE {bar:.2f})" \
            in caption
    else:
        assert (f"{len(beat)} of {len(board) - 1} models beat repeating last year's month "
                f"(seasonal_naive, MASE {bar:.2f}); the best, {beat.idxmin()}, scored "
                f"{beat.min():.2f}.") in caption
    assert ("Every MASE is 1 or more" in caption) == bool(board.min() >= 1)


def test_the_yardstick_sentence_when_no_model_beats_last_years_month():
    board = pd.DataFrame({"model": ["seasonal_naive", "regression", "combo"],
                          "mase": [1.499, 1.542, 2.476]})
    assert yardstick_sentence(board) == (
        "No model beat repeating last year's month (seasonal_naive, MASE 1.50) in this "
        "backtest. Every MASE is 1 or more: each model's error is at least the error last "
        "year's month made inside the history.")
