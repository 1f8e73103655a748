"""The archive database: open it, ingest entries, read them back, search, list."""

from __future__ import annotations

import contextlib
import json
import operator
import time as _time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping

import psycopg
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from matome.io.jsonl import FORMAT, entry_from_dict
from matome.model import DB_INT_MAX, Digest, Entry, comment_from_row
from matome.store import digests as digest_engine
from matome.store.collector import fewer_collections
from matome.store.engine import make_engine, resolve_url, sqlite_file, writable
from matome.store.ingest import (IngestReport, Staged, _store_digest as store_digest, insert_new_articles, merge_entry,
                                 stage_new_article, utc_now, write_staged)
from matome.store.keys import entry_sha1
from matome.store.migrate import current_revision, head_revision, upgrade
from matome.store.schema import RECORD_KINDS, articles, comments, digests, vote_snapshots
from matome.store.search import SearchHit, SearchPage, search as _search, search_articles as _search_articles

_PARTS = ("headline", "summary", "body", "discussion", "thread")
ORDERS = ("latest", "most_commented", "most_divided")
#: Attempts for one article's transaction when the database reports a transient conflict.
RETRIES = 5
#: Attempts to open an archive that another process is creating or upgrading (0.05 s, then
#: doubling: about 3 s in all before the error is reported).
OPEN_RETRIES = 6
#: Articles per ingest transaction (each in its own savepoint), by backend.
BATCH_ARTICLES = {"sqlite": 200, "postgresql": 200}
#: ... and at most about this many comments per transaction.
BATCH_COMMENTS = 20_000


class _StagedWriteFailed(Exception):
    """Writing a batch's staged rows with COPY failed: the batch is written again without."""


class StoreError(RuntimeError):
    """The archive database cannot be opened or used (message names the database)."""


@dataclass(frozen=True)
class ArticleRow:
    id: int
    title: str
    source: str | None
    published_at: str | None  # ISO 8601, JST
    url: str | None
    comment_count: int
    up: int
    down: int
    divisiveness: float
    key: str = ""
    has_digest: bool = False


@dataclass(frozen=True)
class VotePoint:
    observed_at: str  # ISO 8601, UTC
    comment_key: str
    position: int | None  # None when the comment is no longer shown
    up: int
    down: int


Progress = Callable[[Entry, str], None]

# The reads of an article page as plain SQL (``?`` for the parameter): no statement to build,
# compile or wrap per call, which cost more than the queries themselves.
_TRAILER = "SELECT trailer, first_seen_at, updated_at, entry_sha1 FROM articles WHERE id = ?"
_RECORDS = ("SELECT kind, record_id, stamp, flag, content, verbatim_text, verbatim_sha1 FROM records "
            "WHERE article_id = ?")
# in no particular order: sorted by position here (positions shown are distinct), which
# costs less than SQLite's sort of the rows
_SHOWN_COMMENTS = ("SELECT text, up, down, position, page, source_id, posted_at, parent_id FROM comments "
                   "WHERE article_id = ? AND position IS NOT NULL")
_DIGEST = "SELECT digest, engine, settings, computed_at, entry_sha1 FROM digests WHERE article_id = ?"
# most articles were observed once (their row was never updated: no vote snapshot of another
# time); for the others, two distinct observation times say whether there is a history
_TWO_TIMES = ("SELECT DISTINCT s.observed_at FROM vote_snapshots s JOIN comments c ON c.id = s.comment_id "
              "WHERE c.article_id = ? LIMIT 2")

# Store._vote_history's query as plain SQL (the page's reads use no SQLAlchemy statement)
_HISTORY = ("SELECT s.observed_at, c.key, c.position, s.up, s.down FROM vote_snapshots s "
            "JOIN comments c ON c.id = s.comment_id WHERE c.article_id = ? "
            "ORDER BY c.position IS NULL, c.position, c.id, s.observed_at, s.id")

_POSITION = operator.itemgetter(3)


def _read(conn, sql: str, article_id: int) -> list[tuple]:
    """The rows of one of the page reads above, in the connection's transaction (one
    snapshot for all of them). SQLite: on the driver's own cursor (a fraction of the cost)."""
    if conn.dialect.name != "sqlite":
        return conn.exec_driver_sql(sql.replace("?", "%s"), (article_id,)).all()
    driver = conn.connection.driver_connection
    if not conn.in_transaction() and not driver.in_transaction:
        # one snapshot for the page's reads: BEGIN on the driver itself (through SQLAlchemy's
        # begin it costs more than a read); the pool rolls it back when the connection is
        # given back. Only these reads run on the connection (see _HISTORY).
        driver.execute("BEGIN")
    cur = driver.cursor()
    try:
        return cur.execute(sql, (article_id,)).fetchall()
    finally:
        cur.close()


class Store:
    def __init__(self, engine: Engine, url: str):
        self.engine = engine
        self.url = url

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def describe(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    # ------------------------------------------------------------------ writing

    def ingest_entries(
        self,
        entries: Iterable[Entry],
        *,
        digest: bool = True,
        progress: Progress | None = None,
        settings: Mapping[str, Any] | None = None,
        observed_at: str | None = None,
        rewrite: Callable[[Entry, Digest], Digest] | None = None,
    ) -> IngestReport:
        """Merge entries; a failing entry is reported, never fatal.

        Entries are written in batches (one transaction of up to ``BATCH_ARTICLES`` articles
        or ``BATCH_COMMENTS`` comments), each article inside its own savepoint: a bad article
        is rolled back alone and the others of its batch are kept, and an interrupted ingest
        leaves whole articles only. On PostgreSQL the rows are written with COPY, one batch
        overlapping the next (:class:`_Pipeline`). The search index is brought up to date in
        bulk before the next search (:mod:`matome.store.fts`, :mod:`matome.store.pg_grams`),
        not here. ``rewrite`` (the optional LLM
        writer) may replace the texts of each digest computed. Python's garbage collector
        runs fewer young collections meanwhile (:mod:`matome.store.collector`)."""
        report = IngestReport()
        do_digest = digest
        max_articles = BATCH_ARTICLES.get(self.dialect, 50)
        batch: list[tuple[Entry, str, str, tuple[str, str, str] | None]] = []
        size = 0
        pipeline = _Pipeline(self, report, progress, observed_at) if self.dialect == "postgresql" else None
        with contextlib.ExitStack() as stack, self.engine.connect().execution_options(sqlite_immediate=True) as conn:
            stack.enter_context(fewer_collections())
            if pipeline:
                stack.callback(pipeline.close)
            write = pipeline.submit if pipeline else (lambda b: self._write_batch(conn, b, report, progress, observed_at))
            for entry in entries:
                where = entry.origin or entry.key
                try:
                    sha1 = entry_sha1(entry)
                except (ValueError, TypeError, KeyError) as e:
                    report.add_failure(where, _db_message(e))
                    if progress is not None:
                        progress(entry, "failed")
                    continue
                digest_row = None
                if do_digest and self._digest_needed(entry.key, sha1, settings):
                    try:
                        digest_row = digest_engine.compute(entry, settings, rewrite)
                    except Exception as e:  # the digest engine failing must not lose the entry
                        report.digest_failures.append(_failure(where, f"digest failed: {type(e).__name__}: {e}"))
                batch.append((entry, where, sha1, digest_row))
                size += len(entry.comments)
                if len(batch) >= max_articles or size >= BATCH_COMMENTS:
                    write(batch)
                    batch, size = [], 0
            if batch:
                write(batch)
        return report

    def _write_batch(self, conn, batch, report: IngestReport, progress: Progress | None, observed_at: str | None,
                     *, staging: bool | None = None) -> None:
        """One transaction for the batch, one savepoint per article; a transient conflict
        (lock, deadlock) retries the whole batch.

        PostgreSQL: the articles' records and new comments are staged and written at the end
        of the batch with COPY (:func:`write_staged`); should that fail, the batch is rolled
        back and written again article by article, each in its savepoint, so that a bad
        article is still rolled back alone."""
        outcome: list[tuple[str, Any]] = []
        staging = self.dialect == "postgresql" if staging is None else staging
        for attempt in range(RETRIES):
            try:
                with conn.begin():
                    outcome, pending = self._merge_batch(conn, batch, observed_at or utc_now(), staging)
                    if pending:
                        self._flush(conn, pending)
                break
            except _StagedWriteFailed:
                staging = False  # again, article by article
            except OperationalError as e:
                if attempt + 1 == RETRIES or not _transient(e):
                    outcome = [("failed", _db_message(e))] * len(batch)
                    break
                _time.sleep(0.05 * (attempt + 1))
        self._record(batch, outcome, report, progress)

    def _merge_batch(self, conn, batch, at: str, staging: bool) -> tuple[list[tuple[str, Any]], Staged]:
        """Merge each entry of the batch in its savepoint, inside the caller's transaction:
        the outcome of each, and (``staging``) the rows left for COPY."""
        outcome: list[tuple[str, Any]] = []
        pending, keys = Staged(), set()
        # PostgreSQL: the articles not stored yet inserted at once; each then only stages its rows
        fresh = insert_new_articles(conn, [(e, sha1) for e, _, sha1, _ in batch], at) if staging else {}
        for i, (entry, where, sha1, digest_row) in enumerate(batch):
            article_id = fresh.get(i)
            if article_id is not None:
                keys.add(entry.key)
                try:
                    n = stage_new_article(article_id, entry, at, pending)
                    if digest_row is not None:
                        store_digest(conn, article_id, sha1, digest_row, at)
                except (SQLAlchemyError, ValueError, TypeError, KeyError) as e:
                    # the article's row is in the batch already: the batch is written again
                    # article by article (each in its savepoint)
                    raise _StagedWriteFailed(str(e)) from e
                outcome.append(("ok", ("added", article_id, n, n)))
                continue
            if staging and entry.key in keys and pending:
                self._flush(conn, pending)  # the same article twice: its first rows first
                pending = Staged()
            keys.add(entry.key)
            staged = Staged() if staging else None
            try:
                with conn.begin_nested():
                    outcome.append(("ok", merge_entry(conn, entry, observed_at=at, sha1=sha1,
                                                      digest_row=digest_row, staged=staged)))
                if staged:
                    pending.add(staged)
            except OperationalError as e:
                if _transient(e):
                    raise
                outcome.append(("failed", _db_message(e)))
            except (SQLAlchemyError, ValueError, TypeError, KeyError) as e:
                outcome.append(("failed", _db_message(e)))
        return outcome, pending

    @staticmethod
    def _record(batch, outcome, report: IngestReport, progress: Progress | None) -> None:
        for (entry, where, _sha1, digest_row), (kind, value) in zip(batch, outcome):
            status = "failed"
            if kind == "failed":
                report.add_failure(where, value)
            else:
                status, aid, n_comments, n_snaps = value
                setattr(report, status, getattr(report, status) + 1)
                report.comments_added += n_comments
                report.snapshots_added += n_snaps
                report.digests_computed += digest_row is not None
                report.article_ids.append(aid)
            if progress is not None:
                progress(entry, status)

    @staticmethod
    def _flush(conn, pending: Staged) -> None:
        try:
            write_staged(conn, pending)
        except (SQLAlchemyError, psycopg.Error, ValueError, TypeError) as e:
            raise _StagedWriteFailed(str(e)) from e

    def build_search_index(self, *, lock_timeout_ms: int | None = None) -> int:
        """Index every row the search index does not hold yet (searches do this first
        anyway); returns how many rows were indexed. PostgreSQL: ``lock_timeout_ms`` bounds
        the wait for ingests in flight (:mod:`matome.store.pg_grams`)."""
        if self.dialect == "postgresql":
            from matome.store import pg_grams

            with self.engine.connect() as conn, conn.begin():
                return pg_grams.catch_up(conn, lock_timeout_ms=lock_timeout_ms) if pg_grams.behind(conn) else 0
        if self.dialect != "sqlite":
            return 0
        from matome.store import fts

        with self.engine.connect() as conn:
            if not fts.behind(conn):
                return 0
        with self.engine.connect().execution_options(sqlite_immediate=True) as conn:
            for attempt in range(RETRIES):
                try:
                    with conn.begin():
                        return fts.catch_up(conn)
                except OperationalError as e:
                    if attempt + 1 == RETRIES or not _transient(e):
                        raise
                    _time.sleep(0.05 * (attempt + 1))
        return 0

    def _digest_needed(self, key: str, sha1: str, settings) -> bool:
        with self.engine.connect() as conn:  # a plain read: no write lock
            row = conn.execute(
                select(articles.c.entry_sha1, digests.c.engine, digests.c.settings, digests.c.entry_sha1.label("dsha"))
                .select_from(articles.outerjoin(digests, digests.c.article_id == articles.c.id))
                .where(articles.c.key == key)
            ).first()
        if row is None or row.entry_sha1 != sha1 or row.engine is None:
            return True
        return (
            row.engine != digest_engine.current_engine()
            or row.settings != digest_engine.settings_json(settings)
            or row.dsha != sha1
        )

    def stale_digests(self, settings: Mapping[str, Any] | None = None, *, force: bool = False,
                      missing: bool = True) -> list[int]:
        """Ids of articles whose digest is missing or stale (engine, settings or entry changed);
        ``missing=False`` leaves out the articles that have no digest at all."""
        current = digest_engine.current_engine()
        q = select(articles.c.id, articles.c.entry_sha1, digests.c.engine, digests.c.settings,
                   digests.c.entry_sha1.label("dsha")).select_from(
            articles.outerjoin(digests, digests.c.article_id == articles.c.id)
        ).order_by(articles.c.id)
        wanted = digest_engine.settings_json(settings)
        with self.engine.connect() as conn:
            return [
                r.id for r in conn.execute(q)
                if (missing or r.engine is not None) and (
                    force or r.engine is None or r.engine != current or r.settings != wanted or r.dsha != r.entry_sha1)
            ]

    def redigest(
        self,
        article_ids: Iterable[int] | None = None,
        *,
        settings: Mapping[str, Any] | None = None,
        force: bool = False,
        progress: Callable[[int, bool], None] | None = None,
        rewrite: Callable[[Entry, Digest], Digest] | None = None,
    ) -> tuple[int, list[tuple[int, str]]]:
        """Recompute stale digests (or those of ``article_ids``). Returns (done, failures)."""
        ids = list(article_ids) if article_ids is not None else self.stale_digests(settings, force=force)
        done, failures = 0, []
        for aid in ids:
            message = self.redigest_one(aid, settings=settings, rewrite=rewrite)
            if message is None:
                done += 1
            else:
                failures.append((aid, message))
            if progress:
                progress(aid, message is None)
        return done, failures

    def redigest_one(
        self,
        article_id: int,
        *,
        settings: Mapping[str, Any] | None = None,
        rewrite: Callable[[Entry, Digest], Digest] | None = None,
    ) -> str | None:
        """Recompute and store (upsert) the digest of one article: None when done, else why not.
        The unit of work of ``redigest`` and of ``matome batch``'s workers."""
        from matome.store.ingest import _store_digest

        entry = self.get_entry(article_id)
        if entry is None:
            return "no such article"
        try:
            row = digest_engine.compute(entry, settings, rewrite)
            with self.engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
                _store_digest(conn, article_id, entry_sha1(entry), row, utc_now())
        except Exception as e:  # one failing digest does not stop the others
            return f"{type(e).__name__}: {e}"
        return None

    def llm_cache(self):
        """The LLM writer's answer cache in this archive (:mod:`matome.store.llm_cache`)."""
        from matome.store.llm_cache import DbAnswerCache

        return DbAnswerCache(self.engine)

    # ------------------------------------------------------------------ reading

    def count_articles(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(articles)).scalar_one()

    def count_comments(self, *, current_only: bool = True) -> int:
        q = select(func.count()).select_from(comments)
        if current_only:
            q = q.where(comments.c.position.is_not(None))
        with self.engine.connect() as conn:
            return conn.execute(q).scalar_one()

    def count_snapshots(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(vote_snapshots)).scalar_one()

    def list_articles(self, order: str = "latest", limit: int = 50, offset: int = 0) -> list[ArticleRow]:
        if order not in ORDERS:
            raise ValueError(f"unknown order {order!r}: use one of {', '.join(ORDERS)}")
        a = articles.c
        by = {
            "latest": [a.published_at.desc().nulls_last(), a.id.desc()],
            "most_commented": [a.comment_count.desc(), a.id.desc()],
            "most_divided": [a.divisiveness.desc(), a.comment_count.desc(), a.id.desc()],
        }[order]
        q = (
            select(a.id, a.title, a.source, a.published_at, a.url, a.comment_count, a.up, a.down, a.divisiveness,
                   a.key, digests.c.article_id.is_not(None).label("has_digest"))
            .select_from(articles.outerjoin(digests, digests.c.article_id == a.id))
            .order_by(*by).limit(limit).offset(offset)
        )
        with self.engine.connect() as conn:
            return [ArticleRow(**r._asdict()) for r in conn.execute(q)]

    def article_id(self, key: str) -> int | None:
        with self.engine.connect() as conn:
            return conn.execute(select(articles.c.id).where(articles.c.key == key)).scalar()

    def get_entry(self, article_id: int) -> Entry | None:
        """The entry as last ingested (its comments as last shown), rebuilt losslessly."""
        if not _valid_id(article_id):
            return None
        with self.engine.connect() as conn:
            return self._read_entry(conn, article_id)

    def _read_entry(self, conn, article_id: int) -> Entry | None:
        found = self._read_entry_row(conn, article_id)
        return None if found is None else found[0]

    def _read_entry_row(self, conn, article_id: int) -> tuple[Entry, tuple] | None:
        """The entry and its article row's (trailer, first_seen_at, updated_at, entry_sha1)."""
        found = _read(conn, _TRAILER, article_id)
        if not found:
            return None
        head = tuple(found[0])
        trailer = head[0]
        recs = {r[0]: r for r in _read(conn, _RECORDS, article_id)}
        rows = _read(conn, _SHOWN_COMMENTS, article_id)
        rows.sort(key=_POSITION)
        d: dict[str, Any] = {"format": FORMAT, "trailer": trailer}
        for kind, part in zip(RECORD_KINDS, _PARTS):
            _, record_id, stamp, flag, content, verbatim_text, verbatim_sha1 = recs[kind]
            p = json.loads(content)
            p["record"] = {"id": record_id, "stamp": stamp, "flag": flag}
            if verbatim_text is not None:
                p["verbatim"] = {"text": verbatim_text, "canonical_sha1": verbatim_sha1}
            d[part] = p
        try:
            # the comments straight from the rows (columns in comment_from_row's order)
            comments_ = tuple([comment_from_row(*r) for r in rows])
            return entry_from_dict(d, comments_), head
        except ValueError as e:  # e.g. a vote stored by an older matome beyond today's range
            raise StoreError(f"article {article_id} in the archive cannot be read: {e}") from None

    def read_article(self, article_id: int) -> tuple[Entry, Digest | None, list[VotePoint]] | None:
        """What an article page shows, read in one connection: the entry, its digest (None if
        not digested) and its vote history (empty when it was observed only once); None when
        there is no such article."""
        found = self.read_article_stamped(article_id)
        return None if found is None else found[:3]

    def read_article_stamped(self, article_id: int) -> tuple[Entry, Digest | None, list[VotePoint], tuple] | None:
        """:meth:`read_article` and, read in the same transaction, what changes whenever
        any of it changes: the article's ``updated_at`` and ``entry_sha1``, and the digest's
        ``engine``, ``settings``, ``computed_at`` and ``entry_sha1`` (None without a digest)
        — the fields of :func:`matome.web.pagecache.page_version`."""
        if not _valid_id(article_id):
            return None
        with self.engine.connect() as conn:
            found = self._read_entry_row(conn, article_id)
            if found is None:
                return None
            entry, (_, first_seen_at, updated_at, entry_sha1) = found
            raw, *digest_stamp = next(iter(_read(conn, _DIGEST, article_id)), (None, None, None, None, None))
            # snapshots are written with the article (added or updated, ``updated_at``): an
            # article never updated has them all from one time, and no history
            history = []
            if updated_at != first_seen_at and len(_read(conn, _TWO_TIMES, article_id)) > 1:
                history = [VotePoint(*r) for r in _read(conn, _HISTORY, article_id)]
        digest = digest_engine.load(raw) if raw is not None else None
        return entry, digest, history, (updated_at, entry_sha1, *digest_stamp)

    def iter_entries(self) -> Iterator[tuple[int, Entry]]:
        with self.engine.connect() as conn:
            ids = conn.execute(select(articles.c.id).order_by(articles.c.id)).scalars().all()
        for aid in ids:
            entry = self.get_entry(aid)
            if entry is not None:
                yield aid, entry

    def get_digest_record(self, article_id: int) -> dict[str, Any] | None:
        """The stored digest row: engine, settings (dict), digest (dict), entry_sha1, computed_at."""
        if not _valid_id(article_id):
            return None
        with self.engine.connect() as conn:
            r = conn.execute(select(digests).where(digests.c.article_id == article_id)).first()
        if r is None:
            return None
        return {"engine": r.engine, "settings": json.loads(r.settings), "digest": json.loads(r.digest),
                "entry_sha1": r.entry_sha1, "computed_at": r.computed_at}

    def get_digest(self, article_id: int) -> Digest | None:
        if not _valid_id(article_id):
            return None
        with self.engine.connect() as conn:
            raw = conn.execute(select(digests.c.digest).where(digests.c.article_id == article_id)).scalar()
        return digest_engine.load(raw) if raw is not None else None

    def vote_history(self, article_id: int) -> list[VotePoint]:
        """Every vote snapshot of the article's comments, by comment position then time."""
        if not _valid_id(article_id):
            return []
        with self.engine.connect() as conn:
            return self._vote_history(conn, article_id)

    @staticmethod
    def _vote_history(conn, article_id: int) -> list[VotePoint]:
        q = (
            select(vote_snapshots.c.observed_at, comments.c.key, comments.c.position, vote_snapshots.c.up,
                   vote_snapshots.c.down)
            .select_from(vote_snapshots.join(comments, comments.c.id == vote_snapshots.c.comment_id))
            .where(comments.c.article_id == article_id)
            .order_by(comments.c.position.is_(None), comments.c.position, comments.c.id, vote_snapshots.c.observed_at,
                      vote_snapshots.c.id)
        )
        return [VotePoint(*r) for r in conn.execute(q)]

    def search(self, query: str, **filters) -> list[SearchHit]:
        """Hits for ``query`` (see :func:`matome.store.search.search`); the search index is
        first brought up to date when rows wait to be indexed. PostgreSQL: the index
        watermarks are read on the search's own connection and, when nothing waits to be
        indexed (the usual case), handed to the search, which then need not read them again."""
        if self.dialect == "postgresql":
            from matome.store import pg_grams
            from matome.store.search import PG_GIVEN_STATE

            with self.engine.connect() as conn:
                state = pg_grams.state(conn)
                if not any(top > low for low, top in state.values()):
                    conn.info[PG_GIVEN_STATE] = state
                    return _search(conn, query, **filters)
            # (the connection given back first: indexing takes another one from the pool)
        elif self.dialect == "sqlite":
            from matome.store import fts

            with self.engine.connect() as conn:
                if not fts.behind(conn):
                    return _search(conn, query, **filters)
        self._ensure_index()
        with self.engine.connect() as conn:
            return _search(conn, query, **filters)

    def search_articles(self, query: str, **filters) -> SearchPage:
        """One result per matching article with its best snippets, the total and a page
        (see :func:`matome.store.search.search_articles`). SQLite: whether rows wait to be
        indexed is asked on the search's own connection; only then is the index brought up
        to date first (on another one)."""
        if self.dialect == "sqlite":
            from matome.store import fts

            with self.engine.connect() as conn:
                if not fts.behind(conn):
                    return _search_articles(conn, query, **filters)
        self._ensure_index()
        with self.engine.connect() as conn:
            return _search_articles(conn, query, **filters)

    def _ensure_index(self) -> None:
        if self.dialect == "postgresql":
            from matome.store import pg_grams

            try:
                self.build_search_index(lock_timeout_ms=pg_grams.LOCK_TIMEOUT_MS)
            except DBAPIError:
                pass  # a role that cannot write, ingests holding the tables: the search scans the tail
            return
        if self.dialect != "sqlite":
            return
        try:
            self.build_search_index()
        except OperationalError as e:
            # a read-only file or a writer holding the lock too long: search still works,
            # scanning the rows above the watermark
            if not _transient(e) and "readonly" not in str(e.orig).lower().replace("-", ""):
                raise

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class _InFlight:
    future: Future
    batch: list
    keys: set
    outcome: list


class _Pipeline:
    """PostgreSQL ingest in two overlapping stages on two connections: while batch k's rows
    are written with COPY and committed (server work, in a thread), batch k+1 is merged on
    the other connection (client work). Each batch is still one transaction with one
    savepoint per article; outcomes are recorded in the order of the batches. A batch
    whose COPY fails, or whose merge meets a transient conflict, is written again the
    plain way (:meth:`Store._write_batch`); a batch that shares an article with the batch
    in flight waits for it."""

    def __init__(self, store: "Store", report: IngestReport, progress: Progress | None, observed_at: str | None):
        self.store, self.report, self.progress, self.observed_at = store, report, progress, observed_at
        self.conns = [store.engine.connect(), store.engine.connect()]
        self.inflight: list[_InFlight | None] = [None, None]
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="matome-copy")
        self.k = 0

    def submit(self, batch: list) -> None:
        i = self.k % 2
        self.k += 1
        self._finish(i)  # batch k-2: older than the one on the other connection
        other = self.inflight[1 - i]
        keys = {entry.key for entry, *_ in batch}
        if other is not None and keys & other.keys:
            self._finish(1 - i)
        conn = self.conns[i]
        trans = conn.begin()
        try:
            outcome, pending = self.store._merge_batch(conn, batch, self.observed_at or utc_now(), True)
        except (OperationalError, _StagedWriteFailed):
            trans.rollback()
            self._finish(1 - i)  # keep the order of the report
            self.store._write_batch(conn, batch, self.report, self.progress, self.observed_at)
            return
        except BaseException:
            trans.rollback()
            raise
        self.inflight[i] = _InFlight(self.pool.submit(_commit, trans, conn, pending), batch, keys, outcome)

    def _finish(self, i: int) -> None:
        done, self.inflight[i] = self.inflight[i], None
        if done is None:
            return
        if done.future.result() is None:
            self.store._record(done.batch, done.outcome, self.report, self.progress)
        else:  # rolled back: again, the plain way
            self.store._write_batch(self.conns[i], done.batch, self.report, self.progress, self.observed_at)

    def close(self) -> None:
        try:
            self._finish(self.k % 2)
            self._finish((self.k + 1) % 2)
        finally:
            self.pool.shutdown(wait=True)
            for conn in self.conns:
                conn.close()


def _commit(trans, conn, pending: Staged) -> Exception | None:
    """Write a merged batch's staged rows and commit; on failure roll back and say why."""
    try:
        if pending:
            write_staged(conn, pending)
        trans.commit()
        return None
    except Exception as e:  # noqa: BLE001 - the batch is written again the plain way
        try:
            trans.rollback()
        except Exception:  # noqa: BLE001 - a broken connection: the pool replaces it
            pass
        return e


def _valid_id(article_id: int) -> bool:
    """Whether an id can name an article at all: ids beyond the databases' integer range
    would make SQLite raise OverflowError and PostgreSQL NumericValueOutOfRange."""
    return isinstance(article_id, int) and 1 <= article_id <= DB_INT_MAX


def _failure(where: str, message: str):
    from matome.store.ingest import IngestFailure

    return IngestFailure(where, message)


def _transient(e: OperationalError) -> bool:
    msg = str(e.orig).lower()
    return "locked" in msg or "busy" in msg or "deadlock" in msg or "could not serialize" in msg


def _db_message(e: Exception) -> str:
    if isinstance(e, DBAPIError) and e.orig is not None:
        return f"database error: {str(e.orig).strip().splitlines()[0]}"
    if isinstance(e, ValueError):
        return str(e)
    return f"{type(e).__name__}: {e}"


def open_store(url: str | None = None, *, migrate: bool = True, create: bool = True, read_only: bool = False) -> Store:
    """Open the archive at ``url``: a SQLAlchemy URL or a plain path; None reads
    ``$MATOME_DB``, else ``./matome.db``.

    ``create`` (ingest) makes a new archive where there is none and brings an older one up
    to date (``migrate``). Without it, a missing SQLite file or a database without the
    archive's tables is refused (:class:`StoreError`): a mistyped ``--db`` is not silently
    an empty archive. ``read_only`` (search, export, report, serve): a SQLite file that this
    process cannot write is opened read-only instead of failing."""
    resolved = resolve_url(url)
    shown = make_url(resolved).render_as_string(hide_password=True)
    path = sqlite_file(resolved)
    if path is not None and path.is_dir():
        raise StoreError(f"cannot open the archive {path}: it is a directory (give the database file)")
    if path is not None and not create and not path.exists():
        raise StoreError(f"no archive at {path} (check --db or $MATOME_DB; 'matome ingest --db {path} FILE' creates one)")
    locked = read_only and path is not None and not writable(path)
    engine = make_engine(resolved, read_only=locked)
    for attempt in range(OPEN_RETRIES):
        try:
            revision = None if create else current_revision(engine)
            if not create and revision is None:
                raise StoreError(f"{shown} is not a matome archive (no archive tables; 'matome ingest' creates them)")
            if locked and revision != head_revision():
                raise StoreError(f"the read-only archive {shown} needs an upgrade for this matome: "
                                 "run 'matome redigest' on a writable copy")
            if migrate and not locked:
                upgrade(engine)
            return Store(engine, resolved)
        except OperationalError as e:
            # two processes opening a new SQLite file at once: switching it to WAL is not
            # covered by the busy timeout and can report "database is locked" at once
            if attempt + 1 < OPEN_RETRIES and _transient(e):
                engine.dispose()
                _time.sleep(0.05 * 2**attempt)
                continue
            engine.dispose()
            raise StoreError(f"cannot open the archive {shown}: {_db_message(e)}") from None
        except SQLAlchemyError as e:
            engine.dispose()
            raise StoreError(f"cannot open the archive {shown}: {_db_message(e)}") from None
        except StoreError:
            engine.dispose()
            raise
    raise AssertionError("unreachable")  # the loop returns or raises
