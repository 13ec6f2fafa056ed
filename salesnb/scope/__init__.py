"""Scopes: the company, a region, a manager's team or one rep, and filtering data to one.

Every report takes a ``scope`` parameter (``company``, ``region:<name>``,
``manager:<rep_id>``, ``rep:<rep_id>``); :func:`apply_scope` filters every table to it before
any analysis (``model`` holds what a scope is, ``filters`` the rules per table, ``names`` the
rep and customer names beside ids, ``shared`` what all scopes of one dataset compute once).

>>> import salesnb as sn
>>> d = sn.load("data")                                   # doctest: +SKIP
>>> east = sn.scope.apply_scope(d, "region:East")         # doctest: +SKIP
>>> east.scope.label                                      # doctest: +SKIP
'East region — manager Wei Anderson (R004), 6 reps'
"""

import lazy_loader as _lazy

_EXPORTS: dict[str, list[str]] = {
    "model": ["KINDS", "Scope", "ScopeError", "parse_scope", "check_scope", "team_of",
              "choices_from", "scope_choices", "resolve_scope", "describe"],
    "filters": ["apply_scope", "scoped", "team_data"],
    "names": ["with_names", "REP_NAME", "CUSTOMER_NAME"],
    "members": ["scope_words", "customer_ids", "column_ids"],
    "shared": ["shared", "clear_shared"],
}

__getattr__, __dir__, __all__ = _lazy.attach(__name__, submod_attrs=_EXPORTS)
