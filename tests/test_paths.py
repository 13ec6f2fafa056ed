"""Where salesnb finds its notebooks and data, and where reports go: checkout and installed."""

from __future__ import annotations

import importlib.resources
import types
from pathlib import Path

import pytest
from conftest import ROOT

import salesnb.paths as paths
from salesnb.errors import SourceError


def test_source_checkout_uses_the_checkout_folders():
    assert paths.SOURCE_CHECKOUT is True
    assert paths.PROJ_ROOT == ROOT
    assert paths.NOTEBOOKS_DIR == ROOT / "notebooks" and paths.DATA_DIR == ROOT / "data"
    assert paths.OUTPUTS_DIR == ROOT / "outputs" == paths.outputs_dir()


def test_relative_paths_fall_back_to_the_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert paths.resolve_path("data") == ROOT / "data"
    assert paths.resolve_path("data/bonus_plan.yaml") == ROOT / "data" / "bonus_plan.yaml"
    (tmp_path / "data").mkdir()
    assert paths.resolve_path("data") == tmp_path / "data"  # the current folder wins
    with pytest.raises(SourceError, match="does not exist"):
        paths.resolve_path("no_such_folder")


def _installed(site: Path, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """salesnb.paths as it runs from an installed wheel under ``site`` (no checkout around)."""
    (site / "salesnb" / "_bundle" / "data").mkdir(parents=True)
    (site / "salesnb" / "_bundle" / "notebooks").mkdir()
    (site / "salesnb" / "_bundle" / "data" / "orders.csv").write_text("order_id\n")
    fake = site / "salesnb" / "paths.py"
    fake.write_text("", encoding="utf-8")
    module = types.ModuleType("salesnb_paths_installed")
    module.__file__ = str(fake)
    module.__package__ = "salesnb"
    code = compile(Path(paths.__file__).read_text(encoding="utf-8"), str(fake), "exec")
    with monkeypatch.context() as patch:
        patch.setattr(importlib.resources, "files", lambda package: site / "salesnb")
        exec(code, module.__dict__)
    return module


def test_an_installed_package_reads_its_bundle_and_writes_to_the_current_folder(
        tmp_path, monkeypatch):
    installed = _installed(tmp_path / "site-packages", monkeypatch)
    bundle = tmp_path / "site-packages" / "salesnb" / "_bundle"
    assert installed.SOURCE_CHECKOUT is False
    assert installed.PROJ_ROOT == bundle
    assert installed.NOTEBOOKS_DIR == bundle / "notebooks"
    assert installed.DATA_DIR == bundle / "data"
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert installed.OUTPUTS_DIR == work / "outputs"  # read when used, never site-packages
    assert installed.resolve_path("data") == bundle / "data"  # the bundled sample
    (work / "data").mkdir()
    assert installed.resolve_path("data") == work / "data"
    with pytest.raises(SourceError, match="bundled sample"):
        installed.resolve_path("elsewhere")
    with pytest.raises(AttributeError):
        installed.NO_SUCH_NAME  # noqa: B018
