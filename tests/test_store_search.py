"""Search: Japanese substrings of any length, filters, ranking, snippets, backend parity."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from matome.cli import app
from matome.io.archive import read_path
from matome.store import open_store
from matome.store.search import KIND_WEIGHT
from test_store_support import BACKENDS, SEED, PG_SKIP, make_entry, make_pg_schema_url, pg_url

QUERIES = ["半導体", "少子化", "子育て", "アメリカ", "日本", "AI", "政府", "税", "円", "の", "企業 賃金", "日本 半導体", "存在しない語句"]


def corpus() -> list:
    entries = [make_entry(k) for k in range(60)]
    # published dates and sources vary for the filters
    from dataclasses import replace

    out = []
    for k, e in enumerate(entries):
        h = replace(e.headline, published_text=f"{1 + k % 6}/{1 + k % 27}(月) 10:00",
                    source="東京新聞" if k % 3 == 0 else "テスト通信")
        out.append(replace(e, headline=h))
    out.append(make_entry(500, [("半導体が大事。半導体、半導体!", 3, 0)], title="半導体の記事"))
    out += list(read_path(SEED).entries)
    return out


def expected(entries, keys_to_id, query, *, min_up=0, source=None, since=None, until=None):
    """Brute force: every (article id, kind, position) whose text holds all terms."""
    terms = query.split()
    found = set()
    for e in entries:
        aid = keys_to_id[e.key]
        pub = e.headline.published_at.date().isoformat() if e.headline.published_at else None
        if source and e.headline.source != source:
            continue
        if since and (pub is None or pub < since) or until and (pub is None or pub > until):
            continue
        texts = {"title": e.headline.title, "body": e.body.text,
                 "summary": "\n".join(t for t in (e.summary.text, e.discussion.text) if t)}
        if not min_up:
            for kind, t in texts.items():
                if all(term in t for term in terms):
                    found.add((aid, kind, None))
        for c in e.comments:
            if c.votes.up >= min_up and all(term in c.text for term in terms):
                found.add((aid, "comment", c.position))
    return found


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request, tmp_path_factory):
    """One loaded archive per backend, shared by the read-only tests of this module."""
    drop = None
    if request.param == "sqlite":
        url = str(tmp_path_factory.mktemp("search") / "archive.db")
    else:
        if not pg_url():
            pytest.skip(PG_SKIP)
        url, drop = make_pg_schema_url(pg_url())
    store = open_store(url)
    try:
        entries = corpus()
        report = store.ingest_entries(entries, digest=False)
        assert not report.failed
        keys = {e.key: aid for e, aid in zip(entries, report.article_ids)}
        yield store, entries, keys
    finally:
        store.close()
        if drop:
            drop()


@pytest.mark.parametrize("query", QUERIES)
def test_search_finds_exactly_the_texts_that_contain_the_query(loaded, query):
    store, entries, keys = loaded
    hits = store.search(query, limit=10_000)
    assert {(h.article_id, h.kind, h.comment_position) for h in hits} == expected(entries, keys, query)
    assert len(hits) == len({(h.article_id, h.kind, h.comment_position) for h in hits})
    # ranked by where the words are (score), then ▲, then the newer article, then position
    order = [(-h.score, -h.up, -h.article_id, -1 if h.comment_position is None else h.comment_position) for h in hits]
    assert order == sorted(order)
    for h in hits:
        assert h.match in query.split()
        text = "".join(p for p, _ in h.snippet).strip("…")
        assert all(m in query.split() for p, m in h.snippet if m for m in [p])
        assert h.marked().count("【") == sum(1 for _, m in h.snippet if m)
        assert text  # a snippet is never empty


def test_title_hits_rank_before_comments_and_comments_rank_by_votes(loaded):
    store, entries, keys = loaded
    hits = store.search("半導体", limit=10_000)
    kinds = [h.kind for h in hits]
    assert kinds.index("title") < kinds.index("summary") < kinds.index("comment")
    assert [KIND_WEIGHT[k] for k in kinds] == sorted((KIND_WEIGHT[k] for k in kinds), reverse=True)
    by_id = {keys[e.key]: e for e in entries}
    comment_hits = [h for h in hits if h.kind == "comment"]
    votes = [by_id[h.article_id].comments[h.comment_position].votes.up for h in comment_hits]
    assert votes == [h.up for h in comment_hits] == sorted(votes, reverse=True) and votes[0] > votes[-1]
    # a short page is the head of the full ranking, whichever path found it
    assert store.search("半導体", limit=5) == hits[:5]
    assert store.search("の", limit=3) == store.search("の", limit=10_000)[:3]


def test_filters(loaded):
    store, entries, keys = loaded
    for kw in ({"min_up": 100}, {"source": "東京新聞"}, {"since": "2024-03-01", "until": "2024-04-15"}):
        hits = store.search("の", limit=10_000, **kw)
        assert {(h.article_id, h.kind, h.comment_position) for h in hits} == expected(entries, keys, "の", **kw), kw
        assert hits
        # a short page (found by walking the ranking) is the head of the full one
        assert store.search("の", limit=3, **kw) == hits[:3], kw
    aid = keys[read_path(SEED).entries[0].key]
    hits = store.search("AI", article_id=aid, limit=10_000)
    assert hits and {h.article_id for h in hits} == {aid}


def test_paging_returns_consecutive_slices(loaded):
    store, _, _ = loaded
    everything = store.search("日本", limit=10_000)
    pages = store.search("日本", limit=7) + store.search("日本", limit=7, offset=7)
    assert pages == everything[:14]


def test_snippet_marks_the_match_in_context(loaded):
    store, entries, keys = loaded
    seed = read_path(SEED).entries[0]
    hit = next(h for h in store.search("半導体", limit=10_000) if h.kind == "comment" and h.article_id == keys[seed.key])
    comment = seed.comments[hit.comment_position]
    assert hit.match == "半導体"
    assert (hit.before.lstrip("…") + hit.match) in comment.text.replace("\n", " ")
    assert (hit.up, hit.down) == (comment.votes.up, comment.votes.down)


def test_search_command_json(db_url):
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", "--db", db_url, "--no-digest", str(SEED)]).exit_code == 0
    r = runner.invoke(app, ["search", "--db", db_url, "半導体", "--json", "--min-up", "1"])
    assert r.exit_code == 0, r.output
    page = json.loads(r.output)
    seed = read_path(SEED).entries[0]
    want = sorted((c for c in seed.comments if "半導体" in c.text and c.votes.up >= 1), key=lambda c: (-c.votes.up, c.position))
    assert page["total"] == 1 and len(page["results"]) == 1
    result = page["results"][0]
    assert result["kinds"] == ["comment"] and result["comment_matches"] == len(want)
    hits = result["hits"]
    assert [h["comment_position"] for h in hits] == [c.position for c in want[:len(hits)]]
    assert all(h["kind"] == "comment" and "【半導体】" in h["marked"] for h in hits)
    r = runner.invoke(app, ["search", "--db", db_url, "日本", "--since", "2025-13-01"])
    assert r.exit_code == 2 and "not a date" in r.output


def test_both_backends_return_the_same_results(tmp_path):
    base = pg_url()
    if not base:
        pytest.skip(PG_SKIP)
    url, drop = make_pg_schema_url(base)
    try:
        entries = corpus()
        results = []
        for target in (str(tmp_path / "a.db"), url):
            with open_store(target) as s:
                ids = s.ingest_entries(entries, digest=False).article_ids
                key_of = {aid: e.key for e, aid in zip(entries, ids)}
                results.append([
                    [(key_of[h.article_id], h.kind, h.comment_position, h.score, h.up, h.snippet)
                     for h in s.search(q, limit=50, **kw)]
                    for q in QUERIES for kw in ({}, {"min_up": 50}, {"source": "東京新聞"})
                ])
                results.append([(r.title, r.comment_count, r.up, r.down, r.divisiveness)
                                for o in ("latest", "most_commented", "most_divided") for r in s.list_articles(o, 20)])
        assert results[0] == results[2] and results[1] == results[3]
        assert any(results[0])
    finally:
        drop()


def test_sqlite_search_index_is_built_before_a_search_and_the_unindexed_tail_is_still_found(tmp_path, monkeypatch):
    """Ingest leaves rows above the index watermarks; a search indexes them first, and a search
    that cannot (read-only file, lock held) still finds them by scanning the tail."""
    from matome.store import fts
    from matome.store.store import Store

    entries = corpus()
    with open_store(str(tmp_path / "lag.db")) as s:
        ids = s.ingest_entries(entries, digest=False).article_ids
        keys = {e.key: a for e, a in zip(entries, ids)}
        with s.engine.connect() as c:
            assert fts.behind(c) and fts.watermark(c, fts.COMMENTS) == 0
        monkeypatch.setattr(Store, "_ensure_index", lambda self: None)  # as if it could not index
        lagging = {q: {(h.article_id, h.kind, h.comment_position) for h in s.search(q, limit=10_000)} for q in QUERIES}
        for q in QUERIES:
            assert lagging[q] == expected(entries, keys, q), q
        monkeypatch.undo()
        s.search("日本")  # indexes first
        with s.engine.connect() as c:
            assert not fts.behind(c)
            assert fts.watermark(c, fts.COMMENTS) == s.count_comments(current_only=False)
        for q in QUERIES:
            assert {(h.article_id, h.kind, h.comment_position) for h in s.search(q, limit=10_000)} == lagging[q]
        # an indexed comment whose text changes (a whitespace variant merges) is re-indexed
        from dataclasses import replace

        e = entries[0]
        c0 = e.comments[0]
        changed = replace(e, thread=replace(e.thread, comments=(replace(c0, text=c0.text + "\u3000"),) + e.comments[1:]))
        assert s.ingest_entries([changed], digest=False).updated == 1
        assert s.build_search_index() == 0  # nothing new to index: the trigger kept it current
        with s.engine.begin() as c:
            c.exec_driver_sql("INSERT INTO comments_grams(comments_grams) VALUES ('integrity-check')")


def test_sqlite_archive_of_schema_0001_upgrades_and_searches(tmp_path):
    """An archive created by the first schema (trigram indexes) is upgraded in place and re-indexed."""
    from alembic import command

    from matome.store.engine import make_engine, resolve_url
    from matome.store.migrate import alembic_config, current_revision, head_revision

    url = resolve_url(str(tmp_path / "old.db"))
    engine = make_engine(url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()
    entries = corpus()
    with open_store(url, migrate=False) as old:
        ids = old.ingest_entries(entries, digest=False).article_ids
        assert current_revision(old.engine) == "0001"
    keys = {e.key: a for e, a in zip(entries, ids)}
    with open_store(url) as s:
        assert current_revision(s.engine) == head_revision() != "0001"
        for q in QUERIES:
            assert {(h.article_id, h.kind, h.comment_position) for h in s.search(q, limit=10_000)} == \
                expected(entries, keys, q), q


def expected_articles(entries, keys, query, **kw):
    return {aid for aid, _, _ in expected(entries, keys, query, **kw)}


@pytest.mark.parametrize("query", QUERIES)
def test_grouped_search_gives_each_article_once_with_a_total(loaded, query):
    store, entries, keys = loaded
    want = expected_articles(entries, keys, query)
    page = store.search_articles(query, limit=10_000)
    ids = [r.article_id for r in page.results]
    assert page.total == len(want) and set(ids) == want and len(ids) == len(set(ids))
    by_id = {keys[e.key]: e for e in entries}
    terms = query.split()
    for r in page.results:
        e = by_id[r.article_id]
        matching = [c for c in e.comments if all(t in c.text for t in terms)]
        assert r.comment_matches == len(matching)
        assert 1 <= len(r.hits) <= 3 and len({(h.kind, h.comment_position) for h in r.hits}) == len(r.hits)
        assert r.up == max((c.votes.up for c in matching), default=0)
        assert all(any(m for _, m in h.snippet) for h in r.hits)
    # ranked by the best field; in a field tier the newer article first; among the articles
    # found by their comments only, the best comment's ▲ first, then the newer article
    order = [(-r.score, -r.up if r.kinds[0] == "comment" else 0, -r.article_id) for r in page.results]
    assert order == sorted(order)
    assert page.total_exact and not page.more
    # pages are consecutive slices of the whole, each with the same total
    pages, offset = [], 0
    while True:
        p = store.search_articles(query, limit=7, offset=offset)
        assert p.total == page.total
        if not p.results:
            break
        pages += p.results
        offset += 7
    assert pages == list(page.results)


def test_grouped_search_puts_headline_summary_and_comments_of_one_article_together(loaded):
    store, entries, keys = loaded
    flat = store.search("半導体", limit=10_000)
    target = next(h.article_id for h in flat if h.kind == "title")
    kinds = {h.kind for h in flat if h.article_id == target}
    assert len([h for h in flat if h.article_id == target]) > 1, "the flat list repeats the article"
    page = store.search_articles("半導体", limit=10_000)
    result = next(r for r in page.results if r.article_id == target)
    assert set(result.kinds) == kinds and result.kinds[0] == "title"
    assert [h.kind for h in result.hits][0] == "title"


@pytest.mark.parametrize("query,other", [("AI", "ＡＩ"), ("ＡＩ", "AI"), ("デジタル", "ﾃﾞｼﾞﾀﾙ"), ("ﾃﾞｼﾞﾀﾙ", "デジタル")])
def test_full_and_half_width_find_each_other(store, query, other):
    entries = [
        make_entry(7001, [("ＡＩの規制が必要だ。", 5, 1), ("ﾃﾞｼﾞﾀﾙ庁の話", 2, 0)], title="全角の記事"),
        make_entry(7002, [("AIは便利だ。", 9, 3), ("デジタル化が遅い", 1, 1)], title="半角の記事"),
    ]
    report = store.ingest_entries(entries, digest=False)
    ids = report.article_ids
    hits = store.search(query, limit=100)
    found = {(h.article_id, h.comment_position) for h in hits if h.kind == "comment"}
    want_pos = 0 if "I" in query or "Ｉ" in query else 1
    assert found == {(ids[0], want_pos), (ids[1], want_pos)}
    for h in hits:
        assert h.match in (query, other)
    page = store.search_articles(query)
    assert page.total == 2 and {r.article_id for r in page.results} == set(ids)
    assert {h.match for r in page.results for h in r.hits if h.kind == "comment"} == {query, other}
