"""What each section of the sales-forecast report needs, and why a short history blocks one.

:func:`needs` gives a section's requirements as :func:`salesnb.report.sections.section` takes
them (tables and columns); :func:`blocked` says why a section cannot run although its tables
are there (too few complete months for a seasonal split, a backtest or a forecast), in the words
the section's note shows.
"""

from __future__ import annotations

from typing import Any

from salesnb.core.fmt import plural
from salesnb.data.schema import FUNNEL
from salesnb.errors import SalesnbError
from salesnb.forecast import evaluation, trends
from salesnb.forecast.defaults import GROUP_NEEDS, GROUPINGS, MIN_FORECAST_MONTHS
from salesnb.forecast.series import History

__all__ = ["group_needs", "needs", "blocked"]

#: A pipeline needs closed deals to learn from and the date of every funnel stage.
_PIPELINE_NEEDS = ["opportunities.closed_date", *(f"opportunities.{s}_date" for s in FUNNEL)]


def group_needs(by: str) -> list[str]:
    """What a forecast per ``by`` group needs in the data.

    Parameters
    ----------
    by : str
        The grouping (see :data:`~salesnb.forecast.defaults.GROUPINGS`).

    Returns
    -------
    list of str
        :data:`~salesnb.forecast.defaults.GROUP_NEEDS` for the report's groupings, else
        ``["orders.<by>"]``.
    """
    if by not in GROUPINGS:
        raise SalesnbError(f"by={by!r} is not supported; use one of {list(GROUPINGS)}.")
    return list(GROUP_NEEDS.get(by, (f"orders.{by}",)))


def _once_per_missing_table(wants: list[str], data: Any) -> list[str]:
    """Drop the further requirements on a table the data does not have (one note says it)."""
    tables = getattr(data, "tables", data)
    out, absent = [], set()
    for need in wants:
        table = need.split(".", 1)[0]
        if "|" not in need and table not in tables:
            if table in absent:
                continue
            absent.add(table)
        out.append(need)
    return out


def needs(part: str, *, by: str = "region", series_file: str = "",
          data: Any = None) -> list[str]:
    """What a section of the report needs in the data (the ``needs`` of its ``section``).

    Parameters
    ----------
    part : {"history", "groups", "pipeline"}
        ``"history"``: the monthly revenue (trends, seasonality, backtest); ``"groups"``: the
        forecast per ``by`` group; ``"pipeline"``: the blend with the open pipeline.
    by : str, default "region"
        The grouping (``"groups"`` only): region needs ``orders.region``, category needs
        ``orders.product_id`` and ``products.category``
        (:data:`~salesnb.forecast.defaults.GROUP_NEEDS`).
    series_file : str, default ""
        An external series analysed instead of the orders: then the history and the groups
        need no table.
    data : SalesData or dict of str to pandas.DataFrame, optional
        The report's data: of the requirements on a table it does not have, only the first
        is kept (the section's note then says once that the table is missing).

    Returns
    -------
    list of str
        Requirements as :func:`salesnb.report.sections.section` takes them.
    """
    if part == "pipeline":
        wants = list(_PIPELINE_NEEDS)
    elif part not in ("history", "groups"):
        raise SalesnbError(f"unknown part {part!r}; use 'history', 'groups' or 'pipeline'")
    elif series_file:
        wants = []
    else:
        wants = ["orders", *(group_needs(by) if part == "groups" else [])]
    return wants if data is None else _once_per_missing_table(wants, data)


def blocked(part: str, history: History | None) -> str:
    """Why a section cannot run on this history although its tables are there ("" if it can).

    Parameters
    ----------
    part : {"history", "seasonality", "backtest", "forecast"}
        The section: the trends (need one complete month), the trend/seasonality split (needs
        :data:`~salesnb.forecast.trends.SEASON_MONTHS`), the backtest (needs
        :func:`~salesnb.forecast.evaluation.min_history` of one month: the reports score
        the longest horizon up to a year the data allows,
        :func:`~salesnb.forecast.evaluation.fixed_horizon`) or the forecast (needs
        :data:`~salesnb.forecast.defaults.MIN_FORECAST_MONTHS`).
    history : History or None
        From :func:`monthly_history` (None: no orders; the section's needs say so).

    Returns
    -------
    str
        E.g. ``"the data has 3 complete months; the trend and seasonal split needs 24 (two
        years)"``, for ``section(..., blocked=...)``.
    """
    wants = {"history": (1, "the trends need at least one"),
             "seasonality": (trends.SEASON_MONTHS, "the trend and seasonal split needs {n} "
                             "(two years, to tell a season from a trend)"),
             "backtest": (evaluation.min_history(1), "a backtest needs {n}"),
             "forecast": (MIN_FORECAST_MONTHS, "a forecast needs {n}")}
    if part not in wants:
        raise SalesnbError(f"unknown part {part!r}; use one of {list(wants)}")
    if history is None:
        return ""
    n, text = wants[part]
    if history.months >= n:
        return ""
    return f"the data has {plural(history.months, 'complete month')}; {text.format(n=n)}"
