"""Tests of salesnb.leads.conversion: conversion per group and the pipeline funnel."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import salesnb as sn
from salesnb import leads as L
from salesnb.data.schema import FUNNEL
from salesnb.errors import ColumnError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample():
    return sn.load(ROOT / "data")


def test_conversion_by(sample) -> None:
    leads = sample.leads
    t = L.conversion_by(leads, "source")
    assert t["leads"].sum() == len(leads)
    assert (t["closed"] == t["converted"] + t["lost"]).all()
    assert ((t["ci_low"] <= t["conversion_rate"]) & (t["conversion_rate"] <= t["ci_high"])).all()
    assert t["conversion_rate"].idxmax() == "referral"
    two = L.conversion_by(leads, ["size", "budget"])
    assert two.index.nlevels == 2 and two["leads"].sum() == len(leads)
    ax = L.plot_conversion(t)
    assert ax is plt.gca() and len(ax.patches) == len(t)
    _, given = plt.subplots()
    assert L.plot_conversion(t, ax=given, color="tab:red") is given
    assert given.patches[0].get_facecolor()[:3] == pytest.approx((0.839, 0.153, 0.157), abs=1e-3)
    plt.close("all")


def test_wilson_interval_narrows_with_more_leads() -> None:
    small = pd.DataFrame({"g": "a", "status": ["converted"] + ["lost"] * 4})
    large = pd.DataFrame({"g": "a", "status": ["converted"] * 20 + ["lost"] * 80})
    s, big = L.conversion_by(small, "g").iloc[0], L.conversion_by(large, "g").iloc[0]
    assert s["conversion_rate"] == big["conversion_rate"] == pytest.approx(0.2)
    assert big["ci_high"] - big["ci_low"] < s["ci_high"] - s["ci_low"]
    assert 0 < s["ci_low"] < 0.2 < s["ci_high"] < 1


def test_funnel(sample) -> None:
    opp = sample.opportunities
    f = L.funnel(opp)
    assert list(f.index) == [*FUNNEL, "won"]
    assert list(f.index) == ["visit", "needs", "quote", "negotiation", "contract", "won"]
    assert (np.diff(f["reached"].to_numpy()) <= 0).all()
    assert f["share_of_visits"].iloc[0] == 1.0
    assert f.loc["won", "reached"] == (opp["stage"] == "won").sum()
    assert (f["median_days_in_stage"].iloc[:-1] >= 0).all()


def test_missing_columns_raise_column_error(sample) -> None:
    with pytest.raises(ColumnError, match="'channel'.*by="):
        L.conversion_by(sample.leads, "channel")
    with pytest.raises(ColumnError, match="'status'"):
        L.conversion_by(sample.leads.drop(columns="status"), "source")
    with pytest.raises(ColumnError, match="'quote_date'.*stage dates"):
        L.funnel(sample.opportunities.drop(columns="quote_date"))
