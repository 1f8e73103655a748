"""SQLite: bring the comments' trigram index up to date in one large batch.

Comments are written without touching FTS5; ``catch_up`` indexes every comment above the
``search_state`` watermark in one statement and moves the watermark, in one transaction
(an interrupted ingest leaves a longer unindexed tail, which search scans and the next
ingest indexes). Updates and deletes of already indexed comments are mirrored by triggers.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select, text

from matome.store.schema import comments

WATERMARK = "comments_indexed"


def watermark(conn: Connection) -> int:
    return conn.execute(text("SELECT value FROM search_state WHERE name = :n"), {"n": WATERMARK}).scalar_one()


def catch_up(conn: Connection) -> int:
    """Index the comments above the watermark (inside the caller's write transaction)."""
    if conn.dialect.name != "sqlite":
        return 0
    low = watermark(conn)
    top = conn.execute(select(func.max(comments.c.id))).scalar() or 0
    if top <= low:
        return 0
    conn.execute(
        text("INSERT INTO comments_fts(rowid, text) SELECT id, text FROM comments WHERE id > :low AND id <= :top"),
        {"low": low, "top": top},
    )
    conn.execute(text("UPDATE search_state SET value = :top WHERE name = :n"), {"top": top, "n": WATERMARK})
    return top - low
