"""salesnb.forecast.trends (``sn.trends``): growth, decomposition, findings and their charts."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import salesnb as sn
from salesnb.errors import SalesnbError
from salesnb.forecast import trends as t

IDX = pd.date_range("2023-01-01", periods=36, freq="MS")


def _wide(data: dict[str, np.ndarray], index: pd.DatetimeIndex = IDX) -> pd.DataFrame:
    frame = pd.DataFrame(data, index=index)
    frame.columns.name = "region"
    return frame


# ----------------------------------------------------------------------------- growth


def test_growth_numbers_on_hand_made_series():
    values = np.arange(1, 25, dtype=float) * 10  # 10, 20, ..., 240
    g = t.growth(_wide({"A": values, "Z": np.zeros(24)}, IDX[:24]))
    a = g[g["group"] == "A"].set_index("period")
    last = a.loc["2024-12-01"]
    assert last["value"] == 240
    assert last["yoy_pct"] == pytest.approx(100 * (240 - 120) / 120)
    assert last["pop_pct"] == pytest.approx(100 * 10 / 230)
    assert last["ma_3"] == pytest.approx((220 + 230 + 240) / 3)
    assert last["ma_12"] == pytest.approx(values[12:].mean())
    assert np.isnan(a.loc["2023-12-01", "yoy_pct"])  # no year-earlier value
    assert np.isnan(a.loc["2023-02-01", "ma_3"])
    z = g[g["group"] == "Z"]
    assert z["yoy_pct"].isna().all() and z["pop_pct"].isna().all()  # zero base: no inf
    assert len(g) == 48


def test_growth_rejects_non_monthly_frame():
    with pytest.raises(SalesnbError):
        t.growth(pd.DataFrame({"A": [1, 2]}))


# ----------------------------------------------------------------------------- decompose


SEASON = np.array([0, -5, 3, 8, 2, -1, -8, -6, 1, 4, 6, 20], dtype=float) - 2.0  # mean 0


def _trend_and_season(n: int, seed: int = 0) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """A bending trend (growth, a dip, recovery) + a fixed season + noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    trend = 100 + 0.8 * t - 12 * np.exp(-((t - n / 2) / 10) ** 2)
    season = np.resize(SEASON, n)
    idx = pd.date_range("2020-01-01", periods=n, freq="MS")
    return pd.Series(trend + season + rng.normal(0, 1, n), index=idx), trend, season


@pytest.mark.parametrize(("n", "method"), [(60, "stl"), (48, "stl"), (30, "classical")])
def test_decompose_recovers_known_trend_and_season(n: int, method: str):
    y, trend, season = _trend_and_season(n)
    dec = t.decompose(y)
    assert dec.attrs["method"] == method
    assert list(dec.columns) == ["observed", "trend", "seasonal", "resid"]
    assert np.allclose(dec["trend"] + dec["seasonal"] + dec["resid"], y)
    seasonal = dec["seasonal"].to_numpy()
    # the season repeats year on year, and is the one put in
    assert np.abs(seasonal[12:] - seasonal[:-12]).max() < 0.01 * np.ptp(SEASON)
    assert np.abs(seasonal - season).max() < 0.15 * np.ptp(SEASON)
    # the trend follows the level, dip included (not a straight line)
    err = dec["trend"].to_numpy() - trend
    inner = slice(6, n - 6)  # the ends of a moving average are extrapolated
    assert np.sqrt(np.mean(err[inner] ** 2)) < 1.5
    line = np.polyval(np.polyfit(np.arange(n), trend, 1), np.arange(n))
    assert np.abs(err[inner]).max() < 0.5 * np.abs(trend - line)[inner].max()


def test_decompose_short_series_falls_back():
    y = pd.Series(np.arange(18, dtype=float), index=IDX[:18])
    dec = t.decompose(y)
    assert dec.attrs["method"] == "moving_average"
    assert "fewer than two seasons" in dec.attrs["note"]
    assert (dec["seasonal"] == 0).all()
    assert np.allclose(dec["trend"] + dec["resid"], y)
    with pytest.raises(SalesnbError):
        t.decompose(pd.Series([1.0, np.nan, 3.0], index=IDX[:3]))


# ----------------------------------------------------------------------------- findings


def test_findings_name_fastest_and_weakest_group_and_peak():
    n = np.arange(36)
    december = np.where(IDX.month == 12, 2.0, 1.0)
    frame = _wide({
        "North": 100 * december * 1.05 ** (n // 12),
        "East": 100 * december * 1.30 ** (n // 12),   # +30 % a year
        "West": 100 * december * 0.90 ** (n // 12),   # -10 % a year
        "Central": np.where(n >= 24, 50.0, 0.0),       # new this year
    })
    text = t.findings(frame)
    assert any(s.startswith("East grew 30 %") and "fastest of the 3 regions" in s
               for s in text)
    assert any(s.startswith("West fell 10 %") and "weakest" in s for s in text)
    assert any(s.startswith("Central is new") for s in text)
    assert any("peaks in December" in s for s in text)
    assert not any("inf" in s or "nan" in s for s in text)


def test_findings_respects_as_of_and_short_history():
    frame = _wide({"A": np.ones(36), "B": np.ones(36)})
    assert t.findings(frame.iloc[:6]) == []  # too short for year-over-year
    cut = t.findings(frame, as_of="2024-06-01")
    assert any("(Apr 2024–Jun 2024)" in s for s in cut)


def test_findings_say_fell_for_a_fall_and_never_print_a_sign():
    n = np.arange(36)
    frame = _wide({"A": 100 * 0.8 ** (n // 12), "B": 100 * 0.9 ** (n // 12)})
    text = t.findings(frame)
    assert text[0].startswith("In total, revenue fell 15 % year over year")
    assert any(s.startswith("A fell 20 %") and "weakest" in s for s in text)
    assert not any("-" in s.split("%")[0] for s in text)  # the verb carries the sign


def test_findings_as_of_must_be_a_day():
    frame = _wide({"A": np.ones(36)})
    with pytest.raises(SalesnbError, match="as_of"):
        t.findings(frame, as_of="sometime")
    with pytest.raises(SalesnbError, match="no periods"):
        t.findings(frame, as_of="2020-01-01")


# ----------------------------------------------------------------------------- latest growth


def test_latest_growth_compares_the_same_months_a_year_earlier():
    values = np.arange(1, 25, dtype=float) * 10  # 10, 20, ..., 240
    frame = _wide({"A": values, "Z": np.zeros(24)}, IDX[:24])
    g = t.latest_growth(frame, months=3)
    assert list(g.index) == ["A", "Z", "total"]
    assert g.loc["A", "last 3 months"] == 220 + 230 + 240
    assert g.loc["A", "a year earlier"] == 100 + 110 + 120
    assert g.loc["A", "growth %"] == pytest.approx(round(100 * (690 / 330 - 1), 1))
    assert np.isnan(g.loc["Z", "growth %"])  # zero base: no percentage
    assert g.loc["total", "growth %"] == g.loc["A", "growth %"]


def test_latest_growth_without_a_year_of_history():
    g = t.latest_growth(_wide({"A": np.ones(12)}, IDX[:12]))
    assert g.loc["A", "last 3 months"] == 3
    assert g[["a year earlier", "growth %"]].drop(index="total").isna().all().all()
    assert np.isnan(g.loc["total", "growth %"])


# ----------------------------------------------------------------------------- charts


def test_figures_return_figures():
    frame = _wide({"A": np.arange(36.0), "B": np.ones(36)})
    fig = t.trends_figure(frame, window=3)
    assert len(fig.axes) == 2
    fig2 = t.decomposition_figure(t.decompose(frame["A"]))
    assert len(fig2.axes) == 4
    assert len(plt.get_fignums()) == 2
    fig3 = plt.figure()
    assert t.decomposition_figure(t.decompose(frame["B"]), fig=fig3) is fig3


# ----------------------------------------------------------------------------- sn.trends


def test_sn_trends_keeps_its_names():
    assert sn.trends is t
    for name in ("FUNNEL", "INTERVAL_COLUMNS", "growth", "decompose", "findings", "reconcile",
                 "stage_win_rates", "open_pipeline", "pipeline_forecast", "blend",
                 "plot_blend"):
        assert name in t.__all__
        assert callable(getattr(t, name)) or name.isupper()
    assert t.FUNNEL is sn.schema.FUNNEL
    assert t.INTERVAL_COLUMNS == (("lower_80", "upper_80"), ("lower_95", "upper_95"))


def test_findings_name_many_new_groups_by_count_and_rank_without_the_others():
    n = np.arange(36)
    frame = pd.DataFrame({
        "Books": 100 * 1.2 ** (n // 12),
        "Games": 100 * 1.1 ** (n // 12),
        **{f"New {i}": np.where(n >= 24, 10.0 * (i + 1), 0.0) for i in range(5)},
        "Other (9 categories)": 50 * 1.5 ** (n // 12),
    }, index=IDX)
    frame.columns.name = "category"
    text = t.findings(frame, combined="Other (9 categories)")
    assert ("5 categories (the largest: New 4, New 3 and New 2) are new: no revenue in the "
            "same months a year earlier.") in text
    assert any(s.startswith("Books grew 20 %") and "the fastest of the 2 largest categories"
               in s for s in text)
    assert any(s.startswith("Games grew only 10 %") and "weakest of the categories" in s
               for s in text)
    assert not any(s.startswith("Other") for s in text)  # counted in the total, never ranked
    total = frame.tail(3).sum().sum() / frame.iloc[-15:-12].sum().sum() - 1
    assert text[0].startswith(f"In total, revenue grew {round(100 * total):.0f} %")
    with pytest.raises(SalesnbError, match="combined='Nope'"):
        t.findings(frame, combined="Nope")


def test_findings_of_one_series_do_not_repeat_the_total():
    frame = pd.DataFrame({"total": 100 * 1.1 ** (np.arange(36) // 12)}, index=IDX)
    text = t.findings(frame)
    assert text[0].startswith("In total, revenue grew 10 %")
    assert not any(s.startswith("total") for s in text)


def test_latest_growth_of_a_short_frame_says_how_many_months_it_sums():
    g = t.latest_growth(_wide({"A": [5.0, 7.0]}, IDX[:2]), months=3)
    assert list(g.columns) == ["last 2 months", "a year earlier", "growth %"]
    assert g.loc["A", "last 2 months"] == 12.0
    assert np.isnan(g.loc["total", "a year earlier"])  # not 0: there is no year earlier
    one = t.latest_growth(_wide({"A": [5.0]}, IDX[:1]))
    assert list(one.columns)[0] == "last month"


def test_trends_figure_ticks_every_month_of_a_short_history():
    fig = t.trends_figure(_wide({"A": [1.0, 2.0, 3.0]}, IDX[:3]))
    labels = [x.get_text() for x in fig.axes[-1].get_xticklabels()]
    assert labels == ["2023-01", "2023-02", "2023-03"]
