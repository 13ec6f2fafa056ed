"""Rep assessment.

Additive KPI counts per rep and period, roll-ups, the empirical-Bayes scorecard, bonus plans,
promotion and training.

Public names are importable from here (``from salesnb.assessment import ...``); each module is
imported on first use (lazy_loader), so importing the package stays light.
"""

import lazy_loader as _lazy

_EXPORTS: dict[str, list[str]] = {
    'scoring': [
        'AssessmentError', 'KPIS', 'SCORABLE', 'DEFAULT_WEIGHTS', 'DEFAULT_PLAN', 'TRAINING',
        'period_of', 'latest_period', 'counts', 'ratios', 'kpis', 'rollup', 'org_view',
        'check_weights', 'Scorecard', 'scorecard', 'check_plan', 'load_plan', 'bonus',
        'bonus_summary', 'history', 'promotion_candidates', 'training_needs', 'export_payouts',
    ],
}

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=['views', 'scoring'],
    submod_attrs=_EXPORTS,
)
