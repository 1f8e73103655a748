"""Extractive summary (要約) of a Japanese news article.

Pipeline (all pure functions; no files, network or database, except reading the shipped
model's JSON table once per process):

1. ``candidates``: each paragraph is split into sentences (long quotes split inside, see
   ``matome.ja.sentences``); a sentence is further cut where two Japanese runs are separated
   only by white space (captions and headings glued to the next sentence, as in texts that
   lost their line breaks). Optional trimming removes a leading source tag (``【AFP＝時事】``,
   ``（台北 22日 中央社）``) and a leading connective (``また、``, ``つまり、``).
2. Boilerplate, bylines, captions, links and headings are marked ineligible and never
   chosen (``(『ABEMA Prime』より)``, ``…編集部``, 関連記事, 【写真】, ``画像は…``, photo
   captions such as ``記者会見する岸田首相（2月13日、首相官邸）``, short lines that do not
   end like prose).
3. Compression (``compress``): an eligible sentence leaves out parentheticals (readings,
   ages, original spellings: ``渡辺さん（64）で`` → ``渡辺さんで``) and a leading
   attribution (``警察によると、``); a sentence opening with its case (``…いじめた問題で、``)
   becomes two candidates, the frame as a line of its own (``…いじめた問題。``, the ``。``
   taken from the sentence end) and the rest. Only material is removed: a candidate's text
   is the concatenation of exact substrings of its paragraph, recorded in ``spans``.
4. ``score``: the learned scorer (``summary_features`` + ``summary_model``, trained on
   livedoor dev by ``bench/train_summarizer.py``) estimates for each sentence the share of
   its character bigrams that a reader's summary keeps, from position, length, TF-IDF
   centroid and LexRank similarity, quotation, number, proper-noun (Sudachi POS),
   sentence-ending and script (kanji, kana, Latin) cues.
5. ``choose``: a small knapsack maximising the estimated F1 against a summary of the
   budget's length within the budgets in characters and sentences (copies of a better
   sentence left out; MMR when there is no character budget); source order. A sentence may
   be taken whole or without one to three leading clauses (``clause_cuts``: up to a 、
   after a verb, particle or time noun, never a condition, list item or scope, not leaving
   the rest without a topic or subject, nor a reported sentence — …と発表した。 — without who
   said it), whichever fits the budget best.
6. ``shown``: the chosen piece of a split quote loses the quotation marks it does not
   balance (an opening 「 never closed, a closing 」 of a quote opened before it).

``SummarySentence.paragraph`` indexes the paragraphs given (for an entry,
``ArticleBody.paragraphs``), ``sentence`` the candidate within its paragraph, ``start`` the
character offset of the text in that paragraph and ``spans`` the pieces of a compressed
sentence (also of one shown without leading clauses or unbalanced quotation marks).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from dataclasses import dataclass, field, replace

import numpy as np

from matome.analyze.summary_features import FEATURES, Cues
from matome.analyze.summary_features import matrix as feature_matrix
from matome.analyze.summary_features import row as feature_row
from matome.analyze.summary_model import ScorerModel, default_model
from matome.ja.sentences import split_sentences
from matome.ja.tokens import Token, is_content, tokenize
from matome.model import Entry, SummarySentence

#: Default budget, close to the seed's (要約): five short sentences, about 250 characters.
MAX_SENTENCES = 5
MAX_CHARS = 250

#: Cosine similarity from which a candidate counts as a copy of a chosen one.
DUPLICATE = 0.85

#: Candidates beyond this many (in source order) are not ranked (100,000-character inputs).
MAX_CANDIDATES = 1500


#: MMR trade-off between a candidate's score (scaled to [0, 1]) and its similarity to the
#: sentences already chosen.
MMR_LAMBDA = 0.7


@dataclass(frozen=True)
class Candidate:
    """A sentence that may be chosen: ``text == paragraphs[paragraph][start:start+len(text)]``."""

    text: str
    paragraph: int
    sentence: int
    start: int
    eligible: bool = True
    terminal: bool = True  # ends with a sentence-ending mark
    inner: bool = False  # a later piece of a long quote that was split (speaker not in it)
    para_start: bool = False  # begins its paragraph (or follows a white-space paragraph mark)
    spans: tuple[tuple[int, int], ...] = ()  # pieces in the paragraph when compressed
    words: tuple[str, ...] = field(default=(), compare=False)
    cues: Cues = field(default=Cues(), compare=False)
    index: int = field(default=-1, compare=False)  # position in the candidate list, once chosen


# --- candidates ----------------------------------------------------------------------

_TERMINAL = "。．！？!?｡」』）)”"
_JA = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f々〆ー"
# white space between a Japanese character (or a closing bracket / sentence mark) and a
# Japanese character or an opening bracket: a lost line break
_SOFT_BREAK_RE = re.compile(
    r"(?<=[" + _JA + r"」』）)】。！？!?])[ \u3000\u00a0]+(?=[" + _JA + r"「『（(【■◆●▼▲〈《“])"
)
_OPEN = "「『（(【〈《“［"
_CLOSE = "」』）)】〉》”］"

_LEAD_TAG_RE = re.compile(
    r"^(?:【[^】]{1,30}】|［[^］]{1,30}］|\[[^\]]{1,30}\]"
    r"|[（(][^（）()]{0,30}(?:[0-9０-９]+日|時事|共同|ロイター|AFP|中央社|CNN|AP|NNA|発)[^（）()]{0,20}[）)])"
    r"[ \u3000]*"
)
_CONNECTIVE_RE = re.compile(
    r"^(?:また|さらに|更に|一方|一方で|しかし|しかしながら|ただ|ただし|なお|そして|だが|でも|"
    r"そのうえ|その上|加えて|このため|そのため|これにより|これに対し|これに対して|実は|ちなみに|"
    r"その後|そこで|もっとも|とはいえ|それでも|同時に|他方|さて|ところで|つまり|実際|実際に|"
    r"ところが|もちろん|例えば|たとえば|その結果|結果|だから|だからこそ|しかも|すると|結局|"
    r"その一方|その一方で|そんな中|そんななか|こうした中|こうしたなか|特に|そもそも|それで|確かに|"
    r"したがって|さらには|ですから|そのうえで|その上で|それに|続けて|事実|その際)[、，,]\s*"
)

_BOILERPLATE_RE = re.compile(
    r"(?:^[（(][^（）()]*より[）)]$"  # (『ABEMA Prime』より)
    r"|編集部[^、。]{0,10}$|編集部[）)]?$|^[（(]?(?:文|取材|構成|写真|撮影|編集|記者|聞き手|翻訳|動画|画像|協力|提供|出典|参考|資料)[:：／/]"
    r"|[（(][^（）()]*(?:編集|撮影|文|取材|記者)[:：／/][^（）()]*[）)]$"
    r"|関連記事|関連リンク|関連ニュース|【(?:写真|画像|動画|映像|図|表|関連|詳細|PR|AD|広告)"
    r"|^(?:写真|画像|図|表|動画|映像|イメージ)(?:は|[:：])|^＜?(?:写真|画像)[＞>]"
    r"|の(?:スクリーンショット|キャプチャ)|Getty ?Images|AFPBB News|時事通信フォト|共同通信社$"
    r"|この記事の|記事を読む|続きを読む|全文を読む|詳しくは|こちらから|写真を見る|画像を見る|動画を見る|"
    r"クリックして|リンク先|ダウンロード|^※|^＊|^\*|^→|^▼|^▶|^►|https?://|www\.|@[A-Za-z0-9_]"
    r"|^(?:■|◆|●|◇|□|★|☆|【[^】]*】$)"
    r"|^[（(][^（）()]*[）)]$"  # a whole sentence in parentheses: a note or a credit
    r")"
)


# a photo caption or a heading: no sentence end anywhere, ends with a parenthesis
# (「記者会見する岸田首相（2月13日、首相官邸）」)
_CAPTION_RE = re.compile(r"^[^。！？!?]*[^（(\s][（(][^（）()]*[）)]$")

# compression: a parenthetical (readings, ages, original spellings, notes) and a leading
# attribution (「警察によると、」); both leave a grammatical sentence
_PAREN_RE = re.compile(r"[（(][^（）()「」『』。]{1,40}[）)]")
_ATTRIBUTION_RE = re.compile(r"^[^、。「」『』（）()]{1,30}(?:によると|によれば)、")

#: A compressed sentence keeps at least this many characters.
MIN_COMPRESSED = 12


def compress(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of ``text`` to keep: leaves out parentheticals and a leading attribution.

    Returns ``((0, len(text)),)`` when nothing is left out. Only material is removed, so
    the kept pieces are exact substrings of ``text`` in order."""
    drops: list[tuple[int, int]] = []
    m = _ATTRIBUTION_RE.match(text)
    if m:
        drops.append((0, m.end()))
    for m in _PAREN_RE.finditer(text):
        if drops and m.start() < drops[-1][1]:
            continue
        if m.end() == len(text):
            continue  # a closing parenthesis ends the text: part of its form
        drops.append((m.start(), m.end()))
    if not drops:
        return ((0, len(text)),)
    keep: list[tuple[int, int]] = []
    pos = 0
    for a, b in drops:
        if a > pos:
            keep.append((pos, a))
        pos = b
    if pos < len(text):
        keep.append((pos, len(text)))
    kept = sum(b - a for a, b in keep)
    if kept < MIN_COMPRESSED or kept == len(text):
        return ((0, len(text)),)
    return tuple(keep)


# a sentence opening with the case it is about (「…いじめた問題で、」): the frame is a
# summary line of its own (「…いじめた問題。」, the 。 taken from the sentence end) and the
# rest a sentence
_FRAME_RE = re.compile(
    r"^([^「」『』。は]{8,90}?"  # no topic は: 「知事は…会見で、」 is not a frame
    r"(?:問題|事件|事故|騒動|裁判|訴訟|事案|疑惑|火災|会見|会談|会議|公判|調査|試合|大会|選挙"
    r"|番組|不祥事|トラブル|騒ぎ|報道|発言|判決"
    r"|[\u3400-\u9fff\u30a1-\u30faー](?=について|をめぐ|を巡|に関し|と関連し)))"
    r"(?:で|では|について|をめぐり|を巡り|をめぐって|を巡って|に関して|に関し|と関連して|と関連し)、"
)


def _split_frame(text: str, offset: int) -> list[tuple[tuple[int, int], ...]] | None:
    """Spans of the two pieces of a sentence opening with a frame, or None."""
    if not text.endswith("。"):
        return None
    m = _FRAME_RE.match(text)
    if not m or len(text) - m.end() < MIN_COMPRESSED or _depths(text)[m.end()] > 0:
        return None
    if "によると" in m.group(1) or "によれば" in m.group(1):
        return None  # the frame is someone's account, not the case
    end = offset + len(text)
    return [((offset, offset + m.end(1)), (end - 1, end)), ((offset + m.end(), end),)]


def _compressed(para: str, piece: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    """``piece`` (spans of ``para``) after :func:`compress`, as spans of ``para``."""
    text = "".join(para[x:y] for x, y in piece)
    keep = compress(text)
    if len(keep) == 1 and keep[0] == (0, len(text)):
        return piece
    # map text positions back to paragraph positions, piece by piece
    out: list[tuple[int, int]] = []
    base = 0
    for x, y in piece:
        for ka, kb in keep:
            lo, hi = max(ka, base), min(kb, base + y - x)
            if lo < hi:
                a, b = x + lo - base, x + hi - base
                if out and out[-1][1] == a:
                    out[-1] = (out[-1][0], b)
                else:
                    out.append((a, b))
        base += y - x
    return tuple(out)


def _soft_parts(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` cut at soft breaks outside brackets."""
    cuts: list[tuple[int, int]] = []
    if " " not in text and "\u3000" not in text and "\u00a0" not in text:
        return [(0, len(text))]
    depth_at = None
    pos = 0
    for m in _SOFT_BREAK_RE.finditer(text):
        if depth_at is None:
            depth_at = _depths(text)
        if depth_at[m.start()] > 0:
            continue
        cuts.append((pos, m.start()))
        pos = m.end()
    cuts.append((pos, len(text)))
    return [(a, b) for a, b in cuts if b > a]


def _depths(text: str) -> list[int]:
    """Bracket depth before each character (unmatched closers ignored)."""
    out = [0] * (len(text) + 1)
    d = 0
    for i, ch in enumerate(text):
        out[i] = d
        if ch in _OPEN:
            d += 1
        elif ch in _CLOSE and d > 0:
            d -= 1
    out[len(text)] = d
    # an unclosed opener should not protect the rest of the text
    if d > 0:
        return [0] * (len(text) + 1)
    return out


def _trim(text: str) -> int:
    """How many leading characters optional trimming removes (only ever removes)."""
    cut = 0
    for _ in range(2):
        m = _LEAD_TAG_RE.match(text, cut)
        if m and m.end() < len(text):
            cut = m.end()
    m = _CONNECTIVE_RE.match(text[cut:])
    if m and cut + m.end() < len(text):
        cut += m.end()
    return cut


def _is_boilerplate(text: str) -> bool:
    return bool(_BOILERPLATE_RE.search(text))


def candidates(
    paragraphs: list[str] | tuple[str, ...],
    *,
    trim: bool = True,
    headings: bool = True,
    shorten: bool = True,
) -> list[Candidate]:
    """The candidate sentences of ``paragraphs`` (see the module documentation).

    With ``headings`` a paragraph of at most 40 characters that neither ends with 。 nor
    is one quote (「…」) is a heading and not eligible (for plain text; an entry's headings are
    not paragraphs).
    With ``shorten`` an eligible candidate is compressed (:func:`compress`): its ``text``
    is then the concatenation of the paragraph spans in ``spans``."""
    out: list[Candidate] = []
    for p, para in enumerate(paragraphs):
        if not para or not para.strip():
            continue
        sents = split_sentences(para, split_quotes=True)
        # a short line that does not end like prose (。, or a line that is one quote) is a
        # heading, even when made of questions (「日本は“AI覇権”握れる?進むべき道は?」)
        line = para.strip()
        heading = len(line) <= 40 and not (
            line.endswith(("。", "．")) or (line.startswith(("「", "『")) and line.endswith(("」", "』")))
        )
        whole_starts = {w.start for w in split_sentences(para)}
        k = 0
        for s in sents:
            inner = s.start not in whole_starts
            for a, b in _soft_parts(s.text):
                raw = s.text[a:b]
                stripped = raw.strip()
                if not stripped:
                    continue
                offset = s.start + a + (len(raw) - len(raw.lstrip()))
                para_start = offset == 0 or para[offset - 1].isspace()
                text = stripped
                if trim:
                    cut = _trim(text)
                    text, offset = text[cut:], offset + cut
                terminal = text[-1] in _TERMINAL
                eligible = not _is_boilerplate(text) and len(text) >= 8
                if eligible and _CAPTION_RE.match(text):
                    eligible = False  # a caption: 「記者会見する岸田首相（2月13日、首相官邸）」
                if headings and eligible and heading:
                    eligible = False  # a heading line
                pieces = [((offset, offset + len(text)),)]
                if shorten and eligible:
                    pieces = _split_frame(text, offset) or pieces
                for n, piece in enumerate(pieces):
                    if shorten and eligible:
                        piece = _compressed(para, piece)
                    ptext = "".join(para[x:y] for x, y in piece)
                    spans = piece if len(piece) > 1 else ()
                    out.append(
                        Candidate(
                            ptext, p, k, piece[0][0], eligible, terminal, inner and a == 0 and n == 0,
                            para_start and n == 0, spans,
                        )
                    )
                    k += 1
    return out


# --- features and scores -------------------------------------------------------------


def _attach_words(paragraphs, cands: list[Candidate]) -> list[Candidate]:
    """Content words of each candidate, from one tokenization of the whole text."""
    if not cands:
        return cands
    used = sorted({c.paragraph for c in cands})
    base: dict[int, int] = {}
    pieces: list[str] = []
    pos = 0
    for p in used:
        base[p] = pos
        pieces.append(paragraphs[p])
        pos += len(paragraphs[p]) + 1
    text = "\n".join(pieces)
    tokens = tokenize(text)
    starts = [t.start for t in tokens]
    out = []
    for c in cands:
        toks = []
        for a, b in c.spans or ((c.start, c.start + len(c.text)),):
            i = bisect_left(starts, base[c.paragraph] + a)
            j = bisect_left(starts, base[c.paragraph] + b, lo=i)
            toks += tokens[i:j]
        words = tuple(t.normalized for t in toks if is_content(t))
        out.append(replace(c, words=words, cues=_cues(toks, len(words))))
    return out


def _cues(tokens: list[Token], content: int) -> Cues:
    person = place = proper = numeral = 0
    for t in tokens:
        if t.pos[0] != "名詞":
            continue
        if t.pos[1] == "固有名詞":
            if t.pos[2] == "人名":
                person += 1
            elif t.pos[2] == "地名":
                place += 1
            else:
                proper += 1
        elif t.pos[1] == "数詞":
            numeral += 1
    return Cues(len(tokens), content, person, place, proper, numeral)


def _tfidf(docs: list[tuple[str, ...]]):
    """L2-normalised TF-IDF rows (log-scaled tf, smoothed idf over ``docs``)."""
    vocab: dict[str, int] = {}
    for d in docs:
        for w in d:
            if w not in vocab:
                vocab[w] = len(vocab)
    n = len(docs)
    df = np.zeros(len(vocab), dtype=np.float32)
    rows = []
    for d in docs:
        counts: dict[int, int] = {}
        for w in d:
            j = vocab.get(w)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        rows.append(counts)
    for counts in rows[:n]:
        for j in counts:
            df[j] += 1
    idf = np.log((n + 1) / (df + 1)) + 1.0
    mat = np.zeros((len(rows), max(1, len(vocab))), dtype=np.float32)
    for i, counts in enumerate(rows):
        for j, c in counts.items():
            mat[i, j] = (1.0 + math.log(c)) * idf[j]
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return mat / norms


def lexrank(sim: np.ndarray, damping: float = 0.85, iterations: int = 50) -> np.ndarray:
    """PageRank over a similarity graph (continuous LexRank); rows without edges jump."""
    n = sim.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    w = sim.copy()
    np.fill_diagonal(w, 0.0)
    sums = w.sum(axis=1, keepdims=True)
    dangling = (sums[:, 0] == 0)
    sums[sums == 0] = 1.0
    w = w / sums
    w[dangling] = 1.0 / n
    r = np.full(n, 1.0 / n, dtype=np.float32)
    for _ in range(iterations):
        nr = (1 - damping) / n + damping * (r @ w)
        if np.abs(nr - r).sum() < 1e-6:
            r = nr
            break
        r = nr
    return r


def score(
    cands: list[Candidate], *, title: str | None = None, model: ScorerModel | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Scores of the candidates (ineligible ones get -inf) and their cosine matrix.

    The score is the learned scorer's estimate of how much of the sentence a reader's
    summary would keep (see ``summary_features`` and ``bench/train_summarizer.py``).
    ``title`` is accepted for compatibility; the shipped model does not use it (its training
    articles have no headline)."""
    x, sim, idx, feats = features(cands)
    s = np.full(len(cands), -np.inf)
    if len(idx):
        s[idx] = (model or default_model()).predict(feats)
    return s, sim


def features(cands: list[Candidate]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """TF-IDF rows, cosine matrix, indices of the eligible candidates and their features."""
    n = len(cands)
    if n == 0:
        return np.zeros((0, 1)), np.zeros((0, 0)), np.zeros(0, dtype=np.int64), np.zeros((0, len(FEATURES)))
    x = _tfidf([c.words for c in cands])
    sim = x @ x.T
    idx = np.flatnonzero(np.array([c.eligible for c in cands]))
    if len(idx) == 0:
        return x, sim, idx, np.zeros((0, len(FEATURES)))
    sub = sim[np.ix_(idx, idx)]
    lr = lexrank(sub)
    rows = [
        feature_row(
            cands[i].text,
            k,
            len(idx),
            para_start=cands[i].para_start,
            terminal=cands[i].terminal,
            inner=cands[i].inner,
            cues=cands[i].cues,
        )
        for k, i in enumerate(idx)
    ]
    return x, sim, idx, feature_matrix(rows, x[idx], lr, [cands[i].words for i in idx], sub)


def select(
    cands: list[Candidate],
    scores: np.ndarray,
    sim: np.ndarray | None,
    *,
    max_sentences: int | None = MAX_SENTENCES,
    max_chars: int | None = MAX_CHARS,
    mmr_lambda: float = MMR_LAMBDA,
) -> list[int]:
    """Indices of the chosen candidates in source order, whole (see :func:`choose`)."""
    return [c.index for c in _choose(cands, scores, sim, max_sentences, max_chars, mmr_lambda, False)]


def choose(
    cands: list[Candidate],
    scores: np.ndarray,
    sim: np.ndarray | None,
    *,
    max_sentences: int | None = MAX_SENTENCES,
    max_chars: int | None = MAX_CHARS,
    mmr_lambda: float = MMR_LAMBDA,
    shorten: bool = True,
) -> list[Candidate]:
    """The chosen candidates in source order, each whole or without leading clauses.

    With a character budget the choice is a small knapsack: the scores estimate the share
    of each sentence a reader's summary keeps, so ``score * length`` is its expected overlap
    with a summary of the budget's length, and the set maximising the estimated F1
    ``2 * overlap / (length + budget)`` within both budgets is taken. With ``shorten`` a
    sentence may be taken without its leading clauses (:func:`clause_cuts`), at the same
    estimated share per character, one form per sentence. Without a character budget (or
    with one too large for the table) whole sentences are taken by MMR. Copies (the same
    text or cosine >= ``DUPLICATE`` with a better one) are left out first. Deterministic."""
    return _choose(cands, scores, sim, max_sentences, max_chars, mmr_lambda, shorten)


def _choose(cands, scores, sim, max_sentences, max_chars, mmr_lambda, shorten) -> list[Candidate]:
    pool = _distinct(cands, scores, sim)
    if not pool:
        return []
    total = sum(len(cands[i].text) for i in pool)
    if (max_chars is None or total <= max_chars) and (
        max_sentences is None or len(pool) <= max_sentences
    ):
        picked = sorted(pool)
    elif max_chars is not None and max_chars <= KNAPSACK_CHARS:
        return _knapsack(cands, scores, pool, max_chars, max_sentences, shorten)
    else:
        picked = _mmr(cands, scores, sim, pool, max_sentences, max_chars, mmr_lambda)
    return [_indexed(cands[i], i) for i in picked]


#: The knapsack table is used up to this many characters of budget, over the best
#: ``KNAPSACK_POOL`` candidates.
KNAPSACK_CHARS = 2000
KNAPSACK_POOL = 40


def _indexed(c: Candidate, i: int) -> Candidate:
    return replace(c, index=i)


def _distinct(cands, scores, sim) -> list[int]:
    """Eligible candidates by score (ties: earlier), without copies of better ones."""
    order = sorted(
        (i for i in range(len(cands)) if np.isfinite(scores[i])), key=lambda i: (-scores[i], i)
    )
    kept: list[int] = []
    texts: set[str] = set()
    for i in order:
        if cands[i].text in texts:
            continue
        if kept and sim is not None and float(sim[i, kept].max()) >= DUPLICATE:
            continue
        kept.append(i)
        texts.add(cands[i].text)
    return kept


def _knapsack(cands, scores, pool, budget: int, max_sentences: int | None, shorten: bool) -> list[Candidate]:
    """Multiple-choice knapsack: at most one form of each of the best candidates."""
    groups: list[tuple[int, list[int]]] = []  # (candidate, characters left out in front)
    for i in sorted(pool[:KNAPSACK_POOL]):
        text = cands[i].text
        cuts = [0] + (clause_cuts(text) if shorten else [])
        cuts = [k for k in cuts if len(text) - k <= budget]
        if cuts:
            groups.append((i, cuts))
    if not groups:
        return []
    k = len(groups) if max_sentences is None else min(max_sentences, len(groups))
    if k == 0:
        return []
    value = np.full((k + 1, budget + 1), -np.inf)
    value[0, 0] = 0.0
    take = np.full((len(groups), k + 1, budget + 1), -1, dtype=np.int8)
    for n, (i, cuts) in enumerate(groups):
        share = min(1.0, max(0.0, float(scores[i])))
        new = value.copy()
        for f, cut in enumerate(cuts):
            ln = len(cands[i].text) - cut
            cand = value[:-1, : budget + 1 - ln] + share * ln
            better = cand > new[1:, ln:]
            new[1:, ln:] = np.where(better, cand, new[1:, ln:])
            take[n, 1:, ln:][better] = f
        value = new
    lengths = np.arange(budget + 1)
    est = np.where(np.isfinite(value), 2 * value / (lengths + budget), -np.inf)
    est[0, 0] = -np.inf
    c, t = np.unravel_index(int(np.argmax(est)), est.shape)
    if not np.isfinite(est[c, t]):
        return []
    chosen = []
    for n in range(len(groups) - 1, -1, -1):
        f = int(take[n, c, t])
        if c > 0 and f >= 0:
            i, cut = groups[n][0], groups[n][1][f]
            form = _indexed(cands[i], i)
            chosen.append(without_prefix(form, cut) if cut else form)
            t -= len(form.text) - cut
            c -= 1
    return chosen[::-1]


# a leading clause that may be left out: it ends at a 、 outside brackets, after kana (a
# verb, adjective or particle ending: 「…転落したが、」「…を受けて、」「トランプ大統領は、」) or a
# time noun (「18日、」「その後、」); never a condition (「…れば、」「…たら、」「…なら、」「…と、」),
# a concession that only holds with it (「…ても、」), an alternative (「…か、」), a list item
# (「米国、英国…」, 「AやB、」, and any clause whose rest goes on with a short item:
# 「甘酢漬け、あえ物、おひたしは…」), a scope (「観光客の中には、」「人口のうち、」「日本では、」)
# or the sentence's topic set off by a comma (「中国のネットユーザーは、」)
_CLAUSE_END_RE = re.compile(r"(?:[\u3041-\u3093]|[日後際中時夜朝昼間頃])、$")
_CLAUSE_KEEP_RE = re.compile(r"(?:ば|たら|なら|と|ても|でも|か|や|うち|は)、$")
# what is left out may hold a topic or subject (「国連の世界遺産委員会は5日、」「同社は、」) only
# when the rest names one of its own (は / が): 「妹は…胎児を奪い、」 stays with
# 「…という女に引き渡している。」
_SUBJECT_RE = re.compile(r"[はが]")
# …and never when the sentence reports what that topic or subject said: in 「国土交通省は１８日、
# …機体が大きく揺れ、…と発表した。」 the rest has a subject of its own, but not the announcer's
_REPORTED_RE = re.compile(
    r"と(?:発表|公表|明らかに|述べ|話|語|説明|伝え|報じ|強調|指摘|主張|批判|表明|明か|答え|訴え|発言|コメント)"
    r"[^、。「」]{0,8}。?$"
)

#: A leading clause left out has at most this many characters (with its 、), and the
#: rest at least ``MIN_REST``; at most ``MAX_CUTS`` shorter forms per sentence.
MAX_CLAUSE = 80
MIN_REST = 15
MAX_CUTS = 3
#: A rest whose first 、 comes within this many characters opens with a list item.
LIST_ITEM = 6


def clause_cuts(text: str) -> list[int]:
    """Offsets in ``text`` where a shorter form may start: after a leading clause (up to a
    、 outside brackets, see ``_CLAUSE_END_RE``), or after two or three of them. None for a
    text whose brackets do not balance (a piece of a split quote). The form keeps the
    sentence's end, so it still reads as a sentence: 「…で18日午後11時頃、個人旅行で台湾を訪れて
    いた日本人男性が転落する事故が起きた。」 → 「個人旅行で台湾を訪れていた日本人男性が…起きた。」."""
    if len(text) < MIN_REST + 2 or not _balanced(text):
        return []
    depth = _depths(text)
    out: list[int] = []
    for k, ch in enumerate(text):
        if k + 1 > MAX_CLAUSE or len(text) - (k + 1) < MIN_REST:
            break
        if ch != "、" or depth[k] > 0:
            continue
        clause = text[: k + 1]
        if _CLAUSE_KEEP_RE.search(clause) or not _CLAUSE_END_RE.search(clause):
            continue
        if _SUBJECT_RE.search(clause) and not _SUBJECT_RE.search(text, k + 1):
            continue  # the rest would lose who or what it is about
        if _SUBJECT_RE.search(clause) and _REPORTED_RE.search(text):
            continue  # the rest would lose who said it
        if 0 <= text.find("、", k + 1) < k + 1 + LIST_ITEM:
            continue  # the rest opens with a short item of a list
        cut = k + 1
        m = _CONNECTIVE_RE.match(text, cut)  # 「…だが、しかし、最後の…」: the rest from 「最後の」
        if m and len(text) - m.end() >= MIN_REST:
            cut = m.end()
        if cut in out:
            continue
        if len(out) >= MAX_CUTS:
            break
        out.append(cut)
    return out


def _balanced(text: str) -> bool:
    """Whether every bracket of ``text`` is closed in it by its partner, properly nested."""
    stack: list[str] = []
    for ch in text:
        if ch in _OPEN:
            stack.append(_CLOSE[_OPEN.index(ch)])
        elif ch in _CLOSE:
            if not stack or stack.pop() != ch:
                return False
    return not stack


def _remove(c: Candidate, drops: list[tuple[int, int]]) -> Candidate:
    """``c`` with the text ranges ``drops`` (offsets in its text) left out: the rest as spans
    of its paragraph (only material is removed; the pieces stay exact substrings)."""
    pieces = c.spans or ((c.start, c.start + len(c.text)),)
    where = [x for a, b in pieces for x in range(a, b)]  # paragraph offset of each character
    spans: list[tuple[int, int]] = []
    kept: list[str] = []
    for i, ch in enumerate(c.text):
        if any(a <= i < b for a, b in drops):
            continue
        kept.append(ch)
        if spans and spans[-1][1] == where[i]:
            spans[-1] = (spans[-1][0], where[i] + 1)
        else:
            spans.append((where[i], where[i] + 1))
    if not spans:
        return c
    return replace(c, text="".join(kept), start=spans[0][0], spans=tuple(spans) if len(spans) > 1 else ())


def without_prefix(c: Candidate, k: int) -> Candidate:
    """``c`` without its first ``k`` characters (a leading clause)."""
    return _remove(c, [(0, k)]) if k else c


def _mmr(cands, scores, sim, pool, max_sentences, max_chars, mmr_lambda) -> list[int]:
    chosen: list[int] = []
    used = 0
    avail = sorted(pool)
    top = max(float(scores[i]) for i in avail)
    low = min(float(scores[i]) for i in avail)
    span = top - low if top > low else 1.0  # scores scaled to [0, 1] for the trade-off
    while avail and (max_sentences is None or len(chosen) < max_sentences):
        best, best_val = -1, -np.inf
        for i in avail:
            if max_chars is not None and used + len(cands[i].text) > max_chars:
                continue
            red = float(sim[i, chosen].max()) if (chosen and sim is not None) else 0.0
            val = mmr_lambda * (scores[i] - low) / span - (1 - mmr_lambda) * red
            if val > best_val:
                best, best_val = i, val
        if best < 0:
            break
        chosen.append(best)
        used += len(cands[best].text)
        avail.remove(best)
    return sorted(chosen)


# --- entry points ----------------------------------------------------------------------


def summarize(
    paragraphs: list[str] | tuple[str, ...],
    *,
    max_sentences: int | None = MAX_SENTENCES,
    max_chars: int | None = MAX_CHARS,
    title: str | None = None,
    trim: bool = True,
    headings: bool = True,
    shorten: bool = True,
    model: ScorerModel | None = None,
    mmr_lambda: float = MMR_LAMBDA,
) -> tuple[SummarySentence, ...]:
    """The summary of an article given as paragraphs, in source order, within the budget.

    ``max_sentences`` / ``max_chars`` may be None for no limit on that side (at least one
    must be set). Returns ``()`` for an article without an eligible sentence. ``model``
    replaces the shipped scorer (the benchmark passes models trained on other folds)."""
    if max_sentences is None and max_chars is None:
        raise ValueError("a summary needs a budget: max_sentences or max_chars")
    if (max_sentences is not None and max_sentences < 0) or (max_chars is not None and max_chars < 0):
        raise ValueError("the summary budget cannot be negative")
    cands = prepare(paragraphs, trim=trim, headings=headings, shorten=shorten)
    scores, sim = score(cands, title=title, model=model)
    picked = choose(
        cands, scores, sim, max_sentences=max_sentences, max_chars=max_chars, mmr_lambda=mmr_lambda,
        shorten=shorten,
    )
    return tuple(shown(c) for c in picked)


def shown(c: Candidate) -> SummarySentence:
    """The summary sentence of a chosen candidate, its quotation marks balanced.

    A piece of a long quote split inside is shown without the 「 (or 『) it opens and does not
    close (``男は「告白する勇気がなかった。`` → ``男は告白する勇気がなかった。``) and without the
    」 (or 』) of a quote opened in an earlier piece (``…と思う」と話した。`` → ``…と思うと話した。``):
    only material is removed, so the text is still made of exact substrings of its paragraph
    (``spans``)."""
    drops = [(k, k + 1) for k in _unbalanced_quotes(c.text)]
    if drops and len(drops) < len(c.text):
        c = _remove(c, drops)
    return SummarySentence(c.text, c.paragraph, c.sentence, c.start, c.spans)


def _unbalanced_quotes(text: str) -> list[int]:
    """Offsets of the 「 / 『 in ``text`` not closed in it and of the 」 / 』 closing a
    bracket opened before it began (``男は「告白する勇気がなかった。``, ``…と思う」と話した。``)."""
    out: list[int] = []
    for opener, closer in (("「", "」"), ("『", "』")):
        open_at: list[int] = []
        for k, ch in enumerate(text):
            if ch == opener:
                open_at.append(k)
            elif ch == closer:
                if open_at:
                    open_at.pop()
                else:
                    out.append(k)
        out += open_at
    return sorted(out)


def prepare(
    paragraphs: list[str] | tuple[str, ...],
    *,
    trim: bool = True,
    headings: bool = True,
    shorten: bool = True,
) -> list[Candidate]:
    """The candidates with their words and cues, at most ``MAX_CANDIDATES`` eligible ones."""
    cands = candidates(paragraphs, trim=trim, headings=headings, shorten=shorten)
    eligible_seen = 0
    limited: list[Candidate] = []
    for c in cands:
        if c.eligible:
            eligible_seen += 1
            if eligible_seen > MAX_CANDIDATES:
                break
        limited.append(c)
    return _attach_words(paragraphs, limited)


def text_paragraphs(text: str) -> tuple[str, ...]:
    """Paragraphs of a plain-text article: its non-empty lines, as written."""
    return tuple(line for line in text.splitlines() if line.strip())


def summarize_text(text: str, **kwargs) -> tuple[SummarySentence, ...]:
    """Summary of a plain-text article; ``paragraph`` indexes ``text_paragraphs(text)``."""
    return summarize(text_paragraphs(text), **kwargs)


def summarize_entry(entry: Entry, **kwargs) -> tuple[SummarySentence, ...]:
    """Summary of an archive entry's body; ``paragraph`` indexes ``ArticleBody.paragraphs``.

    The body's headings and byline are not paragraphs, so they are never chosen. The
    headline is passed on as ``title``, which the shipped model does not use (its training
    articles have no headline)."""
    kwargs.setdefault("title", entry.headline.title)
    kwargs.setdefault("headings", False)
    return summarize(entry.body.paragraphs, **kwargs)


def format_summary(sentences: tuple[SummarySentence, ...] | list[SummarySentence]) -> str:
    """The ``(要約)`` block in the archive's style: one sentence per paragraph."""
    parts = [s.text for s in sentences]
    return "\n\n".join(parts + ["(要約)"]) + "\n"
