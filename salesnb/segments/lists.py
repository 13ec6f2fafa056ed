"""The customer lists of a segmentation page: follow-ups and the action list for reps.

Each list is the scope's: the high-value customers to follow up (:func:`follow_list`) and
every account's recommended action (:func:`action_list`), with the reps named beside their
ids (a rep outside the scope hidden) and, when the report loaded personal data, each
customer's name and contacts beside the id (:func:`with_contacts`). Pure functions: the
report's views (:mod:`salesnb.segments.views`) show them and write the action list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from salesnb.data.schema import PII_COLUMNS
from salesnb.scope import scoped, with_names
from salesnb.segments import playbook
from salesnb.segments import scoped as sc
from salesnb.segments.customers import follow_up as segments_follow_up

if TYPE_CHECKING:
    from salesnb.data.loader import SalesData

__all__ = ["CONTACTS", "with_contacts", "follow_list", "action_list"]

#: The customer columns that name or reach a customer: personal data, in a report only when
#: it loaded them (``show_pii``).
CONTACTS: tuple[str, ...] = tuple(PII_COLUMNS.get("customers", ()))


def with_contacts(frame: pd.DataFrame, customers: pd.DataFrame | None, *,
                  customer: str = "customer_id") -> pd.DataFrame:
    """A list of customers with each one's name and contacts beside the id, when loaded.

    A report loads names, contact persons, e-mails and phones only when it runs with
    ``show_pii`` (:func:`salesnb.report.reporting.report_data` drops them otherwise): with
    them, the follow-up and action lists name each customer and say whom to call; without,
    they hold ids only, and this returns ``frame`` unchanged.

    Parameters
    ----------
    frame : pandas.DataFrame
        A list with a ``customer`` column (follow-ups, the action list ...).
    customers : pandas.DataFrame or None
        The customer table as the report loaded it.
    customer : str, default="customer_id"
        Customer id column of both tables.

    Returns
    -------
    pandas.DataFrame
        ``frame`` with the contact columns the customer table has (:data:`CONTACTS`: name,
        contact_name, email, phone) right after the id, in the same row order.
    """
    if customers is None or customer not in frame.columns or customer not in customers:
        return frame
    cols = [c for c in CONTACTS if c in customers.columns and c not in frame.columns]
    if not cols:
        return frame
    info = customers.drop_duplicates(customer).set_index(customer)[cols]
    out = frame.join(info, on=customer)
    first = list(frame.columns[:list(frame.columns).index(customer) + 1])
    return out[first + cols + [c for c in frame.columns if c not in first]]


def follow_list(d: SalesData, table: pd.DataFrame, *, top: float = 0.2,
                low: float = 3.0) -> pd.DataFrame | None:
    """The high-value customers of the scope to follow up, ready for the page.

    High value is the company's top ``top`` share by revenue (a customer is high-value on
    every page or on none); the answers are the scope's.

    Parameters
    ----------
    d : SalesData
        Scoped data.
    table : pandas.DataFrame
        The scope's RFM table (:func:`~salesnb.segments.scoped.scope_rfm`).
    top, low : float
        As for :func:`salesnb.segments.follow_up`.

    Returns
    -------
    pandas.DataFrame or None
        :func:`salesnb.segments.follow_up` with the last rep's name beside the id (an id
        outside the scope shown as :data:`~salesnb.segments.scoped.OUTSIDE`), and the
        customer's name and contacts when the report loaded them; None without surveys.
    """
    company = (None if scoped(d).is_company else
               sc.company_rfm(d, table.attrs.get("as_of"), int(table.attrs.get("bins", 5))))
    follow = segments_follow_up(table, d.get("surveys"), top=top, low=low, reference=company)
    if follow is None:
        return None
    if "last rep" in follow.columns:
        follow = with_names(sc.hide_outside(follow, d, "last rep"), d, rep="last rep",
                            customer=None, label="last rep name")
    return with_contacts(follow, sc.customer_table(d))




def action_list(d: SalesData, table: pd.DataFrame) -> pd.DataFrame:
    """The action list for reps of the scope: its accounts, their owners named.

    Parameters
    ----------
    d : SalesData
        Scoped data.
    table : pandas.DataFrame
        The scope's RFM table (:func:`~salesnb.segments.scoped.scope_rfm`).

    Returns
    -------
    pandas.DataFrame
        :func:`salesnb.segments.actions` of the scope's accounts
        (:func:`~salesnb.segments.scoped.account_ids`: a rep's or a team's own accounts, a
        region's customers), with the customer's name and contacts when loaded and the
        owner's name beside ``owner_rep_id`` (an owner outside the scope shown as
        :data:`~salesnb.segments.scoped.OUTSIDE`).
    """
    ids = sc.account_ids(d)
    own = table if ids is None else table.loc[table.index.isin(set(ids))]
    customers = sc.customer_table(d)
    out = playbook.actions(own, customers)
    out = sc.hide_outside(out, d, "owner_rep_id")
    out = with_contacts(out, customers)
    return with_names(out, d, rep="owner_rep_id", customer=None, label="owner")
