"""Entries as JSON Lines: one JSON object per entry, lossless both ways.

An object holds every field of the model, including a record's verbatim source text when
it has one, so that archive → JSONL → archive gives the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, Iterable

from matome.io.archive import ArchiveFormatError, ReadResult
from matome.model import (
    ArticleBody,
    ArticleSummary,
    Comment,
    CommentSection,
    DiscussionSummary,
    Entry,
    Headline,
    RecordInfo,
    Verbatim,
    Votes,
)

FORMAT = "matome.entry/1"


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def entry_to_dict(entry: Entry) -> dict[str, Any]:
    d = asdict(entry)
    d.pop("origin", None)
    d.pop("archive_text", None)
    for part in ("headline", "summary", "body", "discussion", "thread"):
        d[part] = _clean(d[part])
    d["thread"]["comments"] = [_clean(c) for c in d["thread"]["comments"]]
    return {"format": FORMAT, **d}


def _record(d: dict) -> RecordInfo:
    return RecordInfo(int(d["id"]), str(d["stamp"]), str(d.get("flag", "00")))


def _verbatim(d: dict) -> Verbatim | None:
    v = d.get("verbatim")
    return Verbatim(str(v["text"]), str(v["canonical_sha1"])) if v else None


def _strs(values) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise TypeError("expected a list of strings")
    return tuple(values)


def _comments(t: dict[str, Any]) -> tuple[Comment, ...]:
    return tuple(
        Comment(
            text=str(c["text"]),
            votes=Votes(int(c["votes"]["up"]), int(c["votes"]["down"])),
            position=int(c.get("position", i)),
            page=int(c.get("page", 1)),
            id=c.get("id"),
            posted_at=c.get("posted_at"),
            parent_id=c.get("parent_id"),
        )
        for i, c in enumerate(t.get("comments", []))
    )


def entry_from_dict(d: dict[str, Any], comments: tuple[Comment, ...] | None = None) -> Entry:
    """The entry of :func:`entry_to_dict`'s dict; ``comments``: the thread's comments when
    the caller has them already (the archive store, from its rows), else read from ``d``."""
    h, s, b, disc, t = d["headline"], d["summary"], d["body"], d["discussion"], d["thread"]
    if comments is None:
        comments = _comments(t)
    return Entry(
        headline=Headline(
            _record(h["record"]), str(h["title"]), h.get("source"), h.get("published_text"), h.get("url"),
            _verbatim(h),
        ),
        summary=ArticleSummary(_record(s["record"]), _strs(s.get("paragraphs", [])), _verbatim(s)),
        body=ArticleBody(_record(b["record"]), _strs(b.get("lines", [])), _verbatim(b)),
        discussion=DiscussionSummary(
            _record(disc["record"]),
            _strs(disc.get("paragraphs", [])),
            str(disc.get("matome_headline", "")),
            _strs(disc.get("matome_paragraphs", [])),
            _verbatim(disc),
        ),
        thread=CommentSection(_record(t["record"]), comments, _verbatim(t)),
        trailer=str(d.get("trailer", "")),
    )


def write_jsonl(entries: Iterable[Entry]) -> str:
    return "".join(json.dumps(entry_to_dict(e), ensure_ascii=False) + "\n" for e in entries)


def read_jsonl(text: str, path: str = "<jsonl>", *, keep_going: bool = False) -> ReadResult:
    entries: list[Entry] = []
    errors: list[ArchiveFormatError] = []
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            entries.append(entry_from_dict(json.loads(line)))
        except json.JSONDecodeError as e:
            errors.append(ArchiveFormatError(path, n, f"not valid JSON ({e.msg} at column {e.colno})"))
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            what = f"missing field {e}" if isinstance(e, KeyError) else str(e)
            errors.append(ArchiveFormatError(path, n, f"not a matome entry: {what}"))
        if errors and not keep_going:
            raise errors[0]
    return ReadResult(tuple(entries), tuple(errors))
