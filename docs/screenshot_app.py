"""Take the README's screenshot of the managers' app: the lead-assignment panel.

Usage: ``.venv/bin/python docs/screenshot_app.py`` (needs /usr/bin/chromium).
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import sync_playwright

from salesnb.app.server import AppProcess, page_path

OUT = Path(__file__).with_name("app-lead-scoring.png")

with AppProcess(ready_timeout=120) as app, sync_playwright() as pw:
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=args)
    page = browser.new_page(viewport={"width": 1200, "height": 860})
    page.set_default_timeout(180_000)
    page.goto(app.url + page_path("01_lead_scoring"), wait_until="commit")
    page.wait_for_selector(".salesnb-panel-output img")
    page.locator(".salesnb-control-min_tier select").select_option("B")
    page.wait_for_timeout(1500)
    page.locator(".salesnb-panel").scroll_into_view_if_needed()
    page.evaluate("document.querySelector('.salesnb-panel').scrollIntoView({block: 'start'})")
    page.evaluate("window.scrollBy(0, -60)")
    page.screenshot(path=str(OUT))
    browser.close()
print(f"wrote {OUT}")
