"""Opportunities through the sales funnel, and after-sales satisfaction surveys."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.data.schema import FUNNEL, STAGES
from salesnb.data.synth.base import N_DAYS, NAT, WEEKDAY_FACTOR, make_ids, pick, pick_rows, to_frame
from salesnb.data.synth.vocab import LOST_REASONS, SERVICES


class FunnelBuilder:
    """Opportunities and surveys: the funnel part of :class:`~salesnb.data.synth.world.World`.

    Opportunities run visit -> needs -> quote -> negotiation -> contract -> won/lost. Reads the
    organisation, leads and customers; sets the ``o_*`` and ``s_*`` state, from random streams 4
    and 5, and builds the ``opportunities`` and ``surveys`` tables.
    """

    def _opportunities(self) -> None:
        rng = self._rngs[4]
        n_total = max(int(round(4000 * self.scale)), 10)
        # 1) the winning deal of every converted lead
        lc = np.nonzero(self.l_customer >= 0)[0]
        lo_created = self.l_created[lc]
        span = self.l_outcome[lc] - lo_created
        fr = np.sort(rng.uniform(0.15, 0.95, (len(lc), 4)), axis=1)
        lo_dates = np.column_stack([
            lo_created + np.floor(0.1 * span),
            *(lo_created + np.floor(fr[:, k] * span) for k in range(4)),
        ]).astype(np.int64)
        lo_amount = np.round(self.l_budget[lc] * rng.uniform(0.5, 1.0, len(lc)))
        # 2) deals with existing customers
        m = max(n_total - len(lc), 0)
        w = np.exp(0.1 * np.arange(N_DAYS - 20) / 365.25) * (WEEKDAY_FACTOR[
            self.cal["dow"][:N_DAYS - 20]] + 0.05)
        cwd = np.cumsum(w) / w.sum()
        created = np.searchsorted(cwd, rng.random(m), side="right").astype(np.int64)
        eligible = np.searchsorted(self.c_signup, created, side="left")  # signed up before
        cw = np.cumsum(np.array([1.0, 2.0, 4.0, 7.0])[self.c_size])
        cust = np.searchsorted(cw, rng.random(m) * cw[np.maximum(eligible, 1) - 1], side="right")
        cust = np.minimum(cust, np.maximum(eligible, 1) - 1)
        rep = self._owner_at(cust, created)
        med = np.array([8000.0, 20000.0, 60000.0, 150000.0])[self.c_size[cust]]
        amount = np.round(med * rng.lognormal(0.0, 0.7, m))
        dur_scale = (amount / 20000.0) ** 0.25
        dates = np.full((m, 5), NAT, dtype=np.int64)
        closed = np.full(m, NAT, dtype=np.int64)
        stage = np.zeros(m, dtype=np.int64)  # index of last stage reached; 5 won, 6 lost
        reason = np.full(m, -1)
        base_p = np.array([0.8, 0.72, 0.65, 0.75, 0.85])
        mean_days = np.array([7.0, 10.0, 14.0, 10.0, 8.0])
        d = created + rng.integers(0, 8, m)  # first visit
        dates[:, 0] = d
        alive = np.ones(m, dtype=bool)
        reason_p = np.array([
            [0.05, 0.10, 0.30, 0.35, 0.20],
            [0.10, 0.15, 0.25, 0.30, 0.20],
            [0.45, 0.30, 0.08, 0.05, 0.12],
            [0.45, 0.35, 0.07, 0.03, 0.10],
            [0.30, 0.30, 0.10, 0.00, 0.30],
        ])
        skill = self.rep_skill[rep]
        for k in range(5):
            nxt = d + np.ceil(rng.gamma(2.0, mean_days[k] / 2.0 * dur_scale)).astype(np.int64)
            pk = base_p[k]
            lg = np.log(pk / (1 - pk)) + 0.35 * skill - 0.15 * np.log(amount / 20000.0)
            adv = rng.random(m) < 1 / (1 + np.exp(-lg))
            rs = pick_rows(rng, np.tile(reason_p[k], (m, 1)) + 1e-12)
            in_time = nxt < N_DAYS
            lost = alive & in_time & ~adv
            closed[lost] = nxt[lost]
            stage[lost] = 6
            reason[lost] = rs[lost]
            go = alive & in_time & adv
            if k < 4:
                dates[go, k + 1] = nxt[go]
                stage[go] = k + 1
            else:
                closed[go] = nxt[go]
                stage[go] = 5
            alive = go
            d = nxt
        n_opp = len(lc) + m
        cust_all = np.concatenate([self.l_customer[lc], cust])
        created_all = np.concatenate([lo_dates[:, 0], created])
        order = np.lexsort((np.arange(n_opp), created_all))
        self.n_opps = n_opp
        self.o_customer = cust_all[order]
        self.o_lead = np.concatenate([lc, np.full(m, -1)])[order]
        self.o_rep = np.concatenate([self.l_rep[lc], rep])[order]
        self.o_created = created_all[order]
        self.o_stage = np.concatenate([np.full(len(lc), 5), stage])[order]
        self.o_amount = np.concatenate([lo_amount, amount])[order]
        self.o_dates = np.concatenate([lo_dates, dates])[order]
        self.o_closed = np.concatenate([self.l_outcome[lc], closed])[order]
        self.o_reason = np.concatenate([np.full(len(lc), -1), reason])[order]

    # ----------------------------------------------------------------- surveys
    def _surveys(self) -> None:
        rng = self._rngs[5]
        n = max(int(round(6000 * self.scale)), 10)
        lo = np.maximum(self.c_act, 0)
        hi = np.minimum(self.c_churn, N_DAYS)
        length = np.maximum(hi - lo, 0)
        w = self.c_base ** 0.5 * length
        cw = np.cumsum(w)
        cust = np.minimum(np.searchsorted(cw, rng.random(n) * cw[-1], side="right"),
                          self.n_customers - 1)
        day = lo[cust] + np.floor(rng.random(n) * length[cust]).astype(np.int64)
        order = np.lexsort((cust, day))
        cust, day = cust[order], day[order]
        rep = self._owner_at(cust, day)
        service = pick(rng, n, np.array([0.35, 0.2, 0.3, 0.15]))
        churned = self.c_churn[cust] < N_DAYS
        latent = (
            3.75
            + 0.45 * self.rep_skill[rep]
            + np.array([0.1, -0.15, -0.3, 0.2])[service]
            + self.c_sat[cust]
            - 0.3 * churned
            + rng.normal(0.0, 0.8, n)
        )
        self.n_surveys = n
        self.s_cust, self.s_day, self.s_rep, self.s_service = cust, day, rep, service
        self.s_score = np.clip(np.round(latent), 1, 5).astype(np.int64)


    def _t_opportunities(self, sl: slice) -> pd.DataFrame:
        stages = np.array(STAGES, dtype=object)
        lead = self.o_lead[sl]
        lead_ids = make_ids("L", self.n_leads, 5, lead[lead >= 0])
        reason = self.o_reason[sl]
        data = {
            "opportunity_id": make_ids("OP", self.n_opps, 5, sl),
            "customer_id": self.c_ids[self.o_customer[sl]],
            "lead_id": np.full(len(lead), None, dtype=object),
            "rep_id": self.rep_ids[self.o_rep[sl]],
            "created_date": self.o_created[sl],
            "stage": stages[self.o_stage[sl]],
            "amount": self.o_amount[sl],
            "closed_date": self.o_closed[sl],
            "lost_reason": np.where(reason >= 0,
                                    np.array(LOST_REASONS, dtype=object)[reason], None),
        }
        data["lead_id"][lead >= 0] = lead_ids
        for k, st in enumerate(FUNNEL):
            data[f"{st}_date"] = self.o_dates[sl, k]
        return to_frame("opportunities", data)

    def _t_surveys(self, sl: slice) -> pd.DataFrame:
        return to_frame("surveys", {
            "survey_id": make_ids("S", self.n_surveys, 6, sl),
            "customer_id": self.c_ids[self.s_cust[sl]],
            "rep_id": self.rep_ids[self.s_rep[sl]],
            "survey_date": self.s_day[sl],
            "service": np.array(SERVICES, dtype=object)[self.s_service[sl]],
            "score": self.s_score[sl],
        })
