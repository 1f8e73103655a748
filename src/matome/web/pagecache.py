"""Rendered article pages, kept per version: rendered once, then served as bytes.

An article page changes only when its article changes (a new fetch: ``updated_at`` and
``entry_sha1``), when its digest is written again (``engine``, ``settings``, ``computed_at``)
or when matome itself changes (templates, code: :func:`render_version`). Times are written
with microseconds by every writer (ingest, redigest, batch), so two writes of one article do
not share them. Those values, read with one primary-key look-up (:func:`page_version`), are
the page's *version*; a page rendered for a version is kept with its ETag

- in memory (the most recently served pages, as bytes), and
- in a page file (:class:`PageFile`, SQLite, optional): every page rendered, compressed
  (Zstandard level 1) and written by a thread of the file's own, shared by the worker
  processes and kept across restarts,

and served from there as long as the version is the same. A page is never served for
another version: the version is read before the page is rendered and checked before it is
served. On SQLite, :class:`Generation` (``PRAGMA data_version``) tells at almost no cost
that nothing was written to the archive since a page was last checked, so most requests
skip even the look-up.
"""

from __future__ import annotations

import hashlib
import os
import queue
import sqlite3
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import zstandard
from sqlalchemy import text

from matome.store.engine import sqlite_file
from matome.web.cache import TTLCache

_VERSION_QUERY = ("SELECT a.updated_at, a.entry_sha1, d.engine, d.settings, d.computed_at, d.entry_sha1 "
                  "FROM articles a LEFT JOIN digests d ON d.article_id = a.id WHERE a.id = ?")
_VERSION_SQL = text(_VERSION_QUERY.replace("?", ":id"))


@lru_cache(maxsize=1)
def render_version() -> str:
    """A hash of matome's code, templates and static files: pages rendered by another
    version of matome are not served."""
    import matome

    root = Path(matome.__file__).resolve().parent
    h = hashlib.sha1(matome.__version__.encode())
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".html", ".css", ".js") and path.is_file():
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def page_version(store: Any, article_id: int) -> str | None:
    """The version of an article's page (None: no such article)."""
    with store.engine.connect() as conn:
        row = conn.execute(_VERSION_SQL, {"id": article_id}).first()
    if row is None:
        return None
    return version_of(tuple(row))


def version_of(stamp: tuple) -> str:
    """The version for the values :data:`_VERSION_SQL` reads (as
    :meth:`matome.store.Store.read_article_stamped` reads them with the page's data)."""
    return "|".join([render_version(), *("" if v is None else str(v) for v in stamp)])


def version_etag(version: str) -> str:
    """The ETag of the page rendered for ``version``: a hash of the version, not of the
    page's bytes (hashing 100 kB costs more than the rest of a page's bookkeeping). It is a
    strong tag: one version is one set of data rendered by one build of matome, which gives
    the same bytes every time."""
    return '"v' + hashlib.sha1(version.encode("utf-8")).hexdigest() + '"'


class Generation:
    """Whether anything was written to a SQLite archive since the last look: ``PRAGMA
    data_version`` on a connection of its own (it changes when another connection commits).
    ``current()`` is None when that cannot be told (other databases): check every time."""

    def __init__(self, store: Any):
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        path = sqlite_file(store.url) if store.dialect == "sqlite" else None
        if path is None:
            return
        try:
            conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False,
                                   isolation_level=None)
            conn.execute("PRAGMA data_version").fetchone()
            self._conn = conn
        except sqlite3.Error:
            self._conn = None

    def current(self) -> int | None:
        if self._conn is None:
            return None
        with self._lock:
            try:
                return self._conn.execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.Error:
                return None

    def stamp(self, article_id: int) -> tuple | None:
        """What :func:`page_version` reads, read on this connection (a tenth of the cost of a
        read through the store's engine): None when there is no such article.
        ``LookupError`` when it cannot be read here (no connection, an error): read it on
        the store instead."""
        if self._conn is None:
            raise LookupError("no connection of its own")
        try:
            with self._lock:
                row = self._conn.execute(_VERSION_QUERY, (article_id,)).fetchone()
        except sqlite3.Error as e:
            raise LookupError(str(e)) from None
        return None if row is None else tuple(row)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


#: Articles with at most this many comments are rendered on the event loop itself (see
#: :class:`InlineRenders`): a few milliseconds of work at most.
INLINE_MAX_COMMENTS = 200


class InlineRenders:
    """Which article pages the event loop renders itself instead of handing them to a page
    thread. A render is Python work that holds the GIL either way, and SQLite's reads of a
    local file take microseconds; in a thread it only makes the thread and the event loop
    trade the GIL back and forth (measured: about a tenth more CPU per page). So, when
    nothing in the render can wait — an archive in SQLite's WAL mode (readers never wait for
    a writer); a page file's write, which may wait for another worker's, is handed to the
    file's writer thread (:meth:`PageFile.put_later`) — an article of at most
    :data:`INLINE_MAX_COMMENTS` comments is rendered on the loop; bigger ones, and every
    page of other archives, in the page threads, so that the loop keeps answering while
    they are made. ``small(article_id)`` reads the article's comment count on a read-only
    connection of its own (False when it cannot be told: no such article, an error)."""

    def __init__(self, store: Any):
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        path = sqlite_file(store.url) if store.dialect == "sqlite" else None
        if path is None:
            return
        try:
            conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False,
                                   isolation_level=None, timeout=0)
            if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                self._conn = conn
            else:
                conn.close()
        except sqlite3.Error:
            self._conn = None

    @property
    def enabled(self) -> bool:
        return self._conn is not None

    def small(self, article_id: int) -> bool:
        if self._conn is None:
            return False
        try:
            with self._lock:
                row = self._conn.execute("SELECT comment_count FROM articles WHERE id = ?", (article_id,)).fetchone()
        except sqlite3.Error:
            return False
        return row is not None and type(row[0]) is int and row[0] <= INLINE_MAX_COMMENTS

    def close(self) -> None:
        if self._conn is not None:
            with self._lock:
                self._conn.close()
            self._conn = None


#: Zstandard level of the page file's pages. Level 1 measured on the bench's pages (95 kB of
#: HTML, a third of it Japanese text): 0.17 ms to compress and 0.11 ms to decompress a page,
#: 5.5× smaller; zlib level 1, which the file used before: 0.64 / 0.29 ms, 4.4× smaller.
PAGE_LEVEL = 1

_codecs = threading.local()  # a compressor and a decompressor per thread (they are not thread-safe)


def pack(body: bytes) -> bytes:
    """A page as the page file keeps it: one Zstandard frame (which records the size)."""
    compressor = getattr(_codecs, "compressor", None)
    if compressor is None:
        compressor = _codecs.compressor = zstandard.ZstdCompressor(level=PAGE_LEVEL)
    return compressor.compress(body)


def unpack(packed: bytes) -> bytes:
    """The page :func:`pack` was given (``zstandard.ZstdError`` for anything else)."""
    decompressor = getattr(_codecs, "decompressor", None)
    if decompressor is None:
        decompressor = _codecs.decompressor = zstandard.ZstdDecompressor()
    return decompressor.decompress(packed)


class PageFile:
    """Rendered pages on disk (a SQLite file): article id → (version, ETag, page as
    :func:`pack` makes it).

    It is a cache: any error reading or writing it is treated as a miss, and the file can be
    deleted at any time (pages are rendered again).

    :meth:`put` compresses and writes at once (it may wait up to two seconds for another
    worker's write); :meth:`put_later` hands the page to one writer thread of the file's own
    (started at the first page) through a queue of at most ``queue_size`` pages, and drops
    the page when the queue is full (it is rendered again at a later view): the event loop
    never waits for it. :meth:`flush` waits until the queued pages are written;
    :meth:`close` writes them, stops the thread and closes the file."""

    def __init__(self, path: str | os.PathLike, queue_size: int = 64):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # one connection to write (which may wait for another worker's write) and one to
        # read, so that a read (on the event loop) never waits behind a write
        self._writer = self._connect(timeout=2.0)
        self._writer.execute("PRAGMA journal_mode = WAL")
        self._writer.execute("PRAGMA synchronous = OFF")  # a cache: a lost write is a page rendered again
        self._writer.execute("CREATE TABLE IF NOT EXISTS pages (article_id INTEGER PRIMARY KEY, "
                             "version TEXT NOT NULL, etag TEXT NOT NULL, body BLOB NOT NULL)")
        self._reader = self._connect(timeout=0.5)
        self._write_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._queue: queue.Queue = queue.Queue(max(1, queue_size))
        self._thread: threading.Thread | None = None
        self._queue_lock = threading.Lock()  # queueing against closing
        self._closed = False
        #: pages not written because the queue was full (or the file closed)
        self.dropped = 0

    def _connect(self, timeout: float) -> sqlite3.Connection:
        return sqlite3.connect(str(self.path), timeout=timeout, check_same_thread=False, isolation_level=None)

    def get(self, article_id: int, version: str) -> tuple[str, bytes] | None:
        try:
            with self._read_lock:
                row = self._reader.execute("SELECT etag, body FROM pages WHERE article_id = ? AND version = ?",
                                           (article_id, version)).fetchone()
            return None if row is None else (row[0], unpack(row[1]))
        except (sqlite3.Error, zstandard.ZstdError):
            return None

    def put(self, article_id: int, version: str, etag: str, body: bytes) -> None:
        packed = pack(body)
        try:
            with self._write_lock:
                self._writer.execute("INSERT OR REPLACE INTO pages (article_id, version, etag, body) "
                                     "VALUES (?, ?, ?, ?)", (article_id, version, etag, packed))
        except sqlite3.Error:
            pass  # another worker holds the lock too long: the next view stores it

    def put_later(self, article_id: int, version: str, etag: str, body: bytes) -> bool:
        """:meth:`put` in the writer thread, without waiting: False when the page is dropped
        (the queue is full, the file closed)."""
        with self._queue_lock:
            if not self._closed:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._write_queued, name="matome page file writer",
                                                    daemon=True)
                    self._thread.start()
                try:
                    self._queue.put_nowait((article_id, version, etag, body))
                    return True
                except queue.Full:
                    pass
            self.dropped += 1
            return False

    def _write_queued(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self.put(*item)
            except Exception:  # noqa: BLE001 - a cache: a page not written is rendered again
                pass
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        """Wait until every page queued so far is written (or failed to be)."""
        if self._thread is not None:
            self._queue.join()

    def count(self) -> int:
        with self._read_lock:
            return self._reader.execute("SELECT count(*) FROM pages").fetchone()[0]

    def close(self) -> None:
        """Write the queued pages, stop the writer thread, close the file (again: nothing)."""
        with self._queue_lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)  # after every page queued (none can be queued any more)
            thread.join()
        with self._write_lock, self._read_lock:
            self._writer.close()
            self._reader.close()


@dataclass
class Page:
    """A rendered page ready to send: its bytes, ETag, and the version it was rendered for."""

    version: str
    etag: str
    body: bytes
    checked: int | None  # the archive generation at which the version was last confirmed


class ArticlePages:
    """The default view of article pages (no sort, group or page parameter), by version."""

    def __init__(self, store: Any, size: int, file: PageFile | None = None, generation: Generation | None = None):
        self.store = store
        self.memory = TTLCache(size, float("inf"))
        self.file = file
        self.generation = generation

    @property
    def enabled(self) -> bool:
        return self.memory.maxsize > 0 or self.file is not None

    def current(self, article_id: int) -> tuple[str | None, Page | None, int | None]:
        """(version, the page stored for it, generation); version None: no such article."""
        gen = self.generation.current() if self.generation is not None else None
        page = self.memory.get(article_id)
        if page is not None and gen is not None and page.checked == gen:
            return page.version, page, gen  # nothing written since it was confirmed
        version = self.version(article_id)
        if version is None:
            return None, None, gen
        if page is not None and page.version == version:
            page.checked = gen
            return version, page, gen
        if self.file is not None:
            found = self.file.get(article_id, version)
            if found is not None:
                page = Page(version, found[0], found[1], gen)
                self.memory.put(article_id, page)
                return version, page, gen
        return version, None, gen

    def version(self, article_id: int) -> str | None:
        """:func:`page_version`, on the generation's own connection when there is one."""
        if self.generation is not None:
            try:
                stamp = self.generation.stamp(article_id)
            except LookupError:
                pass
            else:
                return None if stamp is None else version_of(stamp)
        return page_version(self.store, article_id)

    def keep(self, article_id: int, version: str, etag: str, body: bytes, gen: int | None) -> Page:
        """Remember a page rendered for ``version``; ``gen``: the generation read before
        the version (and so before the page was rendered)."""
        page = Page(version, etag, body, gen)
        self.memory.put(article_id, page)
        if self.file is not None:
            self.file.put_later(article_id, version, etag, body)  # never waits: see PageFile
        return page

    def flush(self) -> None:
        """Wait until the pages kept so far are written to the page file."""
        if self.file is not None:
            self.file.flush()

    def clear(self) -> None:
        self.memory.clear()

