"""The JSON API under ``/api`` (read-only; ``POST /api/ingest`` only with a token)."""

from __future__ import annotations

from typing import Annotated, Any, Callable, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from matome.io.archive import ArchiveFormatError, read_bytes
from matome.io.jsonl import entry_to_dict
from matome.model import DB_INT_MAX
from matome.web import data
from matome.web.security import token_matches

#: Comments per page of ``/api/articles/{id}/comments`` (default and largest).
COMMENTS_PAGE = 100
COMMENTS_MAX_PAGE = 1000
#: Largest archive file accepted by ``POST /api/ingest``.
MAX_UPLOAD_BYTES = 32 * 1024 * 1024
#: Largest request body read for it (the file plus the multipart framing).
MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 64 * 1024

#: An article id in the path: beyond the databases' integer range it is refused with 422.
ArticleId = Annotated[int, Path(ge=1, le=DB_INT_MAX, description="記事の番号")]


class ArticleItem(BaseModel):
    id: int
    title: str
    source: str | None = None
    published_at: str | None = None
    url: str | None = None
    comment_count: int
    up: int
    down: int
    divisiveness: float | None = None


class ArticleList(BaseModel):
    total: int
    order: str
    limit: int
    offset: int
    articles: list[ArticleItem]


class SnippetPiece(BaseModel):
    text: str
    match: bool


class SearchItem(BaseModel):
    article_id: int
    kind: str
    comment_position: int | None = None
    title: str
    pieces: list[SnippetPiece]
    up: int | None = None
    down: int | None = None
    score: float | None = None
    source: str | None = None
    published_at: str | None = None
    href: str


class ArticleHits(BaseModel):
    article_id: int
    title: str
    source: str | None = None
    published_at: str | None = None
    score: float
    up: int
    kinds: list[str]
    comment_matches: int
    href: str
    hits: list[SearchItem]


class SearchResult(BaseModel):
    query: str
    total: int
    #: False: at least ``total`` articles match (counting stops there)
    total_exact: bool = True
    #: whether results follow this page
    more: bool = False
    limit: int
    offset: int
    results: list[ArticleHits]


class CommentItem(BaseModel):
    position: int
    text: str
    up: int
    down: int
    support: float | None = None
    wilson: float
    controversy: float
    label: str | None = None
    group: int | None = None
    group_label: str = ""
    x: float | None = None
    y: float | None = None
    duplicate_of: int | None = None


class CommentList(BaseModel):
    article_id: int
    sort: str
    group: int | None = None
    total: int
    limit: int
    offset: int
    next: str | None = None
    comments: list[CommentItem]


class IngestResult(BaseModel):
    added: int
    updated: int
    unchanged: int
    failed: list[str]
    read_errors: list[str]
    digests_computed: int
    article_ids: list[int]


async def _form_file(request: Request, body: bytes) -> tuple[str, bytes] | None:
    """The ``file`` part of a multipart body already read into memory: (file name, bytes)."""
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=1, max_fields=10)
    except (HTTPException, ValueError, KeyError, AssertionError) as e:
        raise HTTPException(400, f"multipart/form-data として読めません: {e}") from None
    try:
        item = form.get("file")
        if item is None or isinstance(item, str):
            return None
        return (item.filename or "upload")[:200], await item.read()
    finally:
        await form.close()


def make_router(app_state: Any, get_view: Callable[[int], dict[str, Any] | None], token: str | None) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["api"])

    def store():
        return app_state.store

    @router.get("/articles", response_model=ArticleList, summary="記事の一覧")
    def articles(
        order: Literal["latest", "most_commented", "most_divided"] = "latest",
        limit: int = Query(20, ge=1, le=100),
        offset: int = Query(0, ge=0, le=DB_INT_MAX),
    ) -> dict[str, Any]:
        rows = data.list_articles(store(), order, limit, offset)
        return {"total": store().count_articles(), "order": order, "limit": limit, "offset": offset, "articles": rows}

    @router.get("/articles/{article_id}", summary="記事 (見出し・要約・本文・議論のまとめ・コメント)")
    def article(article_id: ArticleId) -> dict[str, Any]:
        entry = store().get_entry(article_id)
        if entry is None:
            raise HTTPException(404, "記事が見つかりません")
        return {"id": article_id, "entry": entry_to_dict(entry)}

    @router.get("/articles/{article_id}/digest", summary="記事のダイジェスト (要約・意見グループ・コメントの集計)")
    def digest(article_id: ArticleId) -> dict[str, Any]:
        record = store().get_digest_record(article_id)
        if record is None:
            if store().get_entry(article_id) is None:
                raise HTTPException(404, "記事が見つかりません")
            raise HTTPException(404, "この記事のダイジェストはまだ計算されていません")
        return {"id": article_id, **record}

    @router.get("/articles/{article_id}/comments", response_model=CommentList, summary="コメントの一覧 (並べ替え・絞り込み)")
    def comments(
        article_id: ArticleId,
        sort: Literal["recommended", "up", "down", "divided", "original"] = "recommended",
        group: int | None = Query(None, ge=0, le=DB_INT_MAX),
        limit: int = Query(COMMENTS_PAGE, ge=1, le=COMMENTS_MAX_PAGE, description="1 ページの件数"),
        offset: int = Query(0, ge=0, le=DB_INT_MAX, description="先頭から飛ばす件数"),
    ) -> dict[str, Any]:
        view = get_view(article_id)
        if view is None:
            raise HTTPException(404, "記事が見つかりません")
        rows = data.sort_comments(view["comments"], sort)
        if group is not None:
            members = data.group_members(view, group)
            if members is None:
                raise HTTPException(404, "この記事にそのグループはありません")
            rows = [r for r in rows if r["position"] in members]
        page = rows[offset:offset + limit]
        nxt = None
        if offset + limit < len(rows):
            params = {"sort": sort, **({"group": group} if group is not None else {}), "limit": limit,
                      "offset": offset + limit}
            nxt = f"/api/articles/{article_id}/comments?{urlencode(params)}"
        return {"article_id": article_id, "sort": sort, "group": group, "total": len(rows), "limit": limit,
                "offset": offset, "next": nxt, "comments": page}

    @router.get("/search", response_model=SearchResult,
                summary="記事とコメントの検索 (記事ごとに 1 件、一致箇所の抜粋つき。total は一致した記事の数。1,000 件以上は数えず total_exact が false)")
    async def search(
        q: str = Query(..., min_length=1, max_length=200),
        since: str | None = None,
        until: str | None = None,
        source: str | None = None,
        article_id: int | None = Query(None, ge=1, le=DB_INT_MAX),
        min_up: int = Query(0, ge=0, le=DB_INT_MAX),
        limit: int = Query(20, ge=1, le=100),
        offset: int = Query(0, ge=0, le=DB_INT_MAX),
    ) -> dict[str, Any]:
        from matome.store import SearchQueryError

        try:
            found = await app_state.search_async(q, since=since, until=until, source=source, article_id=article_id,
                                                 min_up=min_up, limit=limit, offset=offset)
        except SearchQueryError as e:
            raise HTTPException(400, str(e)) from None
        return {"query": q, "limit": limit, "offset": offset, **found}

    if token:

        @router.post(
            "/ingest",
            response_model=IngestResult,
            summary="アーカイブファイルを取り込む (Authorization: Bearer トークンが必要)",
            responses={401: {"description": "トークンがない、または違う"}, 411: {"description": "長さのない本文"},
                       413: {"description": "ファイルが大きすぎる"}},
            openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary",
                                        "description": "アーカイブ形式のテキストファイル"}}}}}}},
        )
        async def ingest(request: Request) -> dict[str, Any]:
            # No body parameter: FastAPI reads nothing before this point. The token and the
            # declared length are checked first; only then is the body read, up to the cap.
            if not token_matches(request.headers.get("authorization"), token):
                raise HTTPException(401, "認証が必要です", headers={"WWW-Authenticate": "Bearer", "Connection": "close"})
            too_big = f"ファイルが大きすぎます (上限 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB)"
            declared = request.headers.get("content-length")
            if declared is not None:
                if not declared.strip().isdigit():
                    raise HTTPException(400, "Content-Length が正しくありません", headers={"Connection": "close"})
                if int(declared) > MAX_BODY_BYTES:
                    raise HTTPException(413, too_big, headers={"Connection": "close"})
            body = bytearray()
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    raise HTTPException(413, too_big, headers={"Connection": "close"})
            upload = await _form_file(request, bytes(body))
            if upload is None:
                raise HTTPException(400, "multipart/form-data の file 欄がありません")
            name, payload = upload
            if len(payload) > MAX_UPLOAD_BYTES:
                raise HTTPException(413, too_big)
            try:
                result = read_bytes(payload, name, keep_going=True)
            except ArchiveFormatError as e:
                raise HTTPException(400, str(e)) from None
            if not result.entries:
                first = str(result.errors[0]) if result.errors else f"{name}: 記事がありません"
                raise HTTPException(400, first)
            report = await run_in_threadpool(store().ingest_entries, result.entries)
            app_state.invalidate()
            return {
                "added": report.added,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "failed": [str(f) for f in report.failed],
                "read_errors": [str(e) for e in result.errors],
                "digests_computed": report.digests_computed,
                "article_ids": report.article_ids,
            }

    return router
