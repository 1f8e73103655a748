"""The article in an HTML page: title, source, publication time, body blocks, comment count.

Two extractors:

* Yahoo! News article pages (``news.yahoo.co.jp/articles/…``): the page's embedded state
  (``window.__PRELOADED_STATE__``, JSON) gives the headline, the media name, the
  publication time, the body paragraphs with their section headings, the author and the
  comment count. When the state is missing or broken, the same parts are read from the
  page itself (``article`` header, ``div.article_body``, JSON-LD, ``<title>``).
* Any other page: trafilatura finds the main text (paragraphs and headings); the title,
  site name and time come from the page's metadata (Open Graph, JSON-LD, ``<time>``).

Every part may be missing: the result then has ``None`` or an empty tuple there.
Text is taken from the page as text; nothing in it is interpreted as markup again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Iterable
from urllib.parse import urlsplit

from selectolax.parser import HTMLParser, Node

from matome.model import JST, Comment, Entry, absent_comments_text
from matome.io.tabular import build_entry, parse_time

WEEKDAYS = "月火水木金土日"
_YAHOO_HOSTS = ("news.yahoo.co.jp",)
_STATE_MARK = "window.__PRELOADED_STATE__"
_PUB_TEXT_RE = re.compile(r"(\d{1,2})/(\d{1,2})\s*\((.)\)\s*(\d{1,2}):(\d{2})")
_WORD_RE = re.compile(r"\w")


@dataclass(frozen=True)
class Block:
    """One block of the article body, in page order."""

    kind: str  # "paragraph" | "heading"
    text: str


@dataclass(frozen=True)
class Article:
    """What matome reads from an article page."""

    title: str
    source: str | None = None
    published_text: str | None = None  # the seed's style, "M/D(曜) HH:MM", when the time is known
    published_at: datetime | None = None  # JST
    blocks: tuple[Block, ...] = ()
    byline: str | None = None
    url: str | None = None
    comment_count: int | None = None  # as the page states it, None when it does not
    page: int = 1
    page_count: int = 1
    extractor: str = "generic"  # "yahoo" | "yahoo-dom" | "generic"

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.blocks if b.kind == "paragraph")

    @property
    def headings(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.blocks if b.kind == "heading")

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    def page_urls(self) -> tuple[str, ...]:
        """The URLs of the article's further pages (Yahoo! News splits long articles)."""
        if not self.url or self.page_count <= 1 or not self.extractor.startswith("yahoo"):
            return ()
        base = self.url.split("?", 1)[0]
        return tuple(f"{base}?page={k}" for k in range(self.page + 1, self.page_count + 1))


class HtmlError(ValueError):
    """A page that holds no article at all."""


# ---------------------------------------------------------------------------------------
# small text helpers


def _line(text: str | None) -> str:
    """One line: runs of ASCII white space and line breaks become one space (U+3000 stays)."""
    return re.sub(r"[ \t\r\n\f\v\u00a0]+", " ", text or "").strip(" ")


def _split_paragraphs(text: str | None) -> list[str]:
    """Body text → paragraphs: one per non-blank line, without decoration-only lines."""
    out = []
    for raw in (text or "").replace("\r\n", "\n").split("\n"):
        p = raw.strip(" \t\u3000\u00a0")
        if p and _WORD_RE.search(p):
            out.append(re.sub(r"[ \t\u00a0]+", " ", p))
    return out


def published_text_of(dt: datetime) -> str:
    """``2/13(木) 12:16``: the dateline style of the seed (hour without a leading zero)."""
    dt = dt.astimezone(JST)
    return f"{dt.month}/{dt.day}({WEEKDAYS[dt.weekday()]}) {dt.hour}:{dt.minute:02d}"


def split_title_source(title: str) -> tuple[str, str | None]:
    """``TITLE（SOURCE） - Yahoo!ニュース`` → ``(TITLE, SOURCE)``; nested brackets allowed."""
    t = _line(title)
    t = re.sub(r"\s*[-|｜]\s*Yahoo!ニュース$", "", t)
    if not t.endswith(("）", ")")):
        return t, None
    depth = 0
    for i in range(len(t) - 1, -1, -1):
        ch = t[i]
        if ch in "）)":
            depth += 1
        elif ch in "（(":
            depth -= 1
            if depth == 0:
                head, src = t[:i].strip(), t[i + 1 : -1].strip()
                return (head, src or None) if head else (t, None)
    return t, None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9][0-9,]*\s*", value):
        return int(value.replace(",", ""))
    return None


def _get(d: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


# ---------------------------------------------------------------------------------------
# page metadata shared by both extractors


def _json_ld(tree: HTMLParser) -> list[dict]:
    out: list[dict] = []
    for node in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(node.text() or "")
        except (json.JSONDecodeError, ValueError):
            continue
        items = data if isinstance(data, list) else [data]
        for item in items:
            if isinstance(item, dict):
                out.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    out += [g for g in graph if isinstance(g, dict)]
    return out


def _meta(tree: HTMLParser, *names: str) -> str | None:
    for name in names:
        for attr in ("property", "name", "itemprop"):
            node = tree.css_first(f'meta[{attr}="{name}"]')
            if node is not None:
                value = _line(node.attributes.get("content"))
                if value:
                    return value
    return None


def _article_ld(tree: HTMLParser) -> dict:
    for item in _json_ld(tree):
        kind = item.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if any(isinstance(k, str) and k.endswith("Article") for k in kinds):
            return item
    return {}


def _canonical_url(tree: HTMLParser) -> str | None:
    node = tree.css_first('link[rel="canonical"]')
    href = _line(node.attributes.get("href")) if node is not None else ""
    return href or _meta(tree, "og:url")


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return _line(value) if isinstance(value, str) and _line(value) else None


# ---------------------------------------------------------------------------------------
# Yahoo! News


def is_yahoo_news(html: str, url: str | None = None) -> bool:
    if url and urlsplit(url).hostname in _YAHOO_HOSTS:
        return True
    head = html[:400_000]
    return _STATE_MARK in head and '"articleDetail"' in head or 'id="uamods"' in head and "Yahoo!ニュース" in head


def preloaded_state(html: str) -> dict | None:
    """The JSON of ``window.__PRELOADED_STATE__ = {...}``, or None when absent or broken."""
    at = html.find(_STATE_MARK)
    if at < 0:
        return None
    eq = html.find("=", at + len(_STATE_MARK))
    if eq < 0:
        return None
    start = eq + 1
    while start < len(html) and html[start].isspace():
        start += 1
    try:
        state, _ = json.JSONDecoder().raw_decode(html, start)
    except (json.JSONDecodeError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _yahoo_from_state(state: dict) -> dict[str, Any]:
    detail = state.get("articleDetail") if isinstance(state.get("articleDetail"), dict) else {}
    parts: dict[str, Any] = {}
    parts["title"] = _line(detail.get("headline")) or None
    parts["source"] = _line(_get(detail, "media", "mediaName")) or None
    created = parse_time(detail.get("createDateTime")) if isinstance(detail.get("createDateTime"), str) else None
    parts["published_at"] = created
    date_s, time_s = _get(detail, "createDate", "date"), _get(detail, "createDate", "time")
    if isinstance(date_s, str) and isinstance(time_s, str) and _PUB_TEXT_RE.fullmatch(f"{date_s} {time_s}"):
        parts["published_text"] = f"{date_s} {time_s}"
    elif created is not None:
        parts["published_text"] = published_text_of(created)
    blocks: list[Block] = []
    paragraphs = detail.get("paragraphs")
    if isinstance(paragraphs, list):
        for para in paragraphs:
            if not isinstance(para, dict):
                continue
            head = _line(para.get("head"))
            if head:
                blocks.append(Block("heading", head))
            for td in para.get("textDetails") or []:
                if isinstance(td, dict) and isinstance(td.get("text"), str):
                    blocks += [Block("paragraph", p) for p in _split_paragraphs(td["text"])]
    parts["blocks"] = tuple(blocks)
    parts["byline"] = _line(detail.get("author")) or None
    parts["url"] = _line(detail.get("newsLink")) or None
    count = _int(_get(state, "comment", "commentCount"))
    if count is None:
        count = _int(_get(state, "commentFloating", "totalCount"))
    parts["comment_count"] = count
    parts["page"] = _int(detail.get("currentPage")) or 1
    parts["page_count"] = _int(detail.get("maxPage")) or 1
    return parts


def _yahoo_from_dom(tree: HTMLParser) -> dict[str, Any]:
    parts: dict[str, Any] = {}
    article = tree.css_first("article#uamods") or tree.css_first("article")
    header = article.css_first("header") if article is not None else None
    h1 = header.css_first("h1") if header is not None else None
    title_tag = tree.css_first("title")
    page_title, page_source = split_title_source(
        _meta(tree, "og:title") or (title_tag.text() if title_tag is not None else "")
    )
    parts["title"] = _line(h1.text()) if h1 is not None and _line(h1.text()) else page_title or None
    banner = header.css_first("a img[alt]") if header is not None else None
    ld = _article_ld(tree)
    parts["source"] = (
        page_source
        or (_line(banner.attributes.get("alt")) if banner is not None else None)
        or _name(ld.get("author"))
    )
    published = parse_time(ld.get("datePublished")) if isinstance(ld.get("datePublished"), str) else None
    parts["published_at"] = published
    time_node = header.css_first("time") if header is not None else None
    shown = _line(time_node.text()) if time_node is not None else ""
    m = _PUB_TEXT_RE.search(shown)
    if m:
        parts["published_text"] = f"{m.group(1)}/{m.group(2)}({m.group(3)}) {m.group(4)}:{m.group(5)}"
    elif published is not None:
        parts["published_text"] = published_text_of(published)
    body = tree.css_first("div.article_body")
    blocks: list[Block] = []
    if body is not None:
        for a in body.css("a"):
            if "rsec:related" in (a.attributes.get("data-ylk") or ""):
                a.decompose()
        for node in _body_nodes(body):
            if node.tag in ("h2", "h3"):
                text = _line(node.text())
                if text:
                    blocks.append(Block("heading", text))
            else:
                blocks += [Block("paragraph", p) for p in _split_paragraphs(node.text())]
    parts["blocks"] = tuple(blocks)
    count_node = tree.css_first("#comment-count")
    parts["comment_count"] = _int(_line(count_node.text())) if count_node is not None else None
    parts["url"] = _canonical_url(tree) or (_line(ld.get("mainEntityOfPage", {}).get("@id")) if isinstance(ld.get("mainEntityOfPage"), dict) else None)
    return parts


def _body_nodes(body: Node) -> Iterable[Node]:
    """Text paragraphs and headings of ``div.article_body``: the grandchildren of the body
    (captions of photos and videos sit deeper, inside their media containers)."""
    candidates = [n for n in body.traverse() if n.tag in ("p", "h2", "h3")]
    found = [
        n for n in candidates
        if n.parent is not None and n.parent.parent is not None and n.parent.parent.mem_id == body.mem_id
    ]
    if found:
        return found
    return [n for n in candidates if not _inside(n, ("a", "figure", "figcaption"), body)]


def _inside(node: Node, tags: tuple[str, ...], stop: Node) -> bool:
    p = node.parent
    while p is not None and p.mem_id != stop.mem_id:
        if p.tag in tags:
            return True
        p = p.parent
    return False


def _yahoo_article(html: str, url: str | None) -> Article:
    tree = HTMLParser(html)
    dom = _yahoo_from_dom(tree)
    state = preloaded_state(html)
    parts = dict(dom)
    extractor = "yahoo-dom"
    if state is not None:
        from_state = _yahoo_from_state(state)
        if from_state.get("title") and from_state.get("blocks"):
            extractor = "yahoo"
        for key, value in from_state.items():
            if value not in (None, ()):
                parts[key] = value
    if not parts.get("title"):
        raise HtmlError("the page has no article title")
    return Article(
        title=parts["title"],
        source=parts.get("source"),
        published_text=parts.get("published_text"),
        published_at=parts.get("published_at"),
        blocks=tuple(parts.get("blocks") or ()),
        byline=parts.get("byline"),
        url=parts.get("url") or url,
        comment_count=parts.get("comment_count"),
        page=parts.get("page") or 1,
        page_count=parts.get("page_count") or 1,
        extractor=extractor,
    )


# ---------------------------------------------------------------------------------------
# any page


def _generic_time(tree: HTMLParser, ld: dict) -> datetime | None:
    candidates: list[str] = []
    if isinstance(ld.get("datePublished"), str):
        candidates.append(ld["datePublished"])
    for name in ("article:published_time", "og:published_time", "datePublished", "pubdate", "date"):
        v = _meta(tree, name)
        if v:
            candidates.append(v)
    for node in tree.css("time[datetime]"):
        candidates.append(node.attributes.get("datetime") or "")
    for c in candidates:
        dt = parse_time(c)
        if dt is not None:
            return dt
    return None


def _has_time_of_day(value: str | None) -> bool:
    return bool(value and re.search(r"\d{1,2}:\d{2}", value))


def _generic_article(html: str, url: str | None) -> Article:
    try:
        import trafilatura
        from lxml import etree
    except ImportError as e:  # a broken install: say which package, not a traceback
        raise HtmlError(
            f"reading a general web page needs the package {e.name or 'trafilatura'}, which cannot be imported "
            f"({e}); reinstall matome (pip install matome)"
        ) from None

    tree = HTMLParser(html)
    ld = _article_ld(tree)
    title_tag = tree.css_first("title")
    h1 = tree.css_first("h1")
    title = (
        _line(ld.get("headline")) if isinstance(ld.get("headline"), str) else ""
    ) or _meta(tree, "og:title") or (_line(title_tag.text()) if title_tag is not None else "") or (
        _line(h1.text()) if h1 is not None else ""
    )
    source = _meta(tree, "og:site_name") or _name(ld.get("publisher"))
    blocks: list[Block] = []
    byline = None
    xml = trafilatura.extract(
        html, url=url, output_format="xml", with_metadata=True, include_comments=False,
        include_tables=False, include_images=False, deduplicate=False,
    )
    if xml:
        root = etree.fromstring(xml.encode("utf-8"))
        title = title or _line(root.get("title"))
        source = source or _line(root.get("sitename")) or None
        byline = _line(root.get("author")) or None
        main = root.find("main")
        for node in (main.iter() if main is not None else ()):
            if node.tag == "head":
                text = _line("".join(node.itertext()))
                if text:
                    blocks.append(Block("heading", text))
            elif node.tag in ("p", "item", "quote") and not any(
                a.tag in ("p", "item", "quote") for a in node.iterancestors()
            ):
                blocks += [Block("paragraph", p) for p in _split_paragraphs("".join(node.itertext()))]
    if not title:
        raise HtmlError("the page has no title and no article text" if not blocks else "the page has no title")
    published_at = _generic_time(tree, ld)
    raw = ld.get("datePublished") if isinstance(ld.get("datePublished"), str) else _meta(tree, "article:published_time")
    published_text = published_text_of(published_at) if published_at and _has_time_of_day(raw) else None
    return Article(
        title=_line(title),
        source=source,
        published_text=published_text,
        published_at=published_at,
        blocks=tuple(blocks),
        byline=byline,
        url=url or _canonical_url(tree),
        comment_count=None,
        extractor="generic",
    )


# ---------------------------------------------------------------------------------------
# public


def article_from_html(html: str, url: str | None = None) -> Article:
    """The article of a page: the Yahoo! News adapter for its pages, trafilatura otherwise.

    Raises :class:`HtmlError` when the page has not even a title.
    """
    if is_yahoo_news(html, url):
        return _yahoo_article(html, url)
    return _generic_article(html, url)


def merge_pages(first: Article, more: Iterable[Article]) -> Article:
    """One article from its page 1 and its further pages (blocks appended in order)."""
    blocks = list(first.blocks)
    byline = first.byline
    for a in more:
        blocks += a.blocks
        byline = a.byline or byline
    return replace(first, blocks=tuple(blocks), byline=byline, page_count=first.page_count)


def entry_from_article(article: Article, comments: Iterable[Comment] = ()) -> Entry:
    """An archive entry for the article (and its comments, renumbered 0..n-1).

    The body keeps the blocks' order: paragraphs before the first heading, then one
    section per heading. The record stamp is the newest of the publication time and the
    comments' ``posted_at``, else ``2000/01/01 00:00:00``; record ids come from a hash
    of the content (see :func:`matome.io.tabular.build_entry`).
    """
    lead: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for b in article.blocks:
        if b.kind == "heading":
            sections.append((b.text, []))
        elif sections:
            sections[-1][1].append(b.text)
        else:
            lead.append(b.text)
    entry = build_entry(
        title=article.title,
        source=article.source,
        published_text=article.published_text,
        url=article.url,
        paragraphs=lead,
        sections=sections,
        byline=article.byline,
        comments=comments,
        stamp_times=[article.published_at],
    )
    if article.comment_count and not entry.comments:
        # the page states its comments but does not hold them: say so, not "no comments yet"
        note = (absent_comments_text(article.comment_count),)
        entry = replace(entry, discussion=replace(entry.discussion, paragraphs=note))
    return entry
