"""The suite's own rules (tests/conftest.py): slow marking, and shared data required in CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import pytest
from conftest import REQUIRE_SHARED_ENV, ROOT, slow_reason

_SKIPPING = textwrap.dedent('''
    import pytest
    from conftest import need_shared


    def test_old_wording():
        pytest.skip("shared/data is not beside this checkout")


    def test_helper():
        need_shared("no_such_data_set", "x.csv")


    def test_other_skip():
        pytest.skip("notebook not yet in the catalog")


    @pytest.fixture(scope="module")
    def heavy():
        return 1


    def test_uses_heavy(heavy):
        pass


    def test_light():
        pass
''')


@pytest.fixture
def suite(tmp_path):
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_rules.py").write_text(_SKIPPING, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    slow: slow\n")
    return tmp_path


def _pytest(folder, *args, require=None):
    env = {k: v for k, v in os.environ.items() if k != REQUIRE_SHARED_ENV}
    if require:
        env[REQUIRE_SHARED_ENV] = require
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:xdist", "-p",
                           "no:cacheprovider", "-rA", "-q", "--rootdir", str(folder),
                           "test_rules.py", *args],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    return proc.stdout + proc.stderr


@pytest.mark.slow
def test_shared_data_skips_locally_and_fails_when_required(suite):
    local = _pytest(suite, "-m", "not slow")
    assert "3 skipped" in local and "failed" not in local
    required = _pytest(suite, "-m", "not slow", require="1")
    assert "1 skipped" in required  # an unrelated skip stays a skip
    assert f"{REQUIRE_SHARED_ENV}=1 but the test was skipped" in required
    assert "FAILED test_rules.py::test_old_wording" in required
    assert ("FAILED test_rules.py::test_helper" in required
            or "ERROR test_rules.py::test_helper" in required)
    assert "shared data absent" in required


@pytest.mark.slow
def test_slow_tests_are_marked(suite):
    out = _pytest(suite, "-m", "slow", "--collect-only")
    assert "test_uses_heavy" in out and "test_light" not in out
    assert "1/5 tests collected" in out


@pytest.mark.parametrize("nodeid, slow", [
    ("tests/test_notebooks.py::test_all_reports_succeed", True),
    ("tests/test_runner.py::test_successful_run_writes_everything", True),
    ("tests/test_app_browser.py::test_x", True),
    ("tests/test_forecast.py::test_interval_coverage_on_simulated_series", True),
    ("tests/test_forecast.py::test_ets_fits", False),
    ("tests/test_app.py::test_app_port_must_be_a_port[0]", False),
])
def test_slow_list(nodeid, slow):
    item = SimpleNamespace(nodeid=nodeid, obj=None, _fixtureinfo=None)
    assert (slow_reason(item) is not None) is slow
