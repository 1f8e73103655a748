"""Read and write the archive record format (see ``docs/archive-format.md``).

Reading a file and writing the entries back gives the same bytes: records in the
canonical style are rebuilt from their content, and a record that deviates from it keeps
its exact text (:class:`~matome.model.Verbatim`) as long as its content is unchanged.

Input may be UTF-8 (with or without BOM) or CP932/Shift_JIS, with LF or CRLF line ends;
output is always UTF-8 with LF.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Iterable, Iterator

from matome.model import (
    ArticleBody,
    ArticleSummary,
    Comment,
    CommentSection,
    DiscussionSummary,
    Entry,
    MAX_VOTES,
    Headline,
    RecordInfo,
    Verbatim,
    comment_from_row,
)

NBSP = "\u00a0"
SEPARATOR = "=+=+=+=+="
SUMMARY_MARK = "(要約)"
MATOME_MARK = "[まとめ]"
ENTRY_JOIN = "\n\n"

_HEADER_RE = re.compile(
    r"^\([\u00a0 ]([0-9]{1,12})[\u00a0 ]\)[\u00a0 ]{1,3}"
    r"([0-9]{4}/[0-9]{1,2}/[0-9]{1,2} [0-9]{1,2}:[0-9]{2}:[0-9]{2})[\u00a0 ]*$",
    re.M,
)
_FLAG_RE = re.compile(r"^[0-9A-Za-z]{1,8}$")
_DATELINE_RE = re.compile(
    r"^(?P<source>.*?)(?:\s*(?P<pub>[0-9]{1,2}/[0-9]{1,2}\(.\)\s*[0-9]{1,2}:[0-9]{2}))?\s*配信$"
)
_VOTE_RE = re.compile(r"^▲([0-9]{1,40}) ▼([0-9]{1,40})[\u00a0 ]?$")
_MARKER_RE = re.compile(r"^[A-Z][A-Z_]{0,31}$")


class ArchiveFormatError(ValueError):
    """A record that does not follow the archive format, with where and what was expected."""

    def __init__(self, path: str, line: int, message: str):
        self.path = path
        self.line = line
        self.message = message
        super().__init__(f"{path}:{line}: {message}")


class ArchiveDecodeError(ArchiveFormatError):
    """A file that is not text in a known encoding: no entry of it can be read."""


@dataclass(frozen=True)
class ReadResult:
    """Entries read, and the errors of the entries that could not be read (keep-going)."""

    entries: tuple[Entry, ...]
    errors: tuple[ArchiveFormatError, ...] = ()


# ---------------------------------------------------------------------------------------
# decoding


def decode(data: bytes, path: str = "<bytes>") -> str:
    """Bytes to text: UTF-8 (BOM optional), else CP932; CRLF becomes LF."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        cut = truncated_utf8(data, utf8_error)
        if cut is not None:
            raise ArchiveDecodeError(path, data.count(b"\n", 0, cut) + 1, truncation_message(data, cut)) from None
        try:
            text = data.decode("cp932")
        except UnicodeDecodeError:
            bad = utf8_error.start
            line = data.count(b"\n", 0, bad) + 1
            raise ArchiveDecodeError(
                path, line, f"the file is neither UTF-8 nor CP932 (byte 0x{data[bad]:02x} at offset {bad:,})"
            ) from None
    text = text.replace("\r\n", "\n")
    if text.endswith("\r"):  # the last line ended with CR alone (a file cut after CR of CRLF)
        text = text[:-1] + "\n"
    return text


def truncated_utf8(data: bytes, error: UnicodeDecodeError) -> int | None:
    """The offset where a UTF-8 file was cut in the middle of a character, when that is
    what the decoding error is (everything before it is valid UTF-8), else None."""
    if error.end != len(data) or error.reason != "unexpected end of data":
        return None
    return error.start


def truncation_message(data: bytes, cut: int) -> str:
    return (f"the file ends in the middle of a UTF-8 character (byte offset {cut:,} of {len(data):,}): "
            "it looks truncated")


# ---------------------------------------------------------------------------------------
# rendering (the canonical style of the seed)


def _header(info: RecordInfo) -> str:
    return f"({NBSP}{info.id}{NBSP}){NBSP}{NBSP}{info.stamp}{NBSP}{NBSP}\n{info.flag}\n\n"


def _record(info: RecordInfo, chunks: Iterable[str]) -> str:
    return _header(info) + "".join(c + "\n\n" for c in chunks)


def _text_lines(text: str) -> list[str]:
    return text.split("\n") if text else []


def _headline_chunks(h: Headline) -> list[str]:
    chunks = [h.title]
    if h.source or h.published_text:
        chunks.append(" ".join(p for p in (h.source, h.published_text) if p) + " 配信")
    if h.url:
        chunks.append(h.url)
    return chunks + [NBSP]


def _comment_chunks(comments: tuple[Comment, ...]) -> list[str]:
    chunks: list[str] = []
    for i, c in enumerate(comments):
        if i and c.page != comments[i - 1].page:
            chunks.append(NBSP)
        chunks += [SEPARATOR + NBSP, NBSP]
        chunks += [line + NBSP for line in _text_lines(c.text)]
        chunks += [NBSP, f"▲{c.votes.up} ▼{c.votes.down}{NBSP}", NBSP]
    return chunks


def _canonical(part) -> str:
    if isinstance(part, Headline):
        return _record(part.record, _headline_chunks(part))
    if isinstance(part, ArticleSummary):
        return _record(part.record, [*part.paragraphs, SUMMARY_MARK])
    if isinstance(part, ArticleBody):
        return _record(part.record, [line + NBSP for line in part.lines])
    if isinstance(part, DiscussionSummary):
        chunks = [*part.paragraphs, NBSP, NBSP, MATOME_MARK + part.matome_headline]
        return _record(part.record, chunks + list(part.matome_paragraphs))
    if isinstance(part, CommentSection):
        return _record(part.record, _comment_chunks(part.comments))
    raise TypeError(f"not a record: {type(part).__name__}")


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def render_record(part) -> str:
    """One record's text: its verbatim source while its content is unchanged."""
    canonical = _canonical(part)
    v = part.verbatim
    if v is not None and v.canonical_sha1 == _sha1(canonical):
        return v.text
    return canonical


def write_entry(entry: Entry) -> str:
    """The text of one entry, ending with its trailer (no newline after ``IMAGE``)."""
    parts = (entry.headline, entry.summary, entry.body, entry.discussion, entry.thread)
    return "".join(render_record(p) for p in parts) + entry.trailer


def write_entries(entries: Iterable[Entry]) -> str:
    """The text of a file holding the entries, separated by a blank line."""
    return ENTRY_JOIN.join(write_entry(e) for e in entries)


def write_path(entries: Iterable[Entry], path: str | Path) -> None:
    Path(path).write_text(write_entries(entries), encoding="utf-8", newline="\n")


# ---------------------------------------------------------------------------------------
# parsing


class _Bad(Exception):
    """A problem inside one record; ``offset`` is relative to the record's text."""

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass
class _Raw:
    """One record as split from the file: header values, body chunks and offsets."""

    start: int  # offset of the record in the file
    text: str
    info: RecordInfo
    chunks: list[str]
    body_start: int  # offset of the first chunk within ``text``

    @cached_property
    def offsets(self) -> list[int]:
        """The offset of each chunk within ``text`` (chunks are separated by a blank line),
        worked out when first needed: mostly for an error's line, never for most records."""
        offsets, off = [], self.body_start
        for c in self.chunks:
            offsets.append(off)
            off += len(c) + 2
        return offsets

    def looks_like_headline(self, *, strong: bool = False) -> bool:
        """Whether this record can start an entry: it parses as a headline record (a title,
        then at most a ``SOURCE … 配信`` line and a URL).

        ``strong`` asks for a dated ``M/D(曜) HH:MM 配信`` line or a URL as well: enough
        evidence to cut short an entry that has fewer than five records.
        """
        chunks = self.chunks
        if not chunks or _is_spacer(chunks[0]) or _is_separator(chunks[0]):
            return False
        if strong:
            for c in chunks[1:3]:
                m = _DATELINE_RE.match(c)
                if (m and m.group("pub")) or (
                    c.startswith(("http://", "https://")) and not any(ch.isspace() for ch in c)
                ):
                    break
            else:
                return False
        try:
            _parse_headline(self)
        except _Bad:
            return False
        return True


def _starts_next_entry(raw: _Raw, slot: int) -> bool:
    """Whether a record that should fill ``slot`` (1–4) of an entry instead starts the next
    one: it looks like a headline and does not have the shape of the record expected there
    (an entry cut short by a lost record must not swallow the next entry's headline)."""
    if not raw.looks_like_headline(strong=True):
        return False
    chunks = _content(raw)
    if slot == 1:
        fits = bool(chunks) and chunks[-1] == SUMMARY_MARK
    elif slot == 2:
        fits = all(c.endswith(NBSP) or _is_spacer(c) for c in chunks)
    elif slot == 3:
        fits = any(c.startswith(MATOME_MARK) for c in chunks)
    else:
        fits = not chunks or _is_separator(chunks[0]) or all(_is_spacer(c) for c in chunks)
    return not fits


_SPACERS = frozenset((NBSP, "", " "))


def _is_spacer(chunk: str) -> bool:
    return chunk in _SPACERS


def _is_separator(chunk: str) -> bool:
    return chunk.rstrip(NBSP + " ") == SEPARATOR


def _strip_nbsp(line: str) -> str:
    return line[:-1] if line.endswith(NBSP) else line


def _split_raw(text: str, start: int, m: re.Match) -> _Raw:
    rec_id, stamp = int(m.group(1)), m.group(2)
    pos = m.end() - start
    if not text.startswith("\n", pos):
        raise _Bad("expected the flag line (such as 00) after the record header", pos)
    flag_end = text.find("\n", pos + 1)
    flag = text[pos + 1 : flag_end if flag_end >= 0 else len(text)]
    if not _FLAG_RE.match(flag):
        raise _Bad(f"expected the flag line (such as 00) after the record header, found {flag[:30]!r}", pos + 1)
    body_start = flag_end + 1 if flag_end >= 0 else len(text)
    if text.startswith("\n", body_start):
        body_start += 1
    chunks = text[body_start:].split("\n\n")
    return _Raw(start, text, RecordInfo(rec_id, stamp, flag), chunks, body_start)


def _content(raw: _Raw, *, keep_last: bool = False) -> list[str]:
    """Chunks without the empty chunk left by the record's closing blank line."""
    if not keep_last and raw.chunks and raw.chunks[-1] == "":
        return raw.chunks[:-1]
    return list(raw.chunks)


def _finish(part, raw_text: str):
    canonical = _canonical(part)
    if canonical == raw_text:
        return part
    return replace(part, verbatim=Verbatim(raw_text, _sha1(canonical)))


def _parse_headline(raw: _Raw) -> Headline:
    chunks = _content(raw)
    while chunks and _is_spacer(chunks[-1]):
        chunks.pop()
    if not chunks or not chunks[0].strip():
        raise _Bad("expected the article title in the headline record", raw.offsets[0])
    source = pub = url = None
    for i, c in enumerate(chunks[1:], start=1):
        m = _DATELINE_RE.match(c)
        if m and source is None and pub is None and url is None:
            source, pub = m.group("source") or None, m.group("pub")
        elif c.startswith(("http://", "https://")) and url is None and "\n" not in c:
            url = c
        else:
            raise _Bad(
                "expected 'SOURCE M/D(曜) HH:MM 配信' or the article URL in the headline record, "
                f"found {c[:40]!r}",
                raw.offsets[i],
            )
    return _finish(Headline(raw.info, chunks[0], source, pub, url), raw.text)


def _parse_summary(raw: _Raw) -> ArticleSummary:
    chunks = _content(raw)
    if not chunks or chunks[-1] != SUMMARY_MARK:
        where = raw.offsets[len(chunks) - 1] if chunks else 0
        raise _Bad(f"expected the article summary record to end with the line {SUMMARY_MARK}", where)
    return _finish(ArticleSummary(raw.info, tuple(chunks[:-1])), raw.text)


def _parse_body(raw: _Raw) -> ArticleBody:
    lines = tuple(_strip_nbsp(c) for c in _content(raw))
    return _finish(ArticleBody(raw.info, lines), raw.text)


def _parse_discussion(raw: _Raw) -> DiscussionSummary:
    chunks = _content(raw)
    at = next((i for i, c in enumerate(chunks) if c.startswith(MATOME_MARK)), None)
    if at is None:
        where = raw.offsets[0] if raw.offsets else 0
        raise _Bad(f"expected the discussion summary record with a line starting {MATOME_MARK}", where)
    head = chunks[:at]
    while head and _is_spacer(head[-1]):
        head.pop()
    part = DiscussionSummary(
        raw.info, tuple(head), chunks[at][len(MATOME_MARK) :], tuple(chunks[at + 1 :])
    )
    return _finish(part, raw.text)


def _parse_comments(raw: _Raw) -> tuple[CommentSection, str, int | None, str]:
    """The comments and the trailer of a comments record, where the text of a following
    record with a damaged header starts inside it (None when there is none), and the
    record's own text (without the trailer).

    A record in the canonical layout (nearly every one) is read by :func:`_canonical_comments`,
    anything else by :func:`_general_comments`; both give the same comments for it."""
    chunks, n = raw.chunks, len(raw.chunks)
    fast = _canonical_comments(raw.text, raw.body_start)
    if fast is not None:
        comments, i, cut = fast
    else:
        comments, i = _general_comments(raw)
        # the offset of chunk i, without working out every chunk's
        cut = raw.body_start + sum([len(c) for c in chunks[:i]]) + 2 * i
    end, lost = len(raw.text), None
    for k in range(i, n):
        for line in chunks[k].split("\n"):
            if line.strip() and not _MARKER_RE.match(line):
                if _looks_like_lost_header(chunks[k]):
                    # the next record's header line is damaged, so its text ran into this
                    # record: this entry ends before it (resynchronise), the rest is reported
                    end = lost = raw.offsets[k]
                    break
                raise _Bad(
                    f"expected a comment ('{SEPARATOR}') or the end of the entry, found {line[:40]!r}",
                    raw.offsets[k],
                )
        if lost is not None:
            break
    if i >= n:  # no chunk left: the record's text is all its own
        cut = end
    section = CommentSection(raw.info, tuple(comments))
    if fast is None or raw.text[: raw.body_start] != _header(raw.info):
        section = _finish(section, raw.text[:cut])
    trailer = raw.text[cut:end]
    if lost is not None and trailer.endswith(ENTRY_JOIN):
        trailer = trailer[: -len(ENTRY_JOIN)]
    return section, trailer, lost, raw.text[:cut]


def _general_comments(raw: _Raw) -> tuple[list[Comment], int]:
    """The comments of a comments record in any layout the format allows, and the index of
    the chunk after the last one (where the trailer starts)."""
    chunks = raw.chunks
    comments: list[Comment] = []
    page, i, n = 1, 0, len(chunks)
    seps = [k for k, c in enumerate(chunks) if c.startswith(SEPARATOR) and _is_separator(c)]
    is_sep = set(seps)
    spacers = _SPACERS
    s = 0  # index into seps of the current comment's separator
    while i < n and i in is_sep:
        start = i
        while seps[s] != i:
            s += 1
        nxt = seps[s + 1] if s + 1 < len(seps) else n
        vote_at, m = None, None
        for k in range(nxt - 1, i, -1):
            c = chunks[k]
            if c[:1] == "▲":
                m = _VOTE_RE.match(c)
                if m:
                    vote_at = k
                    break
        if vote_at is None:
            last = next((k for k in range(nxt - 1, i, -1) if chunks[k] not in spacers), start)
            if nxt == n:  # the last comment: skip trailing markers such as IMAGE
                last = next(
                    (k for k in range(nxt - 1, i, -1) if chunks[k] not in spacers and not _MARKER_RE.match(chunks[k])),
                    start,
                )
            raise _Bad(
                f"expected the comment's vote line '▲N ▼M', found {chunks[last][:40]!r}", raw.offsets[last]
            )
        if i + 1 >= vote_at or chunks[i + 1] not in spacers:
            raise _Bad("expected a spacer line after the comment separator", raw.offsets[min(i + 1, n - 1)])
        end = vote_at - 1 if chunks[vote_at - 1] in spacers and vote_at - 1 >= i + 2 else vote_at
        text = "\n".join([c[:-1] if c[-1:] == NBSP else c for c in chunks[i + 2 : end]])
        up, down = int(m.group(1)), int(m.group(2))
        if up > MAX_VOTES or down > MAX_VOTES:
            raise _Bad(f"vote count out of range: ▲{up} ▼{down} (at most {MAX_VOTES:,} each)", raw.offsets[vote_at])
        comments.append(comment_from_row(text, up, down, len(comments), page, None, None, None))
        i = vote_at + 1
        if i < n and chunks[i] in spacers:
            i += 1
        if i + 1 < n and chunks[i] in spacers and (i + 1) in is_sep:
            page += 1
            i += 1
        if nxt < n and i < nxt:
            raise _Bad("unexpected text after the comment's vote line", raw.offsets[i])
    return comments, i


#: A comment as :func:`_comment_chunks` writes it: the separator and a spacer, its lines
#: (each ending with U+00A0; none starting with ▲ or the separator, which the general path
#: could read otherwise: it looks for the vote line from the next separator backwards), a
#: spacer, the vote line and a spacer; then the spacer that starts a page, if one does.
_CANONICAL_COMMENT_RE = re.compile(
    f"{re.escape(SEPARATOR)}\u00a0\n\n\u00a0\n\n"
    f"((?:(?!▲|{re.escape(SEPARATOR)})[^\n]*\u00a0\n\n)*?)"
    "\u00a0\n\n▲(0|[1-9][0-9]{0,9}) ▼(0|[1-9][0-9]{0,9})\u00a0\n\n\u00a0\n\n"
    f"(\u00a0\n\n(?={re.escape(SEPARATOR)}\u00a0\n\n\u00a0\n\n))?"
)
_LINE_END = NBSP + "\n\n"


def _canonical_comments(text: str, start: int) -> tuple[list[Comment], int, int] | None:
    """The comments at ``start`` in a comments record's text when they are exactly what
    :func:`_comment_chunks` writes for them, the number of chunks they take and the offset
    where they end; else None (:func:`_general_comments` then reads the record).

    A comment is read with one regular expression and its lines joined with one
    ``str.replace``, instead of chunk by chunk. Whatever could read otherwise is left to
    the general path: a line that starts with ▲ or the separator (in a comment or after the
    last one), a vote line not written as ``▲N ▼M`` with U+00A0 (or out of range), a spacer
    that is not U+00A0, a comment written as one empty line (the writer writes none)."""
    comments: list[Comment] = []
    page = 1
    pos = start
    match = _CANONICAL_COMMENT_RE.match
    while (m := match(text, pos)) is not None:
        block, up, down, page_break = m.groups()
        body = block[:-3].replace(_LINE_END, "\n")
        up, down = int(up), int(down)
        if (block and not body) or up > MAX_VOTES or down > MAX_VOTES:
            return None
        comments.append(comment_from_row(body, up, down, len(comments), page, None, None, None))
        pos = m.end()
        if page_break:
            page += 1
    rest = text[pos:]
    if rest.startswith(("▲", SEPARATOR)) or "\n\n▲" in rest or "\n\n" + SEPARATOR in rest:
        return None
    return comments, text.count("\n\n", start, pos), pos


#: A record header that does not parse but still shows its shape: the id in parentheses or
#: the date stamp, or, when the header line is gone, the flag line alone.
_LOST_HEADER_RE = re.compile(
    r"^[\u00a0 ]*(?:\([\u00a0 ]*[0-9]{1,12}[^)\n]{0,4}\)|.{0,40}?[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}"
    r"|[0-9]{2}[\u00a0 ]*$)"
)


def _looks_like_lost_header(chunk: str) -> bool:
    first = next((line for line in chunk.split("\n") if line.strip()), "")
    return bool(_LOST_HEADER_RE.match(first))


_KINDS = (
    ("headline", _parse_headline),
    ("article summary", _parse_summary),
    ("article body", _parse_body),
    ("discussion summary", _parse_discussion),
)


class _Reader:
    def __init__(self, text: str, path: str):
        self.text = text
        self.path = path
        self._mark = (0, 1)  # (offset, line) of the last lookup: lookups mostly move forward
        self.lost: list[ArchiveFormatError] = []  # text cut off an entry at a damaged header

    def line_of(self, offset: int) -> int:
        offset = max(0, offset)
        at, line = self._mark
        if offset >= at:
            line += self.text.count("\n", at, offset)
        else:
            line = self.text.count("\n", 0, offset) + 1
        self._mark = (offset, line)
        return line

    def error(self, offset: int, message: str) -> ArchiveFormatError:
        return ArchiveFormatError(self.path, self.line_of(offset), message)

    def records(self, errors: list[ArchiveFormatError]) -> list[_Raw]:
        text = self.text
        matches = list(_HEADER_RE.finditer(text))
        lead_end = matches[0].start() if matches else len(text)
        if text[:lead_end].strip():
            errors.append(
                self.error(
                    len(text[:lead_end]) - len(text[:lead_end].lstrip()),
                    "expected a record header '(␣ID␣)␣␣YYYY/MM/DD HH:MM:SS␣␣'",
                )
            )
        out: list[_Raw] = []
        for k, m in enumerate(matches):
            start = m.start()
            end = matches[k + 1].start() if k + 1 < len(matches) else len(text)
            try:
                out.append(_split_raw(text[start:end], start, m))
            except _Bad as bad:
                errors.append(self.error(start + bad.offset, bad.message))
                out.append(None)  # type: ignore[arg-type]  # a broken record breaks its entry
        return out

    def entry(self, group: list[_Raw], last_in_file: bool) -> Entry:
        first = group[0]
        if len(group) < 5:
            where = group[-1].start
            raise self.error(
                where,
                f"an entry needs 5 records (headline, article summary, article body, discussion "
                f"summary, comments); this one has {len(group)}",
            )
        parts = []
        for raw, (kind, parse) in zip(group, _KINDS):
            try:
                parts.append(parse(raw))
            except _Bad as bad:
                raise self.error(raw.start + bad.offset, f"{kind} record {raw.info.id}: {bad.message}") from None
        raw = group[4]
        if not last_in_file and raw.text.endswith(ENTRY_JOIN):
            raw = replace(raw, text=raw.text[: -len(ENTRY_JOIN)], chunks=raw.chunks[:-1])
        try:
            section, trailer, lost, section_text = _parse_comments(raw)
        except _Bad as bad:
            raise self.error(raw.start + bad.offset, f"comments record {raw.info.id}: {bad.message}") from None
        if lost is not None:
            self.lost.append(self.error(
                raw.start + lost,
                "expected a record header '(␣ID␣)␣␣YYYY/MM/DD HH:MM:SS␣␣' (damaged); the text from here "
                "belongs to no entry",
            ))
        entry = Entry(*parts, section, trailer, origin=f"{self.path}:{self.line_of(first.start)}")
        # what write_entry gives for it: each record's text as read (a record not in the
        # canonical layout keeps it as its verbatim text), then the trailer
        object.__setattr__(entry, "archive_text",
                           "".join([group[0].text, group[1].text, group[2].text, group[3].text, section_text, trailer]))
        return entry

    def read(self) -> ReadResult:
        errors: list[ArchiveFormatError] = []
        entries = list(self.iter_entries(self.records(errors), errors))
        errors.sort(key=lambda e: e.line)
        return ReadResult(tuple(entries), tuple(errors))

    def iter_entries(self, records: list[_Raw], errors: list[ArchiveFormatError]) -> Iterator[Entry]:
        """The entries of the records one by one, each parsed when it is asked for; the
        errors (in the order found) are added to ``errors`` on the way."""
        i, n = 0, len(records)
        while i < n:
            if records[i] is None:
                i += 1
                continue
            j = i + 1
            while j < n and j - i < 5 and records[j] is not None and not _starts_next_entry(records[j], j - i):
                j += 1
            group = records[i:j]
            broken = j < n and records[j] is None and j - i < 5
            if broken:  # skip the rest of the entry that a broken header split
                j += 1
                while j < n and (records[j] is None or not records[j].looks_like_headline()):
                    j += 1
                i = j
                continue
            if not group[0].looks_like_headline():
                errors.append(
                    self.error(
                        group[0].start,
                        "expected the headline record of an entry (title, 'SOURCE M/D(曜) HH:MM 配信', URL)",
                    )
                )
                i = j
                while i < n and (records[i] is None or not records[i].looks_like_headline()):
                    i += 1
                continue
            try:
                entry = self.entry(group, last_in_file=j >= n)
            except ArchiveFormatError as e:
                errors.append(e)
            else:
                yield entry
            i = j
        errors += self.lost


class EntryStream:
    """The entries of archive text, each parsed when the iteration reaches it (an ingest
    stores the first entries of a file while the rest is still to be parsed). ``errors``
    (the bad entries, as :func:`read_text` with ``keep_going`` reports them) is complete,
    sorted by line, once the iteration has ended; ``expected`` is the number of entries the
    record headers promise (before any is parsed)."""

    def __init__(self, text: str, path: str = "<text>"):
        self._reader = _Reader(text, path)
        self.errors: list[ArchiveFormatError] = []
        self._records = self._reader.records(self.errors)
        self.expected = sum(1 for r in self._records if r is not None) // 5

    def __iter__(self) -> Iterator[Entry]:
        yield from self._reader.iter_entries(self._records, self.errors)
        self.errors.sort(key=lambda e: e.line)


def read_text(text: str, path: str = "<text>", *, keep_going: bool = False) -> ReadResult:
    """Parse archive text. Without ``keep_going`` the first bad entry raises."""
    result = _Reader(text, path).read()
    if result.errors and not keep_going:
        raise result.errors[0]
    return result


def read_bytes(data: bytes, path: str = "<bytes>", *, keep_going: bool = False) -> ReadResult:
    return read_text(decode(data, path), path, keep_going=keep_going)


def archive_files(path: str | Path) -> list[Path]:
    """The files a path stands for: itself, or the regular files of a directory (sorted)."""
    p = Path(path)
    if p.is_dir():
        return sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
    return [p]


def read_path(path: str | Path, *, keep_going: bool = False) -> ReadResult:
    """Read a file, a directory of files, or ``-`` (standard input)."""
    if str(path) == "-":
        return read_bytes(sys.stdin.buffer.read(), "<stdin>", keep_going=keep_going)
    entries: list[Entry] = []
    errors: list[ArchiveFormatError] = []
    files = archive_files(path)
    if not Path(path).exists():
        raise ArchiveFormatError(str(path), 0, "no such file or directory")
    for f in files:
        try:
            result = read_bytes(f.read_bytes(), str(f), keep_going=keep_going)
        except OSError as e:
            raise ArchiveFormatError(str(f), 0, f"cannot read: {e.strerror or e}") from None
        entries += result.entries
        errors += result.errors
    return ReadResult(tuple(entries), tuple(errors))
