"""A PDF beside each report's HTML page (``salesnb run --pdf``), for e-mail and print.

The pages are printed by a headless Chromium driven by Playwright, the browser the app's
tests already use: the same engine that shows the page prints it, with its fonts (Chinese
included where a CJK font is installed) and its inline figures. No browser is downloaded:
Debian's ``chromium`` (``/usr/bin/chromium``), or the one ``SALESNB_CHROMIUM`` names.

>>> from salesnb.report.pdf import print_pdfs                          # doctest: +SKIP
>>> print_pdfs([Path("outputs/latest/02_sales_forecast.html")])        # doctest: +SKIP
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from salesnb.errors import SalesnbError

__all__ = ["CHROMIUM_ENV", "PdfError", "chromium", "check_pdf", "print_pdfs"]

#: Environment variable naming the Chromium (or Chrome) executable that prints the PDFs.
CHROMIUM_ENV = "SALESNB_CHROMIUM"
#: Executables looked for on ``PATH`` when ``SALESNB_CHROMIUM`` is not set.
_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Page margins of a printed report (A4).
_MARGIN = {"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"}


class PdfError(SalesnbError):
    """The PDFs cannot be printed here (no browser, or the browser failed)."""


def chromium() -> Path:
    """The Chromium executable that prints the PDFs.

    Returns
    -------
    pathlib.Path
        ``SALESNB_CHROMIUM`` when set, else the first of ``chromium``, ``chromium-browser``,
        ``google-chrome`` on ``PATH``.

    Raises
    ------
    PdfError
        None is found (the message says how to install or name one).
    """
    named = os.environ.get(CHROMIUM_ENV, "").strip()
    if named:
        path = Path(named)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise PdfError(f"{CHROMIUM_ENV}={named} is not an executable file. Fix: point it at "
                       "Chromium or Chrome, or unset it to use the chromium on PATH")
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise PdfError("--pdf needs Chromium to print the pages, and none was found on PATH. "
                   "Fix: apt-get install chromium (Debian), or set "
                   f"{CHROMIUM_ENV}=/path/to/chromium")


def check_pdf() -> Path:
    """Check, before any report runs, that PDFs can be printed; return the browser.

    Returns
    -------
    pathlib.Path
        The Chromium executable.

    Raises
    ------
    PdfError
        No Chromium is found.
    salesnb.extras.MissingExtraError
        Playwright is not installed (the message names the ``pdf`` extra).
    """
    from salesnb.extras import require_extra

    require_extra("playwright.sync_api", "pdf")
    return chromium()


def print_pdfs(pages: Sequence[Path], *, browser: Path | None = None) -> list[Path]:
    """Print each HTML page to a PDF beside it (``report.html`` -> ``report.pdf``), A4.

    One browser prints every page; each page is loaded from its file (it loads nothing from
    the internet) and printed with its backgrounds, so it reads as on screen.

    Parameters
    ----------
    pages : sequence of pathlib.Path
        HTML files.
    browser : pathlib.Path, optional
        The Chromium executable; default :func:`check_pdf`'s.

    Returns
    -------
    list of pathlib.Path
        The PDFs written, in the order of ``pages``.

    Raises
    ------
    PdfError
        The browser cannot start or a page cannot be printed (the message names the page).
    """
    exe = browser or check_pdf()
    if not pages:
        return []
    from playwright.sync_api import Error, sync_playwright

    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    out = []
    try:
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=str(exe), args=args)
            try:
                page = b.new_page()
                for html in pages:
                    target = Path(html).with_suffix(".pdf")
                    page.goto(Path(html).resolve().as_uri(), wait_until="load")
                    page.pdf(path=str(target), format="A4", print_background=True,
                             margin=_MARGIN)
                    out.append(target)
            finally:
                b.close()
    except Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        where = pages[len(out)].name if len(out) < len(pages) else "the browser"
        raise PdfError(f"printing {where} to PDF with {exe} failed: {first}") from None
    return out
