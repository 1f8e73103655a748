"""A damaged record header costs at most the entry it belongs to (issue 11, item 12)."""

from __future__ import annotations

import pytest

from archive_factory import make_entry
from matome.io.archive import read_text, write_entries, write_entry

ENTRIES = [make_entry(100 * i + 1, title=f"記事{i}", url=f"https://example.jp/{i}") for i in range(5)]
TEXT = write_entries(ENTRIES)


STAMP = "\u00a0\u00a02025/02/13 17:56:29\u00a0\u00a0"


@pytest.mark.parametrize("slot", range(5), ids=["headline", "summary", "body", "discussion", "comments"])
@pytest.mark.parametrize(
    "damage",
    ["({id})" + STAMP, "(\u00a0{id}x\u00a0)" + STAMP, "(\u00a0{id}\u00a0)\u00a0\u00a02025/02/1", "({id})",
     "{id}" + STAMP, ""],
    ids=["no-spaces", "bad-id", "cut-stamp", "id-only", "no-parens", "line-gone"],
)
def test_one_damaged_header_costs_only_its_entry(slot, damage):
    rid = 201 + slot  # a record of 記事2
    header = f"(\u00a0{rid}\u00a0)\u00a0\u00a02025/02/13 17:56:29\u00a0\u00a0"
    assert TEXT.count(header) == 1
    text = TEXT.replace(header, damage.replace("{id}", str(rid)))
    result = read_text(text, "x.txt", keep_going=True)
    assert [e.title for e in result.entries] == ["記事0", "記事1", "記事3", "記事4"]
    assert result.errors and all(e.path == "x.txt" for e in result.errors)
    kept = {e.title: e for e in result.entries}
    # the entry before the damage is read whole: written back, it is the same bytes
    assert write_entries([kept["記事1"]]) == write_entries([ENTRIES[1]])
    # and the text the reader keeps for each entry is what writing it gives
    assert [e.archive_text for e in result.entries] == [write_entry(e) for e in result.entries]


def test_text_after_the_last_comment_that_is_no_header_still_fails_its_entry():
    text = TEXT.replace("\n\nIMAGE\n\n(\u00a0201\u00a0)", "\n\n思わぬ文章\n\nIMAGE\n\n(\u00a0201\u00a0)", 1)
    assert text != TEXT
    result = read_text(text, "x.txt", keep_going=True)
    assert [e.title for e in result.entries] == ["記事0", "記事2", "記事3", "記事4"]
    assert "思わぬ文章" in str(result.errors[0])


def test_an_entry_stream_gives_what_read_text_gives_one_entry_at_a_time(monkeypatch):
    """``EntryStream`` (what ``matome ingest`` reads a file with): the same entries and errors
    as ``read_text(keep_going=True)``, each entry parsed only when the iteration reaches it."""
    import matome.io.archive as archive

    header = "(\u00a0301\u00a0)\u00a0\u00a02025/02/13 17:56:29\u00a0\u00a0"  # 記事3's headline, damaged
    text = TEXT.replace(header, "(301)" + STAMP)
    expected = read_text(text, "x.txt", keep_going=True)
    parsed = []
    real = archive._parse_comments
    monkeypatch.setattr(archive, "_parse_comments", lambda raw: parsed.append(raw) or real(raw))
    stream = archive.EntryStream(text, "x.txt")
    assert stream.expected == 4 and parsed == []  # record headers counted, nothing parsed yet
    it = iter(stream)
    first = next(it)
    assert len(parsed) == 1 and first == expected.entries[0]
    rest = list(it)
    assert (first, *rest) == expected.entries and [e.origin for e in (first, *rest)] == [e.origin for e in expected.entries]
    assert [str(e) for e in stream.errors] == [str(e) for e in expected.errors] and stream.errors
