"""Reps as the report names them: beside their ids in sentences and on the charts' axes.

Names come from the company's reps table (:func:`rep_names`), so any scope's page can name
its reps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from salesnb.core.fmt import escape

__all__ = ["rep_names"]


def rep_names(d: Any) -> dict[str, str]:
    """Rep id -> name, from the company's reps table (empty without names).

    Parameters
    ----------
    d : SalesData
        Any scope's data.

    Returns
    -------
    dict of str to str
    """
    reps = d.company.get("reps") if hasattr(d, "company") else None
    if reps is None or "name" not in reps.columns:
        return {}
    return {str(r).strip(): str(n) for r, n in zip(reps["rep_id"], reps["name"], strict=True)
            if pd.notna(r) and pd.notna(n)}


def _who(rep: Any, names: Mapping[str, str]) -> str:
    """A rep in a sentence: ``David Ramirez (R020)``, escaped."""
    name = names.get(str(rep))
    return escape(f"{name} ({rep})" if name else str(rep))


def _tick(rep: Any, labels: Mapping[str, str] | None) -> str:
    """A rep on a chart's axis: ``R020 David Ramirez``."""
    name = (labels or {}).get(str(rep))
    return f"{rep} {name}" if name else str(rep)
