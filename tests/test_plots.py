"""The plotting convention's layout helpers (salesnb.core.plots) and the report's PNGs."""

from __future__ import annotations

import base64
import io

import matplotlib.pyplot as plt
import pytest
from PIL import Image

from salesnb.core.plots import FIXED_LAYOUT, fit, fits, say, settle
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
