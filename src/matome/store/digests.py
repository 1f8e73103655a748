"""The bridge to the digest engine (:mod:`matome.analyze.digest`).

The store keeps a digest as JSON with the engine version and the effective settings it was
computed with; a digest is stale when either differs from the engine's, or when the entry
changed since. The engine is imported on first use, so that opening an archive (search,
export, the web pages) does not pay for the analysis libraries.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Mapping

from matome.model import Digest, Entry
from matome.store.keys import canonical_json

if TYPE_CHECKING:
    from matome.analyze.digest import DigestSettings


def effective_settings(settings: Mapping[str, Any] | None) -> "DigestSettings":
    """The digest settings with the defaults filled in; an unknown name or a bad value
    raises ValueError with a message that names it."""
    from matome.analyze.digest import DigestSettings

    if not settings:
        return DigestSettings()
    return DigestSettings.from_pairs([(k, str(v)) for k, v in settings.items()], strict=True)


def settings_json(settings: Mapping[str, Any] | None) -> str:
    """The effective settings (defaults filled in) as canonical JSON."""
    return canonical_json(dict(effective_settings(settings).as_pairs()))


def compute(entry: Entry, settings: Mapping[str, Any] | None = None,
            rewrite: Callable[[Entry, Digest], Digest] | None = None) -> tuple[str, str, str]:
    """(engine version, settings JSON, digest JSON) for an entry; ``rewrite`` (the optional LLM
    writer) may replace the digest's texts."""
    from matome.analyze.digest import ENGINE_VERSION, digest_to_dict

    digest = offline_digest(entry, settings)
    if rewrite is not None:
        digest = rewrite(entry, digest)
    return ENGINE_VERSION, settings_json(settings), canonical_json(digest_to_dict(digest))


def offline_digest(entry: Entry, settings: Mapping[str, Any] | None = None) -> Digest:
    """The offline digest of an entry (what ``compute`` starts from)."""
    from matome.analyze.digest import digest_entry

    return digest_entry(entry, effective_settings(settings))


def current_engine() -> str:
    from matome.analyze.digest import ENGINE_VERSION

    return ENGINE_VERSION


def load(digest_json: str) -> Digest:
    from matome.analyze.digest import digest_from_dict

    return digest_from_dict(json.loads(digest_json))


def apply(entry: Entry, digest: Digest) -> Entry:
    """The entry with the digest written into its (要約) and discussion records."""
    from matome.analyze.digest import apply_digest

    return apply_digest(entry, digest)
