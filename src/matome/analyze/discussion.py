"""The discussion summary: what the readers think, in natural Japanese, in the seed's shape.

``discussion_summary(comments, groups, stats)`` writes, deterministically and offline:

1. an opening ``この議論では、…`` with the number of comments, near-copies, the thread's ▲/▼
   totals and how many comments fit no opinion group (その他);
2. a paragraph per main opinion (the largest top-level groups, その他 excluded), named by its
   statement label (a clause a member wrote): its size, its ▲/▼ and what they say by the stance
   rule of ``votes.group_stance`` (common ground, split, opposed, leaning, too few votes), and a
   short verbatim quote of a representative comment;
3. where readers agree and where they split (the opinions on common ground and those split,
   by the same rule), the minority view, and the most agreed and most disputed comment;
4. the ``[まとめ]`` headline (the main opinion and the main split or common ground) and one more
   paragraph.

Sentence frames vary (``_Frames``): no frame is used more than twice in one summary. Every
number is computed here from the comments, groups and statistics passed in (the rules are in
``docs/digest.md``). Every quote is a whole sentence, or a run of consecutive sentences on one
line, of a comment (``matome.ja.sentences``), recorded as a :class:`~matome.model.Quote` with
the comment's position and the character offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from matome.analyze import votes as v
from matome.model import Comment, CommentStat, Group, Quote
from matome.wording import count, pct, votes_text

#: At most this many viewpoint paragraphs.
MAX_VIEWPOINTS = 4
#: Themes named in the opening (and in the [まとめ] headline: at most 2).
MAX_THEMES = 3
#: A quote is at most this many characters, and has at least MIN_QUOTE_CHARS of text that is
#: not a URL, space or punctuation.
MAX_QUOTE_CHARS = 80
MIN_QUOTE_CHARS = 6
#: Sentences shorter than this are extended by the next sentence on the same line.
SHORT_SENTENCE = 20
#: Labels longer than this are cut at a "・" boundary (or used as they are).
MAX_LABEL_CHARS = 32

_URL_RE = re.compile(r"https?://\S+|www\.\S+")
_NON_TEXT_RE = re.compile(r"[\s\W_]+")
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class DiscussionText:
    """The discussion record's text and the quotes it contains."""

    paragraphs: tuple[str, ...]
    matome_headline: str
    matome_paragraphs: tuple[str, ...]
    quotes: tuple[Quote, ...]


# ---------------------------------------------------------------------------------------
# quotes


def _quotable_text(s: str) -> int:
    """Characters of ``s`` that are neither URL, whitespace nor punctuation."""
    return len(_NON_TEXT_RE.sub("", _URL_RE.sub("", s)))


def _in_quoted_line(text: str, start: int) -> bool:
    """True when the sentence is on a line that quotes another comment (``>``)."""
    line_start = text.rfind("\n", 0, start) + 1
    return text[line_start:start + 1].lstrip(" \t\u3000\u00a0").startswith((">", "＞", "&gt;"))


def quote_of(comment: Comment, max_chars: int = MAX_QUOTE_CHARS, phrases: Sequence[str] = ()) -> Quote | None:
    """A quotable sentence of a comment, or None when no sentence fits in ``max_chars``.

    Candidates are the comment's sentences of at most ``max_chars`` characters with at least
    ``MIN_QUOTE_CHARS`` characters of text, not on a ``>`` line quoting another comment. The
    candidate containing the most of ``phrases`` (the group's key phrases, compared after
    normalization) wins; ties go to the earlier sentence. A short sentence is extended by the
    following sentences on the same line while the whole stays within ``max_chars``, and keeps
    the stubs just before it on the same line that are too short to be quoted alone (the
    question a short reply answers).

    A quote is never cut inside a sentence: a comment whose sentences are all longer than
    ``max_chars`` has no quote.
    """
    from matome.ja.sentences import split_sentences

    text = comment.text
    sents = split_sentences(text)
    wanted = [p for p in (_norm(p) for p in phrases) if p]
    best: tuple[int, int] | None = None  # (score, index)
    for i, s in enumerate(sents):
        if len(s.text) > max_chars or _quotable_text(s.text) < MIN_QUOTE_CHARS:
            continue
        if _in_quoted_line(text, s.start):
            continue
        score = sum(1 for p in wanted if p in _norm(s.text)) if wanted else 0
        if best is None or score > best[0]:
            best = (score, i)
        if not wanted:
            break
    if best is None:
        return None
    i = best[1]
    start, end = sents[i].start, sents[i].end
    # a stub just before it on the same line, too short to be quoted alone, is what a short
    # reply answers: 「少子化対策？ そんなのしてた？」 is quoted whole, not 「そんなのしてた？」
    j = i - 1
    while (j >= 0 and _quotable_text(sents[j].text) < MIN_QUOTE_CHARS and end - sents[j].start <= max_chars
           and "\n" not in text[sents[j].end:start] and not _in_quoted_line(text, sents[j].start)):
        start = sents[j].start
        j -= 1
    k = i + 1
    while end - start < SHORT_SENTENCE and k < len(sents):
        nxt = sents[k]
        if nxt.end - start > max_chars or "\n" in text[end:nxt.start]:
            break
        end = nxt.end
        k += 1
    return Quote(text[start:end], comment.position, start)


#: A quote that holds the label and fewer than this many other characters only repeats it.
REPEAT_SLACK = 10


def repeats_label(quote: str, label: str) -> bool:
    """Whether ``quote`` says no more than ``label``: the same text, or the label with a few
    characters around it (「そもそも、デジタル庁って名前がダメだろう。」 under the label
    「デジタル庁って名前がダメだろう」), trailing punctuation aside."""
    q = _norm(quote).rstrip("。！？!?")
    lab = _norm(label).rstrip("。！？!?")
    return q == lab or (bool(lab) and lab in q and len(q) - len(lab) < REPEAT_SLACK)


def _norm(s: str) -> str:
    from matome.ja.normalize import normalize

    return normalize(s).lower()


# ---------------------------------------------------------------------------------------
# labels and groups


def clean_label(group: Group) -> str:
    """The group's label on one line, short enough to name in a sentence."""
    label = _SPACE_RE.sub(" ", group.label or "").strip()
    if not label and group.key_phrases:
        label = "・".join(_SPACE_RE.sub(" ", p).strip() for p in group.key_phrases[:2])
    if not label:
        return "その他"
    if len(label) > MAX_LABEL_CHARS:
        parts = label.split("・")
        kept = parts[0]
        for p in parts[1:]:
            if len(kept) + 1 + len(p) > MAX_LABEL_CHARS:
                break
            kept += "・" + p
        label = kept
    return label.replace("「", "『").replace("」", "』")


def main_groups(groups: Sequence[Group], n_comments: int, limit: int = MAX_VIEWPOINTS) -> list[Group]:
    """The largest top-level groups, その他 excluded (at least 2 members unless the thread is tiny)."""
    top = [g for g in groups if g.parent is None and not g.other] or [g for g in groups if not g.other]
    min_size = 1 if n_comments <= 3 else 2
    top = [g for g in top if len(g.members) >= min_size]
    top.sort(key=lambda g: (-len(g.members), g.id))
    return top[:limit]


def _quoted(s: str) -> str:
    return "「" + s + "」"


def _theme_list(labels: Sequence[str]) -> str:
    return "".join(_quoted(x) for x in labels)


# ---------------------------------------------------------------------------------------
# the text


class _Frames:
    """Sentence frames with variants: each call takes the least-used variant of a frame, so no
    variant appears more than twice while a frame has enough of them."""

    def __init__(self) -> None:
        self.used: dict[tuple[str, int], int] = {}

    def pick(self, name: str, variants: Sequence[str], **slots: str) -> str:
        k = min(range(len(variants)), key=lambda i: (self.used.get((name, i), 0), i))
        self.used[(name, k)] = self.used.get((name, k), 0) + 1
        return variants[k].format(**slots)


#: Votes of a group, by stance (two wordings each).
_STANCE_FRAMES = {
    "common-ground": (
        "{votes}（賛同率{p}）と、多くの読者が同意しています。",
        "評価は{votes}（賛同率{p}）で、読者の支持がはっきりしています。",
    ),
    "split": (
        "評価は{votes}（賛同率{p}）で、賛否が割れています。",
        "{votes}（賛同率{p}）と、読者の受け止めは二分されています。",
    ),
    "opposed": (
        "{votes}（賛同率{p}）と、反対の評価のほうが多く付いています。",
        "評価は{votes}（賛同率{p}）で、否定的な受け止めが目立ちます。",
    ),
    "leaning": (
        "評価は{votes}（賛同率{p}）で、賛同がやや多いものの合意とまでは言えません。",
        "{votes}（賛同率{p}）と、おおむね好意的に受け止められています。",
    ),
    "low-signal": (
        "評価は{votes}（賛同率{p}）とまだ少なく、支持の傾向ははっきりしません。",
        "付いた評価は{votes}（賛同率{p}）だけで、読者の反応はまだ読み取れません。",
    ),
}
_NO_VOTES = ("これらのコメントにはまだ▲・▼の評価が付いていません。", "この意見にはまだ▲・▼の評価がありません。")
_QUOTE_FRAMES = ("代表的なのは「{q}」という声です。", "たとえば「{q}」という書き込みがあります。",
                 "「{q}」という意見がその典型です。")


class _Writer:
    def __init__(
        self, comments: Sequence[Comment], groups: Sequence[Group], stats: Sequence[CommentStat], quote_chars: int
    ):
        self.quote_chars = quote_chars
        self.comments = list(comments)
        self.by_pos = {c.position: c for c in self.comments}
        self.stats = {s.position: s for s in stats}
        self.groups = list(groups)
        self.group_by_id = {g.id: g for g in self.groups}
        self.quotes: list[Quote] = []
        self.represents: dict[int, str] = {}  # position -> label of the viewpoint it was quoted for
        self._quote_cache: dict[int, Quote | None] = {}
        self.frames = _Frames()
        votes = [(c.votes.up, c.votes.down) for c in self.comments]
        self.thread = v.thread_votes(votes)

    def quote(self, position: int) -> Quote | None:
        """The quote of a comment, on the topic of its (finest) group when it has one."""
        if position not in self._quote_cache:
            c = self.by_pos.get(position)
            stat = self.stats.get(position)
            group = self.group_by_id.get(stat.group) if stat is not None and stat.group is not None else None
            phrases = group.key_phrases if group is not None else ()
            self._quote_cache[position] = quote_of(c, self.quote_chars, phrases) if c is not None else None
        return self._quote_cache[position]

    def group_quote(self, g: Group) -> Quote | None:
        """The quote of the first representative that has one and does not merely repeat the
        label, else of the best-supported member."""
        rest = sorted(
            (p for p in g.members if p not in g.representatives),
            key=lambda p: (-(self.stats[p].wilson if p in self.stats else 0.0), p),
        )
        for p in [*g.representatives, *rest[:50]]:
            q = self.quote(p)
            if q is not None and not repeats_label(q.text, g.label):
                return q
        return None

    def use(self, q: Quote) -> str:
        self.quotes.append(q)
        return _quoted(q.text)

    def other_group(self) -> Group | None:
        return next((g for g in self.groups if g.other and g.parent is None), None)

    # -- the paragraphs ---------------------------------------------------------------

    def opening(self) -> str:
        n = len(self.comments)
        t = self.thread
        if n == 0:
            return "この議論では、まだコメントが寄せられていません。"
        first = f"この議論では、{count(n)}件のコメントが寄せられています。"
        dups = sum(1 for s in self.stats.values() if s.duplicate_of is not None)
        if dups and dups == n - 1:
            first += "すべてのコメントがほぼ同じ内容です。"
        elif dups:
            first += f"このうち{count(dups)}件は、ほかのコメントとほぼ同じ内容です。"
        if t.total == 0:
            first += "コメントにはまだ▲・▼の評価が付いていません。"
        else:
            first += f"全体で{votes_text(t.up, t.down)}の評価が付き、賛同率は{pct(t.up / t.total)}です。"
        other = self.other_group()
        if other is not None and other.members:
            first += (f"主な意見に入らない{count(len(other.members))}件（小さな意見のまとまりや単発のコメント）は"
                      "「その他」としました。")
        return first

    def viewpoint(self, rank: int, g: Group, single: bool = False, tied: bool = False) -> str:
        """``tied``: the two largest groups have the same size (no "most" to name)."""
        label = clean_label(g)
        n = len(g.members)
        share = pct(n / len(self.comments))
        if single and n == len(self.comments):
            head = f"{count(n)}件{'すべてが' if n > 1 else 'は'}「{label}」という意見です。"
        elif single:
            head = f"コメントの中心は「{label}」という意見で、{count(n)}件（全体の{share}）です。"
        elif rank == 0 and tied:
            head = f"まず「{label}」という意見が{count(n)}件（全体の{share}）あります。"
        elif rank == 0:
            head = f"最も多いのは「{label}」という意見で、{count(n)}件（全体の{share}）です。"
        elif rank == 1 and tied:
            head = f"「{label}」という意見も同じく{count(n)}件（全体の{share}）です。"
        elif rank == 1:
            head = f"次に多いのは「{label}」という意見で、{count(n)}件（全体の{share}）です。"
        elif rank == 2:
            head = f"「{label}」という声も{count(n)}件（全体の{share}）寄せられています。"
        else:
            head = f"さらに、「{label}」と考える読者が{count(n)}件（全体の{share}）います。"
        total = g.up + g.down
        if self.thread.total == 0:
            body = ""  # the opening already says that no comment has a vote
        elif total == 0:
            body = self.frames.pick("novotes", _NO_VOTES)
        else:
            stance = v.group_stance(g.up, g.down)
            body = self.frames.pick(stance, _STANCE_FRAMES[stance], votes=votes_text(g.up, g.down), p=pct(g.up / total))
            body += self._kind_sentence(g)
        q = self.group_quote(g)
        if q is not None:
            body += self.frames.pick("quote", _QUOTE_FRAMES, q=self.use(q)[1:-1])
            self.represents[q.position] = label
        return head + body

    def _kind_sentence(self, g: Group) -> str:
        if self.thread.up == 0:  # no ▲ anywhere: no share of ▲ to speak of
            return ""
        if g.kind == "vocal-minority":
            return f"コメント数の割に、全体の▲に占める割合は{pct(g.up_share)}にとどまります。"
        if g.kind == "silent-majority":
            return f"コメント数は多くないものの、全体の▲の{pct(g.up_share)}を集めています。"
        return ""

    def agreement(self, mains: list[Group]) -> str | None:
        """Where readers agree and where they split (by the stance rule), the minority view,
        and the most agreed and most disputed comments."""
        if not self.comments:
            return None
        parts: list[str] = []
        if self.thread.total and len(mains) > 1:
            stance = {g.id: v.group_stance(g.up, g.down) for g in mains}
            common = [clean_label(g) for g in mains if stance[g.id] == "common-ground"]
            split = [clean_label(g) for g in mains if stance[g.id] == "split"]
            if common:
                parts.append(f"読者の多くが同意しているのは{_theme_list(common)}という意見です。")
            if split:
                parts.append(f"{'一方、' if common else ''}{_theme_list(split)}については賛否が分かれています。")
            if not common and not split:
                parts.append("どの意見にも、はっきりした合意や賛否の対立は見られません。")
        least = self._least_supported(mains)
        if least is not None:
            parts.append(
                f"支持が最も少ないのは「{clean_label(least)}」という意見で、賛同率は{pct(least.up / (least.up + least.down))}です。"
            )
        else:
            other = self._next_opinion(mains)
            if other is not None:
                parts.append(f"このほか、「{clean_label(other)}」という声も{count(len(other.members))}件あります。")
        if self.thread.total == 0:
            parts.append("▲・▼の評価がまだないため、特に支持されたコメントや賛否の割れたコメントは挙げられません。")
            return "".join(parts)
        order = [c.position for c in self.comments]
        vs = [self._vote_stat(p) for p in order]
        best = v.most_agreed(vs)
        if best is not None:
            p = order[best]
            s = vs[best]
            what = self._refer(p, "というコメント")
            parts.append(f"最も支持を集めたのは{what}で、{votes_text(s.up, s.down)}（賛同率{pct(s.up / s.total)}）でした。")
        worst = v.most_disputed(vs)
        if worst is not None:
            p = order[worst]
            s = vs[worst]
            what = self._refer(p, "")
            parts.append(f"一方、最も意見が割れたのは{what}で、{votes_text(s.up, s.down)}（賛同率{pct(s.up / s.total)}）でした。")
        labels = [s.label for s in vs]
        signal = sum(1 for x in labels if x != "low-signal")
        if signal and worst is not None:
            parts.append(
                f"十分な評価が付いた{count(signal)}件のうち、同意が明確なものは{count(labels.count('consensus'))}件、"
                f"賛否が割れたものは{count(labels.count('divisive'))}件です。"
            )
        elif signal:  # no divisive comment: said once, not as "…はありませんでした" and then "…0件です"
            parts.append(
                f"十分な評価が付いた{count(signal)}件のうち、同意が明確なものは{count(labels.count('consensus'))}件で、"
                "賛否が大きく割れたコメントはありませんでした。"
            )
        else:
            parts.append("賛否が大きく割れたコメントはなく、どのコメントも評価の数が少ないため、はっきりした傾向は読み取れません。")
        return "".join(parts)

    def _least_supported(self, mains: list[Group]) -> Group | None:
        """The minority view by votes: among the top-level opinions (その他 excluded) with
        enough votes for a stance, the one with the lowest smoothed agree rate; None when
        fewer than two have enough votes (ties: the larger, then the lower id)."""
        rated = [g for g in self.groups if g.parent is None and not g.other and g.up + g.down >= v.STANCE_MIN_VOTES]
        if len(rated) < 2:
            return None
        return min(rated, key=lambda g: (v.smoothed_agree(g.up, g.down), -len(g.members), g.id))

    def _next_opinion(self, mains: list[Group]) -> Group | None:
        """The largest top-level opinion not shown as a main one (その他 excluded)."""
        shown = {g.id for g in mains}
        rest = [g for g in main_groups(self.groups, len(self.comments), limit=len(self.groups)) if g.id not in shown]
        return rest[0] if rest else None

    def _refer(self, position: int, suffix: str) -> str:
        """A comment named in the agreement paragraph: the viewpoint it already stood for, its
        quote, or its number when it has no quotable sentence."""
        if position in self.represents:
            return f"「{self.represents[position]}」の代表として先に挙げたコメント"
        q = self.quote(position)
        return self.use(q) + suffix if q else f"{count(position + 1)}番目のコメント"

    def _vote_stat(self, position: int) -> v.VoteStat:
        s = self.stats.get(position)
        c = self.by_pos[position]
        if s is not None:
            return v.VoteStat(s.up, s.down, s.support, s.wilson, s.controversy, s.label)
        u, d = c.votes.up, c.votes.down
        return v.VoteStat(u, d, c.votes.support, v.wilson_lower(u, u + d), v.controversy(u, d), v.label(u, d, self.thread))

    def _most_up(self) -> Group:
        """The top-level group with the most ▲ among all of them, shown or not."""
        every = main_groups(self.groups, len(self.comments), limit=len(self.groups))
        return max(every, key=lambda g: (g.up, -g.id))

    def headline(self, mains: list[Group]) -> str:
        """The main opinion and the main split (or common ground), as one sentence."""
        g0 = mains[0]
        first = clean_label(g0)
        if self.thread.total == 0:
            return f"「{first}」という意見が最も多く、評価はまだ付いていない。"
        stance = {g.id: v.group_stance(g.up, g.down) for g in mains}
        split = next((g for g in mains if stance[g.id] == "split"), None)
        common = next((g for g in mains if stance[g.id] == "common-ground"), None)
        if split is not None and split.id == g0.id:
            return f"最も多い「{first}」という意見をめぐり、読者の賛否は割れている。"
        if split is not None:
            return f"「{first}」という意見が最も多く、「{clean_label(split)}」をめぐっては賛否が割れている。"
        if common is not None and common.id == g0.id:
            return f"「{first}」という意見が最も多く、読者の多くも同意している。"
        if common is not None:
            return f"「{first}」という意見が最も多く、「{clean_label(common)}」には幅広い賛同が集まっている。"
        if stance[g0.id] == "opposed":
            return f"「{first}」という意見が最も多いが、反対の評価のほうが多く付いている。"
        return f"「{first}」という意見が最も多く、読者の評価はさまざまである。"

    def matome(self, mains: list[Group]) -> tuple[str, tuple[str, ...]]:
        n = len(self.comments)
        if n == 0:
            return (
                "読者のコメントはまだ寄せられていない。",
                ("コメントが集まれば、主な意見とそれぞれへの▲・▼の評価をここにまとめる。",),
            )
        t = self.thread
        vs = [self._vote_stat(c.position) for c in self.comments]
        signal = [s for s in vs if s.label != "low-signal"]
        divisive = sum(1 for s in signal if s.label == "divisive")
        consensus = sum(1 for s in signal if s.label == "consensus")
        if mains:
            headline = self.headline(mains)
        elif t.total == 0:
            headline = f"{count(n)}件の意見が寄せられているが、評価はまだ付いていない。"
        else:
            headline = f"{count(n)}件の意見が寄せられている。"
        parts: list[str] = []
        tied = len(mains) > 1 and len(mains[0].members) == len(mains[1].members)
        if len(mains) == 1 and len(mains[0].members) == n:
            parts.append(f"{count(n)}件{'すべてが' if n > 1 else 'は'}「{clean_label(mains[0])}」という意見である。")
        elif tied:
            g0, g1 = mains[0], mains[1]
            top_up = self._most_up()
            parts.append(
                f"「{clean_label(g0)}」と「{clean_label(g1)}」という意見がともに{pct(len(g0.members) / n)}で最も多く"
                + (
                    f"、最も▲を集めたのは「{clean_label(top_up)}」という意見（全体の▲の{pct(top_up.up_share)}）である。"
                    if t.up
                    else "、どちらにもまだ▲は付いていない。"
                )
            )
        elif mains:
            g0 = mains[0]
            parts.append(f"最も多いのは「{clean_label(g0)}」という意見（{pct(len(g0.members) / n)}）")
            if t.up:
                top_up = self._most_up()
                if top_up.id == g0.id:
                    parts[-1] += f"で、全体の▲の{pct(g0.up_share)}もこの意見に集まっている。"
                else:
                    parts[-1] += (
                        f"だが、最も▲を集めたのは「{clean_label(top_up)}」という意見"
                        f"（全体の▲の{pct(top_up.up_share)}）である。"
                    )
            else:
                parts[-1] += "である。"
            vocal = [g for g in mains if g.kind == "vocal-minority"]
            if vocal:
                parts.append(f"「{clean_label(vocal[0])}」はコメント数の割に▲が少ない。")
        if t.total:
            parts.append(
                f"全体の賛同率は{pct(t.up / t.total)}で、賛否が割れたコメントは{count(divisive)}件、"
                f"同意が明確なコメントは{count(consensus)}件である。"
            )
        else:
            parts.append(f"{count(n)}件のコメントのいずれにも、まだ▲・▼の評価は付いていない。")
        return headline, ("".join(parts),)


def discussion_summary(
    comments: Sequence[Comment], groups: Sequence[Group], stats: Sequence[CommentStat], *,
    max_viewpoints: int = MAX_VIEWPOINTS,
    quote_chars: int = MAX_QUOTE_CHARS,
) -> DiscussionText:
    """Write the discussion record's text from the comments, their groups and statistics.

    ``groups`` are the opinion groups with their vote aggregates (member and representative
    positions refer to ``Comment.position``); ``stats`` the per-comment statistics.
    """
    w = _Writer(comments, groups, stats, quote_chars)
    mains = main_groups(w.groups, len(w.comments), max_viewpoints)
    paragraphs = [w.opening()]
    if mains and w.comments:
        tied = len(mains) > 1 and len(mains[0].members) == len(mains[1].members)
        for rank, g in enumerate(mains):
            paragraphs.append(w.viewpoint(rank, g, single=len(mains) == 1, tied=tied))
    agreement = w.agreement(mains)
    if agreement:
        paragraphs.append(agreement)
    headline, matome_paragraphs = w.matome(mains)
    return DiscussionText(tuple(paragraphs), headline, matome_paragraphs, tuple(w.quotes))
