"""Shared fixtures (a tiny, valid, hand-made dataset covering all nine tables) and suite rules.

Two rules of the suite live here, at the end of this file:

- **Slow tests** (``-m "not slow"``, what ``make quick`` runs, leaves them out): besides the
  tests marked ``slow`` in their own files, :func:`slow_reason` marks the notebook, runner,
  app and packaging tests, the tests on the embedded sample dataset, and the property-based
  (hypothesis) tests. ``make test`` runs everything.
- **Shared data sets**: tests on the public data sets in ``../shared/data`` skip where the
  folder is absent; with ``SALESNB_REQUIRE_SHARED_DATA=1`` (set by ``.ci/run``) such a skip
  is a failure instead, as ``SALESNB_REQUIRE_BROWSER=1`` does for the browser test and
  ``SALESNB_REQUIRE_POSTGRES=1`` for the tests on a real PostgreSQL server.
"""

from __future__ import annotations

import datetime as dt
import inspect
import os
import re
from collections.abc import Callable
from fnmatch import fnmatch
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
AS_OF = dt.date(2026, 1, 1)


def tiny_tables() -> dict[str, pd.DataFrame]:
    """Return a small, fully consistent dataset (every rule passes) as text frames."""
    reps = pd.DataFrame({
        "rep_id": ["R1", "R2", "R3", "R4"],
        "name": ["Ann Director", "Bo Manager", "Cy Rep", "Di Rep"],
        "role": ["director", "manager", "rep", "rep"],
        "manager_id": ["", "R1", "R2", "R2"],
        "region": ["", "North", "North", "North"],
        "hire_date": ["2019-01-01", "2020-02-01", "2021-03-01", "2022-04-01"],
        "status": ["active", "active", "active", "on_leave"],
    })
    products = pd.DataFrame({
        "product_id": ["P1", "P2", "P3"],
        "name": ["Widget", "Gadget", "Gizmo"],
        "category": ["tools", "tools", "software"],
        "list_price": ["10.0", "25.5", "100"],
        "unit_cost": ["4", "12", "30"],
    })
    customers = pd.DataFrame({
        "customer_id": ["C1", "C2", "C3"],
        "name": ["Acme Ltd", "Beta GmbH", "Gamma SA"],
        "industry": ["retail", "manufacturing", "retail"],
        "region": ["North", "North", "North"],
        "signup_date": ["2023-01-05", "2023-06-01", "2024-02-10"],
        "credit_rating": ["A", "B", "C"],
        "owner_rep_id": ["R3", "R3", "R4"],
    })
    leads = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3"],
        "created_date": ["2024-01-01", "2024-02-01", "2025-05-01"],
        "source": ["referral", "online", "event"],
        "budget": ["5000", "1200", ""],
        "needs_score": ["4", "2", "3"],
        "assigned_rep_id": ["R3", "R4", ""],
        "status": ["converted", "lost", "open"],
        "outcome_date": ["2024-02-01", "2024-03-15", ""],
        "customer_id": ["C3", "", ""],
    })
    orders = pd.DataFrame({
        "order_id": ["O1", "O1", "O2", "O3"],
        "line_no": ["1", "2", "1", "1"],
        "order_date": ["2024-01-10", "2024-01-10", "2024-03-05", "2025-07-01"],
        "customer_id": ["C1", "C1", "C2", "C3"],
        "product_id": ["P1", "P2", "P3", "P1"],
        "rep_id": ["R3", "R3", "R3", "R4"],
        "region": ["North"] * 4,
        "quantity": ["3", "1", "2", "10"],
        "unit_price": ["10", "25.5", "100", "9.5"],
        "discount": ["0", "0.1", "0.25", "0"],
        "revenue": ["30", "22.95", "150", "95"],
    })
    opportunities = pd.DataFrame({
        "opportunity_id": ["OP1", "OP2"],
        "customer_id": ["C1", "C3"],
        "lead_id": ["", "L1"],
        "rep_id": ["R3", "R4"],
        "created_date": ["2024-01-02", "2024-01-20"],
        "stage": ["won", "quote"],
        "amount": ["3000", "800"],
        "closed_date": ["2024-02-20", ""],
    })
    targets = pd.DataFrame({
        "rep_id": ["R3", "R3", "R4"],
        "period": ["2024-01-01", "2024-02-01", "2024-01-01"],
        "revenue_target": ["1000", "1200", "900"],
    })
    surveys = pd.DataFrame({
        "survey_id": ["S1", "S2"],
        "customer_id": ["C1", "C2"],
        "rep_id": ["R3", "R3"],
        "survey_date": ["2024-02-01", "2024-04-01"],
        "score": ["5", "3"],
    })
    competitors = pd.DataFrame({
        "period": ["2024-01-01", "2024-01-01"],
        "region": ["North", "North"],
        "category": ["tools", "tools"],
        "competitor": ["Rival Inc", "Other Co"],
        "estimated_revenue": ["50000", "20000"],
    })
    return {"reps": reps, "products": products, "customers": customers, "leads": leads,
            "orders": orders, "opportunities": opportunities, "targets": targets,
            "surveys": surveys, "competitors": competitors}


def write_tables(tables: dict[str, pd.DataFrame], folder: Path, fmt: str = "csv",
                 encoding: str = "utf-8") -> Path:
    """Write text frames as <table>.<fmt> files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if fmt == "csv":
            frame.to_csv(folder / f"{name}.csv", index=False, encoding=encoding)
        elif fmt == "xlsx":
            frame.to_excel(folder / f"{name}.xlsx", index=False)
        else:
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


@pytest.fixture
def tiny() -> dict[str, pd.DataFrame]:
    """A fresh copy of the tiny dataset, to corrupt in a test."""
    return tiny_tables()


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write tables to a new folder under tmp_path and return it."""
    counter = iter(range(1000))

    def _write(tables: dict[str, pd.DataFrame], fmt: str = "csv",
               encoding: str = "utf-8") -> Path:
        return write_tables(tables, tmp_path / f"src{next(counter)}", fmt, encoding)

    return _write


@pytest.fixture(autouse=True)
def _close_figures():
    """Close matplotlib figures after each test."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def need_shared(*parts: str) -> Path:
    """The path of a file in ``../shared/data``, or skip the test (a failure in CI) if absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{SHARED_SKIP}: {path} is not beside this checkout")
    return path


#: The mapping that loads :func:`write_orders_only` (see the README's worked example).
ORDERS_ONLY_MAPPING = {
    "date_formats": ["%m/%d/%Y"],
    "tables": {
        "orders": {"file": "superstore.csv",
                   "columns": {"Order ID": "order_id", "Order Date": "order_date",
                               "Customer ID": "customer_id", "Product ID": "product_id",
                               "Sales": "revenue", "Quantity": "quantity",
                               "Discount": "discount", "Region": "region"}},
        "customers": {"from": "orders",
                      "columns": {"Customer Name": "name", "Segment": "segment",
                                  "City": "city", "Region": "region"}},
        "products": {"from": "orders",
                     "columns": {"Product Name": "name", "Category": "category",
                                 "Sub-Category": "sub_category"}},
    },
}


def write_orders_only(folder: Path, *, every: int = 13) -> Path:
    """A "Superstore"-like orders-only export of the embedded sample, in a foreign layout.

    One file ``superstore.csv`` of about 10,000 order lines (every ``every``-th line of the
    sample): US dates, the customer's and product's attributes on each line, net ``Sales``,
    ``Profit``, no ``unit_price``, no rep and no other table.
    """
    folder.mkdir(parents=True, exist_ok=True)
    data = Path(__file__).resolve().parents[1] / "data"
    orders = pd.read_csv(data / "orders.csv", dtype={"order_id": str}).iloc[::every]
    customers = pd.read_csv(data / "customers.csv")
    products = pd.read_csv(data / "products.csv")
    lines = (orders.merge(customers, on="customer_id", suffixes=("", "_c"))
             .merge(products, on="product_id", suffixes=("", "_p"))
             .sort_values(["order_date", "order_id", "line_no"], kind="stable"))
    day = pd.to_datetime(lines["order_date"])
    export = pd.DataFrame({
        "Row ID": np.arange(1, len(lines) + 1),
        "Order ID": "US-" + lines["order_id"],
        "Order Date": day.dt.strftime("%m/%d/%Y"),
        "Ship Date": (day + pd.Timedelta(days=4)).dt.strftime("%m/%d/%Y"),
        "Customer ID": lines["customer_id"],
        "Customer Name": lines["name"],
        "Segment": lines["industry"],
        "Country": "United States",
        "City": lines["city"],
        "Region": lines["region"],
        "Product ID": lines["product_id"],
        "Category": lines["category"],
        "Sub-Category": lines["tier"],
        "Product Name": lines["name_p"],
        "Sales": lines["revenue"],
        "Quantity": lines["quantity"].astype(int),
        "Discount": lines["discount"],
        "Profit": (lines["revenue"] - lines["quantity"] * lines["unit_cost"]).round(2),
    })
    path = folder / "superstore.csv"
    export.to_csv(path, index=False)
    return path


@pytest.fixture
def orders_only(tmp_path):
    """An orders-only export in a foreign layout (:func:`write_orders_only`) and its mapping."""
    src = tmp_path / "superstore"
    write_orders_only(src)
    return src, {k: v for k, v in ORDERS_ONLY_MAPPING.items()}


@pytest.fixture
def shared_retail_mapping(tmp_path):
    """The shared online-retail sample in a folder, with the YAML mapping that loads it."""
    path = need_shared("online_retail_sample", "online_retail.csv")
    src = tmp_path / "retail"
    src.mkdir()
    (src / "online_retail.csv").write_bytes(path.read_bytes())
    mapping = {
        "na_values": ["NA"],
        "date_formats": ["%m/%d/%y %H:%M", "%m/%d/%Y %H:%M"],
        "tables": {"orders": {
            "file": "online_retail.csv", "drop": ["X.1", "X"],
            "columns": {"InvoiceNo": "order_id", "StockCode": "product_id",
                        "Description": "description", "Quantity": "quantity",
                        "InvoiceDate": "order_date", "UnitPrice": "unit_price",
                        "CustomerID": "customer_id", "Country": "region"}}},
    }
    return src, mapping


def child_pids(pid: int, *, live_only: bool = True) -> set[int]:
    """Process ids whose parent is ``pid`` (Linux /proc); zombies left out when ``live_only``."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and not (live_only and fields[0] == "Z"):
            out.add(int(stat.parent.name))
    return out


# --------------------------------------------------------------------------- slow tests
#: Node-id patterns (fnmatch) of tests that are slow although their files do not mark them:
#: whole files that start kernels, servers or subprocesses, and single slow tests.
SLOW_TESTS = (
    "tests/test_notebooks.py::*",  # every report notebook executed by papermill
    "tests/test_runner.py::*",  # salesnb run end to end: kernels, timeouts, interruption
    "tests/test_app_browser.py::*",  # the app in Chromium (also marked in the file)
    "tests/test_panel_responsiveness.py::*",  # timings of the panels on the sample
    "tests/test_data.py::*",  # the embedded dataset itself: load, validate, regenerate
    "tests/test_fuzz_inputs.py::*",  # ~100 bad-input cases, each a full validate run
    "tests/test_postgres.py::*",  # a real PostgreSQL server, started for the session
    "tests/test_engines.py::*",  # DuckDB, a real PostgreSQL server and local Spark
    "tests/test_forecast.py::test_interval_coverage_on_simulated_series",  # 300 fits
    "tests/test_forecast.py::test_forecast_and_backtest_share_one_cached_backtest",
    # one full load per rule and per file format (test_validation's other tests load too)
    "tests/test_validation.py::test_each_rule_quarantines_the_bad_row*",
    "tests/test_validation.py::test_encodings*",
    "tests/test_validation.py::test_excel_and_parquet_folders*",
    "tests/test_validation.py::test_non_numbers_are_quarantined_in_every_format*",
    "tests/test_validation.py::test_pathological_lines_fail_or_pass_within_seconds*",  # timed
    "tests/test_assign.py::test_fairness_route_bound_is_valid_and_close*",
    # one load and cache round trip per kind of corrupt app cache
    "tests/test_app_security.py::test_a_corrupt_or_foreign_cache_is_ignored_and_written_over*",
    # the embedded sample through DuckDB SQL, at four frequencies
    "tests/test_forecast*.py::test_sales_series_pushed_down_to_duckdb_matches_pandas*",
    "tests/test_light_imports.py::test_the_package_still_reaches_the_heavy_parts_on_use",
    # the public data sets in ../shared/data (real exports, larger than the unit fixtures)
    "tests/test_forecast.py::test_shared_series_*",
    "tests/test_forecast_views.py::test_the_report_runs_on_an_external_series",
    "tests/test_leads.py::test_bank_marketing_runs_unchanged",
)
#: Tests on the embedded sample are slow: each module loads the 137k-line sample (and often
#: trains a model on it) in a module-scoped fixture. So is any test using such a fixture
#: defined in a test module (a module-scoped fixture exists because it is expensive).
_SLOW_SCOPES = ("module", "package", "session")


def slow_reason(item: pytest.Item) -> str | None:
    """Why a collected test counts as slow, or None (the rules of the module docstring)."""
    nodeid = item.nodeid.replace("\\", "/")
    if not nodeid.startswith("tests/"):
        nodeid = "tests/" + nodeid
    for pattern in SLOW_TESTS:
        if fnmatch(nodeid, pattern):
            return f"listed in conftest.SLOW_TESTS ({pattern})"
    if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
        return "property-based (hypothesis)"
    if "shared_retail_mapping" in getattr(item, "fixturenames", ()):
        return "on the shared online-retail export"
    info = getattr(item, "_fixtureinfo", None)
    for name, defs in (info.name2fixturedefs.items() if info else ()):
        for fdef in defs:
            if fdef.scope not in _SLOW_SCOPES:
                continue
            module = Path(inspect.getfile(fdef.func))
            if module.name.startswith("test_"):
                return f"uses the {fdef.scope}-scoped fixture {name!r} of {module.name}"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow tests ``slow`` (see :func:`slow_reason`)."""
    for item in items:
        if item.get_closest_marker("slow") is None and slow_reason(item):
            item.add_marker(pytest.mark.slow)


# --------------------------------------------------------------------------- shared data
#: Set to 1 (``.ci/run`` does) to turn a skip for want of ``../shared/data`` into a failure.
REQUIRE_SHARED_ENV = "SALESNB_REQUIRE_SHARED_DATA"
#: Start of the skip reason of :func:`need_shared`.
SHARED_SKIP = "shared data absent"
#: Skip reasons that mean "../shared/data is not there" (also the wordings of older tests:
#: "shared/data is not beside this checkout", "shared shampoo series absent", "public data
#: set not found: .../shared/data/...").
SHARED_REASON = re.compile(r"\bshared\b", re.IGNORECASE)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """With ``SALESNB_REQUIRE_SHARED_DATA=1``, a test skipped for want of shared data fails."""
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and os.environ.get(REQUIRE_SHARED_ENV) == "1"):
        return
    if hasattr(report, "wasxfail") or not isinstance(report.longrepr, tuple):
        return
    reason = str(report.longrepr[2]).removeprefix("Skipped: ")
    if SHARED_REASON.search(reason):
        report.outcome = "failed"
        report.longrepr = f"{REQUIRE_SHARED_ENV}=1 but the test was skipped: {reason}"


# --------------------------------------------------------------------------- Chromium
#: Debian's Chromium, which Playwright drives (no browser is ever downloaded).
CHROMIUM = Path("/usr/bin/chromium")
#: Set by .ci/run: a browser test fails instead of skipping when Chromium is missing.
BROWSER_REQUIRED = os.environ.get("SALESNB_REQUIRE_BROWSER") == "1"


def _browser_unavailable() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium; .ci/run does it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


def require_browser() -> None:
    """Skip a test that needs Chromium and Playwright without them (fail it in CI)."""
    reason = _browser_unavailable()
    if reason:
        if BROWSER_REQUIRED:
            pytest.fail(f"SALESNB_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for the module's tests (skipped, or failed in CI, without one)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium's sandbox refuses root
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield b
        b.close()


# --------------------------------------------------------------------------- PostgreSQL
#: Set by .ci/run: a PostgreSQL test fails instead of skipping when the server cannot start.
POSTGRES_REQUIRED = os.environ.get("SALESNB_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server on 127.0.0.1 for the session (see ``tests/pgserver.py``).

    Its folder is a fresh one in the system's temporary folder, not pytest's: the server
    runs as the ``postgres`` user when the tests run as root, and pytest's folders are
    private to the user running it.
    """
    import shutil
    import tempfile

    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="salesnb-pg-"))
    try:
        server = pgserver.start(folder)
    except RuntimeError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        if POSTGRES_REQUIRED:
            pytest.fail(f"SALESNB_REQUIRE_POSTGRES=1 but {exc}")
        pytest.skip(str(exc))
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------- Spark
#: Set by .ci/run: a Spark test fails instead of skipping when local Spark cannot start.
SPARK_REQUIRED = os.environ.get("SALESNB_REQUIRE_SPARK") == "1"


@pytest.fixture(scope="session")
def spark():
    """A local Spark session (two cores, bound to 127.0.0.1) for the session."""
    from salesnb.engine import EngineError, spark_session
    from salesnb.extras import MissingExtraError

    try:
        session = spark_session("local[2]")
    except (EngineError, MissingExtraError) as exc:
        if SPARK_REQUIRED:
            pytest.fail(f"SALESNB_REQUIRE_SPARK=1 but {exc}")
        pytest.skip(str(exc))
    yield session
    from pyspark import SparkContext

    session.stop()
    gateway = SparkContext._gateway  # the local JVM: stopped too, not left to the exit
    if gateway is not None:
        proc = getattr(gateway, "proc", None)
        gateway.shutdown()
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        SparkContext._gateway = SparkContext._jvm = None


# --------------------------------------------------------------------------- forecasts
def fc_frame(mean, width80=10.0, width95=20.0, index=None) -> pd.DataFrame:
    """A forecast frame (mean and 80/95 % bounds) around ``mean``, monthly from 2026-01."""
    mean = np.asarray(mean, dtype=float)
    index = index if index is not None else pd.date_range("2026-01-01", periods=len(mean),
                                                          freq="MS")
    return pd.DataFrame({"mean": mean, "lower_80": mean - width80, "upper_80": mean + width80,
                         "lower_95": mean - width95, "upper_95": mean + width95}, index=index)


# --------------------------------------------------------------------------- report runs
def report_notebook(path: Path, params: str, *body: str, title: str = "Test report") -> Path:
    """Write a small report notebook: a heading, a ``parameters`` cell, then ``body`` cells."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}"), cell,
                *(nbformat.v4.new_code_cell(b) for b in body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def short_tmp():
    """A short TMPDIR for child processes: kernel sockets and folders live under it."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="snb-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def live_processes(text: str) -> list[tuple[int, str]]:
    """(pid, command line) of live (not zombie) processes whose command line mentions ``text``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (cmdline.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if text in args and state != "Z":
            found.append((int(cmdline.parent.name), args))
    return found

