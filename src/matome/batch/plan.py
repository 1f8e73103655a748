"""Which articles a batch digests: those without a current digest, in id order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import select

from matome.store import Store
from matome.store.schema import articles


@dataclass(frozen=True)
class Job:
    ids: tuple[int, ...]
    comments: dict[int, int]  # article id -> comments shown (for comments/s)
    settings: Mapping[str, Any] | None = None

    @property
    def total_comments(self) -> int:
        return sum(self.comments.values())


def plan(store: Store, settings: Mapping[str, Any] | None = None, *, only_stale: bool = False,
         limit: int | None = None) -> Job:
    """The articles to digest: every article whose digest is missing or stale (engine
    version, settings or entry changed), or with ``only_stale`` only those that have a digest
    and it is stale; at most ``limit`` of them, lowest ids first. A finished job plans nothing."""
    ids = store.stale_digests(settings, missing=not only_stale)
    if limit is not None:
        ids = ids[:limit]
    counts: dict[int, int] = {}
    with store.engine.connect() as conn:
        for start in range(0, len(ids), 5000):
            part = ids[start:start + 5000]
            counts.update(conn.execute(
                select(articles.c.id, articles.c.comment_count).where(articles.c.id.in_(part))).tuples().all())
    return Job(tuple(ids), {aid: counts.get(aid, 0) for aid in ids}, settings)
