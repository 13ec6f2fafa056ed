"""The report runner end to end: success, failure, bad input, timeout, interruption."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, live_processes, report_notebook

from salesnb.cli import main
from salesnb.errors import SalesnbError, SourceError
from salesnb.report.params import ParameterError
from salesnb.report.progress import LineProgress
from salesnb.report.runner import fingerprint, plan_runs, run_reports

#: Every line ``salesnb run`` may write to a log (stderr, not a terminal).
LOG_LINE = re.compile(
    r"run \S+: \d+ report\(s\)(, \d+ at a time)?"
    r"|\[\d+/\d+\] \S+: (started|ok \(\d+\.\d s\)|FAILED: .+ \(\d+\.\d s\)"
    r"|(section|cell) \d+/\d+( .+)? \(\d+\.\d s\))"
    r"|run (ok|failed|interrupted): .+ in \d+\.\d s")


@pytest.fixture
def nbs(tmp_path):
    d = tmp_path / "nbs"
    d.mkdir()
    return {
        "ok": report_notebook(d / "ok.ipynb", "n: int = 2", "secret_code_marker = n * 21",
                        "print('answer', secret_code_marker)"),
        "other": report_notebook(d / "other.ipynb", "n: int = 1", "print('other', n)"),
        "fail": report_notebook(d / "fail.ipynb", "fail: bool = True", "x = 1",
                          "if fail:\n    raise ValueError('boom in the report')"),
        "slow": report_notebook(d / "slow.ipynb", "seconds: float = 60.0",
                          "import time\ntime.sleep(seconds)"),
        "slow2": report_notebook(d / "slow2.ipynb", "seconds: float = 60.0",
                           "import time\ntime.sleep(seconds)"),
    }


def _processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that mention ``text`` (e.g. a kernel's folder)."""
    return [args for _, args in live_processes(text)]


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
    nb = report_notebook(tmp_path / "die.ipynb", "code: int = 3", "import os\nos._exit(code)")
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


def test_log_progress_is_plain_quiet_and_names_every_report(nbs, tmp_path, short_tmp):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "salesnb.cli", "run", str(nbs["ok"]), str(nbs["other"]),
         "--jobs", "2", "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**os.environ, "TMPDIR": str(short_tmp)})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert [line for line in lines if not LOG_LINE.fullmatch(line)] == []  # nothing else
    for name in ("ok", "other"):
        assert sum(bool(re.fullmatch(rf"\[[12]/2\] {name}: started", line))
                   for line in lines) == 1
        assert sum(bool(re.fullmatch(rf"\[[12]/2\] {name}: ok \(\d+\.\d s\)", line))
                   for line in lines) == 1
    assert re.fullmatch(r"run ok: 2 ok in \d+\.\d s", lines[-1])
    assert "TCP" not in proc.stderr and "WARNING" not in proc.stderr
    assert proc.stdout.startswith("reports: ")
    assert list(short_tmp.iterdir()) == []  # the kernels' folders are gone


def test_kernels_talk_over_ipc_and_leave_nothing_behind(tmp_path, short_tmp, monkeypatch,
                                                        capfd):
    monkeypatch.setenv("TMPDIR", str(short_tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    nb = report_notebook(tmp_path / "where.ipynb", "n: int = 1",
                   "from ipykernel import get_connection_file, get_connection_info\n"
                   "info = get_connection_info(unpack=True)\n"
                   "print('transport', info['transport'], get_connection_file())")
    result = run_reports(plan_runs([str(nb)]), out=tmp_path / "o")
    assert result.status == "ok", result.failure_message()
    executed = json.loads((result.run_dir / "where.ipynb").read_text(encoding="utf-8"))
    printed = "".join(executed["cells"][-1]["outputs"][0]["text"]).split()
    assert printed[:2] == ["transport", "ipc"]
    # a private folder in the run's kernels folder in the temp folder
    assert Path(printed[2]).parent.parent.parent == short_tmp
    assert not Path(printed[2]).parent.exists()  # removed with its sockets
    assert not list(short_tmp.iterdir())  # and the run's kernels folder too
    assert "without encryption" not in capfd.readouterr().err


def test_section_lines_follow_the_headings(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("n: int = 1")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Report"), cell,
                nbformat.v4.new_markdown_cell("## Part two"), nbformat.v4.new_code_cell("1"),
                nbformat.v4.new_markdown_cell("## Part three"), nbformat.v4.new_code_cell("2")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, tmp_path / "parts.ipynb")
    lines: list[str] = []
    result = run_reports(plan_runs([str(tmp_path / "parts.ipynb")]), out=tmp_path / "o",
                         progress=LineProgress(lines.append, every=0))
    assert result.status == "ok"
    shown = [line.split(": ", 1)[1].rsplit(" (", 1)[0] for line in lines
             if "section" in line]
    assert shown == ["section 1/3 Report", "section 2/3 Part two", "section 3/3 Part three"]


def _run_and_stop(args: list[str], busy, *, env: dict[str, str] | None = None) -> str:
    """Start ``salesnb run ARGS``, SIGTERM it once ``busy()`` holds; exit 143, quietly."""
    proc = subprocess.Popen([sys.executable, "-m", "salesnb.cli", "run", *args],
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    deadline = time.time() + 120
    while time.time() < deadline and not busy():  # wait until the kernels are busy
        time.sleep(0.2)
    time.sleep(2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 143, err
    assert "Traceback" not in err and "Kernel died" not in err and "Task " not in err, err
    return err


def test_interrupted_parallel_run_stops_its_kernels(nbs, tmp_path, short_tmp):
    out = tmp_path / "out"
    _run_and_stop([str(nbs["slow"]), str(nbs["slow2"]), "--jobs", "2", "--out", str(out)],
                  lambda: len(_processes_mentioning(str(short_tmp))) >= 2,
                  env={**os.environ, "TMPDIR": str(short_tmp)})
    assert any(p.name.endswith("-interrupted") for p in out.iterdir())
    deadline = time.time() + 20  # a kernel told to stop may take a moment
    while _processes_mentioning(str(short_tmp)) and time.time() < deadline:
        time.sleep(0.5)
    assert _processes_mentioning(str(short_tmp)) == []
    assert list(short_tmp.iterdir()) == []


def test_interrupted_run_leaves_latest_intact(nbs, tmp_path):
    out = tmp_path / "out"
    good = run_reports(plan_runs([str(nbs["ok"])]), out=out)
    err = _run_and_stop([str(nbs["slow"]), "--out", str(out)],
                        lambda: any(out.glob(".tmp-*/slow.ipynb")))
    assert "interrupted by SIGTERM" in err
    assert _latest(out) == good.run_dir.name
    assert any(p.name.endswith("-interrupted") for p in out.iterdir())
    assert not any(out.glob(".tmp-*"))


def test_fingerprint_changes_with_content(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n", encoding="utf-8")
    first = fingerprint(tmp_path)
    assert first["files"] == 1 and first["bytes"] == 4
    (tmp_path / "a.csv").write_text("x\n2\n", encoding="utf-8")
    assert fingerprint(tmp_path)["sha256"] != first["sha256"]
