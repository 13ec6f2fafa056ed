"""The language and money a report speaks: one setting, gettext catalogs, Babel's locale data.

A report is written in English in the code and the notebooks; its Chinese (``zh-CN``) is a
gettext catalog, ``salesnb/locale/zh_CN/LC_MESSAGES/salesnb.po``, edited as text and compiled
in memory when first used (no binary file is kept). Messages are marked in the code with
:func:`_` (extracted by Babel, ``python -m salesnb.report.messages``), and a notebook's
Markdown cells are messages too, their English text the message id (the runner translates
them as it writes the page). A test fails when a message has no translation.

Numbers, money and dates follow the same setting through Babel's CLDR data
(:mod:`salesnb.core.fmt`): ``$1.2M`` or ``US$120万``, ``31 Dec 2025`` or ``2025年12月31日``.

>>> from salesnb.core import i18n
>>> with i18n.speaking("zh-CN"):
...     i18n._("all reports")
'全部报告'
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from salesnb.errors import SalesnbError

__all__ = ["LANGUAGES", "DEFAULT_LANGUAGE", "DEFAULT_CURRENCY", "LocaleError", "check_locale",
           "set_language",
           "language", "currency", "babel_locale", "speaking", "_", "ngettext", "translations",
           "catalog_path", "CATALOG_DOMAIN"]

#: The languages a report can be written in (``lang``): English, and Chinese as the policy.
LANGUAGES = ("en", "zh-CN")
DEFAULT_LANGUAGE = "en"
#: The currency amounts are in when the report does not say (``currency``, ISO 4217).
DEFAULT_CURRENCY = "USD"
#: The gettext domain of salesnb's catalogs.
CATALOG_DOMAIN = "salesnb"
_LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
_STATE: dict[str, str] = {"lang": DEFAULT_LANGUAGE, "currency": DEFAULT_CURRENCY}


class LocaleError(SalesnbError):
    """A language or currency salesnb cannot write in."""


def check_locale(lang: str, money: str) -> tuple[str, str]:
    """A language and a currency as salesnb writes them, or a clear error.

    Parameters
    ----------
    lang : str
        ``en`` or ``zh-CN`` (``zh_CN`` and any case accepted).
    money : str
        An ISO 4217 code (any case); empty: :data:`DEFAULT_CURRENCY`.

    Returns
    -------
    tuple of (str, str)
        The language of :data:`LANGUAGES` and the upper-case code.

    Raises
    ------
    LocaleError
        An unknown language or currency.
    """
    lang = str(lang or DEFAULT_LANGUAGE).strip()
    match = {x.lower(): x for x in LANGUAGES}.get(lang.lower().replace("_", "-"))
    if match is None:
        raise LocaleError(f"lang={lang!r} is not a language salesnb writes; use one of "
                          f"{', '.join(LANGUAGES)}")
    money = str(money or DEFAULT_CURRENCY).strip().upper()
    from babel.numbers import get_currency_name

    if not re.fullmatch(r"[A-Z]{3}", money) or get_currency_name(money, locale="en") == money:
        raise LocaleError(f"currency={money!r} is not an ISO 4217 currency code; use e.g. "
                          "USD, CNY, EUR")
    return match, money


def set_language(lang: str = DEFAULT_LANGUAGE, currency_code: str = DEFAULT_CURRENCY) -> None:
    """Write every following message, number and date in ``lang``, amounts in a currency.

    Parameters
    ----------
    lang : {"en", "zh-CN"}, default "en"
        The language (``zh_CN`` and any case are accepted).
    currency_code : str, default "USD"
        ISO 4217 code of the amounts in the data (``CNY`` for renminbi).

    Raises
    ------
    LocaleError
        An unknown language or currency (the message lists what is accepted).
    """
    _STATE["lang"], _STATE["currency"] = check_locale(lang, currency_code)


def language() -> str:
    """The language being written (``"en"`` or ``"zh-CN"``)."""
    return _STATE["lang"]


def currency() -> str:
    """The currency amounts are in (ISO 4217)."""
    return _STATE["currency"]


def babel_locale() -> str:
    """The Babel (CLDR) locale of the language: ``en_US`` or ``zh_CN``."""
    return {"en": "en_US", "zh-CN": "zh_CN"}[_STATE["lang"]]


@contextlib.contextmanager
def speaking(lang: str, currency_code: str | None = None) -> Iterator[None]:
    """Write in ``lang`` (and ``currency_code``) inside the block, then as before.

    Parameters
    ----------
    lang : str
        As for :func:`set_language`.
    currency_code : str, optional
        As for :func:`set_language`; default the current one.

    Yields
    ------
    None
    """
    before = dict(_STATE)
    set_language(lang, currency_code or _STATE["currency"])
    try:
        yield
    finally:
        _STATE.update(before)


def catalog_path(lang: str) -> Path:
    """The ``.po`` file of a language (``zh-CN`` -> ``locale/zh_CN/LC_MESSAGES/salesnb.po``).

    Parameters
    ----------
    lang : str
        A language of :data:`LANGUAGES` other than English.

    Returns
    -------
    pathlib.Path
    """
    return _LOCALE_DIR / lang.replace("-", "_") / "LC_MESSAGES" / f"{CATALOG_DOMAIN}.po"


@functools.cache
def translations(lang: str) -> Any:
    """The gettext translations of a language, compiled from its ``.po`` file once.

    Parameters
    ----------
    lang : str
        A language of :data:`LANGUAGES`.

    Returns
    -------
    gettext.NullTranslations
        English: the messages as written; another language: its catalog (a message it
        lacks falls back to English).
    """
    import gettext

    if lang == "en":
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    catalog = read_po(io.BytesIO(catalog_path(lang).read_bytes()), locale=lang.replace("-", "_"),
                      domain=CATALOG_DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf, domain=CATALOG_DOMAIN)


def _(message: str) -> str:
    """``message`` in the language being written (gettext).

    Parameters
    ----------
    message : str
        The English text (the message id).

    Returns
    -------
    str
    """
    return translations(_STATE["lang"]).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message for ``n``, in the language being written.

    Parameters
    ----------
    singular, plural : str
        The English forms.
    n : int
        The count.

    Returns
    -------
    str
    """
    return translations(_STATE["lang"]).ngettext(singular, plural, n)
