"""Build archive entries in code for tests (not a fixture file: the content is generated)."""

from __future__ import annotations

from matome.model import (
    DEFAULT_TRAILER,
    ArticleBody,
    ArticleSummary,
    Comment,
    CommentSection,
    DiscussionSummary,
    Entry,
    Headline,
    RecordInfo,
    Votes,
    paginate,
)


def make_entry(
    base_id: int,
    title: str = "テスト記事の見出し",
    comments: list[tuple[str, int, int]] | None = None,
    *,
    url: str | None = None,
    paragraphs: tuple[str, ...] = ("本文の最初の段落です。", "二つ目の段落です。"),
    stamp: str = "2025/02/13 17:56:29",
) -> Entry:
    """An entry with five records whose ids start at ``base_id``."""
    rec = [RecordInfo(base_id + k, stamp) for k in range(5)]
    comments = comments if comments is not None else [("最初のコメント。", 3, 1), ("二つ目\n\n改行あり", 0, 2)]
    return Entry(
        headline=Headline(rec[0], title, "テスト通信", "2/13(木) 12:16", url or f"https://example.jp/a/{base_id}"),
        summary=ArticleSummary(rec[1], ("要約の一文目。", "要約の二文目。")),
        body=ArticleBody(rec[2], ArticleBody.layout(list(paragraphs), lead=title[:20], byline="テスト編集部")),
        discussion=DiscussionSummary(rec[3], ("この議論では、テストが話題です。",), "テストの議論。", ("補足の段落。",)),
        thread=CommentSection(rec[4], paginate([Comment(t, Votes(u, d)) for t, u, d in comments])),
        trailer=DEFAULT_TRAILER,
    )
