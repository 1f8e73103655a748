"""Extractive summary (要約) of a Japanese news article.

Pipeline (all pure functions; no files, network or database):

1. ``candidates``: each paragraph is split into sentences (long quotes split inside, see
   ``matome.ja.sentences``); a sentence is further cut where two Japanese runs are separated
   only by white space (captions and headings glued to the next sentence, as in texts that
   lost their line breaks). Optional trimming removes a leading source tag (``【AFP＝時事】``,
   ``（台北 22日 中央社）``) and a leading connective (``また、``); it only removes
   material, so every candidate stays an exact substring of its paragraph.
2. Boilerplate, bylines, captions, links and headings are marked ineligible and never
   chosen (``(『ABEMA Prime』より)``, ``…編集部``, 関連記事, 【写真】, ``画像は…``, short lines
   without a sentence end).
3. ``score``: TF-IDF vectors of Sudachi content words (IDF over the article's sentences),
   LexRank (PageRank over the cosine graph), similarity to the article centroid and to the
   title, a position prior (news puts the point first) and a length prior.
4. ``select``: MMR (score minus similarity to what is already chosen) under the budget in
   sentences and characters; the result is put back in source order.

``SummarySentence.paragraph`` indexes the paragraphs given (for an entry,
``ArticleBody.paragraphs``), ``sentence`` the candidate within its paragraph and ``start``
the character offset of the text in that paragraph.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from dataclasses import dataclass, field

import numpy as np

from matome.ja.sentences import split_sentences
from matome.ja.tokens import is_content, tokenize
from matome.model import Entry, SummarySentence

#: Default budget, close to the seed's (要約): five short sentences, about 250 characters.
MAX_SENTENCES = 5
MAX_CHARS = 250

#: Cosine similarity from which a candidate counts as a copy of a chosen one.
DUPLICATE = 0.85

#: Candidates beyond this many (in source order) are not ranked (100,000-character inputs).
MAX_CANDIDATES = 1500


@dataclass(frozen=True)
class Weights:
    """Score mix; tuned on livedoor dev (see bench/summarize.py and docs/summarize.md)."""

    lexrank: float = 0.6
    centroid: float = 0.8
    title: float = 0.5
    position: float = 1.0
    position_decay: float = 0.35  # prior = 1 / (1 + decay * rank among eligible)
    no_terminal: float = 0.55  # factor for candidates that do not end a sentence
    inner_quote: float = 0.8  # factor for later pieces of a split quote
    short: int = 18  # below this many characters the length prior falls off
    long: int = 120  # above this the length prior falls off
    mmr_lambda: float = 0.7
    damping: float = 0.85


DEFAULT_WEIGHTS = Weights()


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
    words: tuple[str, ...] = field(default=(), compare=False)


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
    r"その後|そこで|もっとも|とはいえ|それでも|同時に|他方|さて|ところで)[、，,]\s*"
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
    paragraphs: list[str] | tuple[str, ...], *, trim: bool = True, headings: bool = True
) -> list[Candidate]:
    """The candidate sentences of ``paragraphs`` (see the module documentation).

    With ``headings`` a paragraph that is one short line without a sentence end is a
    heading and not eligible (for plain text; an entry's headings are not paragraphs)."""
    out: list[Candidate] = []
    for p, para in enumerate(paragraphs):
        if not para or not para.strip():
            continue
        sents = split_sentences(para, split_quotes=True)
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
                text = stripped
                if trim:
                    cut = _trim(text)
                    text, offset = text[cut:], offset + cut
                terminal = text[-1] in _TERMINAL
                eligible = not _is_boilerplate(text) and len(text) >= 8
                if headings and eligible and not terminal:
                    if len(sents) == 1 and len(para.strip()) <= 40 and a == 0:
                        eligible = False  # a heading line
                out.append(Candidate(text, p, k, offset, eligible, terminal, inner and a == 0))
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
        g0 = base[c.paragraph] + c.start
        g1 = g0 + len(c.text)
        i = bisect_left(starts, g0)
        j = bisect_left(starts, g1, lo=i)
        words = tuple(t.normalized for t in tokens[i:j] if is_content(t))
        out.append(
            Candidate(
                c.text, c.paragraph, c.sentence, c.start, c.eligible, c.terminal, c.inner, words
            )
        )
    return out


def _tfidf(docs: list[tuple[str, ...]], extra: list[tuple[str, ...]] = ()):
    """L2-normalised TF-IDF rows (log-scaled tf, smoothed idf over ``docs``)."""
    vocab: dict[str, int] = {}
    for d in docs:
        for w in d:
            if w not in vocab:
                vocab[w] = len(vocab)
    n = len(docs)
    df = np.zeros(len(vocab), dtype=np.float32)
    rows = []
    for d in list(docs) + list(extra):
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


def _length_prior(n: int, w: Weights) -> float:
    if n < w.short:
        return max(0.1, n / w.short) ** 2
    if n > w.long:
        return max(0.3, w.long / n)
    return 1.0


def score(
    cands: list[Candidate], *, title: str | None = None, weights: Weights = DEFAULT_WEIGHTS
) -> tuple[np.ndarray, np.ndarray]:
    """Scores of the candidates (ineligible ones get -inf) and their cosine matrix."""
    n = len(cands)
    if n == 0:
        return np.zeros(0), np.zeros((0, 0))
    title_words: list[tuple[str, ...]] = []
    if title:
        title_words = [tuple(t.normalized for t in tokenize(title) if is_content(t))]
    mat = _tfidf([c.words for c in cands], title_words)
    x = mat[:n]
    sim = x @ x.T
    elig = np.array([c.eligible for c in cands])
    idx = np.flatnonzero(elig)
    s = np.full(n, -np.inf)
    if len(idx) == 0:
        return s, sim
    sub = sim[np.ix_(idx, idx)]
    lr = lexrank(sub, weights.damping)
    lr = lr / lr.max() if lr.max() > 0 else lr
    centroid = x[idx].sum(axis=0)
    cn = np.linalg.norm(centroid)
    cen = (x[idx] @ centroid) / cn if cn > 0 else np.zeros(len(idx))
    tsim = (x[idx] @ mat[n]) if title_words else np.zeros(len(idx))
    rank = np.arange(len(idx))
    pos = 1.0 / (1.0 + weights.position_decay * rank)
    base = (
        weights.lexrank * lr
        + weights.centroid * cen
        + weights.title * tsim
        + weights.position * pos
    )
    for k, i in enumerate(idx):
        c = cands[i]
        f = _length_prior(len(c.text), weights)
        if not c.terminal:
            f *= weights.no_terminal
        if c.inner:
            f *= weights.inner_quote
        if not c.words:
            f *= 0.3
        s[i] = base[k] * f
    return s, sim


def select(
    cands: list[Candidate],
    scores: np.ndarray,
    sim: np.ndarray | None,
    *,
    max_sentences: int | None = MAX_SENTENCES,
    max_chars: int | None = MAX_CHARS,
    mmr_lambda: float = DEFAULT_WEIGHTS.mmr_lambda,
) -> list[int]:
    """Indices chosen by MMR under the budget, in source order. Ties go to the earlier one."""
    chosen: list[int] = []
    used = 0
    avail = [i for i in range(len(cands)) if np.isfinite(scores[i])]
    top = max((float(scores[i]) for i in avail), default=0.0)
    norm = top if top > 0 else 1.0  # scores scaled to at most 1 for the MMR trade-off
    texts: set[str] = set()
    while avail and (max_sentences is None or len(chosen) < max_sentences):
        best, best_val = -1, -np.inf
        for i in avail:
            if max_chars is not None and used + len(cands[i].text) > max_chars:
                continue
            red = float(sim[i, chosen].max()) if (chosen and sim is not None) else 0.0
            if red >= DUPLICATE or cands[i].text in texts:
                continue  # a near-copy of a chosen sentence
            val = mmr_lambda * scores[i] / norm - (1 - mmr_lambda) * red
            if val > best_val:
                best, best_val = i, val
        if best < 0:
            break
        chosen.append(best)
        texts.add(cands[best].text)
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
    weights: Weights = DEFAULT_WEIGHTS,
) -> tuple[SummarySentence, ...]:
    """The summary of an article given as paragraphs, in source order, within the budget.

    ``max_sentences`` / ``max_chars`` may be None for no limit on that side (at least one
    must be set). Returns ``()`` for an article without an eligible sentence."""
    if max_sentences is None and max_chars is None:
        raise ValueError("a summary needs a budget: max_sentences or max_chars")
    if (max_sentences is not None and max_sentences < 0) or (max_chars is not None and max_chars < 0):
        raise ValueError("the summary budget cannot be negative")
    cands = candidates(paragraphs, trim=trim, headings=headings)
    eligible_seen = 0
    limited: list[Candidate] = []
    for c in cands:
        if c.eligible:
            eligible_seen += 1
            if eligible_seen > MAX_CANDIDATES:
                break
        limited.append(c)
    cands = _attach_words(paragraphs, limited)
    scores, sim = score(cands, title=title, weights=weights)
    picked = select(
        cands,
        scores,
        sim,
        max_sentences=max_sentences,
        max_chars=max_chars,
        mmr_lambda=weights.mmr_lambda,
    )
    return tuple(
        SummarySentence(cands[i].text, cands[i].paragraph, cands[i].sentence, cands[i].start)
        for i in picked
    )


def text_paragraphs(text: str) -> tuple[str, ...]:
    """Paragraphs of a plain-text article: its non-empty lines, as written."""
    return tuple(line for line in text.splitlines() if line.strip())


def summarize_text(text: str, **kwargs) -> tuple[SummarySentence, ...]:
    """Summary of a plain-text article; ``paragraph`` indexes ``text_paragraphs(text)``."""
    return summarize(text_paragraphs(text), **kwargs)


def summarize_entry(entry: Entry, **kwargs) -> tuple[SummarySentence, ...]:
    """Summary of an archive entry's body; ``paragraph`` indexes ``ArticleBody.paragraphs``.

    The body's headings and byline are not paragraphs, so they are never chosen; the title
    (the headline) is used as a hint unless ``title`` is given."""
    kwargs.setdefault("title", entry.headline.title)
    kwargs.setdefault("headings", False)
    return summarize(entry.body.paragraphs, **kwargs)


def format_summary(sentences: tuple[SummarySentence, ...] | list[SummarySentence]) -> str:
    """The ``(要約)`` block in the archive's style: one sentence per paragraph."""
    parts = [s.text for s in sentences]
    return "\n\n".join(parts + ["(要約)"]) + "\n"
