"""Near-duplicate comments: copies and near-copies point at their first occurrence.

Exact duplicates after normalization (NFKC, case, spaces and punctuation ignored) always count;
texts of at least ``NEAR_DUP_MIN_CHARS`` characters also match when the cosine of their
character 3-gram count vectors (sublinear tf, no IDF) is at least ``NEAR_DUP_COSINE`` (one
short insertion in a 45-character comment gives 0.93; different comments on one topic stay
below 0.3). Copies are grouped once and counted with their originals.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from matome.analyze import vectors as vec
from matome.ja.normalize import normalize

NEAR_DUP_COSINE = 0.9
NEAR_DUP_MIN_CHARS = 20

_KEY_DROP_RE = re.compile(r"[\s\W_]+", re.UNICODE)
_URL_RE = re.compile(r"https?://\S+|www\.\S+")
_TAG_RE = re.compile(r"<[^>\n]{0,200}>")


def _dup_key(text: str) -> str:
    """Normalized text without spaces, punctuation and symbols (kept: letters, digits, kana,
    kanji; emoji-only texts keep their emoji so that 😀 and 😡 differ)."""
    norm = normalize(text).lower()
    key = _KEY_DROP_RE.sub("", norm)
    if key:
        return key
    return "".join(ch for ch in norm if not ch.isspace())


def has_content(text: str) -> bool:
    return bool(_dup_key(_TAG_RE.sub(" ", _URL_RE.sub(" ", text))))


def near_duplicates(texts: Sequence[str]) -> list[int | None]:
    """For each text, the index of the earlier text it duplicates, else ``None``.

    Exact duplicates after normalization (NFKC, case, spaces and punctuation ignored) always
    count; texts of at least ``NEAR_DUP_MIN_CHARS`` characters also match when the cosine of
    their character 3-gram count vectors (sublinear, no IDF) is at least ``NEAR_DUP_COSINE``.
    The result always
    points at a text that is itself not a duplicate (the first of its copies).
    """
    n = len(texts)
    out: list[int | None] = [None] * n
    keys = [_dup_key(t) for t in texts]
    first: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k in first:
            out[i] = first[k]
        else:
            first[k] = i
    long_idx = [i for i in range(n) if out[i] is None and len(keys[i]) >= NEAR_DUP_MIN_CHARS]
    if len(long_idx) < 2:
        return out
    x, _ = vec.tfidf(
        (vec.char_ngrams(keys[i], 3, 3) for i in long_idx),
        use_idf=False,
        dense=len(long_idx) < vec.DENSE_MAX_ROWS,
    )
    for r, c in _similar_pairs(x, NEAR_DUP_COSINE):
        j, i = long_idx[r], long_idx[c]
        if out[j] is None and out[i] is None:
            out[j] = i
        elif out[j] is None and out[i] is not None:
            out[j] = out[i]
    # a text may have been matched to one that later became a duplicate: point at the root
    for j in range(n):
        root = out[j]
        while root is not None and out[root] is not None:
            root = out[root]
        out[j] = root
    return out


def _similar_pairs(x: vec.Matrix, threshold: float, chunk: int = 512) -> list[tuple[int, int]]:
    """Pairs ``(r, c)``, ``r > c``, of rows of ``x`` (L2-normalized, dense or sparse) whose
    dot product is at least ``threshold``, in increasing order; in ``chunk``-row blocks."""
    xt = x.T.tocsr() if hasattr(x, "tocsr") else x.T
    out: list[tuple[int, int]] = []
    for start in range(0, x.shape[0], chunk):
        sims = x[start : start + chunk] @ xt
        if hasattr(sims, "tocoo"):
            coo = sims.tocoo()
            rows, cols, vals = coo.row, coo.col, coo.data
        else:
            rows, cols = np.nonzero(sims >= threshold)
            vals = sims[rows, cols]
        hit = (vals >= threshold) & (rows + start > cols)
        out += sorted(zip((rows[hit] + start).tolist(), cols[hit].tolist()))
    return out


