"""The archive format is read and written without losing a byte."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive_factory import make_entry
from matome.io.archive import ArchiveFormatError, read_bytes, read_text, write_entries, write_entry
from matome.io.jsonl import read_jsonl, write_jsonl
from matome.model import (
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


def test_seed_round_trips_byte_for_byte(seed_bytes):
    result = read_bytes(seed_bytes, "seed")
    assert len(result.entries) == 1
    assert write_entries(result.entries).encode("utf-8") == seed_bytes


def test_seed_is_in_the_canonical_style(seed_bytes):
    # No record needs its verbatim text: the writer's style is the seed's style.
    entry = read_bytes(seed_bytes).entries[0]
    for part in (entry.headline, entry.summary, entry.body, entry.discussion, entry.thread):
        assert part.verbatim is None, type(part).__name__


def test_seed_content(seed_bytes):
    entry = read_bytes(seed_bytes).entries[0]
    ids = [p.record.id for p in (entry.headline, entry.summary, entry.body, entry.discussion, entry.thread)]
    assert ids == [264813, 264814, 264816, 264815, 264817]
    assert entry.headline.source == "ABEMA TIMES"
    assert entry.headline.published_at.isoformat() == "2025-02-13T12:16:00+09:00"
    assert entry.headline.url.startswith("https://news.yahoo.co.jp/articles/")
    assert entry.summary.paragraphs[-1].endswith("可能性があるとの意見がある。")
    assert entry.body.byline == "ABEMA TIMES編集部"
    assert "デジタル赤字は過去最大" in entry.body.headings
    assert all(not p.startswith(" ") for p in entry.body.paragraphs)
    assert entry.discussion.matome_headline.startswith("日本におけるAI")
    comments = entry.comments
    assert len(comments) == 37
    assert (comments[0].votes.up, comments[0].votes.down) == (2, 1)
    assert (comments[-1].votes.up, comments[-1].votes.down) == (15, 14)
    assert [c.page for c in comments] == [i // 10 + 1 for i in range(37)]
    assert comments[-2].text == ">DS\n名前からして胡散臭いなw"
    assert entry.has_image


def test_changed_record_falls_back_to_canonical_style(seed_bytes):
    entry = read_bytes(seed_bytes).entries[0]
    changed = replace(entry, summary=replace(entry.summary, paragraphs=("新しい要約。",)))
    text = write_entry(changed)
    again = read_text(text).entries[0]
    assert again.summary.paragraphs == ("新しい要約。",)
    assert again.comments == entry.comments
    assert again.body == entry.body
    # everything outside the summary record is byte-identical
    original = seed_bytes.decode("utf-8")
    head = original.split("日本のAI業界に")[0]
    assert text.startswith(head)
    assert text.endswith(original[original.index("(\u00a0264816"):])


def test_entry_built_in_code_is_written_in_seed_style():
    entry = make_entry(100, comments=[(f"コメント{i}", i, 0) for i in range(12)])
    text = write_entry(entry)
    assert text.startswith("(\u00a0100\u00a0)\u00a0\u00a02025/02/13 17:56:29\u00a0\u00a0\n00\n\n")
    assert "テスト通信 2/13(木) 12:16 配信\n\n" in text
    assert "\n\n(要約)\n\n" in text
    assert "\n\n\u00a0\n\n\u00a0\n\n[まとめ]テストの議論。\n\n" in text
    # a page boundary spacer after the 10th comment only
    assert text.count("▲9 ▼0\u00a0\n\n\u00a0\n\n\u00a0\n\n=+=+=+=+=") == 1
    assert text.endswith("IMAGE")
    back = read_text(text).entries[0]
    assert back == entry
    for part in (back.headline, back.summary, back.body, back.discussion, back.thread):
        assert part.verbatim is None


def test_many_entries_round_trip():
    entries = [make_entry(1000 + 10 * i, title=f"見出し{i}") for i in range(5)]
    text = write_entries(entries)
    result = read_text(text)
    assert result.entries == tuple(entries)
    assert write_entries(result.entries) == text


def test_jsonl_round_trip_is_lossless(seed_bytes):
    entries = read_bytes(seed_bytes).entries + (make_entry(5),)
    jsonl = write_jsonl(entries)
    back = read_jsonl(jsonl).entries
    assert back == entries
    assert write_entries(back).encode("utf-8") == write_entries(entries).encode("utf-8")
    assert write_jsonl(back) == jsonl


def test_jsonl_keeps_verbatim_records():
    # a body line without its trailing U+00A0 is not the canonical style: the reader keeps
    # the record verbatim, and JSONL carries it
    text = write_entry(make_entry(7)).replace("本文の最初の段落です。\u00a0", "本文の最初の段落です。")
    entry = read_text(text).entries[0]
    assert entry.body.verbatim is not None
    assert write_entry(entry) == text == entry.archive_text
    assert write_entry(read_jsonl(write_jsonl([entry])).entries[0]) == text


def test_crlf_bom_and_cp932_are_read(seed_bytes):
    crlf = b"\xef\xbb\xbf" + seed_bytes.replace(b"\n", b"\r\n")
    entry = read_bytes(crlf).entries[0]
    assert write_entries([entry]).encode("utf-8") == seed_bytes
    assert entry.archive_text == write_entry(entry)
    # CP932 cannot hold U+00A0: a Shift_JIS export has plain spaces where the seed has it.
    sjis = seed_bytes.decode("utf-8").replace("\u00a0", " ").encode("cp932", errors="replace")
    entry_sjis = read_bytes(sjis).entries[0]
    assert len(entry_sjis.comments) == 37
    assert entry_sjis.headline.title == entry.headline.title
    assert [c.votes for c in entry_sjis.comments] == [c.votes for c in entry.comments]
    # lossless: written back (as UTF-8) it is the same text the CP932 file held
    assert write_entries([entry_sjis]) == sjis.decode("cp932")
    assert entry_sjis.archive_text == write_entry(entry_sjis)


def test_undecodable_bytes_name_the_line():
    data = "(\u00a01\u00a0)".encode() + b"\n00\n\n\xff\xfe\x81\x00\xff"
    with pytest.raises(ArchiveFormatError) as e:
        read_bytes(data, "bad.txt")
    assert e.value.path == "bad.txt" and e.value.line == 4
    assert "neither UTF-8 nor CP932" in str(e.value)


# ---------------------------------------------------------------------------------------
# property test over generated entries

_line = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\n\r\u00a0\x0b\x0c\x1c\x1d\x1e\x85"
    ),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() and s == s.strip() and not s.startswith("=+=+") and not s.startswith("▲"))
_comment_text = st.lists(st.one_of(_line, st.just("")), min_size=0, max_size=5).map("\n".join)


@st.composite
def entries(draw):
    base = draw(st.integers(1, 10**9))
    rec = [RecordInfo(base + k, "2024/12/31 23:59:59") for k in range(5)]
    comments = draw(
        st.lists(st.tuples(_comment_text, st.integers(0, 10**6), st.integers(0, 10**6)), max_size=25)
    )
    body_paras = draw(st.lists(_line, max_size=4))
    title = draw(_line.filter(lambda s: not s.startswith(("http://", "https://"))))
    return Entry(
        headline=Headline(rec[0], title, draw(st.sampled_from(["共同通信", "ABEMA TIMES"])), "12/31(火) 9:05", "https://example.jp/x"),
        summary=ArticleSummary(rec[1], tuple(draw(st.lists(_line.filter(lambda s: s != "(要約)"), max_size=4)))),
        body=ArticleBody(rec[2], ArticleBody.layout(body_paras, lead=title, byline="編集部")),
        discussion=DiscussionSummary(
            rec[3],
            tuple(draw(st.lists(_line.filter(lambda s: not s.startswith("[まとめ]")), max_size=3))),
            draw(st.text(max_size=20).filter(lambda s: "\n" not in s and "\r" not in s)),
            tuple(draw(st.lists(_line, max_size=2))),
        ),
        thread=CommentSection(rec[4], paginate([Comment(t, Votes(u, d)) for t, u, d in comments])),
        trailer=draw(st.sampled_from(["\u00a0\n\n\u00a0\n\u00a0\n\nIMAGE", "IMAGE", ""])),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(entries(), min_size=1, max_size=3))
def test_generated_entries_round_trip(generated):
    text = write_entries(generated)
    result = read_text(text)
    assert result.entries == tuple(generated)
    assert write_entries(result.entries) == text
    assert read_jsonl(write_jsonl(result.entries)).entries == tuple(generated)
    assert [e.archive_text for e in result.entries] == [write_entry(e) for e in result.entries]


def test_an_entry_read_keeps_its_text_and_a_changed_copy_does_not(seed_bytes):
    """The reader keeps each entry's text (what write_entry gives for it, so that hashing it
    needs no writing); a copy with changes has none, and hashes what it now is."""
    from matome.store.keys import entry_sha1

    entry = read_bytes(seed_bytes).entries[0]
    assert entry.archive_text == write_entry(entry) and entry.archive_text.encode("utf-8") == seed_bytes
    changed = replace(entry, headline=replace(entry.headline, title="別の見出し"))
    assert changed.archive_text is None and entry_sha1(changed) != entry_sha1(entry)
    rebuilt = replace(entry, trailer=entry.trailer)  # equal, without the kept text
    assert rebuilt.archive_text is None and rebuilt == entry and entry_sha1(rebuilt) == entry_sha1(entry)
    assert "archive_text" not in write_jsonl([entry])
