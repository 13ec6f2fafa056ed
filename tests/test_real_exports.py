"""Every report on the tables a company has: an orders-only export, and each table removed.

The issue's acceptance runs: ``salesnb run --all`` on an orders-only export in a foreign layout
(and on the real UCI online-retail orders) exits 0 with the data-quality, forecast,
segmentation and product/region reports complete and lead scoring and rep assessment "not
applicable" with what they need; and every report runs on the sample with each table removed
in turn, never stopping on an exception, each missing input showing its note.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from salesnb.core.fmt import day
from salesnb.data.schema import TABLE_ORDER

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
APPLIES = ("00_data_quality", "02_sales_forecast", "03_customer_segmentation",
           "04_product_region")
NOT_APPLICABLE = {"01_lead_scoring": "leads", "05_rep_assessment": "reps"}
#: What no page may ever show.
RAW_ERRORS = re.compile(r"Traceback|KeyError|AttributeError|NameError|TypeError|ValueError")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "salesnb.cli", "run", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=1500)


def _run_dir(out: Path) -> Path:
    return (out / "latest").resolve() if (out / "latest").exists() else next(
        p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))


def _text(page: Path) -> str:
    """The visible text of a report page (tags removed)."""
    return re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))


def _check_orders_only_run(proc: subprocess.CompletedProcess[str], out: Path) -> dict:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    run = _run_dir(out)
    manifest = json.loads((run / "manifest.json").read_text())
    by_name = {n["name"]: n for n in manifest["notebooks"]}
    for name in APPLIES:
        assert by_name[name]["status"] == "ok", by_name[name]
        text = _text(run / f"{name}.html")
        assert not RAW_ERRORS.search(text), (name, RAW_ERRORS.search(text))
        assert len(text) > 3000, name  # content, not a page of notes
    for name, needs in NOT_APPLICABLE.items():
        assert by_name[name]["status"] == "not_applicable", by_name[name]
        assert by_name[name]["error"].startswith("not applicable: needs ")
        assert needs in by_name[name]["error"]
    index = (run / "index.html").read_text()
    assert index.count("not applicable") >= 2 and "2 not applicable" in index
    return by_name


def test_an_orders_only_export_gets_every_report_it_can(orders_only, tmp_path):
    src, mapping = orders_only
    mapping_file = tmp_path / "superstore.yaml"
    mapping_file.write_text(json.dumps(mapping), encoding="utf-8")
    out = tmp_path / "out"
    proc = _run(["--all", "--source", str(src), "-p", "mapping", str(mapping_file), "--out",
                 str(out), "--jobs", "2"], tmp_path)
    by_name = _check_orders_only_run(proc, out)
    # the export ends in 2025: every report is as of its last day, and the header says so
    for name in APPLIES:
        assert by_name[name]["as_of"] == by_name[name]["data_through"]
    run = _run_dir(out)
    assert f"data through {day(by_name['02_sales_forecast']['as_of'])}" in _text(
        run / "02_sales_forecast.html")


def test_the_online_retail_export_gets_every_report_it_can(shared_retail_mapping, tmp_path):
    src, mapping = shared_retail_mapping
    mapping_file = tmp_path / "retail.yaml"
    mapping_file.write_text(json.dumps(mapping), encoding="utf-8")
    out = tmp_path / "out"
    proc = _run(["--all", "--source", str(src), "-p", "mapping", str(mapping_file), "--out",
                 str(out), "--jobs", "2"], tmp_path)
    _check_orders_only_run(proc, out)


def test_a_report_asked_for_by_name_that_cannot_apply_fails_with_what_it_needs(
        orders_only, tmp_path):
    src, mapping = orders_only
    mapping_file = tmp_path / "m.yaml"
    mapping_file.write_text(json.dumps(mapping), encoding="utf-8")
    proc = _run(["01_lead_scoring", "--source", str(src), "-p", "mapping", str(mapping_file),
                 "--out", str(tmp_path / "out")], tmp_path)
    assert proc.returncode == 1
    assert "01_lead_scoring was asked for but is not applicable: needs leads" in proc.stderr
    assert "Traceback" not in proc.stderr


def _sample_without(table: str, folder: Path, every: int = 4) -> Path:
    """The sample without ``table`` and with every ``every``-th order line (faster kernels)."""
    import pandas as pd

    folder.mkdir()
    for path in (ROOT / "data").glob("*.csv"):
        if path.stem == table:
            continue
        if path.stem == "orders":
            pd.read_csv(path, dtype=str).iloc[::every].to_csv(folder / path.name, index=False)
        else:
            shutil.copy(path, folder / path.name)
    return folder


@pytest.mark.parametrize("table", TABLE_ORDER)
def test_every_report_runs_with_each_table_removed(table, tmp_path):
    src = _sample_without(table, tmp_path / f"no_{table}")
    out = tmp_path / "out"
    proc = _run(["--all", "--source", str(src), "--out", str(out), "--jobs", "2"], tmp_path)
    assert "Traceback" not in proc.stderr
    run = _run_dir(out)
    manifest = json.loads((run / "manifest.json").read_text())
    for nb in manifest["notebooks"]:
        assert nb["status"] in ("ok", "not_applicable"), (table, nb["name"], nb["error"])
        text = _text(run / f"{nb['name']}.html")
        assert not RAW_ERRORS.search(text), (table, nb["name"], RAW_ERRORS.search(text))
        if nb["skipped"] or nb["status"] == "not_applicable":
            assert "is not shown" in text, (table, nb["name"])
            assert f"`{table}`" in text or table in text
    assert proc.returncode == 0, proc.stderr
