"""Comment vectors from word tables: what words mean, at TF-IDF speed.

Sentence vectors of multilingual-e5-small group comments the way readers do (DESIGN §3), but
embedding a 4,000-comment thread takes minutes on two cores. The package ships a table of
24,839 frequent content words (``matome/data/wordvec.npz``, built by
``bench/build_wordvec.py``) with two rows per word, each reduced by PCA to 128 dimensions and
quantized to int8:

* e5: the word embedded once, alone, with multilingual-e5-small;
* chiVe: Works Applications' word2vec vector of the word (trained on a large corpus of
  Japanese web text whose words are Sudachi-normalized like ours; Apache License 2.0; the
  copy in GiNZA's ``ja_ginza`` 5.3.0). Word2vec learns from the contexts a word is used in;
  beside e5 it raised pubcom's fine-level ARI from .22 to .25 (mean over random subsets;
  docs/clusters.md).

For each source a comment's vector is the weighted mean of its words' rows, L2-normalized;
the two sit side by side and the row is normalized again:

* words are Sudachi mode-C normalized content words (``matome.ja.tokens``), so 子供/子ども
  and ＡＩ/AI share a row; a word missing from the table is covered by the longest table words
  inside it (少子化対策 → 少子化 + 対策), else it is left out;
* weight = (1 + ln tf) × idf over the thread (smooth idf, as in ``vectors.tfidf``): what a
  comment says that others do not weighs most, and the thread's common topic little;
* a comment with no known word gets a zero row (the caller combines these rows with TF-IDF
  rows, which are never all zero).

Pure: the table is read once from the package data (about 5 MB) and cached.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import numpy as np

#: Shortest table word used to cover a word that is not in the table.
MIN_PART_CHARS = 2
#: (document, word) pairs summed per numpy step in ``embed_words``.
PAIRS_PER_STEP = 16_384


class Rows:
    """One source's table rows as float32, L2-normalized when first asked for: a short thread
    touches a few hundred of the 24,839 rows, so a cold start does not convert and normalize
    them all. ``rows[[i, j, …]]`` gives the same bits as normalizing the whole table at once
    (each row is normalized on its own)."""

    def __init__(self, quantized: np.ndarray, scale: np.float32) -> None:
        self._quantized = quantized
        self._scale = scale
        self._rows = np.empty(quantized.shape, dtype=np.float32)
        self._ready = np.zeros(len(quantized), dtype=bool)
        self.shape = quantized.shape

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index) -> np.ndarray:
        idx = np.asarray(index, dtype=np.intp)
        return self.prepared(idx)[idx]

    def prepared(self, index: np.ndarray) -> np.ndarray:
        """The whole float32 table, with (at least) the rows ``index`` normalized; read only
        those rows of it."""
        todo = np.unique(index[~self._ready[index]])
        if todo.size:
            rows = self._quantized[todo].astype(np.float32) * self._scale
            rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
            self._rows[todo] = rows
            self._ready[todo] = True
        return self._rows


@lru_cache(maxsize=1)
def tables() -> tuple[dict[str, int], tuple[Rows, ...]]:
    """The vocabulary (word -> row) and one table per source (e5, then chiVe), float32 rows
    L2-normalized (``Rows``); a word a source has no vector for has a zero row there."""
    with resources.files("matome.data").joinpath("wordvec.npz").open("rb") as f:
        z = np.load(f, allow_pickle=False)
        words = str(z["words"]).split("\n")
        blocks = [Rows(z["vectors"], np.float32(z["scale"]))]
        if "chive" in z.files:
            blocks.append(Rows(z["chive"], np.float32(z["chive_scale"])))
    return {w: i for i, w in enumerate(words)}, tuple(blocks)


def table() -> tuple[dict[str, int], Rows]:
    """The vocabulary and the e5 rows (see ``tables``)."""
    vocab, blocks = tables()
    return vocab, blocks[0]


def available() -> bool:
    try:
        table()
    except (FileNotFoundError, OSError, KeyError, ValueError):
        return False
    return True


def _cover(word: str, vocab: dict[str, int]) -> list[int]:
    """Table rows of the longest table words that tile ``word`` left to right (skipping a
    character where none starts); ``[]`` when nothing of it is known."""
    out: list[int] = []
    i, n = 0, len(word)
    while i < n:
        for j in range(n, i + MIN_PART_CHARS - 1, -1):
            row = vocab.get(word[i:j])
            if row is not None and j - i >= MIN_PART_CHARS:
                out.append(row)
                i = j
                break
        else:
            i += 1
    return out


def rows_of(words: Sequence[str], vocab: dict[str, int]) -> list[list[int]]:
    """For each word, the table rows that stand for it (one row, parts, or none)."""
    cache: dict[str, list[int]] = {}
    out = []
    for w in words:
        if w not in cache:
            row = vocab.get(w)
            cache[w] = [row] if row is not None else _cover(w, vocab)
        out.append(cache[w])
    return out


def embed_words(docs: Sequence[Sequence[str]]) -> np.ndarray:
    """One L2-normalized row per document (a list of content words); zero rows for documents
    with no word in the table.

    Each source gives the weighted mean of the words' rows, L2-normalized; the sources sit
    side by side and the row is normalized again (a comment whose words only one source
    knows is described by that one alone)."""
    vocab, blocks = tables()
    n = len(docs)
    if n == 0:
        return np.zeros((0, sum(b.shape[1] for b in blocks)), dtype=np.float64)
    df: Counter[str] = Counter()
    for d in docs:
        df.update(set(d))
    idf = {w: math.log((1 + n) / (1 + c)) + 1.0 for w, c in df.items()}
    # (document, word, weight) for every known word of every document, in order, found once
    # for all sources; then one numpy sum per source instead of a Python loop over words. The
    # same arithmetic in the same order as adding the words one by one, so the same bits: a
    # word's vector is its row (or the sum of its parts' rows) in float64, times its weight.
    doc_ids, word_ids, weights = array("q"), array("q"), array("d")
    known: dict[str, int] = {}  # word -> its index in ``parts`` (-1: unknown)
    parts: list[list[int]] = []  # per known word, the table rows that stand for it
    for i, d in enumerate(docs):
        tf = Counter(d)
        for w in sorted(tf):
            k = known.get(w)
            if k is None:
                rs = rows_of([w], vocab)[0]
                k = known[w] = len(parts) if rs else -1
                if rs:
                    parts.append(rs)
            if k < 0:
                continue
            doc_ids.append(i)
            word_ids.append(k)
            weights.append((1.0 + math.log(tf[w])) * idf[w] / len(parts[k]))
    out = [np.zeros((n, rows.shape[1]), dtype=np.float64) for rows in blocks]
    if doc_ids:
        doc = np.frombuffer(doc_ids, dtype=np.int64)
        word = np.frombuffer(word_ids, dtype=np.int64)
        wt = np.frombuffer(weights, dtype=np.float64)[:, None]
        needed = np.fromiter((r for rs in parts for r in rs), dtype=np.intp)
        for rows, acc in zip(blocks, out):
            mat = _part_sums(rows.prepared(needed), parts)
            for a in range(0, len(doc), PAIRS_PER_STEP):  # bounded memory on large threads
                b = a + PAIRS_PER_STEP
                np.add.at(acc, doc[a:b], wt[a:b] * mat[word[a:b]])
            _unit_rows(acc)
    return out[0] if len(out) == 1 else _unit_rows(np.hstack(out))


def _part_sums(table: np.ndarray, parts: list[list[int]]) -> np.ndarray:
    """Per word, the float64 sum of the table rows that stand for it: a one-row word is its
    row (exactly: float32 to float64), a covered word the sum of its parts' rows."""
    mat = np.empty((len(parts), table.shape[1]), dtype=np.float64)
    single = [k for k, rs in enumerate(parts) if len(rs) == 1]
    mat[single] = table[[parts[k][0] for k in single]]
    for k, rs in enumerate(parts):
        if len(rs) > 1:
            mat[k] = table[rs].sum(axis=0, dtype=np.float64)
    return mat


def _unit_rows(x: np.ndarray) -> np.ndarray:
    """Each non-zero row divided by its norm, in place (row by row: the same bits as a 1-D
    norm)."""
    for i in range(len(x)):
        norm = np.linalg.norm(x[i])
        if norm > 0:
            x[i] /= norm
    return x
