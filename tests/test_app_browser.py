"""The managers' app in a real browser: Debian's Chromium driven by Playwright.

Starts ``salesnb app`` on a free port, opens the landing page and the lead-scoring and
rep-assessment pages, changes a control and checks the panel's table or chart changed; then
starts it with a login token (``SALESNB_APP_TOKEN``), logs in through the login page and
checks a page still works (its websocket passes the login and the kernel-ownership check).
Screenshots go to ``outputs/test-artifacts/browser/`` (kept after the run); the app's log goes
there too. No browser is downloaded: the test drives ``/usr/bin/chromium`` (``.ci/run``
installs it). Without Chromium or Playwright the test is skipped, unless
``SALESNB_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where it fails instead.
"""

from __future__ import annotations

import os
import re
import time

import pytest
from conftest import ROOT, child_pids

from salesnb.app.server import AppProcess, page_path
from salesnb.report.catalog import NOTEBOOKS

ARTIFACTS = ROOT / "outputs" / "test-artifacts" / "browser"

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: The login token of the app started with a login (as a team would set it).
LOGIN_TOKEN = "browser-test-" + "Jm4kQ8vX2nR7wZ5c"

#: page -> (control, new value, what to compare): a control every manager would move.
CHANGES = {
    "01_lead_scoring": ("min_tier", "A", "table"),
    "05_rep_assessment": ("tier2_rate", "3.5", "table"),
}




@pytest.fixture(scope="module")
def server(browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app = AppProcess(log=ARTIFACTS / f"app-{os.getpid()}.log", ready_timeout=120)
    app.start()
    yield app
    app.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(180_000)  # two workers and notebook tests share two cores in CI
    external = []
    pg.on("request", lambda r: external.append(r.url)
          if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    pg.external_requests = external
    yield pg
    context.close()


def open_analysis(page, server, name: str) -> None:
    """Open an analysis page and wait until its cells and its panel are rendered."""
    page.goto(server.url + page_path(name), wait_until="commit")
    page.wait_for_selector("#loading", state="attached")
    page.wait_for_selector("#rendered_cells", state="visible")
    page.wait_for_selector(".salesnb-panel-output table, .salesnb-panel-output img")


def change_control(page, name: str, value: str) -> None:
    """Set a control the way a person does: pick from a drop-down, or type a slider value."""
    box = page.locator(f".salesnb-control-{name}")
    select = box.locator("select")
    if select.count():
        select.select_option(value)
    else:
        readout = box.locator(".widget-readout")
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(value)
        page.keyboard.press("Enter")


def test_landing_page_lists_the_analyses(server, page):
    page.goto(server.url)
    items = page.locator("ul.salesnb-analyses li")
    names = [n for n in sorted(NOTEBOOKS) if (ROOT / "notebooks" / f"{n}.ipynb").exists()]
    assert items.count() == len(names)
    for name in names:
        assert page.locator(f"#analysis-{name} h2").inner_text() == NOTEBOOKS[name].title
    page.screenshot(path=str(ARTIFACTS / "landing.png"), full_page=True)
    page.locator("#analysis-01_lead_scoring a").click()
    page.wait_for_selector("#loading", state="attached")  # the loading panel shows first
    assert "Preparing" in page.locator("#loading h2").inner_text()
    assert page.external_requests == []  # nothing fetched from the internet


@pytest.mark.parametrize("name", list(CHANGES))
def test_control_change_updates_the_panel(server, page, name):
    if not (ROOT / "notebooks" / f"{name}.ipynb").exists() or name not in NOTEBOOKS:
        pytest.skip("notebook not yet in the catalog")
    control, value, _ = CHANGES[name]
    open_analysis(page, server, name)
    assert page.title() == NOTEBOOKS[name].title
    body = page.locator("#rendered_cells").inner_text()
    assert "import salesnb" not in body and "report_data(" not in body  # no code
    assert "There was an error when executing cell" not in body
    output = page.locator(".salesnb-panel-output").first
    before_tables = output.locator("table").all_inner_texts()
    before_images = output.locator("img").evaluate_all("els => els.map(e => e.src)")
    page.screenshot(path=str(ARTIFACTS / f"{name}-before.png"), full_page=True)

    before_html = output.inner_html()
    change_control(page, control, value)
    page.wait_for_function(
        "before => document.querySelector('.salesnb-panel-output').innerHTML !== before",
        arg=before_html)
    after_tables = output.locator("table").all_inner_texts()
    after_images = output.locator("img").evaluate_all("els => els.map(e => e.src)")
    assert after_tables != before_tables or after_images != before_images
    assert after_tables and after_tables != before_tables  # the table itself changed
    assert page.locator(f".salesnb-message-{control}").inner_text() == ""
    output.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"{name}-after.png"), full_page=True)
    assert page.external_requests == []


def test_invalid_input_is_shown_and_the_result_kept(server, page):
    name = "05_rep_assessment"
    if not (ROOT / "notebooks" / f"{name}.ipynb").exists() or name not in NOTEBOOKS:
        pytest.skip("notebook not yet in the catalog")
    open_analysis(page, server, name)
    output = page.locator(".salesnb-panel-output").first
    before = output.inner_html()
    change_control(page, "w_attainment", "0.9")  # the weights no longer add up to 1
    error = page.locator(".salesnb-panel-error")
    error.locator(".salesnb-message").wait_for()
    assert re.search(r"weight", error.inner_text(), re.IGNORECASE)
    assert output.inner_html() == before  # the last good result stays
    page.screenshot(path=str(ARTIFACTS / f"{name}-invalid.png"), full_page=True)

    # opened directly (no landing page first): closing the tab still stops its kernel
    kernels = child_pids(server.proc.pid)
    page.close(run_before_unload=True)  # as closing a tab does
    deadline = time.monotonic() + 30
    while child_pids(server.proc.pid) >= kernels and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(child_pids(server.proc.pid)) < len(kernels)


def test_the_app_log_is_quiet(server):
    """After the pages above: no "not trusted" notebook, no kernel over unencrypted TCP."""
    log = server.log.read_text(encoding="utf-8", errors="replace")
    assert "Kernel started" in log  # the pages above ran kernels
    assert "not trusted" not in log and "without encryption" not in log, log[-2000:]


@pytest.fixture(scope="module")
def login_server(browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app = AppProcess(log=ARTIFACTS / f"app-login-{os.getpid()}.log", ready_timeout=120,
                     token=LOGIN_TOKEN)
    app.start()
    yield app
    app.stop()


def test_login_page_then_a_working_analysis(login_server, page):
    name, (control, value, _) = next(iter(CHANGES.items()))
    page.goto(login_server.url + page_path(name))
    page.wait_for_selector("#password_input")  # sent to the login page first
    assert "/login?next=" in page.url
    page.screenshot(path=str(ARTIFACTS / "login.png"), full_page=True)
    page.fill("#password_input", LOGIN_TOKEN[::-1])
    page.click("#login_submit")
    page.wait_for_selector(".salesnb-login-error")
    page.fill("#password_input", LOGIN_TOKEN)
    page.click("#login_submit")
    page.wait_for_selector("#loading", state="attached")  # back to the page asked for
    page.wait_for_selector("#rendered_cells", state="visible")
    page.wait_for_selector(".salesnb-panel-output table, .salesnb-panel-output img")
    output = page.locator(".salesnb-panel-output").first
    before = output.inner_html()
    change_control(page, control, value)  # goes through the kernel's websocket
    page.wait_for_function(
        "before => document.querySelector('.salesnb-panel-output').innerHTML !== before",
        arg=before)
    assert LOGIN_TOKEN not in page.content()
    assert page.external_requests == []
    log = login_server.log.read_text(encoding="utf-8", errors="replace")
    assert "logged in" in log and LOGIN_TOKEN not in log
