"""The scope in the managers' app (issue 16): the page's control, the app's fixed scope.

- Unit pieces: which scope a page runs for (scheduled run, app, address, fixed scope), the
  control's HTML (every scope in words, texts escaped), ``salesnb app --scope`` checked before
  Voilà starts and given to every kernel.
- In a real app and Chromium (marked ``browser`` and ``slow``): a page opened with
  ``?scope=region:East`` shows the East region only and its control reloads it for another
  scope; a scope the data does not hold shows why and no data; an app started with
  ``--scope manager:R003`` shows R003's team whatever the address asks for.
"""

from __future__ import annotations

import asyncio
import os
import re
from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import ROOT

import salesnb as sn
from salesnb.app import pagescope as ps
from salesnb.app import server as app
from salesnb.cli import main
from salesnb.paths import DATA_CACHE_ENV, HEADLESS_ENV
from salesnb.scope import ScopeError, apply_scope

ARTIFACTS = ROOT / "outputs" / "test-artifacts" / "browser"
REP_ID = re.compile(r"\bR0\d\d\b")


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def sample():
    return sn.load("data")


@pytest.fixture(scope="module")
def reps() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "reps.csv", dtype=str)


@pytest.fixture
def in_app(monkeypatch):
    """This process as a page's kernel in the app: no fixed scope, no query string."""
    monkeypatch.setenv(ps.APP_ENV, "1")
    monkeypatch.delenv(ps.APP_SCOPE_ENV, raising=False)
    monkeypatch.delenv(ps.QUERY_ENV, raising=False)
    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    shown: list[str] = []
    monkeypatch.setattr(ps, "_show", shown.append)
    return shown


@pytest.fixture
def odd(tiny, write):
    """The tiny dataset with markup in a rep's name and a region's name."""
    tiny["reps"].loc[2, "name"] = '<script>alert("x")</script> Cy'
    for table in ("reps", "customers", "orders", "competitors"):
        frame = tiny[table]
        frame["region"] = frame["region"].replace("North", "North <b>&</b>")
    return sn.load(write(tiny))


# --------------------------------------------------------------------------- page_scope
def test_outside_the_app_the_parameter_decides(monkeypatch, in_app):
    monkeypatch.setenv(ps.QUERY_ENV, "scope=region:East")
    monkeypatch.setenv(ps.APP_SCOPE_ENV, "manager:R003")
    monkeypatch.setenv(HEADLESS_ENV, "1")  # a scheduled run
    assert ps.page_scope("rep:R013") == ("rep:R013", False)
    monkeypatch.delenv(HEADLESS_ENV)
    monkeypatch.delenv(ps.APP_ENV)  # a notebook opened in Jupyter
    assert ps.page_scope("company") == ("company", False)
    assert not ps.in_app()
    ps.show_scope_control(None, fixed=False)  # shows nothing, needs no data
    assert in_app == []


def test_the_page_address_chooses_the_scope_in_the_app(monkeypatch, in_app, sample):
    assert ps.page_scope("company", sample) == ("company", False)  # no query: the parameter
    monkeypatch.setenv(ps.QUERY_ENV, "scope=region%3Aeast&x=1")  # as a form sends it
    assert ps.page_scope("company", sample) == ("region:East", False)  # the data's spelling
    monkeypatch.setenv(ps.QUERY_ENV, "scope=Manager:r004")
    assert ps.page_scope("company", sample) == ("manager:R004", False)
    assert in_app == []


def test_a_fixed_scope_ignores_the_page_address(monkeypatch, in_app, sample):
    monkeypatch.setenv(ps.APP_SCOPE_ENV, "manager:R003")
    for query in ("", "scope=company", "scope=region:East", "scope=region:Nowhere",
                  "scope=a&scope=b", "scope=" + "x" * 500):
        monkeypatch.setenv(ps.QUERY_ENV, query)
        assert ps.page_scope("company", sample) == ("manager:R003", True), query
        ps.show_scope_control(apply_scope(sample, "manager:R003"), fixed=True)
        control = in_app.pop()
        assert "<select" not in control and "Team of manager James Lee (R003)" in control
        assert ("was ignored" in control) is bool(query)
        assert "East" not in control and "Nowhere" not in control  # the address is not echoed


@pytest.mark.parametrize(("query", "why"), [
    ("scope=region:Nowhere", "'Nowhere' is not a region in the data"),
    ("scope=manager:R013", "'R013' is not a manager"),  # a rep, not a manager
    ("scope=team:R003", "is not one of: company, region:<name>"),
    ("scope=region:East&scope=region:West", "more than one scope"),
    ("scope=" + "region:" + "x" * 300, "longer than 200 characters"),
])
def test_a_scope_the_data_does_not_hold_stops_the_page_with_a_reason(
        monkeypatch, in_app, sample, query, why):
    monkeypatch.setenv(ps.QUERY_ENV, query)
    with pytest.raises(ScopeError):
        ps.page_scope("company", sample)
    (shown,) = in_app
    assert 'class="salesnb-scope-refused"' in shown and "No data shown." in shown
    assert why.replace("'", "&#x27;").replace("<", "&lt;").replace(">", "&gt;") in shown
    assert "valid scopes:" not in shown  # the control lists them
    assert '<option value="" selected disabled>' in shown  # a choice, none made
    assert '<option value="region:East">' in shown and " selected>" not in shown


def test_a_fixed_scope_the_data_no_longer_holds_shows_nothing(monkeypatch, in_app, sample):
    monkeypatch.setenv(ps.APP_SCOPE_ENV, "manager:R999")  # the manager left
    with pytest.raises(ScopeError):
        ps.page_scope("company", sample)
    (shown,) = in_app
    assert "No data shown." in shown and "no longer holds it" in shown
    assert "<select" not in shown  # no choice in a fixed app


def test_report_data_in_an_app_kernel_follows_the_address_and_the_fixed_scope(
        monkeypatch, in_app):
    from salesnb.report.reporting import report_data

    monkeypatch.setenv(DATA_CACHE_ENV, "")
    monkeypatch.setenv(ps.QUERY_ENV, "scope=region%3AEast")
    east = report_data("data", tables=["reps", "orders"])
    assert east.scope.text == "region:East"
    monkeypatch.setenv(ps.APP_SCOPE_ENV, "manager:R003")
    team = report_data("data", tables=["reps", "orders"])
    assert team.scope.text == "manager:R003"
    assert set(team.orders["rep_id"]) <= set(team.scope.reps)
    monkeypatch.setenv(ps.QUERY_ENV, "scope=region%3ANowhere")  # ignored: fixed
    assert report_data("data", tables=["reps", "orders"]).scope.text == "manager:R003"
    monkeypatch.delenv(ps.APP_SCOPE_ENV)
    with pytest.raises(ScopeError):  # checked against the data the kernel loaded
        report_data("data", tables=["reps", "orders"])
    assert "No data shown." in in_app[-1]


# --------------------------------------------------------------------------- the control
def test_the_control_lists_every_scope_in_words_with_the_page_scope_chosen(sample, reps):
    east = apply_scope(sample, "region:East")
    groups = dict(ps.scope_options(east))
    assert list(groups) == ["Company", "Regions", "Managers' teams", "Reps"]
    assert groups["Company"] == [("company", "Whole company")]
    assert [v for v, _ in groups["Regions"]] == [
        f"region:{r}" for r in sorted(reps["region"].dropna().unique())]
    r003 = reps.set_index("rep_id").loc["R003"]
    assert ("manager:R003", f"Team of {r003['name']} (R003), {r003['region']}") in groups[
        "Managers' teams"]
    sellers = reps[reps["role"] == "rep"]
    assert [v for v, _ in groups["Reps"]] == [f"rep:{r}" for r in sorted(sellers["rep_id"])]
    assert "R001" not in str(groups)  # the director is the company's scope, not a team

    control = ps.control_html(east, fixed=False)
    assert re.search(r'<form class="salesnb-scope-form" method="get" action="">', control)
    assert '<select id="salesnb-scope-select" name="scope"' in control
    assert '<option value="region:East" selected>East region</option>' in control
    assert control.count(" selected>") == 1
    assert '<button type="submit"' in control  # works without the script too
    assert "East region — manager Wei Anderson (R004), 6 reps" in control  # the label


def test_the_control_escapes_every_text(odd):
    region = "North <b>&</b>"
    rep = apply_scope(odd, "rep:R3")
    control = ps.control_html(rep, fixed=False)
    assert "<script>alert" not in control and "<b>&</b>" not in control
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Cy (R3)" in control
    assert 'value="region:North &lt;b&gt;&amp;&lt;/b&gt;"' in control
    fixed = ps.control_html(rep, fixed=True)
    assert "&lt;script&gt;" in fixed and "<script>alert" not in fixed
    assert region not in ps.refusal_html(f"bad {region}", odd)
    # the only scripts are the control's own
    assert control.count("<script>") == 1 and fixed.count("<script>") == 1


def test_the_control_on_orders_without_reps(tiny, write):
    del tiny["reps"]
    for table in ("customers", "leads", "opportunities", "targets", "surveys"):
        del tiny[table]
    d = sn.load(write(tiny))
    groups = dict(ps.scope_options(d))
    assert "Managers' teams" not in groups  # no org tree, no teams
    assert groups["Reps"] == [("rep:R3", "R3"), ("rep:R4", "R4")]
    assert groups["Regions"] == [("region:North", "North region")]


def test_query_scope_reads_the_form():
    assert ps.query_scope("") is None and ps.query_scope("x=1") is None
    assert ps.query_scope("scope=") is None
    assert ps.query_scope("scope=rep%3AR013") == "rep:R013"
    assert ps.query_scope("scope=region:New+York") == "region:New York"
    assert ps.query_scope("scope=company&scope=company") == "company"


# --------------------------------------------------------------------------- the server
@pytest.fixture
def launched(monkeypatch):
    """``salesnb app`` up to Voilà's start: the environment kernels would inherit."""
    from salesnb.app import voila_app

    calls = []
    monkeypatch.setattr(voila_app.Voila, "launch_instance", classmethod(
        lambda cls, argv=None, **kw: calls.append({
            name: os.environ.get(name) for name in (ps.APP_ENV, ps.APP_SCOPE_ENV)})))
    monkeypatch.setenv(DATA_CACHE_ENV, "")
    monkeypatch.delenv(app.TOKEN_ENV, raising=False)
    return calls


def test_app_scope_is_checked_and_given_to_the_kernels(launched, capsys, monkeypatch):
    monkeypatch.setenv(ps.APP_SCOPE_ENV, "rep:R013")  # left in the shell: not used
    assert main(["app", "--port", str(app.free_port())]) == 0
    assert launched[-1] == {ps.APP_ENV: "1", ps.APP_SCOPE_ENV: None}
    assert main(["app", "--port", str(app.free_port()), "--scope", "region:east"]) == 0
    assert launched[-1] == {ps.APP_ENV: "1", ps.APP_SCOPE_ENV: "region:East"}
    assert "scope region:East only" in capsys.readouterr().err
    assert os.environ[ps.APP_SCOPE_ENV] == "rep:R013"  # as it was before
    assert ps.APP_ENV not in os.environ


def test_an_invalid_app_scope_exits_2_naming_the_valid_ones(launched, capsys, tiny, write):
    assert main(["app", "--port", str(app.free_port()), "--scope", "manager:R999"]) == 2
    err = capsys.readouterr().err
    assert "cannot serve scope 'manager:R999'" in err and "'R999' is not a manager" in err
    assert "manager:<rep_id> with one of R002, R003, R004, R005, R006" in err
    assert "region:<name> with Central, East, North, South, West" in err
    src = write(tiny)
    assert main(["app", "--port", str(app.free_port()), "--scope", "region:East",
                 "--source", str(src)]) == 2
    assert "region:<name> with North" in capsys.readouterr().err
    assert main(["app", "--port", str(app.free_port()), "--scope", "rep:r4",
                 "--source", str(src)]) == 0
    assert main(["app", "--port", str(app.free_port()), "--scope", "region:East",
                 "--source", str(src / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert launched == [{ps.APP_ENV: "1", ps.APP_SCOPE_ENV: "rep:R4"}]  # Voilà never started


def test_app_scope_in_words_for_the_landing_page(tmp_path, tiny, write):
    src = write(tiny)
    assert app.app_scope("manager:r2", src) == ("manager:R2", "the team of manager Bo Manager (R2)")
    assert app.app_scope("rep:R3", src) == ("rep:R3", "rep Cy Rep (R3)")
    assert app.app_scope("Region:north", src) == ("region:North", "the North region")
    assert app.app_scope("company", src) == ("company", "the whole company")
    import jinja2

    specs = app.analyses()
    folder = app.write_template(tmp_path, specs, scope_words="rep {{ x }} <b>")
    page = jinja2.Environment(loader=jinja2.FileSystemLoader(folder)).get_template(
        "tree.html").render(base_url="/")
    assert "This app shows one scope only: <strong>rep &#123;&#123; x &#125;&#125; &lt;b&gt;" \
        in page
    plain = app.write_template(tmp_path / "plain", specs)
    assert 'id="salesnb-app-scope"' not in (plain / "tree.html").read_text()
    assert "salesnb:scope" not in (plain / "tree.html").read_text()


def test_every_kernel_gets_the_apps_scope_whatever_its_environment_says():
    from salesnb.app.voila_app import OWNERS_SETTING, KernelOwners, _RecordingKernelManager

    started = []

    class Manager:
        def start_kernel(self, **kwargs):
            started.append(kwargs["env"])
            return "k1"

        def list_kernel_ids(self):
            return ["k1"]

    handler = SimpleNamespace(settings={OWNERS_SETTING: KernelOwners()}, current_user=None)
    env = {ps.APP_SCOPE_ENV: "company", ps.QUERY_ENV: "scope=company", "PATH": "/bin"}
    fixed = _RecordingKernelManager(Manager(), handler, "", "manager:R003")
    asyncio.run(fixed.start_kernel(env=env))
    assert started[-1][ps.APP_SCOPE_ENV] == "manager:R003" and started[-1][ps.APP_ENV] == "1"
    assert started[-1]["PATH"] == "/bin"
    free = _RecordingKernelManager(Manager(), handler, "", "")
    asyncio.run(free.start_kernel(env=env))
    assert ps.APP_SCOPE_ENV not in started[-1] and started[-1][ps.APP_ENV] == "1"


def test_a_stopped_page_says_so_in_words():
    argv = app.voila_argv("nb")
    assert f"--VoilaExecutor.cell_error_instruction={app.CELL_ERROR_TEXT}" in argv
    assert "show_tracebacks" not in app.CELL_ERROR_TEXT


# --------------------------------------------------------------------------- in Chromium
def _start(tmp_path_factory, name: str, **kwargs) -> app.AppProcess:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    cache = tmp_path_factory.getbasetemp() / "app-scope-cache"  # one for both apps
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(DATA_CACHE_ENV, str(cache))  # fresh: no entry of an older version
        server = app.AppProcess(log=ARTIFACTS / f"app-{name}-{os.getpid()}.log",
                                ready_timeout=120, **kwargs)
        server.start()
    return server


@pytest.fixture(scope="module")
def scoped_app(browser, tmp_path_factory):
    server = _start(tmp_path_factory, "scope")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def team_app(browser, tmp_path_factory):
    server = _start(tmp_path_factory, "team", scope="manager:R003")
    yield server
    server.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(180_000)
    yield pg
    context.close()


def _open(page, server, name: str, query: str = "") -> None:
    """Open an analysis page (with a query) and wait until its cells and control are there."""
    page.goto(server.url + app.page_path(name) + query, wait_until="commit")
    _rendered(page)


def _rendered(page) -> None:
    page.wait_for_selector("#rendered_cells", state="visible")
    page.wait_for_selector("#salesnb-bar .salesnb-scope")  # moved into the bar


def _ids(text: str) -> set[str]:
    return set(REP_ID.findall(text))


def _team(reps: pd.DataFrame, manager: str) -> set[str]:
    return {manager, *reps.loc[reps["manager_id"] == manager, "rep_id"]}


@pytest.mark.browser
@pytest.mark.slow
def test_a_region_page_shows_that_region_and_its_control_changes_the_whole_page(
        scoped_app, page, reps):
    name = "05_rep_assessment"
    _open(page, scoped_app, name, "?scope=region:East")
    page.wait_for_selector(".salesnb-panel-output table, .salesnb-panel-output img")
    label = page.locator("#salesnb-bar .salesnb-scope-label").inner_text()
    assert label.startswith("East region — manager Wei Anderson (R004)")
    assert page.locator("#salesnb-scope-select").input_value() == "region:East"
    body = page.locator("#rendered_cells").inner_text()
    east = set(reps.loc[reps["region"] == "East", "rep_id"])
    assert _ids(body) and _ids(body) <= east, _ids(body) - east  # every section and panel
    assert "There was an error" not in body
    page.screenshot(path=str(ARTIFACTS / "scope-region.png"), full_page=False)

    page.locator("#salesnb-scope-select").select_option("rep:R013")  # reloads the page
    page.wait_for_url(re.compile(r"\?scope=rep%3AR013$"))
    _rendered(page)
    page.wait_for_selector(".salesnb-panel-output table, .salesnb-panel-output img")
    label = page.locator("#salesnb-bar .salesnb-scope-label").inner_text()
    assert label.startswith("Rep Ashley Robinson (R013)")
    body = page.locator("#rendered_cells").inner_text()
    assert "R013" in body and not _ids(body) & east  # every section is the rep's now
    page.screenshot(path=str(ARTIFACTS / "scope-rep.png"), full_page=False)


@pytest.mark.browser
@pytest.mark.slow
def test_a_scope_the_data_does_not_hold_shows_why_and_no_data(scoped_app, page):
    _open(page, scoped_app, "00_data_quality", "?scope=region:Nowhere")
    refused = page.locator(".salesnb-scope-refused")
    assert "'Nowhere' is not a region in the data" in refused.inner_text()
    assert page.locator("#rendered_cells table").count() == 0  # no data shown
    error = page.locator('[data-mime-type="application/vnd.jupyter.stderr"]')
    assert error.count() == 0 or not error.first.is_visible()  # the message says it all
    assert page.locator("#salesnb-scope-select").input_value() == ""  # choose one
    page.screenshot(path=str(ARTIFACTS / "scope-refused.png"), full_page=False)


@pytest.mark.browser
@pytest.mark.slow
def test_a_managers_app_shows_only_the_team_whatever_the_address_asks(team_app, page, reps):
    team = _team(reps, "R003")
    page.goto(team_app.url)
    assert "the team of manager James Lee (R003)" in page.locator(
        "#salesnb-app-scope").inner_text()
    for name, query in (("05_rep_assessment", "?scope=company"),
                        ("00_data_quality", "?scope=region:East")):
        _open(page, team_app, name, query)
        if name.startswith("05"):
            page.wait_for_selector(".salesnb-panel-output table, .salesnb-panel-output img")
        bar = page.locator("#salesnb-bar .salesnb-scope")
        assert bar.locator("select").count() == 0  # no choice
        assert bar.locator(".salesnb-scope-label").inner_text().startswith(
            "Team of manager James Lee (R003)")
        assert "was ignored" in bar.inner_text()
        text = page.locator("body").inner_text()  # the whole page, the bar included
        assert _ids(text) and _ids(text) <= team, (name, _ids(text) - team)
        page.screenshot(path=str(ARTIFACTS / f"scope-team-{name}.png"), full_page=False)
