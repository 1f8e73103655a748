"""Idempotent ingest: merge an entry into the archive inside the caller's transaction (the
store gives each article a savepoint within a batch transaction).

The article is found by its key (URL, else headline record id). Comments are matched by
their key (:mod:`matome.store.keys`); new ones are added, ones no longer shown lose their
position, and changed vote counts are stored as a new snapshot. An entry identical to the
stored one writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, insert, select, update, delete
from sqlalchemy.exc import DBAPIError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from matome.model import DB_INT_MAX, Entry
from matome.store import pg_grams
from matome.store.keys import canonical_json, comment_keys, entry_sha1
from matome.store.schema import RECORD_KINDS, articles, comments, digests, records

_PARTS = ("headline", "summary", "body", "discussion", "thread")


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


@dataclass
class IngestFailure:
    where: str  # "file:line" or the article key
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class IngestReport:
    """What an ingest did. ``failed`` lists entries that could not be read or stored."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[IngestFailure] = field(default_factory=list)
    comments_added: int = 0
    snapshots_added: int = 0
    digests_computed: int = 0
    digest_failures: list[IngestFailure] = field(default_factory=list)
    article_ids: list[int] = field(default_factory=list)

    def add_failure(self, where: str, message: str) -> None:
        self.failed.append(IngestFailure(where, message))

    def merge(self, other: "IngestReport") -> None:
        for name in ("added", "updated", "unchanged", "comments_added", "snapshots_added", "digests_computed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.failed += other.failed
        self.digest_failures += other.digest_failures
        self.article_ids += other.article_ids

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged + len(self.failed)

    def summary_line(self) -> str:
        return (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"failed {len(self.failed)} (comments added {self.comments_added}, "
            f"vote snapshots {self.snapshots_added}, digests {self.digests_computed})"
        )


def divisiveness(votes: list[tuple[int, int]]) -> float:
    """2·Σmin(▲,▼)/Σ(▲+▼): 0 when every comment is one-sided, 1 when all split evenly."""
    total = sum(u + d for u, d in votes)
    return round(2 * sum(min(u, d) for u, d in votes) / total, 6) if total else 0.0


def _record_contents(entry: Entry) -> list[tuple[Any, dict[str, Any]]]:
    """(part, content fields) of the five records, as :func:`matome.io.jsonl.entry_to_dict` has them."""
    h, s, b, d = entry.headline, entry.summary, entry.body, entry.discussion
    headline = {"title": h.title}
    for name in ("source", "published_text", "url"):
        if getattr(h, name) is not None:
            headline[name] = getattr(h, name)
    return [
        (h, headline),
        (s, {"paragraphs": list(s.paragraphs)}),
        (b, {"lines": list(b.lines)}),
        (d, {"paragraphs": list(d.paragraphs), "matome_headline": d.matome_headline,
             "matome_paragraphs": list(d.matome_paragraphs)}),
        (entry.thread, {}),
    ]


def _record_rows(article_id: int, entry: Entry) -> list[dict[str, Any]]:
    rows = []
    for kind, (part, content) in zip(RECORD_KINDS, _record_contents(entry)):
        v = part.verbatim
        rows.append(
            {
                "article_id": article_id,
                "kind": kind,
                "record_id": part.record.id,
                "stamp": part.record.stamp,
                "flag": part.record.flag,
                "content": canonical_json(content),
                "verbatim_text": v.text if v else None,
                "verbatim_sha1": v.canonical_sha1 if v else None,
            }
        )
    return rows


def _article_values(entry: Entry, sha1: str) -> dict[str, Any]:
    h = entry.headline
    published = h.published_at
    votes = [(c.votes.up, c.votes.down) for c in entry.comments]
    up, down = sum(u for u, _ in votes), sum(d for _, d in votes)
    if up > DB_INT_MAX or down > DB_INT_MAX:
        raise ValueError(f"the article's vote totals are out of range: ▲{up:,} ▼{down:,} (at most {DB_INT_MAX:,} each)")
    summary_text = "\n".join(t for t in (entry.summary.text, entry.discussion.text) if t)
    return {
        "url": h.url,
        "title": h.title,
        "source": h.source,
        "published_text": h.published_text,
        "published_at": published.isoformat() if published else None,
        "summary_text": summary_text,
        "body_text": entry.body.text,
        "trailer": entry.trailer,
        "entry_sha1": sha1,
        "comment_count": len(entry.comments),
        "up": up,
        "down": down,
        "divisiveness": divisiveness(votes),
    }


def _lock_article(conn: Connection, key: str):
    q = select(articles.c.id, articles.c.entry_sha1).where(articles.c.key == key)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    return conn.execute(q).first()


def merge_entry(
    conn: Connection,
    entry: Entry,
    *,
    observed_at: str,
    sha1: str | None = None,
    digest_row: tuple[str, str, str] | None = None,
    staged: "Staged | None" = None,
) -> tuple[str, int, int, int]:
    """Merge one entry inside the caller's transaction.

    Returns (status "added"|"updated"|"unchanged", article id, comments added, snapshots added).
    ``digest_row`` is (engine, settings JSON, digest JSON) to store with the article.
    ``staged`` (PostgreSQL): the new records and comments are not inserted but collected
    there, for the caller to write a whole batch of them with COPY (:func:`write_staged`).
    """
    sha1 = sha1 or entry_sha1(entry)
    key = entry.key
    values = _article_values(entry, sha1)
    pg = conn.dialect.name == "postgresql"
    row = _lock_article(conn, key)
    fresh = False
    if row is None:
        new = {**values, "key": key, "first_seen_at": observed_at, "last_seen_at": observed_at, "updated_at": observed_at}
        if pg:
            stmt = pg_insert(articles).values(**new).on_conflict_do_nothing(index_elements=["key"])
        else:
            stmt = insert(articles).values(**new)
        # no row back: a concurrent ingest inserted the article first
        inserted = conn.execute(stmt.returning(articles.c.id)).first()
        fresh = inserted is not None
        row = inserted if fresh else _lock_article(conn, key)
    article_id = row.id
    if not fresh and row.entry_sha1 == sha1:
        if digest_row is not None:
            _store_digest(conn, article_id, sha1, digest_row, observed_at)
        return "unchanged", article_id, 0, 0
    if not fresh:
        conn.execute(
            update(articles).where(articles.c.id == article_id).values(**values, last_seen_at=observed_at, updated_at=observed_at)
        )
        conn.execute(delete(records).where(records.c.article_id == article_id))
        if pg:
            pg_grams.refresh_article(conn, article_id, values)
    if fresh and staged is not None:
        n_comments = stage_new_article(article_id, entry, observed_at, staged)
        if digest_row is not None:
            _store_digest(conn, article_id, sha1, digest_row, observed_at)
        return "added", article_id, n_comments, n_comments
    if staged is not None:
        staged.records += [tuple(r[c] for c in _RECORD_COLUMNS) for r in _record_rows(article_id, entry)]
    else:
        conn.execute(insert(records), _record_rows(article_id, entry))

    existing = {}
    if not fresh:
        existing = {
            r.key: r
            for r in conn.execute(
                select(
                    comments.c.id, comments.c.key, comments.c.position, comments.c.page, comments.c.text,
                    comments.c.up, comments.c.down, comments.c.source_id, comments.c.posted_at, comments.c.parent_id,
                ).where(comments.c.article_id == article_id)
            )
        }
    new_rows: list[tuple] = []
    snapshots: list[tuple] = []
    seen: set[str] = set()
    for c, ckey in zip(entry.comments, comment_keys(entry.comments)):
        seen.add(ckey)
        old = existing.get(ckey)
        if old is None:
            new_rows.append((article_id, ckey, c.position, c.page, c.text, c.votes.up, c.votes.down, c.id,
                             c.posted_at, c.parent_id, observed_at, observed_at))
            continue
        fields = {
            "position": c.position, "page": c.page, "text": c.text, "source_id": c.id,
            "posted_at": c.posted_at, "parent_id": c.parent_id,
        }
        changes = {k: v for k, v in fields.items() if getattr(old, k) != v}
        if (old.up, old.down) != (c.votes.up, c.votes.down):
            changes.update(up=c.votes.up, down=c.votes.down)
            snapshots.append((old.id, observed_at, c.votes.up, c.votes.down))
        if changes:
            conn.execute(update(comments).where(comments.c.id == old.id).values(**changes, last_seen_at=observed_at))
            if pg and "text" in changes:
                pg_grams.refresh_comment(conn, old.id, c.text)
    gone = [r.id for k, r in existing.items() if k not in seen and r.position is not None]
    if gone:
        conn.execute(update(comments).where(comments.c.id.in_(gone)).values(position=None))
    if snapshots:
        _executemany(conn, "vote_snapshots", _SNAPSHOT_COLUMNS, snapshots)
    n_snapshots = len(snapshots)
    if new_rows and staged is not None:
        staged.comments += new_rows
        n_snapshots += len(new_rows)
    elif new_rows and pg:
        # one round trip: the comments from arrays, and their first snapshots from RETURNING
        columns = list(zip(*new_rows))
        conn.exec_driver_sql(_PG_INSERT_COMMENTS, (*map(list, columns), observed_at))
        n_snapshots += len(new_rows)
    elif new_rows:
        # plain DBAPI executemany: prepared once, no per-row SQLAlchemy parameter processing
        _executemany(conn, "comments", _COMMENT_COLUMNS, new_rows)
        ids = dict(conn.execute(select(comments.c.key, comments.c.id).where(comments.c.article_id == article_id)).all())
        _executemany(conn, "vote_snapshots", _SNAPSHOT_COLUMNS, [(ids[r[1]], observed_at, r[5], r[6]) for r in new_rows])
        n_snapshots += len(new_rows)
    if digest_row is not None:
        _store_digest(conn, article_id, sha1, digest_row, observed_at)
    return ("added" if fresh else "updated"), article_id, len(new_rows), n_snapshots


_COMMENT_COLUMNS = ("article_id", "key", "position", "page", "text", "up", "down", "source_id", "posted_at",
                    "parent_id", "first_seen_at", "last_seen_at")
_COMMENT_TYPES = ("int", "text", "int", "int", "text", "int", "int", "text", "text", "text", "text", "text")
_SNAPSHOT_COLUMNS = ("comment_id", "observed_at", "up", "down")
#: Column types of the binary COPY of new comments (the id first) and of their snapshots.
_COMMENT_COPY_TYPES = ("int4", "int4", "varchar", "int4", "int4", "text", "int4", "int4", "varchar", "varchar", "varchar",
                       "varchar", "varchar")
_SNAPSHOT_COPY_TYPES = ("int4", "varchar", "int4", "int4")
_PG_INSERT_COMMENTS = (
    f"WITH added AS (INSERT INTO comments ({', '.join(_COMMENT_COLUMNS)}) "
    f"SELECT {', '.join(_COMMENT_COLUMNS)} FROM unnest({', '.join(f'%s::{t}[]' for t in _COMMENT_TYPES)}) WITH ORDINALITY AS u({', '.join(_COMMENT_COLUMNS)}, n) "
    "ORDER BY n RETURNING id, up, down) "
    "INSERT INTO vote_snapshots (comment_id, observed_at, up, down) SELECT id, %s, up, down FROM added ORDER BY id"
)


_RECORD_COLUMNS = ("article_id", "kind", "record_id", "stamp", "flag", "content", "verbatim_text", "verbatim_sha1")


def stage_new_article(article_id: int, entry: Entry, observed_at: str, staged: "Staged") -> int:
    """The rows of an article just inserted (its records, its comments and their first vote
    snapshots), added to ``staged`` for COPY; returns the number of comments."""
    staged.records += [tuple(r[c] for c in _RECORD_COLUMNS) for r in _record_rows(article_id, entry)]
    rows = [(article_id, ckey, c.position, c.page, c.text, c.votes.up, c.votes.down, c.id, c.posted_at, c.parent_id,
             observed_at, observed_at) for c, ckey in zip(entry.comments, comment_keys(entry.comments))]
    staged.comments += rows
    return len(rows)


_ARTICLE_COLUMNS = ("key", "url", "title", "source", "published_text", "published_at", "summary_text", "body_text",
                    "trailer", "entry_sha1", "comment_count", "up", "down", "divisiveness", "first_seen_at",
                    "last_seen_at", "updated_at")
_ARTICLE_TYPES = ("text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "int", "int", "int",
                  "float8", "text", "text", "text")
_PG_INSERT_ARTICLES = (
    f"INSERT INTO articles ({', '.join(_ARTICLE_COLUMNS)}) "
    f"SELECT {', '.join(_ARTICLE_COLUMNS)} FROM unnest({', '.join(f'%s::{t}[]' for t in _ARTICLE_TYPES)}) "
    f"WITH ORDINALITY AS u({', '.join(_ARTICLE_COLUMNS)}, n) ORDER BY n "
    "ON CONFLICT (key) DO NOTHING RETURNING id, key"
)


def insert_new_articles(conn: Connection, batch: list[tuple[Entry, str]], observed_at: str) -> dict[int, int]:
    """PostgreSQL: insert, with one statement, the articles of a batch that are not in the
    archive yet, and return their ids by index in ``batch`` (pairs of entry and entry SHA-1).

    Only articles whose key occurs once in the batch are taken, and only those whose row
    can be made (:func:`_article_values`); the others, the articles already stored and any
    that another ingest inserts first are left to :func:`merge_entry`. The insert runs in a
    savepoint: should any row fail (a value too long for its column, a NUL character…),
    nothing is inserted and every article is merged on its own (its failure then its own)."""
    counts: dict[str, int] = {}
    for entry, _ in batch:
        counts[entry.key] = counts.get(entry.key, 0) + 1
    wanted: list[tuple[int, dict[str, Any]]] = []
    for i, (entry, sha1) in enumerate(batch):
        if counts[entry.key] == 1:
            try:
                wanted.append((i, {**_article_values(entry, sha1), "key": entry.key}))
            except (ValueError, TypeError, KeyError, AttributeError):
                pass  # merge_entry reports it
    if not wanted:
        return {}
    stored = set(conn.exec_driver_sql("SELECT key FROM articles WHERE key = ANY(%s)",
                                      ([v["key"] for _, v in wanted],)).scalars())
    wanted = [(i, v) for i, v in wanted if v["key"] not in stored]
    if not wanted:
        return {}
    times = {"first_seen_at": observed_at, "last_seen_at": observed_at, "updated_at": observed_at}
    columns = [[(times[c] if c in times else v[c]) for _, v in wanted] for c in _ARTICLE_COLUMNS]
    try:
        with conn.begin_nested():
            ids = dict((key, aid) for aid, key in conn.exec_driver_sql(_PG_INSERT_ARTICLES, tuple(columns)))
    except DBAPIError:
        return {}
    return {i: ids[v["key"]] for i, v in wanted if v["key"] in ids}


@dataclass
class Staged:
    """Records and new comments of a batch of articles, waiting to be written with COPY."""

    records: list[tuple] = field(default_factory=list)
    comments: list[tuple] = field(default_factory=list)  # values of _COMMENT_COLUMNS

    def __bool__(self) -> bool:
        return bool(self.records or self.comments)

    def add(self, other: "Staged") -> None:
        self.records += other.records
        self.comments += other.comments


def write_staged(conn: Connection, staged: Staged) -> None:
    """PostgreSQL: write a batch's staged rows with COPY, inside the caller's transaction:
    the records, the comments (their ids drawn from the sequence first, with ``comments``
    locked as a writer, see :mod:`matome.store.pg_grams`) and their first vote snapshots."""
    cursor = conn.connection.cursor()
    try:
        if staged.records:
            with cursor.copy(f"COPY records ({', '.join(_RECORD_COLUMNS)}) FROM STDIN") as copy:
                for r in staged.records:
                    copy.write_row(r)
        if staged.comments:
            cursor.execute("LOCK TABLE comments IN ROW EXCLUSIVE MODE")
            # the sequence looked up first: named per row (pg_get_serial_sequence, or a text
            # cast to regclass) it costs seven times as much as nextval itself
            sequence = cursor.execute("SELECT pg_get_serial_sequence('comments', 'id')").fetchone()[0]
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", (sequence, len(staged.comments)))
            ids = [r[0] for r in cursor.fetchall()]
            with cursor.copy(f"COPY comments (id, {', '.join(_COMMENT_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(_COMMENT_COPY_TYPES)
                for i, r in zip(ids, staged.comments):
                    copy.write_row((i, *r))
            with cursor.copy("COPY vote_snapshots (comment_id, observed_at, up, down) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(_SNAPSHOT_COPY_TYPES)
                for i, r in zip(ids, staged.comments):
                    copy.write_row((i, r[10], r[5], r[6]))
    finally:
        cursor.close()


def _executemany(conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    mark = "?" if conn.dialect.paramstyle in ("qmark", "numeric") else "%s"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    conn.exec_driver_sql(sql, rows)


def _store_digest(conn: Connection, article_id: int, sha1: str, digest_row: tuple[str, str, str], at: str) -> None:
    engine, settings, digest = digest_row
    values = {"engine": engine, "settings": settings, "digest": digest, "entry_sha1": sha1, "computed_at": at}
    # one statement: two writers of the same article (say a batch retrying a task a dead
    # worker may have finished) leave one row, the last one written
    make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = make(digests).values(article_id=article_id, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=[digests.c.article_id], set_=values))
