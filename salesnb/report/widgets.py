"""Widget panels built from the parameter schema: change a control, see the result at once.

A panel only wires controls (one per :class:`~salesnb.report.params.Param`) to a pure function
and redraws that function's output; it holds no analysis. The controls come from the same
:class:`~salesnb.report.params.Param` schema as the notebook's ``parameters`` cell and the command
line, so a parameter added to the schema shows up in all three. In a headless run
(``salesnb run`` sets ``SALESNB_HEADLESS=1`` for its kernels) a panel renders the function's
output for the current values as static output and creates no widgets, so a scheduled run can
never wait on one.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as w
import matplotlib.pyplot as plt
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.pylabtools import print_figure
from IPython.display import Markdown, display
from matplotlib.figure import Figure

from salesnb.core.fmt import escape
from salesnb.core.plots import amounts, fits, settle
from salesnb.errors import SalesnbError
from salesnb.paths import HEADLESS_ENV
from salesnb.report.params import Param, coerce

__all__ = ["headless", "control", "control_value", "display_all", "output_items", "Panel",
           "panel"]


def headless() -> bool:
    """True inside a scheduled (papermill) run, where nobody can move a slider."""
    return os.environ.get(HEADLESS_ENV) == "1"


def control(param: Param, value: Any = None) -> w.Widget:
    """Build the ipywidgets control for one parameter.

    Numbers with both bounds become sliders (updating on release), other numbers number boxes,
    choices a dropdown, several of the choices (``multiple``) a multi-select, booleans a
    checkbox, dates a date picker, texts a text box (checked when the user presses Enter or
    leaves it). The help text is the tooltip.
    """
    value = param.default if value is None else value
    common = {"description": param.name.replace("_", " "), "tooltip": param.help,
              "style": {"description_width": "initial"}}
    if param.multiple:
        if param.choices:
            chosen = tuple(v for v in value if v in param.choices)
            return w.SelectMultiple(options=list(param.choices), value=chosen,
                                    rows=min(len(param.choices), 6), **common)
        return w.Text(value=", ".join(str(v) for v in value), continuous_update=False,
                      placeholder="comma-separated", **common)
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
    return w.Text(value=value, continuous_update=False, **common)


def control_value(param: Param, widget: w.Widget) -> Any:
    """Read a control back as a schema-valid parameter value.

    Raises
    ------
    salesnb.report.params.ParameterError
        When the control holds a value the schema does not allow (e.g. an empty date where
        one is required, or a text that is not one of the allowed values).
    """
    value = widget.value
    if param.type == "date" and not param.multiple:
        value = value.isoformat() if value else ""
    elif isinstance(value, tuple):
        value = list(value)
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


def figure_png(fig: Figure, **_: Any) -> str:
    """A figure as a base64 PNG: drawn once when it :func:`~salesnb.core.plots.fits`.

    Its large values are labelled in thousands and millions
    (:func:`~salesnb.core.plots.amounts`), then a figure with a tight layout engine is laid
    out (:func:`~salesnb.core.plots.settle`).
    A figure that does not fit is cropped to its tight bounding box (as IPython's inline
    backend does), which draws it twice. Installed as the notebook's PNG formatter for
    figures by :func:`use_figure_png`.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    **_
        Ignored (the inline backend's print options).

    Returns
    -------
    str
        The PNG image, base64-encoded.
    """
    settle(amounts(fig))
    return print_figure(fig, "png", bbox_inches=None if fits(fig) else "tight", base64=True)


def use_figure_png() -> None:
    """Make the notebook show figures with :func:`figure_png` (outside IPython: nothing).

    Only IPython's own PNG printer is replaced, with the inline backend: a notebook set to
    another figure format (``%config InlineBackend.figure_formats``) or backend keeps it.
    """
    shell = InteractiveShell.initialized() and InteractiveShell.instance()
    if not shell:
        return
    import matplotlib_inline.backend_inline  # noqa: F401  (configures the inline backend)

    formatter = shell.display_formatter.formatters["image/png"]
    printer = formatter.type_printers.get(Figure)
    if getattr(printer, "func", None) is print_figure and printer.keywords.get("fmt") == "png":
        formatter.for_type(Figure, figure_png)
        # pyplot's own hook draws every changed figure after each cell; the inline backend
        # then draws it again as the PNG shown, so the first draw only cost time (as much
        # as the PNG). Interactive backends (ipympl) keep the hook.
        plt.uninstall_repl_displayhook()


def output_items(result: Any) -> tuple[dict[str, Any], ...]:
    """Turn what a view function returned into output-area items (display_data bundles).

    Figures become PNG images (and are closed); everything else is formatted by IPython's
    display formatter, as ``display`` would.
    """
    fmt = InteractiveShell.instance().display_formatter.format
    items = result if isinstance(result, tuple) else (result,)
    out = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, Figure):
            png = figure_png(item)
            data, metadata = {"image/png": png, "text/plain": repr(item)}, {}
            plt.close(item)
        else:
            data, metadata = fmt(item)
        out.append({"output_type": "display_data", "data": data, "metadata": metadata})
    return tuple(out)


def _message(text: str) -> str:
    return f"<span class='salesnb-message' style='color:#b21f2d'>{html.escape(text)}</span>"


class Panel:
    """Controls wired to a function; every change calls it and redraws its output.

    An invalid value in a control (or a combination the function rejects with a
    :class:`~salesnb.errors.SalesnbError`) shows the message beside the control (or above the
    output) and keeps the last good output on screen; nothing is recomputed until the values
    are valid again.

    Parameters
    ----------
    params : sequence of Param
        The parameters shown as controls (from the notebook's schema).
    fn : callable
        Called with the current values as keyword arguments; returns what to display (a
        DataFrame, a Styler, a Figure, Markdown, or a tuple of those).
    values : mapping, optional
        Starting values (e.g. the notebook's parameters); defaults otherwise.
    memo : int, default=32
        Outputs of this many recent settings are kept, so going back to a setting seen
        before redraws at once without calling ``fn`` (which must be a pure function of the
        values, as views are). 0 turns this off.

    Attributes
    ----------
    controls : dict of str to ipywidgets.Widget
        One control per parameter.
    messages : dict of str to ipywidgets.HTML
        The message beside each control (empty while its value is valid).
    error : ipywidgets.HTML
        A message about the values together, from the function.
    output : ipywidgets.Output
        Where the function's result is drawn.
    last_good : dict or None
        The values of the output on screen.
    calls : int
        Times the output was redrawn.
    computed : int
        Times ``fn`` was called (redraws of a remembered setting do not count).
    """

    def __init__(self, params: Sequence[Param], fn: Callable[..., Any],
                 values: Mapping[str, Any] | None = None, *, memo: int = 32) -> None:
        self.params = list(params)
        self.fn = fn
        self.memo = memo
        self._memo: OrderedDict[tuple[Any, ...], tuple[dict[str, Any], ...]] = OrderedDict()
        self.computed = 0
        start = dict(values or {})
        self.controls = {p.name: control(p, start.get(p.name)) for p in self.params}
        self.messages = {p.name: w.HTML() for p in self.params}
        self.output = w.Output()
        self.output.add_class("salesnb-panel-output")
        self.error = w.HTML()
        self.error.add_class("salesnb-panel-error")
        boxes = []
        for name, c in self.controls.items():
            c.observe(self._on_change, names="value")
            c.add_class(f"salesnb-control-{name}")
            self.messages[name].add_class(f"salesnb-message-{name}")
            boxes.append(w.HBox([c, self.messages[name]],
                                layout=w.Layout(align_items="center", margin="0 1em 0 0")))
        self.widget = w.VBox([w.HBox(boxes, layout=w.Layout(flex_flow="row wrap")),
                              self.error, self.output])
        self.widget.add_class("salesnb-panel")
        self.last_good: dict[str, Any] | None = None
        self.calls = 0
        self.refresh()

    def values(self) -> dict[str, Any]:
        """Current, validated values of every control.

        Raises
        ------
        salesnb.report.params.ParameterError
            For the first control with an invalid value.
        """
        return {p.name: control_value(p, self.controls[p.name]) for p in self.params}

    def _checked(self) -> dict[str, Any] | None:
        """Validate every control, set the messages beside them; None if any is invalid."""
        values: dict[str, Any] = {}
        ok = True
        for p in self.params:
            try:
                values[p.name] = control_value(p, self.controls[p.name])
            except SalesnbError as exc:
                self.messages[p.name].value = _message(str(exc))
                ok = False
            else:
                self.messages[p.name].value = ""
        return values if ok else None

    def refresh(self) -> None:
        """Call the function with the current values and redraw its output.

        With an invalid value the message is shown and the last good output stays.
        """
        values = self._checked()
        if values is None:
            return
        key = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in values.items())
        items = self._memo.get(key)
        if items is None:
            try:
                result = self.fn(**values)
            except SalesnbError as exc:  # a combination the analysis rejects
                self.error.value = _message(str(exc))
                return
            self.computed += 1
            items = output_items(result)
            if self.memo > 0:
                self._memo[key] = items
                while len(self._memo) > self.memo:
                    self._memo.popitem(last=False)
        else:
            self._memo.move_to_end(key)
        self.error.value = ""
        # One update of the output area, set from the kernel side. Not `with self.output:`
        # (capturing): while Voila executes the notebook, nbclient answers a capturing Output
        # widget on the shell channel it is waiting on, which can hang the page for good
        # (jupyter/nbclient#312). Setting the outputs also swaps old for new without flicker.
        self.output.outputs = items
        self.last_good = values
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
        try:
            result = fn(**start)
        except SalesnbError as exc:  # e.g. tier thresholds in the wrong order
            result = Markdown(f"**{escape(str(exc))}**")
        display_all(result)
        return None
    return Panel(params, fn, values)
