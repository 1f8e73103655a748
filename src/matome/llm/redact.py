"""Japanese personal data removed from every text before it is sent to a model.

``redact(text)`` works on NFKC-normalized text (full-width digits, ``＠`` and ``（）`` become
ASCII first) and replaces, in this order:

* URLs with a query string (``?…``) → ``[URL]`` (a query may carry ids or tokens; plain
  article links are kept);
* e-mail addresses, also written ``name[at]example.com`` or ``name (at) example (dot) com`` →
  ``[メール]``;
* postal codes ``〒100-0001`` / ``郵便番号 100-0001`` → ``[郵便番号]``;
* phone numbers in their Japanese forms (``03-1234-5678``, ``090(1234)5678``, ``0120-123-456``,
  ``+81 90 1234 5678``, ``09012345678``, separators ``-``/``ー``/``.``/space) → ``[電話番号]``;
* street addresses: a place (prefecture, city, ward, town or village) followed by block
  numbers (``1-2-3``, ``3丁目1番1号``, ``北1条西2丁目``) → ``[住所]``;
* ``@handles`` → ``[ハンドル]``.

Pure functions; the list of forms it must catch is in ``tests/test_llm_redact.py``.
"""

from __future__ import annotations

import re
import unicodedata

_URL_QUERY_RE = re.compile(r"https?://[^\s「」『』()<>\"']+\?[^\s「」『』()<>\"']*")

_AT = r"(?:@|\s?\[at\]\s?|\s?\(at\)\s?|\s?<at>\s?)"
_DOT = r"(?:\.|\s?\[dot\]\s?|\s?\(dot\)\s?|\s(?:dot)\s)"
_EMAIL_RE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._%+\-]*{_AT}[A-Za-z0-9\-]+(?:{_DOT}[A-Za-z0-9\-]+)+", re.IGNORECASE)

_SEP = r"[\-‐‑‒–—―−ー.\s]"
_POSTAL_RE = re.compile(rf"(?:〒\s?|郵便番号\s?[:は]?\s?)\d{{3}}{_SEP}?\d{{4}}(?!\d)")

# a run that may be a phone number; the digit count decides (see _phone)
_PHONE_RE = re.compile(rf"(?<![\d.])(?:\+\s?81{_SEP}?\(?0?\)?|\(0|0)\d[\d()\-‐‑‒–—―−ー.\s]{{6,16}}\d(?![\d])")

_NUM = r"[0-9一二三四五六七八九十〇]+"
_PLACE = r"(?:東京都|北海道|(?:京都|大阪)府|[一-龥]{2,3}県)?(?:[一-龥ァ-ヶー]{1,7}?[市区町村郡])+"
_TOWN = r"[一-龥ぁ-んァ-ヶー]{0,8}?"
_STREET = rf"{_NUM}\s?(?:丁目|番地|番|号|条[東西南北]?|[\-‐‑‒–—―−ー]|の)(?:\s?{_NUM}\s?(?:丁目|番地|番|号|条[東西南北]?|[\-‐‑‒–—―−ー]|の)?)*"
_ADDRESS_RE = re.compile(_PLACE + _TOWN + _STREET)

_HANDLE_RE = re.compile(r"(?<![A-Za-z0-9._%+\-@])@[A-Za-z0-9_]{2,30}(?![A-Za-z0-9_@.])")

URL, EMAIL, POSTAL, PHONE, ADDRESS, HANDLE = "[URL]", "[メール]", "[郵便番号]", "[電話番号]", "[住所]", "[ハンドル]"
PLACEHOLDERS = (URL, EMAIL, POSTAL, PHONE, ADDRESS, HANDLE)


def _phone(m: re.Match) -> str:
    s = m.group(0)
    digits = re.sub(r"\D", "", s)
    if s.lstrip().startswith("+"):
        national = digits[2:].lstrip("0")
        ok = 9 <= len(national) <= 10
    else:
        ok = digits.startswith("0") and 10 <= len(digits) <= 11
    if not ok:
        return s
    trailing = s[len(s.rstrip()):]
    return PHONE + trailing


def redact(text: str) -> str:
    """``text`` (NFKC-normalized) with personal data replaced by placeholders."""
    t = unicodedata.normalize("NFKC", text)
    t = _URL_QUERY_RE.sub(URL, t)
    t = _EMAIL_RE.sub(EMAIL, t)
    t = _POSTAL_RE.sub(POSTAL, t)
    t = _PHONE_RE.sub(_phone, t)
    t = _ADDRESS_RE.sub(ADDRESS, t)
    t = _HANDLE_RE.sub(HANDLE, t)
    return t
