"""Lead screening and assignment.

The conversion model, its explanations, the rule score, conversion tables, and the assignment of
leads to reps:

* :mod:`~salesnb.leads.features` -- the outcome, the feature columns, the encoder;
* :mod:`~salesnb.leads.model` -- :func:`train` and :class:`LeadModel` (score, explain);
* :mod:`~salesnb.leads.explain` -- per-lead contributions and their texts;
* :mod:`~salesnb.leads.evaluation` -- the policy's :func:`rule_score` and :func:`compare`;
* :mod:`~salesnb.leads.tiers` -- :func:`tier_of`, :func:`triage`, :func:`top_leads`;
* :mod:`~salesnb.leads.conversion` -- :func:`conversion_by`, :func:`funnel`;
* :mod:`~salesnb.leads.assignment` (``sn.assign``) -- :func:`assign`, its solver in
  :mod:`~salesnb.leads.solver`;
* :mod:`~salesnb.leads.scoped` -- the report for one scope: the company's model, the scope's
  conversion and funnel, which leads a role's assignment shares (:func:`assignment_pool`);
* :mod:`~salesnb.leads.plots` -- the charts; :mod:`~salesnb.leads.views` -- the report's views,
  :mod:`~salesnb.leads.words` their scope sentences.

Public names are importable from here (``from salesnb.leads import ...``); each module is
imported on first use (lazy_loader), so importing the package stays light.
"""

import lazy_loader as _lazy

_EXPORTS: dict[str, list[str]] = {
    'errors': ['LeadScoringError', 'AssignmentError'],
    'features': ['LEAKAGE_COLUMNS'],
    'model': ['LeadModel', 'train', 'sample_labelled'],
    'evaluation': ['RULE_POINTS', 'Comparison', 'rule_score', 'compare'],
    'tiers': ['KEY_ATTRIBUTES', 'tier_of', 'tier_counts', 'triage', 'top_leads'],
    'conversion': ['conversion_by', 'funnel'],
    'plots': ['plot_gains', 'plot_calibration', 'plot_conversion', 'plot_loads',
              'model_quality_figure'],
    'assignment': ['Assignment', 'assign', 'expertise_from_customers'],
}

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=['views', 'assignment', 'model', 'features', 'explain', 'evaluation', 'tiers',
                'conversion', 'plots', 'solver', 'errors', 'defaults', 'scoped', 'words'],
    submod_attrs=_EXPORTS,
)
