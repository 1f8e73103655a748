"""The discussion summary: quotes are exact substrings, every number is recomputed from the
data, the text is archive-safe, and the edge cases (0/1/2 comments, identical comments, no
votes, a 10,000-character comment, emoji/URL/HTML) give sensible text."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from archive_factory import make_entry
from matome.analyze import votes as v
from matome.analyze.digest import DigestSettings, apply_digest, digest_entry, digest_from_dict, digest_to_dict
from matome.analyze.discussion import clean_label, repeats_label
from matome.io.archive import read_path, read_text, write_entry

from conftest import SEED_PATH

LONG = ("長い" * 30 + "、") * 170 + "終わり。" + "次の文は短い。"  # > 10,000 characters

CASES = {
    "zero": [],
    "one": [("日本のAI政策はもっと早く進めるべきだと思います。予算も足りない。", 5, 1)],
    "two": [
        ("半導体の工場を国内に増やすべきだ。TSMCの誘致は良い判断だった。", 12, 3),
        ("中国製のAIは個人情報が心配なので使いたくない。", 4, 9),
    ],
    "identical": [("同じ意見です。政府はもっと本気で取り組むべき。", i + 1, 1) for i in range(6)],
    "novotes": [
        (t, 0, 0)
        for t in (
            "AIの規制は必要だと思う。",
            "データセンターの電力が足りない。",
            "教育にAIを取り入れるべきだ。",
            "中国のAIは信用できない。",
            "日本独自のAIを育てよう。",
            "半導体に投資すべきだ。",
        )
    ],
    "long": [
        (LONG, 30, 2),
        ("長い文章を書く人もいるが、要点は短くまとめてほしい。", 8, 1),
        ("要点だけ読みたい。", 2, 2),
    ],
    "noisy": [
        ("😀😀😀 最高！！ https://example.com/a?b=1&c=2 を見て。これは良い記事だと思う🎉", 10, 1),
        ("<script>alert('x')</script> <b>太字</b>で書いてみた。HTMLはただの文字列として扱われるべきだ。", 3, 7),
        ("&lt;p&gt;エスケープ済み&lt;/p&gt; それでも読める文章になっているはず。", 5, 5),
        ("🍣🍣🍣🍣🍣", 1, 0),
        ("http://a.example/x http://b.example/y", 0, 4),
        ("｜パイプ｜や*アスタリスク*や_下線_や[リンク](http://x)も文字です。", 2, 2),
    ],
    "themes": [
        (f"{topic}について{i}回目の意見です。{tail}", up, down)
        for i in range(12)
        for topic, tail, up, down in (
            ("半導体の国内生産", "工場の誘致は重要だと思う。", 20 + i, 2),
            ("中国製AIの安全性", "個人情報の扱いが心配だ。", 5, 5 + i),
            ("デジタル庁の人材", "専門家が足りないのが問題。", 1, 1),
        )
    ],
}


def _entry(name):
    if name == "seed":
        return read_path(SEED_PATH).entries[0]
    return make_entry(300_000, comments=CASES[name])


_cache: dict[str, tuple] = {}


def digested(name):
    if name not in _cache:
        entry = _entry(name)
        _cache[name] = (entry, digest_entry(entry))
    return _cache[name]


ALL = ["seed", *CASES]


# ---------------------------------------------------------------------------------------
# recomputation


def pct(x: float) -> str:
    """The documented rounding: whole percent, half up; '1%未満' for small non-zero shares."""
    if 0 < x < 0.005:
        return "1%未満"
    return f"{int(x * 100 + 0.5)}%"


N = r"(\d[\d,]*)"
P = r"(\d+%|1%未満)"


def _n(s: str) -> int:
    return int(s.replace(",", ""))


def _mask(texts: list[str], digest, labels: dict[str, int]) -> list[str]:
    """Replace each quote (in the order they were used) by 「Q#k」 and each label by 「G#id」."""
    texts = list(texts)
    ti, off = 0, 0
    for k, q in enumerate(digest.quotes):
        needle = "「" + q.text + "」"
        while ti < len(texts) and texts[ti].find(needle, off) < 0:
            ti, off = ti + 1, 0
        assert ti < len(texts), f"quote {k} not found in order: {q.text!r}"
        at = texts[ti].find(needle, off)
        repl = f"「Q#{k}」"
        texts[ti] = texts[ti][:at] + repl + texts[ti][at + len(needle) :]
        off = at + len(repl)
    for label, gid in sorted(labels.items(), key=lambda kv: -len(kv[0])):
        texts = [t.replace("「" + label + "」", f"「G#{gid}」") for t in texts]
    return texts


def check_numbers(entry, digest) -> int:
    """Parse every number out of the discussion text and compare it with a recomputation from
    the comments (and the group memberships). Returns how many numbers were checked."""
    comments = {c.position: c for c in entry.comments}
    n_all = len(comments)
    U = sum(c.votes.up for c in comments.values())
    D = sum(c.votes.down for c in comments.values())
    groups = {g.id: g for g in digest.groups}
    labels = {}
    for g in digest.groups:
        if g.parent is None:
            labels.setdefault(clean_label(g), g.id)
    pairs = [(c.votes.up, c.votes.down) for c in entry.comments]
    thread, stats = v.comment_stats(pairs)
    label_counts = {k: sum(1 for s in stats if s.label == k) for k in v.LABELS}
    signal = n_all - label_counts["low-signal"]
    checked = 0

    def gvotes(gid):
        g = groups[gid]
        return sum(comments[p].votes.up for p in g.members), sum(comments[p].votes.down for p in g.members)

    def quote_comment(k):
        return comments[digest.quotes[int(k)].position]

    current: list[int] = []
    rep_quotes: dict[int, list[int]] = {}

    def expect(m, *values):
        nonlocal checked
        got = m.groups()[-len(values):]
        for g, want in zip(got, values):
            want_s = want if isinstance(want, str) else f"{want:,}"
            assert g == want_s, f"{m.group(0)!r}: {g} != {want_s}"
            checked += 1
        return ""

    def on_group_head(m):
        gid = int(m.group(1))
        current[:] = [gid]
        g = groups[gid]
        return expect(m, len(g.members), pct(len(g.members) / n_all))

    def on_group_all(m):
        gid = int(m.group(2))
        current[:] = [gid]
        assert _n(m.group(1)) == len(groups[gid].members) == n_all
        nonlocal checked
        checked += 1
        return ""

    def on_group_votes(m):
        u, d = gvotes(current[0])
        return expect(m, u, d, pct(u / (u + d)))

    def on_up_share(m):
        u, _ = gvotes(current[0])
        return expect(m, pct(u / U))

    def on_rep(m):
        k = next(x for x in m.groups() if x is not None)
        c = quote_comment(k)
        assert c.position in groups[current[0]].members
        rep_quotes.setdefault(current[0], []).append(int(k))
        return ""

    def on_minority(m):
        g = groups[int(m.group(1))]
        assert g.parent is None and not g.other
        shown = [gid for gid in rep_quotes] + list(current)
        assert g.id not in shown
        return expect(m, len(g.members))

    def on_least(m):
        g = groups[int(m.group(1))]
        rated = [x for x in groups.values() if x.parent is None and not x.other and x.up + x.down >= 20]
        smoothed = lambda x: (x.up + 1) / (x.up + x.down + 2)  # noqa: E731
        assert g in rated and smoothed(g) == min(smoothed(x) for x in rated)
        return expect(m, pct(g.up / (g.up + g.down)))

    def on_other(m):
        other = [g for g in groups.values() if g.other and g.parent is None]
        assert len(other) == 1
        return expect(m, len(other[0].members))

    def named(m):
        """The comment a match names: by quote, by a viewpoint's representative, by number."""
        if m.group(1) is not None:
            return quote_comment(m.group(1))
        if m.group(2) is not None:  # the representative quoted in that viewpoint's paragraph
            gid = int(m.group(2))
            reps = [digest.quotes[k].position for k in rep_quotes.get(gid, [])]
            assert len(reps) == 1, f"no single representative quoted for group {gid}"
            return comments[reps[0]]
        return comments[_n(m.group(3)) - 1]

    def on_agreed(m):
        c = named(m)
        u, d = c.votes.up, c.votes.down
        best = max(v.wilson_lower(x.votes.up, x.votes.total) for x in comments.values() if x.votes.up)
        assert v.wilson_lower(u, u + d) == best
        return expect(m, u, d, pct(u / (u + d)))

    def on_disputed(m):
        c = named(m)
        u, d = c.votes.up, c.votes.down
        assert v.label(u, d, thread) == "divisive"
        return expect(m, u, d, pct(u / (u + d)))

    def on_tied(m):
        a, b = groups[int(m.group(1))], groups[int(m.group(2))]
        assert len(a.members) == len(b.members)
        assert len(a.members) == max(len(g.members) for g in groups.values() if g.parent is None)
        return expect(m, pct(len(a.members) / n_all))

    def on_matome_top(m):
        gid = int(m.group(1))
        current[:] = [gid]
        return expect(m, pct(len(groups[gid].members) / n_all))

    def on_matome_up(m):
        gid = int(m.group(1))
        u, _ = gvotes(gid)
        assert u == max(gvotes(g)[0] for g in labels.values() if g in groups)
        return expect(m, pct(u / U))

    def on_none_divisive(m):
        assert label_counts["divisive"] == 0, f"{m.group(0)!r}: {label_counts['divisive']} divisive comments"
        return expect(m, signal, label_counts["consensus"])

    rules = [
        (rf"{N}件のコメントが寄せられ", lambda m: expect(m, n_all)),
        (rf"このうち{N}件は、ほかのコメントとほぼ同じ内容です",
         lambda m: expect(m, sum(1 for s in digest.comments if s.duplicate_of is not None))),
        (rf"全体で▲{N}・▼{N}の評価が付き、賛同率は{P}です", lambda m: expect(m, U, D, pct(U / (U + D)))),
        (rf"「G#(\d+)」(?:という意見で、|という意見が|という意見も同じく|という声も|と考える読者が){N}件（全体の{P}）",
         on_group_head),
        (rf"{N}件(?:すべてが|は)「G#(\d+)」という意見(?:です|である)", on_group_all),
        (rf"「G#(\d+)」と「G#(\d+)」という意見がともに{P}で最も多く", on_tied),
        (rf"▲{N}・▼{N}（賛同率{P}）", on_group_votes),
        (rf"全体の▲に占める割合は{P}にとどまります", on_up_share),
        (rf"全体の▲の{P}を集めています", on_up_share),
        (r"(?:代表的なのは「Q#(\d+)」という声です|たとえば「Q#(\d+)」という書き込みがあります|「Q#(\d+)」という意見がその典型です)",
         on_rep),
        (rf"支持が最も少ないのは「G#(\d+)」という意見で、賛同率は{P}", on_least),
        (rf"このほか、「G#(\d+)」という声も{N}件", on_minority),
        (rf"主な意見に入らない{N}件", on_other),
        (rf"最も支持を集めたのは(?:「Q#(\d+)」というコメント|「G#(\d+)」の代表として先に挙げたコメント|{N}番目のコメント)"
         rf"で、▲{N}・▼{N}（賛同率{P}）", on_agreed),
        (rf"最も意見が割れたのは(?:「Q#(\d+)」|「G#(\d+)」の代表として先に挙げたコメント|{N}番目のコメント)"
         rf"で、▲{N}・▼{N}（賛同率{P}）", on_disputed),
        (rf"十分な評価が付いた{N}件のうち、同意が明確なものは{N}件、賛否が割れたものは{N}件",
         lambda m: expect(m, signal, label_counts["consensus"], label_counts["divisive"])),
        (rf"十分な評価が付いた{N}件のうち、同意が明確なものは{N}件で、賛否が大きく割れたコメントはありませんでした",
         on_none_divisive),
        (rf"最も多いのは「G#(\d+)」という意見（{P}）", on_matome_top),
        (rf"全体の▲の{P}もこの意見に集まっている", on_up_share),
        (rf"最も▲を集めたのは「G#(\d+)」という意見（全体の▲の{P}）", on_matome_up),
        (rf"全体の賛同率は{P}で、賛否が割れたコメントは{N}件、同意が明確なコメントは{N}件",
         lambda m: expect(m, pct(U / (U + D)), label_counts["divisive"], label_counts["consensus"])),
        (rf"{N}件の意見が寄せられている", lambda m: expect(m, n_all)),
        (rf"{N}件のコメントのいずれにも", lambda m: expect(m, n_all)),
    ]
    texts = [*digest.discussion_paragraphs, digest.matome_headline, *digest.matome_paragraphs]
    for text, masked in zip(texts, _mask(texts, digest, labels)):
        current[:] = []
        # rules are applied left to right through the paragraph so "current group" is right
        pattern = re.compile("|".join(f"(?P<r{i}>{r})" for i, (r, _) in enumerate(rules)))
        rest = []
        pos = 0
        for m in pattern.finditer(masked):
            rest.append(masked[pos : m.start()])
            pos = m.end()
            i = next(k for k in range(len(rules)) if m.group(f"r{k}") is not None)
            sub = re.fullmatch(rules[i][0], m.group(0))
            rules[i][1](sub)
        rest.append(masked[pos:])
        leftover = "".join(rest)
        leftover = re.sub(r"「[QG]#\d+」", "", leftover)
        assert not re.search(r"[0-9０-９]", leftover), f"unchecked number in {text!r}: {leftover!r}"
    return checked


# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_quotes_are_exact_substrings_of_their_comments(name):
    entry, d = digested(name)
    comments = {c.position: c for c in entry.comments}
    text = "".join(d.discussion_paragraphs)
    for q in d.quotes:
        c = comments[q.position]
        assert c.text[q.start : q.start + len(q.text)] == q.text
        assert "\n" not in q.text and q.text == q.text.strip()
        assert "「" + q.text + "」" in text


@pytest.mark.parametrize("name", ALL)
def test_every_number_in_the_text_is_recomputed_from_the_data(name):
    entry, d = digested(name)
    checked = check_numbers(entry, d)
    if entry.comments:
        assert checked >= 1


@pytest.mark.parametrize("name", ALL)
def test_text_is_archive_safe_and_round_trips(name):
    entry, d = digested(name)
    assert d.discussion_paragraphs[0].startswith("この議論では、")
    for p in [*d.discussion_paragraphs, d.matome_headline, *d.matome_paragraphs]:
        assert p and "\n" not in p and p == p.strip() and not p.startswith("[まとめ]")
    applied = apply_digest(entry, d)
    back = read_text(write_entry(applied)).entries[0]
    assert back.discussion == applied.discussion
    assert back.summary.paragraphs == tuple(s.text for s in d.summary)
    assert back.comments == entry.comments
    assert back.headline == entry.headline and back.body == entry.body


@pytest.mark.parametrize("name", ["seed", "noisy", "themes"])
def test_two_runs_give_the_same_bytes(name):
    entry, d = digested(name)
    again = digest_entry(_entry(name))
    assert json.dumps(digest_to_dict(again), ensure_ascii=False) == json.dumps(digest_to_dict(d), ensure_ascii=False)
    assert write_entry(apply_digest(entry, again)) == write_entry(apply_digest(entry, d))


@pytest.mark.parametrize("name", ALL)
def test_digest_dict_round_trips_through_json(name):
    _, d = digested(name)
    data = json.loads(json.dumps(digest_to_dict(d), ensure_ascii=False))
    assert digest_from_dict(data) == d
    assert dict(d.settings) == dict(DigestSettings().as_pairs())
    assert d.engine.startswith("matome-")


def test_no_comments():
    _, d = digested("zero")
    assert d.groups == () and d.comments == () and d.quotes == ()
    assert "まだコメントが寄せられていません" in d.discussion_paragraphs[0]
    assert "%" not in "".join([*d.discussion_paragraphs, d.matome_headline, *d.matome_paragraphs])


def test_one_and_two_comments_are_described_and_quoted():
    entry, d = digested("one")
    assert "1件のコメント" in d.discussion_paragraphs[0]
    assert [q.position for q in d.quotes][:1] == [0]
    entry, d = digested("two")
    assert "2件のコメント" in d.discussion_paragraphs[0]
    assert {q.position for q in d.quotes} <= {0, 1} and d.quotes


def test_no_votes_says_so_instead_of_percentages():
    _, d = digested("novotes")
    text = "".join([*d.discussion_paragraphs, d.matome_headline, *d.matome_paragraphs])
    # shares of comments are fine; no vote percentage or ▲/▼ count is made up
    assert "賛同率" not in text and "▲0" not in text and "▲の" not in text
    assert "評価が付いていません" in text or "評価はまだ付いていない" in text
    assert all(s.label == "low-signal" for s in d.comments)


def test_identical_comments_are_counted_as_copies():
    entry, d = digested("identical")
    assert sum(1 for s in d.comments if s.duplicate_of is not None) == len(entry.comments) - 1
    assert "すべてのコメントがほぼ同じ内容です" in d.discussion_paragraphs[0]


def test_a_10000_character_sentence_is_never_cut_into_a_quote():
    entry, d = digested("long")
    assert len(entry.comments[0].text) > 10_000
    for q in d.quotes:
        assert len(q.text) <= DigestSettings().quote_chars
    # the long comment is the most agreed; its only short sentence may be quoted whole
    long_quotes = [q for q in d.quotes if q.position == 0]
    assert all(q.text in ("終わり。", "次の文は短い。", "終わり。次の文は短い。") for q in long_quotes)


def test_emoji_urls_and_html_are_text():
    entry, d = digested("noisy")
    for q in d.quotes:
        assert entry.comments[q.position].text[q.start :].startswith(q.text)
    assert all(len(q.text.replace("🍣", "")) > 0 for q in d.quotes)


def test_settings_are_recorded_validated_and_read_back():
    s = DigestSettings(seed=7, max_viewpoints=2, cluster_method="ward")
    assert DigestSettings.from_pairs(s.as_pairs()) == s
    for bad in ({"vector_method": "bert"}, {"cluster_method": "dbscan"}, {"quote_chars": 0}):
        with pytest.raises(ValueError):
            DigestSettings(**bad)
    entry = _entry("themes")
    d = digest_entry(entry, s)
    assert dict(d.settings)["seed"] == "7" and dict(d.settings)["cluster_method"] == "ward"
    assert len(d.discussion_paragraphs) <= 1 + 2 + 1  # opening, at most 2 viewpoints, agreement
    check_numbers(entry, d)


def test_quote_prefers_the_groups_topic_and_skips_lines_quoting_others():
    from matome.analyze.discussion import quote_of
    from matome.model import Comment, Votes

    text = ">中国のAIは信用できないと言う人が多いけれど\n名前からして胡散臭いな。\nＴＳＭＣの工場を国内に増やすべきだと思う。"
    c = Comment(text, Votes(1, 0), position=3)
    q = quote_of(c)
    assert q.text == "名前からして胡散臭いな。" and text[q.start : q.start + len(q.text)] == q.text
    q = quote_of(c, phrases=("TSMC",))  # key phrases are normalized; the text is full-width
    assert q.text == "ＴＳＭＣの工場を国内に増やすべきだと思う。" and q.position == 3
    assert text[q.start : q.start + len(q.text)] == q.text
    assert quote_of(Comment("あ" * 200 + "。", Votes())) is None


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("少子化対策？ そんなのしてた？", "少子化対策？ そんなのしてた？"),  # the stub is what the reply answers
        ("少子化対策？\nそんなのしてた？", "そんなのしてた？"),  # another line: not glued
        ("えっ。 " + "い" * 78 + "。", "い" * 78 + "。"),  # glued, it would pass the quote length
        ("子育て支援を増やすべきだと思う。 ほんと？", "子育て支援を増やすべきだと思う。 ほんと？"),
    ],
)
def test_a_short_quote_keeps_the_stub_it_answers(text, quoted):
    from matome.analyze.discussion import quote_of
    from matome.model import Comment, Votes

    q = quote_of(Comment(text, Votes(1, 0), position=0))
    assert q.text == quoted and text[q.start : q.start + len(q.text)] == q.text


_POOL = (
    "半導体の工場を国内に増やすべきだ。",
    "中国製のAIは個人情報が心配。",
    "デジタル庁には専門家が足りない！",
    "結局は予算の問題でしょう？",
    "教育にAIを取り入れるべきだと思う。",
    "詳しくは\nhttps://example.jp/x?a=1",  # a URL as a comment's first line
    "<b>強調</b>したい。",
    "😀",
    ">前のコメントへの返事ですが\n同意します。",
    "それだ",
    "",
)


@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(_POOL), min_size=1, max_size=3).map("\n".join),
            st.integers(0, 60),
            st.integers(0, 60),
        ),
        min_size=0,
        max_size=14,
    )
)
@hyp_settings(max_examples=25, deadline=None)
def test_random_threads_keep_quotes_and_numbers_honest(rows):
    entry = make_entry(400_000, comments=rows)
    d = digest_entry(entry)
    comments = {c.position: c for c in entry.comments}
    for q in d.quotes:
        assert comments[q.position].text[q.start : q.start + len(q.text)] == q.text
    check_numbers(entry, d)
    back = read_text(write_entry(apply_digest(entry, d))).entries[0]
    assert back.discussion == apply_digest(entry, d).discussion and back.comments == entry.comments


def test_a_first_comment_that_is_a_url_round_trips():
    entry = make_entry(500_000, comments=[("https://example.jp/x?a=1", 0, 0)])
    back = read_text(write_entry(apply_digest(entry, digest_entry(entry)))).entries[0]
    assert back.comments == entry.comments


def test_most_agreed_group_is_sought_among_groups_not_shown():
    from matome.analyze.discussion import discussion_summary
    from matome.model import Comment, Group, Votes

    votes = [(1, 0), (0, 1), (1, 1), (40, 2), (30, 1)]
    comments = [Comment(f"意見その{i}です。", Votes(u, d), position=i) for i, (u, d) in enumerate(votes)]
    up = sum(u for u, _ in votes)
    down = sum(d for _, d in votes)

    def group(gid, label, members):
        u = sum(votes[m][0] for m in members)
        dn = sum(votes[m][1] for m in members)
        return Group(gid, label, (label,), members, members[:1], None, len(members) / 5, u, dn, u / up, dn / down, u / (u + dn), "mixed")

    groups = [group(0, "多数派", (0, 1, 2)), group(1, "支持派", (3, 4))]
    text = discussion_summary(comments, groups, [], max_viewpoints=1)
    assert "最も▲を集めたのは「支持派」" in "".join(text.matome_paragraphs)


@pytest.mark.parametrize("name", ALL)
def test_group_labels_are_quoted_from_their_comments_and_distinct(name):
    entry, d = digested(name)
    comments = {c.position: c for c in entry.comments}
    for g in d.groups:
        if g.other:
            assert g.label == "その他" and g.label_position is None
            continue
        if g.label_position is None:  # a fine group left without a free clause: a numbered name
            assert g.parent is not None, g
            continue
        text = comments[g.label_position].text
        assert text[g.label_start : g.label_start + len(g.label)] == g.label
        assert g.label_position in g.members
    keys = [g.label for g in d.groups]
    for a in keys:
        assert sum(1 for b in keys if a in b) == 1, a  # equal to or inside no other label


def test_comment_stats_read_from_a_digest_are_the_dataclass_s():
    """``digest_from_dict`` sets each CommentStat's fields at once (not through ``__init__``):
    the same instances, every declared field converted."""
    import dataclasses

    from matome.analyze.digest import _comment_stat
    from matome.model import CommentStat

    fields = {"position": "3", "up": 5, "down": 2.0, "support": 1, "wilson": "0.5", "controversy": 2,
              "label": "mixed", "group": "4", "x": 1, "y": "-0.25", "duplicate_of": 1.0}
    built = _comment_stat(fields)
    expected = CommentStat(3, 5, 2, 1.0, 0.5, 2.0, "mixed", 4, 1.0, -0.25, 1)
    assert built == expected and hash(built) == hash(expected) and repr(built) == repr(expected)
    assert [type(getattr(built, f.name)) for f in dataclasses.fields(CommentStat)] == \
        [type(getattr(expected, f.name)) for f in dataclasses.fields(CommentStat)]
    assert set(vars(built)) == {f.name for f in dataclasses.fields(CommentStat)}
    bare = _comment_stat({"position": 0, "up": 0, "down": 0, "wilson": 0, "controversy": 0, "label": "low-signal"})
    assert bare == CommentStat(0, 0, 0, None, 0.0, 0.0, "low-signal", None)


@pytest.mark.parametrize(
    ("quote", "label", "repeats"),
    [
        ("デジタル庁って名前がダメだろう。", "デジタル庁って名前がダメだろう", True),
        ("そもそも、デジタル庁って名前がダメだろう。", "デジタル庁って名前がダメだろう", True),
        ("そもそも、デジタル庁って名前がダメだろう。中身より先に名前で損をしている。", "デジタル庁って名前がダメだろう", False),
        ("印象って操作ができますよね。", "デジタル庁って名前がダメだろう", False),
        ("ＡＩは怖い！", "AIは怖い", True),
    ],
)
def test_a_quote_that_only_repeats_the_label_is_told(quote, label, repeats):
    assert repeats_label(quote, label) is repeats
