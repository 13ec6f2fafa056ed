"""What every scope of one dataset shares, computed once per process.

A scheduled run for every rep (``salesnb run --all --each rep``) executes each report once per
scope in the same kernel; the lead-scoring model is learnt from the whole company's closed
leads, and the same data gives the same model for every scope. :func:`shared` keeps such
results per dataset (the tables of the company's :class:`~salesnb.data.loader.SalesData`,
which :func:`salesnb.report.reporting.report_data` loads once per export and every scope's
data refers to) and per key: the
second scope gets the first one's result without fitting again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

from salesnb.core.cache import detach

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData

__all__ = ["shared", "clear_shared"]

T = TypeVar("T")
#: Datasets whose shared results are kept (the newest).
_DATASETS = 2
_lock = threading.Lock()
_store: OrderedDict[int, tuple[Any, dict[Hashable, Any]]] = OrderedDict()  # by id(tables)


def shared(d: SalesData, key: Hashable, compute: Callable[[], T], *,
           keep: int | None = None) -> T:
    """The result of ``compute()`` for the whole company's data of ``d``, computed once.

    Parameters
    ----------
    d : SalesData
        Any scope's data; the result belongs to its company data (``d.company``).
    key : hashable
        What is computed, with every parameter it depends on (``("lead_model",)``).
    compute : callable
        Computes it from the company data (it must not depend on the scope; a result for
        a group of scopes, such as a team's, has the group in ``key``).
    keep : int, optional
        Keep only the ``keep`` most recently used results whose key starts as this one's
        (``key[0]``): for results per scope or per team, which a run for everyone uses a
        few times in a row, so they do not add up to copies of the whole dataset. Default:
        every result is kept as long as the dataset.

    Returns
    -------
    object
        The result; DataFrames, arrays and containers come back as copies
        (:func:`salesnb.core.cache.detach`), so a caller cannot change the next one's.
    """
    tables = d.company.tables  # one dict per loaded dataset, whichever scope's copy holds it
    with _lock:
        entry = _store.get(id(tables))
        if entry is not None and entry[0] is tables and key in entry[1]:
            _store.move_to_end(id(tables))
            entry[1][key] = entry[1].pop(key)  # the most recently used last
            return detach(entry[1][key])
    value = compute()
    with _lock:
        entry = _store.get(id(tables))
        if entry is None or entry[0] is not tables:
            entry = (tables, {})  # the dataset is held, so its id is not reused meanwhile
            _store[id(tables)] = entry
        entry[1][key] = value
        if keep is not None:
            family = [k for k in entry[1] if _family(k) == _family(key)]
            for old in family[:max(len(family) - keep, 0)]:
                del entry[1][old]
        _store.move_to_end(id(tables))
        while len(_store) > _DATASETS:
            _store.popitem(last=False)
    return detach(value)


def _family(key: Hashable) -> Hashable:
    return key[0] if isinstance(key, tuple) and key else key


def clear_shared() -> None:
    """Forget every shared result (for tests)."""
    with _lock:
        _store.clear()
