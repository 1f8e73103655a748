"""Japanese search over titles, summaries, bodies and comments.

A query is split on whitespace into terms; a hit contains every term as an exact
(case-sensitive) substring. SQLite narrows rows down with bigram FTS5 indexes that serve
terms of every length (:mod:`matome.store.grams`) and checks every term with ``instr``;
PostgreSQL answers with ``LIKE`` served by pg_trgm GIN indexes (terms under 3 characters:
by walking the ranking index, else a scan).

Ranking, the same on both backends: where the words occur (``score`` = 10 × kind weight:
title 40, summary 30, body 20, comment 10), then ▲ (articles have none: 0), then the newer
article (higher id), then the comment's position. Because it needs nothing computed from a
row's text, a search walks the comments in ranking order (index ``ix_comments_rank``) and
stops at the page's last hit; only when the words are rare (fewer than a page among the
first ``WALK_ROWS`` comments by ▲, or fewer than ``WALK_ROWS`` index candidates on SQLite)
does it collect the index's candidates and sort them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, text

from matome.model import JST
from matome.store import grams
from matome.store.schema import articles, comments

KIND_WEIGHT = {"title": 4, "summary": 3, "body": 2, "comment": 1}
_ARTICLE_COLUMNS = {"title": "title", "summary": "summary_text", "body": "body_text"}
SNIPPET_CONTEXT = 40
#: Comments walked in ranking order before falling back to the index's candidates.
WALK_ROWS = 5000


class SearchQueryError(ValueError):
    """A search query or filter that cannot be used."""


@dataclass(frozen=True)
class SearchHit:
    article_id: int
    kind: str  # "title" | "summary" | "body" | "comment"
    comment_position: int | None
    title: str
    snippet: tuple[tuple[str, bool], ...]  # (text, is_match) pieces, in order
    up: int
    down: int
    score: float
    source: str | None = None
    published_at: str | None = None

    @property
    def before(self) -> str:
        """Text before the first match."""
        out = []
        for piece, matched in self.snippet:
            if matched:
                break
            out.append(piece)
        return "".join(out)

    @property
    def match(self) -> str:
        return next((piece for piece, matched in self.snippet if matched), "")

    @property
    def after(self) -> str:
        """Text after the first match (later matches included, unmarked)."""
        pieces = list(self.snippet)
        i = next((k for k, (_, m) in enumerate(pieces) if m), len(pieces))
        return "".join(p for p, _ in pieces[i + 1 :])

    def marked(self, open_mark: str = "【", close_mark: str = "】") -> str:
        return "".join(f"{open_mark}{p}{close_mark}" if m else p for p, m in self.snippet)

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "kind": self.kind,
            "comment_position": self.comment_position,
            "title": self.title,
            "source": self.source,
            "published_at": self.published_at,
            "up": self.up,
            "down": self.down,
            "score": self.score,
            "snippet": [{"text": p, "match": m} for p, m in self.snippet],
            "marked": self.marked(),
        }


def parse_terms(query: str) -> list[str]:
    terms: list[str] = []
    for t in query.split():
        if t not in terms:
            terms.append(t)
    return terms


def _bound(value: str | date | datetime | None, *, end: bool) -> tuple[str, bool] | None:
    """A date filter as (ISO string in JST, inclusive); a bare date ``until`` includes that whole day."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if ("T" in value or " " in value) else date.fromisoformat(value)
        except ValueError:
            raise SearchQueryError(f"not a date: {value!r} (expected YYYY-MM-DD or an ISO date-time)") from None
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=JST)
        return dt.astimezone(JST).isoformat(), True
    day = datetime.combine(value, time(0, 0), tzinfo=JST)
    return (day + timedelta(days=1)).isoformat() if end else day.isoformat(), not end


def _like_pattern(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _contains(conn: Connection, column, term: str):
    if conn.dialect.name == "postgresql":
        if len(term) < 3:
            # pg_trgm cannot narrow down words under 3 characters: with LIKE the planner
            # would scan the whole GIN index; strpos() leaves it to walk an ordered index
            return func.strpos(column, term) > 0
        return column.like(_like_pattern(term), escape="\\")
    return func.instr(column, term) > 0


def _article_filters(since, until, source: str | None, article_id: int | None) -> list:
    conds = []
    if since:
        conds.append(articles.c.published_at >= since[0])
    if until:
        value, inclusive = until
        conds.append(articles.c.published_at <= value if inclusive else articles.c.published_at < value)
    if source:
        conds.append(articles.c.source == source)
    if article_id is not None:
        conds.append(articles.c.id == article_id)
    return conds


_WALK_SQL = (
    "SELECT up, article_id, position, id, down, text FROM comments INDEXED BY ix_comments_rank "
    "WHERE position IS NOT NULL AND up >= ? ORDER BY up DESC, article_id DESC, position LIMIT ?"
)


def _comment_hits(conn: Connection, terms: list[str], afilters: list, article_id: int | None, min_up: int,
                  want: int) -> list[tuple]:
    """(up, article id, position, comment id, down) of the best ``want`` comment hits."""
    cols = (comments.c.up, comments.c.article_id, comments.c.position, comments.c.id, comments.c.down)
    order = (comments.c.up.desc(), comments.c.article_id.desc(), comments.c.position)
    sqlite = conn.dialect.name == "sqlite"
    match = None
    if sqlite and article_id is None and not (afilters and grams.only_prefix_queries(terms)):
        match = grams.match_query(terms)
    few = False
    if match and not grams.only_prefix_queries(terms):
        # rare words (fewer than WALK_ROWS index candidates, counted with a bounded read of
        # the index) are sorted directly: walking the ranking would not find a page of them
        probe = text("SELECT count(*) FROM (SELECT rowid FROM comments_grams WHERE comments_grams MATCH :m LIMIT :n)")
        few = conn.execute(probe, {"m": match, "n": WALK_ROWS}).scalar_one() < WALK_ROWS
    if few:
        pass  # straight to the candidates below
    elif sqlite and article_id is None and not afilters:
        # walk the comments in ranking order (the index gives them sorted, so SQLite streams
        # them) and stop at the page's last hit, or after WALK_ROWS
        rows = []
        cursor = conn.connection.cursor()  # the plain DBAPI cursor: rows as tuples, no per-row wrapping
        try:
            cursor.execute(_WALK_SQL, (min_up, WALK_ROWS))
            for *row, body in cursor:
                if all(t in body for t in terms):
                    rows.append(tuple(row))
                    if len(rows) >= want:
                        return rows
        finally:
            cursor.close()
    elif article_id is None:
        # the same walk in SQL, with the article filters joined (on both backends:
        # PostgreSQL's planner would otherwise scan pg_trgm's GIN index for words under 3
        # characters, which it cannot narrow down)
        first = (
            select(*cols, comments.c.text)
            .with_hint(comments, "INDEXED BY ix_comments_rank", "sqlite")
            .where(comments.c.position.is_not(None), *([comments.c.up >= min_up] if min_up else []))
            .order_by(*order).limit(WALK_ROWS).subquery()
        )
        q = select(*(first.c[c.name] for c in cols)).where(*(_contains(conn, first.c.text, t) for t in terms))
        if afilters:
            q = q.join_from(first, articles, articles.c.id == first.c.article_id).where(*afilters)
        q = q.order_by(first.c.up.desc(), first.c.article_id.desc(), first.c.position).limit(want)
        rows = [tuple(r) for r in conn.execute(q)]
        if len(rows) >= want:
            return rows
    q = select(*cols).where(comments.c.position.is_not(None), *(_contains(conn, comments.c.text, t) for t in terms))
    if afilters:
        q = q.join_from(comments, articles, articles.c.id == comments.c.article_id).where(*afilters)
    if min_up:
        q = q.where(comments.c.up >= min_up)
    params = {}
    if match:
        # the index's candidates, and the rows above the watermark (not indexed yet) by scan
        from matome.store import fts

        indexed = select(text("rowid")).select_from(text("comments_grams")).where(text("comments_grams MATCH :m"))
        tail = select(comments.c.id).where(comments.c.id > fts.watermark(conn, fts.COMMENTS))
        q = q.where(comments.c.id.in_(indexed.union_all(tail)))
        params["m"] = match
    return [tuple(r) for r in conn.execute(q.order_by(*order).limit(want), params)]


def _article_hits(conn: Connection, kind: str, terms: list[str], afilters: list, want: int) -> list[tuple]:
    """(article id, text) of the best ``want`` hits in one article field."""
    col = articles.c[_ARTICLE_COLUMNS[kind]]
    q = select(articles.c.id, col.label("text")).where(*afilters, *(_contains(conn, col, t) for t in terms))
    params = {}
    match = grams.match_query(terms) if conn.dialect.name == "sqlite" else None
    if match:
        from matome.store import fts

        indexed = select(text("rowid")).select_from(text("articles_grams")).where(text("articles_grams MATCH :m"))
        tail = select(articles.c.id).where(articles.c.id > fts.watermark(conn, fts.ARTICLES))
        q = q.where(articles.c.id.in_(indexed.union_all(tail)))
        params["m"] = "{" + _ARTICLE_COLUMNS[kind] + "} : (" + match + ")"
    return [tuple(r) for r in conn.execute(q.order_by(articles.c.id.desc()).limit(want), params)]


def search(
    conn: Connection,
    query: str,
    *,
    since=None,
    until=None,
    source: str | None = None,
    article_id: int | None = None,
    min_up: int = 0,
    limit: int = 20,
    offset: int = 0,
) -> list[SearchHit]:
    terms = parse_terms(query)
    if not terms:
        return []
    if limit < 0 or offset < 0 or min_up < 0:
        raise SearchQueryError("limit, offset and min_up cannot be negative")
    lo, hi = _bound(since, end=False), _bound(until, end=True)
    afilters = _article_filters(lo, hi, source, article_id)
    want = offset + limit
    if want == 0:
        return []
    rows: list[tuple] = []  # (score, up, article id, position, kind, comment id or text, down)
    for up, aid, pos, cid, down in _comment_hits(conn, terms, afilters, article_id, min_up, want):
        rows.append((10 * KIND_WEIGHT["comment"], up, aid, pos, "comment", cid, down))
    if not min_up:  # articles carry no votes of their own: ▲ 0
        for kind in _ARTICLE_COLUMNS:
            for aid, body in _article_hits(conn, kind, terms, afilters, want):
                rows.append((10 * KIND_WEIGHT[kind], 0, aid, None, kind, body, 0))
    rows.sort(key=lambda r: (-r[0], -r[1], -r[2], -1 if r[3] is None else r[3]))
    page = rows[offset:want]
    comment_ids = [r[5] for r in page if r[4] == "comment"]
    texts = dict(conn.execute(select(comments.c.id, comments.c.text).where(comments.c.id.in_(comment_ids))).all()) if comment_ids else {}
    article_ids = sorted({r[2] for r in page})
    meta = {
        r.id: r for r in conn.execute(
            select(articles.c.id, articles.c.title, articles.c.source, articles.c.published_at).where(articles.c.id.in_(article_ids))
        )
    } if article_ids else {}
    hits = []
    for sc, up, aid, pos, kind, body, down in page:
        body = texts[body] if kind == "comment" else body
        m = meta[aid]
        hits.append(SearchHit(aid, kind, pos, m.title, snippet(body, terms), up, down, float(sc), m.source, m.published_at))
    return hits


def snippet(text_: str, terms: list[str], context: int = SNIPPET_CONTEXT) -> tuple[tuple[str, bool], ...]:
    """The text around the first match, as (text, is_match) pieces; line breaks become spaces."""
    flat = text_.replace("\n", " ")
    first = min((i for i in (flat.find(t) for t in terms) if i >= 0), default=0)
    start = max(0, first - context)
    end = min(len(flat), first + context * 2)
    # extend the window so that a match that straddles its end is not cut
    for t in terms:
        i = flat.find(t, start)
        while 0 <= i < end:
            end = max(end, min(len(flat), i + len(t)))
            i = flat.find(t, i + 1)
    window = flat[start:end]
    spans: list[tuple[int, int]] = []
    for t in terms:
        i = window.find(t)
        while i >= 0:
            spans.append((i, i + len(t)))
            i = window.find(t, i + len(t))
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a < merged[-1][1]:  # overlapping matches of two terms become one
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    pieces: list[tuple[str, bool]] = []
    at = 0
    for a, b in merged:
        if a > at:
            pieces.append((window[at:a], False))
        pieces.append((window[a:b], True))
        at = b
    if at < len(window):
        pieces.append((window[at:], False))
    if start > 0:
        pieces.insert(0, ("…", False)) if not pieces or pieces[0][1] else pieces.__setitem__(0, ("…" + pieces[0][0], False))
    if end < len(flat):
        pieces.append(("…", False)) if not pieces or pieces[-1][1] else pieces.__setitem__(-1, (pieces[-1][0] + "…", False))
    return tuple(pieces)
