"""Where the archive lives: a SQLAlchemy URL or a plain path, and the engine for it.

SQLite (the default, ``./matome.db``) runs in WAL mode with a busy timeout and foreign keys
on; write transactions start with ``BEGIN IMMEDIATE`` so that concurrent writers wait for
each other instead of failing. PostgreSQL URLs use psycopg 3.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import QueuePool

from matome.store import grams

DEFAULT_PATH = "matome.db"
ENV_VAR = "MATOME_DB"
#: Seconds a SQLite writer waits for another one before giving up.
BUSY_TIMEOUT = 60.0
#: SQLite memory-mapped I/O and page cache per connection.
MMAP_SIZE = 1 << 30
CACHE_KIB = 64 * 1024


class StoreURLError(ValueError):
    """A ``--db`` value that is neither a supported URL nor a usable path."""


def resolve_url(db: str | os.PathLike | None = None) -> str:
    """``--db`` (URL or plain path), else ``$MATOME_DB``, else ``./matome.db`` → a SQLAlchemy URL."""
    value = os.fspath(db) if db else (os.environ.get(ENV_VAR) or DEFAULT_PATH)
    if "://" not in value:
        return "sqlite:///" + str(Path(value).expanduser().resolve())
    try:
        url = make_url(value)
    except ArgumentError as e:
        raise StoreURLError(f"not a database URL: {value!r} ({e})") from None
    if url.drivername.split("+")[0] == "postgres":  # the scheme libpq and many hosts write
        url = url.set(drivername="postgresql" + url.drivername[len("postgres"):])
    backend = url.get_backend_name()
    if backend == "postgresql":
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        elif url.drivername != "postgresql+psycopg":
            raise StoreURLError(f"unsupported PostgreSQL driver {url.drivername!r}: use postgresql://… (psycopg 3)")
    elif backend == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise StoreURLError("an in-memory SQLite database cannot hold an archive: give a file path")
    else:
        raise StoreURLError(f"unsupported database {backend!r}: use a SQLite path/URL or postgresql://…")
    return url.render_as_string(hide_password=False)


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL, None for other databases."""
    u = make_url(url)
    return Path(u.database) if u.get_backend_name() == "sqlite" and u.database else None


def writable(path: Path) -> bool:
    """Whether SQLite can write the database file and create its -wal/-shm files beside it."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def _sqlite_engine(url: str, read_only: bool = False) -> Engine:
    path = make_url(url).database
    if path:
        parent = Path(path).parent
        if not parent.exists():
            raise StoreURLError(f"the directory of the database does not exist: {parent}")
    if read_only:
        # A file we cannot write (or whose directory we cannot write): open it read-only; when
        # no -wal file waits to be checkpointed, as immutable, which needs no -shm file either.
        uri = Path(path).resolve().as_uri() + "?mode=ro"
        if not Path(path + "-wal").exists():
            uri += "&immutable=1"

        def connect():
            return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, check_same_thread=False)

        engine = create_engine("sqlite://", creator=connect, poolclass=QueuePool)
    else:
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised via every test
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see _on_begin)
        cur = dbapi_connection.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        if not read_only:
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        # reads through mmap and a larger page cache: search over a big archive touches many
        # scattered rows (measured 3-5x faster than the 2 MB default cache)
        cur.execute(f"PRAGMA mmap_size = {MMAP_SIZE}")
        cur.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        cur.close()
        grams.register(dbapi_connection)  # matome_grams(): the search index terms

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """The engine for a resolved URL; ``read_only`` (SQLite) opens the file without writing."""
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, read_only)
    return create_engine(url, pool_pre_ping=True)
