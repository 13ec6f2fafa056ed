"""The plotting convention's layout helpers (salesnb.core.plots) and the report's PNGs."""

from __future__ import annotations

import base64
import datetime as dt
import io

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import pytest
from PIL import Image

from salesnb.core.plots import FIXED_LAYOUT, amounts, fit, fits, say, settle
from salesnb.report.widgets import figure_png


def _size(png: str) -> tuple[int, int]:
    return Image.open(io.BytesIO(base64.b64decode(png))).size


@pytest.fixture
def fig():
    figure, ax = plt.subplots(figsize=(6, 3), dpi=100)
    ax.plot([1, 2, 3])
    ax.set_yticks([1, 2, 3], ["a tick label long enough to need a margin"] * 3)
    yield figure
    plt.close(figure)


def test_a_fitted_figure_is_settled_into_fixed_margins(fig):
    assert not fits(fig)
    fit(fig)
    assert fits(fig)
    left = fig.subplotpars.left
    settle(fig)
    assert fig.get_layout_engine() is None and getattr(fig, FIXED_LAYOUT)
    assert fig.subplotpars.left > left + 0.2  # the long labels got their margin
    assert fits(fig)


def test_figure_png_draws_a_fitting_figure_at_its_own_size(fig):
    fit(fig)
    assert _size(figure_png(fig)) == (600, 300)


def test_figure_png_crops_a_figure_that_does_not_fit(fig):
    fig.set_layout_engine("none")
    assert not fits(fig)
    width, height = _size(figure_png(fig))
    assert (width, height) != (600, 300)  # cropped to what is drawn (the label sticks out)


def test_a_figure_that_says_one_line_drops_its_tight_layout(fig):
    fit(fig)
    say(fig.axes[0], "Nothing to show.")
    assert not fits(fig)  # one line of text: cropped, not laid out


def _labels(axis) -> list[str]:
    axis.figure.canvas.draw()
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def test_large_values_read_in_thousands_and_millions():
    figure, (money, counts) = plt.subplots(1, 2)
    money.plot([0, 2_500_000])
    counts.plot([2019, 2026], [0, 900])  # years and counts keep their digits
    amounts(figure)
    assert "2 M" in _labels(money.yaxis) and "500 k" in _labels(money.yaxis)
    assert not money.yaxis.get_offset_text().get_text()  # no "1e6" above the axis
    assert "2020" in _labels(counts.xaxis) and "800" in _labels(counts.yaxis)
    plt.close(figure)


def test_axes_already_formatted_or_not_numeric_are_left_alone():
    figure, (dates, log) = plt.subplots(1, 2)
    dates.plot([dt.date(2025, 1, 1), dt.date(2025, 6, 1)], [0, 3e6])
    dates.xaxis.set_major_formatter(mticker.PercentFormatter())
    log.set_yscale("log")
    log.plot([1e5, 1e7])
    before = type(dates.xaxis.get_major_formatter()), type(log.yaxis.get_major_formatter())
    amounts(figure)
    assert (type(dates.xaxis.get_major_formatter()), type(log.yaxis.get_major_formatter())) \
        == before
    assert isinstance(dates.yaxis.get_major_formatter(), mticker.EngFormatter)
    plt.close(figure)


def test_report_titles_sit_above_their_axes_without_measuring_again(monkeypatch):
    """setup() fixes the title's place: matplotlib skips its search at each layout and draw."""
    import matplotlib as mpl
    from matplotlib.axis import YAxis

    from salesnb.report.reporting import setup

    measured = []
    measure = YAxis.get_tightbbox
    monkeypatch.setattr(YAxis, "get_tightbbox",
                        lambda self, *a, **k: measured.append(1) or measure(self, *a, **k))

    def draw(**rc):
        measured.clear()
        with mpl.rc_context():
            setup()
            mpl.rcParams.update(rc)
            figure, ax = plt.subplots()
            ax.plot([0, 3e6])
            ax.set_title("Revenue")
            assert _size(figure_png(figure)) == (900, 450)
            assert ax.yaxis.get_offset_text().get_text() == ""  # "3 M", no "1e6" on top
            plt.close(figure)
        return ax.title.get_position()[1], len(measured)

    (fixed_y, fixed), (auto_y, auto) = draw(), draw(**{"axes.titley": None})
    assert fixed_y == auto_y == 1.0  # the same place
    assert fixed < auto  # measured fewer times
