"""Benchmark: the managers' app in a real browser (Debian's Chromium driven by Playwright).

Starts ``salesnb app`` on a free port and measures, in the browser:

* time to first rendered page: from navigating to an analysis until its cells are shown and
  its widget panel (if it has one) has drawn its first output (kernel start, notebook run,
  widget rendering);
  each page is opened ``--repeat`` times in a fresh browser tab, median reported;
* time from a control change to the updated output: the control is set as a person does
  (a typed slider value then Enter, or a drop-down choice) and the clock stops when the
  panel's output area has changed in the page; median and maximum of ``--changes`` changes,
  apart for new settings (computed) and settings seen before (the panel remembers its recent
  outputs).

Baseline in the same run: the same lead-panel changes made in this process without a browser
(the view's own compute time), so the difference is the cost of the widget round trip.
Targets (issue 9): first page under 15 s, update under 500 ms.

Usage::

    python benchmarks/bench_app.py --repeat 3 --changes 7
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import time

PAGES = ["00_data_quality", "01_lead_scoring", "02_sales_forecast",
         "03_customer_segmentation", "04_product_region", "05_rep_assessment"]
#: page -> (control, its starting value, values cycled through)
CHANGES = {
    "01_lead_scoring": ("capacity", "15", ["10", "12", "14", "16", "18", "20", "22"]),
    "05_rep_assessment": ("tier2_rate", "2", ["2.25", "2.5", "2.75", "3", "3.25", "3.5",
                                             "3.75"]),
    "02_sales_forecast": ("level", "80", ["95", "80"]),
}


def has_panel(name: str) -> bool:
    """Whether the notebook shows a widget panel (the data-quality report has none)."""
    from salesnb.paths import NOTEBOOKS_DIR

    return "_panel(" in (NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8")


def open_page(page, url: str, panel: bool) -> float:
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector("#rendered_cells", state="visible")
    if panel:
        page.wait_for_selector(".salesnb-panel-output table, .salesnb-panel-output img")
    return time.perf_counter() - start


def change(page, control: str, value: str) -> float:
    output = page.locator(".salesnb-panel-output").first
    before = output.inner_html()
    box = page.locator(f".salesnb-control-{control}")
    select = box.locator("select")
    if select.count():
        start = time.perf_counter()
        select.select_option(value)
    else:
        box.locator(".widget-readout").click()
        page.keyboard.press("Control+A")
        page.keyboard.type(value)
        start = time.perf_counter()
        page.keyboard.press("Enter")
    page.wait_for_function(
        "before => document.querySelector('.salesnb-panel-output').innerHTML !== before",
        arg=before, polling="raf")
    return time.perf_counter() - start


def baseline_lead_updates(values: list[str]) -> list[float]:
    """The lead panel's capacity changes in this process, without a browser (seconds)."""
    from salesnb.paths import HEADLESS_ENV

    os.environ.pop(HEADLESS_ENV, None)
    import salesnb as sn
    from salesnb import leads
    from salesnb.leads.views import assignment_panel, score_open

    d = sn.load("data")
    scored = score_open(leads.train(d.leads), d.leads)
    times = []
    with contextlib.redirect_stdout(io.StringIO()):
        panel = assignment_panel(scored, d.reps, d.customers)
        for v in values:
            start = time.perf_counter()
            panel.controls["capacity"].value = int(v)
            times.append(time.perf_counter() - start)
    return times


def main() -> None:
    """Run the benchmark and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="openings of each page")
    parser.add_argument("--changes", type=int, default=7, help="control changes per page")
    parser.add_argument("--pages", nargs="*", default=PAGES)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from salesnb.app.server import AppProcess, page_path

    start = time.perf_counter()
    with AppProcess(ready_timeout=120) as app, sync_playwright() as pw:
        ready = time.perf_counter() - start
        launch = ["--no-sandbox"] if os.geteuid() == 0 else []
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=launch)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(300_000)
        firsts: dict[str, list[float]] = {}
        updates: dict[str, dict[str, list[float]]] = {}
        for name in args.pages:
            for _ in range(args.repeat):
                page = context.new_page()
                firsts.setdefault(name, []).append(
                    open_page(page, app.url + page_path(name), has_panel(name)))
                if name in CHANGES and name not in updates:
                    control, start_value, values = CHANGES[name]
                    seen = {float(start_value)}
                    for i in range(args.changes):
                        value = values[i % len(values)]
                        kind = "seen before" if float(value) in seen else "new setting"
                        seen.add(float(value))
                        updates.setdefault(name, {}).setdefault(kind, []).append(
                            change(page, control, value))
                page.close()
        browser.close()
    values = CHANGES["01_lead_scoring"][2]
    base = baseline_lead_updates([values[i % len(values)] for i in range(args.changes)])

    print(f"app ready (landing page answers) after {ready:.1f} s\n")
    print("| page | first render s (median) | runs s |\n|---|---:|---|")
    for name, times in firsts.items():
        runs = ", ".join(f"{t:.1f}" for t in times)
        print(f"| {name} | {statistics.median(times):.1f} | {runs} |")
    print("\n| page | control | setting | update ms (median) | max ms | changes |\n"
          "|---|---|---|---:|---:|---:|")
    for name, kinds in updates.items():
        for kind, times in kinds.items():
            print(f"| {name} | {CHANGES[name][0]} | {kind} | "
                  f"{1000 * statistics.median(times):.0f} | {1000 * max(times):.0f} | "
                  f"{len(times)} |")
    print(f"| 01_lead_scoring, in-process baseline (no browser) | capacity | new setting | "
          f"{1000 * statistics.median(base):.0f} | {1000 * max(base):.0f} | {len(base)} |")


if __name__ == "__main__":
    main()
