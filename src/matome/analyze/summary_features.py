"""Sentence features for the learned summary scorer (pure functions, numpy only).

One row per eligible candidate sentence of an article, in source order. The columns are
named in ``FEATURES``; the shipped model (``matome/data/summary_model.json``) stores the
names it was trained with, and loading checks that they match.

Inputs per candidate: its text, its rank among the eligible candidates, flags from
candidate extraction (sentence end, inner piece of a split quote), token cues counted from
Sudachi (proper nouns by kind, numerals, content words) and its TF-IDF row.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Cues:
    """Token counts of one candidate (from one Sudachi pass over the article)."""

    tokens: int = 0
    content: int = 0
    person: int = 0  # 固有名詞・人名
    place: int = 0  # 固有名詞・地名
    proper: int = 0  # other 固有名詞 (organisations, products, events)
    numeral: int = 0  # 数詞


FEATURES: tuple[str, ...] = (
    "pos_rel",
    "pos_inv",
    "pos_first",
    "pos_second",
    "pos_third",
    "pos_log",
    "para_start",
    "len_100",
    "len_log",
    "len_short",
    "len_long",
    "centroid",
    "centroid_rank",
    "lexrank",
    "max_sim",
    "lead_sim",
    "new_words",
    "recurring",
    "coverage",
    "terminal",
    "inner_quote",
    "quote_start",
    "quote_frac",
    "digit_frac",
    "has_numeral",
    "person",
    "place",
    "proper",
    "proper_frac",
    "content_frac",
    "end_toiu",
    "end_ta",
    "end_da",
    "end_teiru",
    "end_polite",
    "end_question",
    "end_paren",
    "attribution",
    "first_person",
    "has_date",
    "article_log",
    "kanji_frac",
    "hiragana_frac",
    "katakana_frac",
    "latin_frac",
)

_QUOTE_RE = re.compile(r"「[^「」]*」|『[^『』]*』")
_DIGIT_RE = re.compile(r"[0-9０-９]")
_DATE_RE = re.compile(r"[0-9０-９]+日|[0-9０-９]+月|昨年|今年|来年|先月|今月|来月|先週|今週")
_ATTRIB_RE = re.compile(
    r"によると|によれば|と(?:述べ|語|話|明らかに|発表|説明|強調|指摘|報じ|伝え|コメント|明か)"
)
_FIRST_PERSON_RE = re.compile(r"私|僕|筆者|我々|わたし|ぼく")
_KANJI_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff々〆]")
_HIRAGANA_RE = re.compile(r"[\u3041-\u309f]")
_KATAKANA_RE = re.compile(r"[\u30a1-\u30ff\uff66-\uff9f]")
_LATIN_RE = re.compile(r"[0-9A-Za-z０-９Ａ-Ｚａ-ｚ]")


def _ending(text: str) -> str:
    return text.rstrip("。．.!！?？」』）) \u3000")


def row(
    text: str,
    rank: int,
    n: int,
    *,
    para_start: bool,
    terminal: bool,
    inner: bool,
    cues: Cues,
) -> list[float]:
    """The features of one candidate that depend on it alone (similarities come later)."""
    length = len(text)
    quoted = sum(m.end() - m.start() for m in _QUOTE_RE.finditer(text))
    end = _ending(text)
    content = max(1, cues.content)
    return [
        rank / max(1, n - 1),
        1.0 / (1.0 + rank),
        float(rank == 0),
        float(rank == 1),
        float(rank == 2),
        math.log1p(rank),
        float(para_start),
        length / 100.0,
        math.log1p(length),
        float(length < 25),
        float(length > 100),
        0.0,  # centroid
        0.0,  # centroid_rank
        0.0,  # lexrank
        0.0,  # max_sim
        0.0,  # lead_sim
        0.0,  # new_words
        0.0,  # recurring
        0.0,  # coverage
        float(terminal),
        float(inner),
        float(text.startswith(("「", "『"))),
        quoted / max(1, length),
        len(_DIGIT_RE.findall(text)) / max(1, length),
        float(cues.numeral > 0),
        math.log1p(cues.person),
        math.log1p(cues.place),
        math.log1p(cues.proper),
        (cues.person + cues.place + cues.proper) / content,
        cues.content / max(1, cues.tokens),
        float(end.endswith("という")),
        float(end.endswith("た")),
        float(end.endswith("だ")),
        float(end.endswith(("ている", "ていた"))),
        float(end.endswith(("です", "ます", "でした", "ました", "ません", "でしょう"))),
        float(text.rstrip().endswith(("?", "？")) or end.endswith("か")),
        float(text.rstrip("。").endswith(("）", ")"))),
        float(bool(_ATTRIB_RE.search(text))),
        float(bool(_FIRST_PERSON_RE.search(text))),
        float(bool(_DATE_RE.search(text))),
        math.log1p(n),
        len(_KANJI_RE.findall(text)) / max(1, length),
        len(_HIRAGANA_RE.findall(text)) / max(1, length),
        len(_KATAKANA_RE.findall(text)) / max(1, length),
        len(_LATIN_RE.findall(text)) / max(1, length),
    ]


_COL = {name: i for i, name in enumerate(FEATURES)}


def matrix(
    rows: list[list[float]],
    x: np.ndarray,
    lexrank: np.ndarray,
    words: list[tuple[str, ...]] | None = None,
    sim: np.ndarray | None = None,
) -> np.ndarray:
    """The feature matrix: ``rows`` (from :func:`row`) completed with the similarity
    features computed from the L2-normalised TF-IDF rows ``x`` of the same candidates (and
    their cosine matrix ``sim`` when already known) and the word features from their
    content words ``words``."""
    m = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))
    n = m.shape[0]
    if n == 0:
        return m
    xs = np.asarray(x)
    centroid = xs.sum(axis=0, dtype=np.float64)
    cn = np.linalg.norm(centroid)
    cen = xs @ centroid / cn if cn > 0 else np.zeros(n)
    m[:, _COL["centroid"]] = cen
    order = np.argsort(-cen, kind="stable")
    crank = np.empty(n)
    crank[order] = np.arange(n)
    m[:, _COL["centroid_rank"]] = 1.0 / (1.0 + crank)
    lr = np.asarray(lexrank, dtype=np.float64)
    m[:, _COL["lexrank"]] = lr / lr.max() if n and lr.max() > 0 else 0.0
    sim = np.array(xs @ xs.T if sim is None else sim, dtype=np.float64)
    np.fill_diagonal(sim, 0.0)
    m[:, _COL["max_sim"]] = sim.max(axis=1) if n > 1 else 0.0
    lead = xs[: min(3, n)].sum(axis=0)
    ln = np.linalg.norm(lead)
    m[:, _COL["lead_sim"]] = xs @ lead / ln if ln > 0 else 0.0
    if words is not None:
        _word_features(m, words)
    return m


def _word_features(m: np.ndarray, words: list[tuple[str, ...]]) -> None:
    """Novelty (words not in earlier sentences), recurrence (words in other sentences) and
    coverage (mean share of the article's sentences that contain each of its words)."""
    n = len(words)
    df: dict[str, int] = {}
    for ws in words:
        for w in set(ws):
            df[w] = df.get(w, 0) + 1
    seen: set[str] = set()
    for k, ws in enumerate(words):
        distinct = set(ws)
        if distinct:
            m[k, _COL["new_words"]] = len(distinct - seen) / len(distinct)
            m[k, _COL["recurring"]] = sum(df[w] > 1 for w in distinct) / len(distinct)
            m[k, _COL["coverage"]] = sum(df[w] - 1 for w in distinct) / len(distinct) / max(1, n - 1)
        seen |= distinct
