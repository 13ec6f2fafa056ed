"""The managers' app without a browser: template, Voilà arguments, command line, start/stop."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import jinja2
import pytest
from conftest import ROOT, child_pids

from salesnb.app import server as app
from salesnb.cli import main
from salesnb.report.catalog import NOTEBOOKS


def test_analyses_follow_the_catalog_and_the_files(tmp_path):
    assert [s.name for s in app.analyses(ROOT / "notebooks")] == [
        n for n in sorted(NOTEBOOKS) if (ROOT / "notebooks" / f"{n}.ipynb").exists()]
    (tmp_path / "01_lead_scoring.ipynb").write_text("{}")
    (tmp_path / "not_in_catalog.ipynb").write_text("{}")
    assert [s.name for s in app.analyses(tmp_path)] == ["01_lead_scoring"]


def test_template_lists_every_analysis_with_title_and_description(tmp_path):
    specs = app.analyses()
    folder = app.write_template(tmp_path, specs)
    assert folder == tmp_path / "voila" / "templates" / "salesnb"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder))
    page = env.get_template("tree.html").render(base_url="/base/")
    for spec in specs:
        assert f'href="/base/voila/render/{spec.name}.ipynb"' in page
        assert spec.title in page
        assert spec.description.replace("'", "&#x27;")[:60] in page
    index = (folder / "index.html.j2").read_text(encoding="utf-8")
    assert "__SALESNB_TITLES__" not in index and '"01_lead_scoring": "Lead scoring' in index
    assert "cdn.jsdelivr" not in index  # works on an intranet without internet access
    env.parse(index)  # valid Jinja


def test_template_keeps_braces_in_descriptions_out_of_jinja(tmp_path):
    spec = NOTEBOOKS["00_data_quality"]
    odd = type(spec)(spec.name, "Odd {{ title }}", "Uses {% raw %} & <b>", spec.params)
    folder = app.write_template(tmp_path, [odd])
    page = jinja2.Environment(loader=jinja2.FileSystemLoader(folder)).get_template(
        "tree.html").render(base_url="/")
    assert "Odd &#123;&#123; title &#125;&#125;" in page and "&lt;b&gt;" in page


def test_voila_arguments_hide_code_and_bind_locally():
    argv = app.voila_argv("nb", port=9999)
    assert argv[0] == "nb" and "--port=9999" in argv and "--Voila.ip=127.0.0.1" in argv
    assert "--VoilaConfiguration.strip_sources=True" in argv
    assert "--VoilaConfiguration.show_tracebacks=False" in argv
    assert "--Voila.port_retries=0" in argv and "--template=salesnb" in argv
    assert "--Voila.open_browser=False" in argv
    assert "--KernelManager.transport=ipc" in argv  # no TCP port, no unencrypted-TCP warning
    assert not any(a.startswith("--NotebookNotary") for a in argv)
    assert "--NotebookNotary.data_dir=/n" in app.voila_argv("nb", notary_dir="/n")


def test_the_app_trusts_the_notebooks_it_ships_and_only_those(tmp_path):
    import nbformat
    from nbformat.sign import NotebookNotary

    specs = app.analyses()
    folder = app.trust_notebooks(tmp_path / "notary", ROOT / "notebooks", specs)
    notary = NotebookNotary(data_dir=str(folder))  # what Voila's contents manager checks
    try:
        for spec in specs:
            nb = nbformat.read(ROOT / "notebooks" / f"{spec.name}.ipynb", as_version=4)
            assert notary.check_signature(nb), spec.name
        other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
        assert not notary.check_signature(other)
    finally:
        notary.close()


def test_app_refuses_a_taken_port(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["app", "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


@pytest.mark.parametrize("port", ["0", "70000", "x"])
def test_app_port_must_be_a_port(port):
    with pytest.raises(SystemExit) as err:
        main(["app", "--port", port])
    assert err.value.code == 2


@pytest.mark.slow
def test_app_serves_a_page_without_code_and_stops_with_its_kernels(tmp_path):
    with app.AppProcess(log=tmp_path / "app.log") as server:
        landing = urllib.request.urlopen(server.url, timeout=30).read().decode()
        assert "Lead scoring and assignment" in landing
        with urllib.request.urlopen(server.url + app.page_path("00_data_quality"),
                                    timeout=120) as resp:
            page = resp.read().decode()
        assert "Data quality" in page and "report_data(" not in page
        assert "import salesnb" not in page
        assert "There was an error when executing cell" not in page
        kernels = child_pids(server.proc.pid, live_only=False)
        assert kernels, "the page should have started a kernel"
    log = (tmp_path / "app.log").read_text()
    assert server.returncode == 0, log[-2000:]
    assert not any(Path(f"/proc/{k}").exists() for k in kernels)  # Voila stopped them
    assert "not trusted" not in log and "without encryption" not in log, log[-2000:]


def test_report_data_cache_follows_the_files(tmp_path, monkeypatch):
    from salesnb.paths import DATA_CACHE_ENV
    from salesnb.report import reporting

    src = tmp_path / "src"
    src.mkdir()
    for f in (ROOT / "data").glob("*.csv"):
        (src / f.name).write_bytes(f.read_bytes())
    monkeypatch.setenv(DATA_CACHE_ENV, str(tmp_path / "cache"))
    loads = []
    real = reporting.load
    monkeypatch.setattr(reporting, "load", lambda *a, **k: loads.append(a) or real(*a, **k))
    first = reporting.report_data(str(src), as_of="2026-01-01", tables=["reps"])
    again = reporting.report_data(str(src), as_of="2026-01-01", tables=["reps"])
    assert len(loads) == 1 and again.reps.equals(first.reps)
    assert "email" not in again.reps.columns  # personal data left out before caching
    reporting.report_data(str(src), as_of="2026-01-02", tables=["reps"])  # another day
    assert len(loads) == 2
    reps = src / "reps.csv"
    reps.write_text(reps.read_text().replace("North", "Nord", 1))  # the export changed
    changed = reporting.report_data(str(src), as_of="2026-01-01", tables=["reps"])
    assert len(loads) == 3 and (changed.reps["region"] == "Nord").any()
