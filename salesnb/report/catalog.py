"""The report notebooks salesnb ships, each with its parameter schema (the single source of truth).

``notebooks/<name>.ipynb`` has a ``parameters`` cell rendered from the schema here
(:func:`salesnb.report.params.parameters_cell_source`); a test checks they agree.
"""

from __future__ import annotations

from salesnb.assessment.defaults import DEFAULT_PLAN, DEFAULT_WEIGHTS, KPIS
from salesnb.core.i18n import DEFAULT_CURRENCY, DEFAULT_LANGUAGE, LANGUAGES
from salesnb.forecast.defaults import LEVELS, MAX_HORIZON, MODELS, REPORT_GROUPINGS
from salesnb.leads.defaults import DEFAULT_FAIRNESS, DEFAULT_TIERS, TIERS
from salesnb.report.params import NotebookSpec, Param

__all__ = ["SOURCE", "MAPPING", "AS_OF", "SHOW_PII", "SCOPE", "LANG", "CURRENCY", "COMMON",
           "LEAD_PANEL",
           "FORECAST_PANEL",
           "SEGMENT_PANEL", "PRODUCT_PANEL",
           "ASSESSMENT_PANEL", "NOTEBOOKS",
           "notebook_spec"]

#: Parameters every report has.
SOURCE = Param("source", "str", "data",
               "folder of table files or a .duckdb file; relative paths are tried from the "
               "current folder, then the project folder")
MAPPING = Param("mapping", "str", "", "YAML column mapping for a real export (empty: none)",
                allow_empty=True)
AS_OF = Param("as_of", "date", "",
               "day the report is as of (empty: today, or the data's last day when the data "
               "ended over a week ago)", allow_empty=True)
SHOW_PII = Param("show_pii", "bool", False,
                 "show personal data (names, e-mails, phones) in the report")
SCOPE = Param("scope", "str", "company",
              "who the report is for: company, region:<name>, manager:<rep_id> (the whole "
              "team) or rep:<rep_id>", values="scope")
LANG = Param("lang", "str", DEFAULT_LANGUAGE,
             "language the report is written in: en (English) or zh-CN (Chinese)",
             choices=LANGUAGES)
CURRENCY = Param("currency", "str", DEFAULT_CURRENCY,
                 "ISO 4217 code of the amounts in the data (USD, CNY, EUR ...): money is shown "
                 "with its symbol")
COMMON = (SOURCE, MAPPING, AS_OF, SHOW_PII, SCOPE, LANG, CURRENCY)

#: The forecast report's controls.
FORECAST_PANEL = (
    Param("horizon", "int", 6, "months to forecast", minimum=1, maximum=MAX_HORIZON, step=1),
    Param("by", "str", REPORT_GROUPINGS[0], "forecast per region or per product category",
          choices=REPORT_GROUPINGS),
    Param("model", "str", "auto", "forecasting model (auto: best in the backtest)",
          choices=("auto", *MODELS)),
    Param("level", "int", LEVELS[0], "interval level in percent", choices=LEVELS),
)

#: The segmentation report's controls (the as-of date comes from COMMON).
SEGMENT_PANEL = (
    Param("bins", "int", 5, "score levels for recency, frequency and monetary (5: quintiles)",
          minimum=3, maximum=10, step=1),
    Param("k", "int", 0, "customer clusters (0: choose by silhouette)", minimum=0, maximum=10,
          step=1),
)

#: What each weight's slider says (the KPI's description comes from the assessment).
_WEIGHT_HELP = {"attainment": "revenue attainment", "win_rate": "the opportunity win rate",
                "lead_conversion": "lead conversion", "satisfaction": "customer satisfaction",
                "new_customers": "new customers won", "activity": "activity (customer visits)"}
_TIER_HELP = ("attainment where the first bonus tier starts",
              "attainment where the second tier starts",
              "attainment where the accelerator starts")
_RATE_HELP = ("first tier: bonus in % of revenue", "second tier: bonus in % of revenue",
              "accelerator: bonus in % of revenue")
_PAID_TIERS = DEFAULT_PLAN["tiers"][1:]  # the first tier (from 0) pays nothing

#: The rep-assessment report's controls: KPI weights (summing to 1) and the bonus tiers, with
#: the defaults of :mod:`salesnb.assessment.defaults`.
ASSESSMENT_PANEL = (
    *(Param(f"w_{kpi}", "float", weight, f"weight of {_WEIGHT_HELP.get(kpi, KPIS[kpi][0])}",
            minimum=0, maximum=1, step=0.05) for kpi, weight in DEFAULT_WEIGHTS.items()),
    *(p for i, tier in enumerate(_PAID_TIERS, start=1) for p in (
        Param(f"tier{i}_from", "float", tier["from"], _TIER_HELP[i - 1], minimum=0, maximum=3,
              step=0.05),
        Param(f"tier{i}_rate", "float", round(tier["rate"] * 100, 6), _RATE_HELP[i - 1],
              minimum=0, maximum=20, step=0.25))),
    Param("cap", "float", DEFAULT_PLAN["cap"], "most a rep can earn in the period (0: no cap)",
          minimum=0),
    Param("min_satisfaction", "float", DEFAULT_PLAN["min_satisfaction"],
          "satisfaction below which no bonus is paid (0: no gate)", minimum=0, maximum=10,
          step=0.1),
)

#: The lead report's controls a manager moves in its widget panel.
LEAD_PANEL = (
    *(Param(f"tier_{name.lower()}", "float", threshold,
            f"conversion probability from which a lead is tier {name}", minimum=0, maximum=1,
            step=0.05) for name, threshold in zip(TIERS, DEFAULT_TIERS, strict=False)),
    Param("min_tier", "str", TIERS[2], "lowest tier given to a rep; lower tiers go to nurture",
          choices=TIERS),
    Param("capacity", "int", 15, "new leads each rep can take", minimum=1, maximum=500,
          step=1),
    Param("fairness", "float", DEFAULT_FAIRNESS,
          "weight of spreading expected value in proportion to capacity (0: ignore)",
          minimum=0, maximum=1, step=0.05),
    Param("regions", "str", (), "regions whose open leads are assigned (empty: all regions)",
          allow_empty=True, multiple=True, values="region"),
)

#: The product and region report's controls (region/category: "all" or a value in the data).
PRODUCT_PANEL = (
    Param("region", "str", "all", "region to analyse (all: every region)", values="region"),
    Param("category", "str", "all", "product category to analyse (all: every category)",
          values="category"),
    Param("base_start", "date", "",
          "first day of the base period, or a period (2024, 2024Q4, 2024-12) it starts "
          "(empty: the current period a year earlier)",
          allow_empty=True, values="period"),
    Param("base_end", "date", "",
          "last day of the base period, or a period it ends (empty: the current period a "
          "year earlier)",
          allow_empty=True, values="period"),
    Param("current_start", "date", "",
          "first day of the current period, or a period it starts (empty: the last 12 "
          "complete months)",
          allow_empty=True, values="period"),
    Param("current_end", "date", "",
          "last day of the current period, or a period it ends (empty: the last 12 "
          "complete months)",
          allow_empty=True, values="period"),
)

NOTEBOOKS: dict[str, NotebookSpec] = {
    spec.name: spec
    for spec in (
        NotebookSpec(
            "00_data_quality",
            "Data quality",
            "Can the numbers be trusted? Completeness, quarantined rows by rule, duplicates, "
            "broken references, freshness and volumes over time for every table.",
            COMMON + (
                Param("stale_days", "int", 31,
                      "days without new rows after which a table counts as stale",
                      minimum=0, maximum=3650, step=1),
                Param("examples", "int", 3, "example rows shown per quarantine rule",
                      minimum=0, maximum=50, step=1),
            ),
        ),
        NotebookSpec(
            "01_lead_scoring",
            "Lead scoring and assignment",
            "Which open leads to follow first and who should take them: conversion by "
            "channel and stage, a lead-scoring model checked against the policy's screening "
            "score, the key leads with reasons, and a proposed assignment to reps.",
            COMMON + LEAD_PANEL + (
                Param("half_life_days", "float", 0.0,
                      "halve a lead's score every N days without engagement (0: no decay)",
                      minimum=0, maximum=365, step=5),
                Param("top_n", "int", 25, "key leads listed", minimum=5, maximum=200, step=5),
            ),
        ),
        NotebookSpec(
            "02_sales_forecast",
            "Sales trends and forecast",
            "Where are we heading, by region and product category, and how sure are we: "
            "growth, seasonality, a model leaderboard from backtests, coherent forecasts "
            "with intervals, and the near-term view blended with the open pipeline.",
            COMMON + FORECAST_PANEL + (
                Param("series_file", "str", "",
                      "CSV of one monthly series (time, value) to analyse instead of the "
                      "orders (empty: the orders)", allow_empty=True),
                Param("folds", "int", 3, "backtest windows used to rank the models",
                      minimum=1, maximum=6, step=1),
                Param("pipeline_months", "int", 3, "months for the pipeline blend",
                      minimum=1, maximum=6, step=1),
                Param("pipeline_weight", "float", 0.5,
                      "weight of the weighted open pipeline in the blend (0: statistics only)",
                      minimum=0, maximum=1, step=0.05),
            ),
        ),
        NotebookSpec(
            "03_customer_segmentation",
            "Customer segmentation",
            "Who are our customers and what should reps do with each: RFM segments, "
            "clusters, customer types, satisfaction by segment and rep, how customers moved "
            "between segments, and the action list for reps.",
            COMMON + SEGMENT_PANEL + (
                Param("compare_months", "int", 3,
                      "months back for the segment migration", minimum=1, maximum=24, step=1),
                Param("top_share", "float", 0.2,
                      "share of customers by revenue that counts as high value",
                      minimum=0.05, maximum=1, step=0.05),
                Param("low_score", "float", 3.0,
                      "recent mean survey score at or below which a customer is followed up",
                      minimum=0, maximum=10, step=0.5),
                Param("actions_file", "str", "actions_for_reps.xlsx",
                      "file (.xlsx or .csv) the action list for reps is written to, beside the "
                      "report (empty: not written)", allow_empty=True),
            ),
        ),
        NotebookSpec(
            "04_product_region",
            "Products, regions and competitors",
            "Which products and markets carry the business and where to act: revenue, "
            "margin and growth per product and category, ABC classes, price/volume/mix, "
            "discounts and price elasticity, region performance and coverage, market share "
            "against competitors, and findings in words.",
            COMMON + PRODUCT_PANEL + (
                Param("abc_a", "float", 0.8,
                      "cumulative revenue share covered by A products (ABC classes)",
                      minimum=0.05, maximum=1, step=0.05),
                Param("abc_b", "float", 0.95,
                      "cumulative revenue share covered by A and B products",
                      minimum=0.05, maximum=1, step=0.05),
                Param("margin_floor", "float", 20.0,
                      "gross margin % under which a product is listed for re-pricing",
                      minimum=0, maximum=100, step=1),
            ),
        ),
        NotebookSpec(
            "05_rep_assessment",
            "Rep assessment and bonuses",
            "How every rep performed against the KPIs set from the targets, a fair ranking "
            "with its uncertainty, trends, the org roll-up for managers and the director, "
            "bonus payouts with the rule behind each, promotion candidates and training "
            "needs.",
            COMMON + ASSESSMENT_PANEL + (
                Param("period", "str", "",
                      "period assessed: 2025Q4, 2025-12 or 2025 (empty: the last complete "
                      "quarter)", allow_empty=True, values="period"),
                Param("plan_file", "str", "",
                      "YAML bonus plan to use instead of the tier controls (empty: controls)",
                      allow_empty=True),
                Param("budget", "float", 1800000.0, "bonus budget for the period", minimum=0),
                Param("payouts_file", "str", "bonus_payouts.xlsx",
                      "Excel file the payouts are written to, beside the report (empty: none)",
                      allow_empty=True),
            ),
        ),
    )
}


def notebook_spec(name: str) -> NotebookSpec:
    """Return the spec of catalog notebook ``name`` (the ``NN_`` prefix may be left out).

    Raises
    ------
    KeyError
        Listing the available notebooks.
    """
    if name in NOTEBOOKS:
        return NOTEBOOKS[name]
    hits = [s for n, s in NOTEBOOKS.items() if n.split("_", 1)[-1] == name]
    if len(hits) == 1:
        return hits[0]
    raise KeyError(f"unknown notebook {name!r}; available: {', '.join(NOTEBOOKS)}")
