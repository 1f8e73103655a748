"""Security helpers: response headers, the Content-Security-Policy, URL and JSON safety."""

from __future__ import annotations

import hmac
import json
from typing import Any
from urllib.parse import urlsplit

#: The hash of an empty inline style: Plotly appends an empty ``<style>`` element and fills
#: it through the CSSOM (``insertRule``), which CSP allows; no style text is ever inline.
EMPTY_STYLE_HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"

#: The policy of every page the server sends. Scripts and styles come only from our own
#: files (no inline script at all); Plotly's SVG map needs no other source.
def _style_sources() -> str:
    from matome.web.assets import plotly_style_hashes

    return " ".join([EMPTY_STYLE_HASH, *plotly_style_hashes()])


SERVER_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' " + _style_sources(),
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": SERVER_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def report_csp(script_hashes: list[str], style_hashes: list[str]) -> str:
    """The policy of a self-contained report file: only its own inline code, by hash."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src " + " ".join(script_hashes),
            "style-src " + " ".join([*style_hashes, _style_sources()]),
            "img-src data:",
            "font-src data:",
            "connect-src 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def safe_http_url(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) URL with a host, else None."""
    if not url:
        return None
    url = url.strip()
    if any(ord(ch) < 0x20 or ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def json_for_html(value: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``<``, ``>``, ``&``."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def token_matches(header: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <token>`` (constant-time)."""
    if not header:
        return False
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.strip().encode("utf-8"), token.encode("utf-8"))
