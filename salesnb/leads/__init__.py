"""Lead screening and assignment.

The conversion model, its explanations, the rule score, conversion tables, and the assignment of
leads to reps.

Public names are importable from here (``from salesnb.leads import ...``); each module is
imported on first use (lazy_loader), so importing the package stays light.
"""

import lazy_loader as _lazy

_EXPORTS: dict[str, list[str]] = {
    'model': [
        'LeadScoringError', 'LeadModel', 'Comparison', 'LEAKAGE_COLUMNS', 'RULE_POINTS',
        'train', 'rule_score', 'tier_of', 'compare', 'conversion_by', 'funnel', 'plot_gains',
        'plot_calibration', 'plot_conversion',
    ],
    'assignment': [
        'Assignment', 'AssignmentError', 'assign', 'expertise_from_customers', 'plot_loads',
    ],
}

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=['views', 'assignment', 'model'],
    submod_attrs=_EXPORTS,
)
