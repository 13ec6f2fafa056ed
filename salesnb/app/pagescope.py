"""The scope of a page: the report's parameter, the page's control, or the app's fixed scope.

:func:`salesnb.report.reporting.report_data` asks :func:`page_scope` which scope to filter the
data to, then calls :func:`show_scope_control` with the filtered data. Where the answer comes
from:

- **A scheduled run** (``SALESNB_HEADLESS=1``) **or any kernel outside the app**: the report's
  ``scope`` parameter; the control shows nothing.
- **The managers' app with a fixed scope** (``salesnb app --scope manager:R003``; the server
  puts it in :data:`APP_SCOPE_ENV` for every kernel it starts): that scope, whatever the page's
  address says. The control shows the scope in words and offers no choice, so a manager's app
  cannot show another team.
- **The managers' app without one**: the page address's ``?scope=region:East`` (Voilà gives
  each page's kernel its query string in ``QUERY_STRING``), else the parameter. The control is
  a drop-down of every scope of the data (company, regions, managers' teams, reps, in words
  with names) in a plain HTML form: choosing one reloads the page with ``?scope=...``, so the
  whole notebook (every section and panel) runs again for it. A small script moves the control
  into the page's top bar and submits the form on a change; without scripts the form's button
  does it.

A scope in the address that the data does not hold is refused: the page says why, shows the
control to choose a valid scope, and stops before any data is shown (never a wider scope than
the one asked for). A fixed scope that the data no longer holds (the manager left) stops the
page the same way.
"""

from __future__ import annotations

import html
import os
import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from salesnb.paths import HEADLESS_ENV

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData

__all__ = ["APP_ENV", "APP_SCOPE_ENV", "QUERY_ENV", "QUERY_KEY", "in_app", "query_scope",
           "page_scope", "show_scope_control", "scope_options", "control_html",
           "refusal_html"]

#: Set to ``1`` by ``salesnb app`` for its kernels: the page runs in the managers' app.
APP_ENV = "SALESNB_APP"
#: Set by ``salesnb app --scope`` for its kernels: the one scope every page shows.
APP_SCOPE_ENV = "SALESNB_APP_SCOPE"
#: Where Voilà puts a page's query string for its kernel.
QUERY_ENV = "QUERY_STRING"
#: The query parameter naming the page's scope (``?scope=region:East``).
QUERY_KEY = "scope"
#: Longest scope text read from a page address (anything longer is refused unread).
_LONGEST = 200
#: The kinds' headings in the drop-down.
_GROUPS = {"region": "Regions", "manager": "Managers' teams", "rep": "Reps"}

#: What :func:`page_scope` noted for :func:`show_scope_control` on this page.
_NOTE: dict[str, str] = {}


def in_app(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this kernel runs a page of the managers' app (not a scheduled run).

    Parameters
    ----------
    environ : mapping, optional
        Where to look (default: ``os.environ``).

    Returns
    -------
    bool
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    return env.get(APP_ENV) == "1" and env.get(HEADLESS_ENV) != "1"


def query_scope(query: str) -> str | None:
    """The scope a page address asks for (``scope=region%3AEast`` -> ``"region:East"``).

    Parameters
    ----------
    query : str
        The query string, without ``?``.

    Returns
    -------
    str or None
        None when the address names no scope.

    Raises
    ------
    ScopeError
        The address names several different scopes, or one too long to be a scope.
    """
    from salesnb.scope import ScopeError

    values = urllib.parse.parse_qs(query or "", keep_blank_values=True).get(QUERY_KEY, [])
    values = [v.strip() for v in values]
    if not values:
        return None
    if len(set(values)) > 1:
        raise ScopeError("the page address names more than one scope")
    if len(values[0]) > _LONGEST:
        raise ScopeError(f"the scope in the page address is longer than {_LONGEST} "
                         "characters")
    return values[0] or None


def _canonical(text: str, company: SalesData | None) -> str:
    """``text`` checked against the data (when known) and spelt as the data spells it."""
    from salesnb.scope import check_scope, parse_scope, scope_choices

    if company is None:
        kind, value = parse_scope(text)
    else:
        kind, value = check_scope(text, scope_choices(company))
    return "company" if kind == "company" else f"{kind}:{value}"


def page_scope(parameter: str, d: SalesData | None = None) -> tuple[str, bool]:
    """The scope a page runs for, and whether it is fixed.

    Parameters
    ----------
    parameter : str
        The report's ``scope`` parameter.
    d : SalesData, optional
        The company's data, to check a scope from the page address against (without it the
        scope's form is checked, and the data check happens when the scope is applied).

    Returns
    -------
    tuple of (str, bool)
        The scope text (``region:East``) and True when the app serves that scope only.
        Outside the app: ``(parameter, False)``.

    Raises
    ------
    ScopeError
        In the app, when the page address asks for a scope the data does not hold (or the
        app's fixed scope is no longer in the data): the page has shown why and a control to
        choose another, and stops there.
    """
    from salesnb.scope import ScopeError

    _NOTE.clear()
    env = os.environ
    if not in_app(env):
        return parameter, False
    company = d.company if d is not None else None
    fixed = env.get(APP_SCOPE_ENV, "").strip()
    if fixed:
        # the address's scope is never read, only noticed: the fixed scope is all it shows
        if QUERY_KEY in urllib.parse.parse_qs(env.get(QUERY_ENV, ""), keep_blank_values=True):
            _NOTE["ignored"] = "1"
        try:
            return _canonical(fixed, company), True
        except ScopeError as exc:
            _show(refusal_html(
                "This app serves one scope only, and the data no longer holds it: "
                f"{_reason(exc)}. Ask the person who runs the app to start it for a current "
                "scope.", None))
            raise
    try:
        asked = query_scope(env.get(QUERY_ENV, ""))
        if asked is None:
            return parameter, False
        return _canonical(asked, company), False
    except ScopeError as exc:
        _show(refusal_html(f"The page address asks for a scope this page cannot show: "
                           f"{_reason(exc)}. Choose a scope in the list at the top of the page.",
                           company))
        raise


def _reason(exc: Exception) -> str:
    """A scope error without its list of valid scopes (the control lists them)."""
    return str(exc).split("; valid scopes:", 1)[0]


def _show(markup: str) -> None:
    """Display HTML on the page (nothing outside IPython)."""
    from IPython import get_ipython
    from IPython.display import HTML, display

    if get_ipython() is not None:
        display(HTML(markup))


def show_scope_control(d: Any, *, fixed: bool) -> None:
    """Show the page's scope control in the managers' app (nothing in a scheduled run).

    Parameters
    ----------
    d : SalesData
        The page's scoped data.
    fixed : bool
        The app serves one scope only: the scope in words, no choice.
    """
    if not in_app():
        return
    _show(control_html(d, fixed=fixed, ignored=bool(_NOTE.get("ignored"))))


def _column(d: SalesData, column: str) -> dict[str, str]:
    """``reps.<column>`` by rep id (empty when the data has no such column)."""
    import pandas as pd

    reps = d.get("reps")
    if reps is None or column not in reps.columns or "rep_id" not in reps.columns:
        return {}
    ids = reps["rep_id"].astype("string").str.strip()
    values = reps[column].astype("string").str.strip()
    return {str(r): str(v) for r, v in zip(ids, values, strict=True)
            if pd.notna(r) and pd.notna(v) and str(v)}


def scope_options(d: SalesData) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every scope of a dataset as drop-down options, in words with names.

    Parameters
    ----------
    d : SalesData
        Any scope of the data (its company data is used).

    Returns
    -------
    list of (str, list of (str, str))
        Groups ``(heading, [(scope text, words), ...])``: the company, then the regions
        ("East region"), the managers' teams ("Team of Wei Anderson (R004), East") and the
        reps ("Ashley Robinson (R013), South"). Kinds the data does not hold are left out.
    """
    from salesnb.scope import scope_choices

    company = d.company
    names = _column(company, "name")
    regions = _column(company, "region")

    def person(rep_id: str) -> str:
        name = names.get(rep_id)
        who = f"{name} ({rep_id})" if name else rep_id
        return f"{who}, {regions[rep_id]}" if rep_id in regions else who

    choices = scope_choices(company)
    groups: list[tuple[str, list[tuple[str, str]]]] = [
        ("Company", [("company", "Whole company")])]
    words = {"region": lambda v: f"{v} region", "manager": lambda v: f"Team of {person(v)}",
             "rep": person}
    for kind, heading in _GROUPS.items():
        values = choices.get(kind) or []
        if values:
            groups.append((heading, [(f"{kind}:{v}", words[kind](v)) for v in values]))
    return groups


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


_MOVE_SCRIPT = """<script>
(function () {
  var box = document.getElementById("salesnb-scope");
  var bar = document.getElementById("salesnb-bar");
  if (box && bar && box.parentNode !== bar) { bar.appendChild(box); }
  var select = document.getElementById("salesnb-scope-select");
  if (select) {
    select.addEventListener("change", function () {
      box.classList.add("salesnb-scope-busy");
      select.form.submit();
    });
  }
})();
</script>"""


def control_html(d: SalesData, *, fixed: bool, ignored: bool = False) -> str:
    """The scope control of a page, as HTML (every text from the data escaped).

    Parameters
    ----------
    d : SalesData
        The page's scoped data.
    fixed : bool
        The app serves this scope only: its words and no choice.
    ignored : bool, default=False
        The page address asked for a scope and the fixed scope was kept (say so).

    Returns
    -------
    str
        A ``div#salesnb-scope`` with the scope's words (``.salesnb-scope-label``) and, unless
        fixed, a GET form whose ``select[name=scope]`` lists :func:`scope_options` with the
        page's scope selected.
    """
    from salesnb.scope import scoped

    scope = scoped(d)
    label = f'<span class="salesnb-scope-label">{_e(scope.label)}</span>'
    if fixed:
        note = (" The scope in the page address was ignored." if ignored else "")
        return (f'<div class="salesnb-scope salesnb-scope-fixed" id="salesnb-scope" '
                f'data-scope="{_e(scope.text)}" data-fixed="true">'
                f'<span class="salesnb-scope-title">Scope</span> {label}'
                f'<span class="salesnb-scope-note">This app shows this scope only.{note}'
                f"</span></div>{_MOVE_SCRIPT}")
    return (f'<div class="salesnb-scope" id="salesnb-scope" data-scope="{_e(scope.text)}" '
            f'data-fixed="false">{_form(d, scope.text)} {label}</div>{_MOVE_SCRIPT}')


def _form(d: SalesData, current: str | None) -> str:
    """The GET form reloading the page for the scope chosen (``current`` selected)."""
    groups = []
    if current is None:
        groups.append('<option value="" selected disabled>Choose a scope&hellip;</option>')
    for heading, options in scope_options(d):
        items = "".join(
            f'<option value="{_e(value)}"{" selected" if value == current else ""}>'
            f"{_e(words)}</option>" for value, words in options)
        groups.append(f'<optgroup label="{_e(heading)}">{items}</optgroup>')
    return ('<form class="salesnb-scope-form" method="get" action="">'
            '<label for="salesnb-scope-select" class="salesnb-scope-title">Scope</label> '
            '<select id="salesnb-scope-select" name="scope" '
            'title="Whose figures the whole page shows">'
            f'{"".join(groups)}</select> '
            '<button type="submit" class="salesnb-scope-show">Show</button></form>')


def refusal_html(message: str, company: SalesData | None) -> str:
    """Why a page shows no data, with a control to choose a valid scope when one is allowed.

    Parameters
    ----------
    message : str
        The reason (escaped here).
    company : SalesData, optional
        The company's data, for the control (None: no choice, e.g. a fixed scope).

    Returns
    -------
    str
    """
    control = ""
    if company is not None:
        control = (f'<div class="salesnb-scope" id="salesnb-scope" data-scope="" '
                   f'data-fixed="false">{_form(company, None)}</div>{_MOVE_SCRIPT}')
    return (f'<div class="salesnb-scope-refused" role="alert"><strong>No data shown.</strong> '
            f"{_e(message)}</div>{control}")
