"""The vocabulary of matome: an archived article entry and its parts.

An *entry* is one news article with its comment section, stored as five records
(headline, article summary, article body, discussion summary, comments) as described in
``docs/archive-format.md``. Every class here is a frozen dataclass; nothing here reads or
writes files.

Layout that the archive format carries but that has no meaning of its own (the trailing
U+00A0 on body and comment lines, the blank spacer lines) is not stored: the writer in
``matome.io.archive`` puts it back. When a record in a file deviates from that canonical
style, the reader keeps the record's exact text as :class:`Verbatim`, so that reading and
writing a file gives the same bytes, while any change of the record's content makes the
writer fall back to the canonical style.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")

#: What the seed archive has after the last comment: spacer lines and the IMAGE marker.
DEFAULT_TRAILER = "\u00a0\n\n\u00a0\n\u00a0\n\nIMAGE"

#: Comments per page of the source site; a spacer line marks each page boundary.
COMMENTS_PER_PAGE = 10

#: The largest integer both archive databases store (PostgreSQL INTEGER, 32 bits): the
#: bound of ids, offsets and vote counts everywhere, so that SQLite and PostgreSQL accept
#: and refuse the same input.
DB_INT_MAX = 2_147_483_647
#: The largest vote count (▲ or ▼) of one comment that matome accepts.
MAX_VOTES = DB_INT_MAX

_PUBLISHED_RE = re.compile(r"^(\d{1,2})/(\d{1,2})\(.\)\s*(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Verbatim:
    """The exact source text of a record whose layout is not the writer's canonical one.

    ``canonical_sha1`` is the SHA-1 of what the writer produces from the record's content
    as it was read; the writer uses ``text`` only while that still matches.
    """

    text: str
    canonical_sha1: str


@dataclass(frozen=True)
class RecordInfo:
    """The header of one record: ``(␣ID␣)␣␣YYYY/MM/DD HH:MM:SS␣␣`` and its flag line."""

    id: int
    stamp: str
    flag: str = "00"

    @property
    def stamped_at(self) -> datetime | None:
        """The stamp as a datetime in JST, or None when it does not parse."""
        try:
            return datetime.strptime(self.stamp, "%Y/%m/%d %H:%M:%S").replace(tzinfo=JST)
        except ValueError:
            return None


@dataclass(frozen=True)
class Headline:
    """Record 1: the title, ``SOURCE M/D(曜) HH:MM 配信`` and the article URL."""

    record: RecordInfo
    title: str
    source: str | None = None
    published_text: str | None = None  # as written, e.g. "2/13(木) 12:16"
    url: str | None = None
    verbatim: Verbatim | None = field(default=None, compare=False, repr=False)

    @property
    def published_at(self) -> datetime | None:
        """The publication time, the year taken from the record stamp (JST)."""
        if not self.published_text:
            return None
        m = _PUBLISHED_RE.match(self.published_text)
        stamped = self.record.stamped_at
        if not m or stamped is None:
            return None
        month, day, hour, minute = (int(g) for g in m.groups())
        year = stamped.year - 1 if month > stamped.month else stamped.year
        try:
            return datetime(year, month, day, hour, minute, tzinfo=JST)
        except ValueError:
            return None


@dataclass(frozen=True)
class ArticleSummary:
    """Record 2: the article summary paragraphs, followed in the file by ``(要約)``."""

    record: RecordInfo
    paragraphs: tuple[str, ...] = ()
    verbatim: Verbatim | None = field(default=None, compare=False, repr=False)

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass(frozen=True)
class BodyBlock:
    """One meaningful line of the article body."""

    kind: str  # "lead" | "heading" | "paragraph" | "byline"
    text: str
    index: int  # position among the body's lines


@dataclass(frozen=True)
class ArticleBody:
    """Record 3: the article body as lines (without the trailing U+00A0 of the format).

    ``""`` is a spacer line. Paragraph lines start with one ASCII space, as in the source
    site; the first line is the lead heading, the last non-spacer line not starting with a
    space is the byline, and other lines without the leading space are section headings.
    """

    record: RecordInfo
    lines: tuple[str, ...] = ()
    verbatim: Verbatim | None = field(default=None, compare=False, repr=False)

    @property
    def blocks(self) -> tuple[BodyBlock, ...]:
        filled = [(i, line) for i, line in enumerate(self.lines) if line.strip()]
        out: list[BodyBlock] = []
        for n, (i, line) in enumerate(filled):
            if line.startswith(" "):
                kind = "paragraph"
            elif n == 0:
                kind = "lead"
            elif n == len(filled) - 1:
                kind = "byline"
            else:
                kind = "heading"
            out.append(BodyBlock(kind, line[1:] if kind == "paragraph" else line, i))
        return tuple(out)

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.blocks if b.kind == "paragraph")

    @property
    def headings(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.blocks if b.kind in ("lead", "heading"))

    @property
    def byline(self) -> str | None:
        for b in self.blocks:
            if b.kind == "byline":
                return b.text
        return None

    @property
    def text(self) -> str:
        """The paragraphs joined by newlines: the text a summarizer reads."""
        return "\n".join(self.paragraphs)

    @staticmethod
    def layout(
        paragraphs: list[str] | tuple[str, ...],
        *,
        lead: str | None = None,
        sections: list[tuple[str, list[str]]] | None = None,
        byline: str | None = None,
    ) -> tuple[str, ...]:
        """Lines in the seed's style for a body built in code.

        ``paragraphs`` come first (after the lead), then each ``(heading, paragraphs)``
        section; paragraph texts are stripped of surrounding whitespace.
        """
        lines: list[str] = []
        if lead:
            lines += [lead.strip(), ""]
        for p in paragraphs:
            if p.strip():
                lines += [" " + p.strip(), ""]
        for i, (heading, paras) in enumerate(sections or []):
            if i or paragraphs:
                lines.append("")
            lines += [heading.strip(), ""]
            for p in paras:
                if p.strip():
                    lines += [" " + p.strip(), ""]
        if byline:
            lines += [byline.strip(), "", ""]
        return tuple(lines)


@dataclass(frozen=True)
class DiscussionSummary:
    """Record 4: ``この議論では…`` paragraphs, then ``[まとめ]`` headline and paragraphs."""

    record: RecordInfo
    paragraphs: tuple[str, ...] = ()
    matome_headline: str = ""
    matome_paragraphs: tuple[str, ...] = ()
    verbatim: Verbatim | None = field(default=None, compare=False, repr=False)

    @property
    def text(self) -> str:
        parts = list(self.paragraphs) + ["[まとめ]" + self.matome_headline]
        return "\n".join(parts + list(self.matome_paragraphs))


@dataclass(frozen=True)
class Votes:
    """▲ up-votes (agree) and ▼ down-votes (disagree) of one comment."""

    up: int = 0
    down: int = 0

    def __post_init__(self) -> None:
        if self.up < 0 or self.down < 0:
            raise ValueError(f"votes cannot be negative: ▲{self.up} ▼{self.down}")
        if self.up > MAX_VOTES or self.down > MAX_VOTES:
            raise ValueError(f"votes out of range: ▲{self.up} ▼{self.down} (at most {MAX_VOTES:,} each)")

    @property
    def total(self) -> int:
        return self.up + self.down

    @property
    def support(self) -> float | None:
        """▲/(▲+▼), or None without votes."""
        return self.up / self.total if self.total else None


@dataclass(frozen=True)
class Comment:
    """One reader comment. ``text`` keeps its line breaks (``\\n``)."""

    text: str
    votes: Votes = Votes()
    position: int = 0  # 0-based order in the comment section
    page: int = 1  # 1-based page of the source site
    id: str | None = None  # an id from the source, when it has one
    posted_at: str | None = None
    parent_id: str | None = None

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(line for line in self.text.split("\n") if line.strip())

    @property
    def key(self) -> str:
        """A stable identifier: the source id, else ``c<position>``."""
        return self.id if self.id is not None else f"c{self.position}"


_new = object.__new__


def comment_from_row(text: str, up: int, down: int, position: int, page: int, id: str | None,
                     posted_at: str | None, parent_id: str | None) -> Comment:
    """``Comment(text, Votes(up, down), position, page, id, posted_at, parent_id)`` for
    values that already have the fields' types (a row of the archive database), at half
    the cost: the fields are set at once instead of through the frozen dataclasses'
    ``__init__``. The votes are checked as :class:`Votes` checks them (ValueError)."""
    votes = _new(Votes)
    votes.__dict__.update(up=up, down=down)
    votes.__post_init__()
    comment = _new(Comment)
    comment.__dict__.update(text=text, votes=votes, position=position, page=page, id=id, posted_at=posted_at,
                            parent_id=parent_id)
    return comment


@dataclass(frozen=True)
class CommentSection:
    """Record 5: the comments, each with its votes and page."""

    record: RecordInfo
    comments: tuple[Comment, ...] = ()
    verbatim: Verbatim | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Entry:
    """One archived article: its five records and the trailing markers (``IMAGE``)."""

    headline: Headline
    summary: ArticleSummary
    body: ArticleBody
    discussion: DiscussionSummary
    thread: CommentSection
    trailer: str = DEFAULT_TRAILER
    origin: str | None = field(default=None, compare=False)  # "file:line" it was read from
    #: The entry's text in the archive file it was read from, which is what
    #: ``matome.io.archive.write_entry`` gives for it (reading and writing are lossless): set
    #: by the reader, so that the text need not be written again to be hashed. Not an
    #: ``__init__`` field: a copy with changes (``dataclasses.replace``) has none.
    archive_text: str | None = field(default=None, init=False, compare=False, repr=False)

    @property
    def comments(self) -> tuple[Comment, ...]:
        return self.thread.comments

    @property
    def title(self) -> str:
        return self.headline.title

    @property
    def key(self) -> str:
        """Identity across fetches: the article URL, else the headline record id."""
        return self.headline.url or f"record:{self.headline.record.id}"

    @property
    def has_image(self) -> bool:
        return "IMAGE" in self.trailer.split("\n")


def paginate(comments: list[Comment] | tuple[Comment, ...]) -> tuple[Comment, ...]:
    """Renumber positions from 0 and pages every ``COMMENTS_PER_PAGE`` comments."""
    from dataclasses import replace

    return tuple(
        replace(c, position=i, page=i // COMMENTS_PER_PAGE + 1) for i, c in enumerate(comments)
    )


# ---------------------------------------------------------------------------------------
# The digest: what matome computes from an entry (see matome.analyze.digest).


@dataclass(frozen=True)
class SummarySentence:
    """A sentence of the article summary, taken verbatim from one body paragraph.

    Without ``spans`` the text is one exact substring starting at ``start``. A compressed
    sentence (a parenthetical or a leading attribution left out) has ``spans``: the
    ``(start, end)`` offsets in the paragraph of its pieces, in order, each an exact
    substring, whose concatenation is ``text``; ``start`` is then the first piece's start."""

    text: str
    paragraph: int  # index into the article's paragraphs (ArticleBody.paragraphs)
    sentence: int  # index of the sentence within that paragraph
    start: int  # character offset of ``text`` (its first piece) within that paragraph
    spans: tuple[tuple[int, int], ...] = ()

    @property
    def pieces(self) -> tuple[tuple[int, int], ...]:
        """The source spans of the text: ``spans``, or the one span of an uncompressed text."""
        return self.spans or ((self.start, self.start + len(self.text)),)


@dataclass(frozen=True)
class Quote:
    """A verbatim excerpt of a comment: ``text`` is an exact substring of its text."""

    text: str
    position: int  # the comment's position
    start: int  # character offset within the comment text


@dataclass(frozen=True)
class CommentStat:
    """Vote analytics and placement of one comment."""

    position: int
    up: int
    down: int
    support: float | None  # ▲/(▲+▼)
    wilson: float  # Wilson lower bound of support (0 without votes)
    controversy: float  # high when many votes are split evenly
    label: str  # "consensus" | "divisive" | "low-signal" | "mixed"
    group: int | None  # Group.id, None when not grouped
    x: float = 0.0  # 2-D position for the opinion map
    y: float = 0.0
    duplicate_of: int | None = None  # position of the first copy of a near-duplicate


@dataclass(frozen=True)
class Group:
    """An opinion group of comments with its label and vote aggregates."""

    id: int
    label: str  # natural Japanese label
    key_phrases: tuple[str, ...]
    members: tuple[int, ...]  # comment positions
    representatives: tuple[int, ...]  # comment positions, best first
    parent: int | None  # Group.id of the parent in a two-level hierarchy
    comment_share: float  # share of all comments
    up: int
    down: int
    up_share: float  # share of all ▲ in the thread
    down_share: float  # share of all ▼ in the thread
    support: float | None  # vote-weighted support ▲/(▲+▼) of the group
    kind: str  # e.g. "consensus", "divisive", "vocal-minority", "silent-majority", "low-signal"
    label_position: int | None = None  # the comment the label is quoted from (None: a fixed name)
    label_start: int | None = None  # character offset of the label in that comment's text
    other: bool = False  # その他: the comments that fit no opinion group
    description: str = ""  # one line about the group (written by the optional LLM writer)


@dataclass(frozen=True)
class PartWriter:
    """Who wrote one part of a digest's text, and why the offline text was kept.

    ``part`` is ``"summary"`` (the (要約) paragraphs), ``"discussion"`` (この議論では…),
    ``"matome"`` (the [まとめ] block) or ``"group:<id>"`` (a group's label and description);
    ``writer`` is ``"llm"`` or ``"offline"``; ``note`` (Japanese) says why the offline text
    was kept, empty when the LLM's text passed every check.
    """

    part: str
    writer: str
    model: str = ""
    note: str = ""


@dataclass(frozen=True)
class Digest:
    """Everything matome computes for one entry; deterministic for the same input and settings."""

    engine: str  # engine version, e.g. "matome-0.1.0/digest-1"
    settings: tuple[tuple[str, str], ...]
    summary: tuple[SummarySentence, ...]
    discussion_paragraphs: tuple[str, ...]  # この議論では、…
    matome_headline: str  # the text after [まとめ]
    matome_paragraphs: tuple[str, ...]
    groups: tuple[Group, ...] = ()
    comments: tuple[CommentStat, ...] = ()
    quotes: tuple[Quote, ...] = ()
    #: (要約) paragraphs written by the optional LLM writer; empty: the summary sentences are used
    summary_paragraphs: tuple[str, ...] = ()
    #: which writer produced each part (empty for an offline digest)
    writers: tuple[PartWriter, ...] = ()


# ---------------------------------------------------------------------------------------
# A page that states how many comments it has but holds none of them (Yahoo! News loads
# them with JavaScript): the entry says so in its discussion record, in these words.

_ABSENT_RE = re.compile(r"^この記事には([0-9,]+)件のコメントがありますが、保存されたページにはコメントが含まれていません。")


def absent_comments_text(count: int) -> str:
    """The sentence an entry built from such a page carries in its discussion record."""
    return f"この記事には{count:,}件のコメントがありますが、保存されたページにはコメントが含まれていません。"


def absent_comment_count(entry: Entry) -> int | None:
    """The number of comments the page stated when the entry holds none of them, else None."""
    if entry.comments:
        return None
    for p in entry.discussion.paragraphs:
        m = _ABSENT_RE.match(p)
        if m:
            return int(m.group(1).replace(",", ""))
    return None
