"""The search indexes built in bulk (SQLite FTS5 bigrams, PostgreSQL bigram GIN): the rows not
indexed yet are still found, changed texts are re-indexed, the index's candidate path gives
the same results as a scan, and PostgreSQL's batch COPY ingest keeps a bad article apart."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import given, settings, strategies as st

from matome.model import paginate
from matome.store import open_store, pg_grams
from matome.store import search as search_module
from matome.store.store import Store
from test_store_search import QUERIES, corpus, expected
from test_store_support import PG_SKIP, dump, make_entry, make_pg_schema_url, pg_url

CHARS = "円安高日本政府のはがをAIＡＩｱｲﾃﾞデ😀 \n。"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=CHARS, max_size=40), st.data())
def test_a_text_holds_the_bigram_codes_of_each_of_its_substrings(text, data):
    if not text:
        return
    i = data.draw(st.integers(0, len(text) - 1))
    j = data.draw(st.integers(i + 1, len(text)))
    term = text[i:j]
    wanted = pg_grams.term_codes(term)
    assert wanted is not None or (len(term) == 1 and not "\u4e00" <= term <= "\u9fff")
    assert set(wanted or ()) <= set(pg_grams.codes(text).tolist())


def test_bigram_codes_of_a_batch_are_those_of_each_text():
    rng = random.Random(3)
    texts = ["".join(rng.choice(CHARS) for _ in range(rng.randrange(0, 30))) for _ in range(200)]
    code, bounds = pg_grams.batch_codes(texts)
    for k, t in enumerate(texts):
        mine = sorted(pg_grams.codes(t).tolist())
        assert sorted(code[bounds[k]:bounds[k + 1]].tolist()) == mine
        pairs = {t[i:i + 2] for i in range(len(t) - 1)}
        # one code per distinct pair of UTF-16 units: astral characters are two units
        assert len(mine) >= len({p for p in pairs if all(ord(c) < 0x10000 for c in p)})
    assert pg_grams.term_codes("の") is None and pg_grams.term_codes("A") is None
    assert len(pg_grams.term_codes("円")) == 1 and pg_grams.term_codes("円安") is not None
    # a kanji's own code is in every text that holds it, and in no text that does not
    assert set(pg_grams.term_codes("円")) <= set(pg_grams.codes("一円玉").tolist())
    assert not set(pg_grams.term_codes("円")) & set(pg_grams.codes("安い日本").tolist())


def _found(store, query, **kw):
    return {(h.article_id, h.kind, h.comment_position) for h in store.search(query, limit=10_000, **kw)}


def test_rows_not_indexed_yet_are_found_and_the_index_then_holds_them(store, monkeypatch):
    entries = corpus()
    ids = store.ingest_entries(entries, digest=False).article_ids
    keys = {e.key: a for e, a in zip(entries, ids)}
    monkeypatch.setattr(Store, "_ensure_index", lambda self: None)  # as if it could not index
    for q in QUERIES:
        assert _found(store, q) == expected(entries, keys, q), q
    monkeypatch.undo()
    assert store.build_search_index() > 0
    assert store.build_search_index() == 0  # nothing left
    for q in QUERIES:
        assert _found(store, q) == expected(entries, keys, q), q


def test_the_candidate_path_finds_what_the_walk_finds(store, monkeypatch):
    """With a walk of 3 comments, every search of more than 3 hits falls back to the index's
    candidates: the pages are the same as those found by walking everything."""
    entries = corpus()
    ids = store.ingest_entries(entries, digest=False).article_ids
    keys = {e.key: a for e, a in zip(entries, ids)}
    walked = {q: store.search(q, limit=25) for q in QUERIES}
    monkeypatch.setattr(search_module, "WALK_ROWS", 3)
    for q in QUERIES:
        assert store.search(q, limit=25) == walked[q], q
        assert _found(store, q) == expected(entries, keys, q), q
        for kw in ({"min_up": 50}, {"source": "東京新聞"}):
            assert _found(store, q, **kw) == expected(entries, keys, q, **kw), (q, kw)


def test_changed_texts_of_indexed_rows_are_found_by_their_new_words(store):
    e = make_entry(900, [("最初の意見です。", 3, 0), ("二つ目", 1, 1)], title="物価の記事", body=["景気の話。"])
    aid = store.ingest_entries([e], digest=False).article_ids[0]
    store.search("円安")  # builds the index
    changed = make_entry(900, [("最初の意見です。", 3, 0), ("二つ目", 1, 1), ("円安が続く", 0, 0)],
                         title="円安の記事", body=["為替の話。"])
    assert store.ingest_entries([changed], digest=False).updated == 1
    keys = {changed.key: aid}
    for q in ("円安", "為替", "物価", "景気", "記事"):
        assert _found(store, q) == expected([changed], keys, q), q
    assert (aid, "title", None) in _found(store, "円安") and (aid, "body", None) in _found(store, "為替")
    assert (aid, "title", None) not in _found(store, "物価") and not _found(store, "景気")


def test_both_backends_agree_on_short_and_long_words_through_the_index(tmp_path, monkeypatch):
    base = pg_url()
    if not base:
        pytest.skip(PG_SKIP)
    url, drop = make_pg_schema_url(base)
    monkeypatch.setattr(search_module, "WALK_ROWS", 3)  # the candidate path
    queries = QUERIES + ["円安", "子育て 税", "半導体 の"]
    try:
        results = []
        for target in (str(tmp_path / "a.db"), url):
            with open_store(target) as s:
                entries = corpus()
                ids = s.ingest_entries(entries, digest=False).article_ids
                key_of = {aid: e.key for e, aid in zip(entries, ids)}
                flat = [[(key_of[h.article_id], h.kind, h.comment_position, h.up, h.snippet)
                         for h in s.search(q, limit=40, **kw)]
                        for q in queries for kw in ({}, {"min_up": 30})]
                grouped = [(p.total, [(key_of[r.article_id], r.kinds, r.comment_matches) for r in p.results])
                           for p in (s.search_articles(q, limit=50) for q in queries)]
                results.append((flat, grouped))
        assert results[0] == results[1]
        assert any(results[0][0]) and any(t for t, _ in results[0][1])
    finally:
        drop()


# ---------------------------------------------------------------------- PostgreSQL ingest


@pytest.fixture
def pg_store():
    base = pg_url()
    if not base:
        pytest.skip(PG_SKIP)
    url, drop = make_pg_schema_url(base)
    s = open_store(url)
    try:
        yield s
    finally:
        s.close()
        drop()


def test_pg_an_article_the_copy_rejects_is_stored_alone_and_the_batch_kept(pg_store):
    """A comment whose source id is too long for its column passes the merge but makes the
    batch's COPY fail: the batch is written again article by article, and only that article
    fails."""
    entries = [make_entry(k) for k in range(450)]  # three batches of up to 200
    bad = entries[210]
    long_id = [replace(c, id="x" * 300) for c in bad.comments]
    entries[210] = replace(bad, thread=replace(bad.thread, comments=paginate(long_id)))
    report = pg_store.ingest_entries(entries, digest=False)
    assert (report.added, len(report.failed)) == (449, 1)
    assert "too long" in report.failed[0].message
    assert pg_store.article_id(bad.key) is None and pg_store.count_articles() == 449
    # the report keeps the order of the entries
    assert report.article_ids == [pg_store.article_id(e.key) for k, e in enumerate(entries) if k != 210]
    n = sum(len(e.comments) for k, e in enumerate(entries) if k != 210)
    assert pg_store.count_comments() == pg_store.count_snapshots() == n
    before = dump(pg_store)
    again = pg_store.ingest_entries(entries, digest=False)
    assert (again.unchanged, len(again.failed)) == (449, 1) and dump(pg_store) == before


def test_pg_the_same_article_twice_in_one_ingest_ends_as_its_last_version(pg_store):
    first = make_entry(5, [("一つ目", 1, 0)])
    second = make_entry(5, [("一つ目", 4, 0), ("二つ目", 2, 2)])
    fillers = [make_entry(k) for k in range(100, 500)]
    # the two versions in one batch, then in neighbouring batches (overlapping in flight)
    for entries in ([first, second], [first] + fillers[:199] + [second] + fillers[199:]):
        with open_store(pg_store.url) as s:
            s.ingest_entries(entries, digest=False)
            aid = s.article_id(first.key)
            assert [(c.text, c.votes.up) for c in s.get_entry(aid).comments] == [("一つ目", 4), ("二つ目", 2)]
            assert len({p.comment_key for p in s.vote_history(aid)}) == 2
            assert s.count_articles() == len({e.key for e in entries})


def test_pg_archive_of_schema_0003_upgrades_and_searches():
    """An archive with pg_trgm indexes (schema 0003) is upgraded in place; its first search
    builds the bigram index."""
    base = pg_url()
    if not base:
        pytest.skip(PG_SKIP)
    from alembic import command
    from sqlalchemy import inspect

    from matome.store.engine import make_engine
    from matome.store.migrate import alembic_config, current_revision, head_revision

    url, drop = make_pg_schema_url(base)
    try:
        engine = make_engine(url)
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0003")
        engine.dispose()
        entries = corpus()
        with open_store(url, migrate=False) as old:
            ids = old.ingest_entries(entries, digest=False).article_ids
            assert current_revision(old.engine) == "0003"
        keys = {e.key: a for e, a in zip(entries, ids)}
        with open_store(url) as s:
            assert current_revision(s.engine) == head_revision()
            assert not any("trgm" in ix["name"] for ix in inspect(s.engine).get_indexes("comments"))
            for q in QUERIES:
                assert _found(s, q) == expected(entries, keys, q), q
            with s.engine.connect() as c:
                assert not pg_grams.behind(c)
    finally:
        drop()


def test_comment_whitespace_variant_keeps_one_comment(store):
    e = make_entry(31, [("円安 が続く", 2, 0)])
    store.ingest_entries([e], digest=False)
    store.search("円安")  # builds the index
    variant = make_entry(31, [("円安\u3000が続く", 2, 0)])
    assert store.ingest_entries([variant], digest=False).updated == 1
    hits = [h for h in store.search("円安", limit=100) if h.kind == "comment"]
    assert [h.comment_position for h in hits] == [0]
    assert [c.text for c in store.get_entry(hits[0].article_id).comments] == ["円安\u3000が続く"]
