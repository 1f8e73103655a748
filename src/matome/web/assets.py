"""Static assets: our CSS/JS files and the Plotly bundle shipped inside the plotly wheel.

Nothing is fetched from the network: Plotly's JavaScript is read from the installed
``plotly`` package's data, served by the app at ``/static/plotly.min.js`` and inlined into
report files.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"

#: The files the app serves under ``/static/`` and their media types.
MEDIA_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    media_type: str
    etag: str


def _make(body: bytes, media_type: str) -> Asset:
    digest = hashlib.sha256(body).hexdigest()[:20]
    return Asset(body, gzip.compress(body, compresslevel=6, mtime=0), media_type, f'"{digest}"')


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The text of plotly.min.js from the installed plotly package."""
    ref = resources.files("plotly") / "package_data" / "plotly.min.js"
    return ref.read_text(encoding="utf-8")


_PLOTLY_STYLE_RE = re.compile(r'createElement\("style"\);\w+\.id="[0-9a-f]+",\w+\.textContent=`([^`]*)`')


@lru_cache(maxsize=1)
def plotly_style_hashes() -> tuple[str, ...]:
    """CSP hashes of the fixed style sheets plotly.min.js injects as inline ``<style>`` text.

    Only plain template literals (no ``${}`` or escapes) are hashed: their runtime text is
    exactly the source text. Allowing these by hash keeps ``'unsafe-inline'`` out of the policy.
    """
    out = []
    for m in _PLOTLY_STYLE_RE.finditer(plotly_js()):
        text = m.group(1)
        if "${" not in text and "\\" not in text:
            out.append(csp_hash(text))
    return tuple(out)


def static_text(name: str) -> str:
    """The text of one of our own static files (``style.css``, ``article.js`` …)."""
    return (STATIC_DIR / name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def asset(name: str) -> Asset | None:
    """A static asset by file name, or None when there is no such file."""
    if name == "plotly.min.js":
        return _make(plotly_js().encode("utf-8"), MEDIA_TYPES[".js"])
    path = STATIC_DIR / name
    if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
        return None
    media = MEDIA_TYPES.get(path.suffix)
    if media is None:
        return None
    return _make(path.read_bytes(), media)


def csp_hash(text: str) -> str:
    """A CSP source expression (``'sha256-…'``) for an inline script or style."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
