"""Leads and the customers they (and other channels) bring to the synthetic company."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from salesnb.data.synth.base import (
    N_DAYS,
    NAT,
    NEVER,
    WEEKDAY_FACTOR,
    day_index,
    make_ids,
    pick,
    pick_rows,
    to_frame,
)
from salesnb.data.synth.vocab import (
    CITIES,
    CO_CORE,
    CO_PREFIX,
    CO_SUFFIX,
    CREDIT,
    CREDIT_P,
    FIRST,
    INDUSTRIES,
    INDUSTRY_P,
    INDUSTRY_RATE,
    LAST,
    REGION_P,
    REGIONS,
    SIZE_P,
    SIZES,
    SOURCES,
)


class AccountsBuilder:
    """Leads and customers: the accounts part of :class:`~salesnb.data.synth.world.World`.

    Customers are converted leads and customers from other channels. Reads the organisation
    (``rep_*``); sets the ``l_*`` and ``c_*`` state, from random streams 2 and 3, and builds the
    ``leads`` and ``customers`` tables.
    """

    def _leads(self) -> None:
        rng = self._rngs[2]
        n = max(int(round(8000 * self.scale)), 20)
        cal = self.cal
        w = WEEKDAY_FACTOR[cal["dow"]] + 0.1
        w = w * np.exp(0.12 * np.arange(N_DAYS) / 365.25)
        cw = np.cumsum(w) / w.sum()
        created = np.sort(np.searchsorted(cw, rng.random(n), side="right")).astype(np.int64)
        created = np.minimum(created, N_DAYS - 1)
        src = pick(rng, n, np.array([0.25, 0.40, 0.15, 0.20]))
        ind = pick(rng, n, INDUSTRY_P)
        size = pick(rng, n, np.array([0.45, 0.32, 0.17, 0.06]))
        reg = pick(rng, n, REGION_P)
        med = np.array([6000.0, 18000.0, 55000.0, 160000.0])[size]
        budget = np.round(med * rng.lognormal(0.0, 0.8, n), -2)
        budget = np.maximum(budget, 500.0)
        credit = pick_rows(rng, CREDIT_P[size])
        fit = rng.normal(np.array([0.0, -0.3, 0.6, 0.2])[src], 1.0)
        needs = 1 + np.searchsorted(np.array([-1.3, -0.4, 0.4, 1.2]), fit)
        vis_mean = np.array([3.0, 9.0, 4.0, 4.0])[src]
        visits = rng.poisson(rng.gamma(1.2, vis_mean / 1.2))
        opens = rng.poisson(rng.gamma(1.5, np.array([5.0, 3.0, 2.0, 3.0])[src] / 1.5))
        events = rng.poisson(0.3, n) + (src == 3)
        rep = self._assign(rng, reg, created)
        # conversion: non-linear in budget, fit, engagement (which needs a budget)
        has_budget = budget >= 4000
        b_eff = np.where(has_budget, 0.9 * (1 - np.exp(-budget / 40000.0)), -1.3)
        eng = 0.45 * np.log1p(visits) + 0.3 * np.log1p(opens) + 0.5 * np.minimum(events, 3)
        logit = (
            -2.75
            + np.array([-0.2, -0.6, 1.1, 0.35])[src]
            + b_eff
            + np.array([0.4, 0.2, -0.3, -1.3])[credit]
            + np.array([-1.6, -0.8, 0.0, 0.6, 0.9])[needs - 1]
            + np.where(has_budget, eng - 0.9, 0.1 * eng)
            + 0.3 * self.rep_skill[rep]
        )
        conv = rng.random(n) < 1 / (1 + np.exp(-logit))
        dur = np.where(
            conv,
            10 + rng.gamma(2.0, 12.0 * (budget / 20000.0) ** 0.2),
            5 + rng.gamma(1.5, 25.0, n),
        ).astype(np.int64)
        outcome = created + dur
        open_ = outcome >= N_DAYS
        status = np.where(open_, 0, np.where(conv, 1, 2))
        end_act = np.where(open_, N_DAYS - 1, outcome)
        last_act = created + np.floor(rng.random(n) * (end_act - created + 1)).astype(np.int64)
        last_act = np.minimum(last_act, end_act)
        unassigned = open_ & (created >= N_DAYS - 21) & (rng.random(n) < 0.6)
        self.n_leads = n
        self.l_created, self.l_src, self.l_ind, self.l_size = created, src, ind, size
        self.l_reg, self.l_budget, self.l_credit, self.l_needs = reg, budget, credit, needs
        self.l_visits, self.l_opens, self.l_events = visits, opens, events
        self.l_last_act, self.l_rep, self.l_unassigned = last_act, rep, unassigned
        self.l_status = status
        self.l_outcome = np.where(open_, NAT, outcome)

    # ----------------------------------------------------------------- customers
    def _customers(self) -> None:
        rng = self._rngs[3]
        n_total = max(int(round(3000 * self.scale)), 20)
        conv = np.nonzero(self.l_status == 1)[0]
        n_pre = max(int(round(0.62 * n_total)), 10)
        n_mid = max(n_total - n_pre - len(conv), int(round(0.05 * n_total)))
        n_other = n_pre + n_mid
        # customers that did not come through the lead table
        signup_o = np.concatenate([
            day_index(datetime.date(2015, 1, 1))
            + np.floor(np.sqrt(rng.random(n_pre)) * (8 * 365)).astype(np.int64),
            np.floor(np.sqrt(rng.random(n_mid)) * (N_DAYS - 1)).astype(np.int64),
        ])
        size_o = pick(rng, n_other, SIZE_P)
        ind_o = pick(rng, n_other, INDUSTRY_P)
        reg_o = pick(rng, n_other, REGION_P)
        src_o = pick(rng, n_other, np.array([0.35, 0.25, 0.25, 0.15]))
        credit_o = pick_rows(rng, CREDIT_P[size_o])
        owner_o = self._assign(rng, reg_o, np.maximum(signup_o, 0))
        pot_o = rng.lognormal(0.0, 0.35, n_other)
        # converted leads became customers on their outcome date
        signup_l = self.l_outcome[conv]
        med = np.array([6000.0, 18000.0, 55000.0, 160000.0])[self.l_size[conv]]
        pot_l = 0.8 * (self.l_budget[conv] / med) ** 0.3
        signup = np.concatenate([signup_o, signup_l])
        size = np.concatenate([size_o, self.l_size[conv]])
        ind = np.concatenate([ind_o, self.l_ind[conv]])
        reg = np.concatenate([reg_o, self.l_reg[conv]])
        src = np.concatenate([src_o, self.l_src[conv]])
        credit = np.concatenate([credit_o, self.l_credit[conv]])
        owner = np.concatenate([owner_o, self.l_rep[conv]])
        pot = np.concatenate([pot_o, pot_l])
        lead = np.concatenate([np.full(n_other, -1), conv])
        order = np.lexsort((np.arange(len(signup)), signup))
        signup, size, ind, reg = signup[order], size[order], ind[order], reg[order]
        src, credit, owner = src[order], credit[order], owner[order]
        pot, lead = pot[order], lead[order]
        n = len(signup)
        self.n_customers = n
        self.c_ids = make_ids("C", n, 5)
        lead_cust = np.full(self.n_leads, -1)
        lead_cust[lead[lead >= 0]] = np.nonzero(lead >= 0)[0]
        self.l_customer = lead_cust
        self.c_signup, self.c_size, self.c_ind, self.c_reg = signup, size, ind, reg
        self.c_src, self.c_credit, self.c_owner, self.c_lead = src, credit, owner, lead
        skill = self.rep_skill[owner]
        # buying rate: heavy tailed, by size and industry; lead customers by stated budget
        base = (
            np.array([3.0, 6.0, 12.0, 22.0])[size]
            * INDUSTRY_RATE[ind]
            * rng.lognormal(-0.4, 0.9, n)
            * pot
            * 1.6
        )
        self.c_base = base
        self.c_act = np.where(signup < 0, signup, signup + 1 + rng.exponential(15.0, n).astype(
            np.int64))
        self.c_growth = rng.normal(-0.04 + 0.08 * skill, 0.18)
        self.c_sat = rng.normal(0.0, 0.5, n)
        hazard = (
            0.15
            * np.array([1.5, 1.0, 0.7, 0.4])[size]
            * np.array([0.8, 0.9, 1.2, 1.8])[credit]
            * np.exp(-0.35 * skill - 0.8 * self.c_sat)
        )
        t_churn = np.maximum(self.c_act, 0) + (rng.exponential(1.0, n) / hazard * 365.25)
        self.c_churn = np.where(t_churn < N_DAYS, t_churn, NEVER).astype(np.int64)
        self.c_city = np.array([rng.integers(0, len(CITIES[r])) for r in reg])
        self.c_name_parts = (
            rng.integers(0, len(CO_PREFIX), n), rng.integers(0, 6, n),
            rng.integers(0, len(CO_SUFFIX), n), rng.integers(0, len(FIRST), n),
            rng.integers(0, len(LAST), n), rng.integers(0, 10**7, n),
        )


    def _t_customers(self, sl: slice) -> pd.DataFrame:
        pre, core, suf, fn, ln, ph = (a[sl] for a in self.c_name_parts)
        ind, reg, city = self.c_ind[sl], self.c_reg[sl], self.c_city[sl]
        names, contacts, emails, phones, cities = [], [], [], [], []
        for i in range(len(ind)):
            base = f"{CO_PREFIX[pre[i]]} {CO_CORE[INDUSTRIES[ind[i]]][core[i]]}"
            names.append(f"{base} {CO_SUFFIX[suf[i]]}".rstrip())
            first, last = FIRST[fn[i]], LAST[ln[i]]
            contacts.append(f"{first} {last}")
            domain = base.lower().replace(" ", "").replace(".", "")
            emails.append(f"{first.lower()}.{last.lower()}@{domain}.example")
            p = int(ph[i])
            phones.append(f"+1-555-{p // 10000 % 1000:03d}-{p % 10000:04d}")
            cities.append(CITIES[reg[i]][city[i]])
        owner = self.c_owner[sl]
        owner_now = np.where(self.rep_leave[owner] < NEVER, self.rep_replacement[owner], owner)
        return to_frame("customers", {
            "customer_id": self.c_ids[sl],
            "name": np.array(names, dtype=object),
            "contact_name": np.array(contacts, dtype=object),
            "email": np.array(emails, dtype=object),
            "phone": np.array(phones, dtype=object),
            "industry": np.array(INDUSTRIES, dtype=object)[ind],
            "size": np.array(SIZES, dtype=object)[self.c_size[sl]],
            "region": np.array(REGIONS, dtype=object)[reg],
            "city": np.array(cities, dtype=object),
            "source": np.array(SOURCES, dtype=object)[self.c_src[sl]],
            "signup_date": self.c_signup[sl],
            "credit_rating": np.array(CREDIT, dtype=object)[self.c_credit[sl]],
            "owner_rep_id": self.rep_ids[owner_now],
        })

    def _t_leads(self, sl: slice) -> pd.DataFrame:
        cust = self.l_customer[sl]
        return to_frame("leads", {
            "lead_id": make_ids("L", self.n_leads, 5, sl),
            "created_date": self.l_created[sl],
            "source": np.array(SOURCES, dtype=object)[self.l_src[sl]],
            "industry": np.array(INDUSTRIES, dtype=object)[self.l_ind[sl]],
            "size": np.array(SIZES, dtype=object)[self.l_size[sl]],
            "region": np.array(REGIONS, dtype=object)[self.l_reg[sl]],
            "budget": self.l_budget[sl],
            "credit_rating": np.array(CREDIT, dtype=object)[self.l_credit[sl]],
            "needs_score": self.l_needs[sl],
            "website_visits": self.l_visits[sl],
            "email_opens": self.l_opens[sl],
            "events_attended": self.l_events[sl],
            "last_activity_date": self.l_last_act[sl],
            "assigned_rep_id": np.where(self.l_unassigned[sl], None,
                                        self.rep_ids[self.l_rep[sl]]),
            "status": np.array(["open", "converted", "lost"], dtype=object)[self.l_status[sl]],
            "outcome_date": self.l_outcome[sl],
            "customer_id": np.where(cust >= 0, self.c_ids[np.maximum(cust, 0)], None),
        })
