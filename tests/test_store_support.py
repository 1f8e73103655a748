"""Fixtures and builders shared by the store tests (tests/test_store_*.py).

Every store test runs on SQLite (a temporary file) and on PostgreSQL at
``MATOME_TEST_PG_URL``. The database named there is never used directly (it may hold an
archive of its own): each test run creates a database of its own beside it
(``matome_test_<pid>_<random>``, dropped when the run ends) and each test a fresh schema
in that database (dropped afterwards).
"""

from __future__ import annotations

import atexit
import itertools
import os
import random
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from matome.model import (
    ArticleBody, ArticleSummary, Comment, CommentSection, DiscussionSummary, Entry, Headline, RecordInfo, Votes,
    paginate,
)
from matome.store import open_store
from matome.store.engine import resolve_url
from matome.store.schema import articles, comments, records, vote_snapshots

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "samples" / "000_c07ace8c3e04d92d.txt"
PG_ENV = "MATOME_TEST_PG_URL"
PG_SKIP = f"{PG_ENV} is not set: the PostgreSQL store tests need a server (.ci/run sets it)"
BACKENDS = ("sqlite", "postgresql")

WORDS = [
    "半導体", "政府", "日本", "少子化", "子育て", "消費税", "AI", "円安", "物価", "年金", "選挙", "議員", "経済",
    "中国", "アメリカ", "企業", "賃金", "教育", "医療", "税", "円", "の", "は", "が", "を", "と", "に",
]
_ids = itertools.count(1)


_run_db: dict[str, str] = {}


def base_pg_url() -> str | None:
    """``$MATOME_TEST_PG_URL`` itself: the server to use (its database is left alone)."""
    return os.environ.get(PG_ENV) or None


def create_pg_database(base: str, prefix: str = "matome_test") -> tuple[str, callable]:
    """A new, empty database on the server of ``base`` and the function that drops it."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin_url = sa.engine.make_url(resolve_url(base))
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''))
    url = admin_url.set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def pg_url() -> str | None:
    """The database of this test run (created on first use, dropped at exit), or None."""
    base = base_pg_url()
    if not base:
        return None
    if base not in _run_db:
        url, drop = create_pg_database(base)
        _run_db[base] = url
        atexit.register(drop)
    return _run_db[base]


def make_pg_schema_url(base: str) -> tuple[str, callable]:
    """A URL whose search_path is a fresh schema (then public, for pg_trgm), and its cleanup."""
    schema = f"matome_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(resolve_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        try:
            c.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        except sa.exc.DBAPIError:
            pass  # created concurrently by another test run
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"

    def drop() -> None:
        with admin.connect() as c:
            c.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()

    return f"{base}{sep}options=-csearch_path%3D{schema},public", drop


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """A database URL for a fresh, empty archive on each backend."""
    if request.param == "sqlite":
        yield str(tmp_path / "archive.db")
        return
    base = pg_url()
    if not base:
        pytest.skip(PG_SKIP)
    url, drop = make_pg_schema_url(base)
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def store(db_url):
    s = open_store(db_url)
    try:
        yield s
    finally:
        s.close()


def text_of(rng: random.Random, n_words: int = 12) -> str:
    return "".join(rng.choice(WORDS) for _ in range(n_words)) + "。"


def make_entry(
    k: int,
    comments_: list[tuple[str, int, int]] | None = None,
    *,
    title: str | None = None,
    body: list[str] | None = None,
    source: str = "テスト通信",
    published: str = "2/13(木) 12:16",
    stamp: str = "2025/02/13 17:56:29",
    url: str | None = "auto",
    seed: int | None = None,
) -> Entry:
    """An entry built in code; ``k`` makes its URL and record ids unique."""
    rng = random.Random(k if seed is None else seed)
    if comments_ is None:
        comments_ = [(text_of(rng), rng.randrange(200), rng.randrange(200)) for _ in range(rng.randrange(1, 8))]
    base = 100_000 + 10 * k
    rec = [RecordInfo(base + i, stamp) for i in range(5)]
    return Entry(
        Headline(rec[0], title or f"{text_of(rng, 5)}({k})", source, published,
                 f"https://news.example.jp/articles/{k:06d}" if url == "auto" else url),
        ArticleSummary(rec[1], (text_of(rng, 8), text_of(rng, 8))),
        ArticleBody(rec[2], ArticleBody.layout(body or [text_of(rng), text_of(rng)], lead="見出し", byline="編集部")),
        DiscussionSummary(rec[3], ("この議論では、" + text_of(rng, 6),), "読者の意見", (text_of(rng, 6),)),
        CommentSection(rec[4], paginate([Comment(t, Votes(u, d)) for t, u, d in comments_])),
    )


def dump(store) -> dict:
    """The archive's content by natural keys (no surrogate ids or times): equal archives dump equal."""
    with store.engine.connect() as c:
        keys = dict(c.execute(sa.select(articles.c.id, articles.c.key)).all())
        arts = sorted(
            (r.key, r.title, r.entry_sha1, r.comment_count, r.up, r.down, r.published_at)
            for r in c.execute(sa.select(articles))
        )
        recs = sorted(
            (keys[r.article_id], r.kind, r.record_id, r.stamp, r.flag, r.content, r.verbatim_text)
            for r in c.execute(sa.select(records))
        )
        cids = {}
        coms = []
        for r in c.execute(sa.select(comments)):
            cids[r.id] = (keys[r.article_id], r.key)
            coms.append((keys[r.article_id], r.key, r.position, r.page, r.text, r.up, r.down))
        snaps = sorted((cids[r.comment_id], r.up, r.down) for r in c.execute(sa.select(vote_snapshots)))
    return {"articles": arts, "records": recs, "comments": sorted(coms, key=repr), "snapshots": snaps}
