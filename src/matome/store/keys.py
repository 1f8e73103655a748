"""Identities: of an entry's content (to skip unchanged re-ingests) and of comments.

Comments in the archive format carry no ids, so a comment is identified within its article
by a hash of its normalized text (whitespace runs, including U+00A0 and U+3000, collapsed
to one space and trimmed); exact duplicates under one article are told apart by their order
(``…:2``, ``…:3``). A comment with a source id uses it. (NFKC was measured: it cost as
much as the rest of the ingest, for width variants the sources do not produce.)
"""

from __future__ import annotations

import hashlib
import json
from typing import Iterable

from matome.io.archive import write_entry
from matome.model import Comment, Entry


def normalize_comment_text(text: str) -> str:
    return " ".join(text.split())


def comment_keys(comments: Iterable[Comment]) -> list[str]:
    """One key per comment, in order; unique within the list."""
    keys: list[str] = []
    seen: dict[str, int] = {}
    for c in comments:
        if c.id is not None:
            base = "id:" + c.id if len(c.id) <= 60 else "id#" + hashlib.sha1(c.id.encode()).hexdigest()
        else:
            base = "t" + hashlib.sha1(normalize_comment_text(c.text).encode("utf-8")).hexdigest()[:24]
        n = seen.get(base, 0) + 1
        seen[base] = n
        keys.append(base if n == 1 else f"{base}:{n}")
    return keys


def canonical_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_sha1(entry: Entry) -> str:
    """SHA-1 of everything the archive keeps of an entry: its archive text (content, layout,
    votes, pages), plus the comment fields the format has no place for (ids, times, parents)."""
    text = entry.archive_text  # as read from a file: its text is what write_entry gives
    h = hashlib.sha1((write_entry(entry) if text is None else text).encode("utf-8"))
    extra = [(c.position, c.id, c.posted_at, c.parent_id) for c in entry.comments
             if c.id is not None or c.posted_at is not None or c.parent_id is not None]
    positions = [c.position for c in entry.comments]
    if extra or positions != list(range(len(positions))):
        h.update(b"\0" + canonical_json([extra, positions]).encode("utf-8"))
    return h.hexdigest()
