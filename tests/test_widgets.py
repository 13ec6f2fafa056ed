"""Widget panels: controls from the schema, redraw on change, static in headless runs."""

from __future__ import annotations

import ipywidgets as w
import pandas as pd
import pytest

from salesnb.params import Param
from salesnb.widgets import HEADLESS_ENV, Panel, control, control_value, panel

PARAMS = [
    Param("threshold", "float", 0.5, "cut-off", minimum=0, maximum=1, step=0.05),
    Param("capacity", "int", 20, "leads per rep", minimum=1, maximum=200),
    Param("region", "str", "all", "region", choices=("all", "North")),
    Param("strict", "bool", False, "strict mode"),
    Param("as_of", "date", "", "day", allow_empty=True),
]


def test_controls_follow_the_schema():
    kinds = [type(control(p)) for p in PARAMS]
    assert kinds == [w.FloatSlider, w.IntSlider, w.Dropdown, w.Checkbox, w.DatePicker]
    slider = control(PARAMS[0])
    assert (slider.min, slider.max, slider.step, slider.value) == (0, 1, 0.05, 0.5)
    assert slider.continuous_update is False
    assert control(PARAMS[0]).tooltip == "cut-off"
    assert control_value(PARAMS[4], control(PARAMS[4], "2025-01-02")) == "2025-01-02"


def test_panel_redraws_on_change(monkeypatch):
    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    seen = []

    def fn(threshold, capacity, region, strict, as_of):
        seen.append((threshold, capacity, region, strict, as_of))
        return pd.DataFrame({"capacity": [capacity]})

    p = panel(PARAMS, fn, values={"capacity": 30})
    assert isinstance(p, Panel) and seen[-1] == (0.5, 30, "all", False, "")
    p.controls["capacity"].value = 45
    p.controls["region"].value = "North"
    assert seen[-1] == (0.5, 45, "North", False, "") and p.calls == 3


def test_headless_panel_is_static(monkeypatch, capsys):
    monkeypatch.setenv(HEADLESS_ENV, "1")
    calls = []
    assert panel(PARAMS[:2], lambda threshold, capacity: calls.append(capacity),
                 values={"capacity": 7}) is None
    assert calls == [7]


def test_headless_panel_validates_values(monkeypatch):
    monkeypatch.setenv(HEADLESS_ENV, "1")
    with pytest.raises(Exception, match="capacity"):
        panel(PARAMS[:2], lambda threshold, capacity: None, values={"capacity": 0})
