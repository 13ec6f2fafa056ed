"""salesnb.forecast.hierarchy: reconciled forecasts that add up to the total."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, fc_frame

import salesnb as sn
from salesnb.errors import ColumnError, SalesnbError
from salesnb.forecast import hierarchy as hr
from salesnb.forecast.series import sales_series


@pytest.fixture(scope="module")
def monthly() -> pd.DataFrame:
    return sales_series(sn.load(ROOT / "data", tables=["orders"]).orders, by="region")


# ----------------------------------------------------------------------------- reconcile


@pytest.fixture
def forecasts():
    rng = np.random.default_rng(1)
    base = {g: fc_frame(rng.uniform(50, 150, 6), width80=w, width95=2 * w)
            for g, w in (("North", 3.0), ("South", 4.0), ("East", 12.0))}
    total = fc_frame(sum(f["mean"] for f in base.values()) + rng.normal(30, 5, 6), 15.0, 30.0)
    return base, total


def test_bottom_up_adds_up_and_keeps_groups(forecasts):
    base, total = forecasts
    rec = hr.reconcile(base, total, method="bottom_up")
    assert set(rec) == {"total", "North", "South", "East"}
    for g, f in base.items():
        pd.testing.assert_frame_equal(rec[g], f)
    assert np.allclose(rec["total"]["mean"], sum(f["mean"] for f in base.values()))
    half = rec["total"]["upper_80"] - rec["total"]["mean"]
    assert np.allclose(half, np.sqrt(3**2 + 4**2 + 12**2))
    assert np.allclose(rec["total"]["mean"] - rec["total"]["lower_95"], 26.0)


@pytest.mark.parametrize("method", ["ols", "wls_struct"])
def test_ols_and_wls_add_up_exactly_and_move_both_levels(forecasts, method):
    base, total = forecasts
    rec = hr.reconcile(base, total, method=method)
    groups = sum(rec[g]["mean"] for g in base)
    assert np.allclose(rec["total"]["mean"], groups)
    assert (rec["total"]["mean"] - groups).abs().max() < 1e-9
    # the incoherence (about +30 per period) is split between the levels
    assert (rec["total"]["mean"] < total["mean"]).all()
    assert (rec["North"]["mean"] > base["North"]["mean"]).all()
    # widths kept, re-centred
    assert np.allclose(rec["East"]["upper_80"] - rec["East"]["mean"], 12.0)


def test_ols_matches_closed_form_for_two_groups():
    base = {"A": fc_frame([10.0]), "B": fc_frame([20.0])}
    total = fc_frame([36.0])  # incoherent by 6
    rec = hr.reconcile(base, total, method="ols")
    # OLS spreads the gap equally over the three series: each moves by 2
    assert rec["A"]["mean"].iloc[0] == pytest.approx(12.0)
    assert rec["B"]["mean"].iloc[0] == pytest.approx(22.0)
    assert rec["total"]["mean"].iloc[0] == pytest.approx(34.0)


def test_reconcile_errors(forecasts):
    base, total = forecasts
    with pytest.raises(SalesnbError, match="total"):
        hr.reconcile(base, method="ols")
    with pytest.raises(SalesnbError, match="unknown method"):
        hr.reconcile(base, total, method="magic")  # type: ignore[arg-type]
    shifted = {**base, "West": fc_frame([1.0] * 6, index=pd.date_range("2027-01-01", periods=6,
                                                                     freq="MS"))}
    with pytest.raises(SalesnbError, match="same index"):
        hr.reconcile(shifted)
    with pytest.raises(ColumnError, match="forecast 'North' has no column 'mean'"):
        hr.reconcile({**base, "North": base["North"].drop(columns="mean")})


# ----------------------------------------------------------------------------- coherent


def test_group_forecasts_add_up_to_the_total(monthly):
    coherent, used = hr.coherent_forecasts(monthly, horizon=4)
    groups = sum(coherent[str(c)]["mean"] for c in monthly.columns)
    assert np.allclose(groups, coherent["total"]["mean"])
    assert set(used) == {str(c) for c in monthly.columns}
    assert set(coherent) == {"total", *used}
    table = hr.forecast_table(coherent, level=80)
    assert len(table) == 4 and "total low 80%" in table.columns
    assert (table["total low 80%"] <= table["total"]).all()
    assert table.index[0] == f"{coherent['total'].index[0]:%Y-%m}"


def test_forecast_table_columns():
    coherent = {"total": fc_frame([30.0, 40.0]), "A": fc_frame([10.0, 15.0]),
                "B": fc_frame([20.0, 25.0])}
    table = hr.forecast_table(coherent, level=95)
    assert list(table.columns) == ["total", "A", "B", "total low 95%", "total high 95%"]
    assert table.index.tolist() == ["2026-01", "2026-02"] and table.index.name == "month"
    assert table["total high 95%"].tolist() == [50.0, 60.0]


def test_group_forecasts_figure(monthly):
    coherent, _ = hr.coherent_forecasts(monthly, horizon=3, model="naive")
    fig = hr.group_forecasts_figure(monthly, coherent, level=95)
    n = monthly.shape[1] + 1  # groups and the total
    assert sum(ax.axison for ax in fig.axes) == n
    assert fig.axes[0].get_title() == "total"
    assert "95 % interval" in fig.texts[0].get_text()
