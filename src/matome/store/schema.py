"""The archive's tables as SQLAlchemy Core metadata (used by queries; the DDL lives in the
Alembic migrations under ``matome/store/migrations``).

Times are ISO 8601 strings: ``observed_at``/``*_seen_at`` in UTC (``…+00:00``) and
``published_at`` in JST (``…+09:00``), so that both backends compare them the same way.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

#: One row per article, keyed by its URL, else ``record:<headline record id>``.
articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(2048), nullable=False, unique=True),
    Column("url", String(2048)),
    Column("title", Text, nullable=False),
    Column("source", String(255)),
    Column("published_text", String(64)),
    Column("published_at", String(32)),
    Column("summary_text", Text, nullable=False, default=""),  # article summary + discussion summary
    Column("body_text", Text, nullable=False, default=""),
    Column("trailer", Text, nullable=False, default=""),
    Column("entry_sha1", String(40), nullable=False),  # of the entry as last ingested
    Column("comment_count", Integer, nullable=False, default=0),
    Column("up", Integer, nullable=False, default=0),
    Column("down", Integer, nullable=False, default=0),
    Column("divisiveness", Float, nullable=False, default=0.0),
    Column("first_seen_at", String(40), nullable=False),
    Column("last_seen_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
)

#: The five archive records of the latest fetch of an article: id, stamp, flag, content.
records = Table(
    "records",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(16), primary_key=True),  # headline|summary|body|discussion|thread
    Column("record_id", Integer, nullable=False),
    Column("stamp", String(32), nullable=False),
    Column("flag", String(8), nullable=False),
    Column("content", Text, nullable=False),  # JSON of the record's fields (no comments)
    Column("verbatim_text", Text),  # exact source text when not in the canonical layout
    Column("verbatim_sha1", String(40)),
)

#: Every comment ever seen under an article; ``position`` is NULL once it is gone.
comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(80), nullable=False),
    Column("position", Integer),
    Column("page", Integer, nullable=False, default=1),
    Column("text", Text, nullable=False),
    Column("up", Integer, nullable=False, default=0),
    Column("down", Integer, nullable=False, default=0),
    Column("source_id", String(255)),
    Column("posted_at", String(64)),
    Column("parent_id", String(255)),
    Column("first_seen_at", String(40), nullable=False),
    Column("last_seen_at", String(40), nullable=False),
    UniqueConstraint("article_id", "key", name="uq_comments_article_key"),
)

#: Vote counts of a comment as observed at one ingest (first sighting and every change).
vote_snapshots = Table(
    "vote_snapshots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), nullable=False),
    Column("observed_at", String(40), nullable=False),
    Column("up", Integer, nullable=False),
    Column("down", Integer, nullable=False),
)

#: The digest of an article: engine version, settings and the digest as JSON.
digests = Table(
    "digests",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("engine", String(128), nullable=False),
    Column("settings", Text, nullable=False),  # JSON object
    Column("digest", Text, nullable=False),  # JSON (digest_to_dict)
    Column("entry_sha1", String(40), nullable=False),  # the entry version it was computed from
    Column("computed_at", String(40), nullable=False),
)

RECORD_KINDS = ("headline", "summary", "body", "discussion", "thread")

#: Answers of the optional LLM writer (matome.llm.cache), keyed by a hash of model, prompt
#: version, schema, settings and messages.
llm_cache = Table(
    "llm_cache",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("model", String(255), nullable=False),
    Column("content", Text, nullable=False),
    Column("tokens_in", Integer, nullable=False),
    Column("tokens_out", Integer, nullable=False),
    Column("finish_reason", String(32), nullable=False),
    Column("created_at", String(40), nullable=False),
)
