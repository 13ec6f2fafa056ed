"""Numbers and names as a report says them: one formatter per kind, one meaning per name.

Every function takes the value in its natural unit: :func:`pct` a *fraction* (0.152 is
15.2 %), :func:`money` an amount of the one currency. Numbers, money and days are written in
the report's language and currency (:func:`salesnb.core.i18n.set_language`, the ``lang`` and
``currency`` parameters): ``$1.2 M`` and ``31 Dec 2025`` in English, ``US$123.5万`` and
``2025年12月31日`` in Chinese (Babel's CLDR data). :func:`escape` turns text from the data
(a product, a region, a rep id, a parameter value) into literal Markdown/HTML text,
:func:`code` into a Markdown code span, and :func:`no_html` keeps raw HTML out of Markdown
that was composed elsewhere.
"""

from __future__ import annotations

import math
import re

__all__ = ["pct", "money", "number", "compact", "day", "month", "escape", "code", "no_html",
           "some", "plural"]

_DASH = "–"


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def pct(fraction: float | None, *, digits: int = 0, signed: bool = False) -> str:
    """A fraction as a percentage.

    Parameters
    ----------
    fraction : float or None
        The share or change as a fraction (0.152 means 15.2 %).
    digits : int, default 0
        Decimals shown.
    signed : bool, default False
        Show ``+`` before a positive value (for changes).

    Returns
    -------
    str
        ``"15 %"``, ``"+15.2 %"``; ``"–"`` when the value is missing.

    Examples
    --------
    >>> pct(0.152)
    '15 %'
    >>> pct(-0.0345, digits=1, signed=True)
    '-3.5 %'
    """
    if _missing(fraction):
        return _DASH
    from salesnb.core.i18n import language

    gap = "" if language() == "zh-CN" else " "  # 15 % in English, 15% in Chinese
    return f"{100 * fraction:{'+' if signed else ''}.{digits}f}{gap}%"


def money(amount: float | None) -> str:
    """An amount with its currency, in thousands or millions (万 and 亿 in Chinese).

    Parameters
    ----------
    amount : float or None
        The amount, in the report's currency (:func:`salesnb.core.i18n.currency`).

    Returns
    -------
    str
        The amount rounded for reading; ``"–"`` when missing.

    Examples
    --------
    >>> money(1_234_567)
    '$1.2 M'
    >>> money(-35_400)
    '-$35 k'
    """
    if _missing(amount):
        return _DASH
    from babel.numbers import format_compact_currency, get_currency_symbol

    from salesnb.core.i18n import babel_locale, currency, language

    if language() == "zh-CN":
        return format_compact_currency(amount, currency(), locale=babel_locale(),
                                       fraction_digits=1)
    sign, symbol = ("-" if amount < 0 else ""), get_currency_symbol(currency(), babel_locale())
    return f"{sign}{symbol}{compact(abs(amount))}"


def compact(value: float | None) -> str:
    """A number in thousands or millions, without a currency: ``"1.2 M"`` (``"123.5万"``).

    Parameters
    ----------
    value : float or None
        The number.

    Returns
    -------
    str
        ``"1.2 M"``, ``"35 k"``, ``"940"``; in Chinese ``"123.5万"``, ``"1.2亿"``; ``"–"``
        when missing.

    Examples
    --------
    >>> compact(1_234_567), compact(35_400), compact(940)
    ('1.2 M', '35 k', '940')
    """
    if _missing(value):
        return _DASH
    from salesnb.core.i18n import babel_locale, language

    if language() == "zh-CN":
        from babel.numbers import format_compact_decimal

        return format_compact_decimal(value, locale=babel_locale(), fraction_digits=1)
    a = abs(value)
    if a >= 1e6:
        return f"{value / 1e6:,.1f} M"
    if a >= 1e3:
        return f"{value / 1e3:,.0f} k"
    return f"{value:,.0f}"


def number(value: float | None, *, digits: int = 1) -> str:
    """A plain number with thousands separators: ``"12,345.6"``.

    Parameters
    ----------
    value : float or None
        The number.
    digits : int, default 1
        Decimals shown.

    Returns
    -------
    str
        The number; ``"–"`` when missing.
    """
    if _missing(value):
        return _DASH
    return f"{value:,.{digits}f}"


def _as_date(value: object) -> object:
    """A date from a date, a datetime, a Timestamp or ISO text; None when it is none."""
    import datetime as dt

    if value is None or value != value:  # noqa: PLR0124 (NaN and NaT are not equal to themselves)
        return None
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def day(value: object) -> str:
    """A day as a person says it: ``"31 Dec 2025"`` (``"2025年12月31日"``).

    Parameters
    ----------
    value : date, datetime, pandas.Timestamp or ISO text
        The day (a time of day is dropped).

    Returns
    -------
    str
        The day; ``"–"`` when missing or not a day.

    Examples
    --------
    >>> day("2025-12-31")
    '31 Dec 2025'
    """
    from salesnb.core.i18n import language

    d = _as_date(value)
    if d is None:
        return _DASH
    if language() == "zh-CN":
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.day} {d:%b %Y}"


def month(value: object) -> str:
    """A month as a person says it: ``"Dec 2025"`` (``"2025年12月"``).

    Parameters
    ----------
    value : date, datetime, pandas.Timestamp or ISO text
        Any day of the month.

    Returns
    -------
    str
        The month; ``"–"`` when missing or not a day.

    Examples
    --------
    >>> month("2025-12-31")
    'Dec 2025'
    """
    from salesnb.core.i18n import language

    d = _as_date(value)
    if d is None:
        return _DASH
    return f"{d.year}年{d.month}月" if language() == "zh-CN" else f"{d:%b %Y}"


#: Markdown punctuation that could start emphasis, code, a link, a table cell, strike-through
#: or TeX math (MathJax) when a value from the data contains it; ``_`` only where it could
#: (not inside a word, as in ``seasonal_naive``).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]|~$]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: A ``$`` not already escaped (MathJax would read a pair of them as TeX math).
_BARE_DOLLAR = re.compile(r"(?<!\\)\$")
#: A ``<`` that opens a tag, a comment, a processing instruction or an autolink.
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
#: ``](`` of a link whose target is not a relative, percent-encoded path or an http(s) URL.
_UNSAFE_LINK = re.compile(r"\]\((?![A-Za-z0-9._~%/#-]*\)|https?://[^\s()<>]*\))")
#: The start of a link reference definition (``[name]: target``) on a line of its own.
_LINK_DEFINITION = re.compile(r"^([ \t]{0,3})\[(?=[^\]\n]*\]:)", re.MULTILINE)


def escape(value: object) -> str:
    r"""A value from the data as literal text in Markdown or HTML: shown, never interpreted.

    Every value that comes from the data or from a parameter (product, customer, region
    and rep names, ids, file names, messages quoting them) goes through this before it is put
    into a Markdown sentence, so ``<script>``, ``<img onerror=...>`` or
    ``[link](javascript:...)`` in a name show as typed instead of running.

    Parameters
    ----------
    value : object
        The value (``str()`` of it is used).

    Returns
    -------
    str
        ``&`` as ``&amp;`` and a ``<`` that would open a tag as ``&lt;``; the Markdown
        characters ``\ ` * [ ] | ~ $`` (and ``_`` outside a word) escaped with a backslash;
        line breaks as spaces, so a value never starts a new paragraph, list or heading.
        Everything else (``k <= 4``, quotes, ``seasonal_naive``) is left as it reads. For
        text inside HTML attributes use :func:`html.escape` instead.

    Examples
    --------
    >>> escape("Laptop<script>alert(1)</script>")
    'Laptop&lt;script>alert(1)&lt;/script>'
    >>> escape("*Pro* [x](javascript:y) as_of='x'")
    "\\*Pro\\* \\[x\\](javascript:y) as_of='x'"
    """
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", _LINE_BREAK.sub(" ", str(value)))
    return _TAG_START.sub("&lt;", text.replace("&", "&amp;"))


def plural(count: int, noun: str) -> str:
    """``count`` and ``noun``, the noun in the plural unless the count is one.

    Parameters
    ----------
    count : int
        How many.
    noun : str
        The singular noun ("product", "category"); ``y`` after a consonant becomes ``ies``
        and ``s``/``x``/``ch``/``sh`` take ``es``.

    Examples
    --------
    >>> plural(1, "product"), plural(380, "product"), plural(2, "category")
    ('1 product', '380 products', '2 categories')
    """
    if count == 1:
        return f"1 {noun}"
    if re.search(r"[^aeiou]y$", noun):
        word = noun[:-1] + "ies"
    elif re.search(r"(s|x|ch|sh)$", noun):
        word = noun + "es"
    else:
        word = noun + "s"
    return f"{count:,} {word}"


def some(items: object, *, top: int = 3, noun: str = "item", lead: str = "the largest") -> str:
    """A list of many items in a sentence: the count first, then the first few, escaped.

    A finding never lists 380 product names: it says ``380 products (the largest: A, B and
    C)``, and the full list is in the table or export beside it.

    Parameters
    ----------
    items : iterable
        The items, in the order they should be named (largest first, say).
    top : int, default=3
        How many to name.
    noun : str, default="item"
        What an item is, in the singular.
    lead : str, default="the largest"
        Words before the named items when not all are named.

    Returns
    -------
    str
        The items themselves (``"A, B and C"``) for up to ``top`` items, else
        ``"380 products (the largest: A, B and C)"``; ``"no products"`` for none.

    Examples
    --------
    >>> some(["Laptop", "Dock"], noun="product")
    'Laptop and Dock'
    >>> some([f"P{i}" for i in range(380)], noun="product")
    '380 products (the largest: P0, P1 and P2)'
    >>> some([], noun="category")
    'no categories'
    """
    names = [escape(v) for v in items]  # type: ignore[attr-defined]
    if not names:
        return "no " + plural(2, noun).split(" ", 1)[1]

    def joined(parts: list[str]) -> str:
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    if len(names) <= top:
        return joined(names)
    return f"{plural(len(names), noun)} ({lead}: {joined(names[:top])})"


def code(text: object) -> str:
    """Text (a file name, a call to type) as a Markdown code span, shown exactly as typed.

    Parameters
    ----------
    text : object
        The text (``str()`` of it; line breaks become spaces).

    Returns
    -------
    str
        The span, fenced by more backticks than any run of backticks inside it, so a
        backtick in the text cannot end the span early (inside it nothing is markup).

    Examples
    --------
    >>> code('write_table(t, "a.xlsx")')
    '`write_table(t, "a.xlsx")`'
    >>> code("a`b")
    '``a`b``'
    """
    text = " ".join(str(text).split())
    fence = "`" * (1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def no_html(markdown: str) -> str:
    r"""Markdown composed elsewhere, without raw HTML and without links to scripts.

    The guard for sentences built outside the report layer: their Markdown (emphasis,
    lists, entities such as ``&nbsp;``, links to files beside the report or to web pages) is
    kept, while a ``<`` that would open an HTML tag, comment or autolink becomes ``&lt;``, and
    a link whose target is anything else (``javascript:``, ``data:`` ...) or a link reference
    definition stays plain text, so a name carried into the sentence cannot add markup or a
    script link. A bare ``$`` (an amount in dollars) becomes ``\$``, so two amounts on one
    line never read as TeX math where MathJax renders Markdown (JupyterLab, the app). Values
    should still be put in with :func:`escape`.

    Parameters
    ----------
    markdown : str
        Markdown text.

    Returns
    -------
    str
        The same text without raw HTML or unsafe links.

    Examples
    --------
    >>> no_html("**Top:** Laptop<img src=x onerror=alert(1)> &nbsp;a < b")
    '**Top:** Laptop&lt;img src=x onerror=alert(1)> &nbsp;a < b'
    >>> no_html("[list](actions.xlsx) [x](javascript:alert(1))")
    '[list](actions.xlsx) [x]\\(javascript:alert(1))'
    >>> no_html("from $1.2 M to $1.5 M")
    'from \\$1.2 M to \\$1.5 M'
    """
    text = _BARE_DOLLAR.sub(r"\\$", markdown)
    text = _TAG_START.sub("&lt;", text)
    text = _UNSAFE_LINK.sub(r"]\\(", text)
    return _LINK_DEFINITION.sub(r"\1\\[", text)
