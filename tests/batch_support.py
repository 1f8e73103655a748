"""Builders shared by the batch tests (tests/test_batch_*.py): a small archive without
digests, and the stored digests by article key."""

from __future__ import annotations

import random

import sqlalchemy as sa

from matome.store import open_store
from matome.store.schema import articles, digests
from test_store_support import make_entry, text_of


def build_archive(url: str, n: int, *, seed: int = 13, digest: bool = False) -> list[int]:
    """``n`` articles of 5–40 generated comments each; returns their ids."""
    rng = random.Random(seed)
    entries = [
        make_entry(k, [(text_of(rng, rng.randrange(4, 30)), rng.randrange(300), rng.randrange(120))
                       for _ in range(rng.randrange(5, 41))], seed=seed * 1000 + k)
        for k in range(1, n + 1)
    ]
    with open_store(url) as s:
        report = s.ingest_entries(entries, digest=digest)
    assert not report.failed
    return report.article_ids


def stored_digests(url: str) -> dict[str, tuple[str, str, str, str]]:
    """article key -> (engine, settings, digest JSON, entry sha1) as stored."""
    with open_store(url, migrate=False) as s, s.engine.connect() as c:
        rows = c.execute(sa.select(articles.c.key, digests.c.engine, digests.c.settings, digests.c.digest,
                                   digests.c.entry_sha1).join(digests, digests.c.article_id == articles.c.id))
        return {r.key: (r.engine, r.settings, r.digest, r.entry_sha1) for r in rows}


def computed_at(url: str) -> dict[int, str]:
    with open_store(url, migrate=False) as s, s.engine.connect() as c:
        return dict(c.execute(sa.select(digests.c.article_id, digests.c.computed_at)).tuples().all())


def serial_digests(url: str) -> dict[str, tuple[str, str, str, str]]:
    """The serial path (``matome redigest --all``: one process, one article after another)
    recomputes every digest in place; returns what it stored."""
    with open_store(url, migrate=False) as s:
        done, failures = s.redigest(force=True)
    assert not failures
    return stored_digests(url)
