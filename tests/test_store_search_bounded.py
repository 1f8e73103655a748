"""The grouped search reads only what a page needs: its ranking against brute force on every
path (SQLite's field tiers, comment walk, comment collection, unindexed tail; PostgreSQL),
the total counted up to a cap, and the index used without text only where that is exact."""

from __future__ import annotations

from dataclasses import replace

import pytest

from matome.store import open_store
from matome.store import search as S
from matome.store.store import Store
from test_store_search import QUERIES, corpus, expected
from test_store_support import BACKENDS, PG_SKIP, make_entry, make_pg_schema_url, pg_url

WEIGHT = {"title": 4, "summary": 3, "body": 2, "comment": 1}
FILTERS = ({}, {"min_up": 50}, {"source": "東京新聞"}, {"since": "2025-03-01", "until": "2025-05-20"})


def expected_ranking(entries, keys, query, **kw) -> list[int]:
    """Brute force: every matching article in the grouped search's order (best field; newer
    first in a field tier; comment-only articles by their best matching comment's ▲, then newer)."""
    by_id = {keys[e.key]: e for e in entries}
    best: dict[int, str] = {}
    up: dict[int, int] = {}
    for aid, kind, pos in expected(entries, keys, query, **kw):
        if kind == "comment":
            votes = next(c.votes.up for c in by_id[aid].comments if c.position == pos)
            up[aid] = max(up.get(aid, 0), votes)
        if aid not in best or WEIGHT[kind] > WEIGHT[best[aid]]:
            best[aid] = kind
    return sorted(best, key=lambda a: (-WEIGHT[best[a]], -up.get(a, 0) if best[a] == "comment" else 0, -a))


@pytest.fixture(scope="module", params=BACKENDS)
def archive(request, tmp_path_factory):
    drop = None
    if request.param == "sqlite":
        url = str(tmp_path_factory.mktemp("bounded") / "archive.db")
    else:
        if not pg_url():
            pytest.skip(PG_SKIP)
        url, drop = make_pg_schema_url(pg_url())
    store = open_store(url)
    try:
        entries = corpus()
        report = store.ingest_entries(entries, digest=False)
        assert not report.failed
        yield store, entries, {e.key: aid for e, aid in zip(entries, report.article_ids)}
    finally:
        store.close()
        if drop:
            drop()


# how the comment tier is found: "collect" (all matching comments: the default for this small
# archive), "top" (the best matching comments), "walk" (the ▲ order), "fallback" (a walk cut
# short, then the best matching comments)
PATHS = {"collect": {}, "top": {"COLLECT_MAX": -1}, "walk": {"COLLECT_MAX": -1, "TOP_MAX": -1},
         "fallback": {"COLLECT_MAX": -1, "TOP_MAX": -1, "WALK_PER_CANDIDATE": 0}}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("query", QUERIES)
def test_grouped_search_ranks_like_brute_force_on_every_path(archive, query, path, monkeypatch):
    store, entries, keys = archive
    for name, value in PATHS[path].items():
        monkeypatch.setattr(S, name, value)
    by_id = {keys[e.key]: e for e in entries}
    for kw in FILTERS:
        want = expected_ranking(entries, keys, query, **kw)
        page = store.search_articles(query, limit=10_000, **kw)
        assert [r.article_id for r in page.results] == want, (query, kw)
        assert page.total == len(want) and page.total_exact and not page.more
        for r in page.results:
            matching = [c for c in by_id[r.article_id].comments
                        if all(t in c.text for t in query.split()) and c.votes.up >= kw.get("min_up", 0)]
            assert r.comment_matches == len(matching)
            assert r.up == max((c.votes.up for c in matching), default=0)
        # pages are slices of the whole, and say whether another follows
        for offset in (0, 3, 7):
            p = store.search_articles(query, limit=4, offset=offset, **kw)
            assert [r.article_id for r in p.results] == want[offset:offset + 4]
            assert p.more == (offset + 4 < len(want)) and p.total == len(want)


@pytest.mark.parametrize("cap", [1, 5, 12])
def test_total_is_counted_up_to_the_cap(archive, cap, monkeypatch):
    store, entries, keys = archive
    monkeypatch.setattr(S, "COUNT_CAP", cap)
    for query in QUERIES:
        for kw in FILTERS[:2]:
            want = expected_ranking(entries, keys, query, **kw)
            page = store.search_articles(query, limit=4, offset=2, **kw)
            assert page.total == min(len(want), cap), (query, kw)
            assert page.total_exact == (len(want) < cap)
            # the ranking does not depend on the cap: pages beyond it are still right
            assert [r.article_id for r in page.results] == want[2:6]
            assert page.more == (len(want) > 6)
            assert page.to_dict()["total_exact"] == page.total_exact


def test_unindexed_rows_are_ranked_and_counted(tmp_path, monkeypatch):
    """Rows above the index watermarks (a read-only archive, a search before the catch-up)
    are found by every path of the SQLite search."""
    entries = corpus()
    with open_store(str(tmp_path / "lag.db")) as s:
        ids = s.ingest_entries(entries[:40], digest=False).article_ids
        s.build_search_index()
        ids += s.ingest_entries(entries[40:], digest=False).article_ids  # not indexed
        keys = {e.key: a for e, a in zip(entries, ids)}
        monkeypatch.setattr(Store, "_ensure_index", lambda self: None)
        for path in PATHS.values():
            with monkeypatch.context() as m:
                for name, value in path.items():
                    m.setattr(S, name, value)
                for query in QUERIES:
                    for kw in FILTERS[:2]:
                        want = expected_ranking(entries, keys, query, **kw)
                        page = s.search_articles(query, limit=10_000, **kw)
                        assert [r.article_id for r in page.results] == want, (query, kw, path)
                        assert page.total == len(want)


def test_exact_by_index_only_for_short_unfolded_words():
    assert S._exact_by_index(["日本"]) and S._exact_by_index(["円"]) and S._exact_by_index(["日本", "政府"])
    assert not S._exact_by_index(["半導体"])  # its bigrams may lie apart
    assert not S._exact_by_index(["AI"]) and not S._exact_by_index(["ＡＩ"])  # the tokenizer folds case
    assert not S._exact_by_index(["円", "日本"])  # the 1-character word is left to the exact check


@pytest.mark.parametrize("backend", BACKENDS)
def test_words_the_index_only_narrows_down_are_not_counted(backend, tmp_path):
    """Lower-case ``ai`` for ``AI``, ``半導``…``導体`` apart for ``半導体``: listed by the bigram
    index, not matches; neither ranked nor counted."""
    if backend == "sqlite":
        url, drop = str(tmp_path / "x.db"), None
    else:
        if not pg_url():
            pytest.skip(PG_SKIP)
        url, drop = make_pg_schema_url(pg_url())
    try:
        with open_store(url) as s:
            plain = ["何かの話。", "別の話。"]  # bodies free of the words asked for
            entries = [
                make_entry(9001, [("aiの話です", 5, 0), ("半導の話と導体の話", 3, 0)], title="ai と半導と導体",
                           body=plain),
                make_entry(9002, [("AIの話です", 1, 0)], title="別の記事", body=plain),
                make_entry(9003, [("半導体の話", 2, 0)], title="三つ目", body=plain),
                make_entry(9004, [("日本の話", 2, 0)], title="日本の記事", body=plain),
            ]
            # summaries and discussions free of them too
            entries = [replace(e, summary=replace(e.summary, paragraphs=("要約です。",)),
                               discussion=replace(e.discussion, paragraphs=("議論です。",), matome_headline="", matome_paragraphs=("まとめ",)))
                       for e in entries]
            ids = s.ingest_entries(entries, digest=False).article_ids
            keys = {e.key: a for e, a in zip(entries, ids)}
            for query in ("AI", "半導体", "日本"):
                want = expected_ranking(entries, keys, query)
                assert ids[0] not in want
                page = s.search_articles(query)
                assert [r.article_id for r in page.results] == want, query
                assert page.total == len(want) and page.total_exact
    finally:
        if drop:
            drop()


@pytest.mark.parametrize("backend", BACKENDS)
def test_words_in_different_fields_or_comments_are_not_a_match(backend, tmp_path, monkeypatch):
    """A field (or a comment) matches only when it holds every word: ``日本`` in a title and
    ``政府`` in the body, or each in a comment of its own, is no hit for ``日本 政府`` (the
    index is asked per field for several words, and for one word in all fields at once);
    the count stops at the cap with the articles already found set aside."""
    if backend == "sqlite":
        url, drop = str(tmp_path / "x.db"), None
    else:
        if not pg_url():
            pytest.skip(PG_SKIP)
        url, drop = make_pg_schema_url(pg_url())
    try:
        with open_store(url) as s:
            plain = ["何かの話。", "別の話。"]
            entries = [
                make_entry(9101, [("日本の話", 5, 0), ("政府の話", 3, 0)], title="日本の記事", body=["政府の話。"]),
                make_entry(9102, [("日本と政府の話", 1, 0)], title="別の記事", body=plain),
                make_entry(9103, [("話", 2, 0)], title="日本政府の記事", body=plain),
                make_entry(9104, [("話", 2, 0)], title="三つ目", body=["日本の政府の話。"]),
                make_entry(9105, [], title="四つ目", body=["日本の話。"]),
                make_entry(9106, [("政府", 4, 0), ("政府", 9, 0)], title="五つ目", body=plain),
            ]
            entries = [replace(e, summary=replace(e.summary, paragraphs=("要約です。",)),
                               discussion=replace(e.discussion, paragraphs=("議論です。",), matome_headline="",
                                                  matome_paragraphs=("まとめ",)))
                       for e in entries]
            ids = s.ingest_entries(entries, digest=False).article_ids
            keys = {e.key: a for e, a in zip(entries, ids)}
            cases = {"日本 政府": [ids[2], ids[3], ids[1]], "政府": [ids[2], ids[3], ids[0], ids[5], ids[1]],
                     "日本": [ids[2], ids[0], ids[4], ids[3], ids[1]]}
            for query, want in cases.items():
                assert expected_ranking(entries, keys, query) == want
                page = s.search_articles(query)
                assert [r.article_id for r in page.results] == want, query
                assert page.total == len(want) and page.total_exact
                for cap in range(1, len(want) + 2):
                    with monkeypatch.context() as m:
                        m.setattr(S, "COUNT_CAP", cap)
                        p = s.search_articles(query, limit=2)
                        assert p.total == min(cap, len(want)) and p.total_exact == (len(want) < cap), (query, cap)
            r = {x.article_id: x for x in s.search_articles("政府").results}
            assert r[ids[5]].comment_matches == 2 and r[ids[5]].up == 9 and r[ids[0]].comment_matches == 1
    finally:
        if drop:
            drop()
