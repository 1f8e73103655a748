"""SQLite: bring the search indexes up to date in bulk, before a search needs them.

Comments and articles are written without touching the search indexes (row-by-row FTS5
writes capped the ingest far below what the tables alone take). ``catch_up`` indexes every
row above the ``search_state`` watermarks with one ``INSERT … SELECT`` per table and moves
the watermarks, in one write transaction; :func:`ensure` runs it before every search, so a
search always sees a complete index (the first search after a large ingest pays for it,
``Store.build_search_index()`` does it ahead). An interrupted catch-up rolls back and leaves
the watermarks where they were. Updates and deletes of already indexed rows are mirrored by
triggers (migrations 0002 and 0006).

The thread index (``thread_grams``, migration 0006: one row per article, the distinct bigrams
of all its comments) follows the comments' watermark: every article with comments above
``threads_indexed`` gets its row again — the old one deleted with the very tokens it was
made of (``matome_grams_set`` of its comments up to the old watermark), then one made of
all its comments up to the new one.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

COMMENTS = "comments_indexed"
ARTICLES = "articles_indexed"
#: ``thread_grams`` (schema 0006): one row per article, the bigrams of its comments up to here.
THREADS = "threads_indexed"

_TABLES = {
    COMMENTS: ("comments", "INSERT INTO comments_grams(rowid, text) "
                           "SELECT id, matome_grams(text) FROM comments WHERE id > :low AND id <= :top"),
    ARTICLES: ("articles", "INSERT INTO articles_grams(rowid, title, summary_text, body_text) "
                           "SELECT id, matome_grams(title), matome_grams(summary_text), matome_grams(body_text) "
                           "FROM articles WHERE id > :low AND id <= :top"),
}


#: The thread rows of the articles with comments in (low, top]: the old row deleted (with the
#: tokens it was made of: its comments up to ``low``), the new one holds them up to ``top``.
_THREADS_DIRTY = "SELECT DISTINCT article_id FROM comments WHERE id > :low AND id <= :top"
_THREADS = [
    "INSERT INTO thread_grams(thread_grams, rowid, text) SELECT 'delete', article_id, matome_grams_set(text) "
    "FROM comments WHERE article_id IN (" + _THREADS_DIRTY + ") AND id <= :low GROUP BY article_id",
    "INSERT INTO thread_grams(rowid, text) SELECT article_id, matome_grams_set(text) FROM comments "
    "WHERE article_id IN (" + _THREADS_DIRTY + ") AND id <= :top GROUP BY article_id",
]


def watermark(conn: Connection, name: str = COMMENTS) -> int:
    return conn.execute(text("SELECT value FROM search_state WHERE name = :n"), {"n": name}).scalar_one()


_BEHIND = "SELECT " + " OR ".join(
    f"coalesce((SELECT max(id) FROM {table}), 0) > (SELECT value FROM search_state WHERE name = '{name}')"
    for name, table in [*((n, t) for n, (t, _) in _TABLES.items()), (THREADS, "comments")])


def behind(conn: Connection) -> bool:
    """Whether rows wait to be indexed (a cheap read: two max(rowid) look-ups, one statement,
    on the plain DBAPI cursor: a search asks this first, on its own connection)."""
    cur = conn.connection.cursor()
    try:
        return bool(cur.execute(_BEHIND).fetchone()[0])
    finally:
        cur.close()


def catch_up(conn: Connection) -> int:
    """Index the rows above the watermarks (inside the caller's write transaction); returns
    how many rows were indexed."""
    if conn.dialect.name != "sqlite":
        return 0
    done = 0
    for name, (table, sql) in _TABLES.items():
        low = watermark(conn, name)
        top = conn.execute(text(f"SELECT max(id) FROM {table}")).scalar() or 0
        if top <= low:
            continue
        conn.execute(text(sql), {"low": low, "top": top})
        conn.execute(text("UPDATE search_state SET value = :top WHERE name = :n"), {"top": top, "n": name})
        done += top - low
    low = watermark(conn, THREADS)
    top = conn.execute(text("SELECT max(id) FROM comments")).scalar() or 0
    if top > low:
        for sql in _THREADS if low else _THREADS[1:]:  # (nothing indexed yet: nothing to delete)
            conn.execute(text(sql), {"low": low, "top": top})
        conn.execute(text("UPDATE search_state SET value = :top WHERE name = :n"), {"top": top, "n": THREADS})
    return done
