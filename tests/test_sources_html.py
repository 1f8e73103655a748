"""Article pages: the Yahoo! News adapter (real saved pages and small written ones) and
the general extractor."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from matome.io.archive import read_text, write_entries
from matome.io.html import (
    Article,
    Block,
    HtmlError,
    article_from_html,
    entry_from_article,
    merge_pages,
    published_text_of,
    split_title_source,
)
from matome.model import JST, Comment, Votes

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "eval" / "yahoo_html_fixtures_koron"
if not FIXTURES.is_dir():
    FIXTURES = Path("/work/shared/eval/yahoo_html_fixtures_koron")

# Read off the saved pages (header <h1>, <time>, media banner, comment button, first and
# last body paragraph): the parser must find these.
EXPECTED = {
    "000001.html": dict(
        title="「10年間で300缶しか売れなかった」…廃棄前の“嘆きツイート”で注文が増加! 意外な使い道に救われる",
        source="FNNプライムオンライン", published="10/12(火) 19:31", at=(2021, 10, 12, 19, 31), comments=384,
        first="「売れたのは10年間で300缶…」",
        last="売り上げも、10年間で300缶ほどしか売れなかったというA4サイズの紙がすっぽり入る「ワーク缶」がこの1年で一番伸びたそうで、300缶ほど売れたとのことだ。",
        headings=("廃棄前のツイートに反響",), pages=3,
    ),
    "000002.html": dict(
        title="中日の与田剛監督が語っていた退任真相", source="Yahoo!ニュース オリジナル THE PAGE",
        published="10/13(水) 9:32", at=(2021, 10, 13, 9, 32), comments=337,
        first="中日は与田剛監督（55）の退任と次期監督として球団OBの“ミスタードラゴンズ”立浪和義氏（52）に就任要請をしたことを明かした。",
        last=None, headings=("「1年勝負。すべて僕の責任」",), pages=3,
    ),
    "000003.html": dict(
        title="小室圭さんは「血税」を奪っているのか\u3000一時金は国民ひとり換算で1円ちょっと？〈週刊朝日〉",
        source="AERA dot.", published="10/13(水) 7:00", at=(2021, 10, 13, 7, 0), comments=9326,
        first="2人の結婚に税金が使われることへの批判は強い。", last=None, headings=(), pages=3,
    ),
    "000004.html": dict(
        title="群馬県知事「法的措置検討」\u3000魅力度ランキング４４位", source="産経新聞",
        published="10/12(火) 19:00", at=(2021, 10, 12, 19, 0), comments=17463,
        first="民間シンクタンク「ブランド総合研究所」（東京都）の令和３年の都道府県魅力度ランキングで、群馬県が下位の４４位（前年４０位）に沈んだことが判明し、山本一太知事は１２日の臨時会見で、ランキングの根拠が不明確だとして、「法的措置を含めた検討を始めた」と明らかにした。",
        last="近隣の自治体では、茨城県が最下位の４７位（同４２位）、栃木県が４１位（同４７位）で、北関東３県の低迷が続いている。",
        headings=(), pages=1,
    ),
    "000005.html": dict(
        title="タワマンの２５階から転落か…４歳女児死亡\u3000母親「女児は部屋の中を走り回っていた」",
        source="MBSニュース", published="10/13(水) 11:55", at=(2021, 10, 13, 11, 55), comments=79,
        first="１０月１３日の朝、大阪市のタワーマンションでエントランスの屋根に４歳の女の子が倒れているのが見つかりました。",
        last="警察は、現場の状況などから奏音ちゃんがベランダから転落したとみて調べています。", headings=(), pages=1,
    ),
    "000006.html": dict(
        title="紀子さま、眞子さま、佳子さま\u3000映画をご鑑賞", source="テレビ朝日系（ANN）",
        published="10/13(水) 6:23", at=(2021, 10, 13, 6, 23), comments=769,
        first="秋篠宮妃紀子さまと結婚を控えた長女の眞子さま、妹の佳子さまが手話にまつわる映画をお住まいでそろって鑑賞されました。",
        last=None, headings=(), pages=1,
    ),
}


def _page(name: str) -> str:
    if not FIXTURES.is_dir():
        pytest.skip(f"skipped: ../shared/eval not found ({FIXTURES} is absent; the real Yahoo! News pages live there)")
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_yahoo_pages(name):
    html = _page(name)
    exp = EXPECTED[name]
    a = article_from_html(html)
    assert a.extractor == "yahoo"
    assert a.title == exp["title"]
    assert a.source == exp["source"]
    assert a.published_text == exp["published"]
    assert a.published_at is not None and a.published_at.timetuple()[:5] == exp["at"]
    assert a.comment_count == exp["comments"]
    assert a.page_count == exp["pages"]
    assert a.url.startswith("https://news.yahoo.co.jp/articles/")
    assert a.headings == exp["headings"]
    assert a.paragraphs[0].startswith(exp["first"])
    if exp["last"]:
        assert a.paragraphs[-1] == exp["last"]
    body = "\n".join(a.paragraphs)
    # related links, photo captions and video credits are not body text
    assert "【画像】" not in body and "【表でみる】" not in body
    assert exp["source"] not in a.paragraphs
    assert all(p == p.strip() and "\n" not in p for p in a.paragraphs)
    assert len(body) > 150
    # the headline's dateline parses back to the same minute
    entry = entry_from_article(a)
    assert entry.headline.published_at == a.published_at.replace(second=0)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_yahoo_pages_without_state_give_the_same_article(name):
    html = _page(name)
    with_state = article_from_html(html)
    dom_only = article_from_html(html.replace("window.__PRELOADED_STATE__", "window.__SOMETHING_ELSE__"))
    assert dom_only.extractor == "yahoo-dom"
    for field in ("title", "source", "published_text", "published_at", "blocks", "comment_count", "url"):
        assert getattr(dom_only, field) == getattr(with_state, field), field


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_yahoo_entries_round_trip(name):
    a = article_from_html(_page(name))
    entry = entry_from_article(a, [Comment("賛成です", Votes(3, 1)), Comment("反対", Votes(0, 2))])
    text = write_entries([entry])
    back = read_text(text).entries[0]
    assert back == entry
    assert back.body.paragraphs == a.paragraphs
    assert tuple(h for h in back.body.headings[1:]) == a.headings  # first heading is the lead title
    assert back.body.byline == a.byline


# ---------------------------------------------------------------------------------------
# small pages written for the tests: the same code paths


def yahoo_page(*, state: dict | None, body_html: str, title="見出しのテスト", media="テスト新聞",
               time_html="3/4(火) 9:05", count="1,234", state_text: str | None = None) -> str:
    script = ""
    if state_text is not None:
        script = f"<script>window.__PRELOADED_STATE__ = {state_text}</script>"
    elif state is not None:
        script = f"<script>window.__PRELOADED_STATE__ = {json.dumps(state, ensure_ascii=False)};</script>"
    return f"""<!DOCTYPE html><html><head><title>{title}（{media}） - Yahoo!ニュース</title>
<script type="application/ld+json">{{"@type":"NewsArticle","headline":"{title}（{media}）","datePublished":"2025-03-04T09:05:10+09:00","author":{{"@type":"Organization","name":"{media}"}}}}</script>
<link rel="canonical" href="https://news.yahoo.co.jp/articles/abc123"></head><body>
<article id="uamods"><header><h1>{title}</h1><div><p><time>{time_html}</time><span>配信</span></p>
<div id="comment-count"><a><span>{count}</span></a></div>
<div><a href="https://example.jp/"><img src="x.png" alt="{media}"></a></div></div></header>
<div class="article_body">{body_html}</div></article>{script}</body></html>"""


BODY = """<div><div><div><a href="/img"><div><img src="a.jpg"></div><p>（写真説明）</p></a></div></div>
<p>　最初の段落です。&lt;script&gt;alert(1)&lt;/script&gt;は文字です。

<a data-ylk="rsec:related;slk:photo" href="/x">【画像】関連写真を見る</a>

二つ目の段落。
＊　＊　＊
三つ目。</p></div>
<div><h2>見出しA</h2><p>見出しの後の段落。</p></div>
<div><div><div><script src="player.js"></script></div><p>テスト新聞</p></div><p>動画の後の段落。</p></div>"""


def test_yahoo_dom_adapter_on_a_written_page():
    a = article_from_html(yahoo_page(state=None, body_html=BODY))
    assert a.extractor == "yahoo-dom"
    assert (a.title, a.source, a.published_text) == ("見出しのテスト", "テスト新聞", "3/4(火) 9:05")
    assert a.published_at == datetime(2025, 3, 4, 9, 5, 10, tzinfo=JST)
    assert a.comment_count == 1234
    assert a.blocks == (
        Block("paragraph", "最初の段落です。<script>alert(1)</script>は文字です。"),
        Block("paragraph", "二つ目の段落。"),
        Block("paragraph", "三つ目。"),
        Block("heading", "見出しA"),
        Block("paragraph", "見出しの後の段落。"),
        Block("paragraph", "動画の後の段落。"),
    )
    assert a.url == "https://news.yahoo.co.jp/articles/abc123"


def test_yahoo_state_adapter_on_a_written_page():
    state = {
        "articleDetail": {
            "headline": "状態の見出し",
            "media": {"mediaName": "状態メディア"},
            "createDateTime": "2025-02-13T03:16:00.000Z",
            "createDate": {"date": "2/13(木)", "time": "12:16"},
            "paragraphs": [
                {"head": "", "textDetails": [{"text": "一段落目。\n\n二段落目。", "link": {"linkText": "【画像】"}}]},
                {"head": "小見出し", "textDetails": [{"text": "\u3000三段落目。"}]},
            ],
            "author": "編集部",
            "newsLink": "https://news.yahoo.co.jp/articles/def456",
            "currentPage": 1,
            "maxPage": 2,
        },
        "comment": {"commentCount": 77},
    }
    a = article_from_html(yahoo_page(state=state, body_html=BODY))
    assert a.extractor == "yahoo"
    assert (a.title, a.source, a.published_text, a.byline) == ("状態の見出し", "状態メディア", "2/13(木) 12:16", "編集部")
    assert a.published_at == datetime(2025, 2, 13, 12, 16, tzinfo=JST)
    assert a.paragraphs == ("一段落目。", "二段落目。", "三段落目。") and a.headings == ("小見出し",)
    assert a.comment_count == 77
    assert a.page_urls() == ("https://news.yahoo.co.jp/articles/def456?page=2",)
    page2 = Article("状態の見出し", blocks=(Block("paragraph", "二ページ目。"),), byline="最後の署名")
    merged = merge_pages(a, [page2])
    assert merged.paragraphs[-1] == "二ページ目。" and merged.byline == "最後の署名"
    entry = entry_from_article(merged)
    assert entry.body.byline == "最後の署名" and entry.body.paragraphs[-1] == "二ページ目。"
    assert entry.headline.record.stamp == "2025/02/13 12:16:00"


def test_yahoo_broken_state_falls_back_to_the_page():
    a = article_from_html(yahoo_page(state=None, body_html=BODY, state_text='{"articleDetail": {"headline": '))
    assert a.extractor == "yahoo-dom" and a.title == "見出しのテスト" and len(a.paragraphs) == 5


def test_yahoo_page_with_missing_parts():
    html = """<html><head><title>題だけ - Yahoo!ニュース</title></head><body>
    <article id="uamods"><header><h1>題だけ</h1></header></article></body></html>"""
    a = article_from_html(html, url="https://news.yahoo.co.jp/articles/zzz")
    assert a.title == "題だけ" and a.source is None and a.published_text is None
    assert a.published_at is None and a.blocks == () and a.comment_count is None
    assert a.url == "https://news.yahoo.co.jp/articles/zzz"
    entry = entry_from_article(a)
    assert read_text(write_entries([entry])).entries[0] == entry


def test_generic_page_via_trafilatura():
    paras = "".join(f"<p>これは本文の第{i}段落です。市の計画について住民の意見が分かれている。</p>" for i in range(1, 5))
    html = f"""<html><head><title>市が新計画を発表 | 例え新聞</title>
<meta property="og:title" content="市が新計画を発表">
<meta property="og:site_name" content="例え新聞">
<meta property="article:published_time" content="2024-11-05T14:07:00+09:00">
</head><body><nav><a href="/">トップ</a> <a href="/a">政治</a></nav>
<article><h1>市が新計画を発表</h1>{paras}<h2>住民の声</h2>
<p>賛成する住民は「便利になる」と話し、反対する住民は費用を心配している。</p></article>
<footer>© 例え新聞 すべての権利を保有</footer></body></html>"""
    a = article_from_html(html, url="https://example.jp/news/1")
    assert a.extractor == "generic"
    assert (a.title, a.source, a.published_text) == ("市が新計画を発表", "例え新聞", "11/5(火) 14:07")
    assert a.published_at == datetime(2024, 11, 5, 14, 7, tzinfo=JST)
    assert a.paragraphs[0] == "これは本文の第1段落です。市の計画について住民の意見が分かれている。"
    assert "住民の声" in a.headings
    assert a.paragraphs[-1].startswith("賛成する住民は")
    assert not any("権利" in p or "トップ" in p for p in a.paragraphs)
    assert a.comment_count is None and a.url == "https://example.jp/news/1"


def test_generic_page_with_a_date_but_no_time_has_no_dateline_time():
    html = """<html><head><meta property="og:title" content="日付だけ">
<meta property="article:published_time" content="2024-11-05"></head>
<body><article><p>本文です。十分な長さの文章をここに書いておく必要があるので少し長めに書いています。</p></article></body></html>"""
    a = article_from_html(html)
    assert a.title == "日付だけ" and a.published_text is None
    assert a.published_at is not None and a.published_at.date().isoformat() == "2024-11-05"


def test_page_without_a_title_or_text_is_an_error():
    with pytest.raises(HtmlError):
        article_from_html("<html><body><div></div></body></html>")


def test_helpers():
    assert split_title_source("紀子さま　映画をご鑑賞（テレビ朝日系（ANN）） - Yahoo!ニュース") == (
        "紀子さま　映画をご鑑賞", "テレビ朝日系（ANN）")
    assert split_title_source("題（産経新聞）") == ("題", "産経新聞")
    assert split_title_source("括弧なし - Yahoo!ニュース") == ("括弧なし", None)
    assert published_text_of(datetime(2025, 2, 13, 12, 16, tzinfo=JST)) == "2/13(木) 12:16"
    assert published_text_of(datetime(2025, 2, 13, 0, 5, tzinfo=JST)) == "2/13(木) 0:05"
