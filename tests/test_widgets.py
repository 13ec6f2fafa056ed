"""Widget panels: controls from the schema, redraw on change, static in headless runs."""

from __future__ import annotations

import datetime as dt

import ipywidgets as w
import pandas as pd
import pytest

from salesnb.errors import SalesnbError
from salesnb.paths import HEADLESS_ENV
from salesnb.report.params import Param
from salesnb.report.widgets import Panel, control, control_value, panel

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


def test_multiple_choice_becomes_a_multi_select():
    many = Param("regions", "str", (), "regions", choices=("North", "South"), allow_empty=True,
                 multiple=True)
    c = control(many, ["South"])
    assert isinstance(c, w.SelectMultiple) and c.value == ("South",)
    assert control_value(many, c) == ["South"]
    free = Param("tags", "str", ("a",), "tags", multiple=True)
    t = control(free)
    assert isinstance(t, w.Text) and t.value == "a" and control_value(free, t) == ["a"]


def test_invalid_input_shows_beside_the_control_and_keeps_the_last_result(monkeypatch):
    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    params = [Param("code", "str", "ok", "a code", choices=None),
              Param("day", "date", "2025-01-01", "a day"),
              Param("n", "int", 2, "n", minimum=1, maximum=9)]
    shown = []

    def fn(code, day, n):
        if code == "boom":
            raise SalesnbError("code boom does not go with n")
        shown.append((code, day, n))
        return pd.DataFrame({"n": [n]})

    p = Panel(params, fn)
    first = p.output.outputs
    assert len(first) == 1 and "text/html" in first[0]["data"]
    p.controls["code"].value = ""  # required text emptied
    assert "code" in p.messages["code"].value and "empty" in p.messages["code"].value
    assert p.calls == 1 and p.last_good == {"code": "ok", "day": "2025-01-01", "n": 2}
    assert p.output.outputs is first  # the last good table is still on screen
    p.controls["day"].value = None  # a required date cleared: two messages now
    assert p.messages["day"].value and p.messages["code"].value and p.calls == 1
    p.controls["code"].value = "x"
    assert p.messages["code"].value == "" and p.messages["day"].value and p.calls == 1
    p.controls["day"].value = dt.date(2025, 2, 1)
    assert p.calls == 2 and p.messages["day"].value == "" and shown[-1] == ("x", "2025-02-01", 2)
    assert p.output.outputs is not first
    second = p.output.outputs
    p.controls["code"].value = "boom"  # the function refuses the combination
    assert "does not go with n" in p.error.value and p.calls == 2
    assert p.last_good["code"] == "x" and p.output.outputs is second
    p.controls["code"].value = "fine"
    assert p.error.value == "" and p.calls == 3


def test_headless_panel_shows_a_refused_combination(monkeypatch):
    monkeypatch.setenv(HEADLESS_ENV, "1")

    def fn(threshold, capacity):
        raise SalesnbError("capacity too small for this threshold")

    shown = []
    monkeypatch.setattr("salesnb.report.widgets.display", shown.append)
    assert panel(PARAMS[:2], fn) is None
    assert "capacity too small" in shown[0].data


def test_panel_remembers_recent_settings(monkeypatch):
    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    seen = []

    def fn(threshold, capacity):
        seen.append(capacity)
        return pd.DataFrame({"capacity": [capacity]})

    p = Panel(PARAMS[:2], fn, memo=2)
    first = p.output.outputs
    for value in (30, 20, 30, 40, 20):  # 20 fell out of the two remembered settings
        p.controls["capacity"].value = value
    assert seen == [20, 30, 40, 20] and p.calls == 6 and p.computed == 4
    p.controls["capacity"].value = 40
    assert p.computed == 4 and "40" in p.output.outputs[0]["data"]["text/plain"]
    assert first[0]["data"] == Panel(PARAMS[:2], fn, memo=0).output.outputs[0]["data"]
