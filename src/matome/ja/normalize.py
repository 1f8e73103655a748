"""Text normalization for Japanese news articles and reader comments.

``normalize`` is NFKC with a few deliberate exceptions, so that it never merges or drops a
character that carries meaning:

* NFKC folds full-width ASCII (``ＡＩ`` → ``AI``, ``２０２４`` → ``2024``), half-width
  katakana (``ﾃﾞｼﾞﾀﾙ`` → ``デジタル``) and half-width Japanese punctuation (``｡｢｣､･`` →
  ``。「」、・``). That is kept.
* Kept as they are (NFKC would change them): the full-width sentence marks ``！？``
  (Japanese sentence punctuation; NFKC makes them ``!?``), the wave dashes ``～``/``〜``,
  the ellipses ``…`` and ``‥`` (NFKC writes ``...`` / ``..``, which changes the length and
  looks like decimal points), circled and parenthesised numbers such as ``①`` / ``⑴``
  (NFKC makes ``①②`` into ``12``, merging two list markers into a number) and the
  ``㈱``-style enclosed ideographs. ``▲▼`` and ``、。「」『』・`` are not touched by NFKC.
* Whitespace: U+00A0, U+3000 and other space characters become an ASCII space, runs of
  spaces and tabs collapse to one space, spaces at line starts and ends are removed, and
  line breaks (``\\r\\n``, ``\\r``, U+2028/U+2029) become ``\\n``; runs of blank lines collapse
  to one blank line. Line breaks are kept because they end sentences in comments.

The result is meant for matching, counting and tokenizing. Quotes shown to people are taken
from the original text (``matome.ja.sentences`` works on the original and keeps offsets).
"""

from __future__ import annotations

import re
import unicodedata

#: Characters left exactly as written (NFKC would change them).
PROTECTED = (
    "！？～〜…‥"
    + "".join(chr(c) for c in range(0x2460, 0x24FF + 1))  # ①…⑳, ⑴…, ⒈…, ⓐ…
    + "".join(chr(c) for c in range(0x2776, 0x2793 + 1))  # ❶…, ➀…
    + "".join(chr(c) for c in range(0x3200, 0x32FF + 1))  # ㈠ ㈱ ㊤ ㉑ …
)

_PROTECTED_RE = re.compile("([" + re.escape(PROTECTED) + "]+)")
_NEWLINE_RE = re.compile(r"\r\n|[\r\u2028\u2029\x0b\x0c\x85]")
_SPACES_RE = re.compile(r"[^\S\n]+")  # any whitespace except the line feed
_EDGE_RE = re.compile(r" *\n *")
_BLANKS_RE = re.compile(r"\n{3,}")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff]")


def _nfkc(text: str) -> str:
    if text.isascii():
        return text
    parts = _PROTECTED_RE.split(text)
    # odd indices are protected runs
    return "".join(p if i % 2 else unicodedata.normalize("NFKC", p) for i, p in enumerate(parts))


def normalize(text: str) -> str:
    """Return ``text`` in the normal form described in the module documentation."""
    if not text:
        return ""
    text = _NEWLINE_RE.sub("\n", text)
    text = _CONTROL_RE.sub("", text)
    text = _nfkc(text)
    text = _SPACES_RE.sub(" ", text)
    text = _EDGE_RE.sub("\n", text)
    text = _BLANKS_RE.sub("\n\n", text)
    return text.strip(" \n")
