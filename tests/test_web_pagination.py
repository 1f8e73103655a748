"""Long threads: the article page and the comments API are paginated, the map stays bounded."""

from __future__ import annotations

import json
import re

import httpx

from archive_factory import make_entry
from matome.model import CommentStat, Digest, Group
from matome.web import data, render
from matome.web.render import render_article
from test_web_fixtures import base_url, wd  # noqa: F401  (fixtures used by name)

__all__ = ["base_url", "wd"]  # the shared fixtures, used by name

N = 100_000


def big_view() -> dict:
    """A 100,000-comment article with a digest (8 groups, map coordinates for every comment)."""
    comments = [(f"コメント{i}番です。物価と賃金と税金について、もう少し丁寧な説明が必要だと思います。", i % 97, i % 31)
                for i in range(N)]
    entry = make_entry(990000, "十万件のコメントがある記事", comments, url="https://example.jp/big")
    stats = tuple(
        CommentStat(position=i, up=i % 97, down=i % 31, support=None, wilson=(i % 97) / 100, controversy=0.0,
                    label="mixed", group=i % 8, x=(i % 1000) / 1000, y=(i // 1000) / 100)
        for i in range(N)
    )
    groups = tuple(
        Group(id=g, label=f"グループ{g}", key_phrases=(), members=tuple(range(g, N, 8)), representatives=(g,),
              parent=None, comment_share=1 / 8, up=0, down=0, up_share=0.0, down_share=0.0, support=None, kind="mixed")
        for g in range(8)
    )
    digest = Digest(engine="test", settings=(), summary=(), discussion_paragraphs=(), matome_headline="",
                    matome_paragraphs=(), groups=groups, comments=stats)
    return data.build_article_view(7, entry, digest)


def payload_of(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="article-data">(.*?)</script>', page, re.S).group(1))


def test_100000_comment_page_is_paginated_and_its_map_is_a_stated_sample():
    view = big_view()
    page = render_article(view)
    assert len(page.encode("utf-8")) < 3_000_000, len(page.encode("utf-8"))
    assert len(re.findall(r'<li class="comment" id="c\d+"', page)) == render.MAX_LIST
    assert f"{N} 件のうち上位 {render.MAX_LIST} 件を表示" in page
    assert 'rel="next" href="/articles/7?sort=recommended&amp;page=2#comments"' in page
    assert 'rel="prev"' not in page
    payload = payload_of(page)
    drawn = payload["map"]["p"]
    assert len(drawn) == data.MAP_MAX_POINTS and payload["map_total"] == N
    assert drawn == sorted(set(drawn)) and drawn[0] == 0
    assert f"意見マップには {N:,} 件のうち {data.MAP_MAX_POINTS:,} 件" in page
    # hover texts only for the comments listed on this page
    listed = [int(p) for p in re.findall(r'<li class="comment" id="c(\d+)"', page)]
    assert set(payload["texts"]) == {str(p) for p in listed if p in set(drawn)}

    second = render_article(view, page=2)
    items = [int(p) for p in re.findall(r'<li class="comment" id="c(\d+)"', second)]
    ranked = [r["position"] for r in data.sort_comments(view["comments"], "recommended")]
    assert items == ranked[render.MAX_LIST:2 * render.MAX_LIST]
    assert f"{N} 件のうち {render.MAX_LIST + 1}〜{2 * render.MAX_LIST} 件目を表示" in second
    assert 'rel="prev" href="/articles/7?sort=recommended#comments"' in second
    last = -(-N // render.MAX_LIST)
    tail = render_article(view, page=10**6)  # clamped to the last page
    assert f"{last} / {last} ページ" in tail and 'rel="next"' not in tail


def test_small_thread_map_keeps_every_point_and_text(base_url, wd):
    page = httpx.get(f"{base_url}/articles/{wd.big_id}", timeout=30).text
    payload = payload_of(page)
    entry = wd.store.get_entry(wd.big_id)
    assert payload["map"]["p"] == list(range(len(entry.comments)))
    assert payload["map_total"] == len(entry.comments) and "意見マップには" not in page
    assert payload["texts"] == {str(c.position): c.text[:160] for c in entry.comments}
    assert 'class="pager"' not in page


def test_comments_api_pages_with_next_links(base_url, wd):
    entry = wd.store.get_entry(wd.big_id)
    url = f"{base_url}/api/articles/{wd.big_id}/comments?sort=original&limit=50"
    seen, pages = [], 0
    while url:
        body = httpx.get(url, timeout=30).json()
        assert body["total"] == len(entry.comments) and body["limit"] == 50
        assert len(body["comments"]) <= 50
        seen += [c["position"] for c in body["comments"]]
        pages += 1
        url = base_url + body["next"] if body["next"] else None
    assert seen == list(range(len(entry.comments)))
    assert pages == -(-len(entry.comments) // 50)
    body = httpx.get(f"{base_url}/api/articles/{wd.big_id}/comments", timeout=30).json()
    assert (body["limit"], body["offset"], len(body["comments"])) == (100, 0, 100)
    assert body["next"] == f"/api/articles/{wd.big_id}/comments?sort=recommended&limit=100&offset=100"
    assert httpx.get(f"{base_url}/api/articles/{wd.big_id}/comments?limit=5000", timeout=30).status_code == 422


def test_search_page_one_result_per_article_total_and_pages(base_url, wd, tmp_path):
    page = httpx.get(f"{base_url}/search", params={"q": "半導体"}, timeout=30).text
    titles = re.findall(r'<a class="hit-title" href="/articles/(\d+)">', page)
    assert titles.count(str(wd.seed_id)) == 1 and len(titles) == len(set(titles))
    assert f"に一致する記事 {len(titles)} 件" in page
    # the seed article matches in its summary, body and comments: shown together under one title
    item = page.split(f'<a class="hit-title" href="/articles/{wd.seed_id}">')[1].split('<li class="hit">')[0]
    assert "要約" in item and "本文" in item and "コメント #" in item

    from matome.store import open_store
    from matome.web import create_app
    from test_web_fixtures import running_server

    store = open_store(str(tmp_path / "s.db"))
    entries = [make_entry(800000 + 10 * k, f"記事{k}", [(("ＡＩ" if k % 2 else "AI") + f"の話その{k}", k, 0)],
                          url=f"https://example.jp/ai/{k}") for k in range(25)]
    assert store.ingest_entries(entries, digest=False).added == 25
    with running_server(create_app(store)) as url:
        for q in ("AI", "ＡＩ"):
            first = httpx.get(f"{url}/search", params={"q": q}, timeout=30).text
            assert "に一致する記事 25 件(1〜20 件目)" in first
            assert len(re.findall(r'<a class="hit-title"', first)) == 20
            assert 'rel="prev"' not in first
            nxt = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
            second = httpx.get(url + nxt, timeout=30).text
            assert "に一致する記事 25 件(21〜25 件目)" in second
            assert len(re.findall(r'<a class="hit-title"', second)) == 5
            assert 'rel="next"' not in second and 'rel="prev"' in second
            marks = set(re.findall(r"<mark>([^<]+)</mark>", first + second))
            assert marks == {"AI", "ＡＩ"}
    store.close()


def test_search_page_says_at_least_when_the_count_stops(tmp_path, monkeypatch):
    """A search matching more articles than the count goes to shows "N 件以上", still pages
    through every result and offers the next page only while one follows."""
    from matome.store import open_store, search as store_search
    from matome.web import create_app
    from test_web_fixtures import running_server

    monkeypatch.setattr(store_search, "COUNT_CAP", 10)
    store = open_store(str(tmp_path / "cap.db"))
    entries = [make_entry(810000 + 10 * k, f"記事{k}", [(f"選挙の話その{k}", k, 0)], url=f"https://example.jp/cap/{k}")
               for k in range(25)]
    assert store.ingest_entries(entries, digest=False).added == 25
    with running_server(create_app(store)) as url:
        first = httpx.get(f"{url}/search", params={"q": "選挙"}, timeout=30).text
        assert "に一致する記事 10 件以上(1〜20 件目)" in first
        nxt = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
        second = httpx.get(url + nxt, timeout=30).text
        assert "に一致する記事 10 件以上(21〜25 件目)" in second
        assert len(re.findall(r'<a class="hit-title"', second)) == 5 and 'rel="next"' not in second
        seen = re.findall(r'<a class="hit-title" href="/articles/(\d+)">', first + second)
        assert len(seen) == len(set(seen)) == 25
        api = httpx.get(f"{url}/api/search", params={"q": "選挙", "limit": 5}, timeout=30).json()
        assert (api["total"], api["total_exact"], api["more"]) == (10, False, True)
        few = httpx.get(f"{url}/api/search", params={"q": "その3"}, timeout=30).json()
        assert (few["total"], few["total_exact"], few["more"]) == (1, True, False)
    store.close()
