"""Price, volume and mix: what drove the revenue change between two periods.

* :func:`price_volume_mix` -- the change per item, split into three effects that add up to it;
* :func:`price_volume_totals` -- the same split for all items together (a report's headline).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from salesnb.core.periods import Window, parse_window, window_label
from salesnb.errors import SalesnbError
from salesnb.products.engine import Engine, aggregate

__all__ = ["price_volume_mix", "price_volume_totals"]

#: The effects of :func:`price_volume_mix`, in the order a waterfall shows them.
EFFECTS = ("volume_effect", "mix_effect", "price_effect")


def price_volume_mix(orders: pd.DataFrame, *, base: Window, current: Window,
                     by: str = "product_id", date: str = "order_date",
                     quantity: str = "quantity", revenue: str = "revenue",
                     products: pd.DataFrame | None = None, product: str = "product_id",
                     engine: Engine = "duckdb") -> pd.DataFrame:
    """Split the revenue change between two periods into price, volume and mix effects.

    With ``q`` an item's units, ``p`` its average net price (revenue per unit), ``s`` its share
    of all units and ``Q`` the units of all items, in the base (0) and current (1) period:

    * volume effect = (Q1 - Q0) * s0 * p0: the change in total units, at the old mix and prices;
    * mix effect = Q1 * (s1 - s0) * p0: the shift between items, at old prices;
    * price effect = q1 * (p1 - p0): the change of the item's own price.

    The three add up exactly to the item's revenue change ``q1 * p1 - q0 * p0``. An item new
    in the current period has no base price: its price effect is 0 and its revenue counts as
    mix (and volume 0); an item that stopped selling loses its base revenue through volume and
    mix. Units are added across items, so mix is most meaningful among comparable items
    (run it per category with a filtered table for that).

    Parameters
    ----------
    orders : pandas.DataFrame
        Order lines.
    base, current : (start, end)
        The periods compared (both days included).
    by : str, default "product_id"
        Item column (in ``orders``, or in ``products``).
    date, quantity, revenue, product : str
        Column names.
    products : pandas.DataFrame, optional
        Needed only when ``by`` is a product column such as ``"category"``.
    engine : {"duckdb", "pandas"}, default "duckdb"
        Where the group-by runs.

    Returns
    -------
    pandas.DataFrame
        One row per item sold in either period: ``by``, base_quantity, current_quantity,
        base_price, current_price, base_revenue, current_revenue, price_effect,
        volume_effect, mix_effect, total (= current_revenue - base_revenue) and note. Sorted
        by the absolute change, largest first.

    Raises
    ------
    SalesnbError
        When either period has no order lines (naming the data's date span).
    PeriodError
        When a period is malformed.
    """
    kw: dict[str, Any] = dict(products=products, date=date, quantity=quantity, revenue=revenue,
                              price=None, product=product, engine=engine)
    frames = {}
    for name, per in (("base", base), ("current", current)):
        parse_window(per, name=name)
        agg = aggregate(orders, by, period=per, **kw)
        if agg.empty or agg["lines"].sum() == 0:
            d = pd.to_datetime(orders[date])
            span = (f"the data run from {d.min():%Y-%m-%d} to {d.max():%Y-%m-%d}"
                    if d.notna().any() else "the table has no dated rows")
            raise SalesnbError(f"no order lines in the {name} period {window_label(per)}; "
                               f"{span}. Choose {name} dates inside that span.")
        frames[name] = agg.set_index(by)[["quantity", "revenue"]]
    b, c = frames["base"], frames["current"]
    idx = b.index.union(c.index)
    q0 = b["quantity"].reindex(idx, fill_value=0.0)
    q1 = c["quantity"].reindex(idx, fill_value=0.0)
    r0 = b["revenue"].reindex(idx, fill_value=0.0)
    r1 = c["revenue"].reindex(idx, fill_value=0.0)
    p0 = (r0 / q0.where(q0 > 0))
    p1 = (r1 / q1.where(q1 > 0))
    Q0, Q1 = q0.sum(), q1.sum()
    if Q0 <= 0 or Q1 <= 0:
        raise SalesnbError("no units sold in the base or current period: price, volume and mix "
                           f"need quantities (column {quantity!r})")
    s0, s1 = q0 / Q0, q1 / Q1
    ref = p0.fillna(p1).fillna(0.0)  # new items: no base price, valued at their own price
    volume = (Q1 - Q0) * s0 * ref
    mix = Q1 * (s1 - s0) * ref
    price = (q1 * (p1 - p0)).where(q0 > 0, 0.0).fillna(0.0)
    out = pd.DataFrame({"base_quantity": q0, "current_quantity": q1, "base_price": p0,
                        "current_price": p1, "base_revenue": r0, "current_revenue": r1,
                        "price_effect": price + 0.0, "volume_effect": volume + 0.0,
                        "mix_effect": mix + 0.0})  # + 0.0: no "-0" for a zero effect
    # revenue without units (q = 0, r != 0) has no price: keep the identity in the mix effect
    out["total"] = r1 - r0
    residual = out["total"] - (price + volume + mix)
    odd = residual.abs() > 1e-9 * (1 + out["total"].abs())
    out.loc[odd, "mix_effect"] += residual[odd]
    notes = np.where(q0 <= 0, "new: not sold in the base period, no price effect (all mix)",
                     np.where(q1 <= 0, "not sold in the current period", ""))
    notes = np.where(odd, "revenue without units: change counted as mix", notes)
    out["note"] = notes
    out.index.name = by
    out = out.reset_index()
    return out.reindex(out["total"].abs().sort_values(ascending=False, kind="stable").index
                       ).reset_index(drop=True)


def price_volume_totals(pvm: pd.DataFrame) -> pd.Series:
    """The price/volume/mix split of all items together.

    Parameters
    ----------
    pvm : pandas.DataFrame
        From :func:`price_volume_mix`.

    Returns
    -------
    pandas.Series
        base_revenue, current_revenue, volume_effect, mix_effect, price_effect, total (the
        change; the three effects add up to it) and growth (the change as a fraction of the
        base revenue; NaN when the base has no revenue).
    """
    cols = ["base_revenue", "current_revenue", *EFFECTS, "total"]
    out = pvm[cols].sum().astype(float)
    base = out["base_revenue"]
    out["growth"] = out["current_revenue"] / base - 1 if base > 0 else np.nan
    return out
