"""Rep assessment.

Additive KPI counts per rep and period and their roll-ups (``blocks``), the periods with data
and the ones before (``periods``), the empirical-Bayes
scorecard (``scoring``), bonus plans and payouts (``bonuses``), promotion and training
(``careers``), the parameter defaults (``defaults``), one scope's assessment (``scoped``: who
is ranked with whom and whose rows a page shows) with a rep's standing in the team
(``ranks``), the whole company's line to compare with (``company``) and the KPIs period by
period (``trends``); the report's tables (``tables``), charts (``plots``), sentences
(``words``) and rep names (``names``), each scope's page as data (``pages``) and what the
report displays, with its panel (``views``).

Public names are importable from here (``from salesnb.assessment import ...``); each module is
imported on first use (lazy_loader), so importing the package stays light.
"""

import lazy_loader as _lazy

_EXPORTS: dict[str, list[str]] = {
    'defaults': ['KPIS', 'SCORABLE', 'DEFAULT_WEIGHTS', 'DEFAULT_PLAN', 'TRAINING'],
    'blocks': [
        'AssessmentError', 'missing_kpis', 'counts', 'ratios', 'kpis', 'rollup', 'teams_of',
        'org_view', 'attainment_trend',
    ],
    'periods': [
        'PERIOD_KINDS', 'ACTIVITY_DATES', 'PeriodOutsideError', 'available_periods',
        'period_choices', 'period_range', 'check_period', 'latest_period', 'recent_periods',
        'split_recent',
    ],
    'scoring': ['WEIGHT_PREFIX', 'check_weights', 'weights_from', 'Scorecard', 'scorecard'],
    'bonuses': [
        'check_plan', 'plan_from', 'load_plan', 'bonus', 'bonus_summary', 'cap_warning',
        'MOST_AT_CAP', 'headline_numbers',
    ],
    'careers': ['history', 'promotion_candidates', 'training_needs'],
    'scoped': [
        'Assessment', 'assess', 'visible', 'scope_payouts', 'promotion_status',
        'promotion_list', 'training_status',
    ],
    'ranks': ['rank_band', 'rank_words', 'team_medians'],
    'company': ['company_card', 'company_payouts', 'company_line'],
    'trends': ['rep_trend', 'scope_trend'],
}

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=['defaults', 'blocks', 'periods', 'scoring', 'bonuses', 'careers', 'scoped',
                'ranks', 'company', 'trends', 'names', 'tables', 'plots', 'words', 'pages',
                'views'],
    submod_attrs=_EXPORTS,
)
