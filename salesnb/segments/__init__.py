"""Customer segmentation.

RFM scores and segments, clusters, customer types, satisfaction, migration between segments,
actions for reps.

Public names are importable from here (``from salesnb.segments import ...``); each module is
imported on first use (lazy_loader), so importing the package stays light.
"""

import lazy_loader as _lazy

_EXPORTS: dict[str, list[str]] = {
    'scoring': [
        'SegmentError', 'SEGMENTS', 'SEGMENT_GRID', 'SEGMENT_ACTIONS', 'NO_PURCHASE', 'score',
        'quintile_equivalent', 'segment_of', 'rfm', 'rfm_note', 'segment_summary', 'rfm_grid',
        'Clustering', 'cluster', 'customer_types', 'satisfaction', 'follow_up', 'Migration',
        'migration', 'actions', 'actions_by', 'export_actions', 'plot_segments',
        'plot_rfm_grid', 'plot_migration', 'plot_satisfaction', 'plot_clusters',
        'plot_customer_types',
    ],
}

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=['views', 'scoring'],
    submod_attrs=_EXPORTS,
)
