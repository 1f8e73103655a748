"""SQLite's thread index (schema 0006): one row per article holding the bigrams of all its
comments, kept in step by the catch-up (new articles, comments added by a re-ingest) and by
triggers (a comment's text changed, a comment or an article deleted); the grouped search
counts the articles found by their comments from it, and articles with a comment gone from
their thread are checked against their current comments. Schema 0006 also gives the
article fields' index positions (phrases): walking the migration down and up keeps both."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
import sqlalchemy as sa
from alembic import command

from matome.store import grams, open_store
from matome.store import search as S
from matome.store.engine import make_engine, resolve_url
from matome.store.migrate import alembic_config, current_revision, head_revision
from test_store_search_bounded import PATHS, expected_ranking
from test_store_support import make_entry

WORDS = ["日本", "政府", "税金", "選挙", "円", "物価", "子育て", "少子化"]


def _entry(k: int, comments, **kw):
    """An entry whose only words are in its title and comments (summaries made plain)."""
    e = make_entry(k, comments, body=["何かの話。", "別の話。"], **kw)
    return replace(e, summary=replace(e.summary, paragraphs=("要約です。",)),
                   discussion=replace(e.discussion, paragraphs=("議論です。",), matome_headline="",
                                      matome_paragraphs=("まとめ",)))


def _comments(rng: random.Random, n: int) -> list[tuple[str, int, int]]:
    out = []
    for _ in range(n):
        words = rng.sample(WORDS, rng.randint(0, 2))
        out.append(("、".join(["意見です", *words]) + "。", rng.randrange(100), rng.randrange(50)))
    return out


def _entries(seed: int = 0, n: int = 12):
    rng = random.Random(seed)
    return [_entry(7000 + k, _comments(rng, rng.randint(1, 6)), title=f"記事{k}") for k in range(n)]


def _thread_rows(store, word: str) -> list[int]:
    """The rows the thread index lists for ``word`` (repeated if it held one twice)."""
    with store.engine.connect() as c:
        return sorted(c.execute(sa.text("SELECT rowid FROM thread_grams WHERE thread_grams MATCH :m"),
                                {"m": grams.term_query(word)}).scalars())


def _holding(store, word: str) -> list[int]:
    """Brute force: the articles with a comment (current or gone) holding ``word``."""
    with store.engine.connect() as c:
        return sorted(c.execute(sa.text("SELECT DISTINCT article_id FROM comments WHERE instr(text, :w) > 0"),
                                {"w": word}).scalars())


def _check(store) -> None:
    """The thread index lists, for every word (and bigram), the articles whose comments hold it."""
    store.build_search_index()
    with store.engine.begin() as c:
        c.execute(sa.text("INSERT INTO thread_grams(thread_grams) VALUES ('integrity-check')"))
    for word in WORDS + ["意見", "です", "見で"]:
        if len(word) <= 2:
            assert _thread_rows(store, word) == _holding(store, word), word


def _each_path():
    """Every way the comment tier is found (on the collecting path the count takes the
    articles it collected; on the others it asks the thread index)."""
    mp = pytest.MonkeyPatch()
    try:
        for values in PATHS.values():
            with mp.context() as m:
                for name, value in values.items():
                    m.setattr(S, name, value)
                yield
    finally:
        mp.undo()


def _search_matches_brute_force(store, entries_by_key: dict) -> None:
    entries = list(entries_by_key.values())
    with store.engine.connect() as c:
        keys = dict(c.execute(sa.text("SELECT key, id FROM articles")).all())
    for _ in _each_path():
        for word in WORDS:
            want = expected_ranking(entries, keys, word)
            for limit in (1, 4):
                page = store.search_articles(word, limit=limit)
                assert page.total == len(want), word
                assert [r.article_id for r in page.results] == want[:limit], word


@pytest.fixture
def store(tmp_path):
    with open_store(str(tmp_path / "threads.db")) as s:
        yield s


def test_the_thread_index_holds_every_articles_comments_after_ingest_and_reingest(store):
    entries = {e.key: e for e in _entries()}
    store.ingest_entries(list(entries.values()), digest=False)
    _check(store)
    _search_matches_brute_force(store, entries)
    # a re-ingest: more comments under some articles (their rows are made again), others unchanged
    rng = random.Random(5)
    grown = []
    for e in list(entries.values())[::3]:
        more = [(c.text, c.votes.up, c.votes.down) for c in e.comments] + [("新しい税金の意見。", 7, 0)]
        more += _comments(rng, 2)
        grown.append(_entry(int(e.key.rsplit("/", 1)[1]), more, title=e.headline.title))
    store.ingest_entries(grown, digest=False)
    entries.update({e.key: e for e in grown})
    _check(store)
    _search_matches_brute_force(store, entries)
    # the same articles once more, with nothing new: nothing changes
    store.ingest_entries(grown, digest=False)
    _check(store)
    assert _thread_rows(store, "税金") == sorted(set(_thread_rows(store, "税金")))  # one row per article


def test_a_comment_gone_from_its_thread_no_longer_counts_its_article(store):
    only = _entry(7100, [("選挙の話です。", 50, 0), ("別の話。", 3, 0)], title="選ばれた記事")
    other = _entry(7101, [("選挙だ", 1, 0)], title="もう一つ")
    ids = store.ingest_entries([only, other], digest=False).article_ids
    store.build_search_index()
    assert store.search_articles("選挙").total == 2
    # the thread fetched again without the comment about the election: it is gone (position NULL)
    store.ingest_entries([_entry(7100, [("別の話。", 3, 0)], title="選ばれた記事")], digest=False)
    _check(store)
    assert ids[0] in _thread_rows(store, "選挙")  # the row still holds it …
    for _ in _each_path():
        for limit in (0, 1, 5):  # (a page filled before the comments: the count alone finds them)
            page = store.search_articles("選挙", limit=limit)
            assert page.total == 1 and [r.article_id for r in page.results] == [ids[1]][:limit]  # … not counted
    # it comes back: counted again
    store.ingest_entries([_entry(7100, [("選挙の話です。", 50, 0), ("別の話。", 3, 0)], title="選ばれた記事")],
                         digest=False)
    assert store.search_articles("選挙").total == 2


def test_changed_and_deleted_comments_and_articles_leave_the_thread_index(store):
    entries = _entries(seed=3)
    ids = store.ingest_entries(entries, digest=False).article_ids
    store.build_search_index()
    with store.engine.begin() as c:
        # a comment's text changed by hand: the old words leave its article's row, the new ones enter
        cid, aid = c.execute(sa.text("SELECT id, article_id FROM comments ORDER BY id LIMIT 1")).one()
        c.execute(sa.text("UPDATE comments SET text = '経済と物価の話' WHERE id = :i"), {"i": cid})
        # a comment deleted by hand, and an article (with its comments)
        c.execute(sa.text("DELETE FROM comments WHERE id = (SELECT max(id) FROM comments WHERE article_id = :a)"),
                  {"a": ids[1]})
        c.execute(sa.text("DELETE FROM articles WHERE id = :a"), {"a": ids[2]})
    _check(store)
    assert aid in _thread_rows(store, "経済") and ids[2] not in _thread_rows(store, "意見")
    with store.engine.connect() as c:
        keys = dict(c.execute(sa.text("SELECT key, id FROM articles")).all())
    for word, _ in ((w, p) for p in _each_path() for w in WORDS + ["経済"]):
        page = store.search_articles(word, limit=100)
        with store.engine.connect() as c:
            by_comments = set(c.execute(sa.text(
                "SELECT DISTINCT article_id FROM comments WHERE position IS NOT NULL AND instr(text, :w) > 0"),
                {"w": word}).scalars())
            by_fields = set(c.execute(sa.text(
                "SELECT id FROM articles WHERE instr(title, :w) > 0 OR instr(summary_text, :w) > 0 "
                "OR instr(body_text, :w) > 0"), {"w": word}).scalars())
        assert page.total == len(by_comments | by_fields), word
        assert {r.article_id for r in page.results} == by_comments | by_fields
    assert keys  # (the archive still holds articles)


def test_comments_not_in_the_thread_index_yet_are_counted(store, monkeypatch):
    """A search before the catch-up (a read-only archive) counts the comments above the
    thread watermark by scan, and the articles whose older comments are in the index."""
    from matome.store.store import Store

    entries = {e.key: e for e in _entries(seed=8)}
    store.ingest_entries(list(entries.values()), digest=False)
    store.build_search_index()
    monkeypatch.setattr(Store, "_ensure_index", lambda self: None)
    more = {e.key: e for e in _entries(seed=9, n=16)[12:]}  # new articles, not indexed
    grown = [_entry(7000, [(c.text, c.votes.up, c.votes.down) for c in entries[make_entry(7000).key].comments]
                    + [("追加の選挙と税金の意見。", 9, 0)], title="記事0")]
    store.ingest_entries(list(more.values()) + grown, digest=False)
    entries.update(more)
    entries.update({e.key: e for e in grown})
    with store.engine.connect() as c:
        assert not c.execute(sa.text("SELECT count(*) FROM thread_grams WHERE thread_grams MATCH :m"),
                             {"m": grams.term_query("追加")}).scalar()
    _search_matches_brute_force(store, entries)


def test_the_count_from_the_thread_index_is_used_only_for_one_short_word():
    assert S._exact_by_phrase(["半導体"]) and S._exact_by_phrase(["日本", "子育て"])
    assert not S._exact_by_phrase(["AI"]) and not S._exact_by_phrase(["円", "日本"])


def _downgrade(url: str, revision: str) -> None:
    engine = make_engine(resolve_url(url))
    try:
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)
        assert current_revision(engine) == revision
    finally:
        engine.dispose()


def test_migration_0006_down_and_up_keeps_the_search(tmp_path):
    url = str(tmp_path / "m.db")
    entries = {e.key: e for e in _entries(seed=11)}
    with open_store(url) as s:
        s.ingest_entries(list(entries.values()), digest=False)
        s.build_search_index()
        before = {w: s.search_articles(w, limit=100).to_dict() for w in WORDS}
    _downgrade(url, "0005")
    engine = make_engine(resolve_url(url))
    try:
        with engine.connect() as c:
            names = set(c.execute(sa.text("SELECT name FROM sqlite_master")).scalars())
            assert "thread_grams" not in names and "ix_comments_gone" not in names
            assert "thread_grams_au" not in names and "thread_grams_ad" not in names
            assert "threads_indexed" not in set(c.execute(sa.text("SELECT name FROM search_state")).scalars())
            ddl = c.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = 'articles_grams'")).scalar()
            assert "detail=column" in ddl
    finally:
        engine.dispose()
    with open_store(url) as s:  # upgraded again, and indexed by the first search
        assert current_revision(s.engine) == head_revision()
        assert {w: s.search_articles(w, limit=100).to_dict() for w in WORDS} == before
        _check(s)
        with s.engine.connect() as c:
            ddl = c.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = 'articles_grams'")).scalar()
            assert "detail=full" in ddl
