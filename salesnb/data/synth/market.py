"""Targets and competitor estimates, built from the revenue the order lines recorded."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from salesnb.data.synth.base import N_DAYS, START, day_index, to_frame
from salesnb.data.synth.vocab import CATEGORIES, COMPETITORS, REGIONS


class MarketBuilder:
    """Targets and competitors: the market part of :class:`~salesnb.data.synth.world.World`.

    Reads the revenue aggregates of :class:`~salesnb.data.synth.orders.OrdersBuilder`
    (so every order month must be generated first) and random streams 7 and 8.
    """

    def _t_targets(self) -> pd.DataFrame:
        rng = self._rngs[7]
        reps = np.nonzero(self.rep_role == "rep")[0]
        yr = self.rev_rep_month[reps].reshape(len(reps), 3, 12).sum(axis=2)
        share = self.rev_month[:12] / max(self.rev_month[:12].sum(), 1e-9)
        floor = 0.5 * np.median(yr, axis=0)
        prior = np.maximum(yr, floor[None, :])
        annual = np.column_stack([
            prior[:, 0] * rng.normal(1.0, 0.07, len(reps)),  # 2023: plan from 2022 run-rate
            prior[:, 0] * 1.10 * rng.normal(1.0, 0.03, len(reps)),
            prior[:, 1] * 1.10 * rng.normal(1.0, 0.03, len(reps)),
        ])
        rev_t = np.round(annual[:, :, None] * share[None, None, :], -2).reshape(len(reps), 36)
        new_year = np.zeros((len(reps), 3))
        new = (self.c_signup >= 0) & (self.c_signup < N_DAYS)
        yidx = self.cal["year"][np.clip(self.c_signup, 0, N_DAYS - 1)]
        rep_pos = np.full(self.n_reps, -1)
        rep_pos[reps] = np.arange(len(reps))
        np.add.at(new_year, (rep_pos[self.c_owner[new]], yidx[new]), 1)
        ann_new = np.column_stack([
            np.round(new_year[:, 0] * rng.normal(1.0, 0.1, len(reps))),
            np.round(new_year[:, 0] * 1.1),
            np.round(new_year[:, 1] * 1.1),
        ])
        cum = np.round(np.cumsum(np.repeat(ann_new / 12.0, 12, axis=1), axis=1))
        new_t = np.diff(np.concatenate([np.zeros((len(reps), 1)), cum], axis=1), axis=1)
        new_t = np.maximum(new_t, 0).astype(np.int64)
        periods = np.array([
            day_index(datetime.date(START.year + k // 12, k % 12 + 1, 1)) for k in range(36)
        ])
        sat = np.repeat([4.0, 4.1, 4.2], 12)
        # a rep who left gets no targets from the month after leaving
        keep = (periods[None, :] <= self.rep_leave[reps][:, None]).ravel()
        return to_frame("targets", {
            "rep_id": np.repeat(self.rep_ids[reps], 36)[keep],
            "period": np.tile(periods, len(reps))[keep],
            "revenue_target": rev_t.ravel()[keep],
            "new_customers_target": new_t.ravel()[keep],
            "satisfaction_target": np.tile(sat, len(reps))[keep],
        })

    def _t_competitors(self) -> pd.DataFrame:
        rng = self._rngs[8]
        n_r, n_c = len(REGIONS), len(CATEGORIES)
        share = (np.array([0.30, 0.22, 0.34, 0.17, 0.40])[:, None]
                 * rng.lognormal(0.0, 0.3, (n_r, n_c)))
        share = np.clip(share, 0.05, 0.6)
        present = np.ones((n_r, len(COMPETITORS)), dtype=bool)
        present[[0, 4], 3] = False  # Delta Digital is not active in North and Central
        strength = rng.lognormal(0.0, 0.5, (n_r, n_c, len(COMPETITORS))) * present[:, None, :]
        strength = strength / strength.sum(axis=2, keepdims=True)
        rows: dict[str, list] = {k: [] for k in ("period", "region", "category", "competitor",
                                                 "estimated_revenue")}
        mean_cell = max(self.rev_qrc.mean(), 1.0)
        for q in range(12):
            period = day_index(datetime.date(START.year + q // 4, 3 * (q % 4) + 1, 1))
            ours = self.rev_qrc[q] + 0.05 * mean_cell
            others = ours / share * (1 - share)
            noise = rng.lognormal(0.0, 0.1, (n_r, n_c, len(COMPETITORS)))
            est = np.round(others[:, :, None] * strength * noise, -2)
            for r in range(n_r):
                for c in range(n_c):
                    for k, comp in enumerate(COMPETITORS):
                        if present[r, k]:
                            rows["period"].append(period)
                            rows["region"].append(REGIONS[r])
                            rows["category"].append(CATEGORIES[c])
                            rows["competitor"].append(comp)
                            rows["estimated_revenue"].append(est[r, c, k])
        return to_frame("competitors", {k: np.array(v, dtype=object if k in (
            "region", "category", "competitor") else None) for k, v in rows.items()})
