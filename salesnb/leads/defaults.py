"""Lead scoring and assignment defaults, shared by the analysis and the report catalog.

A module without imports of its own, so the catalog can derive its controls from it.
"""

from __future__ import annotations

__all__ = ["TIERS", "DEFAULT_TIERS", "DEFAULT_FAIRNESS", "MAX_TRAIN_LEADS"]

#: Lead tiers, best first; leads below the last threshold are tier "D" (nurture).
TIERS: tuple[str, ...] = ("A", "B", "C", "D")
#: Conversion probability from which a lead is tier A, B and C.
DEFAULT_TIERS: tuple[float, float, float] = (0.5, 0.3, 0.15)
#: Weight of spreading expected value in proportion to capacity in the assignment.
DEFAULT_FAIRNESS = 0.2
#: Most closed leads a model learns from: past it, a random sample stratified by outcome
#: (seeded), which says so. Ten cross-validation fits on 5 million leads take many minutes and
#: gigabytes; 200,000 learn the same conversion pattern to within noise.
MAX_TRAIN_LEADS = 200_000
