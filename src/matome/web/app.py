"""The web app: ``create_app(store, token=None)`` → a FastAPI application.

Pages: ``/`` (latest, most commented, most divided, search box), ``/articles/{id}``,
``/search``; the JSON API under ``/api`` with its OpenAPI document at ``/openapi.json``.
Read-only unless a token is given, which enables ``POST /api/ingest`` for bearers of it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import threading

import anyio
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from matome.model import DB_INT_MAX
from matome.web import assets, data
from matome.web.api import make_router
from matome.web.cache import TTLCache
from matome.web.pagecache import (ArticlePages, Generation, InlineRenders, Page, PageFile,
                                   render_version, version_etag, version_of)
from matome.web.fragments import search_hits
from matome.web.render import normalize_sort, render, render_article
from matome.web.security import SECURITY_HEADERS

_HEADERS = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()]


class SecurityHeaders:
    """Pure ASGI middleware adding the security headers to every HTTP response."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {k for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in _HEADERS if h[0] not in names]
            await send(message)

        return await self.app(scope, receive, send_with_headers)


#: The environment variable naming the page file of ``matome serve --workers N``'s workers.
PAGE_FILE_ENV = "MATOME_PAGE_FILE"

_PAGE_HEADERS = [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-cache")]


class MatomeApp(FastAPI):
    """The FastAPI app with one short path in front of it: ``GET /articles/{id}`` without
    parameters is answered without routing or middleware (the same bytes and headers as the
    route sends): the page kept for the article's current version as it is, without a worker
    thread; a page not kept yet rendered (and kept) on the event loop when it is small
    (:class:`matome.web.pagecache.InlineRenders`), else in one of the page threads. Anything
    else (parameters, unknown ids, errors) goes to the routes."""

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("query_string"):
            path = scope["path"]
            digits = path[10:] if path.startswith("/articles/") else ""
            if digits.isascii() and digits.isdigit() and len(digits) <= 18 and 1 <= int(digits) <= DB_INT_MAX:
                page = await self._default_page(int(digits))
                if page is not None:
                    return await _send_page(page, scope, send)
        await super().__call__(scope, receive, send)

    async def _default_page(self, article_id: int) -> Page | None:
        """The kept page, else the page rendered now (and kept) in a worker thread; None (the
        route answers: a 404, an error page) when there is no such article or reading fails."""
        state: AppState = self.state.matome
        try:
            known = None
            if state.pages.enabled:
                if state.sqlite:  # a look-up on a local file (usually none at all: the generation)
                    known = state.pages.current(article_id)
                else:
                    known = await anyio.to_thread.run_sync(state.pages.current, article_id)
                if known[1] is not None:
                    return known[1]
                if known[0] is None:
                    return None  # no such article
            if state.inline.small(article_id):
                return state.default_page(article_id, known)  # on the loop: see InlineRenders
            return await anyio.to_thread.run_sync(state.default_page, article_id, known, limiter=state.page_threads)
        except Exception:  # noqa: BLE001 - the route answers (or reports) instead
            return None


async def _send_page(page: Page, scope, send) -> None:
    known = b""
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            known = value
            break
    tags = etags_of(known.decode("latin-1")) if known else set()
    etag = (b"etag", page.etag.encode("latin-1"))
    if page.etag in tags or "*" in tags:
        headers = [etag, (b"cache-control", b"no-cache"), *_HEADERS]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    headers = [(b"content-length", str(len(page.body)).encode()), *_PAGE_HEADERS, etag, *_HEADERS]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": page.body})


class AppState:
    """The store and the caches: rendered article pages (by version, :mod:`pagecache`),
    article data, the home page and search results."""

    def __init__(self, store: Any, cache_size: int, cache_ttl: float, page_threads: int = 2,
                 page_file: PageFile | None = None, search_threads: int | None = None):
        self.store = store
        self.sqlite = store.dialect == "sqlite"
        if search_threads is None:
            search_threads = 1 if self.sqlite else 2
        cached = cache_size > 0 or page_file is not None
        self.generation = Generation(store) if cached else None
        # Views are large graphs of dicts: a few only (many would make every GC pass slower);
        # rendered pages are bytes and cost the collector nothing.
        self.views = TTLCache(min(cache_size, 16), cache_ttl)
        self.pages = ArticlePages(store, cache_size, page_file, self.generation)
        self.inline = InlineRenders(store)
        self.home = TTLCache(1, min(cache_ttl, 5.0))
        # search results by query and archive generation; without a generation (PostgreSQL)
        # a result is reused for a few seconds only
        self.searches = TTLCache(cache_size, cache_ttl if self.generation and self.generation.current() is not None
                                 else min(cache_ttl, SEARCH_TTL))
        # Page threads render the pages the event loop does not (pagecache.InlineRenders):
        # two, so that one renders while the other waits on the database (the page file is
        # written by a thread of its own). Searches are CPU work under the GIL: on SQLite (local reads that take
        # microseconds) one at a time, as two at once only trade the GIL at every row SQLite
        # steps through (measured: a search not kept cost about a fifth more CPU with two
        # search threads than with one, at the same rate); other databases wait on the
        # network while reading: two, one working while the other waits.
        self.page_threads = anyio.CapacityLimiter(page_threads)
        self.search_threads = anyio.CapacityLimiter(search_threads)
        #: ``default_page(article_id, known=None) -> Page | None``, set by create_app
        self.default_page: Any = None
        self._lock = threading.Lock()

    @staticmethod
    def _search_key(query: str, filters: dict[str, Any]) -> tuple:
        filters = {k: v for k, v in filters.items() if v not in (None, "") and not (k == "min_up" and v == 0)}
        return query, tuple(sorted(filters.items()))

    def cached_search(self, query: str, **filters: Any) -> dict[str, Any] | None:
        """The kept result of this search while the archive is unchanged, else None."""
        hit = self.searches.get(self._search_key(query, filters))
        return hit[1] if hit is not None and hit[0] == self._generation() else None

    async def search_async(self, query: str, **filters: Any) -> dict[str, Any]:
        """:meth:`search` from the event loop: a kept result at once, else in one of a few
        search threads (searches are CPU work: many at once on few cores only trade the GIL
        and the database connections, making each one dearer)."""
        hit = self.cached_search(query, **filters)
        if hit is not None:
            return hit
        return await anyio.to_thread.run_sync(functools.partial(self.search, query, **filters),
                                              limiter=self.search_threads)

    def search(self, query: str, **filters: Any) -> dict[str, Any]:
        """``data.search_articles``, answered from the cache while the archive is unchanged."""
        key = self._search_key(query, filters)
        filters = dict(key[1])
        hit = self.searches.get(key)
        if hit is not None and hit[0] == self._generation():
            return hit[1]
        if self.sqlite and self.searches.maxsize > 0:
            # the search index catches up first (a write): the generation read next then
            # stays the same until someone else writes
            try:
                self.store.build_search_index()
            except OperationalError:
                pass  # read-only or busy: the search scans what is not indexed yet
        gen = self._generation()
        found = data.search_articles(self.store, query, **filters)
        self.searches.put(key, (gen, found))
        return found

    def _generation(self) -> int | None:
        return self.generation.current() if self.generation is not None else None

    def invalidate(self) -> None:
        with self._lock:
            self.views.clear()
            self.pages.clear()
            self.home.clear()
            self.searches.clear()


#: Seconds a search result is reused when the archive cannot tell whether it changed.
SEARCH_TTL = 5.0


def _parse_group(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


def _parse_page(value: str | None) -> int:
    """A 1-based page number; anything else (or absurdly large) is page 1 (clamped later)."""
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) <= 9 and int(value) > 0 else 1


def create_app(store: Any, *, token: str | None = None, cache_size: int = 256, cache_ttl: float = 30.0,
               page_file: str | os.PathLike | None = None) -> FastAPI:
    """The app over an open :class:`matome.store.Store`.

    ``token`` enables the upload endpoint (``POST /api/ingest``) for requests carrying
    ``Authorization: Bearer <token>``; without it the app has no write endpoint at all.
    Article pages are rendered once per version of the article and kept (``cache_size``
    pages in memory, every page in ``page_file`` when given; see :mod:`matome.web.pagecache`);
    article data and search results are cached while the archive is unchanged (at most
    ``cache_ttl`` seconds). ``cache_size=0`` and no ``page_file``: nothing is cached.
    """
    @contextlib.asynccontextmanager
    async def lifespan(app: MatomeApp):
        yield
        # at shutdown: the pages still queued are written to the page file
        if app.state.matome.pages.file is not None:
            await anyio.to_thread.run_sync(app.state.matome.pages.file.close)

    app = MatomeApp(
        lifespan=lifespan,
        title="matome",
        description="日本語ニュース記事と読者コメントのまとめ (要約・意見グループ・▲/▼ の集計) を読むための API。",
        version="1",
        docs_url=None,  # the interactive docs load scripts from a CDN: not served
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    state = AppState(store, cache_size, cache_ttl, page_file=PageFile(page_file) if page_file else None)
    render_version()  # hashed once now, not during the first request
    app.state.matome = state

    def get_view(article_id: int, version: str | None = None) -> dict[str, Any] | None:
        if not 1 <= article_id <= DB_INT_MAX:  # no such id in either database
            return None
        if state.views.maxsize <= 0:
            return data.article_view(state.store, article_id)
        if version is None:
            version = state.pages.version(article_id)
            if version is None:
                return None
        view = state.views.get((article_id, version))
        if view is None:
            view = data.article_view(state.store, article_id)
            if view is not None:
                state.views.put((article_id, version), view)
        return view

    def html(text: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(text, status_code=status, headers={"Cache-Control": "no-cache"})

    def error_page(status: int, heading: str, message: str) -> HTMLResponse:
        return html(render("error.html", heading=heading, message=message), status)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> HTMLResponse:
        page = state.home.get("home")
        if page is None:
            sections = data.home_sections(state.store, limit=10)
            page = render("home.html", sections=sections, total=state.store.count_articles())
            state.home.put("home", page)
        return html(page)

    def default_page(article_id: int, known: tuple | None = None) -> Page | None:
        """The article page without parameters: the one rendered for the article's current
        version, else rendered now (and kept). ``known``: ``state.pages.current(article_id)``
        when it was just read."""
        if not state.pages.enabled:
            view = data.article_view(state.store, article_id)
            if view is None:
                return None
            body = render_article(view).encode("utf-8")
            version = version_of(view["stamp"]) if view["stamp"] is not None else ""
            return Page(version, version_etag(version) if version else page_etag(body), body, None)
        version, page, gen = known or state.pages.current(article_id)
        if version is None:
            return None
        if page is None:
            view = get_view(article_id, version)
            if view is None:
                return None
            body = render_article(view).encode("utf-8")
            if view["stamp"] is not None:
                # the version of the data this page was made from: the same as ``version``
                # unless the article was written to in between (then the newer one)
                version = version_of(view["stamp"])
                etag = version_etag(version)
            else:
                etag = page_etag(body)
            page = state.pages.keep(article_id, version, etag, body, gen)
        return page

    state.default_page = default_page

    def other_page(article_id: int, sort_key: str, group_id: int | None, number: int) -> Page | None:
        view = get_view(article_id)
        if view is None:
            return None
        body = render_article(view, sort_key, group_id, number).encode("utf-8")
        return Page("", page_etag(body), body, None)

    @app.get("/articles/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    async def article_page(article_id: int, request: Request, sort: str | None = None, group: str | None = None,
                           page: str | None = None) -> Response:
        sort_key, group_id, number = normalize_sort(sort), _parse_group(group), _parse_page(page)
        if not 1 <= article_id <= DB_INT_MAX:
            return error_page(404, "記事が見つかりません", f"記事 {article_id} はアーカイブにありません。")
        # A few worker threads, not one per request: SQLite reads release the GIL, while
        # many threads rendering at once only trade the GIL and stretch every request.
        if sort_key == "recommended" and group_id is None and number == 1:
            found = await anyio.to_thread.run_sync(default_page, article_id, limiter=state.page_threads)
        else:
            found = await anyio.to_thread.run_sync(other_page, article_id, sort_key, group_id, number,
                                                   limiter=state.page_threads)
        if found is None:
            return error_page(404, "記事が見つかりません", f"記事 {article_id} はアーカイブにありません。")
        # the page's own hash: a reader who has these bytes gets a 304 without them
        known = etags_of(request.headers.get("if-none-match", ""))
        if found.etag in known or "*" in known:
            return Response(status_code=304, headers={"ETag": found.etag, "Cache-Control": "no-cache"})
        return HTMLResponse(found.body, headers={"ETag": found.etag, "Cache-Control": "no-cache"})

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    async def search_page(
        q: str = Query("", max_length=200),
        source: str = Query("", max_length=100),
        since: str = "",
        until: str = "",
        min_up: str = "",
        offset: int = Query(0, ge=0, le=10_000),
    ) -> HTMLResponse:
        from matome.store import SearchQueryError

        limit = 20
        q = q.strip()
        filters = {"source": source.strip() or None, "since": since or None, "until": until or None,
                   "min_up": int(min_up) if min_up.strip().isdigit() and int(min_up) <= DB_INT_MAX else None}
        found: dict[str, Any] = {"total": 0, "total_exact": True, "more": False, "results": []}
        error = None
        if q:
            try:
                found = await state.search_async(q, limit=limit, offset=offset,
                                                 **{k: v for k, v in filters.items() if v is not None})
            except SearchQueryError as e:
                error = f"検索条件を確認してください: {e}"
        base = {"q": q, **{k: v for k, v in filters.items() if v is not None}}
        total, results, exact = found["total"], found["results"], found.get("total_exact", True)
        return html(
            render(
                "search.html", q=q, filters=filters, results=results, hits_html=search_hits(results), total=total,
                total_exact=exact, error=error, offset=offset, limit=limit,
                prev_href=("/search?" + urlencode({**base, "offset": max(0, offset - limit)})) if offset > 0 else None,
                next_href=("/search?" + urlencode({**base, "offset": offset + limit}))
                if found.get("more") else None,
            ),
            400 if error else 200,
        )

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str, request: Request) -> Response:
        item = assets.asset(name)
        if item is None:
            return Response("not found", status_code=404, media_type="text/plain")
        headers = {"ETag": item.etag, "Cache-Control": "public, max-age=3600", "Vary": "Accept-Encoding"}
        if request.headers.get("if-none-match") == item.etag:
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(item.gzipped, media_type=item.media_type, headers=headers)
        return Response(item.body, media_type=item.media_type, headers=headers)

    app.include_router(make_router(state, get_view, token))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api") or request.url.path == "/openapi.json":
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        if exc.status_code == 404:
            return error_page(404, "ページが見つかりません", "アドレスを確かめてください。")
        return error_page(exc.status_code, "エラー", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)
        return error_page(400, "リクエストが正しくありません", "アドレスの値を確かめてください。")

    app.add_middleware(SecurityHeaders)
    return app


def app_from_environment() -> FastAPI:
    """An app over ``$MATOME_DB`` (token ``$MATOME_WEB_TOKEN``): the factory that each
    worker process calls when ``matome serve --workers N`` runs more than one."""
    import os

    from matome.store import open_store

    token = os.environ.get("MATOME_WEB_TOKEN") or None
    store = open_store(os.environ.get("MATOME_DB") or None, create=False, read_only=token is None)
    return create_app(store, token=token, page_file=os.environ.get(PAGE_FILE_ENV) or None)


def page_etag(body: bytes) -> str:
    """A strong ETag for a rendered page: the SHA-1 of its bytes (about 0.1 ms for 200 kB)."""
    return '"' + hashlib.sha1(body).hexdigest() + '"'


def etags_of(header: str) -> set[str]:
    """The entity tags an If-None-Match header lists (weak ones compared by their tag, as
    RFC 9110 asks for GET); ``*`` matches any."""
    return {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}
