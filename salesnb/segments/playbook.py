"""The playbook for reps: every customer's recommended action, per rep, and as sheets.

Each segment maps to an action (retain, upsell, nurture, win back) with a priority and what
to do (:data:`~salesnb.segments.SEGMENT_ACTIONS`). The list holds customer ids, never
personal data. Writing it to a file is the report's job
(:func:`salesnb.core.export.write_table`, e.g. of :func:`action_sheets`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from salesnb.core.columns import require_columns
from salesnb.segments.scoring import SEGMENT_ACTIONS

__all__ = ["actions", "actions_by", "action_sheets"]


def actions(table: pd.DataFrame, customers: pd.DataFrame | None = None, *,
            customer: str = "customer_id",
            carry: Sequence[str] = ("owner_rep_id", "region")) -> pd.DataFrame:
    """The list for reps: every customer's recommended action, most urgent first.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~salesnb.segments.rfm`.
    customers : pandas.DataFrame, optional
        Customer table to take ``carry`` columns from (the account owner, the region).
    customer : str, default="customer_id"
        Customer id column of ``customers``.
    carry : sequence of str
        Customer columns copied to the list when present. Personal data (names, e-mails,
        phones) is never carried: the list holds ids.

    Returns
    -------
    pandas.DataFrame
        customer id, segment, action (retain, upsell, nurture, win back), priority (1 first),
        what to do, recency, frequency, monetary and the carried columns; sorted by priority,
        then value.
    """
    from salesnb.data.schema import PII_COLUMNS

    seg = table["segment"].astype("str")
    out = pd.DataFrame({
        "segment": seg,
        "action": seg.map(lambda s: SEGMENT_ACTIONS[s][0]),
        "priority": seg.map(lambda s: SEGMENT_ACTIONS[s][1]).astype(int),
        "what to do": seg.map(lambda s: SEGMENT_ACTIONS[s][2]),
        "recency": table["recency"], "frequency": table["frequency"],
        "monetary": table["monetary"].round(2),
    })
    if customers is not None:
        pii = {c for cols in PII_COLUMNS.values() for c in cols}
        keep = [c for c in carry if c in customers.columns and c not in pii]
        out = out.join(customers.set_index(customer)[keep])
    out.index.name = table.index.name or customer
    return out.sort_values(["priority", "monetary"], ascending=[True, False]).reset_index()


def actions_by(action_list: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Customers per action for each rep (or region): each rep's to-do list at a glance.

    Parameters
    ----------
    action_list : pandas.DataFrame
        From :func:`actions`.
    by : str, optional
        Column to group by; customers without a value form "(none)". Default: the account
        owner (``owner_rep_id``) when the list carries it, else ``region``.

    Returns
    -------
    pandas.DataFrame
        One row per ``by`` value, one column per action with the customers, the priority-1
        customers, and the net revenue of the customers to win back; most urgent first.

    Raises
    ------
    ColumnError
        When the list has no column ``by``.
    """
    if by is None:
        by = next((c for c in ("owner_rep_id", "region") if c in action_list.columns),
                  "owner_rep_id")
    require_columns(action_list, {"by": by}, table="the action list",
                    fix="group by a column the list carries (owner_rep_id, region)")
    key = action_list[by].astype("str").fillna("(none)")
    counts = pd.crosstab(key, action_list["action"])
    counts["priority 1"] = (action_list["priority"] == 1).groupby(key).sum()
    back = action_list["action"] == "win back"
    counts["win-back revenue"] = action_list["monetary"].where(back, 0.0).groupby(key).sum()
    counts.index.name, counts.columns.name = by, None
    return counts.sort_values(["priority 1", "win-back revenue"], ascending=False)


def action_sheets(action_list: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The action list as workbook sheets: "all", then one sheet per action.

    Parameters
    ----------
    action_list : pandas.DataFrame
        From :func:`actions`.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"all"`` (the whole list) followed by one table per action in alphabetical order,
        each in the list's order, for :func:`salesnb.core.export.write_table` (which makes
        the names safe for Excel).

    Examples
    --------
    >>> from salesnb.core.export import write_table                 # doctest: +SKIP
    >>> write_table(action_sheets(actions(table)), "actions.xlsx")   # doctest: +SKIP
    """
    require_columns(action_list, ["action"], table="the action list",
                    fix="pass the table returned by segments.actions")
    sheets = {"all": action_list.reset_index(drop=True)}
    for act, part in action_list.groupby("action", sort=True):
        sheets[str(act)] = part.reset_index(drop=True)
    return sheets
