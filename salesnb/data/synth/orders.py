"""Order lines, generated month by month from per-month random streams."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from salesnb.data.synth.base import N_MONTHS, PRICE_INDEX, to_frame
from salesnb.data.synth.vocab import CATEGORIES, INDUSTRY_CAT, REGION_CAT, REGIONS, SIZE_TIER


class OrdersBuilder:
    """Order lines: the orders part of :class:`~salesnb.data.synth.world.World`.

    Reads the organisation, products and customers; sets ``p_weights`` (random stream 6)
    and, while the months are generated, the revenue aggregates ``rev_rep_month``,
    ``rev_month`` and ``rev_qrc`` that targets and competitor estimates are built from.
    """

    def _product_weights(self) -> None:
        """Unnormalised product weights per (industry, size, rep) group."""
        rng = self._rngs[6]
        ind_cat = INDUSTRY_CAT * rng.lognormal(0.0, 0.1, INDUSTRY_CAT.shape)
        reg_cat = REGION_CAT * rng.lognormal(0.0, 0.1, REGION_CAT.shape)
        reg_cat = np.vstack([reg_cat, np.ones(len(CATEGORIES))])  # row -1: no region
        cat = self.p_cat
        spec = np.where(self.rep_specialty[:, None] == cat[None, :], 1.3, 1.0)
        w = (
            ind_cat[:, None, None, cat]
            * SIZE_TIER[None, :, None, self.p_tier]
            * reg_cat[self.rep_region][None, None, :, cat]
            * spec[None, None, :, :]
            * self.p_pop
        )
        self.p_weights = w.reshape(-1, self.n_products)

    def order_chunks(self) -> Iterator[pd.DataFrame]:
        """Yield the order lines month by month (and record the revenue aggregates).

        Yields
        ------
        pandas.DataFrame
            The order lines of one month, in day order; 36 frames in all.
        """
        self.rev_rep_month[:] = 0
        self.rev_month[:] = 0
        self.rev_qrc[:] = 0
        self.n_orders = 0
        for m in range(N_MONTHS):
            yield self._order_month(m)
        self.orders_done = True

    def _order_month(self, m: int) -> pd.DataFrame:
        rng = np.random.default_rng(self._month_seeds[m])
        cal = self.cal
        ms, me = int(cal["bounds"][m]), int(cal["bounds"][m + 1])
        a = np.maximum(self.c_act, ms)
        b = np.minimum(self.c_churn, me)
        act = np.nonzero(a < b)[0]
        a, b = a[act], b[act]
        mid = 0.5 * (ms + me)
        age = np.maximum(mid - self.c_act[act], 0) / 30.44
        rate = (
            self.c_base[act]
            * np.exp(self.c_growth[act] * mid / 365.25)
            * (1 - 0.6 * np.exp(-age / 4.0))
        )
        cw = cal["cw"]
        lam = rate * (cw[b] - cw[a])
        counts = rng.poisson(lam)
        oc = np.repeat(act, counts)
        lo, hi = np.repeat(cw[a], counts), np.repeat(cw[b], counts)
        day = np.searchsorted(cw, lo + rng.random(len(oc)) * (hi - lo), side="right") - 1
        day = np.clip(day, np.repeat(a, counts), np.repeat(b, counts) - 1)
        order = np.lexsort((oc, day))
        oc, day = oc[order], day[order]
        n_ord = len(oc)
        size = self.c_size[oc]
        n_lines = 1 + np.minimum(rng.poisson(np.array([0.5, 0.9, 1.4, 2.0])[size]), 9)
        ord_no = self.n_orders + np.arange(1, n_ord + 1)
        self.n_orders += n_ord
        # expand to lines
        li = np.repeat(np.arange(n_ord), n_lines)
        starts = np.cumsum(n_lines) - n_lines
        line_no = np.arange(len(li)) - starts[li] + 1
        cust, lday, lsize = oc[li], day[li], size[li]
        # products available since the start of the month, drawn without replacement within
        # an order (Gumbel top-k) from the weights of the (industry, size, rep) group
        avail = self.p_launch <= ms
        with np.errstate(divide="ignore"):
            logw = np.log(self.p_weights * avail)
        orep = self._owner_at(oc, day)
        grp = (self.c_ind[oc] * 4 + size) * self.n_reps + orep
        top = np.empty((n_ord, 10), dtype=np.int64)
        for lo in range(0, n_ord, 16384):  # blocks keep the (orders x products) keys small
            hi = min(lo + 16384, n_ord)
            keys = logw[grp[lo:hi]] + rng.gumbel(size=(hi - lo, self.n_products))
            top[lo:hi] = np.argsort(-keys, axis=1, kind="stable")[:, :10]
        prod = top[li, line_no - 1]
        rep = orep[li]
        # discount: size, rep laxity, promotions, year-end push
        disc = (
            np.array([0.01, 0.04, 0.08, 0.13])[lsize]
            + self.rep_laxity[rep]
            + cal["promo"][lday]
            + 0.02 * cal["dec"][lday]
            + rng.normal(0.0, 0.03, len(li))
        )
        disc = np.round(np.clip(disc, 0.0, 0.5), 2)
        # quantity: product base x customer size, raised by the discount (elasticity)
        mu = self.p_qty[prod] * np.array([1.0, 1.5, 2.3, 3.5])[lsize] * np.exp(2.5 * disc)
        qty = np.maximum(1, np.round(mu * rng.lognormal(-0.4, 0.45, len(li)))).astype(np.int64)
        year = cal["year"][lday]
        price = np.round(self.p_price[prod] * PRICE_INDEX[year], 2)
        revenue = np.round(qty * price * (1 - disc), 2)
        # aggregates for targets and competitor estimates
        self.rev_rep_month[:, m] = np.bincount(rep, weights=revenue, minlength=self.n_reps)
        self.rev_month[m] = revenue.sum()
        reg = self.c_reg[cust]
        self.rev_qrc[m // 3] += np.bincount(
            reg * len(CATEGORIES) + self.p_cat[prod], weights=revenue,
            minlength=len(REGIONS) * len(CATEGORIES),
        ).reshape(len(REGIONS), len(CATEGORIES))
        oid = np.array([f"O{k:08d}" for k in ord_no], dtype=object)
        return to_frame("orders", {
            "order_id": oid[li],
            "line_no": line_no,
            "order_date": lday,
            "customer_id": self.c_ids[cust],
            "product_id": self.p_ids[prod],
            "rep_id": self.rep_ids[rep],
            "region": np.array(REGIONS, dtype=object)[reg],
            "quantity": qty,
            "unit_price": price,
            "discount": disc,
            "revenue": revenue,
        })

