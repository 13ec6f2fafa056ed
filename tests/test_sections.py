"""Report sections on the tables a company has: needs, notes, skipped cells, "not applicable".

The gate is tested in a real IPython shell (the one a kernel runs) and through the runner on
small notebooks: a report all of whose sections lack data is "not applicable" (exit 0 in an
``--all`` run, exit 1 when asked for by name), and its page says what it needs.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import report_notebook

from salesnb.cli import main
from salesnb.core.fmt import day, plural, some
from salesnb.errors import SalesnbError
from salesnb.report import sections
from salesnb.report.sections import (
    Section,
    missing_needs,
    note_text,
    notebook_sections,
    report_needs,
    section,
)

ORDERS = pd.DataFrame({"order_id": ["1", "2"], "rep_id": [None, None], "region": ["N", "S"]})


@pytest.mark.parametrize(("needs", "missing"), [
    (["orders"], []),
    (["orders.region"], []),
    (["orders.rep_id"], ["orders.rep_id"]),          # present but empty
    (["orders.rep_id|reps"], ["orders.rep_id|reps"]),
    (["orders.region|reps"], []),                     # one alternative is enough
    (["surveys", "orders"], ["surveys"]),
    (["orders.nope"], ["orders.nope"]),
    (["products.category"], ["products.category"]),
])
def test_missing_needs(needs, missing):
    assert missing_needs({"orders": ORDERS}, needs) == missing


def test_an_empty_table_does_not_meet_a_need():
    assert missing_needs({"orders": ORDERS.iloc[:0]}, ["orders"]) == ["orders"]


@pytest.mark.parametrize("need", ["order", "orders.", "surveys.score|nothing"])
def test_a_typo_in_a_need_is_an_error_naming_the_tables(need):
    with pytest.raises(SalesnbError, match="salesnb table|column after the dot"):
        missing_needs({"orders": ORDERS}, [need])


def test_note_says_what_is_missing_and_how_to_add_it():
    text = note_text(Section("Reps", ("orders.rep_id|reps", "surveys")), "rep results",
                     {"orders": ORDERS})
    assert "**Reps** is not shown (it would show rep results)" in text
    assert "no values in `orders.rep_id` and no `reps` table (rep_id, name" in text
    assert "no `surveys` table (customer_id" in text
    assert "map yours to it" in text
    lines = note_text(Section("Mix", ("products.category",)), "", {"orders": ORDERS})
    assert "no `products` table (for `products.category`)" in lines
    assert "from: orders" in lines  # products can be built from the order lines
    assert "no `customers` table (for `customers.a` or `customers.b`)" in note_text(
        Section("Owners", ("customers.a|customers.b",)), "", {})
    assert "is not shown: the data has 3 months." in note_text(
        Section("Season", (), "the data has 3 months"), "", {})


def test_a_name_from_a_notebook_is_escaped_in_the_note():
    text = note_text(Section("<b>x</b>", ("surveys",)), "*a*", {})
    assert "<b>" not in text and "\\*a\\*" in text


@pytest.fixture
def shell():
    """A real IPython shell (as in a kernel), removed afterwards so other tests see none."""
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    sections.install()
    yield ip
    sections.install()  # leave the gate open
    InteractiveShell.clear_instance()


def test_cells_after_a_section_that_cannot_run_are_skipped(shell):
    shell.user_ns["d"] = {"orders": ORDERS}
    shell.run_cell("from salesnb.report.sections import section\nran = []")
    assert not shell.run_cell("s = section(d, 'Reps', needs=['reps'])").result
    result = shell.run_cell("ran.append('reps'); 1 / 0")   # never runs: no error
    assert result.success and shell.user_ns["ran"] == []
    shell.run_cell("section(d, 'Orders', needs=['orders'])")
    shell.run_cell("ran.append('orders')")
    assert shell.user_ns["ran"] == ["orders"]
    assert not shell.user_ns["s"].runs and shell.user_ns["s"].missing == ("reps",)


def test_install_twice_registers_one_gate(shell):
    sections.install()
    sections.install()
    gates = [t for t in shell.input_transformers_post if getattr(t, "__name__", "") == "_gate"]
    assert len(gates) == 1


def test_section_outside_ipython_just_answers():
    assert section({"orders": ORDERS}, "Trend", needs=["orders"]).runs
    assert not section({"orders": ORDERS}, "Reps", needs=["reps"])
    sections.install()


def test_records_of_an_executed_notebook():
    import nbformat

    nb = nbformat.v4.new_notebook()
    skipped = nbformat.v4.new_code_cell("section(d, 'A', needs=['leads'])")
    skipped.outputs = [nbformat.v4.new_output(
        "display_data", data={"text/markdown": "> A"},
        metadata={sections.RECORD: {"title": "A", "missing": ["leads"], "reason": ""}})]
    ran = nbformat.v4.new_code_cell("x = sections.section(d, 'B', needs=['orders'])")
    nb.cells = [nbformat.v4.new_code_cell("d = 1"), skipped, ran]
    records = notebook_sections(nb)
    assert [r["title"] for r in records] == ["A", ""]
    assert report_needs(records) is None  # B ran
    assert report_needs(records[:1]) == "needs leads"
    # what unlocks a section soonest: the needs of the section lacking the least
    assert report_needs([{"missing": ["reps", "orders.rep_id|opportunities"]},
                         {"missing": ["reps", "targets", "orders.rep_id"]}]) == \
        "needs reps; orders.rep_id or opportunities"
    assert report_needs([{"missing": [], "reason": "the data has 3 months"}]) == \
        "the data has 3 months"
    assert report_needs([]) is None  # a report without sections is always applicable


def test_some_and_plural():
    assert some([f"P{i}" for i in range(380)], noun="product") == \
        "380 products (the largest: P0, P1 and P2)"
    assert some(["A"], noun="product") == "A"
    assert some(["A", "B", "C"], top=3) == "A, B and C"
    assert some(["*x*"]) == "\\*x\\*"
    assert some([], noun="category") == "no categories"
    assert plural(1, "box") == "1 box" and plural(2, "box") == "2 boxes"


# --- through the runner ---------------------------------------------------------------------

_PARAMS = 'source: str = "data"\nmapping: str = ""\nas_of: str = ""'
_SETUP = ("from salesnb.report.reporting import report_data, setup\n"
          "from salesnb.report.sections import section\nsetup()\n"
          "d = report_data(source, mapping, as_of)")


def _nbs(tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    never = report_notebook(folder / "needs_leads.ipynb", _PARAMS, _SETUP,
                            "section(d, 'Scores', needs=['leads'], shows='lead scores')",
                            "d.leads.head()",
                            "section(d, 'Funnel', needs=['opportunities'])",
                            "d.opportunities.head()")
    partly = report_notebook(folder / "partly.ipynb", _PARAMS, _SETUP,
                             "section(d, 'Orders', needs=['orders'])",
                             "print('orders', len(d.orders))",
                             "section(d, 'Satisfaction', needs=['surveys'])",
                             "d.surveys.head()")
    return never, partly


@pytest.mark.slow
def test_a_report_without_any_section_it_can_run_is_not_applicable(tmp_path, orders_only,
                                                                   capsys):
    src, mapping = orders_only
    mapping_file = tmp_path / "m.yaml"
    mapping_file.write_text(json.dumps(mapping), encoding="utf-8")  # JSON is YAML
    never, partly = _nbs(tmp_path)
    out = tmp_path / "out"
    args = ["run", str(never), str(partly), "--source", str(src), "-p", "mapping",
            str(mapping_file), "--out", str(out)]
    # asked for by name: what was asked could not be made (exit 1, with what it needs)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "needs_leads was asked for but is not applicable: needs leads" in err
    failed = next(out.glob("*-failed"))
    manifest = json.loads((failed / "manifest.json").read_text())
    by_name = {n["name"]: n for n in manifest["notebooks"]}
    assert by_name["needs_leads"]["status"] == "not_applicable"
    assert by_name["partly"]["status"] == "ok"
    assert by_name["partly"]["skipped"] == ["Satisfaction"]
    page = (failed / "partly.html").read_text()
    assert "Satisfaction" in page and "is not shown" in page and "orders " in page
    assert "Traceback" not in page and "AttributeError" not in page
    index = (failed / "index.html").read_text()
    assert "not applicable" in index and "needs leads" in index
    # the data ended before today: the report is as of the data's last day, and says so
    assert manifest["as_of"] == by_name["partly"]["as_of"] == by_name["partly"]["data_through"]
    assert "data through " + day(manifest["as_of"]) in page and "days old" in page


@pytest.mark.slow
def test_not_applicable_in_a_run_of_all_reports_does_not_fail(tmp_path, orders_only):
    from salesnb.report import runner

    src, mapping = orders_only
    mapping_file = tmp_path / "m.yaml"
    mapping_file.write_text(json.dumps(mapping), encoding="utf-8")
    never, partly = _nbs(tmp_path)
    runs = runner.plan_runs([str(never), str(partly)], source=str(src),
                            params={"mapping": str(mapping_file)})
    for r in runs:
        r.named = False  # as --all plans them
    result = runner.run_reports(runs, out=tmp_path / "out")
    assert result.status == "ok" and result.exit_code == 0
    assert [r.status for r in result.notebooks] == ["not_applicable", "ok"]
    assert result.notebooks[0].error == "not applicable: needs leads"
    index = (result.run_dir / "index.html").read_text()
    assert "1 not applicable" in index and "Satisfaction" in index
    assert f"as of {day(result.notebooks[1].as_of)}" in index


def test_a_blocked_reason_given_as_a_callable_is_asked_only_when_the_needs_are_met():
    calls = []

    def gap():
        calls.append(1)
        return "the current period has no order lines"

    assert not section({"orders": ORDERS}, "Reps", needs=["reps"], blocked=gap)
    assert calls == []  # would have used what exists only with reps
    s = section({"orders": ORDERS}, "Trend", needs=["orders"], blocked=gap)
    assert calls == [1] and s.reason == "the current period has no order lines"
    assert section({"orders": ORDERS}, "Trend", needs=["orders"], blocked=lambda: None).runs
    sections.install()
