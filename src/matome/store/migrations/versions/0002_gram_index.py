"""Faster search and ingest: bigram search indexes built in bulk, and a ranking index.

- SQLite: the trigram FTS5 tables (which served only words of 3+ characters and capped the
  ingest at ~10-17k comments/s) are replaced by contentless bigram tables
  (:mod:`matome.store.grams`) that serve words of every length. Neither comments nor
  articles are indexed row by row any more: :func:`matome.store.fts.catch_up` indexes
  everything above the ``search_state`` watermarks in one statement before a search runs.
  Existing archives are re-indexed by the first search after the upgrade.
- Both backends: ``ix_comments_rank`` (▲ desc, newer article first, position) over the
  comments shown, so a search walks the comments in ranking order and stops early.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_RANK_INDEX = (
    "CREATE INDEX ix_comments_rank ON comments (up DESC, article_id DESC, position) WHERE position IS NOT NULL"
)

_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS comments_fts_ad",
    "DROP TRIGGER IF EXISTS comments_fts_au",
    "DROP TRIGGER IF EXISTS articles_fts_ai",
    "DROP TRIGGER IF EXISTS articles_fts_ad",
    "DROP TRIGGER IF EXISTS articles_fts_au",
    "DROP TABLE IF EXISTS comments_fts",
    "DROP TABLE IF EXISTS articles_fts",
]

_TOKENIZE = "unicode61 remove_diacritics 0 categories ''L* M* N* P* S* Co''"

_SQLITE_CREATE = [
    # contentless: the rows hold matome_grams(text), which only the index needs
    f"CREATE VIRTUAL TABLE comments_grams USING fts5(text, content='', tokenize='{_TOKENIZE}', detail=none)",
    # detail=column: a query can be limited to the title, the summaries or the body
    "CREATE VIRTUAL TABLE articles_grams USING fts5(title, summary_text, body_text, content='', "
    f"tokenize='{_TOKENIZE}', detail=column)",
    "UPDATE search_state SET value = 0 WHERE name = 'comments_indexed'",
    "INSERT INTO search_state (name, value) VALUES ('articles_indexed', 0)",
    # rows already indexed follow their updates and deletes; newer rows wait for catch_up
    "CREATE TRIGGER comments_grams_ad AFTER DELETE ON comments "
    "WHEN old.id <= (SELECT value FROM search_state WHERE name = 'comments_indexed') BEGIN "
    "INSERT INTO comments_grams(comments_grams, rowid, text) VALUES ('delete', old.id, matome_grams(old.text)); END",
    "CREATE TRIGGER comments_grams_au AFTER UPDATE OF text ON comments "
    "WHEN old.id <= (SELECT value FROM search_state WHERE name = 'comments_indexed') BEGIN "
    "INSERT INTO comments_grams(comments_grams, rowid, text) VALUES ('delete', old.id, matome_grams(old.text)); "
    "INSERT INTO comments_grams(rowid, text) VALUES (new.id, matome_grams(new.text)); END",
    "CREATE TRIGGER articles_grams_ad AFTER DELETE ON articles "
    "WHEN old.id <= (SELECT value FROM search_state WHERE name = 'articles_indexed') BEGIN "
    "INSERT INTO articles_grams(articles_grams, rowid, title, summary_text, body_text) VALUES "
    "('delete', old.id, matome_grams(old.title), matome_grams(old.summary_text), matome_grams(old.body_text)); END",
    "CREATE TRIGGER articles_grams_au AFTER UPDATE OF title, summary_text, body_text ON articles "
    "WHEN old.id <= (SELECT value FROM search_state WHERE name = 'articles_indexed') BEGIN "
    "INSERT INTO articles_grams(articles_grams, rowid, title, summary_text, body_text) VALUES "
    "('delete', old.id, matome_grams(old.title), matome_grams(old.summary_text), matome_grams(old.body_text)); "
    "INSERT INTO articles_grams(rowid, title, summary_text, body_text) VALUES "
    "(new.id, matome_grams(new.title), matome_grams(new.summary_text), matome_grams(new.body_text)); END",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute(_RANK_INDEX)
    if dialect == "sqlite":
        for statement in _SQLITE_DROP + _SQLITE_CREATE:
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DROP INDEX IF EXISTS ix_comments_rank")
    if dialect != "sqlite":
        return
    for name in ("comments_grams_ad", "comments_grams_au", "articles_grams_ad", "articles_grams_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS comments_grams")
    op.execute("DROP TABLE IF EXISTS articles_grams")
    op.execute("DELETE FROM search_state WHERE name = 'articles_indexed'")
    # back to 0001's trigram tables, rebuilt from the rows (0001's triggers keep them current)
    for statement in _INITIAL_SQLITE_SEARCH:
        op.execute(statement)
    op.execute("UPDATE search_state SET value = 0 WHERE name = 'comments_indexed'")
    op.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")


_INITIAL_SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE comments_fts USING fts5("
    "text, content='comments', content_rowid='id', tokenize='trigram case_sensitive 1', detail=none)",
    "CREATE TRIGGER comments_fts_ad AFTER DELETE ON comments "
    "WHEN old.id <= (SELECT value FROM search_state WHERE name = 'comments_indexed') BEGIN "
    "INSERT INTO comments_fts(comments_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER comments_fts_au AFTER UPDATE OF text ON comments "
    "WHEN old.id <= (SELECT value FROM search_state WHERE name = 'comments_indexed') BEGIN "
    "INSERT INTO comments_fts(comments_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO comments_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE VIRTUAL TABLE articles_fts USING fts5("
    "title, summary_text, body_text, content='articles', content_rowid='id', "
    "tokenize='trigram case_sensitive 1')",
    "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, summary_text, body_text) "
    "VALUES (new.id, new.title, new.summary_text, new.body_text); END",
    "CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, summary_text, body_text) "
    "VALUES ('delete', old.id, old.title, old.summary_text, old.body_text); END",
    "CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, summary_text, body_text ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, summary_text, body_text) "
    "VALUES ('delete', old.id, old.title, old.summary_text, old.body_text); "
    "INSERT INTO articles_fts(rowid, title, summary_text, body_text) "
    "VALUES (new.id, new.title, new.summary_text, new.body_text); END",
]
