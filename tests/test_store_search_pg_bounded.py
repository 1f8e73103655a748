"""PostgreSQL's bounded grouped search (``search._pg_ranked``) against the brute-force ranking
(``search._ranked_all``, every match collected and sorted): the same pages (ids, snippets,
total, total_exact, more) on every path: field tiers, the ▲-order walk (short, long),
collecting the comments' candidates, the total streamed from the candidates up to the cap
(on a connection of its own, or after the ranking), with ▲, date, source and article
filters, offset pages, vanished comments and rows not indexed yet. Each path is forced on this small archive by shrinking its thresholds, and the
tests check that it ran."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

import pytest

from matome.store import open_store
from matome.store import search as S
from matome.store.store import Store
from test_store_search_bounded import expected_ranking
from test_store_support import PG_SKIP, make_entry, make_pg_schema_url, pg_url, text_of

# 賛成: in about a third of the comments and some fields; 桜餅: in three comments only;
# 半導体: also spelled apart (半導…導体, a candidate of the bigram index that does not hold
# it); AI/ＡＩ: width forms; 鬱: one kanji; の: not served by the index (brute force)
QUERIES = ["賛成", "桜餅", "半導体", "AI", "ＡＩ", "鬱", "賛成 反対", "賛成 桜餅", "の", "存在しない語"]
PAGES = [(10_000, 0), (4, 0), (4, 3), (3, 8), (1, 20)]
#: The queries the Python brute force can check (it knows no width forms).
PLAIN = [q for q in QUERIES if all(len(S.width_forms(t)) == 1 for t in S.parse_terms(q))]


def _comments(rng: random.Random, k: int) -> list[tuple[str, int, int]]:
    out = []
    for i in range(rng.randrange(3, 12)):
        words = []
        if rng.random() < 0.35:
            words.append("賛成")
        if rng.random() < 0.2:
            words.append("反対")
        if rng.random() < 0.1:
            words.append(rng.choice(["半導体", "半導と導体", "AI", "ＡＩ", "鬱"]))
        if (k, i) in ((3, 1), (40, 0), (57, 2)):
            words.append("桜餅")
        # few ▲ values: many ties across articles (ranked by the newer article)
        out.append((text_of(rng, 4) + "".join(words) + text_of(rng, 3), rng.choice([0, 1, 2, 3, 5, 8, 8, 13, 20]),
                    rng.randrange(5)))
    return out


def corpus() -> list:
    rng = random.Random(13)
    out = []
    for k in range(70):
        title = text_of(rng, 3) + ("賛成の声" if k % 9 == 0 else "") + ("AI" if k % 11 == 0 else "")
        body = [text_of(rng, 6) + ("賛成多数" if k % 5 == 0 else "") + ("半導体" if k % 13 == 0 else ""),
                text_of(rng, 6)]
        e = make_entry(k, _comments(rng, k), title=title, body=body,
                       source="東京新聞" if k % 3 == 0 else "テスト通信",
                       published=f"{1 + k % 6}/{1 + k % 27}(月) 10:00")
        summary = text_of(rng, 4) + ("反対と賛成" if k % 7 == 0 else "")
        out.append(replace(e, summary=replace(e.summary, paragraphs=(summary,))))
    return out


def vanish_first_comments(entries: list, ks: tuple[int, ...]) -> list:
    """The same articles fetched again without their first comment (it vanishes: position NULL)."""
    out = []
    for k in ks:
        e = entries[k]
        kept = [(c.text, c.votes.up, c.votes.down) for c in e.comments[1:]]
        again = make_entry(k, kept, stamp="2025/02/14 09:00:00")
        out.append(replace(e, thread=again.thread))
    return out


@pytest.fixture(scope="module")
def archive():
    if not pg_url():
        pytest.skip(PG_SKIP)
    url, drop = make_pg_schema_url(pg_url())
    store = open_store(url)
    try:
        entries = corpus()
        ids = store.ingest_entries(entries, digest=False).article_ids
        again = vanish_first_comments(entries, (0, 3, 9, 40))
        report = store.ingest_entries(again, digest=False)
        assert not report.failed
        with store.engine.connect() as c:
            from sqlalchemy import text

            assert c.execute(text("SELECT count(*) FROM comments WHERE position IS NULL")).scalar() == 4
        # the entries as the archive now holds them (for the brute force in Python)
        current = list(entries)
        for k, e in zip((0, 3, 9, 40), again):
            current[k] = e
        yield store, current, {e.key: aid for e, aid in zip(current, ids)}
    finally:
        store.close()
        drop()


class Spy:
    """Which paths of the bounded search ran."""

    def __init__(self, monkeypatch):
        self.calls: Counter = Counter()
        for name in ("walk", "groups", "comment_articles", "field_ids"):
            monkeypatch.setattr(S._Pg, name, self._wrap(name, getattr(S._Pg, name)))
        real = S._pg_ranked

        def ranked(*args, **kwargs):
            found = real(*args, **kwargs)
            self.calls["bounded" if found is not None else "unserved"] += 1
            return found

        monkeypatch.setattr(S, "_pg_ranked", ranked)

    def _wrap(self, name, fn):
        def run(pg, *args, **kwargs):
            out = fn(pg, *args, **kwargs)
            self.calls[name] += 1
            if name == "walk" and len(out[0]) >= args[0]:
                self.calls["walk filled"] += 1
            return out

        return run


def brute_force(store, query, monkeypatch, **kw):
    with monkeypatch.context() as m:
        m.setattr(S, "_pg_ranked", lambda *a, **k: None)
        return store.search_articles(query, **kw)


def check(store, query, monkeypatch, **kw):
    """Every page of the bounded search equals the brute force's (results, total, exactness, more)."""
    for limit, offset in PAGES:
        got = store.search_articles(query, limit=limit, offset=offset, **kw)
        want = brute_force(store, query, monkeypatch, limit=limit, offset=offset, **kw)
        assert got == want, (query, kw, limit, offset)


def filters(keys, entries):
    aid = keys[entries[5].key]
    return [{}, {"min_up": 5}, {"source": "東京新聞"}, {"since": "2025-02-01", "until": "2025-04-10"},
            {"article_id": aid}, {"min_up": 3, "source": "テスト通信", "since": "2025-03-01"}]


# the thresholds that force each path on this small archive, and the paths they must take
CONFIGS = {
    "walk": ({"PG_WALK_FIRST": 10**6}, ["walk filled"]),
    "long walk": ({"PG_WALK_FIRST": 5, "PG_WALK_MAX": 10**6}, ["walk filled"]),
    "collect": ({"PG_WALK_FIRST": 1, "PG_WALK_MAX": 2}, ["groups"]),
    "stream": ({"PG_WALK_FIRST": 40, "PG_WALK_MAX": 120, "PG_FETCH_FIRST": 1, "PG_FETCH_MAX": 3},
               ["comment_articles", "field_ids"]),
    # the total counted on the search's own connection, after the ranking (the collected
    # comments counted again when there are some)
    "count inline": ({"PG_COUNT_APART": False, "PG_WALK_FIRST": 20, "PG_WALK_MAX": 60, "PG_FETCH_FIRST": 2},
                     ["comment_articles", "groups"]),
}


@pytest.mark.parametrize("config", CONFIGS)
def test_bounded_pages_equal_brute_force_on_every_path(archive, config, monkeypatch):
    store, entries, keys = archive
    values, paths = CONFIGS[config]
    for name, value in values.items():
        monkeypatch.setattr(S, name, value)
    spy = Spy(monkeypatch)
    for query in QUERIES:
        for kw in filters(keys, entries):
            check(store, query, monkeypatch, **kw)
    for path in paths + ["bounded", "unserved", "walk"]:
        assert spy.calls[path], (path, spy.calls)


@pytest.mark.parametrize("cap", [1, 4, 15, 40])
def test_total_is_counted_up_to_the_cap_like_brute_force(archive, cap, monkeypatch):
    store, entries, keys = archive
    monkeypatch.setattr(S, "COUNT_CAP", cap)
    monkeypatch.setattr(S, "PG_FETCH_FIRST", 2)
    spy = Spy(monkeypatch)
    for query in QUERIES:
        for kw in filters(keys, entries)[:4]:
            check(store, query, monkeypatch, **kw)
            full = store.search_articles(query, limit=10_000, **kw)
            if query in PLAIN:
                n = len(expected_ranking(entries, keys, query, **kw))
                assert (full.total, full.total_exact) == (min(n, cap), n < cap), (query, kw)
    assert spy.calls["comment_articles"] and spy.calls["bounded"]


def test_ranking_matches_the_python_brute_force(archive, monkeypatch):
    """Independently of SQL: the bounded ranking is the one worked out from the entries."""
    store, entries, keys = archive
    monkeypatch.setattr(S, "PG_WALK_FIRST", 3)
    for query in PLAIN:
        for kw in filters(keys, entries)[:4]:
            want = expected_ranking(entries, keys, query, **kw)
            page = store.search_articles(query, limit=10_000, **kw)
            assert [r.article_id for r in page.results] == want, (query, kw)
            assert page.total == len(want) and page.total_exact


@pytest.fixture
def half_indexed(monkeypatch):
    """A PostgreSQL archive whose last articles and comments lie above the index watermarks
    (as when a search could not index), with searches that do not index first."""
    if not pg_url():
        pytest.skip(PG_SKIP)
    url, drop = make_pg_schema_url(pg_url())
    try:
        with open_store(url) as s:
            entries = corpus()
            s.ingest_entries(entries[:35], digest=False)
            s.build_search_index()
            s.ingest_entries(entries[35:], digest=False)  # not indexed
            monkeypatch.setattr(Store, "_ensure_index", lambda self: None)
            yield s
    finally:
        drop()


def test_rows_not_indexed_yet_are_ranked_and_counted(half_indexed, monkeypatch):
    """Articles and comments above the index watermarks (a search that could not index) are
    found by every path of the bounded search, as by the brute force."""
    for values, _ in CONFIGS.values():
        with monkeypatch.context() as m:
            for name, value in values.items():
                m.setattr(S, name, value)
            for cap in (1000, 6):
                m.setattr(S, "COUNT_CAP", cap)
                for query in QUERIES[:7]:
                    for kw in ({}, {"min_up": 5}, {"source": "東京新聞"}):
                        check(half_indexed, query, monkeypatch, **kw)


def test_pg_exact_only_for_one_bigram_or_kanji():
    assert S._pg_exact(["日本"]) and S._pg_exact(["鬱"]) and S._pg_exact(["AI"]) and S._pg_exact(["日本", "政府"])
    assert not S._pg_exact(["半導体"])  # its bigrams may lie apart
    assert not S._pg_exact(["の"])  # not served by the index
    assert not S._pg_exact(["日本", "の"])


def test_a_busy_pool_counts_on_the_searchs_own_connection(archive, monkeypatch):
    """With every pooled connection of the base size checked out (a busy web server), the
    total is counted after the ranking on the search's own connection, not on another one
    it would wait for; the pages are the same."""
    store, entries, keys = archive
    started = []
    real = S._Counting

    class Counting(real):
        def __init__(self, *args, **kwargs):
            started.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(S, "_Counting", Counting)
    free = store.search_articles("賛成", limit=4)
    assert started, "an idle pool should count on a connection of its own"
    held = [store.engine.connect() for _ in range(store.engine.pool.size())]
    try:
        started.clear()
        busy = store.search_articles("賛成", limit=4)
        assert not started
    finally:
        for c in held:
            c.close()
    assert busy == free == brute_force(store, "賛成", monkeypatch, limit=4)


def test_flat_search_walks_short_long_or_collects_with_the_same_hits(archive, monkeypatch):
    """The flat search on PostgreSQL: a short walk of the ▲ order, a longer one sized by its
    rate, or the index's candidates collected give the same hits; a walk of every row is the
    reference."""
    store, entries, keys = archive
    configs = {"every row walked": (10**6, 10**6), "short then long walk": (5, 10**6), "collected": (1, 1)}
    for query in QUERIES:
        for kw in filters(keys, entries):
            for limit, offset in PAGES[1:]:
                got = {}
                for name, (first, most) in configs.items():
                    with monkeypatch.context() as m:
                        m.setattr(S, "PG_WALK_FIRST", first)
                        m.setattr(S, "PG_WALK_MAX", most)
                        got[name] = store.search(query, limit=limit, offset=offset, **kw)
                ref = got.pop("every row walked")
                assert all(v == ref for v in got.values()), (query, kw, limit, offset)


class FlatSpy:
    """Which paths of the direct PostgreSQL flat search (``search._PgFlat``) ran."""

    def __init__(self, monkeypatch):
        self.calls: Counter = Counter()
        real = S._PgFlat.fetch

        def fetch(flat, sql, params):
            if sql.startswith("WITH c0"):
                self.calls["fields"] += 1
                if flat.calls_fields:
                    self.calls["more candidates"] += 1  # a field not filled by its first candidates
                flat.calls_fields += 1
            elif "comment_grams" in sql:
                self.calls["collected"] += 1
                if "UNION ALL SELECT id FROM comments" in sql:
                    self.calls["comments tail"] += 1
            else:
                self.calls["walk"] += 1
            if "UNION ALL SELECT id FROM articles" in sql:
                self.calls["articles tail"] += 1
            return real(flat, sql, params)

        real_init = S._PgFlat.__init__

        def init(flat, *args, **kwargs):
            real_init(flat, *args, **kwargs)
            flat.calls_fields = 0
            self.calls["direct"] += 1

        monkeypatch.setattr(S._PgFlat, "fetch", fetch)
        monkeypatch.setattr(S._PgFlat, "__init__", init)


# the direct flat search's configurations, each against the general path walking every row
FLAT_CONFIGS = {
    "default": {},
    "short then long walk": {"PG_WALK_FIRST": 5, "PG_WALK_MAX": 10**6},
    "collected": {"PG_WALK_FIRST": 1, "PG_WALK_MAX": 1},
    "fields from few candidates": {"PG_FLAT_SPARE": 0, "PG_FLAT_GROW": 2, "PG_WALK_FIRST": 1, "PG_WALK_MAX": 1},
}
FLAT_QUERIES = QUERIES + ["賛成 の", "半導体 の"]


def flat_reference(store, query, monkeypatch, **kw):
    with monkeypatch.context() as m:
        m.setattr(S, "PG_FLAT_DIRECT", False)
        m.setattr(S, "PG_WALK_FIRST", 10**6)
        m.setattr(S, "PG_WALK_MAX", 10**6)
        return store.search(query, **kw)


def test_direct_flat_search_equals_the_general_path(archive, monkeypatch):
    """The direct flat search (plain cursor, the fields from their newest candidates) gives
    the hits, order and snippets of the general path walking every row, with every filter
    (those it does not serve go the general way) and page."""
    store, entries, keys = archive
    for name, values in FLAT_CONFIGS.items():
        with monkeypatch.context() as m:
            for k, v in values.items():
                m.setattr(S, k, v)
            spy = FlatSpy(m)
            for query in FLAT_QUERIES:
                for kw in filters(keys, entries):
                    for limit, offset in PAGES:
                        got = store.search(query, limit=limit, offset=offset, **kw)
                        ref = flat_reference(store, query, monkeypatch, limit=limit, offset=offset, **kw)
                        assert got == ref, (name, query, kw, limit, offset)
            assert spy.calls["direct"] and spy.calls["walk"] and spy.calls["fields"], (name, spy.calls)
            if name != "default" and name != "short then long walk":
                assert spy.calls["collected"], (name, spy.calls)
            if name == "fields from few candidates":
                assert spy.calls["more candidates"], spy.calls


def test_direct_flat_search_finds_rows_not_indexed_yet(half_indexed, monkeypatch):
    """Articles and comments above the index watermarks (a search that could not index) are
    found by the direct flat search as by the general path walking every row."""
    s = half_indexed
    for name, values in FLAT_CONFIGS.items():
        with monkeypatch.context() as m:
            for k, v in values.items():
                m.setattr(S, k, v)
            spy = FlatSpy(m)
            for query in FLAT_QUERIES:
                for kw in ({}, {"min_up": 5}):
                    for limit, offset in PAGES:
                        got = s.search(query, limit=limit, offset=offset, **kw)
                        assert got == flat_reference(s, query, monkeypatch, limit=limit, offset=offset, **kw)
            assert spy.calls["articles tail"], (name, spy.calls)
            if name == "collected":
                assert spy.calls["comments tail"], spy.calls


def test_flat_search_reads_the_watermarks_once_and_still_indexes_first(monkeypatch):
    """Store.search on PostgreSQL reads the index watermarks once per search (handed to the
    search when nothing waits to be indexed); rows ingested since are indexed before the
    search, as before."""
    if not pg_url():
        pytest.skip(PG_SKIP)
    from matome.store import pg_grams

    url, drop = make_pg_schema_url(pg_url())
    try:
        with open_store(url) as s:
            entries = corpus()
            s.ingest_entries(entries[:35], digest=False)
            reads = []
            real = pg_grams.state
            monkeypatch.setattr(pg_grams, "state", lambda conn: reads.append(1) or real(conn))
            with s.engine.connect() as c:
                assert pg_grams.behind(c)
            first = s.search("賛成", limit=5)
            with s.engine.connect() as c:
                assert not pg_grams.behind(c)  # indexed by the search
            reads.clear()
            again = s.search("賛成", limit=5)
            assert len(reads) == 1 and again == first
            s.ingest_entries(entries[35:], digest=False)
            later = s.search("賛成", limit=5)
            with s.engine.connect() as c:
                assert not pg_grams.behind(c)
            monkeypatch.undo()
            assert later == flat_reference(s, "賛成", monkeypatch, limit=5)
    finally:
        drop()
