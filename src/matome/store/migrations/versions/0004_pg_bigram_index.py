"""PostgreSQL: bigram search indexes built in bulk instead of pg_trgm indexes kept row by row.

The pg_trgm GIN indexes of 0001 served only words of 3+ characters (a rare 2-character word
such as 円安 fell back to a scan of every comment) and, being updated with every inserted
row, capped the ingest at ~2,700 comments/s. They are replaced by ``comment_grams`` and
``article_grams``: the character bigrams (and kanji) of each text as an integer array under a GIN index
(:mod:`matome.store.pg_grams`), written in bulk above the ``search_state`` watermarks
before a search runs, as SQLite's index is (0002). An upgraded archive is indexed by its
first search. SQLite: nothing changes.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: 0001's pg_trgm indexes: name -> (table, column)
_TRGM = {
    "ix_comments_text_trgm": ("comments", "text"),
    "ix_articles_title_trgm": ("articles", "title"),
    "ix_articles_summary_trgm": ("articles", "summary_text"),
    "ix_articles_body_trgm": ("articles", "body_text"),
}

_CREATE = [
    "CREATE TABLE search_state (name VARCHAR(32) PRIMARY KEY, value INTEGER NOT NULL)",
    "INSERT INTO search_state (name, value) VALUES ('comments_indexed', 0), ('articles_indexed', 0)",
    # no foreign keys: rows are only ever found through comments/articles (ids are never reused)
    "CREATE TABLE comment_grams (id INTEGER PRIMARY KEY, grams INTEGER[] NOT NULL)",
    "CREATE INDEX ix_comment_grams ON comment_grams USING gin (grams)",
    "CREATE TABLE article_grams (id INTEGER PRIMARY KEY, title INTEGER[] NOT NULL, "
    "summary_text INTEGER[] NOT NULL, body_text INTEGER[] NOT NULL)",
    "CREATE INDEX ix_article_grams ON article_grams USING gin (title, summary_text, body_text)",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in _TRGM:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for statement in _CREATE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("article_grams", "comment_grams", "search_state"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
    for name, (table, column) in _TRGM.items():
        op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")
