"""Every report for every role, end to end through ``salesnb run``.

* Every report for one region of the sample: no rep or customer id from outside the region
  anywhere in its pages or exports, and the region's totals (said under each title) equal the
  company's orders filtered to the region.
* ``--all --each manager`` on a small sample: a folder per manager's team (and the
  company's), each complete with its own index and manifest, each holding only that team's
  reps; the top index lists them.
* Every report for one rep of the sample runs (none "not applicable") and names no other rep.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from salesnb.cli import main
from salesnb.core.fmt import money, pct
from salesnb.data.sample import write_sample
from salesnb.report.catalog import NOTEBOOKS
from salesnb.scope import team_of

DATA = Path(__file__).resolve().parents[1] / "data"
REP_ID = re.compile(r"\bR\d{3}\b")
CUSTOMER_ID = re.compile(r"\bC\d{5}\b")


def _run(out: Path, *args: str) -> Path:
    assert main(["run", "--all", "--out", str(out), "--jobs", "2", "-q", *args]) == 0
    return (out / "latest").resolve()


def _texts(folder: Path) -> dict[str, str]:
    """Every page and export of a report set, as text."""
    out = {p.name: html.unescape(p.read_text(encoding="utf-8")) for p in folder.glob("*.html")}
    for table in folder.glob("*.csv"):
        out[table.name] = table.read_text(encoding="utf-8")
    for book in folder.glob("*.xlsx"):
        sheets = pd.read_excel(book, sheet_name=None, dtype=str)
        out[book.name] = "\n".join(f.to_csv(index=False) for f in sheets.values())
    return out


def _ids(texts: dict[str, str], pattern: re.Pattern[str]) -> dict[str, set[str]]:
    return {name: set(pattern.findall(text)) for name, text in texts.items()}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(DATA / f"{name}.csv", dtype=str)
            for name in ("reps", "customers", "orders")}


@pytest.fixture(scope="module")
def east(tmp_path_factory) -> Path:
    return _run(tmp_path_factory.mktemp("east"), "-p", "scope", "region:East")


def test_a_region_s_pages_hold_only_the_region(east, tables):
    reps, customers = tables["reps"], tables["customers"]
    people = set(reps.loc[reps["region"] == "East", "rep_id"])
    own = set(customers.loc[customers["region"] == "East", "customer_id"])
    texts = _texts(east)
    assert {f"{n}.html" for n in NOTEBOOKS} <= set(texts)
    for name, found in _ids(texts, REP_ID).items():
        assert found <= people, (name, sorted(found - people))
    for name, found in _ids(texts, CUSTOMER_ID).items():
        assert found <= own, (name, sorted(found - own)[:5])
    assert any(_ids(texts, CUSTOMER_ID).values())  # the pages do list customers
    manifest = json.loads((east / "manifest.json").read_text())
    assert {n["status"] for n in manifest["notebooks"]} == {"ok"}


def test_a_region_s_totals_are_the_company_s_filtered(east, tables):
    orders = tables["orders"]
    mine = orders[orders["region"] == "East"]
    revenue = pd.to_numeric(mine["revenue"]).sum()
    company = pd.to_numeric(orders["revenue"]).sum()
    said = (f"It holds {len(mine):,} order lines with revenue {money(revenue)}, "
            f"{pct(revenue / company, digits=1)} of the company's {money(company)}.")
    for name in NOTEBOOKS:
        page = html.unescape(re.sub(r"<[^>]+>", "", (east / f"{name}.html").read_text(
            encoding="utf-8")))
        assert "This report is for East region — manager " in page, name
        assert said in page, name


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("small-sample")
    write_sample(folder, scale=0.1)
    return folder


@pytest.fixture(scope="module")
def each_manager(small, tmp_path_factory) -> Path:
    return _run(tmp_path_factory.mktemp("each"), "--source", str(small), "--each", "manager")


def test_each_manager_gets_a_complete_folder_with_only_their_team(small, each_manager):
    reps = pd.read_csv(small / "reps.csv", dtype=str)
    managers = sorted(reps.loc[reps["role"] == "manager", "rep_id"])
    folders = sorted(p.name for p in each_manager.iterdir() if p.is_dir())
    assert folders == sorted(["company", *(f"manager-{m}" for m in managers)])
    top = json.loads((each_manager / "manifest.json").read_text())
    assert [s["folder"] for s in top["sets"]] == ["company", *(f"manager-{m}" for m in
                                                                managers)]
    index = (each_manager / "index.html").read_text(encoding="utf-8")
    for s in top["sets"]:
        assert f'href="{s["folder"]}/index.html"' in index
        assert s["status"] == "ok" and s["ok"] == s["reports"] == len(NOTEBOOKS)
    for manager in managers:
        folder = each_manager / f"manager-{manager}"
        part = json.loads((folder / "manifest.json").read_text())
        assert part["scope"] == f"manager:{manager}"
        assert [n["name"] for n in part["notebooks"]] == list(NOTEBOOKS)
        assert all((folder / n["html"]).is_file() for n in part["notebooks"])
        assert (folder / "index.html").is_file()
        team = set(team_of(reps, manager))
        for name, found in _ids(_texts(folder), REP_ID).items():
            assert found <= team, (manager, name, sorted(found - team))


@pytest.fixture(scope="module")
def one_rep(tmp_path_factory) -> Path:
    return _run(tmp_path_factory.mktemp("rep"), "-p", "scope", "rep:R013")


def test_every_report_runs_for_one_rep_and_names_no_other(one_rep, tables):
    reps = tables["reps"].set_index("rep_id")
    manager = reps.loc["R013", "manager_id"]
    manifest = json.loads((one_rep / "manifest.json").read_text())
    assert {n["name"]: n["status"] for n in manifest["notebooks"]} == {
        n: "ok" for n in NOTEBOOKS}
    others = set(reps.index) - {"R013", manager}
    names = reps.loc[sorted(others), "name"]
    for name, text in _texts(one_rep).items():
        found = set(REP_ID.findall(text))
        assert found <= {"R013", manager}, (name, sorted(found - {"R013", manager}))
        leaked = [n for n in names if n in text and n != reps.loc[manager, "name"]]
        assert leaked == [], (name, leaked[:3])
    first = html.unescape((one_rep / "05_rep_assessment.html").read_text(encoding="utf-8"))
    assert f"Rep {reps.loc['R013', 'name']} (R013)" in first
