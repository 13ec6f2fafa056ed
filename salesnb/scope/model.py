"""What a scope is and which scopes the data holds: the company, a region, a team, a rep.

The sales policy has three roles: the director sees the whole company, a regional manager
their region and team, a rep their own leads and accounts. A report runs for one
:class:`Scope`, named by a text (the ``scope`` parameter of every report):

``company``
    Everything (the default).
``region:<name>``
    One sales region: its orders, customers, leads, reps and competitors.
``manager:<rep_id>``
    A manager and everyone below them in the org tree (``reps.manager_id``), however deep.
``rep:<rep_id>``
    One rep: their orders, the customers they own, the leads assigned to them.

:func:`resolve_scope` turns the text into a :class:`Scope` for a loaded dataset (or says
which values exist); :func:`scope_choices` lists every scope of a dataset's tables. Pure
functions on DataFrames: filtering the tables is :mod:`salesnb.scope.filters`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from salesnb.report.params import ParameterError

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData

__all__ = ["KINDS", "Scope", "ScopeError", "parse_scope", "check_scope", "team_of",
           "choices_from", "scope_choices",
           "resolve_scope", "describe"]

#: The kinds of scope, widest first.
KINDS: tuple[str, ...] = ("company", "region", "manager", "rep")
#: Texts that mean the whole company.
_COMPANY = ("", "company", "all")
#: Most values a message lists.
_SHOWN = 20


class ScopeError(ParameterError):
    """A scope text cannot be read, or names a region or person the data does not hold."""


@dataclass(frozen=True)
class Scope:
    """The part of the organisation a report is for.

    Attributes
    ----------
    kind : {"company", "region", "manager", "rep"}
        What the scope is.
    value : str
        The region's name or the person's rep id (empty for the company).
    label : str
        The scope in words, for the page header ("East region — manager Li Wei, 6 reps").
    reps : tuple of str
        Rep ids inside the scope (every rep for the company; the manager and their whole
        team for a manager; the one rep for a rep). Empty when the data has no reps.
    team : tuple of str
        The rep ids a report compares within: the scope's reps, and for a rep their team
        (the reps with the same manager, the rep included). Their names and ids are never
        shown on a rep's page, only figures such as the team's median.
    regions : tuple of str
        Regions inside the scope (the regions of its reps for a manager or a rep).
    manager : str, optional
        Rep id of the scope's manager: the region's manager, the manager, the rep's manager.
    """

    kind: str = "company"
    value: str = ""
    label: str = "Whole company"
    reps: tuple[str, ...] = ()
    team: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    manager: str | None = None
    names: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def text(self) -> str:
        """The scope as the ``scope`` parameter writes it (``region:East``)."""
        return "company" if self.kind == "company" else f"{self.kind}:{self.value}"

    @property
    def is_company(self) -> bool:
        """Whether the scope is the whole company."""
        return self.kind == "company"

    def folder(self) -> str:
        """A folder name for this scope's reports (``region-East``, ``rep-R013``).

        Letters of every script, digits, ``.``, ``_`` and ``-`` are kept; anything else
        (spaces, slashes) becomes ``_``.
        """
        if self.is_company:
            return "company"
        safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in self.value)
        return f"{self.kind}-{safe.strip('.') or '_'}"


def parse_scope(text: str) -> tuple[str, str]:
    """Split a scope text into its kind and value (``"region:East"`` -> ``("region", "East")``).

    Parameters
    ----------
    text : str
        ``company`` (or empty, or ``all``), ``region:<name>``, ``manager:<rep_id>`` or
        ``rep:<rep_id>``; the kind is not case-sensitive.

    Returns
    -------
    tuple of (str, str)

    Raises
    ------
    ScopeError
        The text is none of these forms.
    """
    raw = str(text if text is not None else "").strip()
    if raw.casefold() in _COMPANY:
        return "company", ""
    kind, sep, value = raw.partition(":")
    kind, value = kind.strip().casefold(), value.strip()
    if not sep or kind not in KINDS[1:] or not value:
        raise ScopeError(f"scope {raw!r} is not one of: company, region:<name>, "
                         f"manager:<rep_id>, rep:<rep_id> (e.g. region:East, rep:R013)")
    return kind, value


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip()


def _plain(frame: pd.DataFrame | None, column: str) -> list[str | None]:
    """A column as stripped texts, None for a gap (or all None when the column is absent)."""
    if frame is None:
        return []
    if column not in frame.columns:
        return [None] * len(frame)
    return [None if pd.isna(v) or not str(v).strip() else str(v).strip()
            for v in frame[column].tolist()]


def team_of(reps: pd.DataFrame, manager_id: str) -> list[str]:
    """The people below ``manager_id`` in the org tree, however deep (the manager first).

    Parameters
    ----------
    reps : pandas.DataFrame
        With ``rep_id`` and ``manager_id``.
    manager_id : str
        The manager's rep id.

    Returns
    -------
    list of str
        ``manager_id`` and everyone who reports to them, directly or through others, in
        breadth-first order. A cycle in ``manager_id`` (bad data) is walked once.
    """
    if "manager_id" not in reps.columns:
        return [manager_id]
    ids, bosses = _text(reps["rep_id"]), _text(reps["manager_id"])
    below: dict[str, list[str]] = {}
    for rep, boss in zip(ids, bosses, strict=True):
        if pd.notna(boss) and pd.notna(rep) and boss != rep:
            below.setdefault(str(boss), []).append(str(rep))
    seen, todo = [manager_id], [manager_id]
    while todo:
        for rep in below.get(todo.pop(0), []):
            if rep not in seen:
                seen.append(rep)
                todo.append(rep)
    return seen


def _regions_of(d: SalesData) -> list[str]:
    """Every region named in the tables that carry one."""
    found: set[str] = set()
    for table in ("orders", "customers", "reps", "leads"):
        frame = d.get(table)
        if frame is not None and "region" in frame.columns:
            found.update(str(v) for v in _text(frame["region"]).dropna().unique() if v)
    return sorted(found)


def _managers(reps: pd.DataFrame) -> list[str]:
    """Rep ids of the managers: the people someone reports to.

    The director is left out when roles are known (the company scope is the director's).
    """
    if "manager_id" not in reps.columns:
        return []
    ids = set(_text(reps["rep_id"]).dropna())
    bosses = {str(b) for b in _text(reps["manager_id"]).dropna() if b in ids}
    if "role" in reps.columns:
        roles = dict(zip(_text(reps["rep_id"]), _text(reps["role"]).str.casefold(),
                         strict=True))
        bosses = {b for b in bosses if roles.get(b) != "director"}
    return sorted(bosses)


def choices_from(reps: pd.DataFrame | None, regions: Iterable[str],
                 order_reps: Iterable[str] = ()) -> dict[str, list[str]]:
    """The scope values of an organisation, from its reps table and the regions it names.

    Parameters
    ----------
    reps : pandas.DataFrame, optional
        ``rep_id`` and, where known, ``manager_id``, ``role``.
    regions : iterable of str
        The regions named anywhere in the data.
    order_reps : iterable of str
        Rep ids of the orders (the reps when there is no reps table).

    Returns
    -------
    dict of str to list of str
        As :func:`scope_choices`.
    """
    if reps is not None:
        if "role" in reps.columns:
            keep = (_text(reps["role"]).str.casefold() == "rep").fillna(False)
            people = sorted(str(v) for v in _text(reps.loc[keep.to_numpy(), "rep_id"]).dropna())
        else:
            people = sorted(str(v) for v in _text(reps["rep_id"]).dropna())
    else:
        people = sorted({str(v).strip() for v in order_reps if pd.notna(v) and str(v).strip()})
    return {"region": sorted({str(r).strip() for r in regions if pd.notna(r) and str(r).strip()}),
            "manager": _managers(reps) if reps is not None else [],
            "rep": people}


def scope_choices(d: SalesData) -> dict[str, list[str]]:
    """Every scope value a dataset holds, per kind.

    Parameters
    ----------
    d : SalesData
        The whole company's data.

    Returns
    -------
    dict of str to list of str
        ``region``: the regions named in orders, customers, reps or leads; ``manager``: the
        rep ids someone reports to (not the director); ``rep``: the reps (``role`` rep), or
        every rep id of the orders when there is no reps table. A kind the data cannot
        support is an empty list (managers need ``reps.manager_id``).
    """
    orders = d.get("orders")
    order_reps = (orders["rep_id"].dropna().unique().tolist()
                  if orders is not None and "rep_id" in orders.columns else [])
    return choices_from(d.get("reps"), _regions_of(d), order_reps)


def _listing(values: list[str]) -> str:
    shown = ", ".join(values[:_SHOWN])
    return shown + (f" ... ({len(values):,} in all)" if len(values) > _SHOWN else "")


def _valid_text(choices: dict[str, list[str]]) -> str:
    parts = ["company"]
    for kind in KINDS[1:]:
        if choices.get(kind):
            parts.append(f"{kind}:<{'name' if kind == 'region' else 'rep_id'}> with "
                         f"{'one of ' if kind != 'region' else ''}{_listing(choices[kind])}")
    return "; ".join(parts)


def check_scope(text: str, choices: dict[str, list[str]]) -> tuple[str, str]:
    """Read a scope text and check it against the values the data holds.

    Parameters
    ----------
    text : str
        The ``scope`` parameter.
    choices : dict
        From :func:`scope_choices` (or the runner's pre-kernel read of the data).

    Returns
    -------
    tuple of (str, str)
        Kind and value, the value spelt as in the data (matched without regard to case).

    Raises
    ------
    ScopeError
        Naming the valid scopes.
    """
    kind, value = parse_scope(text)
    if kind == "company":
        return kind, value
    values = choices.get(kind) or []
    match = {v.casefold(): v for v in values}.get(value.casefold())
    if match is None:
        what = {"region": "region", "manager": "manager (someone reps report to)",
                "rep": "rep"}[kind]
        if kind == "manager" and not values:
            why = "the data has no reps table with manager_id, so no team can be found"
        else:
            why = f"{value!r} is not a {what} in the data"
        raise ScopeError(f"scope {text!r}: {why}; valid scopes: {_valid_text(choices)} "
                         f"('salesnb scopes' lists every one)")
    return kind, match


def _names(reps: pd.DataFrame | None) -> dict[str, str]:
    if reps is None or "name" not in reps.columns:
        return {}
    return {str(r): str(n) for r, n in zip(_text(reps["rep_id"]), reps["name"], strict=True)
            if pd.notna(r) and pd.notna(n)}


def _person(rep_id: str | None, names: dict[str, str]) -> str:
    if rep_id is None:
        return ""
    name = names.get(rep_id)
    return f"{name} ({rep_id})" if name else rep_id


def _sellers(ids: Iterable[str], reps: pd.DataFrame | None) -> list[str]:
    """The ids among ``ids`` who sell (role ``rep``, or every one when roles are unknown)."""
    ids = list(ids)
    if reps is None or "role" not in reps.columns:
        return ids
    roles = dict(zip(_text(reps["rep_id"]), _text(reps["role"]).str.casefold(), strict=True))
    return [i for i in ids if roles.get(i, "rep") == "rep"]


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def resolve_scope(d: SalesData, text: str = "company") -> Scope:
    """The :class:`Scope` a scope text names in a dataset.

    Parameters
    ----------
    d : SalesData
        The whole company's data.
    text : str, default="company"
        The ``scope`` parameter.

    Returns
    -------
    Scope

    Raises
    ------
    ScopeError
        The text cannot be read or names a value the data does not hold (the message lists
        the valid scopes).
    """
    kind, value = check_scope(text, scope_choices(d))
    reps = d.get("reps")
    names = _names(reps)
    ids = _plain(reps, "rep_id")
    region_of = {i: r for i, r in zip(ids, _plain(reps, "region"), strict=True)
                 if i is not None and r}
    boss_of = {i: b for i, b in zip(ids, _plain(reps, "manager_id"), strict=True)
               if i is not None and b}
    if kind == "company":
        members = ([i for i in ids if i is not None] if reps is not None
                   else scope_choices(d)["rep"])
        regions = _regions_of(d)
        sellers = _sellers(members, reps)
        label = (f"Whole company — {_count(len(regions), 'region')}, "
                 f"{_count(len(sellers), 'rep')}" if regions or sellers else "Whole company")
        return Scope("company", "", label, tuple(members), tuple(members), tuple(regions),
                     None, names)
    if kind == "region":
        members = [i for i, r in region_of.items() if r == value]
        managers = [m for m in _managers(reps) if m in members] if reps is not None else []
        manager = managers[0] if len(managers) == 1 else None
        sellers = _sellers(members, reps)
        parts = [f"{value} region"]
        extra = [f"manager {_person(manager, names)}"] if manager else []
        if members:
            extra.append(_count(len(sellers), "rep"))
        label = parts[0] + (" — " + ", ".join(extra) if extra else "")
        return Scope("region", value, label, tuple(members), tuple(members), (value,),
                     manager, names)
    if kind == "manager":
        members = team_of(reps, value)
        regions = sorted({region_of[m] for m in members if m in region_of})
        sellers = _sellers(members[1:], reps)
        where = f", {', '.join(regions)} region{'s' if len(regions) != 1 else ''}" \
            if regions else ""
        label = f"Team of manager {_person(value, names)} — {_count(len(sellers), 'rep')}{where}"
        return Scope("manager", value, label, tuple(members), tuple(members), tuple(regions),
                     value, names)
    # a rep
    boss = boss_of.get(value)
    team = ([m for m in team_of(reps, boss)[1:] if boss_of.get(m) == boss]
            if reps is not None and boss else [value])
    team = _sellers(team, reps) or [value]
    if value not in team:
        team.append(value)
    region = region_of.get(value)
    regions: tuple[str, ...] = (region,) if region else ()
    if not regions and reps is None:
        orders = d.get("orders")
        if orders is not None and {"rep_id", "region"} <= set(orders.columns):
            own = _text(orders.loc[_text(orders["rep_id"]) == value, "region"]).dropna()
            regions = tuple(sorted(set(own)))
    where = f", {', '.join(regions)} region" if regions else ""
    team_words = (f" — team of manager {_person(boss, names)}, {_count(len(team), 'rep')}"
                  if boss else "")
    label = f"Rep {_person(value, names)}{where}{team_words}"
    return Scope("rep", value, label, (value,), tuple(team), regions, boss, names)


def describe(scope: Scope) -> str:
    """The scope in words, for a sentence or a page header (its :attr:`Scope.label`).

    Parameters
    ----------
    scope : Scope

    Returns
    -------
    str
    """
    return scope.label
