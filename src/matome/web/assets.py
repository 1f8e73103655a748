"""Static assets: our CSS/JS files and the vendored Plotly bundle, from a fixed table.

Nothing is fetched from the network. The map uses ``plotly-basic.min.js`` (plotly.js's
"basic" distribution: scatter, bar and pie traces only; MIT licence, see
``static/plotly-basic.LICENSE.txt``), served at ``/static/plotly-basic.min.js`` and inlined
into report files.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"

JS = "text/javascript; charset=utf-8"

#: Every file served under ``/static/``: name → media type. Any other name is a 404, and
#: only these names are ever loaded or kept in memory.
SHIPPED = {
    "style.css": "text/css; charset=utf-8",
    "article.js": JS,
    "plotly-basic.min.js": JS,
}

#: The file name of the Plotly bundle (plotly.js basic dist, vendored from the npm package
#: ``plotly.js-basic-dist-min``).
PLOTLY = "plotly-basic.min.js"


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    media_type: str
    etag: str


def _make(body: bytes, media_type: str) -> Asset:
    digest = hashlib.sha256(body).hexdigest()[:20]
    return Asset(body, gzip.compress(body, compresslevel=6, mtime=0), media_type, f'"{digest}"')


_loaded: dict[str, Asset] = {}
_lock = threading.Lock()


def asset(name: str) -> Asset | None:
    """A shipped asset by file name, or None for any name not in :data:`SHIPPED`."""
    media = SHIPPED.get(name)
    if media is None:
        return None
    item = _loaded.get(name)
    if item is None:
        with _lock:
            item = _loaded.get(name)
            if item is None:
                item = _loaded[name] = _make((STATIC_DIR / name).read_bytes(), media)
    return item


def loaded_names() -> set[str]:
    """The names of the assets held in memory (a subset of :data:`SHIPPED`)."""
    return set(_loaded)


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The text of the vendored Plotly bundle."""
    return static_text(PLOTLY)


_PLOTLY_STYLE_RE = re.compile(r'createElement\("style"\);\w+\.id="[0-9a-f]+",\w+\.textContent=`([^`]*)`')


@lru_cache(maxsize=1)
def plotly_style_hashes() -> tuple[str, ...]:
    """CSP hashes of the fixed style sheets the Plotly bundle injects as inline ``<style>`` text.

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
    """The text of one of the shipped static files (``style.css``, ``article.js`` …)."""
    if name not in SHIPPED:
        raise KeyError(name)
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def csp_hash(text: str) -> str:
    """A CSP source expression (``'sha256-…'``) for an inline script or style."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
