"""salesnb as a real package: the built wheel ships the notebooks and data and runs anywhere.

Offline: the wheel is built without build isolation (the dev environment's setuptools), and
the fresh virtual environment gets the dev environment's site-packages through a ``.pth``
file, so dependencies resolve while the editable salesnb (a finder installed by its own
``.pth``, which a ``.pth`` path line does not run) stays out of it, and links to the
dependencies' data files (``share/jupyter``: nbconvert's and Voila's templates).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

from salesnb.report.catalog import NOTEBOOKS

pytestmark = pytest.mark.slow

#: What the build needs from the checkout (copied, so a stale ``build/`` cannot leak in).
_SOURCE = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "salesnb", "notebooks",
           "data")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.py[cod]", ".ipynb_checkpoints",
                                 "*.egg-info")


def _run(cmd: list[str], *, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert proc.returncode == 0, (f"{' '.join(map(str, cmd))} exited {proc.returncode}\n"
                                  f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a clean copy of the checkout."""
    import setuptools

    major = int(setuptools.__version__.split(".")[0])
    assert major >= 77, (f"setuptools {setuptools.__version__} cannot build the wheel "
                         "(needs >= 77): pip install -e '.[dev]'")
    src = tmp_path_factory.mktemp("src")
    for part in _SOURCE:
        if (ROOT / part).is_dir():
            shutil.copytree(ROOT / part, src / part, ignore=_IGNORE)
        else:
            shutil.copy2(ROOT / part, src / part)
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-index",
          "--no-build-isolation", "-q", "-w", str(out)], cwd=src)
    (built,) = out.glob("salesnb-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> dict:
    """A fresh venv with the wheel installed (``--no-deps``) and the dev venv's dependencies."""
    root = tmp_path_factory.mktemp("venv") / "fresh"
    _run([sys.executable, "-m", "venv", "--without-pip", str(root)])
    python = root / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                      "['purelib'])"]).stdout.strip())
    deps = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "_salesnb_test_deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    # the dependencies' data files (nbconvert's and Voila's templates) live under the prefix:
    # link them, except the kernel spec (the fresh venv's ipykernel provides its own)
    shared = root / "share" / "jupyter"
    shared.mkdir(parents=True)
    for entry in (Path(sys.prefix) / "share" / "jupyter").iterdir():
        if entry.name != "kernels":
            (shared / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
          "--no-index", "-q", str(wheel)])
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
           and not k.startswith(("SALESNB_", "JUPYTER_"))}
    env["PATH"] = f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(root)
    return {"root": root, "python": python, "site": site, "package": site / "salesnb",
            "env": env}


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*")}


def test_wheel_ships_notebooks_data_and_the_app_template(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"salesnb/_bundle/notebooks/{p.name}" for p in ROOT.glob("notebooks/*.ipynb")}
    expected |= {f"salesnb/_bundle/data/{p.name}" for p in ROOT.glob("data/*.csv")}
    expected |= {"salesnb/_bundle/data/README.md", "salesnb/_bundle/data/bonus_plan.yaml"}
    expected |= {f"salesnb/app/voila_template/{p.name}"
                 for p in (ROOT / "salesnb" / "app" / "voila_template").iterdir()}
    assert {f"salesnb/_bundle/notebooks/{name}.ipynb" for name in NOTEBOOKS} <= expected
    assert expected - names == set()
    assert not [n for n in names if n.startswith(("tests/", "outputs/", "notebooks/", "data/"))]
    meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(meta).decode()
    assert "License-Expression: MIT" in text
    assert "Provides-Extra: app" in text and "Provides-Extra: assign" in text


def test_installed_wheel_runs_every_report_from_an_empty_folder(venv, tmp_path):
    work = tmp_path / "empty"
    work.mkdir()
    probe = _run([str(venv["python"]), "-c", (
        "import json, salesnb, salesnb.paths as p; print(json.dumps({"
        "'file': salesnb.__file__, 'checkout': p.SOURCE_CHECKOUT, "
        "'notebooks': str(p.NOTEBOOKS_DIR), 'data': str(p.resolve_path('data')), "
        "'plan': str(p.resolve_path('data/bonus_plan.yaml')), 'out': str(p.OUTPUTS_DIR)}))")],
        cwd=work, env=venv["env"])
    where = json.loads(probe.stdout)
    package = venv["package"].resolve()
    assert Path(where["file"]).resolve().parent == package, where  # not the source tree
    assert where["checkout"] is False
    for key in ("notebooks", "data", "plan"):
        assert Path(where[key]).resolve().is_relative_to(package / "_bundle"), (key, where)
    assert Path(where["out"]) == work.resolve() / "outputs"

    before = _snapshot(venv["package"])
    proc = subprocess.run([str(venv["root"] / "bin" / "salesnb"), "run", "--all"], cwd=work,
                          env=venv["env"], capture_output=True, text=True, timeout=1800,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    latest = work / "outputs" / "latest"
    assert (latest / "index.html").is_file()
    for name in NOTEBOOKS:
        assert (latest / f"{name}.html").is_file(), name
    manifest = json.loads((latest / "manifest.json").read_text(encoding="utf-8"))
    assert {n["name"] for n in manifest["notebooks"]} == set(NOTEBOOKS)
    assert [p.name for p in work.iterdir()] == ["outputs"]
    assert _snapshot(venv["package"]) == before  # nothing written into site-packages
