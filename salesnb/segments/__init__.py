"""Customer segmentation.

RFM scores and segments (``scoring``) and what they say (``summaries``), clusters
(``clusters``), customer types and satisfaction (``customers``), migration between segments
(``movement``), actions for reps (``playbook``), one scope's view of the company's segments
(``scoped``), the scope's follow-up and action lists (``lists``), their charts (``plots``) and
the report's views (``views``).

Public names are importable from here (``from salesnb.segments import ...``); each module is
imported on first use (lazy_loader), so importing the package stays light.
"""

import lazy_loader as _lazy

_EXPORTS: dict[str, list[str]] = {
    'scoring': [
        'SegmentError', 'SEGMENTS', 'SEGMENT_GRID', 'SEGMENT_ACTIONS', 'NO_PURCHASE', 'CORE',
        'AT_RISK', 'score', 'quintile_equivalent', 'segment_of', 'rfm',
    ],
    'summaries': ['rfm_note', 'segment_summary', 'Share', 'segment_share', 'rfm_grid'],
    'clusters': ['Clustering', 'cluster'],
    'customers': ['TYPE_ATTRIBUTES', 'TYPE_NEEDS', 'type_attributes', 'customer_types',
                  'satisfaction', 'follow_up'],
    'movement': ['Migration', 'migration', 'from_moves', 'NEW_CUSTOMER'],
    'playbook': ['actions', 'actions_by', 'action_sheets'],
    'scoped': [
        'OUTSIDE', 'COMPANY_LINE', 'TEAM_LINE', 'scope_words', 'customer_ids', 'account_ids',
        'customer_table', 'company_rfm', 'scope_rfm', 'ScopeTables', 'scope_tables',
        'scope_summary', 'company_clusters', 'scope_migration', 'scope_types',
        'scope_satisfaction', 'rep_satisfaction', 'hide_outside',
    ],
    'lists': ['CONTACTS', 'with_contacts', 'follow_list', 'action_list'],
    'plots': [
        'plot_segments', 'plot_rfm_grid', 'plot_migration', 'plot_satisfaction',
        'plot_clusters', 'plot_customer_types',
    ],
}

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=['scoring', 'summaries', 'clusters', 'customers', 'movement', 'playbook',
                'scoped', 'lists', 'plots', 'views'],
    submod_attrs=_EXPORTS,
)
