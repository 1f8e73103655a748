"""One wording for numbers and group kinds: the discussion text, the Markdown digest and the
web card show the same 賛同率 for the same votes (issue 11, item 15)."""

from __future__ import annotations

import re

from archive_factory import make_entry
from matome.analyze.digest import digest_entry
from matome.commands.digest import render_markdown as to_markdown
from matome.web import data
from matome.wording import KIND_TEXT, pct, percent


def test_half_percent_rounds_up_everywhere():
    assert percent(5 / 8) == 63 and pct(5 / 8) == "63%"
    assert percent(0.125) == 13 and pct(0.004) == "1%未満" and pct(0.0) == "0%"


def test_text_markdown_and_web_card_agree_on_support_and_kind():
    # one comment, so one group, with ▲5 ▼3: 62.5 % (Python's round() gives 62)
    entry = make_entry(410_000, comments=[("半導体の工場を国内に増やすべきだと思う。", 5, 3)])
    d = digest_entry(entry)
    top = [g for g in d.groups if g.parent is None and not g.other]
    assert len(top) == 1 and (top[0].up, top[0].down) == (5, 3)
    text = "".join(d.discussion_paragraphs)
    assert "賛同率63%" in text
    md = to_markdown(entry, d)
    row = next(line for line in md.splitlines() if line.startswith("| ") and "63%" in line)
    assert KIND_TEXT[top[0].kind] in row
    card = next(g for g in data._groups(d, data._comment_rows(entry, d)) if g["id"] == top[0].id)
    assert card["support_pct"] == 63 and card["kind_ja"] == KIND_TEXT[top[0].kind]
    assert not re.search(r"賛同率62%", text + md)
