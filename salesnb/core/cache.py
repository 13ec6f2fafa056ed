"""The one in-process cache: :func:`memoize`, a bounded LRU cache that hands out copies.

Widget panels and the report pages call the same pure functions again and again with the
same inputs (a forecast per grouping and horizon, an RFM table per as-of day). ``memoize``
keeps the most recent results, like :func:`functools.lru_cache`, and adds one guarantee:
a caller never receives an object that is stored in the cache. DataFrames and Series come
back as copies (cheap under pandas' copy-on-write), NumPy arrays as copies, and lists,
tuples and dicts are rebuilt around detached items, so changing a result cannot change
what the next caller gets. Other values (numbers, text, frozen dataclasses) are returned as
they are and must not be mutated.

The cache is state a caller can see: ``f.cache_info()`` and ``f.cache_clear()`` work as
for ``lru_cache``. Arguments must be hashable; caches over a DataFrame are built by closing
over it (see ``salesnb.segments.views.rfm_cache``), so each cache belongs to one table.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import numpy as np
import pandas as pd

__all__ = ["memoize", "detach"]

P = ParamSpec("P")
R = TypeVar("R")


def detach(value: Any) -> Any:
    """A version of ``value`` that shares no mutable pandas/NumPy object with it.

    Parameters
    ----------
    value : Any
        A cached result.

    Returns
    -------
    Any
        Frames, series and arrays copied; lists, tuples, dicts and (non-frozen) dataclasses
        rebuilt around detached items; anything else as it is.
    """
    if isinstance(value, (pd.DataFrame, pd.Series, pd.Index)):
        return value.copy(deep=True) if isinstance(value, pd.Index) else value.copy()
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(detach(v) for v in value)
    if isinstance(value, list):
        return [detach(v) for v in value]
    if isinstance(value, dict):
        return {k: detach(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: detach(getattr(value, f.name)) for f in dataclasses.fields(value)
                  if f.init}
        return dataclasses.replace(value, **fields)
    return value


def memoize(maxsize: int = 32) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Cache a pure function's most recent results; each call gets its own copy.

    Parameters
    ----------
    maxsize : int, default 32
        Results kept (least recently used dropped first).

    Returns
    -------
    callable
        A decorator. The decorated function has ``cache_info()`` and ``cache_clear()``.

    Examples
    --------
    >>> @memoize(maxsize=4)
    ... def table(n):
    ...     return pd.DataFrame({"x": range(n)})
    >>> t = table(3)
    >>> t.loc[0, "x"] = 99
    >>> int(table(3).loc[0, "x"])
    0
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        cached = functools.lru_cache(maxsize=maxsize)(fn)

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            return detach(cached(*args, **kwargs))

        wrapper.cache_info = cached.cache_info  # type: ignore[attr-defined]
        wrapper.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        return wrapper

    return decorate
