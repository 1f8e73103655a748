"""Article pages carry an ETag (a hash of the page's version: the article's and its
digest's stamps and the build of matome) and answer If-None-Match with a 304 that has no
body and keeps every security header; a new digest or a new fetch gives a new tag at once,
with or without the page caches."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from archive_factory import make_entry
from matome.store import open_store
from matome.web import create_app
from matome.web.app import etags_of
from matome.web.pagecache import page_version, version_etag
from test_web_fixtures import base_url, running_server, wd

__all__ = ["base_url", "wd"]  # the shared fixtures, used by name

ROOT = Path(__file__).resolve().parents[1]


def get(url: str, **kw) -> httpx.Response:
    return httpx.get(url, timeout=30, **kw)


def test_article_page_etag_names_its_version_and_revalidates_to_304(base_url, wd):
    url = f"{base_url}/articles/{wd.seed_id}"
    first = get(url)
    assert first.status_code == 200
    tag = first.headers["etag"]
    assert tag == version_etag(page_version(wd.store, wd.seed_id))
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")  # a strong tag
    assert first.headers["cache-control"] == "no-cache"  # always revalidate
    assert get(url).headers["etag"] == tag

    again = get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag
    for name in ("content-security-policy", "x-content-type-options", "referrer-policy"):
        assert again.headers[name] == first.headers[name]

    listed = get(url, headers={"If-None-Match": f'"0000", W/{tag}'})
    assert listed.status_code == 304
    assert get(url, headers={"If-None-Match": "*"}).status_code == 304


COMMENTS = [("子育て支援には賛成だ。若い世代のためになる。", 40, 3), ("財源がはっきりしないので反対だ。", 12, 30),
            ("説明が足りない。もっと丁寧に説明するべきだ。", 18, 11), ("地方にこそ必要な政策だと思う。", 9, 4)]


@pytest.mark.parametrize("caches", ["none", "memory", "page file"])
def test_a_new_digest_or_a_new_fetch_gets_a_new_tag_and_the_old_tag_the_new_page(tmp_path, caches):
    """With or without the page caches, the tag changes with the page: a reader holding the
    old page (and its tag) is sent the new one."""
    db = str(tmp_path / "a.db")
    store = open_store(db)
    aid = store.ingest_entries([make_entry(960000, "子育て支援策の記事", COMMENTS)]).article_ids[0]
    options = {"none": {"cache_size": 0}, "memory": {}, "page file": {"page_file": tmp_path / "pages.sqlite"}}[caches]
    try:
        with running_server(create_app(store, **options)) as base:
            url = f"{base}/articles/{aid}"
            first = get(url)
            tag = first.headers["etag"]
            assert get(url, headers={"If-None-Match": tag}).status_code == 304

            other = open_store(db)  # a new digest, written by another connection
            assert other.redigest_one(aid, settings={"summary_sentences": 1}) is None
            other.close()
            redigested = get(url, headers={"If-None-Match": tag})
            assert redigested.status_code == 200 and redigested.content != first.content
            new_tag = redigested.headers["etag"]
            assert new_tag != tag and new_tag == version_etag(page_version(store, aid))
            assert get(url, headers={"If-None-Match": new_tag}).status_code == 304

            changed = [(t, u + 7 if i == 1 else u, d) for i, (t, u, d) in enumerate(COMMENTS)]
            assert store.ingest_entries([make_entry(960000, "子育て支援策の記事", changed)]).updated == 1
            fetched = get(url, headers={"If-None-Match": new_tag})
            assert fetched.status_code == 200 and f'data-up="{COMMENTS[1][1] + 7}"' in fetched.text
            assert fetched.headers["etag"] not in (tag, new_tag)
            assert get(url, headers={"If-None-Match": fetched.headers["etag"]}).status_code == 304
    finally:
        store.close()


def test_pages_with_and_without_caches_have_the_same_bytes_and_tag(wd):
    url = f"/articles/{wd.big_id}"
    pages = []
    for options in ({"cache_size": 0}, {}):
        with running_server(create_app(wd.store, **options)) as base:
            pages.append(get(base + url))
    assert pages[0].content == pages[1].content and pages[0].headers["etag"] == pages[1].headers["etag"]


_RENDER = """
import hashlib, sys
from matome.store import open_store
from matome.web.data import article_view
from matome.web.render import render_article
store = open_store(sys.argv[1], create=False, read_only=True)
for aid in map(int, sys.argv[2:]):
    print(hashlib.sha1(render_article(article_view(store, aid)).encode()).hexdigest())
"""


def test_a_version_is_rendered_to_the_same_bytes_in_every_process(wd):
    """What a version-named (strong) tag relies on: another process, with another hash seed
    (set and dict orders of strings differ), renders every page to the same bytes."""
    ids = [wd.seed_id, wd.xss_id, wd.history_id, wd.big_id]
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT / "src")}
        out = subprocess.run([sys.executable, "-c", _RENDER, str(wd.path), *map(str, ids)], env=env,
                             capture_output=True, text=True, timeout=120, check=True)
        runs.append(out.stdout.split())
    from matome.web.data import article_view
    from matome.web.render import render_article

    here = [hashlib.sha1(render_article(article_view(wd.store, aid)).encode()).hexdigest() for aid in ids]
    assert runs[0] == runs[1] == here


def test_a_different_page_or_an_old_tag_gets_the_full_page(base_url, wd):
    url = f"{base_url}/articles/{wd.seed_id}"
    tag = get(url).headers["etag"]
    other = get(f"{base_url}/articles/{wd.xss_id}", headers={"If-None-Match": tag})
    assert other.status_code == 200 and other.content
    assert other.headers["etag"] != tag
    stale = get(url, headers={"If-None-Match": '"' + "0" * 40 + '"'})
    assert stale.status_code == 200 and stale.headers["etag"] == tag
    missing = get(f"{base_url}/articles/999999", headers={"If-None-Match": "*"})
    assert missing.status_code == 404


def test_if_none_match_parsing():
    assert etags_of('"a", W/"b" ,"c"') == {'"a"', '"b"', '"c"'}
    assert etags_of("") == set()


def test_counts_on_the_home_and_article_pages_have_thousands_separators(tmp_path):
    """「コメント 4,024 件 ・ ▲ 56,912」 as the discussion text writes them, not 「4024」."""
    store = open_store(str(tmp_path / "n.db"))
    rows = [("子育て支援には賛成だ。若い世代のためになる。", 1234, 5678), ("財源がはっきりしないので反対だ。", 1, 2)]
    aid = store.ingest_entries([make_entry(961000, "数の表示の記事", rows)]).article_ids[0]
    try:
        with running_server(create_app(store, cache_size=0)) as base:
            article = get(f"{base}/articles/{aid}").text
            home = get(f"{base}/").text
    finally:
        store.close()
    assert "▲ 1,235" in article and "▼ 5,680" in article
    assert "▲ 1,235" in home and "▼ 5,680" in home
    assert "1235" not in article.replace('data-up="1235"', "") and "5680" not in home
