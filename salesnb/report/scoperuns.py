"""One scheduled run, everyone's reports: a set of the reports per scope (``--each``).

``salesnb run --all --each manager`` runs every report for the company and again for every
manager's team, each set in a folder of its own with its own ``index.html`` and
``manifest.json``, so a scheduler can hand each manager only their folder; the run's top
``index.html`` lists the sets. The runner executes them like any other reports (in parallel
with ``--jobs``); each worker's warm kernel loads the data and fits the models every scope
shares once (:mod:`salesnb.report.execute`).

The runner knows notebooks and parameters, never analysis: the scopes come from the data's
aggregates (:func:`salesnb.report.datacheck.data_values`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salesnb.report.params import ParameterError

if TYPE_CHECKING:
    from salesnb.report.runner import NotebookRun

__all__ = ["EACH", "each_scope", "scope_folders", "set_status", "write_sets"]

#: What ``--each`` takes.
EACH = ("region", "manager", "rep")


def scope_folders(texts: list[str]) -> list[str]:
    """A distinct folder name per scope text (``region:East`` -> ``region-East``).

    Parameters
    ----------
    texts : list of str
        Scope texts.

    Returns
    -------
    list of str
        Letters of any script, digits, ``.``, ``_`` and ``-`` kept, anything else ``_``;
        two scopes that would share a name get ``-2``, ``-3`` ...; never ``.`` or ``..``.
    """
    from salesnb.scope.model import Scope, parse_scope

    out: list[str] = []
    seen: set[str] = set()
    for text in texts:
        kind, value = parse_scope(text)
        name = Scope(kind, value).folder()
        base, n = name, 1
        while name.casefold() in seen:
            n += 1
            name = f"{base}-{n}"
        seen.add(name.casefold())
        out.append(name)
    return out


def each_scope(runs: list[NotebookRun], each: str, common: dict[str, Any]
               ) -> list[NotebookRun]:
    """The planned runs repeated for the company and every ``each`` scope of the data.

    Parameters
    ----------
    runs : list of NotebookRun
        The reports asked for, with validated parameters.
    each : {"region", "manager", "rep"}
        Which scopes.
    common : dict
        The parameters given for every report (``scope`` may not be among them).

    Returns
    -------
    list of NotebookRun
        The company's set first, then one set per scope value; each run's ``folder`` is its
        set's folder.

    Raises
    ------
    ParameterError
        ``each`` is unknown, a scope was also given, the reports read different sources, or
        the data holds no such scope.
    """
    from salesnb.report.datacheck import data_values

    if each not in EACH:
        raise ParameterError(f"--each {each!r}: use one of {', '.join(EACH)}")
    if "scope" in common:
        raise ParameterError("--each gives every report its scope: leave out the scope "
                             "parameter")
    keys = {(r.parameters.get("source", ""), r.parameters.get("mapping", ""),
             r.parameters.get("as_of", "")) for r in runs}
    if len(keys) != 1:
        raise ParameterError("--each needs one source, mapping and as_of for every report")
    src, mapping, as_of = keys.pop()
    for r in runs:
        if "scope" not in r.parameters:
            raise ParameterError(f"--each: {r.name} has no scope parameter")
    found = data_values(src, mapping or None, kinds=("scope",), as_of=as_of or None).scopes
    values = (found or {}).get(each, [])
    if not values:
        need = ("a reps table whose manager_id names the managers" if each == "manager"
                else f"{each} values in the data")
        raise ParameterError(f"--each {each}: the data has no {each} to run for (it needs "
                             f"{need})")
    texts = ["company", *(f"{each}:{v}" for v in values)]
    return [replace(r, parameters={**r.parameters, "scope": text}, folder=folder,
                    skipped=[])
            for text, folder in zip(texts, scope_folders(texts), strict=True) for r in runs]


def set_status(status: str, runs: list[NotebookRun]) -> str:
    """The status of one scope's set within a run whose status is ``status``.

    Parameters
    ----------
    status : str
        The run's status.
    runs : list of NotebookRun
        The set's runs.

    Returns
    -------
    str
        ``failed`` when one of them makes a run fail, ``interrupted`` when one did not
        finish, else ``ok``.
    """
    if any(r.fails_run for r in runs):
        return "failed"
    if status == "interrupted" and any(r.status in ("interrupted", "pending") for r in runs):
        return "interrupted"
    return "ok"


def write_sets(folder: Path, run_id: str, manifest: dict[str, Any],
               runs: list[NotebookRun]) -> bool:
    """Write each scope's ``manifest.json`` and ``index.html``, and the run's top index.

    Parameters
    ----------
    folder : pathlib.Path
        The run folder (its sets are subfolders).
    run_id : str
        The run's id.
    manifest : dict
        The run's manifest.
    runs : list of NotebookRun
        Every run.

    Returns
    -------
    bool
        False when the run has no sets (no ``--each``): nothing was written. Otherwise
        ``manifest["sets"]`` lists them (folder, scope, label, status, counts, seconds).
    """
    from salesnb.report import pages

    sets = list(dict.fromkeys(r.folder for r in runs if r.folder))
    if not sets:
        return False
    summary = []
    for name in sets:
        mine = [r for r in runs if r.folder == name]
        part = {**manifest, "status": set_status(manifest["status"], mine),
                "scope": mine[0].parameters.get("scope"),
                "scope_label": next((r.scope_label for r in mine if r.scope_label), None),
                "notebooks": [{**asdict(r), "ipynb": Path(r.ipynb).name,
                               "html": Path(r.html).name} for r in mine]}
        part.pop("sets", None)
        (folder / name / "manifest.json").write_text(json.dumps(part, indent=2, default=str),
                                                     encoding="utf-8")
        pages.write_index(folder / name, run_id, part, mine)
        summary.append({"folder": name, "scope": part["scope"],
                        "label": part["scope_label"] or part["scope"],
                        "status": part["status"], "reports": len(mine),
                        "ok": sum(r.status == "ok" for r in mine),
                        "seconds": round(sum(r.seconds for r in mine), 2)})
    manifest["sets"] = summary
    pages.write_top_index(folder, run_id, manifest, summary)
    return True
