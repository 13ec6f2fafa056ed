"""A control change recomputes only what depends on it: no data load, no model refit."""

from __future__ import annotations

import pytest

import salesnb as sn
from salesnb import leads
from salesnb.forecast.views import forecast_panel
from salesnb.leads.views import assignment_panel, score_open
from salesnb.products.views import explore_panel
from salesnb.report.widgets import HEADLESS_ENV
from salesnb.segments.views import cluster_panel, rfm_cache, segment_panel


@pytest.fixture(scope="module")
def d():
    return sn.load("data")


@pytest.fixture
def no_loading(monkeypatch):
    """Fail the test if anything loads data or trains the lead model."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("a control change loaded data or retrained a model")

    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    for target in ("salesnb.data.loader.load", "salesnb.report.reporting.load",
                   "salesnb.leads.model.train", "salesnb.leads.model.LeadModel.score",
                   "salesnb.data.loader.SalesData.without_pii"):
        monkeypatch.setattr(target, refuse)


def counting(monkeypatch, target: str) -> list[tuple]:
    """Wrap ``module.function`` so its calls are recorded."""
    module_name, name = target.rsplit(".", 1)
    module = __import__(module_name, fromlist=[name])
    original = getattr(module, name)
    calls: list[tuple] = []

    def wrapper(*args, **kwargs):
        calls.append((args[1:], kwargs))
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def test_lead_panel_reassigns_without_rescoring(d, monkeypatch):
    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    scored = score_open(leads.train(d.leads), d.leads)
    panel_ = assignment_panel(scored, d.reps, d.customers)
    monkeypatch.setattr("salesnb.leads.model.LeadModel.score", None)  # scoring again would fail
    solves = counting(monkeypatch, "salesnb.leads.views.assign")
    for value in (5, 10, 20):
        panel_.controls["capacity"].value = value
    panel_.controls["min_tier"].value = "B"
    assert len(solves) == 4 and panel_.calls == 5


def test_forecast_panel_fits_each_setting_once(d, monkeypatch, no_loading):
    fits = counting(monkeypatch, "salesnb.forecast.hierarchy.coherent_forecasts")
    series = counting(monkeypatch, "salesnb.forecast.series.sales_series")
    p = forecast_panel(d.orders, d.products, horizon=3, model="seasonal_naive")
    assert len(fits) == 1 and len(series) == 1
    p.controls["level"].value = 95  # the interval level: a redraw, no refit
    assert len(fits) == 1 and p.calls == 2
    p.controls["horizon"].value = 12  # every month is fitted once: the horizon cuts
    p.controls["horizon"].value = 3
    assert len(fits) == 1 and p.calls == 4
    p.controls["model"].value = "drift"
    assert len(fits) == 2
    p.controls["by"].value = "category"
    assert len(fits) == 3 and len(series) == 2
    p.controls["by"].value = "region"  # (region, drift) seen before: from the cache
    assert len(fits) == 3 and len(series) == 2 and p.calls == 7
    p.controls["model"].value = "seasonal_naive"
    assert len(fits) == 3 and p.calls == 8


def test_segment_panels_reuse_rfm_tables(d, monkeypatch, no_loading):
    rfms = counting(monkeypatch, "salesnb.segments.scoring.rfm")
    table_of = rfm_cache(d.orders)
    seg = segment_panel(d.orders, table_of, as_of="2025-12-31", bins=5)
    clu = cluster_panel(d.orders, table_of, bins=5, as_of="2025-12-31", k=3)
    assert len(rfms) == 1  # both panels share one table
    clu.controls["k"].value = 4
    seg.controls["bins"].value = 4
    seg.controls["bins"].value = 5
    assert len(rfms) == 2 and seg.calls == 3 and clu.calls == 2


def test_product_panel_changes_without_loading(d, no_loading):
    p = explore_panel(d.orders, d.products)
    region = p.controls["region"].options[1]
    p.controls["region"].value = region
    p.controls["category"].value = p.controls["category"].options[1]
    assert p.calls == 3 and p.last_good["region"] == region
