"""The report notebooks salesnb ships, each with its parameter schema (the single source of truth).

``notebooks/<name>.ipynb`` has a ``parameters`` cell rendered from the schema here
(:func:`salesnb.params.parameters_cell_source`); a test checks they agree.
"""

from __future__ import annotations

from .params import NotebookSpec, Param

__all__ = ["SOURCE", "MAPPING", "AS_OF", "SHOW_PII", "NOTEBOOKS", "notebook_spec"]

#: Parameters every report has.
SOURCE = Param("source", "str", "data",
               "folder of table files or a .duckdb file; relative paths are tried from the "
               "current folder, then the project folder")
MAPPING = Param("mapping", "str", "", "YAML column mapping for a real export (empty: none)",
                allow_empty=True)
AS_OF = Param("as_of", "date", "", "day the report is as of (empty: today)", allow_empty=True)
SHOW_PII = Param("show_pii", "bool", False,
                 "show personal data (names, e-mails, phones) in the report")
COMMON = (SOURCE, MAPPING, AS_OF, SHOW_PII)

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
