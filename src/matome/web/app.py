"""The web app: ``create_app(store, token=None)`` → a FastAPI application.

Pages: ``/`` (latest, most commented, most divided, search box), ``/articles/{id}``,
``/search``; the JSON API under ``/api`` with its OpenAPI document at ``/openapi.json``.
Read-only unless a token is given, which enables ``POST /api/ingest`` for bearers of it.
"""

from __future__ import annotations

import hashlib
import threading

import anyio
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from matome.model import DB_INT_MAX
from matome.web import assets, data
from matome.web.api import make_router
from matome.web.cache import TTLCache
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


class AppState:
    """The store and the caches of rendered article data (cleared on ingest)."""

    def __init__(self, store: Any, cache_size: int, cache_ttl: float, page_threads: int = 2):
        self.store = store
        # Views are large graphs of dicts: a few only (many would make every GC pass slower);
        # rendered pages are plain strings and cost the collector nothing.
        self.views = TTLCache(min(cache_size, 16), cache_ttl)
        self.pages = TTLCache(cache_size, cache_ttl)
        self.home = TTLCache(1, min(cache_ttl, 5.0))
        self.page_threads = anyio.CapacityLimiter(page_threads)
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self.views.clear()
            self.pages.clear()
            self.home.clear()


def _parse_group(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


def _parse_page(value: str | None) -> int:
    """A 1-based page number; anything else (or absurdly large) is page 1 (clamped later)."""
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) <= 9 and int(value) > 0 else 1


def create_app(store: Any, *, token: str | None = None, cache_size: int = 256, cache_ttl: float = 30.0) -> FastAPI:
    """The app over an open :class:`matome.store.Store`.

    ``token`` enables the upload endpoint (``POST /api/ingest``) for requests carrying
    ``Authorization: Bearer <token>``; without it the app has no write endpoint at all.
    Rendered article data is cached for ``cache_ttl`` seconds (``cache_size`` articles).
    """
    app = FastAPI(
        title="matome",
        description="日本語ニュース記事と読者コメントのまとめ (要約・意見グループ・▲/▼ の集計) を読むための API。",
        version="1",
        docs_url=None,  # the interactive docs load scripts from a CDN: not served
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    state = AppState(store, cache_size, cache_ttl)
    app.state.matome = state

    def get_view(article_id: int) -> dict[str, Any] | None:
        if not 1 <= article_id <= DB_INT_MAX:  # no such id in either database
            return None
        view = state.views.get(article_id)
        if view is None:
            view = data.article_view(state.store, article_id)
            if view is not None:
                state.views.put(article_id, view)
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

    def build_page(article_id: int, sort_key: str, group_id: int | None, number: int) -> str | None:
        view = get_view(article_id)
        if view is None:
            return None
        page = render_article(view, sort_key, group_id, number)
        if sort_key == "recommended" and group_id is None and number == 1:
            state.pages.put(article_id, page)
        return page

    @app.get("/articles/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    async def article_page(article_id: int, request: Request, sort: str | None = None, group: str | None = None,
                           page: str | None = None) -> Response:
        sort_key, group_id, number = normalize_sort(sort), _parse_group(group), _parse_page(page)
        if not 1 <= article_id <= DB_INT_MAX:
            return error_page(404, "記事が見つかりません", f"記事 {article_id} はアーカイブにありません。")
        body = None
        if sort_key == "recommended" and group_id is None and number == 1:
            body = state.pages.get(article_id)
        if body is None:
            # A few worker threads, not one per request: SQLite reads release the GIL, while
            # many threads rendering at once only trade the GIL and stretch every request.
            body = await anyio.to_thread.run_sync(build_page, article_id, sort_key, group_id, number,
                                                  limiter=state.page_threads)
        if body is None:
            return error_page(404, "記事が見つかりません", f"記事 {article_id} はアーカイブにありません。")
        # the page's own hash: a reader who has these bytes gets a 304 without them
        tag = page_etag(body)
        known = etags_of(request.headers.get("if-none-match", ""))
        if tag in known or "*" in known:
            return Response(status_code=304, headers={"ETag": tag, "Cache-Control": "no-cache"})
        return HTMLResponse(body, headers={"ETag": tag, "Cache-Control": "no-cache"})

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(
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
        found: dict[str, Any] = {"total": 0, "results": []}
        error = None
        if q:
            try:
                found = data.search_articles(state.store, q, limit=limit, offset=offset,
                                             **{k: v for k, v in filters.items() if v is not None})
            except SearchQueryError as e:
                error = f"検索条件を確認してください: {e}"
        base = {"q": q, **{k: v for k, v in filters.items() if v is not None}}
        total, results = found["total"], found["results"]
        return html(
            render(
                "search.html", q=q, filters=filters, results=results, total=total, error=error, offset=offset,
                limit=limit,
                prev_href=("/search?" + urlencode({**base, "offset": max(0, offset - limit)})) if offset > 0 else None,
                next_href=("/search?" + urlencode({**base, "offset": offset + limit}))
                if offset + limit < total else None,
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
    return create_app(store, token=token)


def page_etag(body: str) -> str:
    """A strong ETag for a rendered page: the SHA-1 of its bytes (about 0.1 ms for 200 kB)."""
    return '"' + hashlib.sha1(body.encode("utf-8")).hexdigest() + '"'


def etags_of(header: str) -> set[str]:
    """The entity tags an If-None-Match header lists (weak ones compared by their tag, as
    RFC 9110 asks for GET); ``*`` matches any."""
    return {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}
