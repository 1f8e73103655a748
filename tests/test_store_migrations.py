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
