"""PostgreSQL search index: character bigrams as integers under GIN, built in bulk.

Every comment and every article field (title, summaries, body) is indexed as the set of its
character **bigrams**, each one an integer: the two UTF-16 code units side by side
(``unit₁ << 16 | unit₂``, as a signed 32-bit number), and of its CJK ideographs on their own
(``unit << 16``: no text holds U+0000, so no bigram has that code). The sets live in
``comment_grams`` and ``article_grams`` (schema 0004) under GIN indexes, so:

- a word of 2+ characters narrows the rows down to those holding all of its bigrams
  (``grams @> '{…}'``), a rare 2-character word (円安) to its exact posting list;
- a 1-character kanji word (鬱) to the rows holding that ideograph;
- other 1-character words (kana, Latin letters, punctuation; GIN cannot ask for "every
  bigram starting with の", and these are in nearly every text) are not served: search walks
  the ranking for them, as it does for every common word, else scans.

The index only narrows the rows down; ``strpos``/``LIKE`` check every word exactly.
Astral characters (emoji) are two code units, in the text and in the word alike, so their
bigrams match as well.

The index is **not** written by ingest (GIN inserts row by row capped PostgreSQL's ingest
at ~2,700 comments/s with pg_trgm): like SQLite's (:mod:`matome.store.fts`), every row above
the ``search_state`` watermarks is indexed in bulk before a search runs (:func:`catch_up`:
the texts are read in chunks, their bigrams computed with numpy and written with one binary
COPY per chunk). The catch-up holds ``SHARE ROW EXCLUSIVE`` locks on ``articles`` and
``comments`` (taken in the order ingest takes its own): it waits for the ingests in flight
and holds new ones back while it runs, so every row at or below the watermark is committed
and indexed, and every row committed later lies above it (comment ids come from a sequence
and ingest locks ``comments`` before it draws them). A search that cannot index (a
read-only role, a lock held too long) scans the rows above the watermark instead. A text
that changes after it was indexed (a comment's whitespace variant, an article's new body)
is re-indexed by the ingest that changes it (:func:`refresh_comment`, :func:`refresh_article`).
"""

from __future__ import annotations

import struct
from typing import Iterable, Sequence

import numpy as np
from sqlalchemy import Connection, text

COMMENTS = "comments_indexed"
ARTICLES = "articles_indexed"
#: Article fields indexed, in the order of ``article_grams``' columns.
ARTICLE_FIELDS = ("title", "summary_text", "body_text")
#: Rows read and written per COPY by the catch-up.
CHUNK = 50_000
#: How long a search waits for an ingest transaction before scanning the unindexed rows.
LOCK_TIMEOUT_MS = 5_000


def codes(text_: str | None) -> np.ndarray:
    """The distinct bigram codes of one text (int32, sorted by their unsigned value)."""
    code, bounds = batch_codes([text_ or ""])
    return code[bounds[0]:bounds[1]]


def batch_codes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct bigram codes of many texts at once: (codes, bounds), text ``i``'s codes
    being ``codes[bounds[i]:bounds[i + 1]]``. U+0000 (which PostgreSQL text cannot hold)
    separates the texts."""
    n = len(texts)
    if n == 0:
        return np.zeros(0, np.int32), np.zeros(1, np.int64)
    units = np.frombuffer(("\x00".join(texts) + "\x00").encode("utf-16-le"), dtype="<u2").astype(np.uint32)
    row = np.cumsum(units == 0)  # at a non-separator unit: the index of its text
    a, b = units[:-1], units[1:]
    at = np.flatnonzero((a != 0) & (b != 0))
    one = np.flatnonzero(_kanji(units))
    keys = np.concatenate((
        (row[at].astype(np.uint64) << np.uint64(32)) | ((a[at] << 16) | b[at]).astype(np.uint64),
        (row[one].astype(np.uint64) << np.uint64(32)) | (units[one] << 16).astype(np.uint64),
    ))
    keys.sort()
    if len(keys):
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
    rows = (keys >> np.uint64(32)).astype(np.int64)
    code = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32).view(np.int32)
    return code, np.searchsorted(rows, np.arange(n + 1))


def _kanji(units: np.ndarray) -> np.ndarray:
    """Which UTF-16 code units are CJK ideographs (the characters indexed on their own)."""
    return ((units >= 0x3400) & (units <= 0x4DBF)) | ((units >= 0x4E00) & (units <= 0x9FFF)) | \
        ((units >= 0xF900) & (units <= 0xFAFF))


def term_codes(term: str) -> list[int] | None:
    """The codes a row must all hold to contain ``term``; None for a term the index cannot
    serve: a single character other than a CJK ideograph (kana, Latin, punctuation)."""
    units = np.frombuffer(term.encode("utf-16-le"), dtype="<u2").astype(np.uint32)
    if len(units) == 1 and _kanji(units)[0]:
        return [int(np.uint32(units[0] << 16).view(np.int32))]
    if len(units) < 2:
        return None
    return [int(c) for c in codes(term) if (c & 0xFFFF) != 0]  # its bigrams (not its unigrams)


def condition(column: str, forms_by_term: Iterable[list[str]]) -> str | None:
    """The SQL condition on an integer-array ``column`` for words given as their lists of
    width forms (a word holds one of its forms): each word an OR of its forms' codes, the
    words ANDed. Words the index cannot serve are left out (they are checked exactly
    afterwards); None when no word can be served. The codes are integers, written inline."""
    parts = []
    for forms in forms_by_term:
        alts = [term_codes(f) for f in forms]
        if any(a is None for a in alts):
            continue
        ors = [f"{column} @> '{{{','.join(map(str, a))}}}'::integer[]" for a in alts]
        parts.append(ors[0] if len(ors) == 1 else "(" + " OR ".join(ors) + ")")
    return " AND ".join(parts) if parts else None


# ---------------------------------------------------------------------- writing the index

_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_TRAILER = struct.pack(">h", -1)
_INT4_OID = 23


def _array_field(code: np.ndarray) -> bytes:
    """One int4[] value in COPY BINARY layout (length word included)."""
    n = len(code)
    body = np.empty((n, 2), dtype=">i4")
    body[:, 0] = 4
    body[:, 1] = code
    return struct.pack(">iiiiii", 20 + 8 * n, 1, 0, _INT4_OID, n, 1) + body.tobytes()


def _comment_rows(ids: Sequence[int], texts: Sequence[str]) -> bytes:
    """COPY BINARY rows (id, grams) for ``comment_grams``."""
    code, bounds = batch_codes(texts)
    counts = np.diff(bounds)
    head = np.empty(len(ids), dtype=np.dtype([("nf", ">i2"), ("l1", ">i4"), ("id", ">i4"), ("l2", ">i4"),
                                              ("nd", ">i4"), ("nul", ">i4"), ("oid", ">i4"), ("dim", ">i4"),
                                              ("lb", ">i4")]))
    head["nf"], head["l1"], head["id"], head["l2"] = 2, 4, ids, 20 + 8 * counts
    head["nd"], head["nul"], head["oid"], head["dim"], head["lb"] = 1, 0, _INT4_OID, counts, 1
    body = np.empty((len(code), 2), dtype=">i4")
    body[:, 0] = 4
    body[:, 1] = code
    hb, bb, size = head.tobytes(), body.tobytes(), head.dtype.itemsize
    parts = []
    for i, (lo, hi) in enumerate(zip(bounds[:-1].tolist(), bounds[1:].tolist())):
        parts.append(hb[size * i:size * (i + 1)])
        parts.append(bb[8 * lo:8 * hi])
    return b"".join(parts)


def _article_rows(rows: Sequence[tuple]) -> bytes:
    """COPY BINARY rows (id, title, summary_text, body_text) for ``article_grams``."""
    out = []
    for aid, *fields in rows:
        out.append(struct.pack(">hii", 1 + len(fields), 4, aid))
        out.extend(_array_field(codes(f)) for f in fields)
    return b"".join(out)


def _copy(conn: Connection, sql: str, data: bytes) -> None:
    cursor = conn.connection.cursor()
    try:
        with cursor.copy(sql) as copy:
            copy.write(_COPY_HEADER + data + _COPY_TRAILER)
    finally:
        cursor.close()


def watermark(conn: Connection, name: str = COMMENTS) -> int:
    return conn.execute(text("SELECT value FROM search_state WHERE name = :n"), {"n": name}).scalar_one()


def state(conn: Connection) -> dict[str, tuple[int, int]]:
    """{watermark name: (watermark, highest id of its table)}, in one query."""
    row = conn.execute(text(
        "SELECT (SELECT value FROM search_state WHERE name = :c), (SELECT max(id) FROM comments), "
        "(SELECT value FROM search_state WHERE name = :a), (SELECT max(id) FROM articles)"),
        {"c": COMMENTS, "a": ARTICLES}).one()
    return {COMMENTS: (row[0], row[1] or 0), ARTICLES: (row[2], row[3] or 0)}


def behind(conn: Connection) -> bool:
    """Whether rows wait to be indexed (two max(id) look-ups)."""
    return any(top > low for low, top in state(conn).values())


def catch_up(conn: Connection, *, lock_timeout_ms: int | None = None) -> int:
    """Index every row above the watermarks and move them (inside the caller's transaction,
    which must be committed for the index to count); returns how many rows were indexed.
    ``lock_timeout_ms``: give up (LockNotAvailable) when ingests hold the tables longer.

    When more rows wait than are indexed (a first import, an upgraded archive), the GIN
    index is dropped and built again after the COPY: a bulk build is about three times
    faster than merging as many rows into the index."""
    if lock_timeout_ms is not None:
        conn.execute(text(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}"))
    conn.execute(text("LOCK TABLE articles, comments IN SHARE ROW EXCLUSIVE MODE"))
    conn.execute(text("SET LOCAL work_mem = '64MB'"))  # GIN's pending-list merge accumulates in it
    conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))  # and a bulk build
    done = 0
    for name, table, index, select_sql, copy_sql, rows_of, chunk in _TARGETS:
        low = watermark(conn, name)
        top = conn.execute(text(f"SELECT max(id) FROM {table}")).scalar() or 0
        if top <= low:
            continue
        rebuild = top - low >= REBUILD_MIN and top - low > low  # ids are dense: about ``low`` rows are indexed
        if rebuild:
            conn.execute(text(f"DROP INDEX {index}"))
        at = low
        while at < top:
            rows = conn.execute(text(select_sql), {"low": at, "top": top, "n": chunk}).all()
            if not rows:
                break
            _copy(conn, copy_sql, rows_of(rows))
            at, done = rows[-1][0], done + len(rows)
        if rebuild:
            conn.execute(text(_INDEXES[index]))
            # fresh statistics, or the planner guesses at the candidates of a search
            conn.execute(text(f"ANALYZE {table}, {index.removeprefix('ix_')}"))
        else:  # merge what went to the GIN pending list now, not in the searches
            conn.execute(text("SELECT gin_clean_pending_list(CAST(:i AS regclass))"), {"i": index})
        conn.execute(text("UPDATE search_state SET value = :v WHERE name = :n"), {"v": top, "n": name})
    return done


#: The GIN indexes of the gram tables (as created by migration 0004).
_INDEXES = {
    "ix_comment_grams": "CREATE INDEX ix_comment_grams ON comment_grams USING gin (grams)",
    "ix_article_grams": "CREATE INDEX ix_article_grams ON article_grams USING gin (title, summary_text, body_text)",
}
#: Below this many waiting rows the index is never rebuilt.
REBUILD_MIN = 20_000

_TARGETS = (
    (ARTICLES, "articles", "ix_article_grams",
     "SELECT id, title, summary_text, body_text FROM articles WHERE id > :low AND id <= :top ORDER BY id LIMIT :n",
     "COPY article_grams (id, title, summary_text, body_text) FROM STDIN (FORMAT BINARY)",
     lambda rows: _article_rows([tuple(r) for r in rows]), CHUNK // 10),
    (COMMENTS, "comments", "ix_comment_grams",
     "SELECT id, text FROM comments WHERE id > :low AND id <= :top ORDER BY id LIMIT :n",
     "COPY comment_grams (id, grams) FROM STDIN (FORMAT BINARY)",
     lambda rows: _comment_rows([r[0] for r in rows], [r[1] for r in rows]), CHUNK),
)


def refresh_comment(conn: Connection, comment_id: int, text_: str) -> None:
    """Re-index a comment whose text changed (nothing when it is not indexed yet)."""
    conn.execute(text("UPDATE comment_grams SET grams = CAST(:g AS integer[]) WHERE id = :i"),
                 {"g": codes(text_).tolist(), "i": comment_id})


def refresh_article(conn: Connection, article_id: int, values: dict) -> None:
    """Re-index an article's fields (nothing when it is not indexed yet)."""
    sets = ", ".join(f"{f} = CAST(:{f} AS integer[])" for f in ARTICLE_FIELDS)
    conn.execute(text(f"UPDATE article_grams SET {sets} WHERE id = :i"),
                 {"i": article_id, **{f: codes(values[f]).tolist() for f in ARTICLE_FIELDS}})
