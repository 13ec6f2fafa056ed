"""Every message a reader sees, and which of them a language's catalog still lacks.

The messages are: the texts marked with :func:`salesnb.core.i18n._` (or ``ngettext``) in the
code, extracted by Babel; each report's title and description
(:data:`salesnb.report.catalog.NOTEBOOKS`); and the Markdown cells of every report notebook
(:data:`TRANSLATED_NOTEBOOKS`). ``python -m salesnb.report.messages`` adds the missing ones to
each catalog (empty, for a translator to fill) and lists them; ``tests/test_i18n.py`` fails
while any is untranslated.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from salesnb.core.i18n import LANGUAGES, catalog_path
from salesnb.report.catalog import NOTEBOOKS

__all__ = ["TRANSLATED_NOTEBOOKS", "code_messages", "report_messages", "messages", "missing",
           "update_catalog"]

_PACKAGE = Path(__file__).resolve().parent.parent
#: Report notebooks whose explanations (Markdown cells) are in the catalogs: every report
#: salesnb ships, so a new or changed explanation fails the test until it is translated.
TRANSLATED_NOTEBOOKS = tuple(NOTEBOOKS)


def code_messages() -> list[str | tuple[str, str]]:
    """The messages marked in salesnb's code: a text, or (singular, plural) for ``ngettext``.

    Returns
    -------
    list
        In the order found, each once.
    """
    from babel.messages.extract import extract_from_dir

    found = extract_from_dir(str(_PACKAGE), method_map=[("**.py", "python")],
                             keywords={"_": None, "ngettext": (1, 2)})
    out: dict[str | tuple[str, str], None] = {}
    for _file, _line, message, _comments, _context in found:
        out[message] = None
    return list(out)


def report_messages() -> list[str]:
    """The reports' titles and descriptions, and the translated notebooks' Markdown cells.

    Returns
    -------
    list of str
    """
    from salesnb.paths import NOTEBOOKS_DIR

    out = [text for spec in NOTEBOOKS.values() for text in (spec.title, spec.description)]
    for name in TRANSLATED_NOTEBOOKS:
        nb = json.loads((Path(NOTEBOOKS_DIR) / f"{name}.ipynb").read_text(encoding="utf-8"))
        out += ["".join(c["source"]).strip() for c in nb["cells"]
                if c["cell_type"] == "markdown" and "".join(c["source"]).strip()]
    return list(dict.fromkeys(out))


def messages() -> list[str | tuple[str, str]]:
    """Every message: :func:`code_messages` then :func:`report_messages`."""
    return list(dict.fromkeys([*code_messages(), *report_messages()]))


def _key(message: str | tuple[str, str]) -> str:
    """A message's id in a catalog: the text, or the singular of a (singular, plural)."""
    return message[0] if isinstance(message, tuple) else message


def _read(lang: str):  # noqa: ANN202 (babel's Catalog)
    from babel.messages.pofile import read_po

    with catalog_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang.replace("-", "_"))


def missing(lang: str) -> list[str | tuple[str, str]]:
    """The messages a language's catalog does not translate (absent, empty or fuzzy).

    Parameters
    ----------
    lang : str
        A language of :data:`salesnb.core.i18n.LANGUAGES` other than English.

    Returns
    -------
    list
        The untranslated messages.
    """
    catalog = _read(lang)
    out = []
    for msg in messages():
        entry = catalog.get(_key(msg))
        strings = (entry.string if isinstance(entry.string, tuple) else (entry.string,)) \
            if entry is not None else ()
        if entry is None or entry.fuzzy or not all(strings):
            out.append(msg)
    return out


def update_catalog(lang: str) -> list[str | tuple[str, str]]:
    """Add the messages a catalog lacks (untranslated) and write it back; return them.

    Parameters
    ----------
    lang : str
        A language of :data:`salesnb.core.i18n.LANGUAGES` other than English.

    Returns
    -------
    list
        The messages added.
    """
    from babel.messages.pofile import write_po

    catalog = _read(lang)
    added = [m for m in messages() if catalog.get(_key(m)) is None]
    for msg in added:
        catalog.add(msg, ("", "") if isinstance(msg, tuple) else "")
    with catalog_path(lang).open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False)
    return added


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    for language in LANGUAGES[1:]:
        new = update_catalog(language)
        todo = missing(language)
        sys.stderr.write(f"{language}: {len(new)} messages added, {len(todo)} to translate "
                         f"({catalog_path(language)})\n")
