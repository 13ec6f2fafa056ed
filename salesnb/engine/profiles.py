"""A table's rows counted where they live: the data-quality report's profile of a table.

A profile holds, per key (the table's main date, by day, and the columns a scope filters it
by), the rows, the filled values of every other column (``filled_<column>``,
:data:`~salesnb.data.schema.FILLED`) and the possible double entries
(:data:`~salesnb.data.schema.DOUBLES`: rows identical to another in every column but the
table's key, as ``DataFrame.duplicated`` counts them). Completeness, double entries,
freshness and monthly volumes (:mod:`salesnb.quality`) read the same numbers from it as from
the rows, and a scope (:func:`salesnb.scope.apply_scope`) filters it by the same columns.

The orders get one row more per customer and key but the day, with no rows counted (every
count 0, no day): who bought from whom, so a scope's customers
(:func:`salesnb.scope.customer_ids`) are what the lines would give.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from salesnb.core.periods import parse_day
from salesnb.data.schema import DOUBLES, FILLED, MAIN_DATE, TABLES
from salesnb.engine.backends import Engine
from salesnb.engine.frames import LINES, _cut, _like_loaded, rollup_keys

__all__ = ["WHO", "profile_keys", "profiled", "profile_frame"]

#: Tables whose profile also says which customer each key holds (see the module's notes).
WHO = ("orders",)
#: Summed (not only counted) in a profile of the orders: the monthly volumes show revenue.
_SUMMED = {"orders": ("revenue", "quantity")}


def profile_keys(e: Engine, name: str, keys: Sequence[str]) -> list[str]:
    """The columns a table is profiled by: ``keys`` it has, and the customer when needed.

    Parameters
    ----------
    e : Engine
        Holds the table.
    name : str
        The table (``orders``: :func:`salesnb.engine.rollup_keys`).
    keys : sequence of str
        The grain asked for (e.g. :data:`salesnb.data.schema.PROFILE`'s).

    Returns
    -------
    list of str
        ``keys`` the table has, in order, and ``customer_id`` when the table has one but no
        ``region`` (a region's page then places its rows through their customers).
    """
    if name == "orders":
        return rollup_keys(e, keys)
    cols = e[name].columns
    out = [k for k in dict.fromkeys(keys) if k in cols]
    if "region" not in cols and "customer_id" in cols and "customer_id" not in out:
        out.append("customer_id")
    return out


def _counted(t: Any, name: str, by: Sequence[str]) -> Any:
    """The rows counted per key with their filled values and double entries (one pass).

    The rows are first grouped by every column but the table's key: a group of ``n``
    identical rows holds ``n - 1`` possible double entries, and every such group falls in
    one key of ``by`` (the keys are among its columns). The groups are then summed per key.
    """
    key = [c for c in t.columns if c in TABLES[name].key]
    rest = [c for c in t.columns if c not in key]
    same = t.group_by(rest).aggregate(_n=t.count(), **{f"_k{i}": t[c].count()
                                                       for i, c in enumerate(key)})
    day = MAIN_DATE.get(name)
    group = {k: (same[k].cast("date") if k == day else same[k]) for k in by}
    sums = {c: (same[c] * same._n).sum().cast(t[c].type())
            for c in _SUMMED.get(name, ()) if c in rest}
    filled = {f"{FILLED}{c}": (same[f"_k{key.index(c)}"].sum() if c in key
                               else same._n.sum(where=same[c].notnull()))
              for c in t.columns if c not in by}
    return same.group_by(**group).aggregate(**{LINES: same._n.sum()}, **sums,
                                            **{DOUBLES: (same._n - 1).sum()}, **filled)


def profile_frame(e: Engine, name: str, t: Any, by: list[str]) -> pd.DataFrame:
    """The profile of the rows ``t`` of table ``name`` by ``by``, fetched (see :func:`profiled`)."""
    out = _like_loaded(e.execute(_counted(t, name, by)))
    out = out.sort_values(by, na_position="last", kind="stable", ignore_index=True)
    out = out[[*by, *[c for c in out.columns if c not in by]]]
    if name not in WHO or "customer_id" not in t.columns or "customer_id" in by:
        return out
    day = MAIN_DATE.get(name)
    who = [*(k for k in by if k != day), "customer_id"]
    rows = _like_loaded(e.execute(t.select(*who).distinct()))
    rows = rows.sort_values(who, na_position="last", kind="stable", ignore_index=True)
    counts = {c: 0 for c in out.columns if c not in who and c != day}
    rows = rows.assign(**counts).astype({c: out[c].dtype for c in counts})
    nobody = pd.Series(pd.NA, index=out.index, dtype=rows["customer_id"].dtype)
    return pd.concat([out.assign(customer_id=nobody), rows],
                     ignore_index=True)[[*out.columns, "customer_id"]]


def profiled(e: Engine, name: str, keys: Sequence[str], *, as_of: Any = None) -> pd.DataFrame:
    """A table's rows counted per key where they live: the data-quality report's counts.

    Parameters
    ----------
    e : Engine
        Holds the table.
    name : str
        The table.
    keys : sequence of str
        The grain (see :func:`profile_keys`); the table's main date counts per day.
    as_of : date or str, optional
        On an engine that did not validate the rows (Spark), events dated after it are left
        out; a validated engine's rows already are.

    Returns
    -------
    pandas.DataFrame
        One row per key (a missing key value is a key of its own): ``lines`` (the rows it
        stands for), the summed revenue and quantity (orders), possible double entries and
        ``filled_<column>`` for every other column; for the orders, the rows saying which
        customer each key holds (see the module's notes). Sorted by the
        keys, typed as :func:`salesnb.load` types the table.
    """
    t = _cut(e, name, parse_day(as_of, name="as_of"))
    return profile_frame(e, name, t, profile_keys(e, name, keys))
