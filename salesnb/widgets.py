"""Widget panels built from the parameter schema: change a control, see the result at once.

A panel only wires controls (one per :class:`~salesnb.params.Param`) to a pure function and
redraws that function's output; it holds no analysis. In a headless run (``salesnb run`` sets
``SALESNB_HEADLESS=1`` for its kernels) a panel renders the function's output for the current
values as static output and creates no widgets, so a scheduled run can never wait on one.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as w
import matplotlib.pyplot as plt
from IPython.display import display
from matplotlib.figure import Figure

from .params import Param, coerce

__all__ = ["HEADLESS_ENV", "headless", "control", "control_value", "display_all", "Panel",
           "panel"]

#: Environment variable the runner sets for its kernels.
HEADLESS_ENV = "SALESNB_HEADLESS"


def headless() -> bool:
    """True inside a scheduled (papermill) run, where nobody can move a slider."""
    return os.environ.get(HEADLESS_ENV) == "1"


def control(param: Param, value: Any = None) -> w.Widget:
    """Build the ipywidgets control for one parameter.

    Numbers with both bounds become sliders (updating on release), other numbers number boxes,
    choices a dropdown, booleans a checkbox, dates a date picker, texts a text box. The help
    text is the tooltip.
    """
    value = param.default if value is None else value
    common = {"description": param.name.replace("_", " "), "tooltip": param.help,
              "style": {"description_width": "initial"}}
    if param.choices:
        return w.Dropdown(options=list(param.choices), value=value, **common)
    if param.type == "bool":
        return w.Checkbox(value=bool(value), indent=False, **common)
    if param.type in ("int", "float"):
        bounded = param.minimum is not None and param.maximum is not None
        if param.type == "int":
            cls = w.IntSlider if bounded else w.BoundedIntText
            step = int(param.step or 1)
        else:
            cls = w.FloatSlider if bounded else w.BoundedFloatText
            step = param.step or 0.01
        lo = param.minimum if param.minimum is not None else -1e12
        hi = param.maximum if param.maximum is not None else 1e12
        kwargs = {"continuous_update": False} if bounded else {}
        return cls(value=value, min=lo, max=hi, step=step, **kwargs, **common)
    if param.type == "date":
        day = dt.date.fromisoformat(value) if value else None
        return w.DatePicker(value=day, **common)
    return w.Text(value=value, **common)


def control_value(param: Param, widget: w.Widget) -> Any:
    """Read a control back as a schema-valid parameter value."""
    value = widget.value
    if param.type == "date":
        value = value.isoformat() if value else ""
    return coerce(param, value)


def display_all(result: Any) -> None:
    """Display what a view function returned: one item or a tuple (figures closed after)."""
    items = result if isinstance(result, tuple) else (result,)
    for item in items:
        if item is None:
            continue
        if isinstance(item, Figure):
            display(item)
            plt.close(item)
        else:
            display(item)


class Panel:
    """Controls wired to a function; every change calls it and redraws its output.

    Parameters
    ----------
    params : sequence of Param
        The parameters shown as controls (from the notebook's schema).
    fn : callable
        Called with the current values as keyword arguments; returns what to display (a
        DataFrame, a Styler, a Figure, Markdown, or a tuple of those).
    values : mapping, optional
        Starting values (e.g. the notebook's parameters); defaults otherwise.
    """

    def __init__(self, params: Sequence[Param], fn: Callable[..., Any],
                 values: Mapping[str, Any] | None = None) -> None:
        self.params = list(params)
        self.fn = fn
        start = dict(values or {})
        self.controls = {p.name: control(p, start.get(p.name)) for p in self.params}
        self.output = w.Output()
        self.error = w.HTML()
        for c in self.controls.values():
            c.observe(self._on_change, names="value")
        self.widget = w.VBox([w.HBox(list(self.controls.values()),
                                     layout=w.Layout(flex_flow="row wrap")),
                              self.error, self.output])
        self.calls = 0
        self.refresh()

    def values(self) -> dict[str, Any]:
        """Current, validated values of every control."""
        return {p.name: control_value(p, self.controls[p.name]) for p in self.params}

    def refresh(self) -> None:
        """Call the function with the current values and redraw its output."""
        try:
            values = self.values()
        except Exception as exc:  # an invalid entry: say so, keep the last good output
            self.error.value = f"<span style='color:#b21f2d'>{exc}</span>"
            return
        self.error.value = ""
        with self.output:
            self.output.clear_output(wait=True)
            display_all(self.fn(**values))
        self.calls += 1

    def _on_change(self, _change: Mapping[str, Any]) -> None:
        self.refresh()

    def _ipython_display_(self) -> None:
        display(self.widget)


def panel(params: Sequence[Param], fn: Callable[..., Any],
          values: Mapping[str, Any] | None = None) -> Panel | None:
    """Show ``fn``'s output with controls for ``params``; static output in a headless run.

    Parameters
    ----------
    params : sequence of Param
        Parameters to expose (usually taken from the notebook's schema).
    fn : callable
        Pure function of those parameters returning what to display.
    values : mapping, optional
        Starting values.

    Returns
    -------
    Panel or None
        The interactive panel (displayed when it is the last expression of a cell); None in a
        headless run, after displaying ``fn``'s output for ``values``.
    """
    if headless():
        start = {p.name: coerce(p, (values or {}).get(p.name, p.default)) for p in params}
        display_all(fn(**start))
        return None
    return Panel(params, fn, values)
