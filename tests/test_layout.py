"""The package layout holds: small modules, one home per helper, boundaries, one plot convention.

These read the source (AST) or import the package; each names the file and line that breaks
the rule, so a failure says what to move where.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from conftest import ROOT

import salesnb

PACKAGE = ROOT / "salesnb"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "voila_template" not in p.parts)
MAX_LINES = 600

#: Modules whose job is I/O or presentation (DESIGN: I/O lives in the loading and reporting
#: modules); every other module is analysis: pure functions.
IO_OR_VIEW = re.compile(r"(^|/)(views|cli|paths|extras)\.py$|^report/|^app/|^core/(export|files)"
                        r"\.py$|^data/")  # the data layer reads sources and writes the sample


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def test_no_module_over_600_lines():
    long = {_rel(p): n for p in MODULES if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"split these modules (lines): {long}"


#: Private re-implementations of what salesnb.core provides, and where the one copy lives.
_ONE_HOME = {
    r"^def _q\(|^def _lit\(|^def _quote": "salesnb.core.sql",
    r"^def _need\(|^def _require\(|^def _missing_columns\(": "salesnb.core.columns",
    r"^def _fmt_pct\(|^def _money\(|^def _pct_text\(": "salesnb.core.fmt",
    r"^def _as_day\(|^def _ts\(|^def period_of\(|^def parse_period\(|^def _date\(":
        "salesnb.core.periods",
    r"lru_cache": "salesnb.core.cache",
    r"ExcelWriter|\.to_excel\(": "salesnb.core.export",
    r"yaml\.(safe_)?load\(|yaml\.SafeLoader": "salesnb.core.files",
    r"^_STAGES = |^FUNNEL = |^_FUNNEL = ": "salesnb.data.schema",
}


@pytest.mark.parametrize("pattern", list(_ONE_HOME))
def test_each_shared_helper_has_one_home(pattern):
    home = _ONE_HOME[pattern].removeprefix("salesnb.").replace(".", "/") + ".py"
    hits = [f"{_rel(p)}:{i}" for p in MODULES if _rel(p) != home
            for i, line in enumerate(p.read_text().splitlines(), start=1)
            if re.search(pattern, line.strip()) and not line.strip().startswith("#")]
    assert not hits, f"use {_ONE_HOME[pattern]} instead of a private copy: {hits}"


def _calls(tree: ast.AST) -> list[tuple[str, int]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            out.append((name, node.lineno))
    return out


_IO_CALLS = {"open", "print", "to_excel", "to_csv", "to_parquet", "write_text", "write_bytes",
             "savefig", "mkdir", "display"}
_UI_IMPORTS = ("ipywidgets", "IPython")


def test_analysis_modules_do_no_io_and_no_ui():
    bad = []
    for p in MODULES:
        rel = _rel(p)
        if IO_OR_VIEW.search(rel) or rel.endswith("__init__.py"):
            continue
        tree = ast.parse(p.read_text())
        bad += [f"{rel}:{line} calls {name}()" for name, line in _calls(tree) if name in _IO_CALLS]
        for node in ast.walk(tree):
            mods = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            bad += [f"{rel}:{node.lineno} imports {m}" for m in mods
                    if m.split(".")[0] in _UI_IMPORTS]
    assert not bad, "analysis modules must stay pure (move I/O and display to views/report): " \
        + "; ".join(bad)


def _all_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(salesnb.__path__, prefix="salesnb."):
        if "voila_template" not in info.name:
            names.append(info.name)
    return sorted(names)


def test_every_public_name_of_every_subpackage_resolves():
    for name in _all_modules():
        module = importlib.import_module(name)
        for public in getattr(module, "__all__", []):
            assert getattr(module, public, None) is not None, f"{name}.{public} does not resolve"


def _plot_functions():
    seen = {}
    for name in _all_modules():
        module = importlib.import_module(name)
        for attr, fn in vars(module).items():
            if inspect.isfunction(fn) and fn.__module__ == name and not attr.startswith("_") \
                    and (attr.startswith("plot_") or attr.endswith("_figure")):
                seen[f"{name}.{attr}"] = fn
    return seen


def test_plot_functions_follow_one_convention():
    bad = []
    for qualname, fn in _plot_functions().items():
        sig = inspect.signature(fn)
        ret = str(sig.return_annotation)
        if qualname.rsplit(".", 1)[1].startswith("plot_"):
            ax = sig.parameters.get("ax")
            keyword_only = ax is not None and ax.kind is inspect.Parameter.KEYWORD_ONLY
            if not keyword_only or ax.default is not None:
                bad.append(f"{qualname}: needs a keyword-only ax=None")
            if not ret.endswith("Axes"):
                bad.append(f"{qualname}: returns {ret}, not Axes (a multi-panel plot is *_figure)")
        elif not ret.endswith("Figure"):
            bad.append(f"{qualname}: a *_figure returns a Figure, not {ret}")
    assert not bad, "; ".join(bad)
    assert len(_plot_functions()) >= 15  # the check looked at the package's plots
