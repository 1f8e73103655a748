"""Japanese search over titles, summaries, bodies and comments.

A query is NFKC-normalised and split on whitespace into terms; a hit contains every term
as an exact (case-sensitive) substring in one of its width forms: the NFKC form, its
full-width ASCII form and its half-width katakana form (so ``ＡＩ`` finds ``AI`` and ``AI``
finds ``ＡＩ``; ``ﾃﾞｼﾞﾀﾙ`` and ``デジタル`` find each other). The stored text is not
rewritten: each term is looked up in all of its forms, on both backends and through their
indexes (an OR of the forms). SQLite narrows rows down with bigram FTS5 indexes that serve
terms of every length (:mod:`matome.store.grams`) and checks every term with ``instr``;
PostgreSQL narrows them down with bigram GIN indexes that serve terms of 2+ characters and
single kanji (:mod:`matome.store.pg_grams`; other 1-character terms: by walking the ranking
index, else a scan) and checks every term with ``LIKE``/``strpos``.

Ranking, the same on both backends: where the words occur (``score`` = 10 × kind weight:
title 40, summary 30, body 20, comment 10), then ▲ (articles have none: 0), then the newer
article (higher id), then the comment's position. Because it needs nothing computed from a
row's text, a search walks the comments in ranking order (index ``ix_comments_rank``) and
stops at the page's last hit; only when the words are rare (fewer than a page among the
first ``WALK_ROWS`` comments by ▲, or on SQLite fewer than ``WALK_ROWS`` index candidates)
does it collect the index's candidates and sort them.

The grouped search (:func:`search_articles`, one result per article with the total counted
up to :data:`COUNT_CAP`) is bounded on both backends the same way (SQLite: :class:`_Sq`,
PostgreSQL: :class:`_Pg`): each field tier newest first, stopping at the page; the articles
found by their comments only by a walk of the ▲ index when the words are common, else by
collecting their comments; the total from the cheap sources first, stopping at the cap.
"""

from __future__ import annotations

import functools
import json
import threading
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Callable

from sqlalchemy import ARRAY, Connection, Integer, any_, cast, func, literal_column, or_, select, text

from matome.model import JST
from matome.store import grams, pg_grams
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
    """The distinct whitespace-separated words of the NFKC-normalised query."""
    terms: list[str] = []
    for t in unicodedata.normalize("NFKC", query).split():
        if t not in terms:
            terms.append(t)
    return terms


def _half_kana_table() -> dict[str, str]:
    """Full-width katakana (and marks) → their half-width spelling (voiced ones as two characters)."""
    table: dict[str, str] = {}
    halves = [chr(cp) for cp in range(0xFF61, 0xFFA0)]
    for h in halves:
        full = unicodedata.normalize("NFKC", h)
        if len(full) == 1 and full != h:
            table.setdefault(full, h)
    for h in halves:
        for mark in ("\uff9e", "\uff9f"):
            full = unicodedata.normalize("NFKC", h + mark)
            if len(full) == 1:
                table.setdefault(full, h + mark)
    return table


_HALF_KANA = _half_kana_table()
_FULL_ASCII = {chr(cp): chr(cp + 0xFEE0) for cp in range(0x21, 0x7F)}


@functools.lru_cache(maxsize=4096)
def width_forms(term: str) -> tuple[str, ...]:
    """The spellings of an NFKC-normalised term that NFKC folds into it: itself, with
    full-width ASCII, with half-width katakana, and with both (distinct, in that order)."""
    full = "".join(_FULL_ASCII.get(ch, ch) for ch in term)
    forms = [term, full, "".join(_HALF_KANA.get(ch, ch) for ch in term),
             "".join(_HALF_KANA.get(ch, ch) for ch in full)]
    out: list[str] = []
    for f in forms:
        if f not in out:
            out.append(f)
    return tuple(out)


def _has(conn: Connection, column, term: str):
    """The SQL condition "``column`` holds ``term`` in one of its width forms"."""
    forms = width_forms(term)
    if len(forms) == 1:
        return _contains(conn, column, term)
    return or_(*(_contains(conn, column, f) for f in forms))


def _holds(body: str, term: str) -> bool:
    return any(f in body for f in width_forms(term))


def _match_query(terms: list[str], phrases: bool = False) -> str | None:
    """The SQLite index query for ``terms``, each term as an OR of its width forms; the same
    rule as :func:`grams.match_query` (1-character terms only when nothing longer is there).
    ``phrases``: longer terms as phrases of their bigrams (``articles_grams``, which keeps
    positions since schema 0006)."""
    served: list[tuple[str, str]] = []
    query = grams.phrase_query if phrases else grams.term_query
    for t in terms:
        queries = [query(f) for f in width_forms(t)]
        if any(q is None for q in queries):
            continue  # left to the exact check
        served.append((t, queries[0] if len(queries) == 1 else " OR ".join(f"({q})" for q in queries)))
    parts = [q for t, q in served if len(t) > 1] or [q for _, q in served]
    if not parts:
        return None
    return " AND ".join(f"({q})" for q in parts)


def _snippet_terms(terms: list[str]) -> list[str]:
    return [f for t in terms for f in width_forms(t)]


def _pg_candidates(conn: Connection, terms: list[str], column: str | None = None):
    """PostgreSQL: the ids that may hold every term (the bigram index's candidates, and the
    rows above its watermark, not indexed yet, by scan), or None when no term can use the
    index (1-character words other than kanji). ``column``: an article field; None: the comments."""
    grams_column = "grams" if column is None else column
    cond = pg_grams.condition(grams_column, (width_forms(t) for t in terms))
    if cond is None:
        return None
    table, name, gram_table = ((comments, pg_grams.COMMENTS, "comment_grams") if column is None
                               else (articles, pg_grams.ARTICLES, "article_grams"))
    indexed = select(literal_column("id")).select_from(text(gram_table)).where(text(cond))
    state = conn.info.get(_PG_STATE)
    if state is None:  # read once per search (search() and search_articles() drop it when done)
        state = conn.info[_PG_STATE] = pg_grams.state(conn)
    low, top = state[name]
    if top <= low:
        return indexed  # nothing waits to be indexed (the usual case): no scan to plan
    return indexed.union_all(select(table.c.id).where(table.c.id > low))


_PG_STATE = "matome_pg_grams_state"
#: ``conn.info`` key: the watermarks (:func:`pg_grams.state`) the caller read in the
#: connection's current transaction, for the next search on it (taken by that search).
PG_GIVEN_STATE = "matome_pg_grams_given_state"


def _pg_any(candidates):
    """``= ANY(the candidates as one array)``: computed once, then looked up by primary key
    (with ``IN (…)`` the planner may scan a whole table and test each row's text first)."""
    found = candidates.subquery()
    # the cast makes it an array expression: "ANY (SELECT …)" would compare with each row
    return any_(cast(select(func.array_agg(found.c.id)).scalar_subquery(), ARRAY(Integer)))


def _one_state(fn):
    """Read the PostgreSQL index watermarks at most once per call of ``fn`` (a search)."""
    @functools.wraps(fn)
    def run(conn: Connection, *args, **kwargs):
        conn.info.pop(_PG_STATE, None)
        conn.info.pop(_PG_COUNTS, None)
        given = conn.info.pop(PG_GIVEN_STATE, None)
        if given is not None:  # read by the caller in this transaction
            conn.info[_PG_STATE] = given
        try:
            return fn(conn, *args, **kwargs)
        finally:
            conn.info.pop(_PG_STATE, None)
            conn.info.pop(_PG_COUNTS, None)

    return run


def _pg_article_walk(conn: Connection, terms: list[str], column: str, want: int) -> int:
    """PostgreSQL: how many of the newest articles to walk for ``want`` hits in a field before
    fetching the index's candidates (0: go straight to them). Walking pays when the
    candidates are so many that ``want`` of them are expected among the newest
    want × articles / candidates (count² > want × articles); four times that many are walked.
    The candidates of the three fields are counted in one query, once per search."""
    counts = conn.info.get(_PG_COUNTS)
    if counts is None or counts[0] != terms:
        forms = [width_forms(t) for t in terms]
        conds = {c: pg_grams.condition(c, forms) for c in _ARTICLE_COLUMNS.values()}
        sql = ", ".join(f"(SELECT count(*) FROM article_grams WHERE {cond})" for cond in conds.values())
        counts = (terms, dict(zip(conds, conn.execute(text("SELECT " + sql)).one())))
        conn.info[_PG_COUNTS] = counts
    n = counts[1][column]
    _, total = conn.info[_PG_STATE][pg_grams.ARTICLES]
    return -(-4 * want * total // n) if n * n > want * total else 0


_PG_COUNTS = "matome_pg_grams_counts"


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
        match = _match_query(terms)
    few = False
    # PostgreSQL: no probe (counting a common bigram's candidates costs more than the walk)
    pg = conn.dialect.name == "postgresql" and article_id is None
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
                if all(_holds(body, t) for t in terms):
                    rows.append(tuple(row))
                    if len(rows) >= want:
                        return rows
        finally:
            cursor.close()
    elif article_id is None:
        # the same walk in SQL, with the article filters joined (on both backends)
        def walk(n: int) -> list[tuple]:
            first = (
                select(*cols, comments.c.text)
                .with_hint(comments, "INDEXED BY ix_comments_rank", "sqlite")
                .where(comments.c.position.is_not(None), *([comments.c.up >= min_up] if min_up else []))
                .order_by(*order).limit(n).subquery()
            )
            q = select(*(first.c[c.name] for c in cols)).where(*(_has(conn, first.c.text, t) for t in terms))
            if afilters:
                q = q.join_from(first, articles, articles.c.id == first.c.article_id).where(*afilters)
            q = q.order_by(first.c.up.desc(), first.c.article_id.desc(), first.c.position).limit(want)
            return [tuple(r) for r in conn.execute(q)]

        if pg:
            # a short walk first; a longer one only when its rate of hits promises the page
            # within PG_WALK_MAX rows (twice the rows that should hold it); else the
            # candidates straight away (middling words: 税金を, ウクライナ)
            rows = walk(PG_WALK_FIRST)
            if 0 < len(rows) < want and (n := -(-2 * want * PG_WALK_FIRST // len(rows))) <= PG_WALK_MAX:
                rows = walk(n)
        else:
            rows = walk(WALK_ROWS)
        if len(rows) >= want:
            return rows
    q = select(*cols).where(comments.c.position.is_not(None), *(_has(conn, comments.c.text, t) for t in terms))
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
    elif pg and (candidates := _pg_candidates(conn, terms)) is not None:
        # OFFSET 0 keeps the planner from walking the ranking index for the first rows
        # that are among the candidates (its usual plan for ORDER BY … LIMIT): the
        # candidates are fetched by id first, then sorted
        found = q.where(comments.c.id == _pg_any(candidates)).offset(0).subquery()
        q = select(*found.c)
        order = (found.c.up.desc(), found.c.article_id.desc(), found.c.position)
    return [tuple(r) for r in conn.execute(q.order_by(*order).limit(want), params)]


def _article_hits(conn: Connection, kind: str, terms: list[str], afilters: list, want: int) -> list[tuple]:
    """(article id, text) of the best ``want`` hits in one article field."""
    col = articles.c[_ARTICLE_COLUMNS[kind]]
    q = select(articles.c.id, col.label("text")).where(*afilters, *(_has(conn, col, t) for t in terms))
    params = {}
    match = _match_query(terms) if conn.dialect.name == "sqlite" else None
    if match:
        from matome.store import fts

        indexed = select(text("rowid")).select_from(text("articles_grams")).where(text("articles_grams MATCH :m"))
        tail = select(articles.c.id).where(articles.c.id > fts.watermark(conn, fts.ARTICLES))
        q = q.where(articles.c.id.in_(indexed.union_all(tail)))
        params["m"] = "{" + _ARTICLE_COLUMNS[kind] + "} : (" + match + ")"
    elif conn.dialect.name == "postgresql" and (candidates := _pg_candidates(conn, terms, col.name)) is not None:
        # common words: from the newest article down; others: the candidates, fetched
        # before they are sorted (as for the comments)
        walk = _pg_article_walk(conn, terms, col.name, want)
        if walk:
            # the id range of the newest ``walk`` articles (about: ids have gaps only where a
            # transaction was rolled back): the planner scans just those; ``want`` hits there
            # are the best ``want`` of all
            lowest = conn.info[_PG_STATE][pg_grams.ARTICLES][1] - walk + 1
            rows = [tuple(r) for r in conn.execute(
                q.where(articles.c.id >= lowest).order_by(articles.c.id.desc()).limit(want))]
            if len(rows) >= want or lowest <= 1:
                return rows
        found = q.where(articles.c.id == _pg_any(candidates)).offset(0).subquery()
        return [tuple(r) for r in conn.execute(select(*found.c).order_by(found.c.id.desc()).limit(want))]
    return [tuple(r) for r in conn.execute(q.order_by(articles.c.id.desc()).limit(want), params)]


@_one_state
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
    pg = conn.dialect.name == "postgresql"
    if pg and PG_FLAT_DIRECT and not afilters and _pg_gin(tuple(terms)) is not None:
        flat = _PgFlat(conn, terms, min_up)
        try:
            rows = flat.rows(want)
        finally:
            flat.cur.close()
    else:
        for up, aid, pos, cid, down in _comment_hits(conn, terms, afilters, article_id, min_up, want):
            rows.append((10 * KIND_WEIGHT["comment"], up, aid, pos, "comment", cid, down))
        if not min_up:  # articles carry no votes of their own: ▲ 0
            for kind in _ARTICLE_COLUMNS:
                for aid, body in _article_hits(conn, kind, terms, afilters, want):
                    rows.append((10 * KIND_WEIGHT[kind], 0, aid, None, kind, body, 0))
    rows.sort(key=lambda r: (-r[0], -r[1], -r[2], -1 if r[3] is None else r[3]))
    page = rows[offset:want]
    comment_ids = [r[5] for r in page if r[4] == "comment"]
    article_ids = sorted({r[2] for r in page})
    if pg:  # the plain cursor: no statement to compile
        cur = conn.connection.cursor()
        try:
            texts = {}
            if comment_ids:
                cur.execute("SELECT id, text FROM comments WHERE id = ANY(%s)", [comment_ids])
                texts = dict(cur.fetchall())
            meta = {}
            if article_ids:
                cur.execute("SELECT id, title, source, published_at FROM articles WHERE id = ANY(%s)", [article_ids])
                meta = {r[0]: r[1:] for r in cur.fetchall()}
        finally:
            cur.close()
    else:
        texts = dict(conn.execute(select(comments.c.id, comments.c.text).where(comments.c.id.in_(comment_ids))).all()) if comment_ids else {}
        meta = {
            r.id: (r.title, r.source, r.published_at) for r in conn.execute(
                select(articles.c.id, articles.c.title, articles.c.source, articles.c.published_at).where(articles.c.id.in_(article_ids))
            )
        } if article_ids else {}
    hits = []
    forms = _snippet_terms(terms)
    for sc, up, aid, pos, kind, body, down in page:
        body = texts[body] if kind == "comment" else body
        title, source_, published_at = meta[aid]
        hits.append(SearchHit(aid, kind, pos, title, snippet(body, forms), up, down, float(sc), source_, published_at))
    return hits


#: PostgreSQL flat search without filters (other than ▲) on words the bigram index serves:
#: :class:`_PgFlat` (plain cursor, the three fields in one statement, each from its newest
#: candidates). False: the general path (:func:`_comment_hits`, :func:`_article_hits`).
PG_FLAT_DIRECT = True
#: The newest index candidates of an article field checked at first for the page's ``want``
#: hits: ``want`` + this; when they do not hold enough, PG_FLAT_GROW times as many, and so on.
PG_FLAT_SPARE = 10
PG_FLAT_GROW = 8


class _PgFlat:
    """One PostgreSQL flat search (:func:`search` without article filters) over the plain
    DBAPI cursor: the comments as :func:`_comment_hits` finds them (a short walk of the ▲
    order, a longer one when its rate promises the page, else the index's candidates sorted);
    the three article fields in one statement, each field's hits the first ``want`` that
    hold the words among its newest index candidates (ordered by id, so a bounded number of
    texts is read), more candidates only for a field they did not fill."""

    def __init__(self, conn: Connection, terms: list[str], min_up: int):
        self.conn, self.terms, self.min_up = conn, terms, min_up
        self.cur = conn.connection.cursor()
        state = conn.info.get(_PG_STATE)
        if state is None:
            state = conn.info[_PG_STATE] = pg_grams.state(conn)
        self.state = state
        self.gin = _pg_gin(tuple(terms))
        assert self.gin is not None

    def fetch(self, sql: str, params: list) -> list[tuple]:
        self.cur.execute(sql, params)
        return self.cur.fetchall()

    def rows(self, want: int) -> list[tuple]:
        """(score, up, article id, position, kind, comment id or text, down) of the best
        ``want`` hits of each source (the comments, each field)."""
        out = [(10 * KIND_WEIGHT["comment"], up, aid, pos, "comment", cid, down)
               for up, aid, pos, cid, down in self.comment_hits(want)]
        if not self.min_up:  # articles carry no votes of their own: ▲ 0
            for kind, found in self.field_hits(want).items():
                out += [(10 * KIND_WEIGHT[kind], 0, aid, None, kind, body, 0) for aid, body in found]
        return out

    def comment_hits(self, want: int) -> list[tuple]:
        has, params = _pg_has("w.text", self.terms)
        up = " AND up >= %s" if self.min_up else ""
        up_params = [self.min_up] if self.min_up else []

        def walk(n: int) -> list[tuple]:
            return self.fetch(
                f"SELECT w.up, w.article_id, w.position, w.id, w.down FROM (SELECT up, article_id, position, id, "
                f"down, text FROM comments WHERE position IS NOT NULL{up} ORDER BY up DESC, article_id DESC, "
                f"position LIMIT %s) w WHERE {has} ORDER BY w.up DESC, w.article_id DESC, w.position LIMIT %s",
                [*up_params, n, *params, want])

        # a short walk first; a longer one only when its rate of hits promises the page
        # within PG_WALK_MAX rows (twice the rows that should hold it); else the candidates
        rows = walk(PG_WALK_FIRST)
        if 0 < len(rows) < want and (n := -(-2 * want * PG_WALK_FIRST // len(rows))) <= PG_WALK_MAX:
            rows = walk(n)
        if len(rows) >= want:
            return rows
        low, top = self.state[pg_grams.COMMENTS]
        cand = f"SELECT g.id FROM comment_grams g WHERE {self.gin.replace(_GIN_COLUMN, 'g.grams')}"
        cand_params = []
        if top > low:  # the rows not indexed yet, by scan
            cand += " UNION ALL SELECT id FROM comments WHERE id > %s"
            cand_params.append(low)
        has, params = _pg_has("c.text", self.terms)
        # the candidates as one array, each comment read by primary key, then sorted (OFFSET
        # 0: not a walk of the ranking index that tests each row against the array)
        return self.fetch(
            f"SELECT up, article_id, position, id, down FROM (SELECT c.up, c.article_id, c.position, c.id, c.down "
            f"FROM comments c WHERE c.id = ANY(ARRAY({cand})) AND c.position IS NOT NULL{up.replace('up', 'c.up')} "
            f"AND {has} OFFSET 0) k ORDER BY up DESC, article_id DESC, position LIMIT %s",
            [*cand_params, *up_params, *params, want])

    def field_hits(self, want: int) -> dict[str, list[tuple]]:
        """{kind: (article id, text) of its newest ``want`` articles holding the words}."""
        low, top = self.state[pg_grams.ARTICLES]
        found: dict[str, list[tuple]] = {}
        todo = {kind: want + PG_FLAT_SPARE for kind in _ARTICLE_COLUMNS}
        while todo:
            ctes, parts, params = [], [], []
            for i, (kind, n) in enumerate(todo.items()):
                col = _ARTICLE_COLUMNS[kind]
                cand = f"SELECT g.id FROM article_grams g WHERE {self.gin.replace(_GIN_COLUMN, 'g.' + col)}"
                if top > low:  # the rows not indexed yet, by scan (the newest: first)
                    cand += " UNION ALL SELECT id FROM articles WHERE id > %s"
                    params.append(low)
                # the newest n candidates: one bitmap scan of the index, then sorted (OFFSET 0:
                # not a backward walk of the primary key testing each row's grams); computed
                # once (MATERIALIZED)
                ctes.append(f"c{i} AS MATERIALIZED (SELECT ARRAY(SELECT id FROM ({cand} OFFSET 0) u "
                            f"ORDER BY id DESC LIMIT %s) AS ids)")
                params.append(n)
            for i, kind in enumerate(todo):
                col = _ARTICLE_COLUMNS[kind]
                has, has_params = _pg_has("a." + col, self.terms)
                # those of them holding the words, newest first, each read by primary key
                parts.append(
                    f"SELECT {i}, x.id, x.t, cardinality(c{i}.ids) FROM c{i} LEFT JOIN LATERAL (SELECT a.id, "
                    f"a.{col} AS t FROM articles a WHERE a.id = ANY(c{i}.ids) AND {has} ORDER BY a.id DESC "
                    f"LIMIT %s) x ON true")
                params += [*has_params, want]
            sql = "WITH " + ", ".join(ctes) + " " + " UNION ALL ".join(f"({p})" for p in parts)
            got: dict[int, list[tuple]] = {}
            read: dict[int, int] = {}
            for i, aid, body, n in self.fetch(sql, params):
                read[i] = n
                if aid is not None:
                    got.setdefault(i, []).append((aid, body))
            again = {}
            for i, (kind, n) in enumerate(todo.items()):
                rows = sorted(got.get(i, []), reverse=True)
                found[kind] = rows
                # fewer than the page although candidates were left: more of them
                if len(rows) < want and read.get(i, 0) >= n:
                    again[kind] = n * PG_FLAT_GROW
            todo = again
        return {kind: found[kind] for kind in _ARTICLE_COLUMNS}


#: Snippets shown per article in the grouped search (its matching fields first, then its
#: comments with the most ▲).
SNIPPETS_PER_ARTICLE = 3


@dataclass(frozen=True)
class ArticleResult:
    """One article of a grouped search: where the words occur in it and its best snippets."""

    article_id: int
    title: str
    source: str | None
    published_at: str | None
    score: float  # 10 × the weight of its best field (title 40 … comment 10)
    up: int  # ▲ of its best matching comment (0 without one)
    kinds: tuple[str, ...]  # its matching fields, best first ("title", "summary", "body", "comment")
    comment_matches: int  # how many of its comments match
    hits: tuple[SearchHit, ...]  # up to SNIPPETS_PER_ARTICLE snippets, best first

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id, "title": self.title, "source": self.source,
            "published_at": self.published_at, "score": self.score, "up": self.up, "kinds": list(self.kinds),
            "comment_matches": self.comment_matches, "hits": [h.to_dict() for h in self.hits],
        }


@dataclass(frozen=True)
class SearchPage:
    """A page of a grouped search: ``total`` matching articles, ``results`` from ``offset``.

    ``total`` is exact below :data:`COUNT_CAP`; a search that finds at least that many
    articles stops counting there: ``total == COUNT_CAP`` and ``total_exact`` is False (the
    pages say "1,000件以上")."""

    query: str
    total: int
    offset: int
    limit: int
    results: tuple[ArticleResult, ...]
    total_exact: bool = True
    more: bool = False  # whether results follow this page

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "total": self.total, "total_exact": self.total_exact, "more": self.more,
                "offset": self.offset, "limit": self.limit, "results": [r.to_dict() for r in self.results]}


#: Matching articles counted at most by the grouped search (beyond: "1,000件以上").
COUNT_CAP = 1000
#: Comment-tier words with at most this many index candidates: every match is collected and
#: grouped by article (ranking and count at once); up to TOP_MAX, the best matching comments
#: are sorted out of them; above, the comments are walked in ▲ order (from the index alone).
COLLECT_MAX = 2000
TOP_MAX = 6000
#: The ▲-order walk reads at most this many index rows per index candidate of the word
#: (about what collecting the candidates costs), then collects instead.
WALK_PER_CANDIDATE = 10
#: Index candidates counted at most to size that walk.
WALK_MAX_CANDIDATES = 50_000


def _comment_groups(conn: Connection, terms: list[str], afilters: list, min_up: int) -> dict[int, tuple[int, int]]:
    """article id → (best ▲, number) of its comments holding every term."""
    cond = [comments.c.position.is_not(None), *(_has(conn, comments.c.text, t) for t in terms)]
    if min_up:
        cond.append(comments.c.up >= min_up)
    q = select(comments.c.article_id, func.max(comments.c.up), func.count()).where(*cond)
    if afilters:
        q = q.join_from(comments, articles, articles.c.id == comments.c.article_id).where(*afilters)
    params = {}
    match = _match_query(terms) if conn.dialect.name == "sqlite" else None
    if match and not (afilters and grams.only_prefix_queries(terms)):
        from matome.store import fts

        indexed = select(text("rowid")).select_from(text("comments_grams")).where(text("comments_grams MATCH :m"))
        tail = select(comments.c.id).where(comments.c.id > fts.watermark(conn, fts.COMMENTS))
        q = q.where(comments.c.id.in_(indexed.union_all(tail)))
        params["m"] = match
    elif conn.dialect.name == "postgresql" and (candidates := _pg_candidates(conn, terms)) is not None:
        q = q.where(comments.c.id.in_(candidates))
    q = q.group_by(comments.c.article_id)
    return {aid: (int(up), int(n)) for aid, up, n in conn.execute(q, params)}


def _field_ids(conn: Connection, kind: str, terms: list[str], afilters: list) -> set[int]:
    """Ids of the articles whose field ``kind`` holds every term."""
    col = articles.c[_ARTICLE_COLUMNS[kind]]
    q = select(articles.c.id).where(*afilters, *(_has(conn, col, t) for t in terms))
    params = {}
    match = _match_query(terms) if conn.dialect.name == "sqlite" else None
    if match:
        from matome.store import fts

        indexed = select(text("rowid")).select_from(text("articles_grams")).where(text("articles_grams MATCH :m"))
        tail = select(articles.c.id).where(articles.c.id > fts.watermark(conn, fts.ARTICLES))
        q = q.where(articles.c.id.in_(indexed.union_all(tail)))
        params["m"] = "{" + _ARTICLE_COLUMNS[kind] + "} : (" + match + ")"
    elif conn.dialect.name == "postgresql" and (candidates := _pg_candidates(conn, terms, col.name)) is not None:
        q = q.where(articles.c.id == _pg_any(candidates))
    return set(conn.execute(q, params).scalars())


def _rank_key(kind: str, up: int, aid: int) -> tuple[int, int, int]:
    """The grouped search's order: the best field (title, summary, body, comments only); in a
    field tier the newer article first; among articles found by their comments only, the best
    matching comment's ▲ first, then the newer article."""
    return (-KIND_WEIGHT[kind], -up if kind == "comment" else 0, -aid)


def _ranked_all(conn: Connection, terms: list[str], afilters: list, min_up: int, want: int,
                cap: int) -> tuple[list[int], int, bool]:
    """Every matching article found and ranked (when no word can use the index: on
    PostgreSQL, only 1-character words other than kanji; also the reference the bounded
    paths are tested against): the first ``want`` ids, the total (at most ``cap``) and whether it is exact."""
    found: dict[int, tuple[str, int]] = {}
    for aid, (up, _) in _comment_groups(conn, terms, afilters, min_up).items():
        found[aid] = ("comment", up)
    if not min_up:  # articles carry no votes of their own
        for kind in reversed(_ARTICLE_COLUMNS):  # the best field last, so that it stays
            for aid in _field_ids(conn, kind, terms, afilters):
                found[aid] = (kind, 0)
    ranked = sorted(found, key=lambda a: _rank_key(found[a][0], found[a][1], a))
    return ranked[:want], min(len(ranked), cap), len(ranked) < cap


# -------------------------------------------------------------- SQLite: bounded, by the index


def _sq_has(column: str, terms: list[str]) -> tuple[str, list[str]]:
    """SQLite: "``column`` holds every term in one of its width forms", with its parameters."""
    parts, params = [], []
    for t in terms:
        forms = width_forms(t)
        parts.append("(" + " OR ".join(f"instr({column}, ?) > 0" for _ in forms) + ")")
        params += forms
    return " AND ".join(parts), params


def _plain_filters(lo, hi, source: str | None, article_id: int | None, mark: str = "?") -> tuple[str, list]:
    """The article filters as `` AND …`` on ``a`` (articles) for the plain DBAPI cursor, with
    their parameters; ``mark`` is the driver's placeholder (SQLite ``?``, psycopg ``%s``)."""
    sql, params = "", []
    if lo:
        sql += f" AND a.published_at >= {mark}"
        params.append(lo[0])
    if hi:
        sql += f" AND a.published_at <= {mark}" if hi[1] else f" AND a.published_at < {mark}"
        params.append(hi[0])
    if source:
        sql += f" AND a.source = {mark}"
        params.append(source)
    if article_id is not None:
        sql += f" AND a.id = {mark}"
        params.append(article_id)
    return sql, params


def _exact_by_phrase(terms: list[str]) -> bool:
    """Whether an article field that ``articles_grams`` lists for these words (longer ones as
    phrases of their bigrams, :func:`grams.phrase_query`) surely holds them: each word is
    served by the index, 1-character words are not beside longer ones (those are left to the
    exact check) and no letter is folded by the tokenizer."""
    if len({min(len(t), 2) for t in terms}) > 1:
        return False
    return all(grams.term_query(f) is not None and all(ch.lower() == ch == ch.upper() for ch in f)
               for t in terms for f in width_forms(t))


def _exact_by_index(terms: list[str]) -> bool:
    """Whether a comment the bigram index returns for these words surely holds them: each word
    is served by the index (none left to the exact check), is 1–2 characters long (a bigram
    or the prefix of one: longer words need bigrams that may lie apart) and has no letter the
    tokenizer folds (``AI`` would find ``ai``)."""
    if len({min(len(t), 2) for t in terms}) > 1:
        return False  # 1-character words beside longer ones are left to the exact check
    return all(len(t) <= 2 and grams.term_query(f) is not None and all(ch.lower() == ch == ch.upper() for ch in f)
               for t in terms for f in width_forms(t))


class _Sq:
    """One SQLite grouped search over the plain DBAPI cursor (rows as tuples)."""

    def __init__(self, conn: Connection, terms: list[str], match: str, filters: tuple[str, list], min_up: int):
        from matome.store import fts

        self.cur = conn.connection.cursor()
        self.terms, self.match, self.min_up = terms, match, min_up
        # the article fields' index keeps positions: longer words as phrases (schema 0006)
        self.amatch = _match_query(terms, phrases=True) or match
        self.fields_exact = _exact_by_phrase(terms)
        self.filt, self.filt_params = filters
        marks = dict(self.rows("SELECT name, value FROM search_state", []))
        self.wm_comments, self.wm_articles = marks[fts.COMMENTS], marks[fts.ARTICLES]
        # articles not indexed yet (usually none: the queries for them are then skipped)
        self.articles_tail = self.rows("SELECT coalesce(max(id), 0) FROM articles", [])[0][0] > self.wm_articles
        self.fields = [] if min_up else list(_ARTICLE_COLUMNS.values())
        has = [_sq_has("a." + c, terms) for c in self.fields]
        # "no field of the article holds the words" (shorter fields are checked first)
        self.no_field = (" AND NOT (" + " OR ".join(f"({h})" for h, _ in has) + ")") if has else ""
        self.no_field_params = [p for _, ps in has for p in ps]
        self.exact = _exact_by_index(terms)
        self.has_text, self.has_text_params = _sq_has("c.text", terms)
        # one word the index settles, no ▲ floor: the articles found by their comments are
        # those whose row in the thread index (all the article's comments) lists the word
        self.wm_threads = marks.get(fts.THREADS)
        self.by_thread = self.wm_threads is not None and not min_up and len(terms) == 1 and self.exact
        if self.exact:  # a comment the index lists holds the words: only the unindexed tail is read
            self.has_text = f"(c.id <= ? OR ({self.has_text}))"
            self.has_text_params = [self.wm_comments, *self.has_text_params]
        self.candidates = ("SELECT rowid FROM comments_grams WHERE comments_grams MATCH ? "
                           "UNION ALL SELECT id FROM comments WHERE id > ?")
        # the comments of those candidates, streamed: the index's rows drive the join
        # (``c.id IN (candidates)`` would first copy every candidate into a temporary index:
        # for common words most of the query's time, even when a few hundred rows are read)
        self.candidate_comments = f"({self.candidates}) k CROSS JOIN comments c ON c.id = k.rowid"

    def rows(self, sql: str, params: list) -> list[tuple]:
        return self.cur.execute(sql, params).fetchall()

    def field_tier(self, i: int, n: int) -> list[int]:
        """The newest ``n`` articles whose field ``i`` is the best one holding the words."""
        col = self.fields[i]
        has = [_sq_has("a." + c, self.terms) for c in self.fields[:i + 1]]
        cond = has[-1][0] + "".join(f" AND NOT ({h})" for h, _ in has[:-1]) + self.filt
        params = has[-1][1] + [p for _, ps in has[:-1] for p in ps] + self.filt_params
        # the rows not indexed yet are the newest: first
        out = [r[0] for r in self.rows(f"SELECT a.id FROM articles a WHERE a.id > ? AND {cond} "
                                       "ORDER BY a.id DESC LIMIT ?", [self.wm_articles, *params, n])
               ] if self.articles_tail else []
        if len(out) < n:
            out += [r[0] for r in self.rows(
                f"SELECT a.id FROM articles_grams g JOIN articles a ON a.id = g.rowid "
                f"WHERE articles_grams MATCH ? AND {cond} ORDER BY g.rowid DESC LIMIT ?",
                ["{" + col + "} : (" + self.amatch + ")", *params, n - len(out)])]
        return out

    def count(self, cap: int, comment_ids: list[int] | None = None) -> int:
        """How many articles (at most ``cap``) hold the words in a field or a current comment.
        ``comment_ids``: every article found by its comments, when already known. The cheap
        sources first: for words the index settles, the fields from the index alone; else the
        titles and summaries, then the comments, and the long bodies last, only if still short."""
        if not self.fields:
            return min(cap, len(comment_ids if comment_ids is not None else self.comment_articles(set(), cap)))
        if self.fields_exact:
            known = self.field_ids(cap)
        else:
            known = self._fields_checked(("title", "summary_text"), cap, set())
        seen = set(known)
        if len(seen) < cap and self.by_thread and comment_ids is None:
            return len(seen) + self._thread_count(seen, cap - len(seen))  # (the bodies are in ``known``)
        if len(seen) < cap:
            more = ([a for a in comment_ids if a not in seen] if comment_ids is not None
                    else self.comment_articles(seen, cap - len(seen)))
            seen.update(more)
        if len(seen) < cap and not self.fields_exact:
            seen.update(self._fields_checked(("body_text",), cap - len(seen), seen))
        return min(len(seen), cap)

    def field_ids(self, cap: int) -> list[int]:
        """Up to ``cap`` articles with a field holding the words (words the index settles)."""
        if " AND " in self.amatch:  # every word in the same field
            matches = " OR ".join("{" + c + "} : (" + self.amatch + ")" for c in self.fields)
        else:  # one word in any of them: one column filter, cheaper for FTS5
            matches = "{" + " ".join(self.fields) + "} : (" + self.amatch + ")"
        join = " JOIN articles a ON a.id = g.rowid" if self.filt else ""
        tail = self._fields_checked(tuple(self.fields), cap, set(), indexed=False)
        if len(tail) >= cap:
            return tail
        return tail + [r[0] for r in self.rows(
            f"SELECT g.rowid FROM articles_grams g{join} WHERE articles_grams MATCH ?{self.filt} LIMIT ?",
            [matches, *self.filt_params, cap - len(tail)])]

    def _fields_checked(self, columns: tuple[str, ...], cap: int, skip: set[int], indexed: bool = True) -> list[int]:
        """Up to ``cap`` articles, ``skip`` aside, whose ``columns`` hold the words: the rows
        not indexed yet, then (``indexed``) the index's candidates. Titles and summaries are
        checked in SQL; a body in Python (reading it costs less than ``instr`` over it), and
        only where the other columns asked for do not hold the words."""
        short = [c for c in columns if c != "body_text"]
        has = [_sq_has("a." + c, self.terms) for c in short]
        params = [p for _, ps in has for p in ps]
        if "body_text" in columns:
            cond = "1"
            value = (f"CASE WHEN {' OR '.join(f'({h})' for h, _ in has)} THEN NULL ELSE a.body_text END"
                     if has else "a.body_text")
        else:
            cond = " OR ".join(f"({h})" for h, _ in has)
            value, params = "NULL", [*params]
        sources = [("SELECT a.id, {value} FROM articles a WHERE a.id > ? AND ({cond}){filt}", [self.wm_articles])
                   ] if self.articles_tail else []
        if indexed:
            sources.append(("SELECT a.id, {value} FROM articles_grams g JOIN articles a ON a.id = g.rowid "
                            "WHERE articles_grams MATCH ? AND ({cond}){filt}",
                            ["{" + " ".join(columns) + "} : (" + self.amatch + ")"]))
        out: list[int] = []
        for sql, own in sources:
            if len(out) >= cap:
                break
            value_params = params if "body_text" in columns else []
            cond_params = [] if "body_text" in columns else params
            cur = self.cur.connection.cursor()
            try:
                cur.execute(sql.format(value=value, cond=cond, filt=self.filt),
                            [*value_params, *own, *cond_params, *self.filt_params])
                while len(out) < cap:
                    batch = cur.fetchmany(256)
                    if not batch:
                        break
                    out += [aid for aid, body in batch if aid not in skip
                            and (body is None or all(_holds(body, t) for t in self.terms))]
            finally:
                cur.close()
        return out[:cap]

    def comment_articles(self, skip: set[int], cap: int) -> list[int]:
        """Up to ``cap`` articles, ``skip`` aside, with a current comment holding the words
        (made distinct by SQLite, which stops at ``cap`` of them beside ``skip``: one row per
        article reaches Python, not one per comment)."""
        join = " JOIN articles a ON a.id = c.article_id" if self.filt else ""
        sql = (f"SELECT DISTINCT c.article_id FROM {self.candidate_comments}{join} "
               f"WHERE c.position IS NOT NULL AND c.up >= ? AND {self.has_text}{self.filt} LIMIT ?")
        rows = self.rows(sql, [self.match, self.wm_comments, self.min_up, *self.has_text_params, *self.filt_params,
                               cap + len(skip)])
        return [aid for (aid,) in rows if aid not in skip][:cap]

    def _thread_count(self, skip: set[int], cap: int) -> int:
        """How many articles (at most ``cap``), ``skip`` aside, have a current comment holding
        the word, from the thread index (one row per article: no comment row read per
        candidate comment; counted by SQLite): the comments not in it yet first, by scan
        (usually none); then the articles it lists, those with a comment gone from the thread
        checked against their current comments (their row still holds the gone one's words)."""
        has, params = _sq_has("c.text", self.terms)
        extra: set[int] = set()
        if self.rows("SELECT coalesce(max(id), 0) FROM comments", [])[0][0] > self.wm_threads:
            join = " JOIN articles a ON a.id = c.article_id" if self.filt else ""
            extra = {r[0] for r in self.rows(
                f"SELECT DISTINCT c.article_id FROM comments c{join} WHERE c.id > ? AND c.position IS NOT NULL "
                f"AND {has}{self.filt}", [self.wm_threads, *params, *self.filt_params])} - skip
            if len(extra) >= cap:
                return cap
        join = " JOIN articles a ON a.id = g.rowid" if self.filt else ""
        sql = (f"SELECT count(*) FROM (SELECT 1 FROM thread_grams g{join} WHERE thread_grams MATCH ?{self.filt} "
               "AND g.rowid NOT IN (SELECT value FROM json_each(?)) "
               "AND CASE WHEN EXISTS (SELECT 1 FROM comments x WHERE x.article_id = g.rowid AND x.position IS NULL) "
               "THEN EXISTS (SELECT 1 FROM comments c WHERE c.article_id = g.rowid AND c.position IS NOT NULL "
               f"AND {has}) ELSE 1 END LIMIT ?)")
        n = self.rows(sql, [self.match, *self.filt_params, json.dumps(sorted(skip | extra)), *params,
                            cap - len(extra)])[0][0]
        return len(extra) + n

    def _eligible(self, aids: list[int]) -> set[int]:
        """Of these articles, those that pass the filters and have no field holding the words."""
        if not aids:
            return set()
        sql = (f"SELECT a.id FROM articles a WHERE a.id IN (SELECT value FROM json_each(?)){self.filt}"
               f"{self.no_field}")
        return {r[0] for r in self.rows(sql, [json.dumps(aids), *self.filt_params, *self.no_field_params])}

    def candidates_up_to(self, most: int) -> int:
        """The index's comment candidates for the words, counted up to ``most``."""
        return self.rows("SELECT count(*) FROM (SELECT rowid FROM comments_grams WHERE comments_grams MATCH ? "
                         "LIMIT ?)", [self.match, most])[0][0]

    def groups(self) -> list[tuple[int, int]]:
        """(article id, best ▲) of every article with a current comment holding the words (and
        passing the filters), best ▲ first, then the newer article."""
        join = " JOIN articles a ON a.id = c.article_id" if self.filt else ""
        sql = (f"SELECT c.article_id, max(c.up) AS up FROM {self.candidate_comments}{join} "
               f"WHERE c.position IS NOT NULL AND c.up >= ? AND {self.has_text}"
               f"{self.filt} GROUP BY c.article_id ORDER BY up DESC, c.article_id DESC")
        return self.rows(sql, [self.match, self.wm_comments, self.min_up, *self.has_text_params, *self.filt_params])

    def top(self, n: int, skip: set[int]) -> list[int]:
        """The first ``n`` eligible articles by their best matching comment's ▲ (then newer),
        from the matching comments' best few rows (sorted by SQLite keeping only those)."""
        join = " JOIN articles a ON a.id = c.article_id" if self.filt else ""
        sql = (f"SELECT c.article_id FROM {self.candidate_comments}{join} "
               f"WHERE c.position IS NOT NULL AND c.up >= ? AND {self.has_text}"
               f"{self.filt} ORDER BY c.up DESC, c.article_id DESC LIMIT ?")
        limit = 4 * n + len(skip)
        while True:
            rows = self.rows(sql, [self.match, self.wm_comments, self.min_up, *self.has_text_params,
                                   *self.filt_params, limit])
            # an article's first row is its best: any article not among these rows ranks after them
            ordered = list(dict.fromkeys(r[0] for r in rows))
            found = self.first_eligible(ordered, n, skip)
            if len(found) >= n or len(rows) < limit:
                return found
            limit *= 4

    def first_eligible(self, ordered: list[int], n: int, skip: set[int]) -> list[int]:
        """The first ``n`` of ``ordered`` that have no field holding the words (checked a few at a time)."""
        out: list[int] = []
        at, step = 0, max(2 * n, 16)
        while len(out) < n and at < len(ordered):
            chunk = [a for a in ordered[at:at + step] if a not in skip]
            ok = self._eligible(chunk) if self.fields else set(chunk)
            out += [a for a in chunk if a in ok]
            at += step
            step *= 2
        return out[:n]

    def walk(self, n: int, skip: set[int], budget: int) -> list[int] | None:
        """The comments in ranking order (▲, then newer article, then position; read from the
        index alone), kept when the word index lists them; the first ``n`` eligible articles,
        or None when ``budget`` rows did not give them."""
        sql = (f"SELECT w.up, w.article_id, w.position, w.id FROM (SELECT id, up, article_id, position FROM comments "
               f"INDEXED BY ix_comments_rank WHERE position IS NOT NULL AND up >= ? "
               f"ORDER BY up DESC, article_id DESC, position LIMIT ?) w WHERE w.id IN ({self.candidates})")
        cur = self.cur.connection.cursor()
        out: list[int] = []
        seen = set(skip)
        last = None
        try:
            cur.execute(sql, [self.min_up, budget, self.match, self.wm_comments])
            size = n  # each fetch walks until that many comments hold the words: small at first
            while len(out) < n:
                batch = cur.fetchmany(size)
                size = min(2 * size, 256)
                if not batch:
                    return None
                keys = [(-up, -aid, pos) for up, aid, pos, _ in batch]
                if keys != sorted(keys) or (last is not None and keys[0] < last):
                    return None  # not streamed in index order: collect instead
                last = keys[-1]
                # the index's candidates (and the unindexed tail): check the words in each
                check = [cid for *_, cid in batch if not self.exact or cid > self.wm_comments]
                if check:
                    holding = {r[0] for r in self.rows(
                        f"SELECT c.id FROM comments c WHERE c.id IN (SELECT value FROM json_each(?)) "
                        f"AND {self.has_text}", [json.dumps(check), *self.has_text_params])}
                    batch = [r for r in batch if r[3] in holding or r[3] not in check]
                fresh: list[int] = []
                for _, aid, _, _ in batch:
                    if aid not in seen:
                        seen.add(aid)
                        fresh.append(aid)
                if self.filt or self.fields:
                    ok = self._eligible(fresh)
                    fresh = [a for a in fresh if a in ok]
                out += fresh
        finally:
            cur.close()
        return out[:n]

    def close(self) -> None:
        self.cur.close()


def _sqlite_ranked(conn: Connection, terms: list[str], match: str, filters: tuple[str, list], min_up: int,
                   want: int, cap: int) -> tuple[list[int], int, bool]:
    """The same as :func:`_ranked_all`, reading only what the page and a bounded count need:
    each field tier from the newest article down (stopping at ``want``); the articles found
    by their comments only, for rare words by collecting all their comments, for commoner
    ones from their best comments, for the commonest by a walk of the ▲ order; the total
    counted with LIMIT ``cap`` (the articles with a matching field first, then those found
    by comments)."""
    sq = _Sq(conn, terms, match, filters, min_up)
    try:
        ranked: list[int] = []
        for i in range(len(sq.fields)):
            if len(ranked) >= want:
                break
            ranked += sq.field_tier(i, want - len(ranked))
        need = want - len(ranked)
        groups = None
        if need > 0:
            found = sq.candidates_up_to(WALK_MAX_CANDIDATES)
            if found <= COLLECT_MAX:  # few: every article found by comments (the count uses them too)
                groups = [aid for aid, _ in sq.groups()]
                ranked += sq.first_eligible(groups, need, set(ranked))
            else:
                walked = None
                if found > TOP_MAX:  # many: their best are early in the ▲ order
                    walked = sq.walk(need, set(ranked), WALK_PER_CANDIDATE * found)
                ranked += walked if walked is not None else sq.top(need, set(ranked))
        total = sq.count(cap, groups)
        return ranked, total, total < cap
    finally:
        sq.close()


# ---------------------------------------------------------- PostgreSQL: bounded, by the index


def _pg_has(column: str, terms: list[str]) -> tuple[str, list[str]]:
    """PostgreSQL: "``column`` holds every term in one of its width forms" for the plain
    cursor (``%s`` parameters), with its parameters: ``strpos`` for 1–2 characters, ``LIKE``
    for longer forms (as :func:`_contains`)."""
    parts, params = [], []
    for t in terms:
        ors = []
        for f in width_forms(t):
            if len(f) < 3:
                ors.append(f"strpos({column}, %s) > 0")
                params.append(f)
            else:
                ors.append(f"{column} LIKE %s ESCAPE '\\'")
                params.append(_like_pattern(f))
        parts.append("(" + " OR ".join(ors) + ")")
    return " AND ".join(parts), params


def _pg_exact(terms: list[str]) -> bool:
    """Whether a row the bigram index lists for these words surely holds them: every form of
    every word is one bigram or one kanji (two UTF-16 units at most) and served."""
    return all(len(f.encode("utf-16-le")) <= 4 and pg_grams.term_codes(f) is not None
               for t in terms for f in width_forms(t))


_GIN_COLUMN = "__grams__"


@functools.lru_cache(maxsize=256)
def _pg_gin(terms: tuple[str, ...]) -> str | None:
    """The bigram index's condition for ``terms`` on a placeholder column (see :func:`pg_grams.condition`)."""
    return pg_grams.condition(_GIN_COLUMN, (width_forms(t) for t in terms))


#: The ▲-order walk of the PostgreSQL grouped search reads this many rows first; when they
#: hold some of the page's articles, twice the rows that should hold all of them at that
#: rate next, up to ``PG_WALK_MAX``; else (or when those do not fill it) the candidates are
#: collected.
PG_WALK_FIRST = 1000
PG_WALK_MAX = 8000
#: Rows fetched at a time from the index's candidates while counting (at first, at most).
PG_FETCH_FIRST = 100
PG_FETCH_MAX = 2000


class _Pg:
    """One PostgreSQL grouped search over the plain DBAPI cursor (rows as tuples)."""

    def __init__(self, conn: Connection, terms: list[str], filters: tuple[str, list], min_up: int,
                 article_id: int | None):
        self.conn = conn
        self.cur = conn.connection.cursor()
        self.terms, self.min_up, self.article_id = terms, min_up, article_id
        self.filt, self.filt_params = filters
        # every query here reads a bounded number of rows through an index, but is planned
        # as if it read every candidate: then JIT compilation (tens of ms) would be chosen,
        # and a scan of a whole table that tests each row's grams (reading every body's
        # array) would look cheaper than the index. Both off for this search's transaction;
        # and no prefetch advice for the candidates' pages (a system call for each page,
        # which the OS has cached already in the usual case).
        # (with the index watermarks and the tables' highest ids, in the same round trip)
        row = self.rows("SELECT current_setting('jit'), current_setting('enable_seqscan'), "
                        "current_setting('effective_io_concurrency'), "
                        "set_config('jit', 'off', true), set_config('enable_seqscan', 'off', true), "
                        "set_config('effective_io_concurrency', '0', true), "
                        "(SELECT value FROM search_state WHERE name = %s), (SELECT max(id) FROM comments), "
                        "(SELECT value FROM search_state WHERE name = %s), (SELECT max(id) FROM articles)",
                        [pg_grams.COMMENTS, pg_grams.ARTICLES])[0]
        self.settings = row[:3]
        state = conn.info[_PG_STATE] = {pg_grams.COMMENTS: (row[6], row[7] or 0), pg_grams.ARTICLES: (row[8], row[9] or 0)}
        self.wm_comments, top_comments = state[pg_grams.COMMENTS]
        self.wm_articles, top_articles = state[pg_grams.ARTICLES]
        self.comments_tail = top_comments > self.wm_comments
        self.articles_tail = top_articles > self.wm_articles
        self.fields = [] if min_up else list(_ARTICLE_COLUMNS.values())
        cond = _pg_gin(tuple(terms))  # the same codes for every column
        self.gin = {c: cond.replace(_GIN_COLUMN, "g." + c) for c in _ARTICLE_COLUMNS.values()}
        self.comment_gin = cond.replace(_GIN_COLUMN, "g.grams")
        self.exact = _pg_exact(terms)
        self.field_has = {c: _pg_has("a." + c, terms) for c in self.fields}
        # "no field of the article holds the words" (shorter fields are checked first)
        self.no_field = (" AND NOT (" + " OR ".join(f"({h})" for h, _ in self.field_has.values()) + ")"
                         if self.fields else "")
        self.no_field_params = [p for _, ps in self.field_has.values() for p in ps]
        self.has_text, self.has_text_params = _pg_has("c.text", terms)
        self.walk_has, self.walk_has_params = _pg_has("w.text", terms)
        # the comments' conditions (current, ▲, the words, the filters), on ``c`` joined to ``a``
        self.comment_join = " JOIN articles a ON a.id = c.article_id" if self.filt else ""
        self.comment_cond = f"c.position IS NOT NULL AND c.up >= %s AND {self.has_text}{self.filt}"
        self.comment_params = [min_up, *self.has_text_params, *self.filt_params]
        if article_id is not None:  # one article's comments: read through its index
            self.comment_cond = "c.article_id = %s AND " + self.comment_cond
            self.comment_params = [article_id, *self.comment_params]

    def rows(self, sql: str, params: list) -> list[tuple]:
        self.cur.execute(sql, params)
        return self.cur.fetchall()

    # -- the articles' fields

    def field_tier(self, i: int, n: int) -> list[int]:
        """The newest ``n`` articles whose field ``i`` is the best one holding the words."""
        col = self.fields[i]
        has = [self.field_has[c] for c in self.fields[:i + 1]]
        cond = has[-1][0] + "".join(f" AND NOT ({h})" for h, _ in has[:-1]) + self.filt
        params = has[-1][1] + [p for _, ps in has[:-1] for p in ps] + self.filt_params
        # the rows not indexed yet are the newest: first
        out = [r[0] for r in self.rows(f"SELECT a.id FROM articles a WHERE a.id > %s AND {cond} "
                                       "ORDER BY a.id DESC LIMIT %s", [self.wm_articles, *params, n])
               ] if self.articles_tail else []
        if len(out) < n:
            # the candidates from the index, then checked and sorted (OFFSET 0: not a walk of
            # the primary key that tests every article's grams)
            out += [r[0] for r in self.rows(
                f"SELECT a.id FROM (SELECT g.id FROM article_grams g WHERE {self.gin[col]} OFFSET 0) k "
                f"JOIN articles a ON a.id = k.id WHERE {cond} ORDER BY a.id DESC LIMIT %s", [*params, n - len(out)])]
        return out

    def field_ids(self, columns: list[str], cap: int, skip: set[int]) -> list[int]:
        """Up to ``cap`` articles, ``skip`` aside, whose ``columns`` hold the words (the
        unindexed ones first). For words the index settles, from the index alone."""
        has = [self.field_has[c] for c in columns]
        any_has = " OR ".join(f"({h})" for h, _ in has)
        any_params = [p for _, ps in has for p in ps]
        out: list[int] = []
        if self.articles_tail:
            out += [r[0] for r in self.rows(
                f"SELECT a.id FROM articles a WHERE a.id > %s AND ({any_has}){self.filt} LIMIT %s",
                [self.wm_articles, *any_params, *self.filt_params, cap + len(skip)]) if r[0] not in skip]
        # each column's candidates on their own (a bitmap scan of the index for each: an OR
        # of the columns is a scan that reads their arrays)
        for col in columns:
            if len(out) >= cap:
                break
            if self.exact:  # (joined to articles all the same: the grams of a deleted article stay)
                sql = (f"SELECT a.id FROM (SELECT g.id FROM article_grams g WHERE {self.gin[col]} OFFSET 0) k "
                       f"JOIN articles a ON a.id = k.id WHERE true{self.filt} LIMIT %s")
                params = [*self.filt_params, cap + len(skip)]
            else:
                h, ps = self.field_has[col]
                sql = (f"SELECT a.id FROM (SELECT g.id FROM article_grams g WHERE {self.gin[col]} OFFSET 0) k "
                       f"JOIN articles a ON a.id = k.id WHERE {h}{self.filt} LIMIT %s")
                params = [*ps, *self.filt_params, cap + len(skip)]
            known = set(out)
            out += [r[0] for r in self.rows(sql, params) if r[0] not in skip and r[0] not in known]
        return out[:cap]

    def eligible(self, aids: list[int]) -> set[int]:
        """Of these articles, those that pass the filters and have no field holding the words."""
        if not aids:
            return set()
        return {r[0] for r in self.rows(f"SELECT a.id FROM articles a WHERE a.id = ANY(%s){self.filt}{self.no_field}",
                                        [aids, *self.filt_params, *self.no_field_params])}

    def first_eligible(self, ordered: list[int], n: int, skip: set[int]) -> list[int]:
        """The first ``n`` of ``ordered`` that pass the filters and have no field holding the
        words (checked a few at a time)."""
        out: list[int] = []
        at, step = 0, max(2 * n, 16)
        while len(out) < n and at < len(ordered):
            chunk = [a for a in ordered[at:at + step] if a not in skip]
            ok = self.eligible(chunk) if (self.fields or self.filt) else set(chunk)
            out += [a for a in chunk if a in ok]
            at += step
            step *= 2
        return out[:n]

    # -- the comments

    def groups(self) -> list[tuple[int, int]]:
        """(article id, best ▲) of every article with a current comment holding the words (and
        passing the filters), best ▲ first, then the newer article: the candidates fetched as
        one array, then each comment by primary key."""
        cand, params = "", []
        if self.article_id is None:  # else: the article's comments through its index
            sql = f"SELECT g.id FROM comment_grams g WHERE {self.comment_gin}"
            if self.comments_tail:
                sql += " UNION ALL SELECT id FROM comments WHERE id > %s"
                params.append(self.wm_comments)
            cand = f" AND c.id = ANY(ARRAY({sql}))"
        return self.rows(f"SELECT c.article_id, max(c.up) AS up FROM comments c{self.comment_join} "
                         f"WHERE {self.comment_cond}{cand} GROUP BY c.article_id ORDER BY up DESC, c.article_id DESC",
                         [*self.comment_params, *params])

    def walk(self, n: int, skip: set[int], budget: int) -> tuple[list[int], int]:
        """The comments in ranking order (▲, then newer article, then position), the first
        ``budget`` of them checked for the words: the first ``n`` (at most) eligible articles
        among them, and how many of the rows held the words."""
        rows = self.rows(
            f"SELECT w.article_id FROM (SELECT up, article_id, position, text FROM comments "
            f"WHERE position IS NOT NULL AND up >= %s ORDER BY up DESC, article_id DESC, position LIMIT %s) w "
            f"WHERE {self.walk_has} ORDER BY w.up DESC, w.article_id DESC, w.position",
            [self.min_up, budget, *self.walk_has_params])
        # an article's first row is its best: any article not among these rows ranks after them
        ordered = list(dict.fromkeys(r[0] for r in rows))
        return self.first_eligible(ordered, n, skip), len(rows)

    def comment_articles(self, skip: set[int], cap: int) -> list[int]:
        """Up to ``cap`` articles, ``skip`` aside, with a current comment holding the words: the
        candidates streamed (a server-side cursor) until that many are found."""
        found: dict[int, None] = {}
        sources = []
        if self.article_id is not None:
            sources.append((f"SELECT c.article_id FROM comments c{self.comment_join} WHERE {self.comment_cond}",
                            self.comment_params))
        else:
            if self.comments_tail:
                sources.append((f"SELECT c.article_id FROM comments c{self.comment_join} WHERE c.id > %s "
                                f"AND {self.comment_cond}", [self.wm_comments, *self.comment_params]))
            # OFFSET 0: the candidates from the index (a bitmap scan, in the table's order),
            # each comment read by primary key, streamed (not a merge join along both keys)
            sources.append((f"SELECT c.article_id FROM (SELECT g.id FROM comment_grams g WHERE {self.comment_gin} "
                            f"OFFSET 0) k JOIN comments c ON c.id = k.id{self.comment_join} WHERE {self.comment_cond}",
                            self.comment_params))
        for sql, params in sources:
            if len(found) >= cap:
                break
            cur = self.conn.connection.dbapi_connection.cursor(name="matome_comment_articles")
            try:
                cur.execute(sql, params)
                size, read = PG_FETCH_FIRST, 0
                while len(found) < cap:
                    batch = cur.fetchmany(size)
                    if not batch:
                        break
                    for (aid,) in batch:
                        if aid not in skip:
                            found[aid] = None
                    # the next fetch: about the rows still needed at the rate of new articles so far
                    read += len(batch)
                    rate = max(len(found), 1) / read
                    size = min(PG_FETCH_MAX, max(PG_FETCH_FIRST, int(1.05 * (cap - len(found)) / rate)))
            finally:
                cur.close()
        return list(found)[:cap]

    def count(self, cap: int, comment_ids: list[int] | None = None) -> int:
        """How many articles (at most ``cap``) hold the words in a field or a current comment.
        ``comment_ids``: every article found by its comments, when already known. The cheap
        sources first: for words the index settles, the fields from the index alone; else the
        titles and summaries, then the comments, and the bodies last (a body read costs
        about as much as two comments), only if still short."""
        if not self.fields:
            return min(cap, len(comment_ids if comment_ids is not None else self.comment_articles(set(), cap)))
        first = self.fields if self.exact else [c for c in self.fields if c != "body_text"]
        seen = set(self.field_ids(first, cap, set()))
        if len(seen) < cap:
            seen.update(comment_ids if comment_ids is not None else self.comment_articles(seen, cap - len(seen)))
        if len(seen) < cap and not self.exact:
            seen.update(self.field_ids(["body_text"], cap - len(seen), seen))
        return min(len(seen), cap)

    def close(self) -> None:
        try:
            self.rows("SELECT set_config('jit', %s, true), set_config('enable_seqscan', %s, true), "
                      "set_config('effective_io_concurrency', %s, true)", list(self.settings))
        finally:
            self.cur.close()


def _pg_ranked(conn: Connection, terms: list[str], filters: tuple[str, list], min_up: int, article_id: int | None,
               want: int, cap: int) -> tuple[list[int], Callable[[], tuple[int, bool]]] | None:
    """The same as :func:`_ranked_all` on PostgreSQL, reading only what the page and a bounded
    count need: each field tier from the index's candidates, newest first (stopping at
    ``want``); the articles found by their comments only by a walk of the ▲ order (a short
    one, and a longer one sized by the short one's rate when that promises the page within
    :data:`PG_WALK_MAX` rows),
    else by collecting all their comments; the total counted with a stop at ``cap`` (the
    articles with a matching field first, then the comments' candidates streamed, on
    another connection while the page is ranked and read: the ranked ids and a function
    giving the total and whether it is exact). None when no word can use the index."""
    if _pg_gin(tuple(terms)) is None:
        return None
    counting = None
    if PG_COUNT_APART and article_id is None and _spare_connection(conn.engine):
        counting = _Counting(conn.engine, terms, filters, min_up, cap)
    pg = _Pg(conn, terms, filters, min_up, article_id)
    try:
        ranked: list[int] = []
        for i in range(len(pg.fields)):
            if len(ranked) >= want:
                break
            ranked += pg.field_tier(i, want - len(ranked))
        need = want - len(ranked)
        groups = None
        if need > 0:
            walked: list[int] = []
            if article_id is None:
                walked, _ = pg.walk(need, set(ranked), PG_WALK_FIRST)
                # a longer walk only when the short one's matches promise a page within PG_WALK_MAX
                if 0 < len(walked) < need and (rows := -(-2 * need * PG_WALK_FIRST // len(walked))) <= PG_WALK_MAX:
                    walked, _ = pg.walk(need, set(ranked), rows)
            if len(walked) < need:  # few (or scattered): every article found by comments (the count uses them too)
                groups = [aid for aid, _ in pg.groups()]
                walked = pg.first_eligible(groups, need, set(ranked))
            ranked += walked
        if counting is not None:
            return ranked, counting.result
        total = pg.count(cap, groups)
        return ranked, lambda: (total, total < cap)
    except BaseException:
        if counting is not None:
            counting.join()
        raise
    finally:
        pg.close()


#: Count the PostgreSQL grouped search's total on a connection of its own, while the page is
#: ranked and its rows read (the count streams up to a few thousand candidates, the page
#: reads a few hundred rows: the server works on both at once).
PG_COUNT_APART = True


def _spare_connection(engine) -> bool:
    """Whether the engine's pool has a connection to spare for the count now: fewer checked
    out than its base size. Under load (many searches at once, as on a busy web server) the
    count runs on the search's own connection instead, so that no search waits for a pool
    connection that other searches hold while they wait for theirs."""
    pool = engine.pool
    size, out = getattr(pool, "size", None), getattr(pool, "checkedout", None)
    if not callable(size) or not callable(out):
        return False
    return out() < size()


class _Counting(threading.Thread):
    """:meth:`_Pg.count` on another connection of the engine's pool, in a thread."""

    def __init__(self, engine, terms: list[str], filters: tuple[str, list], min_up: int, cap: int):
        super().__init__(name="matome-search-count", daemon=True)
        self.engine, self.terms, self.filters, self.min_up, self.cap = engine, terms, filters, min_up, cap
        self.total: int | None = None
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            with self.engine.connect() as conn:
                pg = _Pg(conn, self.terms, self.filters, self.min_up, None)
                try:
                    self.total = pg.count(self.cap)
                finally:  # (its settings end with the transaction, when the connection returns)
                    pg.cur.close()
        except BaseException as e:  # handed to the searching thread
            self.error = e

    def result(self) -> tuple[int, bool]:
        """The total and whether it is exact (waits for the count)."""
        self.join()
        if self.error is not None:
            raise self.error
        assert self.total is not None
        return self.total, self.total < self.cap

@_one_state
def search_articles(
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
) -> SearchPage:
    """One result per matching article: those with the words in the title first, then in the
    summary, the body, and those found by their comments only; in a field tier the newer
    article first, among the comment-only ones the best matching comment's ▲ first (then the
    newer). The total counts matching articles up to :data:`COUNT_CAP` (``total_exact``);
    the page from ``offset`` shows each article's matching fields, how many of its comments
    match, their best ▲ and up to :data:`SNIPPETS_PER_ARTICLE` snippets."""
    terms = parse_terms(query)
    if limit < 0 or offset < 0 or min_up < 0:
        raise SearchQueryError("limit, offset and min_up cannot be negative")
    lo, hi = _bound(since, end=False), _bound(until, end=True)
    if not terms:
        return SearchPage(query, 0, offset, limit, ())
    want = offset + limit
    match = _match_query(terms) if conn.dialect.name == "sqlite" else None
    # one more than the page: whether another page follows, when the total is not exact
    if match:  # SQLite with words the index serves (1-character ones as prefixes of bigrams)
        ranked, total, exact = _sqlite_ranked(conn, terms, match, _plain_filters(lo, hi, source, article_id), min_up,
                                              want + 1, COUNT_CAP)
    else:
        found = None
        if conn.dialect.name == "postgresql":
            found = _pg_ranked(conn, terms, _plain_filters(lo, hi, source, article_id, "%s"), min_up, article_id,
                               want + 1, COUNT_CAP)
        if found is None:  # words no index serves
            ranked, total, exact = _ranked_all(conn, terms, _article_filters(lo, hi, source, article_id), min_up,
                                               want + 1, COUNT_CAP)
        else:  # the total may still be counted on another connection meanwhile
            ranked, total_of = found
            try:
                page = ranked[offset:want]
                results = tuple(_results(conn, terms, page, min_up)) if page else ()
            finally:
                total, exact = total_of()
            return SearchPage(query, total, offset, limit, results, exact, len(ranked) > want)
    page, more = ranked[offset:want], len(ranked) > want
    if not page:
        return SearchPage(query, total, offset, limit, (), exact, more)
    return SearchPage(query, total, offset, limit, tuple(_results(conn, terms, page, min_up)), exact, more)


def _sq_thread_listed(cur, terms: list[str], page: list[int]) -> list[int] | None:
    """SQLite: the articles of ``page`` that may have a comment holding the words: those the
    thread index lists (a superset: its row holds all the article's comments, gone ones too)
    and those with comments not indexed yet; None when the index cannot tell (no word it
    serves, an archive without it)."""
    match = _match_query(terms)
    marks = dict(cur.execute("SELECT name, value FROM search_state").fetchall())
    if match is None or marks.get("threads_indexed") is None or not page:
        return None
    ids = json.dumps(page)
    listed = {r[0] for r in cur.execute(
        "SELECT rowid FROM thread_grams WHERE thread_grams MATCH ? AND rowid BETWEEN ? AND ? "
        "AND +rowid IN (SELECT value FROM json_each(?))", [match, min(page), max(page), ids])}  # (one range: '+')
    wm = marks["threads_indexed"]
    if cur.execute("SELECT coalesce(max(id), 0) FROM comments").fetchone()[0] > wm:
        listed.update(r[0] for r in cur.execute(
            "SELECT DISTINCT article_id FROM comments WHERE id > ? AND article_id IN (SELECT value FROM json_each(?))",
            [wm, ids]))
    return [a for a in page if a in listed]


def _results(conn: Connection, terms: list[str], page: list[int], min_up: int) -> list[ArticleResult]:
    """The page's articles with their matching fields, matching comments and snippets."""
    if conn.dialect.name == "sqlite":  # the plain cursor: tuples, no statement to compile
        has, params = _sq_has("text", terms)
        ids = json.dumps(page)
        cur = conn.connection.cursor()
        try:
            rows = {r[0]: r for r in cur.execute(
                "SELECT id, title, source, published_at, summary_text, body_text FROM articles "
                "WHERE id IN (SELECT value FROM json_each(?))", [ids])}
            # only the comments of the articles whose thread row may hold the words
            with_comments = _sq_thread_listed(cur, terms, page)
            found_rows = cur.execute(
                f"SELECT article_id, position, up, down, text FROM comments WHERE article_id IN "
                f"(SELECT value FROM json_each(?)) AND position IS NOT NULL AND up >= ? AND {has}",
                [json.dumps(with_comments) if with_comments is not None else ids, min_up, *params]
            ).fetchall() if with_comments != [] else []
        finally:
            cur.close()
    elif conn.dialect.name == "postgresql":  # the plain cursor too
        has, params = _pg_has("text", terms)
        cur = conn.connection.cursor()
        try:
            cur.execute("SELECT id, title, source, published_at, summary_text, body_text FROM articles "
                        "WHERE id = ANY(%s)", [page])
            rows = {r[0]: r for r in cur.fetchall()}
            cur.execute(f"SELECT article_id, position, up, down, text FROM comments WHERE article_id = ANY(%s) "
                        f"AND position IS NOT NULL AND up >= %s AND {has}", [page, min_up, *params])
            found_rows = cur.fetchall()
        finally:
            cur.close()
    else:
        rows = {r[0]: tuple(r) for r in conn.execute(
            select(articles.c.id, articles.c.title, articles.c.source, articles.c.published_at,
                   articles.c.summary_text, articles.c.body_text).where(articles.c.id.in_(page)))}
        cond = [comments.c.article_id.in_(page), comments.c.position.is_not(None),
                *(_has(conn, comments.c.text, t) for t in terms)]
        if min_up:
            cond.append(comments.c.up >= min_up)
        found_rows = conn.execute(select(comments.c.article_id, comments.c.position, comments.c.up, comments.c.down,
                                         comments.c.text).where(*cond)).all()
    matching: dict[int, list[tuple[int, int, int, str]]] = {}
    for aid, pos, up, down, body in found_rows:
        matching.setdefault(aid, []).append((-up, pos, down, body))
    forms = _snippet_terms(terms)
    results = []
    for aid in page:
        if aid not in rows:
            continue  # deleted since it was ranked
        _, title, source, published_at, summary_text, body_text = rows[aid]
        fields = {"title": title, "summary": summary_text, "body": body_text}
        kinds = [] if min_up else [k for k, body in fields.items() if all(_holds(body, t) for t in terms)]
        found = sorted(matching.get(aid, ()))
        if found:
            kinds.append("comment")
        if not kinds:
            continue  # changed since it was ranked
        hits: list[SearchHit] = []
        for kind in kinds:
            if kind == "comment" or len(hits) >= SNIPPETS_PER_ARTICLE - (1 if found else 0):
                continue
            hits.append(SearchHit(aid, kind, None, title, snippet(fields[kind], forms), 0, 0,
                                  float(10 * KIND_WEIGHT[kind]), source, published_at))
        for neg_up, pos, down, body in found[:SNIPPETS_PER_ARTICLE - len(hits)]:
            hits.append(SearchHit(aid, "comment", pos, title, snippet(body, forms), -neg_up, down,
                                  float(10 * KIND_WEIGHT["comment"]), source, published_at))
        results.append(ArticleResult(aid, title, source, published_at, float(10 * KIND_WEIGHT[kinds[0]]),
                                     -found[0][0] if found else 0, tuple(kinds), len(found), tuple(hits)))
    return results


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
