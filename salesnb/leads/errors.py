"""The errors of lead scoring and assignment (both :class:`~salesnb.errors.SalesnbError`).

A table that lacks a column raises :class:`~salesnb.errors.ColumnError` instead (through
:func:`salesnb.core.columns.require_columns`), as everywhere in salesnb.
"""

from __future__ import annotations

from salesnb.errors import SalesnbError

__all__ = ["LeadScoringError", "AssignmentError"]


class LeadScoringError(SalesnbError, ValueError):
    """Lead scoring cannot run on this input; the message names the column and the fix."""


class AssignmentError(SalesnbError):
    """The inputs of :func:`~salesnb.leads.assign` cannot be used (bad capacity, ...)."""
