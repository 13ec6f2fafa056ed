"""Data quality: can the numbers be trusted? Pure functions on a loaded :class:`SalesData`.

Each function returns a tidy DataFrame (or text); ``plot_*`` functions draw one on an axes
(``ax=None``: the current one) and return it, :func:`volumes_figure` draws the small
multiples of the monthly volumes. The ``00_data_quality`` report notebook calls them one
per cell.

A report for one scope (a region, a team, a rep: :func:`salesnb.scope.apply_scope`) checks
the scope's tables (completeness, double entries, freshness, volumes). What was read and
quarantined is a fact of the whole export, and is said so: the counts are the export's,
and an example row is shown only when it is the scope's own (:func:`place_quarantine` reads
the row's region, rep and customer again and places it), so no page shows another
region's, team's or rep's rows. The placing lives in :mod:`salesnb.data.scoperows` (it reads
the source again); its public names are importable from here too.
"""

import lazy_loader as _lazy

_EXPORTS: dict[str, list[str]] = {
    "checks": ["PII_MASK", "PLACE_COLUMNS", "IN_SCOPE", "OTHER_SCOPE", "NOT_PLACED",
               "place_quarantine", "examples_note", "overview", "completeness",
               "quarantine_by_rule", "quarantine_examples", "loading_notes", "duplicates",
               "broken_references", "freshness", "monthly_volumes", "volume_gaps", "headline"],
    "plots": ["plot_completeness", "plot_quarantine", "volumes_figure"],
}

__getattr__, __dir__, __all__ = _lazy.attach(__name__, submodules=["checks", "plots"],
                                             submod_attrs=_EXPORTS)
