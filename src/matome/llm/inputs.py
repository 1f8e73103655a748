"""The adapter from an offline digest to the model's tasks (the only module that reads a Digest).

Each :class:`Task` says what the model is asked to word, and everything a gate needs to check
the answer: the numbered sources it may cite (article sentences ``S1…`` or comments ``C<n>``,
where ``n`` is the comment's number on the page, position + 1), the numbers it may write
(computed statistics, as matome writes them), the group names it may put in 「」, and which
claims (majority, consensus, split) are true of each subject (the thread, a group, a comment).

The offline pipeline chooses every source; the model only words what it is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from matome.analyze import votes as v
from matome.analyze.discussion import clean_label, count, main_groups, pct
from matome.wording import KIND_TEXT
from matome.llm.redact import redact
from matome.model import CommentStat, Digest, Entry, Group

#: The longest comment text given to the model (characters, after redaction).
COMMENT_CHARS = 300
#: Representative comments per group (group task) and per main group (discussion tasks).
GROUP_SOURCES = 3
DISCUSSION_SOURCES = 2
#: Groups that get a label from the model (the largest top-level groups).
MAX_GROUPS = 8

CLAIMS = ("majority", "consensus", "split")

_NUM_RE = re.compile(r"\d[\d,]*(?:\.\d+)?")


@dataclass(frozen=True)
class Source:
    """A text the model may cite: ``text`` is the original, ``shown`` what the model sees."""

    id: str
    text: str
    shown: str
    position: int | None = None  # comment position, None for an article sentence
    up: int = 0
    down: int = 0


@dataclass(frozen=True)
class Task:
    key: str  # "summary", "group:<id>", "discussion" or "matome"
    kind: str  # "summary", "group", "discussion" or "matome"
    facts: tuple[tuple[str, str], ...]  # statistics as written, shown to the model
    sources: tuple[Source, ...]
    numbers: frozenset[str]  # the numbers the text may contain (no thousands separators)
    labels: tuple[str, ...] = ()  # group names the text may put in 「」
    claims: tuple[tuple[str, frozenset[str]], ...] = ()  # subject -> claims that are true of it
    subject_labels: tuple[tuple[str, str], ...] = ()  # group name -> subject
    subject: str = "thread"  # what a sentence is about when it names no group or comment
    offline_chars: int = 0  # length of the offline text for this part (an output estimate)
    group_id: int | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())  # other instructions for the prompt

    def source(self, sid: str) -> Source | None:
        for s in self.sources:
            if s.id == sid:
                return s
        return None

    def claims_of(self, subject: str) -> frozenset[str]:
        return dict(self.claims).get(subject, frozenset())


def numbers_in(text: str) -> set[str]:
    """Every number written in ``text`` (NFKC), without thousands separators."""
    import unicodedata

    return {m.group(0).replace(",", "").rstrip(".") for m in _NUM_RE.finditer(unicodedata.normalize("NFKC", text))}


def _shown(text: str) -> str:
    t = redact(text).strip()
    return t if len(t) <= COMMENT_CHARS else t[:COMMENT_CHARS] + "…"


def comment_id(position: int) -> str:
    return f"C{position + 1}"


def _pct_numbers(*xs: float | None) -> set[str]:
    out: set[str] = set()
    for x in xs:
        if x is None:
            continue
        out.add(pct(x).replace("%", "").replace("未満", ""))
    return out


def _group_claims(g: Group) -> frozenset[str]:
    out = set()
    total = g.up + g.down
    support = g.up / total if total else None
    signal = g.kind != "low-signal" and total > 0
    if g.comment_share > 0.5 or (signal and support is not None and support > v.DIVISIVE_HIGH):
        out.add("majority")
    if g.kind == "consensus":
        out.add("consensus")
    if g.kind == "divisive" or (signal and support is not None and v.DIVISIVE_LOW <= support <= v.DIVISIVE_HIGH):
        out.add("split")
    return frozenset(out)


def _comment_claims(s: CommentStat) -> frozenset[str]:
    out = set()
    if s.label != "low-signal" and s.support is not None and s.support > v.DIVISIVE_HIGH:
        out.add("majority")
    if s.label == "consensus":
        out.add("consensus")
    if s.label == "divisive":
        out.add("split")
    return frozenset(out)


def _thread_claims(stats: Sequence[CommentStat]) -> frozenset[str]:
    up = sum(s.up for s in stats)
    down = sum(s.down for s in stats)
    signal = [s for s in stats if s.label != "low-signal"]
    divisive = sum(1 for s in signal if s.label == "divisive")
    consensus = sum(1 for s in signal if s.label == "consensus")
    out = set()
    if signal and consensus * 2 >= len(signal):
        out |= {"majority", "consensus"}
    if up + down and up / (up + down) > v.DIVISIVE_HIGH:
        out.add("majority")
    if signal and divisive * 5 >= len(signal) * 2:
        out.add("split")
    return frozenset(out)


@dataclass(frozen=True)
class Context:
    """What every task of one entry shares."""

    entry: Entry
    digest: Digest
    by_pos: dict
    stats: dict
    mains: list[Group]


def context(entry: Entry, digest: Digest) -> Context:
    by_pos = {c.position: c for c in entry.comments}
    stats = {s.position: s for s in digest.comments}
    mains = main_groups(digest.groups, len(entry.comments), limit=len(digest.groups))
    return Context(entry, digest, by_pos, stats, mains)


def _comment_source(ctx: Context, position: int) -> Source | None:
    c = ctx.by_pos.get(position)
    if c is None or not c.text.strip():
        return None
    return Source(comment_id(position), c.text, _shown(c.text), position, c.votes.up, c.votes.down)


def _thread_facts(ctx: Context) -> tuple[list[tuple[str, str]], set[str]]:
    stats = list(ctx.digest.comments)
    n = len(ctx.entry.comments)
    up = sum(c.votes.up for c in ctx.entry.comments)
    down = sum(c.votes.down for c in ctx.entry.comments)
    signal = [s for s in stats if s.label != "low-signal"]
    divisive = sum(1 for s in signal if s.label == "divisive")
    consensus = sum(1 for s in signal if s.label == "consensus")
    dups = sum(1 for s in stats if s.duplicate_of is not None)
    facts = [("コメント数", f"{count(n)}件"), ("▲の合計", count(up)), ("▼の合計", count(down))]
    numbers = {str(n), str(up), str(down), str(len(ctx.mains))}
    if up + down:
        facts.append(("全体の賛同率", pct(up / (up + down))))
        numbers |= _pct_numbers(up / (up + down))
    facts += [
        ("十分な評価が付いたコメント", f"{count(len(signal))}件"),
        ("同意が明確なコメント", f"{count(consensus)}件"),
        ("賛否が割れたコメント", f"{count(divisive)}件"),
        ("ほぼ同じ内容のコメント", f"{count(dups)}件"),
        ("意見グループの数", f"{count(len(ctx.mains))}"),
    ]
    numbers |= {str(len(signal)), str(consensus), str(divisive), str(dups)}
    return facts, numbers


def _group_facts(g: Group, n: int, prefix: str = "") -> tuple[list[tuple[str, str]], set[str]]:
    size = len(g.members)
    facts = [(prefix + "件数", f"{count(size)}件"), (prefix + "全コメントに占める割合", pct(g.comment_share)),
             (prefix + "▲", count(g.up)), (prefix + "▼", count(g.down))]
    numbers = {str(size), str(g.up), str(g.down)} | _pct_numbers(g.comment_share)
    if g.up + g.down:
        facts.append((prefix + "賛同率", pct(g.up / (g.up + g.down))))
        facts += [(prefix + "全体の▲に占める割合", pct(g.up_share)), (prefix + "全体の▼に占める割合", pct(g.down_share))]
        numbers |= _pct_numbers(g.up / (g.up + g.down), g.up_share, g.down_share)
    facts.append((prefix + "傾向", _KIND_JA.get(g.kind, g.kind)))
    return facts, numbers


_KIND_JA = KIND_TEXT  # the wording the digest, CLI and web use


# ---------------------------------------------------------------------------------------
# the tasks


def summary_task(ctx: Context) -> Task | None:
    sents = ctx.digest.summary
    if not sents:
        return None
    sources = tuple(Source(f"S{i + 1}", s.text, redact(s.text).strip()) for i, s in enumerate(sents))
    numbers: set[str] = set()
    for s in sents:
        numbers |= numbers_in(s.text)
    title = ctx.entry.title
    numbers |= numbers_in(title)
    facts = (("記事の見出し", redact(title)),)
    offline = sum(len(s.text) for s in sents)
    return Task("summary", "summary", facts, sources, frozenset(numbers), offline_chars=offline)


def group_tasks(ctx: Context) -> list[Task]:
    n = len(ctx.entry.comments)
    out = []
    for g in ctx.mains[:MAX_GROUPS]:
        sources = [s for s in (_comment_source(ctx, p) for p in g.representatives) if s is not None][:GROUP_SOURCES]
        if not sources:
            continue
        facts, numbers = _group_facts(g, n)
        subject = f"group:{g.id}"
        claims = {subject: _group_claims(g)}
        for s in sources:
            stat = ctx.stats.get(s.position)
            if stat is not None:
                claims[s.id] = _comment_claims(stat)
        label = clean_label(g)
        names = tuple(dict.fromkeys((label, redact(label))))
        facts = [("これまでの名前", redact(label)), ("キーフレーズ", redact("、".join(g.key_phrases[:6])))] + facts
        out.append(Task(
            subject, "group", tuple(facts), tuple(sources), frozenset(numbers),
            labels=names, claims=tuple(sorted(claims.items())), subject_labels=tuple((x, subject) for x in names),
            subject=subject, offline_chars=len(label) + 40, group_id=g.id,
        ))
    return out


def _discussion_parts(ctx: Context, labels: dict[int, str]) -> tuple[tuple, tuple, set[str], dict, dict]:
    """Facts, sources, numbers, claims and group names shared by the discussion and [まとめ] tasks."""
    n = len(ctx.entry.comments)
    facts, numbers = _thread_facts(ctx)
    claims: dict[str, frozenset[str]] = {"thread": _thread_claims(list(ctx.digest.comments))}
    names: dict[str, str] = {}
    sources: list[Source] = []
    seen: set[int] = set()

    def add(position: int) -> str | None:
        if position in seen:
            return comment_id(position)
        s = _comment_source(ctx, position)
        if s is None:
            return None
        seen.add(position)
        sources.append(s)
        stat = ctx.stats.get(position)
        if stat is not None:
            claims[s.id] = _comment_claims(stat)
            numbers.update({str(stat.up), str(stat.down)} | _pct_numbers(stat.support))
        return s.id

    for rank, g in enumerate(ctx.mains[:MAX_GROUPS]):
        label = labels.get(g.id) or clean_label(g)
        shown = redact(label)
        subject = f"group:{g.id}"
        names[label] = names[shown] = subject
        claims[subject] = _group_claims(g)
        gf, gn = _group_facts(g, n, prefix=f"グループ{rank + 1}「{shown}」の")
        facts += gf
        numbers |= gn
        ids = [i for i in (add(p) for p in g.representatives) if i][:DISCUSSION_SOURCES]
        if ids:
            facts.append((f"グループ{rank + 1}「{shown}」の代表的なコメント", "、".join(ids)))
    order = [c.position for c in ctx.entry.comments]
    vstats = []
    for p in order:
        s = ctx.stats.get(p)
        vstats.append(v.VoteStat(s.up, s.down, s.support, s.wilson, s.controversy, s.label) if s else
                      v.VoteStat(0, 0, None, 0.0, 0.0, "low-signal"))
    if any(s.up + s.down for s in vstats):
        best = v.most_agreed(vstats)
        if best is not None and (sid := add(order[best])):
            facts.append(("最も支持を集めたコメント", sid))
        worst = v.most_disputed(vstats)
        if worst is not None and (sid := add(order[worst])):
            facts.append(("最も賛否が割れたコメント", sid))
    return tuple(facts), tuple(sources), numbers, claims, names


def discussion_tasks(ctx: Context, labels: dict[int, str] | None = None) -> list[Task]:
    """The discussion and [まとめ] tasks; ``labels`` are the group names in use (the model's,
    where it wrote them and they passed the gates, else the offline ones)."""
    if not ctx.entry.comments:
        return []
    facts, sources, numbers, claims, names = _discussion_parts(ctx, labels or {})
    d = ctx.digest
    common = dict(numbers=frozenset(numbers), labels=tuple(names), claims=tuple(sorted(claims.items())),
                  subject_labels=tuple(sorted(names.items())))
    return [
        Task("discussion", "discussion", facts, sources,
             offline_chars=sum(len(p) for p in d.discussion_paragraphs), **common),
        Task("matome", "matome", facts, sources,
             offline_chars=len(d.matome_headline) + sum(len(p) for p in d.matome_paragraphs), **common),
    ]
