"""Article pages are rendered once per version of the article and kept (in memory and in a
page file); a changed article or digest gets a new page and a new ETag at once; search
results are reused only while the archive is unchanged."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

import matome.web.app as web_app
import matome.web.data as web_data
import matome.web.pagecache as pagecache
from archive_factory import make_entry
from matome.store import open_store
from matome.web import create_app
from matome.web.pagecache import Generation, PageFile
from test_store_support import db_url
from test_web_fixtures import running_server

__all__ = ["db_url"]  # the shared fixture, used by name

PARAGRAPHS = (
    "政府は新しい子育て支援策を発表した。対象は全国の世帯で、来年度から始まる。財源は国債でまかなう。",
    "専門家は効果に疑問を示した。負担が将来の世代に回るとの指摘もある。議論は国会で続く見通しだ。",
    "地方自治体からは歓迎の声が上がった。一方で事務の負担を心配する声もある。国は説明会を開く。",
)
COMMENTS = [
    ("子育て支援には賛成だ。若い世代のためになる。", 40, 3),
    ("財源がはっきりしないので反対だ。", 12, 30),
    ("説明が足りない。もっと丁寧に説明するべきだ。", 18, 11),
    ("地方にこそ必要な政策だと思う。", 9, 4),
    ("将来の負担が心配だ。慎重に進めるべきだ。", 25, 2),
    ("効果を検証してほしい。", 3, 9),
]


def get(url: str, **kw) -> httpx.Response:
    return httpx.get(url, timeout=30, **kw)


def _archive(url: str):
    store = open_store(url)
    report = store.ingest_entries([make_entry(930000, "子育て支援策の記事", COMMENTS, paragraphs=PARAGRAPHS)])
    assert not report.failed and not report.digest_failures, report
    return store, url, report.article_ids[0]


@pytest.fixture()
def archive(tmp_path):
    """A SQLite archive with one article: (store, url, article id)."""
    store, url, aid = _archive(str(tmp_path / "a.db"))
    yield store, url, aid
    store.close()


@pytest.fixture()
def any_archive(db_url):
    """The same on each backend (PostgreSQL when a server is configured)."""
    store, url, aid = _archive(db_url)
    yield store, url, aid
    store.close()


@pytest.fixture()
def renders(monkeypatch):
    """The number of article pages rendered (calls of the renderer behind the route)."""
    calls = []
    real = web_app.render_article

    def counting(*args, **kw):
        calls.append(args[0]["id"])
        return real(*args, **kw)

    monkeypatch.setattr(web_app, "render_article", counting)
    return calls


def test_a_redigested_article_gets_its_new_page_and_a_new_etag_at_once(any_archive, tmp_path, renders):
    store, db, aid = any_archive
    with running_server(create_app(store, page_file=tmp_path / "pages.sqlite")) as base:
        url = f"{base}/articles/{aid}"
        first = get(url)
        assert first.status_code == 200
        tag = first.headers["etag"]
        assert get(url).content == first.content and renders == [aid]  # kept: not rendered again
        assert get(url, headers={"If-None-Match": tag}).status_code == 304

        # a new digest, written by another process (another connection) while the server runs
        other = open_store(db)
        assert other.redigest_one(aid, settings={"summary_sentences": 1}) is None
        other.close()
        after = get(url)
        assert after.status_code == 200 and after.content != first.content
        new_tag = after.headers["etag"]
        assert new_tag != tag and new_tag == pagecache.version_etag(pagecache.page_version(store, aid))
        assert after.text.count('<ul class="summary-list">') == 1
        assert len(after.text.split('<ul class="summary-list">')[1].split("</ul>")[0].split("<li>")) == 2  # 1 sentence
        assert get(url, headers={"If-None-Match": tag}).status_code == 200  # the old page is gone
        again = get(url, headers={"If-None-Match": new_tag})
        assert again.status_code == 304 and again.content == b""
        assert renders == [aid, aid]

        # the votes change (a new fetch of the article): a new page again
        entry = store.get_entry(aid)
        changed = [(t, u + 100 if i == 0 else u, d) for i, (t, u, d) in enumerate(COMMENTS)]
        updated = make_entry(930000, "子育て支援策の記事", changed, paragraphs=PARAGRAPHS)
        assert entry.key == updated.key
        assert store.ingest_entries([updated]).updated == 1
        third = get(url)
        assert third.headers["etag"] not in (tag, new_tag)
        assert f'data-up="{COMMENTS[0][1] + 100}"' in third.text


@pytest.mark.parametrize("cached", [True, False])
def test_kept_pages_are_served_with_the_routes_headers(archive, tmp_path, cached):
    store, _, aid = archive
    options = {"page_file": tmp_path / "pages.sqlite"} if cached else {"cache_size": 0}
    with running_server(create_app(store, **options)) as base:
        url = f"{base}/articles/{aid}"
        rendered = get(url)  # rendered (and kept) on the short path
        kept = get(url)  # the short path: kept (or rendered again without caches)
        routed = get(f"{url}?sort=recommended")  # the same view through the route
        assert kept.content == rendered.content == routed.content
        for name in ("content-type", "content-length", "etag", "cache-control", "content-security-policy",
                     "x-content-type-options", "referrer-policy", "x-frame-options", "cross-origin-opener-policy",
                     "cross-origin-resource-policy", "permissions-policy"):
            assert kept.headers[name] == rendered.headers[name] == routed.headers[name], name
        # parameters, unknown ids and other methods still go through the routes
        assert get(f"{url}?sort=up").status_code == 200
        assert get(f"{base}/articles/{aid + 1000}").status_code == 404
        assert get(f"{base}/articles/99999999999999999999").status_code == 404
        assert httpx.post(url, timeout=30).status_code == 405


def test_the_page_file_keeps_pages_across_restarts_for_their_version_only(archive, tmp_path, renders, monkeypatch):
    store, _, aid = archive
    pages = tmp_path / "pages.sqlite"
    app = create_app(store, page_file=pages)
    with running_server(app) as base:
        first = get(f"{base}/articles/{aid}")
    app.state.matome.pages.flush()  # written by the page file's thread
    assert renders == [aid] and PageFile(pages).count() == 1
    with running_server(create_app(store, page_file=pages)) as base:  # a new process: empty memory
        again = get(f"{base}/articles/{aid}")
    assert renders == [aid]  # served from the file, not rendered
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]

    # another matome (templates or code changed): the kept page is not used
    monkeypatch.setattr(pagecache, "render_version", lambda: "another-version")
    with running_server(create_app(store, page_file=pages)) as base:
        assert get(f"{base}/articles/{aid}").status_code == 200
    assert renders == [aid, aid]


def test_without_caches_every_view_is_rendered(archive, renders):
    store, _, aid = archive
    with running_server(create_app(store, cache_size=0)) as base:
        first, second = get(f"{base}/articles/{aid}"), get(f"{base}/articles/{aid}")
    assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
    assert renders == [aid, aid]


def test_search_results_are_reused_until_the_archive_changes(archive, monkeypatch):
    store, path, _ = archive
    calls = []
    real = web_data.search_articles

    def counting(*args, **kw):
        calls.append(args[1])
        return real(*args, **kw)

    monkeypatch.setattr(web_data, "search_articles", counting)
    with running_server(create_app(store)) as base:
        assert get(f"{base}/api/search?q=新語テスト").json()["total"] == 0
        assert get(f"{base}/api/search?q=新語テスト").json()["total"] == 0
        assert get(f"{base}/search?q=新語テスト").status_code == 200  # the same query (page size 20)
        assert calls == ["新語テスト"]
        assert get(f"{base}/api/search?q=新語テスト&limit=5").json()["total"] == 0  # another page: asked
        assert len(calls) == 2

        other = open_store(path)  # another process adds an article that holds the word
        report = other.ingest_entries([make_entry(931000, "別の記事", [("新語テストという言葉が出てきた。", 5, 1)])])
        other.close()
        assert not report.failed
        found = get(f"{base}/api/search?q=新語テスト").json()
        assert found["total"] == 1 and found["results"][0]["article_id"] == report.article_ids[0]
        page = get(f"{base}/search?q=新語テスト")
        assert "新語テスト" in page.text and "別の記事" in page.text


def test_generation_changes_when_another_connection_writes(tmp_path):
    path = tmp_path / "a.db"
    store = open_store(str(path))
    try:
        gen = Generation(store)
        before = gen.current()
        assert before is not None and gen.current() == before  # nothing written: the same
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE scratch (x)")
        assert gen.current() != before
        gen.close()
    finally:
        store.close()


def test_a_broken_page_file_is_a_miss(tmp_path):
    pages = PageFile(tmp_path / "p.sqlite")
    pages.put(1, "v1", '"e"', b"<p>page</p>")
    assert pages.get(1, "v1") == ('"e"', b"<p>page</p>")
    assert pages.get(1, "v2") is None and pages.get(2, "v1") is None
    with sqlite3.connect(tmp_path / "p.sqlite") as conn:
        conn.execute("UPDATE pages SET body = x'00ff'")
    assert pages.get(1, "v1") is None  # not a page as pack() keeps it: treated as not kept
    pages.close()


def test_pages_queued_for_the_writer_thread_are_written_in_order_and_read_back(tmp_path):
    pages = PageFile(tmp_path / "p.sqlite")
    assert pages.put_later(1, "v1", '"a"', b"<p>one</p>") and pages.put_later(1, "v2", '"b"', b"<p>two</p>")
    assert pages.put_later(2, "v1", '"c"', b"<p>three</p>")
    pages.flush()
    assert pages.count() == 2 and pages.dropped == 0
    assert pages.get(1, "v2") == ('"b"', b"<p>two</p>") and pages.get(1, "v1") is None  # the later one
    pages.close()
    again = PageFile(tmp_path / "p.sqlite")  # a fresh one (another worker, a restart) reads them
    assert again.get(2, "v1") == ('"c"', b"<p>three</p>")
    again.close()


def test_a_full_queue_drops_pages_without_error(tmp_path):
    pages = PageFile(tmp_path / "p.sqlite", queue_size=1)
    with pages._write_lock:  # the writer thread waits here with the first page it takes
        queued = [pages.put_later(i, "v", f'"{i}"', b"<p>%d</p>" % i) for i in range(1, 4)]
        # one page in the writer's hands at most, one in the queue: the third is dropped
        assert queued.count(False) >= 1 and pages.dropped == queued.count(False)
    pages.flush()
    kept = [i for i, ok in zip(range(1, 4), queued) if ok]
    assert pages.count() == len(kept) and all(pages.get(i, "v") is not None for i in kept)
    pages.close()


def test_close_writes_the_queued_pages_and_stops_the_writer(tmp_path):
    pages = PageFile(tmp_path / "p.sqlite")
    assert pages.put_later(1, "v", '"e"', b"<p>page</p>")
    writer = pages._thread
    assert writer is not None and writer.is_alive()
    pages.close()
    assert not writer.is_alive()
    assert not pages.put_later(2, "v", '"e"', b"<p>late</p>") and pages.dropped == 1  # closed: dropped
    pages.close()  # a second close does nothing
    again = PageFile(tmp_path / "p.sqlite")
    assert again.count() == 1 and again.get(1, "v") == ('"e"', b"<p>page</p>")
    again.close()
    unused = PageFile(tmp_path / "q.sqlite")  # no page ever queued: no thread to stop
    unused.close()
    assert unused._thread is None


def test_read_article_is_what_the_separate_reads_give(any_archive):
    """The page's one-connection read (entry, digest, vote history) on each backend."""
    store, _, aid = any_archive
    entry, digest, history = store.read_article(aid)
    assert entry == store.get_entry(aid) and digest == store.get_digest(aid) and digest is not None
    assert history == [] and store.vote_history(aid)  # observed once: no history to show
    changed = [(text, up + 5, down) for text, up, down in COMMENTS]
    store.ingest_entries([make_entry(930000, "子育て支援策の記事", changed, paragraphs=PARAGRAPHS)])
    entry, digest, history = store.read_article(aid)
    assert entry == store.get_entry(aid) and [c.votes.up for c in entry.comments] == [u for _, u, _ in changed]
    assert history == store.vote_history(aid) and len({p.observed_at for p in history}) == 2
    assert store.read_article(aid + 1000) is None and store.read_article(0) is None


def test_the_stamp_read_with_the_page_is_its_version(any_archive):
    """``read_article_stamped`` reads, with the page's data, what ``page_version`` reads on its
    own: the version of a page rendered from that data."""
    store, _, aid = any_archive
    stamp = store.read_article_stamped(aid)[3]
    assert pagecache.version_of(stamp) == pagecache.page_version(store, aid)
    assert web_data.article_view(store, aid)["stamp"] == stamp
    assert store.redigest_one(aid, settings={"summary_sentences": 1}) is None
    assert store.read_article_stamped(aid)[3] != stamp
    assert pagecache.version_of(store.read_article_stamped(aid)[3]) == pagecache.page_version(store, aid)
    assert store.read_article_stamped(aid + 1000) is None
    if store.dialect == "sqlite":  # the reads' transaction ends when the connection is given back
        raw = store.engine.raw_connection()
        try:
            assert not raw.driver_connection.in_transaction
        finally:
            raw.close()


def test_searches_not_kept_run_a_few_at_a_time(any_archive, monkeypatch):
    """Many readers searching at once: on SQLite one search works at a time, on other
    databases two (more would only trade the GIL and the database connections), every one
    answered."""
    import asyncio
    import threading
    import time

    store, _, _ = any_archive
    running, most, lock = [0], [0], threading.Lock()
    real = web_data.search_articles

    def counting(*args, **kw):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            time.sleep(0.05)
            return real(*args, **kw)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(web_data, "search_articles", counting)

    async def burst(base):
        async with httpx.AsyncClient(base_url=base, timeout=30) as c:
            return await asyncio.gather(*(c.get(path, params={"q": f"子育て {k}"})
                                          for k in range(6) for path in ("/search", "/api/search")))

    with running_server(create_app(store, cache_size=0)) as base:
        answers = asyncio.run(burst(base))
    assert [r.status_code for r in answers] == [200] * 12
    assert most[0] == (1 if store.dialect == "sqlite" else 2)


@pytest.fixture()
def render_threads(monkeypatch):
    """The names of the threads that rendered article pages (the event loop's own, or a
    page thread: "AnyIO worker thread")."""
    import threading

    names = []
    real = web_app.render_article

    def recording(*args, **kw):
        names.append(threading.current_thread().name)
        return real(*args, **kw)

    monkeypatch.setattr(web_app, "render_article", recording)
    return names


WORKER = "AnyIO worker thread"
HEADERS = ("content-type", "content-length", "etag", "cache-control", "content-security-policy",
           "x-content-type-options", "referrer-policy", "x-frame-options", "cross-origin-opener-policy",
           "cross-origin-resource-policy", "permissions-policy")


@pytest.mark.parametrize("caches", ["none", "memory", "page file"])
def test_small_pages_are_rendered_on_the_event_loop_as_the_page_threads_render_them(archive, render_threads,
                                                                                      monkeypatch, tmp_path, caches):
    store, _, aid = archive

    def app(name: str):
        return create_app(store, **{"none": {"cache_size": 0}, "memory": {},
                                    "page file": {"page_file": tmp_path / name}}[caches])

    loop_app = app("loop.sqlite")
    with running_server(loop_app) as base:
        url = f"{base}/articles/{aid}"
        on_loop = get(url)
        assert on_loop.status_code == 200 and len(render_threads) == 1 and render_threads[0] != WORKER
        assert get(url, headers={"If-None-Match": on_loop.headers["etag"]}).status_code == 304
    # (rendered again for the 304 without caches, on the loop again)
    assert render_threads == [render_threads[0]] * (2 if caches == "none" else 1)
    # the same article made bigger than the bound: rendered in a page thread, the same answer
    monkeypatch.setattr(pagecache, "INLINE_MAX_COMMENTS", len(COMMENTS) - 1)
    del render_threads[:]
    thread_app = app("thread.sqlite")  # another page file: the page is rendered again
    with running_server(thread_app) as base:
        in_thread = get(f"{base}/articles/{aid}")
        assert get(f"{base}/articles/{aid}", headers={"If-None-Match": in_thread.headers["etag"]}).status_code == 304
        assert get(f"{base}/articles/{aid + 1000}").status_code == 404  # no such article: the route answers
    assert render_threads == [WORKER] * (2 if caches == "none" else 1)
    assert in_thread.content == on_loop.content
    for name in HEADERS:
        assert in_thread.headers[name] == on_loop.headers[name], name
    if caches == "page file":  # both kept the same page in their files
        kept = []
        for made in (loop_app, thread_app):
            made.state.matome.pages.flush()
            file = made.state.matome.pages.file
            kept.append(file.get(aid, pagecache.page_version(store, aid)))
            file.close()
        assert kept[0] == kept[1] == (on_loop.headers["etag"], on_loop.content)


def test_which_pages_are_small(archive, tmp_path):
    from types import SimpleNamespace

    store, _, aid = archive
    inline = pagecache.InlineRenders(store)
    assert inline.enabled and inline.small(aid)
    assert not inline.small(aid + 1000)  # no such article
    inline.close()
    assert not inline.small(aid)
    # a file in another journal mode: a reader may wait for a writer there, so never on the loop
    path = tmp_path / "rollback.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, comment_count INTEGER)")
    conn.execute("INSERT INTO articles VALUES (1, 3)")
    conn.commit()
    conn.close()
    other = pagecache.InlineRenders(SimpleNamespace(dialect="sqlite", url=f"sqlite:///{path}"))
    assert not other.enabled and not other.small(1)
    assert not pagecache.InlineRenders(SimpleNamespace(dialect="postgresql", url="postgresql://h/db")).enabled


def test_the_page_file_keeps_each_page_as_a_zstandard_frame_of_its_exact_bytes(archive, tmp_path, renders):
    """What the page file holds is the served page, compressed (read back here with a
    decompressor of the test's own, not the page file's code); a row in any other form for
    the current version (the zlib body an older matome wrote, say) is a miss: the page is
    rendered again and the row replaced."""
    import zlib

    import zstandard

    store, _, aid = archive
    path = tmp_path / "pages.sqlite"
    app = create_app(store, page_file=path)
    with running_server(app) as base:
        served = get(f"{base}/articles/{aid}")
    app.state.matome.pages.flush()
    with sqlite3.connect(path) as conn:
        version, etag, blob = conn.execute("SELECT version, etag, body FROM pages WHERE article_id = ?",
                                           (aid,)).fetchone()
    assert served.status_code == 200 and etag == served.headers["etag"]
    assert version == pagecache.page_version(store, aid)
    assert blob[:4] == b"\x28\xb5\x2f\xfd"  # a Zstandard frame
    assert zstandard.ZstdDecompressor().decompress(blob) == served.content
    assert len(blob) * 3 < len(served.content)  # compressed, not the page as it is

    with sqlite3.connect(path) as conn:  # the same page, as zlib wrote it
        conn.execute("UPDATE pages SET body = ? WHERE article_id = ?", (zlib.compress(served.content, 1), aid))
    app = create_app(store, page_file=path)
    with running_server(app) as base:
        again = get(f"{base}/articles/{aid}")
    app.state.matome.pages.flush()
    assert again.content == served.content and renders == [aid, aid]  # not readable: rendered again
    with sqlite3.connect(path) as conn:
        blob = conn.execute("SELECT body FROM pages WHERE article_id = ?", (aid,)).fetchone()[0]
    assert zstandard.ZstdDecompressor().decompress(blob) == served.content


def test_pack_gives_back_any_bytes():
    for body in (b"", b"<p>x</p>", "意見グループ<li>".encode() * 5000, bytes(range(256)) * 300):
        packed = pagecache.pack(body)
        assert pagecache.unpack(packed) == body
    with pytest.raises(Exception):
        pagecache.unpack(b"<p>not a frame</p>")


def test_versions_read_on_the_generations_connection_follow_every_write(any_archive, tmp_path):
    """A page's version is read on the archive generation's own SQLite connection when there is
    one (else through the store): the same value ``page_version`` reads, changed at once by a
    new digest or a new fetch written by another connection, and a kept page is not
    current any more after either."""
    store, db, aid = any_archive
    generation = Generation(store)
    pages = pagecache.ArticlePages(store, 8, PageFile(tmp_path / "p.sqlite"), generation)
    if store.dialect == "sqlite":
        assert generation.stamp(aid) is not None and generation.stamp(aid + 1000) is None
    else:
        with pytest.raises(LookupError):
            generation.stamp(aid)
    first = pages.version(aid)
    assert first == pagecache.page_version(store, aid) and pages.version(aid + 1000) is None
    gen = generation.current()
    pages.keep(aid, first, '"one"', b"<p>one</p>", gen)
    assert pages.current(aid)[1].body == b"<p>one</p>"

    other = open_store(db)  # another connection (another process) writes a new digest
    assert other.redigest_one(aid, settings={"summary_sentences": 1}) is None
    second = pages.version(aid)
    assert second != first and second == pagecache.page_version(store, aid)
    assert pages.current(aid) == (second, None, generation.current())  # not served for the new version
    pages.keep(aid, second, '"two"', b"<p>two</p>", generation.current())
    pages.clear()  # memory emptied: the page file has it for this version
    pages.flush()
    assert pages.current(aid)[1].body == b"<p>two</p>"

    changed = [(t, u + 1, d) for t, u, d in COMMENTS]  # a new fetch of the article
    assert other.ingest_entries([make_entry(930000, "子育て支援策の記事", changed, paragraphs=PARAGRAPHS)]).updated == 1
    other.close()
    third = pages.version(aid)
    assert third not in (first, second) and third == pagecache.page_version(store, aid)
    assert pages.current(aid)[1] is None

    generation.close()  # no connection of its own any more: read through the store
    assert pages.version(aid) == third
    pages.file.close()
