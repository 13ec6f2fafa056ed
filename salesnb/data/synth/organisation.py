"""The sales organisation and the product catalogue of the synthetic company."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from salesnb.data.synth.base import NEVER, day_index, make_ids, to_frame
from salesnb.data.synth.vocab import CATALOGUE, CATEGORIES, FIRST, LAST, REGIONS, TIERS


class OrganisationBuilder:
    """Reps and products: the organisation part of :class:`~salesnb.data.synth.world.World`.

    A director, a manager per region and six reps each, and a fixed catalogue. Sets the
    ``rep_*``, ``region_reps`` and ``p_*`` state, from random streams 0 and 1, and builds the
    ``reps`` and ``products`` tables.
    """

    def _reps(self) -> None:
        rng = self._rngs[0]
        n_reg = len(REGIONS)
        n = 1 + n_reg + 6 * n_reg
        self.n_reps = n
        self.rep_ids = make_ids("R", n, 3)
        pairs = rng.choice(len(FIRST) * len(LAST), size=n, replace=False)
        first = [FIRST[p // len(LAST)] for p in pairs]
        last = [LAST[p % len(LAST)] for p in pairs]
        pairs_fl = list(zip(first, last, strict=True))
        self.rep_names = np.array([f"{f} {s}" for f, s in pairs_fl], dtype=object)
        self.rep_emails = np.array(
            [f"{f.lower()}.{s.lower()}@salesco.example" for f, s in pairs_fl], dtype=object
        )
        role = np.array(["director"] + ["manager"] * n_reg + ["rep"] * (6 * n_reg), dtype=object)
        region = np.full(n, -1)
        region[1:1 + n_reg] = np.arange(n_reg)
        region[1 + n_reg:] = np.repeat(np.arange(n_reg), 6)
        manager = np.full(n, -1)
        manager[1:1 + n_reg] = 0
        manager[1 + n_reg:] = 1 + region[1 + n_reg:]
        skill = rng.normal(0.0, 1.0, n)
        skill[:1 + n_reg] = 0.0
        hire = np.empty(n, dtype=np.int64)
        hire[0] = day_index(datetime.date(2012, 3, 1)) + rng.integers(0, 700)
        hire[1:1 + n_reg] = day_index(datetime.date(2014, 1, 1)) + rng.integers(0, 5 * 365, n_reg)
        hire[1 + n_reg:] = day_index(datetime.date(2015, 1, 1)) + rng.integers(
            0, 8 * 365 - 30, 6 * n_reg
        )
        status = np.array(["active"] * n, dtype=object)
        leave = np.full(n, NEVER)
        replacement = np.arange(n)
        reps = np.arange(1 + n_reg, n)
        # two reps left in 2025 (weaker reps are likelier to leave), one is on leave
        w = np.exp(-1.2 * skill[reps])
        gone = rng.choice(reps, size=2, replace=False, p=w / w.sum())
        if region[gone[0]] == region[gone[1]]:  # keep them in different regions
            others = reps[(region[reps] != region[gone[0]])]
            gone[1] = rng.choice(others)
        for r in gone:
            status[r] = "left"
            leave[r] = day_index(datetime.date(2025, 3, 1)) + rng.integers(0, 240)
            mates = reps[(region[reps] == region[r]) & (reps != r)]
            replacement[r] = rng.choice(mates)
        stay = reps[status[reps] == "active"]
        status[rng.choice(stay)] = "on_leave"
        self.rep_role, self.rep_region, self.rep_manager = role, region, manager
        self.rep_skill, self.rep_hire, self.rep_status = skill, hire, status
        self.rep_leave, self.rep_replacement = leave, replacement
        self.rep_specialty = rng.integers(0, len(CATEGORIES), n)
        # discount laxity: weaker reps give larger discounts
        self.rep_laxity = np.clip(rng.normal(0.0, 0.012, n) - 0.015 * skill, -0.03, 0.06)
        self.region_reps = np.arange(1 + n_reg, n).reshape(n_reg, 6)

    def _assign(self, rng: np.random.Generator, region: np.ndarray,
                day: np.ndarray) -> np.ndarray:
        """Assign a rep of ``region`` at ``day``; a rep who has left is replaced."""
        slot = rng.integers(0, 6, len(region))
        rep = self.region_reps[region, slot]
        gone = self.rep_leave[rep] <= day
        return np.where(gone, self.rep_replacement[rep], rep)

    def _owner_at(self, cust: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Rep owning customer(s) ``cust`` on ``day``."""
        orig = self.c_owner[cust]
        return np.where(day < self.rep_leave[orig], orig, self.rep_replacement[orig])

    # ----------------------------------------------------------------- products
    def _products(self) -> None:
        rng = self._rngs[1]
        n = len(CATALOGUE)
        self.n_products = n
        self.p_ids = make_ids("P", n, 3)
        self.p_names = np.array([c[0] for c in CATALOGUE], dtype=object)
        self.p_cat = np.array([c[1] for c in CATALOGUE])
        self.p_tier = np.array([c[2] for c in CATALOGUE])
        ref = np.array([c[3] for c in CATALOGUE])
        price = ref * rng.uniform(0.9, 1.1, n)
        self.p_price = np.where(price > 100, np.round(price) - 0.01, np.round(price, 1) - 0.01)
        margin = np.array([0.22, 0.32, 0.42])[self.p_tier] + rng.normal(0, 0.04, n)
        self.p_cost = np.round(self.p_price * (1 - np.clip(margin, 0.1, 0.6)), 2)
        self.p_qty = np.array([c[4] for c in CATALOGUE])
        self.p_pop = rng.lognormal(0.0, 0.45, n)
        launch = day_index(datetime.date(2016, 1, 1)) + rng.integers(0, 7 * 365, n)
        new = rng.choice(n, size=8, replace=False)
        launch[new] = rng.integers(day_index(datetime.date(2023, 2, 1)),
                                   day_index(datetime.date(2025, 7, 1)), len(new))
        self.p_launch = launch


    def _t_reps(self) -> pd.DataFrame:
        reg = np.array(("",) + REGIONS, dtype=object)[self.rep_region + 1]
        mgr = np.where(self.rep_manager >= 0, self.rep_ids[np.maximum(self.rep_manager, 0)], None)
        return to_frame("reps", {
            "rep_id": self.rep_ids,
            "name": self.rep_names,
            "email": self.rep_emails,
            "role": self.rep_role,
            "manager_id": mgr,
            "region": np.where(self.rep_region >= 0, reg, None),
            "hire_date": self.rep_hire,
            "status": self.rep_status,
            "specialty": np.array(CATEGORIES, dtype=object)[self.rep_specialty],
        })

    def _t_products(self) -> pd.DataFrame:
        return to_frame("products", {
            "product_id": self.p_ids,
            "name": self.p_names,
            "category": np.array(CATEGORIES, dtype=object)[self.p_cat],
            "tier": np.array(TIERS, dtype=object)[self.p_tier],
            "list_price": self.p_price,
            "unit_cost": self.p_cost,
            "launch_date": self.p_launch,
        })
