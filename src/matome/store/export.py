"""Export the archive: the archive format (byte for byte as ingested), JSONL, CSV."""

from __future__ import annotations

import csv
import json
from typing import IO, Iterable

from sqlalchemy import select

from matome.io.archive import ENTRY_JOIN, write_entry
from matome.io.jsonl import entry_to_dict
from matome.store.keys import comment_keys
from matome.store.schema import articles

FORMATS = ("archive", "jsonl", "csv")
CSV_COLUMNS = ("article_id", "article_key", "title", "source", "published_at", "url", "position", "page",
               "comment_key", "text", "up", "down", "group")


def export_text(store, fmt: str, out: IO[str], *, article_ids: Iterable[int] | None = None,
                with_digest: bool = False) -> int:
    """Write every article (or ``article_ids``) to ``out``; returns the number written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    if article_ids is None:
        with store.engine.connect() as conn:
            article_ids = conn.execute(select(articles.c.id).order_by(articles.c.id)).scalars().all()
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer:
        writer.writerow(CSV_COLUMNS)
    count = 0
    for aid in article_ids:
        entry = store.get_entry(aid)
        if entry is None:
            raise ValueError(f"no article with id {aid}")
        record = store.get_digest_record(aid)
        if fmt == "archive":
            if with_digest and record is not None:
                entry = _with_digest(store, aid, entry)
            out.write((ENTRY_JOIN if count else "") + write_entry(entry))
        elif fmt == "jsonl":
            d = entry_to_dict(entry)
            d["article_id"] = aid
            if record is not None:
                d["digest"] = record
            out.write(json.dumps(d, ensure_ascii=False) + "\n")
        else:
            groups = {}
            if record is not None:
                labels = {g["id"]: g.get("label", "") for g in record["digest"].get("groups", [])}
                groups = {c["position"]: labels.get(c.get("group"), "") for c in record["digest"].get("comments", [])}
            h = entry.headline
            published = h.published_at.isoformat() if h.published_at else ""
            for c, key in zip(entry.comments, comment_keys(entry.comments)):
                writer.writerow((aid, entry.key, h.title, h.source or "", published, h.url or "", c.position, c.page,
                                 key, c.text, c.votes.up, c.votes.down, groups.get(c.position, "")))
        count += 1
    return count


def _with_digest(store, aid: int, entry):
    from matome.store import digests as engine

    digest = store.get_digest(aid)
    return entry if digest is None else engine.apply(entry, digest)
