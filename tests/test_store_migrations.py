"""Schema migrations walk down and up again on both backends: an archive taken back to an
older revision (0003: before PostgreSQL's own bigram index; 0001: the first schema) and
opened by this matome again searches as it did, with nothing lost."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from matome.store import open_store
from matome.store.engine import make_engine, resolve_url
from matome.store.migrate import alembic_config, current_revision, head_revision
from test_store_support import make_entry

pytest_plugins = ["test_store_support"]  # the db_url fixture: SQLite and PostgreSQL

QUERIES = ["半導体", "日本", "AI", "の", "子育て 政府"]


def _hits(store) -> dict[str, list[tuple[int, str, int | None]]]:
    return {q: sorted((h.article_id, h.kind, h.comment_position if h.comment_position is not None else -1) for h in store.search(q)) for q in QUERIES}


def _downgrade(url: str, revision: str) -> None:
    engine = make_engine(resolve_url(url))
    try:
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)
        assert current_revision(engine) == revision
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(resolve_url(url))
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("revision", ["0003", "0001"])
def test_an_archive_taken_back_and_reopened_searches_as_before(db_url, revision):  # noqa: F811
    store = open_store(db_url)
    try:
        store.ingest_entries([make_entry(k, seed=k) for k in range(12)])
        before = _hits(store)
        articles, comments = store.count_articles(), store.count_comments()
    finally:
        store.close()
    assert any(before.values())

    _downgrade(db_url, revision)
    if db_url.startswith("postgresql"):
        # 0004's tables are PostgreSQL's own bigram index: gone after the downgrade
        assert not {"article_grams", "comment_grams", "search_state"} & _tables(db_url)

    store = open_store(db_url)  # brings the archive up to date again
    try:
        engine = make_engine(resolve_url(db_url))
        try:
            assert current_revision(engine) == head_revision()
        finally:
            engine.dispose()
        assert (store.count_articles(), store.count_comments()) == (articles, comments)
        assert _hits(store) == before
    finally:
        store.close()


def _pg_fks(url: str) -> set[tuple[str, str]]:
    """(table, referenced table) of the archive's foreign keys."""
    engine = make_engine(resolve_url(url))
    try:
        with engine.connect() as c:
            return set(c.execute(sa.text(
                "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint WHERE contype = 'f' "
                "AND connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())")).all())
    finally:
        engine.dispose()


def _delete_articles_by_hand(url: str, keys: list[str]) -> None:
    engine = make_engine(resolve_url(url))
    try:
        with engine.begin() as c:
            c.execute(sa.text("DELETE FROM articles WHERE key = ANY(:k)"), {"k": keys})
    finally:
        engine.dispose()


def _orphans(url: str) -> tuple[int, int]:
    """(comments without their article, snapshots without their comment)."""
    engine = make_engine(resolve_url(url))
    try:
        with engine.connect() as c:
            return c.execute(sa.text(
                "SELECT (SELECT count(*) FROM comments c WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.id = c.article_id)), "
                "(SELECT count(*) FROM vote_snapshots s WHERE NOT EXISTS (SELECT 1 FROM comments c WHERE c.id = s.comment_id))"
            )).one()
    finally:
        engine.dispose()


@pytest.fixture
def pg_db_url():
    """A fresh, empty PostgreSQL schema (this test run's database)."""
    from test_store_support import PG_SKIP, make_pg_schema_url, pg_url

    base = pg_url()
    if not base:
        pytest.skip(PG_SKIP)
    url, drop = make_pg_schema_url(base)
    try:
        yield url
    finally:
        drop()


def test_pg_snapshots_go_with_their_comments_without_a_foreign_key(pg_db_url):
    """0005 (PostgreSQL): no foreign key from vote_snapshots to comments (a check per ingested
    row), but deleting articles by hand still takes their comments and those comments'
    snapshots (every snapshot, first and later ones), and nothing else's; an archive of
    0004 upgraded keeps its rows; taken back to 0004 the foreign key is there again."""
    db_url = pg_db_url
    entries = [make_entry(k, seed=k) for k in range(30)]
    store = open_store(db_url)
    try:
        store.ingest_entries(entries, digest=False)
        # changed votes: a second snapshot for the first comment of every article
        changed = [make_entry(k, [(c.text, c.votes.up + (i == 0), c.votes.down) for i, c in enumerate(e.comments)],
                              seed=k) for k, e in enumerate(entries)]
        report = store.ingest_entries(changed, digest=False)
        assert report.updated == 30 and report.snapshots_added == 30
        n_comments = store.count_comments(current_only=False)
        n_snaps = store.count_snapshots()
        assert n_snaps == n_comments + 30
    finally:
        store.close()
    assert ("vote_snapshots", "comments") not in _pg_fks(db_url)
    assert ("comments", "articles") in _pg_fks(db_url)

    gone = [e.key for e in entries[:10]]
    lost = sum(len(e.comments) for e in entries[:10])
    _delete_articles_by_hand(db_url, gone)
    assert _orphans(db_url) == (0, 0)
    with open_store(db_url) as store:
        assert store.count_comments(current_only=False) == n_comments - lost
        assert store.count_snapshots() == n_snaps - lost - 10
        # the others' are all there, and a re-ingest of them changes nothing
        again = store.ingest_entries(changed[10:], digest=False)
        assert (again.unchanged, again.failed) == (20, [])

    _downgrade(db_url, "0004")
    assert ("vote_snapshots", "comments") in _pg_fks(db_url)
    _delete_articles_by_hand(db_url, [entries[10].key])  # the foreign key's cascade again
    assert _orphans(db_url) == (0, 0)
    with open_store(db_url) as store:  # 0004 → head: the rows kept, the trigger back
        assert store.count_articles() == 19
        assert store.count_snapshots() == n_snaps - lost - 10 - len(entries[10].comments) - 1
    assert ("vote_snapshots", "comments") not in _pg_fks(db_url)
    _delete_articles_by_hand(db_url, [entries[11].key])
    assert _orphans(db_url) == (0, 0)
