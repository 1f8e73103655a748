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
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

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


def width_forms(term: str) -> list[str]:
    """The spellings of an NFKC-normalised term that NFKC folds into it: itself, with
    full-width ASCII, with half-width katakana, and with both (distinct, in that order)."""
    full = "".join(_FULL_ASCII.get(ch, ch) for ch in term)
    forms = [term, full, "".join(_HALF_KANA.get(ch, ch) for ch in term),
             "".join(_HALF_KANA.get(ch, ch) for ch in full)]
    out: list[str] = []
    for f in forms:
        if f not in out:
            out.append(f)
    return out


def _has(conn: Connection, column, term: str):
    """The SQL condition "``column`` holds ``term`` in one of its width forms"."""
    forms = width_forms(term)
    if len(forms) == 1:
        return _contains(conn, column, term)
    return or_(*(_contains(conn, column, f) for f in forms))


def _holds(body: str, term: str) -> bool:
    return any(f in body for f in width_forms(term))


def _match_query(terms: list[str]) -> str | None:
    """The SQLite index query for ``terms``, each term as an OR of its width forms; the same
    rule as :func:`grams.match_query` (1-character terms only when nothing longer is there)."""
    served: list[tuple[str, str]] = []
    for t in terms:
        queries = [grams.term_query(f) for f in width_forms(t)]
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
        first = (
            select(*cols, comments.c.text)
            .with_hint(comments, "INDEXED BY ix_comments_rank", "sqlite")
            .where(comments.c.position.is_not(None), *([comments.c.up >= min_up] if min_up else []))
            .order_by(*order).limit(WALK_ROWS).subquery()
        )
        q = select(*(first.c[c.name] for c in cols)).where(*(_has(conn, first.c.text, t) for t in terms))
        if afilters:
            q = q.join_from(first, articles, articles.c.id == first.c.article_id).where(*afilters)
        q = q.order_by(first.c.up.desc(), first.c.article_id.desc(), first.c.position).limit(want)
        rows = [tuple(r) for r in conn.execute(q)]
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
        hits.append(SearchHit(aid, kind, pos, m.title, snippet(body, _snippet_terms(terms)), up, down, float(sc), m.source, m.published_at))
    return hits


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
    """A page of a grouped search: ``total`` matching articles, ``results`` from ``offset``."""

    query: str
    total: int
    offset: int
    limit: int
    results: tuple[ArticleResult, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "total": self.total, "offset": self.offset, "limit": self.limit,
                "results": [r.to_dict() for r in self.results]}


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
    """One result per matching article, ranked like :func:`search` ranks its best hit (the
    best field: title, summary, body, comment; then the best comment's ▲; then the newer
    article), with the total number of matching articles and the page from ``offset``."""
    terms = parse_terms(query)
    if limit < 0 or offset < 0 or min_up < 0:
        raise SearchQueryError("limit, offset and min_up cannot be negative")
    lo, hi = _bound(since, end=False), _bound(until, end=True)
    if not terms:
        return SearchPage(query, 0, offset, limit, ())
    afilters = _article_filters(lo, hi, source, article_id)
    found: dict[int, dict[str, Any]] = {}
    for aid, (up, n) in _comment_groups(conn, terms, afilters, min_up).items():
        found[aid] = {"kinds": ["comment"], "up": up, "n": n}
    if not min_up:  # articles carry no votes of their own
        for kind in _ARTICLE_COLUMNS:
            for aid in _field_ids(conn, kind, terms, afilters):
                found.setdefault(aid, {"kinds": [], "up": 0, "n": 0})["kinds"].append(kind)
    for f in found.values():
        f["kinds"].sort(key=lambda k: -KIND_WEIGHT[k])
    ranked = sorted(found, key=lambda a: (-KIND_WEIGHT[found[a]["kinds"][0]], -found[a]["up"], -a))
    page = ranked[offset:offset + limit]
    if not page:
        return SearchPage(query, len(ranked), offset, limit, ())
    rows = {
        r.id: r for r in conn.execute(
            select(articles.c.id, articles.c.title, articles.c.source, articles.c.published_at,
                   articles.c.summary_text, articles.c.body_text).where(articles.c.id.in_(page)))
    }
    forms = _snippet_terms(terms)
    results = []
    for aid in page:
        f, row = found[aid], rows[aid]
        hits: list[SearchHit] = []
        for kind in f["kinds"]:
            if kind == "comment" or len(hits) >= SNIPPETS_PER_ARTICLE - (1 if f["n"] else 0):
                continue
            body = getattr(row, _ARTICLE_COLUMNS[kind])
            hits.append(SearchHit(aid, kind, None, row.title, snippet(body, forms), 0, 0,
                                  float(10 * KIND_WEIGHT[kind]), row.source, row.published_at))
        if f["n"]:
            cond = [comments.c.article_id == aid, comments.c.position.is_not(None),
                    *(_has(conn, comments.c.text, t) for t in terms)]
            if min_up:
                cond.append(comments.c.up >= min_up)
            q = (select(comments.c.position, comments.c.up, comments.c.down, comments.c.text).where(*cond)
                 .order_by(comments.c.up.desc(), comments.c.position).limit(SNIPPETS_PER_ARTICLE - len(hits)))
            for pos, up, down, body in conn.execute(q):
                hits.append(SearchHit(aid, "comment", pos, row.title, snippet(body, forms), up, down,
                                      float(10 * KIND_WEIGHT["comment"]), row.source, row.published_at))
        results.append(ArticleResult(aid, row.title, row.source, row.published_at,
                                     float(10 * KIND_WEIGHT[f["kinds"][0]]), f["up"], tuple(f["kinds"]), f["n"],
                                     tuple(hits)))
    return SearchPage(query, len(ranked), offset, limit, tuple(results))


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
