"""The initial archive schema: articles, records, comments, vote snapshots, digests and the
Japanese full-text search indexes (SQLite FTS5 trigram; PostgreSQL pg_trgm GIN).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SQLITE_SEARCH = [
    # External-content FTS5 tables over the trigram tokenizer (case-sensitive). The comments
    # index keeps no positions (detail=none, a third smaller): a query matches rows holding
    # all its trigrams and instr() then checks the exact substring.
    "CREATE VIRTUAL TABLE comments_fts USING fts5("
    "text, content='comments', content_rowid='id', tokenize='trigram case_sensitive 1', detail=none)",
    # New comments are indexed in large batches (matome.store.fts.catch_up): one FTS5 write
    # per article transaction costs several times more. search_state holds the highest comment
    # id already indexed; search scans the comments above it, so results never lag.
    "CREATE TABLE search_state (name VARCHAR(32) PRIMARY KEY, value INTEGER NOT NULL)",
    "INSERT INTO search_state (name, value) VALUES ('comments_indexed', 0)",
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

_POSTGRES_SEARCH = [
    "CREATE INDEX ix_comments_text_trgm ON comments USING gin (text gin_trgm_ops)",
    "CREATE INDEX ix_articles_title_trgm ON articles USING gin (title gin_trgm_ops)",
    "CREATE INDEX ix_articles_summary_trgm ON articles USING gin (summary_text gin_trgm_ops)",
    "CREATE INDEX ix_articles_body_trgm ON articles USING gin (body_text gin_trgm_ops)",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') "
            "THEN CREATE EXTENSION pg_trgm; END IF; END $$"
        )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(2048), nullable=False),
        sa.Column("url", sa.String(2048)),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("source", sa.String(255)),
        sa.Column("published_text", sa.String(64)),
        sa.Column("published_at", sa.String(32)),
        sa.Column("summary_text", sa.Text, nullable=False),
        sa.Column("body_text", sa.Text, nullable=False),
        sa.Column("trailer", sa.Text, nullable=False),
        sa.Column("entry_sha1", sa.String(40), nullable=False),
        sa.Column("comment_count", sa.Integer, nullable=False),
        sa.Column("up", sa.Integer, nullable=False),
        sa.Column("down", sa.Integer, nullable=False),
        sa.Column("divisiveness", sa.Float, nullable=False),
        sa.Column("first_seen_at", sa.String(40), nullable=False),
        sa.Column("last_seen_at", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.UniqueConstraint("key", name="uq_articles_key"),
    )
    op.create_index("ix_articles_published_at", "articles", ["published_at"])
    op.create_index("ix_articles_source", "articles", ["source"])
    op.create_index("ix_articles_comment_count", "articles", ["comment_count"])
    op.create_index("ix_articles_divisiveness", "articles", ["divisiveness"])
    op.create_table(
        "records",
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column("stamp", sa.String(32), nullable=False),
        sa.Column("flag", sa.String(8), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("verbatim_text", sa.Text),
        sa.Column("verbatim_sha1", sa.String(40)),
    )
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("position", sa.Integer),
        sa.Column("page", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("up", sa.Integer, nullable=False),
        sa.Column("down", sa.Integer, nullable=False),
        sa.Column("source_id", sa.String(255)),
        sa.Column("posted_at", sa.String(64)),
        sa.Column("parent_id", sa.String(255)),
        sa.Column("first_seen_at", sa.String(40), nullable=False),
        sa.Column("last_seen_at", sa.String(40), nullable=False),
        sa.UniqueConstraint("article_id", "key", name="uq_comments_article_key"),
    )
    op.create_table(
        "vote_snapshots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("comment_id", sa.Integer, sa.ForeignKey("comments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("observed_at", sa.String(40), nullable=False),
        sa.Column("up", sa.Integer, nullable=False),
        sa.Column("down", sa.Integer, nullable=False),
    )
    op.create_index("ix_vote_snapshots_comment", "vote_snapshots", ["comment_id", "observed_at"])
    op.create_table(
        "digests",
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("engine", sa.String(128), nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("digest", sa.Text, nullable=False),
        sa.Column("entry_sha1", sa.String(40), nullable=False),
        sa.Column("computed_at", sa.String(40), nullable=False),
    )
    for statement in _SQLITE_SEARCH if dialect == "sqlite" else _POSTGRES_SEARCH if dialect == "postgresql" else []:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_state")
        for name in ("comments_fts_ad", "comments_fts_au",
                     "articles_fts_ai", "articles_fts_ad", "articles_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS comments_fts")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    for table in ("digests", "vote_snapshots", "comments", "records", "articles"):
        op.drop_table(table)
