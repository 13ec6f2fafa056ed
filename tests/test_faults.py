"""Faults in report runs: signals to the runner and its kernels, hanging cells, bad ``--out``.

Every case asserts what the runner promises (see :mod:`salesnb.report.runner` and
``salesnb run --help``): ``outputs/latest`` intact, the documented exit code (0 ok, 1 a notebook
failed, 2 bad arguments or an unusable ``--out``, 130 SIGINT, 143 SIGTERM), one line of message
and no traceback, no kernel left running and no temporary folder left behind.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import child_pids, live_processes, report_notebook

from salesnb.cli import main
from salesnb.errors import SalesnbError
from salesnb.paths import ARTIFACTS_ENV, artifact_path
from salesnb.report import runfolder
from salesnb.report.params import ParameterError
from salesnb.report.runner import OutputError, plan_runs, run_reports

pytestmark = pytest.mark.slow


@pytest.fixture
def nbs(tmp_path):
    d = tmp_path / "nbs"
    d.mkdir()
    return {
        "ok": report_notebook(d / "ok.ipynb", "n: int = 2", "print('answer', n * 21)"),
        "slow": report_notebook(d / "slow.ipynb", "seconds: float = 120.0",
                          "import time\ntime.sleep(seconds)"),
        "slow2": report_notebook(d / "slow2.ipynb", "seconds: float = 120.0",
                           "import time\ntime.sleep(seconds)"),
        "hang": report_notebook(d / "hang.ipynb", "n: int = 1", "x = n", "while True:\n    x += 1"),
        "suicide": report_notebook(d / "suicide.ipynb", "n: int = 1",
                             "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
        "export": report_notebook(d / "export.ipynb", "actions_file: str = 'actions.xlsx'",
                            "import pandas as pd\nfrom salesnb.paths import artifact_path\n"
                            "target = artifact_path(actions_file)\n"
                            "pd.DataFrame({'a': [1, 2]}).to_excel(target, index=False)\n"
                            "print('wrote', target)"),
    }


def _kernels(short_tmp: Path) -> list[int]:
    """Pids of live processes whose command line names ``short_tmp`` (the kernels)."""
    return [pid for pid, _ in live_processes(str(short_tmp))]


def _wait_until(cond, seconds: float) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    return cond()


def _no_leftovers(out: Path, short_tmp: Path | None = None, *, grace: float = 5.0) -> None:
    assert not list(out.glob(".tmp-*")), list(out.iterdir())
    if short_tmp is not None:
        assert _wait_until(lambda: not _kernels(short_tmp), grace), "a kernel survived"
        assert _wait_until(lambda: not list(short_tmp.iterdir()), grace), \
            list(short_tmp.iterdir())


def _latest(out: Path) -> str:
    return os.readlink(out / "latest")


def _start(args: list[str], short_tmp: Path, cwd: Path, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "salesnb.cli", "run", *args, "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                            env={**os.environ, "TMPDIR": str(short_tmp)}, **kw)


# --------------------------------------------------------------------------- interrupts
@pytest.mark.parametrize(("how", "jobs", "code"), [
    ("SIGINT", 1, 130), ("SIGINT", 2, 130), ("SIGTERM", 1, 143), ("SIGTERM", 2, 143),
    ("Ctrl-C", 1, 130), ("Ctrl-C", 2, 130),  # SIGINT to the process group, as a terminal
])
def test_interrupt_stops_every_kernel_and_keeps_latest(how, jobs, code, nbs, tmp_path,
                                                       short_tmp):
    out = tmp_path / "out"
    good = run_reports(plan_runs([str(nbs["ok"])]), out=out)
    names = [str(nbs["slow"]), str(nbs["slow2"])][:jobs]
    proc = _start([*names, "--jobs", str(jobs), "--out", str(out)], short_tmp, tmp_path,
                  start_new_session=True)
    assert _wait_until(lambda: len(_kernels(short_tmp)) >= jobs and any(
        out.glob(".tmp-*/slow.ipynb")), 120), "the kernels did not start"
    time.sleep(1)
    if how == "Ctrl-C":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(getattr(signal, how))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    lines = err.strip().splitlines()
    name = "SIGTERM" if how == "SIGTERM" else "SIGINT"
    assert len(lines) == 1 and f"interrupted by {name}" in lines[0], err
    assert "Traceback" not in err
    assert _latest(out) == good.run_dir.name
    kept = [p for p in out.iterdir() if p.name.endswith("-interrupted")]
    assert len(kept) == 1 and not (kept[0] / ".pid").exists()
    _no_leftovers(out, short_tmp)


@pytest.mark.parametrize("jobs", [1, 2])
def test_sigkill_of_the_runner_is_cleaned_up_by_the_next_run(jobs, nbs, tmp_path, short_tmp):
    out = tmp_path / "out"
    good = run_reports(plan_runs([str(nbs["ok"])]), out=out)
    names = [str(nbs["slow"]), str(nbs["slow2"])][:jobs]
    proc = _start([*names, "--jobs", str(jobs), "--out", str(out)], short_tmp, tmp_path)
    assert _wait_until(lambda: len(_kernels(short_tmp)) >= jobs and any(
        out.glob(".tmp-*/slow.ipynb")), 120)
    proc.kill()
    proc.communicate(timeout=30)
    # the kernels (and workers) notice their parent is gone and stop by themselves
    assert _wait_until(lambda: not _kernels(short_tmp), 20), "a kernel outlived its runner"
    stale = list(out.glob(".tmp-*"))
    assert len(stale) == 1 and (stale[0] / ".pid").exists()  # SIGKILL cannot clean up
    assert _latest(out) == good.run_dir.name
    again = run_reports(plan_runs([str(nbs["ok"])]), out=out)
    assert again.status == "ok" and _latest(out) == again.run_dir.name
    assert not stale[0].exists()  # the dead run's folder is gone
    _no_leftovers(out)


def test_a_live_runs_temporary_folder_is_kept(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    live = out / ".tmp-live"
    live.mkdir()
    (live / ".pid").write_text(runfolder.owner(), encoding="utf-8")  # this process: alive
    dead = out / ".tmp-dead"
    dead.mkdir()
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    (dead / ".pid").write_text(f"{child.pid} -\n", encoding="utf-8")
    orphan = out / ".tmp-old-version"  # no owner file: a dead run of an older salesnb
    orphan.mkdir()
    removed = runfolder.remove_stale(out)
    assert sorted(p.name for p in removed) == [".tmp-dead", ".tmp-old-version"]
    assert live.exists()
    reused = out / ".tmp-reused"  # a pid now used by another process
    reused.mkdir()
    (reused / ".pid").write_text(f"{os.getpid()} 1\n", encoding="utf-8")
    assert runfolder.remove_stale(out) == [reused]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_killed_kernel_fails_its_notebook_only(jobs, nbs, tmp_path, short_tmp, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(short_tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)
    out = tmp_path / "out"
    good = run_reports(plan_runs([str(nbs["ok"])]), out=out)
    result = run_reports(plan_runs([str(nbs["suicide"]), str(nbs["ok"])]), out=out, jobs=jobs,
                         timeout=60)
    assert result.status == "failed" and result.exit_code == 1
    died, ok = result.notebooks
    assert ok.status == "ok"
    assert died.status == "failed" and died.cell == 3
    assert "kernel died while running cell In [3] (starts: import os, signal)" in died.error
    assert "suicide failed at cell In [3]" in result.failure_message()
    assert _latest(out) == good.run_dir.name
    assert result.run_dir.name.endswith("-failed")
    _no_leftovers(out, short_tmp)


def test_kernel_folders_a_worker_could_not_remove_go_with_the_run(nbs, tmp_path, short_tmp,
                                                                   monkeypatch):
    # A worker killed while it stops its kernel never reaches the end of its ``with`` block:
    # its kernel folder stays. The runner owns the folder they live in and removes it.
    monkeypatch.setenv("TMPDIR", str(short_tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)
    seen = []

    def killed_midway(job, emit=None):
        folder = tempfile.mkdtemp(prefix="salesnb-kernel-", dir=job["kernels"])
        Path(folder, "kernel.json").write_text("{}", encoding="utf-8")
        seen.append(folder)
        return {"status": "failed", "error": "worker died", "cell": None, "seconds": 0.0}

    monkeypatch.setattr("salesnb.report.runner.execute", killed_midway)
    result = run_reports(plan_runs([str(nbs["ok"])]), out=tmp_path / "out")
    assert result.status == "failed" and len(seen) == 1
    assert Path(seen[0]).parent.parent == short_tmp  # it was inside the run's folder
    assert not list(short_tmp.iterdir())


def test_a_hanging_cell_is_stopped_by_the_timeout(nbs, tmp_path, short_tmp, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(short_tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)
    out = tmp_path / "out"
    start = time.perf_counter()
    result = run_reports(plan_runs([str(nbs["hang"]), str(nbs["ok"])]), out=out, timeout=3)
    assert time.perf_counter() - start < 60
    hang, ok = result.notebooks
    assert ok.status == "ok" and hang.status == "failed" and hang.cell == 4
    assert "cell In [4] (starts: while True:) ran longer than the 3 s timeout" in hang.error
    assert "hang failed at cell In [4]" in result.failure_message()
    assert result.exit_code == 1 and not (out / "latest").exists()
    _no_leftovers(out, short_tmp)


# --------------------------------------------------------------------------- files
def test_relative_out_is_taken_from_the_current_folder(nbs, tmp_path, monkeypatch, capsys):
    cwd = tmp_path / "here"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    assert main(["run", str(nbs["export"]), "--out", "rel", "-q"]) == 0, \
        capsys.readouterr().err
    run_dir = cwd / "rel" / _latest(cwd / "rel")
    index = (run_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="actions.xlsx"' in index
    assert (run_dir / "actions.xlsx").is_file()  # where the link points
    assert not list(nbs["export"].parent.glob("rel*"))  # nothing beside the notebooks
    assert capsys.readouterr().out.strip() == f"reports: {run_dir / 'index.html'}"


def test_kernel_output_never_reaches_the_terminal(tmp_path, short_tmp):
    """What the kernel process itself prints (warnings, its exit) is not the user's business."""
    nb = report_notebook(tmp_path / "noisy.ipynb", "n: int = 1",
                   "from ipykernel.kernelapp import IPKernelApp\n"
                   "IPKernelApp.instance().log.warning('KERNEL-NOISE')  # as 'Parent exited'")
    proc = _start([str(nb), "--out", str(tmp_path / "out")], short_tmp, tmp_path)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "KERNEL-NOISE" not in out + err


@pytest.mark.parametrize("name", ["/tmp/x.csv", "../../x.xlsx", "a/b.xlsx", "..", ".hidden.csv",
                                  "~/x.csv", "a\\b.csv", "x\n.csv"])
def test_export_names_with_a_folder_are_refused_before_any_kernel(name, nbs, tmp_path, capsys):
    with pytest.raises(ParameterError, match=r"parameter actions_file=.* is refused: .*plain "
                                             r"file name"):
        plan_runs([str(nbs["export"])], params={"actions_file": name})
    out = tmp_path / "out"
    assert main(["run", "03_customer_segmentation", "-p", "actions_file", name,
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "actions_file" in err and "Traceback" not in err
    assert not out.exists()


def test_payouts_file_is_checked_too(tmp_path):
    with pytest.raises(ParameterError, match="payouts_file"):
        plan_runs(["05_rep_assessment"], params={"payouts_file": "../p.xlsx"})
    assert plan_runs(["05_rep_assessment"], params={"payouts_file": "p.xlsx"})


def test_artifact_path_stays_in_the_run_folder(tmp_path, monkeypatch):
    run = tmp_path / "run"
    monkeypatch.setenv(ARTIFACTS_ENV, str(run))
    assert artifact_path("a.xlsx") == run.resolve() / "a.xlsx"
    for bad in ("/tmp/x.csv", "../x.csv", "a/b.csv", "..", ""):
        with pytest.raises(SalesnbError, match="refused"):
            artifact_path(bad)
    (run / "link.csv").symlink_to(tmp_path / "elsewhere.csv")
    with pytest.raises(SalesnbError, match="outside the run folder"):
        artifact_path("link.csv")
    monkeypatch.delenv(ARTIFACTS_ENV)
    assert artifact_path("a.xlsx") is None
    with pytest.raises(SalesnbError):
        artifact_path("../a.xlsx")


# --------------------------------------------------------------------------- --out faults
def test_out_that_is_a_file(nbs, tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x", encoding="utf-8")
    for out in (f, f / "sub"):
        assert main(["run", str(nbs["ok"]), "--out", str(out), "-q"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert str(f) in err and "file" in err
    assert f.read_text(encoding="utf-8") == "x"


@pytest.fixture
def tmpfs(tmp_path):
    """A mounted tmpfs of 1 MiB (root only); the test is skipped where mount is refused."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mount -t tmpfs refused here: {done.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_read_only_out(nbs, tmpfs, capsys):
    out = tmpfs / "out"
    good = run_reports(plan_runs([str(nbs["ok"])]), out=out)
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    for target in (out, tmpfs / "new"):
        assert main(["run", str(nbs["ok"]), "--out", str(target), "-q"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Read-only file system" in err, err
    assert _latest(out) == good.run_dir.name
    assert sorted(p.name for p in out.iterdir()) == sorted([".lock", "latest",
                                                           good.run_dir.name])


def test_full_disk(nbs, tmpfs, capsys):
    out = tmpfs / "out"
    out.mkdir()
    good = run_reports(plan_runs([str(nbs["ok"])]), out=out)
    st = os.statvfs(tmpfs)
    left = 40 * 1024  # the index and manifest fit, the executed notebook's HTML page does not
    (tmpfs / "filler").write_bytes(b"\0" * (st.f_bavail * st.f_frsize - left))
    assert main(["run", str(nbs["ok"]), "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "No space left on device" in err, err
    assert "Traceback" not in err
    assert _latest(out) == good.run_dir.name
    assert sorted(p.name for p in out.iterdir()) == sorted([".lock", "latest",
                                                           good.run_dir.name])


def test_full_disk_while_writing_the_index(nbs, tmp_path, monkeypatch):
    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("salesnb.report.pages.write_index", full)
    out = tmp_path / "out"
    with pytest.raises(OutputError, match="No space left on device.*previous good report"):
        run_reports(plan_runs([str(nbs["ok"])]), out=out)
    assert sorted(p.name for p in out.iterdir()) == [".lock"]


# --------------------------------------------------------------------------- concurrency
def test_run_ids_of_one_second_are_unique(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    ids = [runfolder.start_run(out)[0] for _ in range(3)]
    assert len(set(ids)) == 3
    assert all(runfolder.run_order(i) for i in ids)
    assert runfolder.run_order("2026-01-01T120000-10") > runfolder.run_order("2026-01-01T120000-9")


def test_two_runs_at_once_into_one_out(nbs, tmp_path, short_tmp):
    out = tmp_path / "out"
    before = child_pids(os.getpid())  # this worker's own servers (a Spark JVM) stay
    procs = [_start([str(nbs["ok"]), "--out", str(out)], short_tmp, tmp_path)
             for _ in range(2)]
    results = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert all("Traceback" not in err for _, err in results)
    runs = sorted(p.name for p in out.iterdir() if not p.name.startswith(".")
                  and p.name != "latest")
    assert len(runs) == 2
    assert _latest(out) == max(runs, key=runfolder.run_order)  # the newer of the two
    assert not [pid for pid in child_pids(os.getpid()) - before
                if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()]
    _no_leftovers(out, short_tmp)
