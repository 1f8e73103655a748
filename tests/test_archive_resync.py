"""A damaged record header costs at most the entry it belongs to (issue 11, item 12)."""

from __future__ import annotations

import pytest

from archive_factory import make_entry
from matome.io.archive import read_text, write_entries

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


def test_text_after_the_last_comment_that_is_no_header_still_fails_its_entry():
    text = TEXT.replace("\n\nIMAGE\n\n(\u00a0201\u00a0)", "\n\n思わぬ文章\n\nIMAGE\n\n(\u00a0201\u00a0)", 1)
    assert text != TEXT
    result = read_text(text, "x.txt", keep_going=True)
    assert [e.title for e in result.entries] == ["記事0", "記事2", "記事3", "記事4"]
    assert "思わぬ文章" in str(result.errors[0])
