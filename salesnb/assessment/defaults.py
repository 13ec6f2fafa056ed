"""The assessment's defaults: the KPIs, the default weights and bonus plan, the training map.

A module without imports of its own, so the report catalog (and with it the command line and
the runner) can derive its controls from these values without loading the analysis.
"""

from __future__ import annotations

from typing import Any

__all__ = ["KPIS", "SCORABLE", "DEFAULT_WEIGHTS", "DEFAULT_PLAN", "TRAINING"]

#: Every KPI: (what it is, higher is better).
KPIS: dict[str, tuple[str, bool]] = {
    "revenue": ("net revenue credited to the rep", True),
    "target": ("revenue target of the period", True),
    "attainment": ("revenue / target (1.0 = on target)", True),
    "volume": ("units sold", True),
    "new_customers": ("customers whose first order the rep took", True),
    "lead_conversion": ("converted / closed leads assigned to the rep", True),
    "win_rate": ("won / closed opportunities", True),
    "avg_deal_size": ("average amount of won opportunities", True),
    "cycle_days": ("average days from opportunity to won deal (lower is better)", False),
    "satisfaction": ("average after-sales survey score", True),
    "activity": ("customer visits (first visits of opportunities)", True),
}

#: KPIs a scorecard can weigh.
SCORABLE: tuple[str, ...] = ("attainment", "win_rate", "lead_conversion", "satisfaction",
                             "new_customers", "activity", "avg_deal_size", "cycle_days")

#: The default weights (sum to 1).
DEFAULT_WEIGHTS: dict[str, float] = {"attainment": 0.40, "win_rate": 0.15,
                                     "lead_conversion": 0.10, "satisfaction": 0.20,
                                     "new_customers": 0.10, "activity": 0.05}

#: The default bonus plan (rates are a share of the rep's revenue in the period).
DEFAULT_PLAN: dict[str, Any] = {
    "mode": "highest",
    "tiers": [{"from": 0.0, "rate": 0.0}, {"from": 0.8, "rate": 0.01},
              {"from": 1.0, "rate": 0.02}, {"from": 1.2, "rate": 0.03}],
    "cap": 60_000.0,
    "min_satisfaction": 3.0,
    "team": {"from": 1.0, "rate": 0.002},
    "budget": 1_800_000.0,
}

#: The training a weak KPI calls for.
TRAINING: dict[str, str] = {
    "lead_conversion": "negotiation", "win_rate": "negotiation",
    "satisfaction": "service", "activity": "coaching", "attainment": "sales planning",
    "new_customers": "prospecting", "avg_deal_size": "value selling",
    "cycle_days": "deal management",
}
