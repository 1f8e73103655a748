"""The discussion summary: what the readers say, in natural Japanese, in the seed's shape.

``discussion_summary(comments, groups, stats)`` writes, deterministically and offline:

1. an opening ``この議論では、…`` with the number of comments, the main themes (the labels of
   the largest opinion groups) and the thread's ▲/▼ totals;
2. a paragraph per main viewpoint (the largest top-level groups): its size (件数と割合), its
   support (▲/▼ and 賛同率), what its votes say (consensus, divisive, vocal minority, silent
   majority …) and a short verbatim quote of its representative comment in 「」;
3. a paragraph on where readers are united and where split: the most agreed and the most
   disputed comment, and how many comments fall under each label;
4. the ``[まとめ]`` headline and one more paragraph.

Every number is computed here from the comments, groups and statistics passed in (the rules
are in ``docs/digest.md``). Every quote is a whole sentence, or a run of consecutive
sentences on one line, of a comment (``matome.ja.sentences``), recorded as a
:class:`~matome.model.Quote` with the comment's position and the character offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from matome.analyze import votes as v
from matome.model import Comment, CommentStat, Group, Quote

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
MAX_LABEL_CHARS = 24

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
# numbers as written


def pct(x: float) -> str:
    """A share as a whole percentage, rounded half up; ``1%未満`` for a small non-zero share."""
    if 0 < x < 0.005:
        return "1%未満"
    return f"{int(x * 100 + 0.5)}%"


def count(n: int) -> str:
    return f"{n:,}"


def votes_text(up: int, down: int) -> str:
    return f"▲{count(up)}・▼{count(down)}"


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
    following sentences on the same line while the whole stays within ``max_chars``.

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
    k = i + 1
    while end - start < SHORT_SENTENCE and k < len(sents):
        nxt = sents[k]
        if nxt.end - start > max_chars or "\n" in text[end:nxt.start]:
            break
        end = nxt.end
        k += 1
    return Quote(text[start:end], comment.position, start)


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
    """The largest top-level groups (at least 2 members unless the thread is tiny)."""
    top = [g for g in groups if g.parent is None] or list(groups)
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
        """The quote of the first representative that has one, else of the best-supported member."""
        for p in g.representatives:
            q = self.quote(p)
            if q is not None:
                return q
        rest = sorted(
            (p for p in g.members if p not in g.representatives),
            key=lambda p: (-(self.stats[p].wilson if p in self.stats else 0.0), p),
        )
        for p in rest[:50]:
            q = self.quote(p)
            if q is not None:
                return q
        return None

    def use(self, q: Quote) -> str:
        self.quotes.append(q)
        return _quoted(q.text)

    # -- the paragraphs ---------------------------------------------------------------

    def opening(self, themes: list[str]) -> str:
        n = len(self.comments)
        t = self.thread
        if n == 0:
            return "この議論では、まだコメントが寄せられていません。"
        if themes and len(self.groups) > 1:
            first = f"この議論では、{count(n)}件のコメントが寄せられ、主に{_theme_list(themes)}をめぐって意見が交わされています。"
        elif themes:
            first = f"この議論では、{count(n)}件のコメントが寄せられ、{_theme_list(themes)}について意見が述べられています。"
        else:
            first = f"この議論では、{count(n)}件のコメントが寄せられています。"
        dups = sum(1 for s in self.stats.values() if s.duplicate_of is not None)
        if dups and dups == n - 1:
            first += "すべてのコメントがほぼ同じ内容です。"
        elif dups:
            first += f"このうち{count(dups)}件は、ほかのコメントとほぼ同じ内容です。"
        if t.total == 0:
            return first + "コメントにはまだ▲・▼の評価が付いていません。"
        return first + f"全体で{votes_text(t.up, t.down)}の評価が付き、賛同率は{pct(t.up / t.total)}です。"

    def viewpoint(self, rank: int, g: Group, single: bool = False, tied: bool = False) -> str:
        """``tied``: the two largest groups have the same size (no "most" to name)."""
        label = clean_label(g)
        n = len(g.members)
        share = pct(n / len(self.comments))
        if single and n == len(self.comments):
            head = f"{count(n)}件{'すべてが' if n > 1 else 'は'}「{label}」に関する意見です。"
        elif single:
            head = f"コメントの中心は「{label}」に関する意見で、{count(n)}件（全体の{share}）です。"
        elif rank == 0 and tied:
            head = f"まず「{label}」に関する意見が{count(n)}件（全体の{share}）あります。"
        elif rank == 0:
            head = f"最も多いのは「{label}」に関する意見で、{count(n)}件（全体の{share}）です。"
        elif rank == 1 and tied:
            head = f"「{label}」に関する意見も同じく{count(n)}件（全体の{share}）です。"
        elif rank == 1:
            head = f"次に多いのは「{label}」に関する意見で、{count(n)}件（全体の{share}）です。"
        else:
            lead = "このほか、" if rank == 2 else "さらに、"
            head = f"{lead}「{label}」に関する意見が{count(n)}件（全体の{share}）あります。"
        total = g.up + g.down
        if self.thread.total == 0:
            body = ""  # the opening already says that no comment has a vote
        elif total == 0:
            body = "これらのコメントにはまだ▲・▼の評価が付いていません。"
        else:
            body = f"これらのコメントには{votes_text(g.up, g.down)}が付き、賛同率は{pct(g.up / total)}です。"
            body += self._kind_sentence(g)
        q = self.group_quote(g)
        if q is not None:
            body += f"代表的なのは{self.use(q)}という声です。"
            self.represents[q.position] = label
        return head + body

    def _kind_sentence(self, g: Group) -> str:
        if g.kind == "vocal-minority":
            return f"コメント数の割に支持は広がっておらず、全体の▲に占める割合は{pct(g.up_share)}にとどまります。"
        if g.kind == "silent-majority":
            return f"コメント数は多くないものの、全体の▲の{pct(g.up_share)}を集めています。"
        if g.kind == "divisive":
            return "賛否が拮抗しています。"
        if g.kind == "consensus":
            return "多くの読者が同意しています。"
        if g.kind == "low-signal":
            return "評価の数が少なく、支持の傾向ははっきりしません。"
        support = g.up / (g.up + g.down)
        if support < v.DIVISIVE_LOW:
            return "反対の評価のほうが多く付いています。"
        return "賛同がやや多いものの、はっきりした合意とまでは言えません。"

    def agreement(self) -> str | None:
        """Most agreed and most disputed comments, and the label counts."""
        if not self.comments:
            return None
        if self.thread.total == 0:
            return "▲・▼の評価がまだないため、特に支持されたコメントや賛否の割れたコメントは挙げられません。"
        order = [c.position for c in self.comments]
        vs = [self._vote_stat(p) for p in order]
        parts: list[str] = []
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
        else:
            parts.append("賛否が大きく割れたコメントはありませんでした。")
        labels = [s.label for s in vs]
        signal = sum(1 for x in labels if x != "low-signal")
        if signal:
            parts.append(
                f"十分な評価が付いた{count(signal)}件のうち、同意が明確なものは{count(labels.count('consensus'))}件、"
                f"賛否が割れたものは{count(labels.count('divisive'))}件です。"
            )
        else:
            parts.append("ただし、どのコメントも評価の数が少なく、はっきりした傾向は読み取れません。")
        return "".join(parts)

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

    def matome(self, mains: list[Group]) -> tuple[str, tuple[str, ...]]:
        n = len(self.comments)
        if n == 0:
            return (
                "読者のコメントはまだ寄せられていない。",
                ("コメントが集まれば、主な論点とそれぞれへの▲・▼の評価をここにまとめる。",),
            )
        labels = [clean_label(g) for g in mains[:2]]
        topic = "や".join(_quoted(x) for x in labels) + "をめぐり、" if labels else ""
        t = self.thread
        vs = [self._vote_stat(c.position) for c in self.comments]
        signal = [s for s in vs if s.label != "low-signal"]
        divisive = sum(1 for s in signal if s.label == "divisive")
        consensus = sum(1 for s in signal if s.label == "consensus")
        if t.total == 0:
            state = f"{count(n)}件の意見が寄せられているが、評価はまだ付いていない。"
        elif n < 3:
            state = f"{count(n)}件の意見が寄せられている。"
        elif not signal:
            state = f"{count(n)}件の意見が寄せられているが、評価の数はまだ少ない。"
        elif divisive * 5 >= len(signal) * 2:
            state = "読者の賛否は大きく分かれている。"
        elif consensus * 2 >= len(signal):
            state = "多くの読者の賛同を集める意見が目立つ。"
        else:
            state = "さまざまな意見が寄せられている。"
        headline = topic + state
        parts: list[str] = []
        tied = len(mains) > 1 and len(mains[0].members) == len(mains[1].members)
        if len(mains) == 1 and len(mains[0].members) == n:
            parts.append(f"{count(n)}件{'すべてが' if n > 1 else 'は'}「{clean_label(mains[0])}」に関する意見である。")
        elif tied:
            g0, g1 = mains[0], mains[1]
            top_up = self._most_up()
            parts.append(
                f"「{clean_label(g0)}」と「{clean_label(g1)}」に関する意見がともに{pct(len(g0.members) / n)}で最も多く"
                + (
                    f"、最も▲を集めたのは「{clean_label(top_up)}」に関する意見（全体の▲の{pct(top_up.up_share)}）である。"
                    if t.up
                    else "、どちらにもまだ▲は付いていない。"
                )
            )
        elif mains:
            g0 = mains[0]
            parts.append(f"最も多いのは「{clean_label(g0)}」に関する意見（{pct(len(g0.members) / n)}）")
            if t.up:
                top_up = self._most_up()
                if top_up.id == g0.id:
                    parts[-1] += f"で、全体の▲の{pct(g0.up_share)}もこの意見に集まっている。"
                else:
                    parts[-1] += (
                        f"だが、最も▲を集めたのは「{clean_label(top_up)}」に関する意見"
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
    themes = [clean_label(g) for g in mains[:MAX_THEMES]]
    paragraphs = [w.opening(themes)]
    if len(mains) > 1 or (mains and len(w.comments) > 0):
        tied = len(mains) > 1 and len(mains[0].members) == len(mains[1].members)
        for rank, g in enumerate(mains):
            paragraphs.append(w.viewpoint(rank, g, single=len(mains) == 1, tied=tied))
    agreement = w.agreement()
    if agreement:
        paragraphs.append(agreement)
    headline, matome_paragraphs = w.matome(mains)
    return DiscussionText(tuple(paragraphs), headline, matome_paragraphs, tuple(w.quotes))
