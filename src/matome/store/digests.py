"""The bridge to the digest engine (``matome.analyze.digest``).

The store keeps a digest as JSON with the engine version and the effective settings it was
computed with; a digest is stale when either differs from the engine's, or when the entry
changed since. Everything here degrades to "no digests" when the engine is not installed.
"""

from __future__ import annotations

import importlib
import json
from types import ModuleType
from typing import Any, Callable, Mapping

from matome.model import Digest, Entry
from matome.store.keys import canonical_json


def engine_module() -> ModuleType | None:
    """``matome.analyze.digest`` when it provides the digest interface, else None."""
    try:
        mod = importlib.import_module("matome.analyze.digest")
    except ImportError:
        return None
    needed = ("digest_entry", "digest_to_dict", "digest_from_dict", "ENGINE_VERSION")
    return mod if all(hasattr(mod, name) for name in needed) else None


def available() -> bool:
    return engine_module() is not None


def _effective(mod: ModuleType, settings: Mapping[str, Any] | None):
    cls = getattr(mod, "DigestSettings", None)
    if cls is None:
        return None
    if not settings:
        return cls()
    known = {name for name, _ in cls().as_pairs()}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ValueError(f"unknown digest setting(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return cls.from_pairs([(k, str(v)) for k, v in settings.items()])


def settings_json(settings: Mapping[str, Any] | None) -> str:
    """The effective settings (defaults filled in) as canonical JSON."""
    mod = engine_module()
    eff = _effective(mod, settings) if mod else None
    if eff is not None and hasattr(eff, "as_pairs"):
        return canonical_json(dict(eff.as_pairs()))
    return canonical_json(dict(settings or {}))


def compute(entry: Entry, settings: Mapping[str, Any] | None = None,
            rewrite: Callable[[Entry, Digest], Digest] | None = None) -> tuple[str, str, str]:
    """(engine version, settings JSON, digest JSON) for an entry; ``rewrite`` (the optional LLM
    writer) may replace the digest's texts."""
    mod = engine_module()
    if mod is None:
        raise RuntimeError("the digest engine (matome.analyze.digest) is not installed")
    digest = mod.digest_entry(entry, _effective(mod, settings))
    if rewrite is not None:
        digest = rewrite(entry, digest)
    return str(mod.ENGINE_VERSION), settings_json(settings), canonical_json(mod.digest_to_dict(digest))


def offline_digest(entry: Entry, settings: Mapping[str, Any] | None = None) -> Digest:
    """The offline digest of an entry (what ``compute`` starts from)."""
    mod = engine_module()
    if mod is None:
        raise RuntimeError("the digest engine (matome.analyze.digest) is not installed")
    return mod.digest_entry(entry, _effective(mod, settings))


def current_engine() -> str | None:
    mod = engine_module()
    return str(mod.ENGINE_VERSION) if mod else None


def load(digest_json: str) -> Digest | None:
    mod = engine_module()
    if mod is None:
        return None
    return mod.digest_from_dict(json.loads(digest_json))
