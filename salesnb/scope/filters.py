"""Filtering every table of a dataset to one scope, before any analysis.

:func:`apply_scope` returns a :class:`~salesnb.data.loader.SalesData` whose tables hold only
the scope's rows, with ``d.scope`` (the :class:`~salesnb.scope.model.Scope`) and
``d.whole`` (the company's data, for the one labelled company comparison and for what is
learnt from everyone: the lead-scoring model, RFM thresholds). The rules, table by table:

=============  ==================================  ===================================
table          region ``X``                        manager / rep (their rep ids ``R``)
=============  ==================================  ===================================
orders         ``region == X``                     ``rep_id in R``
customers      ``region == X``                     ``owner_rep_id in R``
leads          ``region == X``                     assigned to ``R``; for a manager also
                                                   the unassigned leads of the team's
                                                   regions (theirs to assign)
opportunities  of the region's customers            ``rep_id in R``
surveys        of the region's customers            ``rep_id in R``
targets        ``rep_id`` of the region's reps      ``rep_id in R``
reps           ``region == X``                     ``R``
competitors    ``region == X``                     the scope's regions
products       all (the catalogue is shared)       all
=============  ==================================  ===================================

Where a table lacks the column a rule needs, the next best one is used (orders without a
region: the region's reps, or its customers); a table no rule can place is emptied, never
left whole, so nothing outside the scope reaches a page.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pandas as pd

from salesnb.scope.model import Scope, resolve_scope
from salesnb.scope.shared import shared

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData

__all__ = ["apply_scope", "scoped", "team_data"]


#: Scopes whose filtered tables are kept: a rep's own and their team's, and room for the
#: page a manager's app shows next.
_KEEP = 4


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip()


def _isin(frame: pd.DataFrame, column: str, values: set[str]) -> pd.Series | None:
    if column not in frame.columns:
        return None
    return _text(frame[column]).isin(values).fillna(False).astype(bool)


def _first(*masks: pd.Series | None) -> pd.Series | None:
    for mask in masks:
        if mask is not None:
            return mask
    return None


def _keep(frame: pd.DataFrame, mask: pd.Series | None) -> pd.DataFrame:
    if mask is None:
        return frame.iloc[0:0]
    return frame.loc[mask.to_numpy()]


def _region_tables(d: SalesData, scope: Scope) -> dict[str, pd.DataFrame]:
    regions, reps = set(scope.regions), set(scope.reps)
    out: dict[str, pd.DataFrame] = {}
    customers = d.get("customers")
    own_customers: set[str] | None = None
    if customers is not None:
        mask = _first(_isin(customers, "region", regions), _isin(customers, "owner_rep_id", reps))
        out["customers"] = _keep(customers, mask)
        own_customers = set(_text(out["customers"]["customer_id"]).dropna())
    for name, frame in d.tables.items():
        if name in ("customers", "products"):
            continue
        by_customer = (_isin(frame, "customer_id", own_customers)
                       if own_customers is not None else None)
        if name in ("orders", "leads", "reps", "competitors"):
            mask = _first(_isin(frame, "region", regions),
                          _isin(frame, "rep_id", reps) if reps else None, by_customer)
        elif name in ("opportunities", "surveys"):
            mask = _first(by_customer, _isin(frame, "rep_id", reps) if reps else None)
        else:  # targets and any other table keyed by rep
            mask = _isin(frame, "rep_id", reps)
        out[name] = _keep(frame, mask)
    return out


def _people_tables(d: SalesData, scope: Scope) -> dict[str, pd.DataFrame]:
    reps, regions = set(scope.reps), set(scope.regions)
    out: dict[str, pd.DataFrame] = {}
    for name, frame in d.tables.items():
        if name == "products":
            continue
        if name == "customers":
            mask = _isin(frame, "owner_rep_id", reps)
            if mask is None:  # no owner: the customers the scope sold to
                orders = d.get("orders")
                bought = (set(_text(orders.loc[_text(orders["rep_id"]).isin(reps).fillna(False),
                                               "customer_id"]).dropna())
                          if orders is not None and "rep_id" in orders.columns else set())
                mask = _isin(frame, "customer_id", bought)
        elif name == "leads":
            mask = _isin(frame, "assigned_rep_id", reps)
            if mask is not None and scope.kind == "manager" and "region" in frame.columns:
                open_ = (frame["status"].astype("string") == "open").fillna(False) \
                    if "status" in frame.columns else True
                free = frame["assigned_rep_id"].isna() & open_
                mask = mask | (free & _text(frame["region"]).isin(regions).fillna(False))
        elif name == "competitors":
            mask = _isin(frame, "region", regions)
        else:
            mask = _isin(frame, "rep_id", reps)
        out[name] = _keep(frame, mask)
    return out


def apply_scope(d: SalesData, scope: Scope | str) -> SalesData:
    """The data of one scope: every table filtered by the same rule, before any analysis.

    Parameters
    ----------
    d : SalesData
        The whole company's data.
    scope : Scope or str
        A scope, or its text (``"region:East"``), resolved with
        :func:`~salesnb.scope.model.resolve_scope`.

    Returns
    -------
    SalesData
        The scope's tables (products whole); ``.scope`` is the scope and ``.whole`` the
        company's data. The validation report is the company's (what was read and
        quarantined is a fact of the export, not of a scope). For the company scope the
        tables are ``d``'s own. The last few scopes' tables are kept
        (:func:`~salesnb.scope.shared.shared`): the six reports of one scope, and a rep's
        team on each of its pages, filter the company's tables once.

    Raises
    ------
    ScopeError
        The scope text names a value the data does not hold.
    """
    whole = d.whole if d.whole is not None else d
    if isinstance(scope, str):
        scope = resolve_scope(whole, scope)
    if scope.is_company:
        return dataclasses.replace(whole, scope=scope, whole=None)
    key = ("scope.tables", scope.kind, scope.value, scope.reps, scope.regions)
    tables = shared(whole, key, lambda: _region_tables(whole, scope) if scope.kind == "region"
                    else _people_tables(whole, scope), keep=_KEEP)
    if "products" in whole.tables:
        tables["products"] = whole.tables["products"]
    ordered = {name: tables[name] for name in whole.tables if name in tables}
    return dataclasses.replace(whole, tables=ordered, scope=scope, whole=whole)


def scoped(d: SalesData) -> Scope:
    """The scope a dataset was filtered to (the company when it was never filtered).

    Parameters
    ----------
    d : SalesData

    Returns
    -------
    Scope
    """
    return d.scope if d.scope is not None else resolve_scope(d, "company")


def team_data(d: SalesData) -> SalesData:
    """The data of the team a scope compares within: a rep's whole team, else the scope.

    A rep's page ranks the rep inside their team and proposes new leads from the team's
    assignment; it computes on this and shows only the rep's own rows.

    Parameters
    ----------
    d : SalesData
        Scoped data (:func:`apply_scope`).

    Returns
    -------
    SalesData
        For a rep with a manager: the data of ``manager:<their manager>``, restricted to
        the rep's team (:attr:`Scope.team`); otherwise ``d`` itself.
    """
    scope = scoped(d)
    if scope.kind != "rep" or d.whole is None or scope.manager is None:
        return d
    team = dataclasses.replace(scope, kind="manager", value=scope.manager,
                               reps=tuple(dict.fromkeys((scope.manager, *scope.team))))
    out = apply_scope(d.whole, team)
    return dataclasses.replace(out, scope=scope)
