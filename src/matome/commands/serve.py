"""``matome serve``: the web UI and JSON API over an archive (read-only unless --token)."""

from __future__ import annotations

import ipaddress
import os
import socket
import sqlite3

import click

from matome.commands.base import IntRange
from matome.commands.common import fail, warn


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def register(app: click.Group) -> None:
    @app.command("serve")
    @click.option("--db", "db", default=None,
                  help="Archive database: a path or a SQLAlchemy URL (default $MATOME_DB or ./matome.db).")
    @click.option("--host", "host", default="127.0.0.1", help="Address to listen on (default: this machine only).")
    @click.option("--port", "port", type=IntRange(0, 65535), default=8000, help="TCP port.")
    @click.option("--workers", "workers", type=IntRange(1, 64), default=1, help="Worker processes (they share the page file).")
    @click.option("--token", "token", default=None, envvar="MATOME_WEB_TOKEN", show_envvar=True,
                  help="Enable POST /api/ingest for requests with 'Authorization: Bearer TOKEN' (also $MATOME_WEB_TOKEN).")
    @click.option("--page-cache", "page_cache", default=None, metavar="FILE",
                  help="File keeping the rendered article pages (shared by the workers, kept across restarts); "
                  "default 'none': the last pages in memory only.")
    def serve(db: str | None, host: str, port: int, workers: int, token: str | None, page_cache: str | None) -> None:
        """Serve the archive in the browser: articles, digests, opinion map, search, JSON API."""
        import uvicorn

        from matome.store import StoreError, StoreURLError, open_store
        from matome.web import create_app
        from matome.web.app import PAGE_FILE_ENV
        from matome.web.pagecache import PageFile

        if token is not None and len(token) < 12:
            fail("--token must be at least 12 characters long")
        try:
            store = open_store(db, create=False, read_only=token is None)
        except (StoreError, StoreURLError) as e:
            fail(str(e))
        try:
            sock = _listen(host, port)
        except OSError as e:
            store.close()
            fail(f"cannot listen on {host}:{port}: {e.strerror or e}")
        # a file only when asked for: serving reads the archive and leaves no file behind
        page_file = None if (page_cache or "none").lower() == "none" else page_cache
        if page_file is not None:
            try:
                PageFile(page_file).close()  # can it be made and written?
            except (OSError, sqlite3.Error) as e:
                sock.close()
                store.close()
                fail(f"cannot keep rendered pages in {page_cache}: {e}")
        if not _is_loopback(host):
            warn(f"listening on {host}: the archive is readable by anyone who can reach this address")
        bound = sock.getsockname()[1]  # the real port, also when --port 0 let the system choose
        shown_host = f"[{host}]" if ":" in host else host
        mode = "uploads enabled with the token" if token else "read-only"
        warn(f"serving {store.describe()} at http://{shown_host}:{bound}/ ({mode}); Ctrl+C stops")
        options = dict(log_level="warning", server_header=False, proxy_headers=False, access_log=False)
        try:
            if workers == 1:
                config = uvicorn.Config(create_app(store, token=token, page_file=page_file), **options)
                uvicorn.Server(config).run(sockets=[sock])
            else:
                # each worker process opens the archive itself (see app_from_environment); the
                # supervisor binds the port again, so free it first
                sock.close()
                os.environ["MATOME_DB"] = store.url
                if token:
                    os.environ["MATOME_WEB_TOKEN"] = token
                else:
                    os.environ.pop("MATOME_WEB_TOKEN", None)
                if page_file:
                    os.environ[PAGE_FILE_ENV] = page_file
                else:
                    os.environ.pop(PAGE_FILE_ENV, None)
                uvicorn.run("matome.web.app:app_from_environment", factory=True, workers=workers, host=host,
                            port=bound, **options)
        except OSError as e:
            fail(f"cannot listen on {host}:{port}: {e.strerror or e}")
        finally:
            sock.close()
            store.close()


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (IPv4 or IPv6 by the address)."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock
