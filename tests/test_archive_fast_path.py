"""The reader's fast path for comments records in the canonical layout
(``archive._canonical_comments``) reads exactly what the general path reads: the same
comments, pages, verbatim texts, trailers, entry texts, and the same errors at the same
lines, for canonical records, for records that deviate from the layout anywhere, and for
broken ones."""

from __future__ import annotations

from contextlib import contextmanager
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matome.io.archive as archive
from archive_factory import make_entry
from matome.io.archive import ArchiveFormatError, read_bytes, read_text, write_entries
from matome.model import MAX_VOTES, CommentSection, Comment, Votes

NBSP = "\u00a0"


@contextmanager
def general_path_only():
    with mock.patch.object(archive, "_canonical_comments", lambda text, start: None):
        yield


@contextmanager
def counting_fast_path(taken: list[bool]):
    real = archive._canonical_comments

    def spy(text, start):
        got = real(text, start)
        taken.append(got is not None)
        return got

    with mock.patch.object(archive, "_canonical_comments", spy):
        yield


def _outcome(read) -> tuple:
    """Everything a read gives, verbatim texts and kept entry texts included (which ``==``
    on entries leaves out)."""
    try:
        result = read()
    except ArchiveFormatError as e:
        return ("raised", e.path, e.line, e.message)
    entries = []
    for e in result.entries:
        parts = (e.headline, e.summary, e.body, e.discussion, e.thread)
        entries.append((e, e.origin, e.archive_text, e.trailer, tuple(p.verbatim for p in parts)))
    return tuple(entries), tuple((e.path, e.line, e.message) for e in result.errors)


def assert_same_both_ways(text: str) -> list[bool]:
    """The fast path and the general path read ``text`` alike (keep-going and strict);
    returns, per comments record, whether the fast path took it."""
    taken: list[bool] = []
    with counting_fast_path(taken):
        fast = (_outcome(lambda: read_text(text, "t.txt", keep_going=True)),)
    fast += (_outcome(lambda: read_text(text, "t.txt")),)
    stream = archive.EntryStream(text, "t.txt")
    streamed = list(stream)
    with general_path_only():
        general = (_outcome(lambda: read_text(text, "t.txt", keep_going=True)),
                   _outcome(lambda: read_text(text, "t.txt")))
    assert fast == general
    assert tuple(streamed) == tuple(o[0] for o in fast[0][0])
    assert [(e.line, e.message) for e in stream.errors] == [(line, m) for _, line, m in fast[0][1]]
    return taken


# ---------------------------------------------------------------------------------------
# directed cases

TRICKY_TEXTS = [
    "",  # no line at all
    "\n",  # two empty lines
    "一行だけ",
    "一行目\n二行目\n\n四行目（三行目は空）",
    "末尾が空行\n",
    "\n先頭が空行",
    "▲1 ▼2",  # a line that reads as a vote line
    "前置き\n▲10 ▼0",
    "▲で始まる行",
    "=+=+=+=+=",  # a line that reads as a separator
    "本文\n=+=+=+=+= 続き",
    "行末にNBSP" + NBSP,
    NBSP,
    " ",
    "IMAGE",
    "(\u00a0123\u00a0)",
    "2025/02/13 17:56:29 のような日付",
]


def _text_of(comments: list[tuple[str, int, int]], trailer: str | None = None) -> str:
    entries = [make_entry(10, comments=comments), make_entry(20, title="二つ目", comments=[("次の記事", 1, 1)])]
    if trailer is not None:
        from dataclasses import replace

        entries[0] = replace(entries[0], trailer=trailer)
    return write_entries(entries)


def test_the_fast_path_reads_the_seed(seed_bytes):
    taken = assert_same_both_ways(seed_bytes.decode("utf-8"))
    assert taken == [True]


def test_the_fast_path_reads_entries_built_in_code():
    comments = [(f"コメント{i}\n二行目{i}", i, 30 - i) for i in range(25)] + [("", 0, 0), ("\n", MAX_VOTES, MAX_VOTES)]
    taken = assert_same_both_ways(_text_of(comments))
    assert taken == [True, True]


@pytest.mark.parametrize("text", TRICKY_TEXTS)
@pytest.mark.parametrize("where", ["first", "middle", "last", "alone"])
def test_tricky_comment_texts_read_alike(text, where):
    others = [("普通のコメント", 2, 1), ("もう一つ\n二行", 0, 0)] * 6
    at = {"first": 0, "middle": 6, "last": len(others), "alone": 0}[where]
    comments = [(text, 3, 4)] if where == "alone" else others[:at] + [(text, 3, 4)] + others[at:]
    assert_same_both_ways(_text_of(comments))


@pytest.mark.parametrize("trailer", ["", "IMAGE", "\u00a0\n\n\u00a0\n\u00a0\n\nIMAGE", "▲1 ▼1\u00a0", "=+=+=+=+=\u00a0",
                                     "\u00a0\n\n=+=+=+=+=\u00a0\n\n\u00a0\n\n", "思わぬ文章\n\nIMAGE",
                                     "(301)\u00a0\u00a02025/02/13 17:56:29\u00a0\u00a0\n00"])
def test_trailers_read_alike(trailer):
    assert_same_both_ways(_text_of([("一つ目", 1, 2), ("二つ目", 3, 4)], trailer=trailer))


CANONICAL = _text_of([(f"コメント{i}\n二行目", i, 2 * i) for i in range(12)])

#: Changes to the canonical text of the first entry's comments record: each gives a record
#: that the general path reads (or refuses) in its own way.
DEVIATIONS = [
    ("▲3 ▼6\u00a0", "▲3 ▼6"),  # vote line without U+00A0
    ("▲3 ▼6\u00a0", "▲3 ▼6 "),
    ("▲3 ▼6\u00a0", "▲03 ▼6\u00a0"),  # leading zero
    ("▲3 ▼6\u00a0", "▲3  ▼6\u00a0"),
    ("▲3 ▼6\u00a0", "▲3 ▽6\u00a0"),  # garbled
    ("▲3 ▼6\u00a0", f"▲{MAX_VOTES + 1} ▼6\u00a0"),  # out of range
    ("▲3 ▼6\u00a0\n\n\u00a0\n\n", "▲3 ▼6\u00a0\n\n\n\n"),  # spacer empty instead of U+00A0
    ("▲3 ▼6\u00a0\n\n\u00a0\n\n", "▲3 ▼6\u00a0\n\n \n\n"),  # spacer a space
    ("▲3 ▼6\u00a0\n\n\u00a0\n\n", "▲3 ▼6\u00a0\n\n"),  # spacer missing
    ("\u00a0\n\n▲3 ▼6", "▲3 ▼6"),  # no spacer before the vote line
    ("\u00a0\n\n▲3 ▼6", "\u00a0\n\n\u00a0\n\n▲3 ▼6"),  # an extra empty line
    ("コメント3\u00a0", "コメント3"),  # a line without U+00A0
    ("コメント3\u00a0\n\n", "コメント3\u00a0\n"),
    ("コメント3\u00a0\n\n", "コメント3\u00a0\n\n\n"),
    ("=+=+=+=+=\u00a0\n\n\u00a0\n\nコメント3", "=+=+=+=+=\n\n\u00a0\n\nコメント3"),  # separator without U+00A0
    ("=+=+=+=+=\u00a0\n\n\u00a0\n\nコメント3", "=+=+=+=+= \n\n\u00a0\n\nコメント3"),
    ("=+=+=+=+=\u00a0\n\n\u00a0\n\nコメント3", "=+=+=+=+=\u00a0\n\nコメント3"),  # no spacer after it
    ("=+=+=+=+=\u00a0\n\n\u00a0\n\nコメント3", "=+=+=+=+=\u00a0\n\n \n\nコメント3"),
    ("\u00a0\n\n=+=+=+=+=\u00a0\n\n\u00a0\n\nコメント10", "=+=+=+=+=\u00a0\n\n\u00a0\n\nコメント10"),  # no page break
    ("\u00a0\n\n=+=+=+=+=\u00a0\n\n\u00a0\n\nコメント10", "\u00a0\n\n\u00a0\n\n=+=+=+=+=\u00a0\n\n\u00a0\n\nコメント10"),
    ("▲3 ▼6\u00a0\n\n\u00a0\n\n", "▲3 ▼6\u00a0\n\n\u00a0\n\n\u00a0\n\n"),  # a page break mid-page
    ("二行目\u00a0\n\n\u00a0\n\n▲3 ▼6", "二行目\u00a0\n\n▲1 ▼1\u00a0\n\n\u00a0\n\n▲3 ▼6"),  # a vote-like line
    ("二行目\u00a0\n\n\u00a0\n\n▲3 ▼6", "二行目\u00a0\n\n\u00a0\n\n▲3 ▼6\u00a0\n\n▲4 ▼4"),  # two vote lines
    ("(\u00a014\u00a0)\u00a0\u00a0", "(\u00a014\u00a0) "),  # the record's header not canonical
    ("(\u00a014\u00a0)\u00a0\u00a02025/02/13 17:56:29\u00a0\u00a0\n00\n\n", "(\u00a014\u00a0)\u00a0\u00a02025/02/13 17:56:29\n00\n"),
    ("(\u00a014\u00a0)\u00a0\u00a02025/02/13 17:56:29\u00a0\u00a0\n00", "(\u00a014\u00a0)\u00a0\u00a02025/02/13 17:56:29\u00a0\u00a0\n01"),
    ("コメント11\u00a0", "コメント11\u00a0\n\nIMAGE\u00a0"),
]


@pytest.mark.parametrize("old,new", DEVIATIONS)
def test_deviations_from_the_layout_read_alike(old, new):
    start = CANONICAL.index("(\u00a014\u00a0)")
    at = CANONICAL.index(old, start)
    text = CANONICAL[:at] + new + CANONICAL[at + len(old):]
    assert text != CANONICAL
    taken = assert_same_both_ways(text)
    assert len(taken) <= 2


def test_a_comment_written_as_one_empty_line_keeps_its_text():
    """One empty line (U+00A0 alone) between the spacers: the text is empty, as for no
    line, but the record is not in the writer's layout and keeps its verbatim text."""
    canonical = _text_of([("", 1, 1)])
    text = canonical.replace("=+=+=+=+=\u00a0\n\n\u00a0\n\n", "=+=+=+=+=\u00a0\n\n\u00a0\n\n\u00a0\n\n", 1)
    assert_same_both_ways(text)
    entry = read_text(text).entries[0]
    assert entry.comments[0].text == "" and entry.thread.verbatim is not None
    assert write_entries(read_text(text).entries) == text


def _read_bytes_both_ways(data: bytes) -> tuple[tuple, list[bool]]:
    taken: list[bool] = []
    with counting_fast_path(taken):
        fast = _outcome(lambda: read_bytes(data, "t.txt", keep_going=True))
    with general_path_only():
        general = _outcome(lambda: read_bytes(data, "t.txt", keep_going=True))
    assert fast == general
    return fast, taken


def test_crlf_and_bom_input_read_alike(seed_bytes):
    for data in (seed_bytes.replace(b"\n", b"\r\n"), b"\xef\xbb\xbf" + seed_bytes):
        (entries, errors), taken = _read_bytes_both_ways(data)
        assert entries[0][0] == read_bytes(seed_bytes).entries[0] and not errors and taken == [True]


@pytest.mark.parametrize("source", ["seed", "generated"])
def test_cp932_input_reads_alike_through_the_general_path(seed_bytes, source):
    """CP932 cannot hold U+00A0 (a Shift_JIS export has plain spaces where the layout has
    it): such a record is not in the canonical layout, the fast path leaves it alone and
    the general path reads it, keeping its text."""
    text = seed_bytes.decode("utf-8") if source == "seed" else _text_of([("日本語のコメント\n二行目", 5, 1), ("もう一つ", 0, 0)])
    data = text.replace(NBSP, " ").encode("cp932", errors="replace")
    (entries, errors), taken = _read_bytes_both_ways(data)
    assert not errors and True not in taken and taken
    assert [c.votes for c in entries[0][0].comments] == [c.votes for c in read_text(text).entries[0].comments]
    assert write_entries([e[0] for e in entries]) == data.decode("cp932")


def test_undecodable_input_is_refused_as_before(seed_bytes):
    broken = seed_bytes[:200] + b"\xff\xfe\x81\x00\xff" + seed_bytes[200:]
    with pytest.raises(ArchiveFormatError, match="neither UTF-8 nor CP932") as e:
        read_bytes(broken, "bad.txt")
    assert e.value.line == seed_bytes[:200].count(b"\n") + 1


# ---------------------------------------------------------------------------------------
# property tests: generated comment sections, then the same text with random changes

_ALPHABET = st.sampled_from(["あ", "a", " ", NBSP, "▲", "▼", "=+", "=+=+=+=+=", "1", "0", "(", ")", "\u3000", "IMAGE"])
_line = st.lists(_ALPHABET, max_size=6).map("".join).filter(lambda s: "\n" not in s)
_comment_text = st.lists(_line, max_size=4).map("\n".join)
_votes = st.one_of(st.integers(0, 20), st.sampled_from([MAX_VOTES, 10**6]))


@st.composite
def comment_sections(draw):
    comments = draw(st.lists(st.tuples(_comment_text, _votes, _votes), max_size=14))
    trailer = draw(st.sampled_from(["\u00a0\n\n\u00a0\n\u00a0\n\nIMAGE", "IMAGE", "", "\u00a0\n\n▲1 ▼1\u00a0"]))
    return _text_of(comments, trailer=trailer)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(comment_sections())
def test_generated_sections_read_alike(text):
    assert_same_both_ways(text)


_TOKENS = ["\u00a0", " ", "\n", "\n\n", "▲", "▲1 ▼2\u00a0", "=+=+=+=+=", "=+=+=+=+=\u00a0\n\n\u00a0\n\n", "0", "IMAGE",
           "\u00a0\n\n", "", "(\u00a09\u00a0)\u00a0\u00a02025/01/01 00:00:00\u00a0\u00a0\n00\n\n"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(comment_sections(), st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.sampled_from(_TOKENS),
                                              st.integers(0, 3)), min_size=1, max_size=3))
def test_changed_sections_read_alike(text, changes):
    """Characters replaced by (or tokens inserted at) random places of the first entry's
    comments record and its trailer."""
    start = text.index("(\u00a014\u00a0)")
    stop = text.index("(\u00a020\u00a0)")
    for where, token, drop in changes:
        at = start + 1 + int(where * (stop - start - 1))
        text = text[:at] + token + text[at + drop:]
    assert_same_both_ways(text)


def test_the_fast_path_builds_comments_as_the_model_does():
    text = _text_of([("一行\n二行", 7, 8)] * 11)
    section: CommentSection = read_text(text).entries[0].thread
    assert section.comments == tuple(Comment("一行\n二行", Votes(7, 8), i, i // 10 + 1) for i in range(11))
    assert section.verbatim is None
