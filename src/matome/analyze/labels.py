"""Group labels that are statements: the most central short clause the members wrote.

A reader told 「中国・AI」 does not learn what a group thinks; told
「日本の政治家は現実から目をそらし過ぎ」 they do. So a group's label is a clause written by one
of its members, verbatim, at most ``MAX_LABEL_CHARS`` characters:

1. Candidates (``clause_spans``): each sentence of a member (``matome.ja.sentences``) and, for
   a long sentence, the part after each 、 (the clause that carries the predicate) — but not
   after a number's comma (8,000) or a topic particle (「…は、」: the rest would have lost its
   subject). Trimmed only of leading chat markers (>>12, ※, 横, （無効）), leading connectives
   (でも、 だから 正直 及び この点に関して、 そのため、 …) and trailing punctuation or laughter
   (。！？…ｗ). A candidate
   must state something (``is_statement``): a predicate (verb, adjective, auxiliary such as
   べき/ない, or a nominal ending in だ/です) and at least ``MIN_CONTENT_CHARS`` characters of
   words, balanced brackets, no URL, not a question (``is_question``), not a fragment that
   stops before its predicate or lost its first word (``is_fragment``: 「…放射能濃度が」,
   「…だろうから」, 「は高卒と…」) and not a stop phrase (``is_stop_phrase``: 横, ほんと,
   同感です, そう思う, 意味, こと …). A leading word is trimmed as a connective only when no
   particle follows it (結局、 goes; 結局は stays).
2. Score (in ``_best_clause``): ``SIMILARITY_WEIGHT`` × (cosine of the clause's word-table
   vector to its group's centre − ``DISTINCT_WEIGHT`` × cosine to the nearest other group's; at
   the top level only), plus ``COVER_WEIGHT`` × the group's ``N_KEYWORDS`` most distinctive
   words it contains (c-TF-IDF over members' words, each relative to the best), a length prior
   (``IDEAL_CHARS``), 0.1 × the support of the comment it comes from (Wilson lower bound of
   ▲/(▲+▼)) and ``OPINION_WEIGHT`` when the clause states a view (``is_opinion``), minus
   ``CONTEXT_PENALTY`` when it points at text the label's reader does not see (``needs_context``:
   下記, 上記, この点, これでは) and ``OPEN_ENDED_PENALTY`` when it ends on a condition or an
   open-ended particle (``is_open_ended``: 「…やっていたら」, 「…事柄すら」). Readers matched
   comments to labels by shared words first (bench/reading.py).
3. Labels are unique in a digest: no label equals, contains or is contained in another
   (compared after normalization); the top level and larger groups choose first. A group
   where no candidate survives falls back (``_fallback``) to its best key phrase followed by
   the predicate written after it (``noun_predicate``), any clause with words, the bare key
   phrase, a letterless comment's own text (🍣🍣🍣), and last a numbered
   「個別の意見NN」 with no source.

Each label records where it comes from (comment index and character offset), as quotes do.
Key phrases (c-TF-IDF over Sudachi noun phrases, ``key_phrases``) are kept for search and
display beside the label.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matome.ja.normalize import normalize
from matome.ja.sentences import Sentence, split_sentences
from matome.ja.tokens import STOP_WORDS, Token, content_words_of, key_phrases_of, tokenize

#: The longest label, in characters.
MAX_LABEL_CHARS = 30
#: A label has at least this many characters of letters or digits (kana, kanji, Latin).
MIN_CONTENT_CHARS = 5
#: Labels of this length read best.
IDEAL_CHARS = (10, 26)
#: Candidates are taken from this many of the group's most central members (top level, fine level).
CANDIDATE_MEMBERS = 40
FINE_CANDIDATE_MEMBERS = 12
#: Weight of a candidate's similarity to the nearest other group of the same level (subtracted:
#: a label must not also describe a neighbour), for the top level and the finer level. Fine
#: groups are parts of one opinion whose nearest neighbour is usually a sibling: there the
#: penalty pushed labels to idiosyncratic clauses (on pubcom, character ROUGE-L of the fine
#: labels against the ministry's titles .220 with it, .247 without), and the uniqueness rule
#: already keeps siblings' labels apart.
DISTINCT_WEIGHT = (1.0, 0.0)
#: Weights of a candidate's similarity to its group (minus the nearest other group) and of the
#: group's ``N_KEYWORDS`` most distinctive words it contains (each weighted by its c-TF-IDF
#: relative to the best word): readers match comments to labels by shared words first.
SIMILARITY_WEIGHT = 0.5
COVER_WEIGHT = 1.0
N_KEYWORDS = 8
#: Weight of a clause that states a view (``is_opinion``) over one that only reports a fact:
#: 「100ベクレルの基準を守るべき」 tells a reader what the group thinks, 「先週火曜日は123人でした」
#: does not.
OPINION_WEIGHT = 0.3
#: Subtracted from a clause that points at text outside it (``needs_context``).
CONTEXT_PENALTY = 0.5
#: Subtracted from a clause that ends on a condition or an open-ended particle (``is_open_ended``).
OPEN_ENDED_PENALTY = 0.5
#: Key phrases kept per group.
N_KEY_PHRASES = 5
#: The label of the group of comments that fit no group.
OTHER_LABEL = "その他"
#: The name (numbered) of a group with no quotable text at all.
NO_TEXT_LABEL = "個別の意見"

#: Words and chat markers that never make a label on their own.
STOP_LABELS = frozenset(
    """
    横 よこ ヨコ 横だけど 横ですが ほんと ホント 本当 ほんとそれ それな それ わかる 分かる
    わかるー 同意 同感 確かに たしかに 意味 こと もの w ｗ 笑 草 はい いいえ うん ですよね
    だよね そうだね そうですね なるほど ありがとう おはよう 無理 無効 削除 そう思う 以上
    """.split()
)
_POLITE_TAIL = re.compile(r"(?:です|ます|でした|だ|だよ|だね|よね|ね|よ|な|わ|なぁ|なあ|ー)+$")

_LEAD_MARKERS = re.compile(
    r"^(?:\s|[・･、。，．,.]|[>＞]+\s*[0-9０-９]*|&gt;\S*|[※＊*・●○◆■□▼▲→\-ー―]|[（(]無効[）)]|[0-9０-９]+[.．、)）:：]"
    r"|横(?:だけど|ですが|から|レス|失礼)?[、,\s]|よこ[、,\s]|ヨコ[、,\s])+"
)
_LEAD_CONNECTIVES = re.compile(
    r"^(?:(?:ところが|それでも)(?=[、,，\s])|及び|並びに|又は|または|かつ|でも|だから|しかし|それに|そもそも|結局|正直|まあ|まぁ|いや|いやいや|てか|ていうか|っていうか"
    r"|なので|ただ|確かに|たしかに|要するに|つまり|あと|また|それで|だって|けど|けれど|ところで|むしろ"
    r"|ほんと|本当に|やっぱり|やっぱ|やはり|もう|逆に|普通に|うーん|んー|えー|あー|はぁ|はあ"
    r"|さらに|そして|ただし|しかしながら|(?:又|更に|尚|なお|加えて)(?=[、,，])"
    r"|(?:この|その|上記の|前述の)?点(?:に関して|について|で)(?=[、,，])|(?:これ|それ)(?:に関して|について)(?=[、,，])"
    r"|その上で|そのため|このため|それゆえ|しかも|ちなみに|とはいえ|なのに"
    r"|(?:挙句|挙げ句|揚げ句|あげく)(?:の果て(?:に)?)?"
    # a reply's agreement or denial before its own point (「そうだね、昔は…」, 「そうでもないよ…女性は…」):
    # only with its separator
    r"|(?:そうだね|そうですね|そうそう|それな|ほんとそれ|ですよね|だよね|同感|同意|わかる|分かる|うん"
    r"|そうでもない|そんなことない|そんな事ない|そうじゃない|違う|ちがう)(?:よ|です|ですよ|けど)?(?=[、,，\s…‥！!])"
    r")[、,，\s…‥！!]*"
)
#: Words that point at text the reader of a label does not see (下記, 上記, この点, これでは, and
#: a clause opening on そういう/そんな, which point back at the comment it answers):
#: a clause holding one does not stand alone as a label.
_CONTEXT_RE = re.compile(r"下記|上記|前述|後述|^以下の|同上|この点|その点|これでは|それでは|これは|それは|そこで|その後"
                         r"|^(?:そういう|そういった|ああいう|ああいった|そんな|あんな)")
_OPINION_RE = re.compile(
    r"べき|(?:て|で)(?:ほしい|欲しい|ください|下さい)|を求め|反対|賛成|必要|不要|おかしい|問題(?:だ|です|である|では)"
    r"|不十分|不適切|許され(?:ない|ません)|(?:す|過)ぎ(?:る|ます|だ|です)?$|(?:方|ほう)が(?:いい|良い|よい|まし)"
    r"|当然|しかない|やめ(?:て|ろ|るべき)|撤回|中止"
)
#: A question word, and the endings that make a clause holding one a question.
_WH_WORD_RE = re.compile(r"(?:どこ|どれ|どっち|どちら|なぜ|何故|なんで|何で|どうして|どうやって|だれ|誰|いつ|なに|何が|何を|何の|何な"
                         r"|いくら|どんな|どういう)(?![もか]|でも|にでも)")
_WH_ENDING_RE = re.compile(r"(?:だろう|でしょう|だろ|でしょ|の)(?:ね|な|ねぇ|なぁ)?$")
_TRAIL = re.compile(r"(?:[\s。、．，！？!?｡…‥・〜～]|(?<=[^\x00-\x7f])[wｗ]+|[（(]笑[）)]|笑)+$")
_URL_RE = re.compile(r"https?://|www\.")
#: Particles that, right after a leading word, show it is part of the clause (結局は, 正直に).
_PARTICLE_CHARS = frozenset("はもがのをにでとへや")
#: A clause is not cut off after 、 when this particle precedes it (its subject would be lost).
TOPIC_PARTICLES = "はがもを"
_PREDICATE_POS = frozenset({"動詞", "形容詞", "助動詞"})
#: Adverbial particles that leave the clause open when it ends on them (「…事柄すら」).
_OPEN_ENDED = frozenset({"すら", "さえ", "こそ", "しか", "までも"})
_OPEN, _CLOSE = "「『（(【", "」』）)】"


@dataclass(frozen=True)
class Label:
    """A group's label and where it comes from (``None`` for a fixed name such as その他)."""

    text: str
    index: int | None  # index of the comment it is taken from
    start: int | None  # character offset in that comment's text


# ---------------------------------------------------------------------------------------
# candidates


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without leading chat markers and connectives and trailing punctuation."""
    while True:
        piece = text[start:end]
        m = _LEAD_MARKERS.match(piece) or _LEAD_CONNECTIVES.match(piece)
        if not m or m.end() == 0:
            break
        if m.re is _LEAD_CONNECTIVES and piece[m.end():m.end() + 1] in _PARTICLE_CHARS and piece[m.end() - 1] not in "、,， ":
            # a word used as a noun with its particle (結局は, 逆にも): not a connective to drop
            break
        start += m.end()
    m = _TRAIL.search(text, start, end)
    if m and m.end() == end:
        end = m.start()
    return start, max(start, end)


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def content_chars(s: str) -> int:
    return sum(1 for ch in s if unicodedata.category(ch)[0] in "LN")


#: A space between two Japanese characters: a line break that a copy flattened (「…のにね 国を守ってた」),
#: a sentence boundary for a label. Not between digits or Latin letters (「58 条」, 「ALPS 処理水」).
_FLAT_BREAK_RE = re.compile(r"(?<=[^\x00-\x7f])[ \u3000]+(?=[^\x00-\x7f\s])")


def _line_pieces(sentences):
    """Each sentence cut at its flattened line breaks (``_FLAT_BREAK_RE``)."""
    for s in sentences:
        start = 0
        for m in _FLAT_BREAK_RE.finditer(s.text):
            if m.start() > start:
                yield Sentence(s.text[start:m.start()], s.start + start, s.start + m.start())
            start = m.end()
        if start == 0:
            yield s
        elif start < len(s.text):
            yield Sentence(s.text[start:], s.start + start, s.end)


def clause_spans(text: str, max_chars: int = MAX_LABEL_CHARS) -> list[tuple[int, int]]:
    """Trimmed candidate spans of a comment: its sentences that fit in ``max_chars``, and the
    clauses after each 、 of the longer ones."""
    out: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    for s in _line_pieces(split_sentences(text)):
        t = s.text
        cuts = [s.start] + [
            s.start + k + 1 for k, ch in enumerate(t)
            if ch in "、，," and not (0 < k < len(t) - 1 and t[k - 1].isdigit() and t[k + 1].isdigit())
            # the part after 「…は、」 has lost its subject: it may say the opposite on its own
            and not (k > 0 and t[k - 1] in TOPIC_PARTICLES)
        ]
        for c in cuts:
            a, b = trim_span(text, c, s.end)
            if b - a > max_chars or b <= a or (a, b) in seen:
                continue
            seen.add((a, b))
            out.append((a, b))
    return out


def is_stop_phrase(s: str) -> bool:
    """A chat marker or stock reply (横, ほんとそれ, 同感です, そう思う …), polite endings ignored."""
    key = normalize(s).lower().strip()
    return key in STOP_LABELS or _POLITE_TAIL.sub("", key) in STOP_LABELS


def is_question(text: str, start: int, end: int) -> bool:
    """A clause that asks rather than states: it ends in か/の？ or a question mark follows it,
    or it asks with a question word and ends in だろう/でしょう/の (「…国ってどこだろう」,
    「なんで上は分からないんだろう」)."""
    clause = text[start:end].rstrip()
    after = text[end : end + 2]
    if clause.endswith(("か", "かな", "かね", "の?", "の？")):
        return True
    if after.startswith(("?", "？", "か")):
        return True
    return bool(_WH_ENDING_RE.search(clause)) and bool(_WH_WORD_RE.search(clause))


def needs_context(clause: str) -> bool:
    """Whether a clause points at text outside it (下記, 上記, この点, これでは): as a label it
    would not say what it refers to."""
    return bool(_CONTEXT_RE.search(clause))


def is_opinion(clause: str) -> bool:
    """Whether a clause states a view: an obligation or demand (べき, てほしい, ください, 求める),
    a stance (反対, 賛成, 必要, 不要), a judgement (おかしい, 問題だ, 不十分, 許されない, すぎる,
    方がいい, 当然). A hedge (と思う, はず) is not enough: chat threads put it on everything."""
    return bool(_OPINION_RE.search(clause))


def is_fragment(tokens: Sequence[Token]) -> bool:
    """Whether a clause stops before its predicate or in the middle of a sentence: it ends in a
    case or topic particle (「…放射能濃度が」, 「…再利用には」) or a conjunctive one other than
    て/で (「…だろうから」, 「…だけど」, and 「…来てるので」 read as の + で). A label must be a
    whole statement; such a clause, cut at a line break or a 、, leaves the reader guessing what
    was said of it. Also a clause that starts with a particle or auxiliary: the word it belonged
    to was trimmed off (「結局は…」 less its connective 結局 is 「は…」)."""
    words = [t for t in tokens if t.pos[0] not in ("補助記号", "空白")]
    if words and words[0].pos[0] in ("助詞", "助動詞"):
        return True
    last = words[-1] if words else None
    if last is None:
        return False
    if (last.surface == "で" and last.pos[0] == "助動詞" and len(words) > 1
            and words[-2].surface in ("の", "ん") and words[-2].pos[1] == "準体助詞"):
        return True  # 「…来てるので」 read as の + で: a reason without its conclusion
    if last.pos[0] != "助詞":
        return False
    if last.pos[1] in ("格助詞", "係助詞"):
        return True
    return last.pos[1] == "接続助詞" and last.surface not in ("て", "で")


def is_open_ended(tokens: Sequence[Token]) -> bool:
    """Whether a clause ends on a condition (「…やっていたら」, 「…嫌なら」) or an
    open-ended particle (「…事柄すら」): what it leads to is left unsaid. Not a fragment — chat
    puts the condition last (「疑問は持ったほうがいいと思うよ 子供を大事にしたいなら」) — but a
    clause that says where it leads is the better label (``OPEN_ENDED_PENALTY``)."""
    words = [t for t in tokens if t.pos[0] not in ("補助記号", "空白")]
    if not words:
        return False
    last = words[-1]
    if last.pos[5].startswith("仮定形"):  # (…すれば: ば is a conjunctive particle, a fragment)
        return True
    return last.pos[1] == "副助詞" and last.surface in _OPEN_ENDED


def is_statement(clause: str, tokens: Sequence[Token]) -> bool:
    """A clause that says something: words, a predicate, balanced brackets, no URL, not a
    fragment (``is_fragment``)."""
    if content_chars(clause) < MIN_CONTENT_CHARS or _URL_RE.search(clause):
        return False
    if not _balanced(clause) or is_stop_phrase(clause):
        return False
    if not content_words_of(list(tokens)) or is_fragment(tokens):
        return False
    if any(t.pos[0] in _PREDICATE_POS for t in tokens):
        return True
    return clause.endswith(("だ", "です", "べき"))


# ---------------------------------------------------------------------------------------
# key phrases (c-TF-IDF over noun phrases)

GENERIC_PHRASES = frozenset(
    """
    意見 問題 必要 可能 可能性 今後 気持ち 本当 普通 記事 コメント 理由 結果 状況 状態 話
    ニュース 内容 部分 自体 全て 全部 一番 最初 最後 以上 以下 以外 程度 大事 大切 当然
    非常 相当 結局 事実 実際 最近 現在 昔 今日 本人 自分たち 私たち 私 僕 俺 あなた 彼 彼女
    ところ それぞれ 皆さん みなさん 方々 人たち 人間 たくさん 沢山 色々 いろいろ
    せい 所為 おかげ お陰
    """.split()
) | STOP_WORDS


def usable_phrase(phrase: str) -> bool:
    if len(phrase) < 2 or phrase in GENERIC_PHRASES or phrase in STOP_LABELS:
        return False
    if _URL_RE.search(phrase) or phrase.startswith(("http", "www")):
        return False
    if phrase.isascii():
        # Latin letters only as acronyms (AI, TSMC, IAEA): no English words, no units (kg, mSv)
        return phrase.isupper() and any(ch.isalpha() for ch in phrase)
    return any(unicodedata.category(ch)[0] in "LN" for ch in phrase)


def phrases_of(tokens: Sequence[Token]) -> Counter[str]:
    return Counter(p for p in key_phrases_of(list(tokens)) if usable_phrase(p))


def ctfidf(groups: dict[int, list[int]], counts: Sequence[Counter[str]], weights: Sequence[int]) -> dict[int, dict[str, float]]:
    """c-TF-IDF of each term in each group: (count in group / terms in group) × log(1 + mean
    terms per group / count in all groups) × (0.5 + share of members using it); a term used by
    one member of a group of three or more is scored × 0.3 (a label should be shared)."""
    tf: dict[int, Counter[str]] = {}
    df: dict[int, Counter[str]] = {}
    for gid, pos in groups.items():
        t: Counter[str] = Counter()
        d: Counter[str] = Counter()
        for p in pos:
            for term, c in counts[p].items():
                t[term] += c * weights[p]
                d[term] += weights[p]
        tf[gid], df[gid] = t, d
    total: Counter[str] = Counter()
    for t in tf.values():
        total.update(t)
    avg = (sum(total.values()) / max(1, len(groups))) or 1.0
    out: dict[int, dict[str, float]] = {}
    for gid, t in tf.items():
        size = sum(weights[p] for p in groups[gid]) or 1
        words = sum(t.values()) or 1
        sc = {}
        for term, c in t.items():
            score = (c / words) * math.log(1 + avg / total[term]) * (0.5 + df[gid][term] / size)
            if size >= 3 and df[gid][term] < 2:
                score *= 0.3
            sc[term] = score
        out[gid] = sc
    return out


def key_phrases(groups: dict[int, list[int]], phrase_counts: Sequence[Counter[str]], weights: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """The best ``N_KEY_PHRASES`` noun phrases of each group (none contained in a better one)."""
    sc = ctfidf(groups, phrase_counts, weights)
    out = {}
    for gid, s in sc.items():
        ranked = sorted(s, key=lambda ph: (-s[ph] * (0.6 + 0.1 * min(len(ph), 4)), -len(ph), ph))
        kept: list[str] = []
        for ph in ranked:
            if not any(ph in q or q in ph for q in kept):
                kept.append(ph)
            if len(kept) == N_KEY_PHRASES:
                break
        out[gid] = tuple(kept)
    return out


# ---------------------------------------------------------------------------------------
# statement labels


@dataclass(frozen=True)
class LabelInputs:
    """What the labeller needs, per distinct comment ``p`` (0..m-1) of the grouping:
    ``texts[p]`` its text, ``index[p]`` its index among all comments, ``vectors[p]`` its
    (word-table) vector, ``words[p]`` its content words, ``support[p]`` in [0, 1],
    ``weights[p]`` 1 + its copies, ``tokens[p]`` (optional) its tokens with offsets into
    ``texts[p]``."""

    texts: Sequence[str]
    index: Sequence[int]
    vectors: np.ndarray
    words: Sequence[Sequence[str]]
    support: np.ndarray
    weights: Sequence[int]
    tokens: Sequence[list[Token] | None] | None = None


def _norm_rows(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def statement_labels(
    levels: Sequence[dict[int, list[int]]],
    inp: LabelInputs,
    embed_words,
    keys: dict[int, tuple[str, ...]],
    used: set[str] | None = None,
    candidate_members: Sequence[int] = (CANDIDATE_MEMBERS, FINE_CANDIDATE_MEMBERS),
) -> dict[int, Label]:
    """A label for every group of every level (``levels[k]``: group id -> member positions),
    unique across the levels; top level first, larger groups first. ``embed_words`` maps lists
    of content words to vectors in the space of ``inp.vectors``; ``keys`` are each group's key
    phrases (for the fallback)."""
    used_norm = UsedLabels(set(used or ()) | {OTHER_LABEL})
    out: dict[int, Label] = {}
    tokens: dict[int, tuple] = {}  # per comment, tokenized once for every level: (tokens, starts, ends)
    word_df = [Counter(set(w)) for w in inp.words]
    for level, members in enumerate(levels):
        if not members:
            continue
        limit = candidate_members[min(level, len(candidate_members) - 1)]
        gids = sorted(members, key=lambda g: (-sum(inp.weights[p] for p in members[g]), g))
        cents = {g: _norm_rows(inp.vectors[members[g]].mean(axis=0)) for g in gids}
        cent_mat = np.vstack([cents[g] for g in gids])
        word_sc = ctfidf(members, word_df, inp.weights)
        for j, g in enumerate(gids):
            label = _best_clause(members[g], cents[g], cent_mat, j, word_sc[g], inp, embed_words, used_norm,
                                 limit, tokens, DISTINCT_WEIGHT[min(level, len(DISTINCT_WEIGHT) - 1)])
            if label is None:
                label = _fallback(members[g], keys[g], inp, used_norm)
            out[g] = label
            used_norm.add(_key(label.text))
    return out


def _key(s: str) -> str:
    return normalize(s).lower()


class UsedLabels:
    """The normalized labels given so far, for ``_collides``: whether a text equals, is contained
    in or contains one of them, without comparing it with each (a thread has ~1,600 labels)."""

    def __init__(self, keys=()):
        self.keys: set[str] = set()
        self._lengths: set[int] = set()
        self._blob: list[str] = []
        self._joined: str | None = None  # the keys joined by NUL, made when first needed
        for k in keys:
            self.add(k)

    def add(self, key: str) -> None:
        if key in self.keys:
            return
        self.keys.add(key)
        self._lengths.add(len(key))
        self._blob.append(key)
        self._joined = None

    def hit(self, k: str) -> bool:
        """Whether ``k`` equals, is inside, or holds a used key (an empty key holds and is held)."""
        if not self.keys:
            return False
        if k in self.keys or 0 in self._lengths or not k:
            return True
        if self._joined is None:
            self._joined = "\x00" + "\x00".join(self._blob) + "\x00"
        if "\x00" not in k and k in self._joined:
            return True
        n = len(k)
        for m in self._lengths:
            if m < n and any(k[i:i + m] in self.keys for i in range(n - m + 1)):
                return True
        return False


def _collides(text: str, used: UsedLabels) -> bool:
    return used.hit(_key(text))


def _best_clause(pos, centre, cent_mat, col: int, word_sc, inp: LabelInputs, embed_words, used, limit: int,
                 tokens: dict[int, tuple], distinct: float) -> Label | None:
    sims = inp.vectors[pos] @ centre
    order = sorted(range(len(pos)), key=lambda k: (-sims[k], k))[:limit]
    cands: list[tuple[int, int, int, str, list[str], bool]] = []  # (p, start, end, text, words, open-ended)
    for k in order:
        p = pos[k]
        text = inp.texts[p]
        spans = clause_spans(text)
        if spans and p not in tokens:
            known = inp.tokens[p] if inp.tokens is not None else None
            toks_p = known if known is not None else tokenize(text[: spans[-1][1]])
            tokens[p] = (toks_p, [t.start for t in toks_p], [t.start + len(t.surface) for t in toks_p])
        for a, b in spans:
            clause = text[a:b]
            if is_question(text, a, b):
                continue
            # the tokens inside [a, b): tokens follow one another, so their starts and ends both rise
            toks_p, starts, ends = tokens[p]
            toks = toks_p[bisect_left(starts, a):bisect_right(ends, b)]
            if not is_statement(clause, toks):
                continue
            cands.append((p, a, b, clause, content_words_of(toks), is_open_ended(toks)))
    if not cands:
        return None
    vecs = embed_words([c[4] for c in cands])
    own = vecs @ centre
    if len(cent_mat) > 1:
        sims = vecs @ cent_mat.T
        sims[:, col] = -np.inf
        other = sims.max(axis=1)
    else:
        other = np.zeros(len(cands))
    # the group's most distinctive words: a label that names them is one a reader can match
    keywords = sorted(word_sc, key=lambda w: (-word_sc[w], w))[:N_KEYWORDS]
    top_word = word_sc[keywords[0]] if keywords and word_sc[keywords[0]] > 0 else 1.0
    key_weight = {w: word_sc[w] / top_word for w in keywords}
    scored: list[tuple[float, int]] = []
    for k, (p, a, b, clause, words, open_ended) in enumerate(cands):
        if not np.any(vecs[k]):
            continue
        cover = sum(key_weight.get(w, 0.0) for w in set(words))
        n = len(clause)
        lo, hi = IDEAL_CHARS
        length = -0.03 * max(0, lo - n) - 0.02 * max(0, n - hi)
        score = (SIMILARITY_WEIGHT * (own[k] - distinct * other[k]) + COVER_WEIGHT * min(cover, 2.5) + length
                 + 0.1 * float(inp.support[p]) + OPINION_WEIGHT * is_opinion(clause)
                 - CONTEXT_PENALTY * needs_context(clause) - OPEN_ENDED_PENALTY * open_ended)
        scored.append((-round(score, 9), k))
    for _, k in sorted(scored):
        p, a, _, clause, *_ = cands[k]
        if not _collides(clause, used):
            return Label(clause, inp.index[p], a)
    return None


def noun_predicate(text: str, phrase: str, max_chars: int = MAX_LABEL_CHARS) -> tuple[int, int] | None:
    """The span from the first occurrence of ``phrase`` in ``text`` to the end of its clause
    (the next 、/。 or line end), trimmed, when it fits in ``max_chars``."""
    at = text.find(phrase)
    if at < 0:
        return None
    end = at + len(phrase)
    while end < len(text) and text[end] not in "、。．！？!?\n":
        end += 1
    a, b = trim_span(text, at, end)
    if b - a > max_chars or b <= a:
        return None
    return a, b


def _fragment_text(clause: str) -> bool:
    return is_fragment(tokenize(normalize(clause)))


def _fallback(pos, keys, inp: LabelInputs, used) -> Label:
    """Key phrase + predicate, else any short clause with words, else the bare key phrase,
    else a numbered name."""
    for ph in keys:
        for p in pos:
            text = inp.texts[p]
            span = noun_predicate(text, ph)
            if span and not _collides(text[span[0]:span[1]], used) and not _fragment_text(text[span[0]:span[1]]):
                return Label(text[span[0]:span[1]], inp.index[p], span[0])
    # any clause with words, even without a predicate
    for p in pos:
        text = inp.texts[p]
        for a, b in clause_spans(text, MAX_LABEL_CHARS):
            clause = text[a:b]
            if (content_chars(clause) >= MIN_CONTENT_CHARS and _balanced(clause) and not is_stop_phrase(clause)
                    and not _URL_RE.search(clause) and not _collides(clause, used) and not _fragment_text(clause)):
                return Label(clause, inp.index[p], a)
    for ph in keys:
        for p in pos:
            at = inp.texts[p].find(ph)
            if at >= 0 and not _collides(ph, used):
                return Label(ph, inp.index[p], at)
    # a text without letters (🍣🍣🍣, ！！): itself, when short and still free
    for p in pos:
        text = inp.texts[p]
        a, b = trim_span(text, 0, len(text))
        if 0 < b - a <= MAX_LABEL_CHARS and "\n" not in text[a:b] and not _collides(text[a:b], used):
            return Label(text[a:b], inp.index[p], a)
    # nothing quotable left (emoji, symbols, or every clause already names another group):
    # a numbered name that no other label contains
    n = 1
    while _collides(f"{NO_TEXT_LABEL}{n:02d}", used):
        n += 1
    return Label(f"{NO_TEXT_LABEL}{n:02d}", None, None)
