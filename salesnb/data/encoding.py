"""Which text encoding a CSV export uses, and how sure salesnb is.

A byte-order mark decides; a file that decodes as UTF-8 is UTF-8; otherwise the lines that
hold non-ASCII bytes are given to charset-normalizer (the detector ``requests`` uses), which
ranks candidate encodings by how messy the decoded text is (its *chaos*; confidence is
``1 - chaos``). Short samples tie between many encodings (two Chinese characters are also two
Korean ones), so the tied candidates are ranked again by how the decoded characters sit in
their words: an accented letter inside a Latin word (``Zürich``) is likely, a Chinese
character glued between Latin letters (``Z黵ich``) or a symbol inside a word (``Z³rich``) is
not. When the best candidate is below :data:`CONFIDENCE` or a different reading is as
likely, the guess is marked *unsure* and the message says how to set ``encoding:`` in a
mapping.

The functions here take bytes; the files are opened by :mod:`salesnb.data.sources`.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

__all__ = ["EncodingGuess", "guess_encoding", "codec_name", "CONFIDENCE", "CANDIDATES"]

#: Below this confidence (``1 - chaos`` of charset-normalizer) a guess is reported as unsure.
CONFIDENCE = 0.8
#: Encodings considered, most common in company exports first (ties are broken in this order).
CANDIDATES = (
    "cp1252", "gb18030", "big5", "cp932", "cp949", "cp1250", "cp1251", "cp1253", "cp1254",
    "cp1255", "cp1256", "cp1257", "cp1258", "cp874", "koi8_r", "mac_roman", "cp850",
    "cp437", "latin_1", "iso8859_15", "iso8859_2", "euc_jp",
)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
         (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
#: Encodings charset-normalizer may name that a superset in CANDIDATES reads the same way.
_SUPERSET = {"gb2312": "gb18030", "gbk": "gb18030", "hz": "gb18030", "shift_jis": "cp932",
             "shift_jis_2004": "cp932", "euc_kr": "cp949", "iso8859_1": "cp1252",
             "latin_1": "cp1252", "ascii": "cp1252"}


def codec_name(encoding: str) -> str:
    """The canonical Python name of ``encoding`` (``"UTF8"`` -> ``"utf-8"``).

    Parameters
    ----------
    encoding : str
        Any name Python knows for an encoding.

    Returns
    -------
    str

    Raises
    ------
    LookupError
        When Python knows no such encoding.
    """
    return codecs.lookup(encoding).name


@dataclass(frozen=True)
class EncodingGuess:
    """The encoding a file is read with, and why.

    Attributes
    ----------
    encoding : str
        Python codec name (``utf-8``, ``utf-8-sig``, ``cp1252``, ``gb18030``, ...).
    how : str
        ``"mapping"`` (set by the user), ``"bom"``, ``"utf-8"`` (decodes as UTF-8, ASCII
        included), ``"detected"``, or ``"mixed"`` (most lines are UTF-8, some are not: no
        single encoding reads the file).
    confidence : float
        1.0 unless detected; then charset-normalizer's ``1 - chaos``.
    unsure : bool
        Another reading was as likely, or the confidence is below :data:`CONFIDENCE`.
    alternatives : tuple of str
        Other encodings that were nearly as likely (for the message).
    example : str
        A line of the file as decoded, to show what was read.
    """

    encoding: str
    how: str
    confidence: float = 1.0
    unsure: bool = False
    alternatives: tuple[str, ...] = ()
    example: str = ""

    def describe(self) -> str:
        """Short text for the load summary, e.g. ``"cp1252 (detected, 97%)"``."""
        if self.how == "detected":
            pct = f"{self.confidence:.0%}"
            return f"{self.encoding} (guessed, unsure)" if self.unsure else \
                f"{self.encoding} (detected, {pct})"
        if self.how == "mapping":
            return f"{self.encoding} (mapping)"
        return self.encoding

    def note(self, table: str) -> str | None:
        """A sentence for the report when the guess is unsure, else None.

        Parameters
        ----------
        table : str
            The table read (named in the mapping setting suggested).
        """
        if not self.unsure:
            return None
        others = ", ".join(self.alternatives[:4]) or "another encoding"
        shown = f" (read as {self.example!r})" if self.example else ""
        other = self.alternatives[0] if self.alternatives else "cp1252"
        return (f"the encoding was guessed as {self.encoding} but the file could also be "
                f"{others}{shown}; if the text looks wrong, set it in a mapping: "
                f"'tables: {{{table}: {{encoding: {other}}}}}'")


def bom_encoding(head: bytes) -> str | None:
    """The encoding a byte-order mark at the start of ``head`` announces, or None.

    Parameters
    ----------
    head : bytes
        The first bytes of the file.
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return None


_WIDE = ((0x2E80, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF))


def _script(ch: str) -> str | None:
    """A coarse script of a letter: ascii, latin, wide (CJK, kana, hangul), halfwidth, other."""
    o = ord(ch)
    if o < 0x80:
        return "ascii" if ch.isalpha() else None
    if not unicodedata.category(ch).startswith("L"):
        return None
    if 0xC0 <= o <= 0x24F or 0x1E00 <= o <= 0x1EFF:
        return "latin"
    if 0xFF61 <= o <= 0xFF9F:
        return "halfwidth"
    if any(lo <= o <= hi for lo, hi in _WIDE):
        return "wide"
    return "other"


def plausibility(text: str) -> float:
    """How natural the non-ASCII characters of ``text`` look in their words, from -1 to 1.

    Parameters
    ----------
    text : str
        A decoded sample.

    Returns
    -------
    float
        The mean over non-ASCII characters of +1 (a letter that fits its word), 0 (a symbol
        between words, a lone accented letter) or -1 (a control character, a symbol inside a
        word, a Chinese or Cyrillic letter glued to Latin ones); 0.0 for pure ASCII.

    Examples
    --------
    >>> plausibility("Zürich") > plausibility("Z黵ich")
    True
    """
    total = n = 0.0
    for i, ch in enumerate(text):
        if ord(ch) < 0x80:
            continue
        n += 1
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cn", "Co", "Cs") or ch == "\ufffd":
            total -= 1
            continue
        prev = _script(text[i - 1]) if i else None
        nxt = _script(text[i + 1]) if i + 1 < len(text) else None
        script = _script(ch)
        if script is None:  # symbol, punctuation, number: fine between words, odd inside one
            total -= 1 if (prev and nxt) else 0
        elif script == "latin":
            total += 1 if (prev in ("ascii", "latin") or nxt in ("ascii", "latin")) else 0
        elif script == "halfwidth":
            total -= 0.5
        else:  # wide scripts and other alphabets stand apart from Latin letters
            total += -1 if "ascii" in (prev, nxt) or "latin" in (prev, nxt) else 1
    return total / n if n else 0.0


def _preferred(names: list[str]) -> str:
    """The first of ``names`` (codec names) in :data:`CANDIDATES` order, mapped to supersets."""
    mapped = [_SUPERSET.get(codec_name(n).replace("-", "_"), codec_name(n)) for n in names]
    order = {c: i for i, c in enumerate(CANDIDATES)}
    known = [m for m in mapped if m.replace("-", "_") in order]
    if known:
        return min(known, key=lambda m: order[m.replace("-", "_")])
    return mapped[0]


def guess_encoding(sample: bytes, example_line: bytes = b"") -> EncodingGuess:
    """Guess the encoding of text that is not UTF-8 from a sample of its non-ASCII lines.

    Parameters
    ----------
    sample : bytes
        Lines of the file that hold non-ASCII bytes (a few kilobytes are enough).
    example_line : bytes, optional
        One such line, decoded in the result's ``example``.

    Returns
    -------
    EncodingGuess
        ``how="detected"``; ``unsure`` when charset-normalizer's confidence is below
        :data:`CONFIDENCE` or a different reading of the sample is as plausible.
    """
    from charset_normalizer import from_bytes  # imported on first non-UTF-8 file

    matches = list(from_bytes(sample, cp_isolation=list(CANDIDATES), threshold=0.5))
    if not matches:  # nothing reads it cleanly: every byte is a character in cp1252/latin-1
        return EncodingGuess("latin-1", "detected", 0.0, True, ("cp1252", "gb18030"),
                             example_line.decode("latin-1", "replace")[:80])
    best_chaos = min(m.chaos for m in matches)
    tied = [m for m in matches if m.chaos <= best_chaos + 0.1]
    order = {c: i for i, c in enumerate(CANDIDATES)}
    scored = []
    for rank, m in enumerate(tied):
        name = _preferred([m.encoding, *m.could_be_from_charset])
        text = str(m)
        scored.append((-round(plausibility(text), 2), round(m.chaos, 2),
                       -round(m.coherence, 2), order.get(name.replace("-", "_"), len(order)),
                       rank, name, text))
    scored.sort(key=lambda s: s[:5])
    neg_score, chaos, neg_coherence, _, _, name, text = scored[0]
    rivals = [s for s in scored[1:] if s[6] != text]
    close = [s for s in rivals if s[0] <= neg_score + 0.05 and s[2] <= neg_coherence + 0.05]
    confidence = round(1.0 - chaos, 2)
    unsure = confidence < CONFIDENCE or bool(close) or neg_score >= 0
    alternatives = tuple(dict.fromkeys(s[5] for s in (close or rivals)[:4]))
    example = ""
    if example_line:
        example = example_line.decode(name, "replace").strip()[:80]
    return EncodingGuess(name, "detected", confidence, unsure, alternatives, example)
