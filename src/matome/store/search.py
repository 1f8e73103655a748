"""Japanese search over titles, summaries, bodies and comments.

A query is split on whitespace into terms; a hit contains every term as an exact
(case-sensitive) substring. SQLite narrows rows down by the trigrams of terms of 3+
characters (FTS5 trigram indexes) and checks every term with ``instr`` (terms under 3
characters are found by that check alone, a scan); PostgreSQL answers with ``LIKE`` served by pg_trgm GIN
indexes (short terms by scan). Both compute the same score, so they return the same hits:

    score = 10 × kind weight (title 4, summary 3, body 2, comment 1) + min(occurrences, 9)

ranked by score, then ▲, then article id and comment position.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, select, text, true

from matome.model import JST
from matome.store.schema import articles, comments

KIND_WEIGHT = {"title": 4, "summary": 3, "body": 2, "comment": 1}
_ARTICLE_COLUMNS = {"title": "title", "summary": "summary_text", "body": "body_text"}
SNIPPET_CONTEXT = 40
MAX_OCCURRENCES = 9


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


def _occurrences(column, terms: list[str]):
    total = None
    for t in terms:
        occ = (func.length(column) - func.length(func.replace(column, t, ""))) / len(t)
        total = occ if total is None else total + occ
    return case((total > MAX_OCCURRENCES, MAX_OCCURRENCES), else_=total)


def _like_pattern(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _contains(conn: Connection, column, term: str):
    if conn.dialect.name == "postgresql":
        return column.like(_like_pattern(term), escape="\\")
    return func.instr(column, term) > 0


def _fts_query(terms: list[str]) -> str | None:
    """An FTS5 query for the trigrams of the terms of 3+ characters (all must be present)."""
    grams: list[str] = []
    for t in terms:
        for i in range(len(t) - 2):
            g = t[i : i + 3]
            if g not in grams:
                grams.append(g)
    if not grams:
        return None
    return " AND ".join('"' + g.replace('"', '""') + '"' for g in grams)


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
    sqlite = conn.dialect.name == "sqlite"
    fts = _fts_query(terms) if sqlite else None
    rows: list[tuple] = []  # (score, up, article_id, position, kind, text, title, down, source, published_at)

    # comments: rank by ids and numbers only; texts and titles are read for the page shown
    score = literal(10 * KIND_WEIGHT["comment"]) + _occurrences(comments.c.text, terms)
    q = select(score.label("score"), comments.c.up, comments.c.article_id, comments.c.position, comments.c.id,
               comments.c.down).where(comments.c.position.is_not(None))
    if afilters:
        q = q.join_from(comments, articles, articles.c.id == comments.c.article_id).where(*afilters)
    if min_up:
        q = q.where(comments.c.up >= min_up)
    for t in terms:  # exact check (the trigram index only narrows the rows down)
        q = q.where(_contains(conn, comments.c.text, t))
    if fts:
        # indexed comments through the trigram index, the not yet indexed tail by scan
        from matome.store.fts import watermark

        indexed = select(text("rowid")).select_from(text("comments_fts")).where(text("comments_fts MATCH :fts"))
        tail = select(comments.c.id).where(comments.c.id > watermark(conn))
        q = q.where(comments.c.id.in_(indexed.union_all(tail)))
    q = q.order_by(text("score DESC"), comments.c.up.desc(), comments.c.article_id, comments.c.position).limit(want)
    for r in conn.execute(q, {"fts": fts} if fts else {}):
        rows.append((r.score, r.up, r.article_id, r.position, "comment", r.id, None, r.down, None, None))

    # title, summary, body (articles carry no votes of their own here: ▲ 0)
    if not min_up:
        for kind, colname in _ARTICLE_COLUMNS.items():
            col = articles.c[colname]
            score = literal(10 * KIND_WEIGHT[kind]) + _occurrences(col, terms)
            q = select(score.label("score"), articles.c.id, col.label("text"), articles.c.title, articles.c.source,
                       articles.c.published_at).where(*afilters)
            for t in terms:
                q = q.where(_contains(conn, col, t))
            if fts:
                q = q.where(articles.c.id.in_(select(text("rowid")).select_from(text("articles_fts")).where(text("articles_fts MATCH :fts"))))
            q = q.order_by(text("score DESC"), articles.c.id).limit(want)
            for r in conn.execute(q, {"fts": fts} if fts else {}):
                rows.append((r.score, 0, r.id, None, kind, r.text, r.title, 0, r.source, r.published_at))

    rows.sort(key=lambda r: (-r[0], -r[1], r[2], -1 if r[3] is None else r[3], KIND_WEIGHT[r[4]] * -1))
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
    for sc, up, aid, pos, kind, body, _title, down, _src, _pub in page:
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
