"""Run progress: notebook sections, plain lines for a log, live bars for a terminal."""

from __future__ import annotations

import io

import nbformat

from salesnb.report.progress import BarProgress, LineProgress, Progress, Section, sections


def _cells(*sources: str):
    return [nbformat.v4.new_markdown_cell(s[3:]) if s.startswith("md:")
            else nbformat.v4.new_code_cell(s) for s in sources]


def test_sections_start_at_headings():
    cells = _cells("import x", "md:# Title", "a = 1", "md:Some words", "md:\n## Part two",
                   "b = 2", "md:### Detail")
    starts, total = sections(cells)
    assert total == 4
    assert starts == {0: Section(1, "section", ""), 1: Section(2, "section", "Title"),
                      4: Section(3, "section", "Part two"), 6: Section(4, "section", "Detail")}


def test_sections_without_headings_are_code_cells():
    starts, total = sections(_cells("a = 1", "md:just words", "b = 2"))
    assert total == 2
    assert starts == {0: Section(1, "cell", ""), 2: Section(2, "cell", "")}


def test_lines_are_few_and_name_report_and_time():
    lines: list[str] = []
    p = LineProgress(lines.append, every=10)
    p.run_started("RUN", ["a", "b"], 2)
    p.report_started(1, "a")
    p.report_started(2, "b")
    for n, seconds in enumerate([0.5, 3.0, 11.0, 12.0, 25.0], 1):
        p.section(1, n, 5, "section", f"S{n}", seconds)
    p.stage(1, "writing the HTML page")
    p.report_finished(1, "a", "ok", 27.25)
    p.report_finished(2, "b", "failed", 3.0, "ValueError: boom")
    p.section(1, 5, 5, "section", "late", 40.0)  # after its end: not shown
    p.run_finished("failed", 28.0)
    assert lines == [
        "run RUN: 2 report(s), 2 at a time",
        "[1/2] a: started",
        "[2/2] b: started",
        "[1/2] a: section 3/5 S3 (11.0 s)",
        "[1/2] a: section 5/5 S5 (25.0 s)",
        "[1/2] a: ok (27.2 s)",
        "[2/2] b: FAILED: ValueError: boom (3.0 s)",
        "run failed: 1 ok, 1 failed in 28.0 s",
    ]


def test_bars_leave_one_line_per_report():
    term = io.StringIO()
    p = BarProgress(term)
    p.run_started("RUN", ["a", "b"], 2)
    p.report_started(1, "a")
    p.report_started(2, "b")
    p.section(1, 2, 4, "section", "Revenue over time", 1.0)
    p.section(2, 1, 3, "cell", "", 0.2)
    p.stage(1, "writing the HTML page")
    p.report_finished(1, "a", "ok", 2.5)
    p.report_finished(2, "b", "ok", 3.0)
    p.close()
    out = term.getvalue()
    assert "[1/2] a: ok (2.5 s)" in out and "[2/2] b: ok (3.0 s)" in out
    assert "Revenue over time" in out and "2/2 reports" in out


def test_the_base_progress_is_silent():
    p = Progress()
    p.run_started("RUN", ["a"], 1)
    p.report_started(1, "a")
    p.report_finished(1, "a", "ok", 1.0)
    p.run_finished("ok", 1.0)
    p.close()
