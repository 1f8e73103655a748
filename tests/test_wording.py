"""One wording for numbers and group kinds: the discussion text, the Markdown digest and the
web card show the same 賛同率 for the same votes (issue 11, item 15)."""

from __future__ import annotations

import re

from archive_factory import make_entry
from matome.analyze.digest import digest_entry
from matome.commands.digest import render_markdown as to_markdown
from matome.analyze.discussion import clean_label
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


def test_markdown_names_each_top_groups_finer_groups_with_their_sizes():
    # 240 distinct comments: a two-level digest, whose top groups (その他 included) hold finer groups
    topics = ["消費税の減税を急ぐべきだ", "原発の再稼働には反対だ", "教員の給料を上げるべきだ", "医療費の窓口負担が重すぎる",
              "地方の鉄道を廃止しないでほしい", "子育て支援の予算を増やすべきだ"]
    places = ["東京", "大阪", "札幌", "福岡", "仙台", "広島", "名古屋", "那覇"]
    details = ["物価が上がっている", "若い世代が困っている", "説明が足りない", "将来が不安だ", "議論が遅すぎる"]
    rows = [(f"{t}。{p}では{d}。", k % 7, k % 3)
            for k, (t, p, d) in enumerate((t, p, d) for t in topics for p in places for d in details)]
    entry = make_entry(410_001, comments=rows)
    d = digest_entry(entry)
    md = to_markdown(entry, d)
    sections = {}
    for block in md.split("\n### ")[1:]:
        head, _, body = block.partition("\n")
        sections[head] = body
    checked = 0
    for g in (g for g in d.groups if g.parent is None):
        children = sorted((c for c in d.groups if c.parent == g.id), key=lambda c: (-len(c.members), c.id))
        body = next(b for h, b in sections.items() if h.endswith(f"（{len(g.members):,}件）") and clean_label(g) in h)
        line = next((x for x in body.splitlines() if x.startswith("内訳")), None)
        if len(children) < 2:
            assert line is None
            continue
        checked += 1
        assert line.startswith(f"内訳（細かいグループ {len(children)} 個）: ")
        assert f"「{clean_label(children[0])}」{len(children[0].members)}件" in line
        assert sum(len(c.members) for c in children) == len(g.members)
        if len(children) > 5:
            assert line.endswith(f"ほか{len(children) - 5}グループ")
    assert checked >= 1


def test_other_comes_last_in_the_markdown_even_when_it_is_the_largest():
    chatter = [("あ" * k + "！", 1, 0) for k in range(1, 41)]  # 40 distinct comments without a word
    topics = [(f"消費税の減税を急ぐべきだ。{p}では物価が上がっている。", 3, 1) for p in ("東京", "大阪", "札幌", "福岡", "仙台")]
    topics += [(f"原発の再稼働には反対だ。{p}では説明が足りない。", 2, 2) for p in ("東京", "大阪", "札幌", "福岡", "仙台")]
    entry = make_entry(410_002, comments=chatter + topics)
    d = digest_entry(entry)
    other = next(g for g in d.groups if g.other and g.parent is None)
    assert len(other.members) > max(len(g.members) for g in d.groups if g.parent is None and not g.other)
    md = to_markdown(entry, d)
    rows = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| グループ")]
    assert rows[-1].startswith(f"| {clean_label(other)} |")
    heads = [line for line in md.splitlines() if line.startswith("### ")]
    assert heads[-1].startswith(f"### {clean_label(other)}（")


def test_markdown_of_a_thread_without_votes_has_no_vote_columns_and_one_with_votes_keeps_them():
    texts = ["消費税の減税を急ぐべきだと思う。", "原発の再稼働には反対です。", "消費税の減税は物価対策になる。",
             "原発の再稼働は電気代のために必要だ。", "子育て支援の予算を増やすべきだ。"]
    bare = make_entry(410_002, comments=[(t, 0, 0) for t in texts])
    md = to_markdown(bare, digest_entry(bare))
    assert "▲・▼の評価なし" in md
    assert "▲0" not in md and "▼0" not in md and "賛同率" not in md.split("## 意見グループ")[1]
    header = next(line for line in md.splitlines() if line.startswith("| グループ"))
    assert header == "| グループ | 件数 | 割合 |"
    rows = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| グループ")]
    assert rows and all(line.count("|") == 4 for line in rows)
    # one ▲ anywhere in the thread brings the columns back, zeros included
    voted = make_entry(410_003, comments=[(t, int(k == 0), 0) for k, t in enumerate(texts)])
    md = to_markdown(voted, digest_entry(voted))
    assert "▲1 · ▼0" in md
    assert next(line for line in md.splitlines() if line.startswith("| グループ")).count("|") == 9
