"""The report runner end to end: success, failure, bad input, timeout, interruption."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from salesnb.cli import main
from salesnb.errors import SalesnbError, SourceError
from salesnb.report.params import ParameterError
from salesnb.report.runner import fingerprint, plan_runs, run_reports


def _notebook(path: Path, params: str, *body: str) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Test report"), cell,
                *(nbformat.v4.new_code_cell(b) for b in body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def nbs(tmp_path):
    d = tmp_path / "nbs"
    d.mkdir()
    return {
        "ok": _notebook(d / "ok.ipynb", "n: int = 2", "secret_code_marker = n * 21",
                        "print('answer', secret_code_marker)"),
        "other": _notebook(d / "other.ipynb", "n: int = 1", "print('other', n)"),
        "fail": _notebook(d / "fail.ipynb", "fail: bool = True", "x = 1",
                          "if fail:\n    raise ValueError('boom in the report')"),
        "slow": _notebook(d / "slow.ipynb", "seconds: float = 60.0",
                          "import time\ntime.sleep(seconds)"),
    }


def _latest(out: Path) -> str:
    return os.readlink(out / "latest")


def test_successful_run_writes_everything(nbs, tmp_path):
    out = tmp_path / "out"
    runs = plan_runs([str(nbs["ok"])], params={"n": "3"})
    lines: list[str] = []
    result = run_reports(runs, out=out, progress=lines.append)
    assert result.status == "ok" and result.exit_code == 0
    run_dir = result.run_dir
    assert _latest(out) == run_dir.name
    assert {p.name for p in run_dir.iterdir()} == {"ok.ipynb", "ok.html", "index.html",
                                                   "manifest.json"}
    page = (run_dir / "ok.html").read_text(encoding="utf-8")
    assert "answer 63" in page  # the output is there ...
    assert "secret_code_marker = n" not in page  # ... the code is not
    index = (run_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="ok.html"' in index and ">ok<" in index
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "ok"
    assert manifest["notebooks"][0]["parameters"] == {"n": 3}
    assert manifest["notebooks"][0]["seconds"] > 0
    assert manifest["versions"]["papermill"] and manifest["versions"]["pandas"]
    assert any("ok: ok" in line for line in lines)


def test_failing_notebook_keeps_last_good_report(nbs, tmp_path):
    out = tmp_path / "out"
    good = run_reports(plan_runs([str(nbs["ok"])]), out=out)
    bad = run_reports(plan_runs([str(nbs["ok"]), str(nbs["fail"])]), out=out)
    assert bad.status == "failed" and bad.exit_code == 1
    assert _latest(out) == good.run_dir.name
    assert bad.run_dir.name.endswith("-failed")
    assert (bad.run_dir / "fail.ipynb").exists()  # kept for debugging
    msg = bad.failure_message()
    assert "fail failed at cell In [4]" in msg
    assert "ValueError: boom in the report" in msg and "if fail:" in msg
    statuses = {n["name"]: n["status"] for n in json.loads(
        (bad.run_dir / "manifest.json").read_text(encoding="utf-8"))["notebooks"]}
    assert statuses == {"ok": "ok", "fail": "failed"}


def test_cell_timeout_stops_the_kernel(nbs, tmp_path):
    out = tmp_path / "out"
    start = time.perf_counter()
    result = run_reports(plan_runs([str(nbs["slow"])]), out=out, timeout=3)
    assert time.perf_counter() - start < 45
    assert result.status == "failed"
    assert "timeout" in result.notebooks[0].error
    assert not (out / "latest").exists()


def test_dead_kernel_is_reported(tmp_path):
    nb = _notebook(tmp_path / "die.ipynb", "code: int = 3", "import os\nos._exit(code)")
    result = run_reports(plan_runs([str(nb)]), out=tmp_path / "o", timeout=60)
    assert result.status == "failed"
    assert "kernel died" in result.notebooks[0].error


def test_parallel_jobs(nbs, tmp_path):
    result = run_reports(plan_runs([str(nbs["ok"]), str(nbs["other"])]), out=tmp_path / "o",
                         jobs=2)
    assert result.status == "ok"
    assert [n.status for n in result.notebooks] == ["ok", "ok"]


@pytest.mark.parametrize(("kwargs", "error", "fragment"), [
    ({"params": {"n": "many"}}, ParameterError, "parameter n='many'"),
    ({"params": {"nn": "1"}}, ParameterError, "unknown parameter 'nn'"),
    ({"source": "/no/such/folder"}, ParameterError, "unknown parameter 'source'"),
])
def test_bad_parameters_fail_before_any_kernel(nbs, kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        plan_runs([str(nbs["ok"])], **kwargs)


def test_unknown_notebook_and_missing_source():
    with pytest.raises(SalesnbError, match="unknown notebook 'nope'; available"):
        plan_runs(["nope"])
    with pytest.raises(SourceError, match="does not exist"):
        plan_runs(["00_data_quality"], source="/no/such/folder")
    with pytest.raises(SalesnbError, match="no notebook given"):
        plan_runs([])


def test_param_file(nbs, tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("n: 4\nnotebooks:\n  other: {n: 9}\n", encoding="utf-8")
    runs = plan_runs([str(nbs["ok"]), str(nbs["other"])], param_file=f)
    assert [r.parameters for r in runs] == [{"n": 4}, {"n": 9}]
    f.write_text("n: 0.5\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="whole number"):
        plan_runs([str(nbs["ok"])], param_file=f)


@pytest.mark.parametrize("argv", [
    ["run", "nope"],
    ["run", "00_data_quality", "-p", "stale_days", "-1"],
    ["run", "00_data_quality", "-p", "colour", "red"],
    ["run", "00_data_quality", "--source", "/no/such/folder"],
])
def test_cli_errors_are_one_line_and_leave_outputs_alone(argv, tmp_path, capsys):
    out = tmp_path / "out"
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_cli_failing_notebook_names_notebook_and_cell(nbs, tmp_path, capsys):
    assert main(["run", str(nbs["fail"]), "--out", str(tmp_path / "o"), "-q"]) == 1
    err = capsys.readouterr().err
    assert "fail failed at cell In [4]: ValueError: boom in the report" in err
    assert "previous good report is untouched" in err


def test_interrupted_run_leaves_latest_intact(nbs, tmp_path):
    out = tmp_path / "out"
    good = run_reports(plan_runs([str(nbs["ok"])]), out=out)
    proc = subprocess.Popen([sys.executable, "-m", "salesnb.cli", "run", str(nbs["slow"]),
                             "--out", str(out)], stderr=subprocess.PIPE, text=True,
                            cwd=ROOT)
    deadline = time.time() + 60
    while time.time() < deadline:  # wait until the kernel is busy
        if any(out.glob(".tmp-*/slow.ipynb")):
            break
        time.sleep(0.2)
    time.sleep(2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert _latest(out) == good.run_dir.name
    assert any(p.name.endswith("-interrupted") for p in out.iterdir())
    assert not any(out.glob(".tmp-*"))


def test_fingerprint_changes_with_content(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n", encoding="utf-8")
    first = fingerprint(tmp_path)
    assert first["files"] == 1 and first["bytes"] == 4
    (tmp_path / "a.csv").write_text("x\n2\n", encoding="utf-8")
    assert fingerprint(tmp_path)["sha256"] != first["sha256"]
