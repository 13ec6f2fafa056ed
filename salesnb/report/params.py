"""Report parameters: one UI-neutral schema per notebook, validated strictly.

A :class:`NotebookSpec` lists a notebook's parameters (:class:`Param`: name, type, default,
range or choices, help). The same schema

* renders the notebook's ``parameters`` cell (:func:`parameters_cell_source`), and a test
  checks every notebook against it;
* validates values from ``-p NAME VALUE`` flags or a YAML file before any kernel starts
  (:func:`validate_params`): an unknown name, a wrong type or a value out of range is an error
  naming the parameter and what is allowed, where papermill only warns;
* builds the widget panels of the managers' app (:mod:`salesnb.report.widgets`).
"""

from __future__ import annotations

import ast
import datetime as dt
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from salesnb.core.files import read_yaml
from salesnb.errors import SalesnbError

__all__ = [
    "Param",
    "NotebookSpec",
    "ParameterError",
    "coerce",
    "validate_params",
    "parameters_cell_source",
    "read_parameters_cell",
    "spec_from_notebook",
    "load_param_file",
]

ParamType = Literal["str", "int", "float", "bool", "date"]
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


class ParameterError(SalesnbError):
    """A report parameter is unknown, of the wrong type or out of range."""


@dataclass(frozen=True)
class Param:
    """One parameter of a report notebook.

    Parameters
    ----------
    name : str
        Python identifier used in the notebook.
    type : {"str", "int", "float", "bool", "date"}
        Value type. ``date`` values are ISO texts (``"2025-12-31"``); an empty text means
        "today" where the help says so.
    default : object
        Default value (a JSON-compatible literal).
    help : str
        One line for ``salesnb list``, the notebook and the widget tooltip.
    minimum, maximum : float, optional
        Inclusive bounds for numbers.
    choices : tuple, optional
        Allowed values.
    step : float, optional
        Suggested increment for sliders (UI hint only).
    allow_empty : bool, default=False
        For ``str``/``date``: the empty text is allowed. For ``multiple``: the empty list is
        allowed (reports read it as "all").
    multiple : bool, default=False
        The value is a list of values of ``type`` (a multi-select in the app; a
        comma-separated text on the command line). The default is a tuple.
    values : {"region", "category", "rep", "period"}, optional
        The value must exist in the data (a region, a product category, a rep id) or, for
        ``"period"``, be a year, quarter or month the orders cover; checked before any
        kernel starts (:mod:`salesnb.report.datacheck`). ``"all"`` and empty are not checked.
    """

    name: str
    type: ParamType
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    step: float | None = None
    allow_empty: bool = False
    multiple: bool = False
    values: str | None = None

    def allowed(self) -> str:
        """Describe the allowed values, for error messages and help."""
        if self.multiple:
            one = replace(self, multiple=False, allow_empty=False).allowed()
            empty = " (empty: all)" if self.allow_empty else ""
            return f"a list (comma-separated) of {one}{empty}"
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        parts = [{"str": "a text", "int": "a whole number", "float": "a number",
                  "bool": "true or false", "date": "a date like 2025-12-31"}[self.type]]
        if self.values == "period":
            parts = [("a date like 2025-12-31 or " if self.type == "date" else "")
                     + "a period: a year 2025, a quarter 2025Q4 or a month 2025-12"]
        if self.minimum is not None and self.maximum is not None:
            parts.append(f"from {self.minimum:g} to {self.maximum:g}")
        elif self.minimum is not None:
            parts.append(f">= {self.minimum:g}")
        elif self.maximum is not None:
            parts.append(f"<= {self.maximum:g}")
        if self.allow_empty:
            parts.append("or empty")
        return " ".join(parts)


@dataclass(frozen=True)
class NotebookSpec:
    """A report notebook and its parameter schema.

    Parameters
    ----------
    name : str
        Short name, also the file stem (``"00_data_quality"``).
    title : str
        Title of the HTML report.
    description : str
        What a manager learns from it.
    params : tuple of Param
        The parameters, in cell order.
    path : pathlib.Path, optional
        The notebook file; ``notebooks/<name>.ipynb`` when not given.
    """

    name: str
    title: str
    description: str
    params: tuple[Param, ...] = ()
    path: Path | None = field(default=None, compare=False)

    def param(self, name: str) -> Param:
        """Return parameter ``name``; ``ParameterError`` naming the known ones otherwise."""
        for p in self.params:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.params) or "none"
        raise ParameterError(f"{self.name}: unknown parameter {name!r}; its parameters are: "
                             f"{known}")

    def defaults(self) -> dict[str, Any]:
        """Return ``{name: default}`` for every parameter (lists for ``multiple`` ones)."""
        return {p.name: list(p.default) if p.multiple else p.default for p in self.params}


def coerce(param: Param, value: Any, *, where: str = "") -> Any:
    """Check ``value`` against ``param`` and return it in the parameter's type.

    Texts (from the command line) are parsed; other values (from YAML or Python) must already
    have the right type (an ``int`` is accepted for a ``float``). A ``multiple`` parameter
    takes a list or tuple, or a comma-separated text, and returns a list without repeats.

    Raises
    ------
    ParameterError
        Naming the parameter, the value and the allowed values.
    """
    label = f"{where}: " if where else ""
    if param.multiple:
        return _coerce_many(param, value, where)

    def fail(reason: str = "") -> ParameterError:
        extra = f" ({reason})" if reason else ""
        return ParameterError(f"{label}parameter {param.name}={value!r} is not allowed{extra}; "
                              f"expected {param.allowed()}")

    v = value
    if param.type == "bool":
        if isinstance(v, str) and v.strip().lower() in _TRUE | _FALSE:
            v = v.strip().lower() in _TRUE
        if not isinstance(v, bool):
            raise fail()
    elif param.type in ("int", "float"):
        if isinstance(v, str):
            try:
                v = float(v) if param.type == "float" else int(v.strip())
            except ValueError:
                raise fail() from None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise fail()
        if param.type == "int" and not (isinstance(v, int) or float(v).is_integer()):
            raise fail("not a whole number")
        v = int(v) if param.type == "int" else float(v)
        if param.minimum is not None and v < param.minimum:
            raise fail("too small")
        if param.maximum is not None and v > param.maximum:
            raise fail("too large")
    elif param.type == "date":
        if isinstance(v, dt.date):
            v = v.isoformat()
        if not isinstance(v, str):
            raise fail()
        v = v.strip()
        if v or not param.allow_empty:
            try:
                v = dt.date.fromisoformat(v).isoformat()
            except ValueError:
                if param.values != "period":
                    raise fail() from None
                v = _period_text(v, fail)
    else:
        if not isinstance(v, str):
            raise fail()
        if not v and not param.allow_empty:
            raise fail("empty")
    if param.choices is not None and v not in param.choices:
        raise fail()
    return v


def _period_text(value: str, fail: Any) -> str:
    """A year, quarter or month text (``2025``, ``2025Q4``, ``2025-12``), as pandas writes it."""
    from salesnb.core.periods import parse_period  # pandas: only when a period is given
    from salesnb.errors import PeriodError

    try:
        return str(parse_period(value))
    except PeriodError:
        raise fail() from None


def _coerce_many(param: Param, value: Any, where: str) -> list[Any]:
    """Coerce a list value of a ``multiple`` parameter (see :func:`coerce`)."""
    label = f"{where}: " if where else ""
    items = value
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(items, (list, tuple)):
        raise ParameterError(f"{label}parameter {param.name}={value!r} is not allowed; "
                             f"expected {param.allowed()}")
    if not items and not param.allow_empty:
        raise ParameterError(f"{label}parameter {param.name} is empty; expected "
                             f"{param.allowed()}")
    one = replace(param, multiple=False)
    out: list[Any] = []
    for item in items:
        v = coerce(one, item, where=where)
        if v not in out:
            out.append(v)
    return out


def validate_params(spec: NotebookSpec, values: dict[str, Any]) -> dict[str, Any]:
    """Validate ``values`` for ``spec`` and return the complete parameter set.

    Parameters
    ----------
    spec : NotebookSpec
        The notebook's schema.
    values : dict
        Parameters given by the user (texts from flags, or typed values from YAML).

    Returns
    -------
    dict
        Every parameter of the notebook: the given values coerced, defaults for the rest.

    Raises
    ------
    ParameterError
        For an unknown name, a wrong type or a value out of range.
    """
    out = spec.defaults()
    for name, value in values.items():
        out[name] = coerce(spec.param(name), value, where=spec.name)
    return out


def _literal(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def parameters_cell_source(spec: NotebookSpec) -> str:
    """Render the ``parameters`` cell of a notebook from its schema.

    Each line is ``name: type = default  # help`` (papermill reads the type hint and comment).
    """
    hints = {"str": "str", "int": "int", "float": "float", "bool": "bool", "date": "str"}
    lines = [f"{p.name}: list = {json.dumps(list(p.default), ensure_ascii=False)}  # {p.help}"
             if p.multiple else f"{p.name}: {hints[p.type]} = {_literal(p.default)}  # {p.help}"
             for p in spec.params]
    return "\n".join(lines)


def read_parameters_cell(notebook: str | Path) -> dict[str, Any]:
    """Return ``{name: default}`` assigned in the notebook's ``parameters`` cell.

    Raises
    ------
    SalesnbError
        When the notebook has no cell tagged ``parameters`` or it holds something else than
        literal assignments.
    """
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise SalesnbError(f"{notebook}: expected exactly one cell tagged 'parameters', "
                           f"found {len(cells)}")
    source = "".join(cells[0]["source"])
    values: dict[str, Any] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            values[node.target.id] = ast.literal_eval(node.value)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.literal_eval(node.value)
        else:
            raise SalesnbError(f"{notebook}: the parameters cell may only assign literals "
                               f"(line {node.lineno})")
    return values


def spec_from_notebook(path: str | Path) -> NotebookSpec:
    """Infer a schema from a notebook that is not in the catalog (types from its defaults).

    Lets ``salesnb run some/other.ipynb`` validate parameters as strictly as catalog
    notebooks.
    """
    path = Path(path)
    types = {bool: "bool", int: "int", float: "float", str: "str"}
    params = []
    for name, default in read_parameters_cell(path).items():
        if isinstance(default, list) and all(isinstance(v, str) for v in default):
            params.append(Param(name, "str", tuple(default), "", allow_empty=True,
                                multiple=True))
            continue
        kind = types.get(type(default))
        if kind is None:
            raise SalesnbError(f"{path}: parameter {name} has a default of type "
                               f"{type(default).__name__}; use a text, number or true/false")
        params.append(Param(name, kind, default, "", allow_empty=kind == "str"))  # type: ignore[arg-type]
    return NotebookSpec(path.stem, path.stem.replace("_", " "), "", tuple(params), path)


def load_param_file(path: Path | None) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Read a YAML parameter file: top-level values for all notebooks, ``notebooks:`` per one.

    Parameters
    ----------
    path : pathlib.Path or None
        The file (``salesnb run --params``); None for none.

    Returns
    -------
    tuple of (dict, dict)
        The values for every notebook, and the values per notebook name.

    Raises
    ------
    ParameterError
        When the file is missing or not laid out as ``name: value`` lines.
    """
    if path is None:
        return {}, {}
    if not path.is_file():
        raise ParameterError(f"parameter file {path} does not exist")
    raw = read_yaml(path, error=ParameterError) or {}
    if not isinstance(raw, dict):
        raise ParameterError(f"parameter file {path}: expected 'name: value' lines")
    per = raw.pop("notebooks", None) or {}
    if not isinstance(per, dict) or not all(isinstance(v, dict) for v in per.values()):
        raise ParameterError(f"parameter file {path}: 'notebooks' must map notebook names to "
                             "'name: value' lines")
    return raw, per
