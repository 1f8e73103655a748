"""Our own numeric building blocks against the libraries they replace (imported here only):
TF-IDF vs scikit-learn's TfidfVectorizer, Ward vs scipy's linkage + fcluster, ranks vs
scipy's rankdata, the truncated SVD vs numpy's full SVD."""

from __future__ import annotations

import numpy as np
import pytest

from matome.analyze import vectors as vec
from matome.analyze.near_duplicates import _similar_pairs, near_duplicates
from matome.analyze.partition import ward
from matome.analyze.representatives import ranks as _ranks

CORPUS = [
    "半導体の補助金に何兆円も使うなら、成果を検証してほしい。",
    "年金の受給額が減るのに保険料だけ上がるのは納得できない。",
    "半導体工場が地下水を大量に使うのは心配だ。半導体、半導体。",
    "ＡＩ  と AI は同じ？  Tab\tと改行\nも。",
    "それだ",
    "ｗｗｗ",
    "",
    "年金の支給開始年齢をまた引き上げるつもりだろうか。年金、年金。",
    "a",
]


def _by_term(matrix, terms: list[str]) -> dict[tuple[int, str], float]:
    dense = matrix.toarray() if hasattr(matrix, "toarray") else np.asarray(matrix)
    return {(r, t): float(dense[r, j]) for r in range(dense.shape[0])
            for j, t in enumerate(terms) if dense[r, j] != 0}


def _assert_same(ours: dict, theirs: dict) -> None:
    assert ours.keys() == theirs.keys()
    for key, value in theirs.items():
        assert ours[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key


@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize("min_df", [1, 2])
def test_char_tfidf_equals_sklearn(dense, min_df):
    from sklearn.feature_extraction.text import TfidfVectorizer

    tv = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True, min_df=min_df)
    theirs = tv.fit_transform(CORPUS)
    t_terms = tv.get_feature_names_out().tolist()
    ours, terms = vec.tfidf([vec.char_ngrams(t, 2, 3) for t in CORPUS], min_df=min_df, dense=dense)
    assert sorted(terms) == sorted(t_terms)
    _assert_same(_by_term(ours, terms), _by_term(theirs, t_terms))


def test_word_tfidf_without_idf_equals_sklearn():
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [t.replace("、", " ").replace("。", " ").split() for t in CORPUS]
    docs += [["年金", "年金", "保険料"], ["年金"]]
    for use_idf in (True, False):
        tv = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True, use_idf=use_idf)
        theirs = tv.fit_transform(docs)
        ours, terms = vec.tfidf(docs, use_idf=use_idf)
        _assert_same(_by_term(ours, terms), _by_term(theirs, tv.get_feature_names_out().tolist()))


def test_max_features_keeps_the_most_frequent_terms():
    from sklearn.feature_extraction.text import TfidfVectorizer

    rng = np.random.default_rng(3)
    letters = list("あいうえおかきくけこさしすせそ")
    # term frequencies without ties at the cut, so sklearn's (unstable) tie order cannot matter
    docs = [list(rng.choice(letters, size=rng.integers(1, 40), p=np.linspace(1, 3, 15) / 30))
            for _ in range(60)]
    total: dict[str, int] = {}
    for d in docs:
        for t in d:
            total[t] = total.get(t, 0) + 1
    freq = sorted(total.values(), reverse=True)
    k = next(i for i in range(5, len(freq)) if freq[i - 1] != freq[i])
    tv = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True, max_features=k)
    theirs = tv.fit_transform(docs)
    ours, terms = vec.tfidf(docs, max_features=k)
    assert len(terms) == k
    _assert_same(_by_term(ours, terms), _by_term(theirs, tv.get_feature_names_out().tolist()))


def test_tfidf_of_nothing_is_none():
    assert vec.tfidf([]) is None
    assert vec.tfidf([[], []]) is None
    assert vec.tfidf([["a"], ["b"]], min_df=2) is None


@pytest.mark.parametrize("seed", range(6))
def test_ward_equals_scipy(seed):
    from scipy.cluster.hierarchy import fcluster, linkage

    rng = np.random.default_rng(seed)
    m = int(rng.integers(5, 140))
    dim = int(rng.integers(2, 30))
    centres = rng.normal(size=(int(rng.integers(2, 8)), dim)) * 3
    x = centres[rng.integers(0, len(centres), size=m)] + rng.normal(size=(m, dim))
    for k in sorted({1, 2, 3, int(rng.integers(2, m)), m - 1, m}):
        ours = ward(x, k)
        theirs = fcluster(linkage(x, method="ward"), k, criterion="maxclust")
        assert len(set(ours.tolist())) == len(set(theirs.tolist())) == k
        # the same partition: the pairs (our group, scipy's group) form a one-to-one map
        assert len(set(zip(ours.tolist(), theirs.tolist()))) == k


def test_ward_numbers_groups_by_first_row():
    x = np.array([[0.0, 0], [10, 10], [0.1, 0], [10, 10.2], [5, -5]])
    assert ward(x, 3).tolist() == [0, 1, 0, 1, 2]


def test_ranks_equal_rankdata():
    from scipy.stats import rankdata

    rng = np.random.default_rng(0)
    for n in (2, 3, 10, 57):
        values = rng.integers(0, 5, size=n).astype(float)  # many ties
        assert np.allclose(_ranks(values), (rankdata(values) - 1) / (n - 1))
        values = rng.normal(size=n)
        assert np.allclose(_ranks(values), (rankdata(values) - 1) / (n - 1))
    assert _ranks(np.array([7.0])).tolist() == [0.5]


def _low_rank(n, f, rank, seed):
    rng = np.random.default_rng(seed)
    s = np.geomspace(10, 0.1, rank)
    u = np.linalg.qr(rng.normal(size=(n, rank)))[0]
    v = np.linalg.qr(rng.normal(size=(f, rank)))[0]
    return (u * s) @ v.T + 1e-6 * rng.normal(size=(n, f))


@pytest.mark.parametrize("n", [50, vec.EXACT_SVD_MAX + 40])
def test_truncated_svd_matches_full_svd(n):
    x = _low_rank(n, 120, 15, seed=n)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    ours = vec.truncated_svd(x, 10, seed=1)
    # the same singular values, and the same columns up to sign
    assert np.allclose(np.linalg.norm(ours, axis=0), s[:10], rtol=1e-6)
    for c in range(10):
        ref = u[:, c] * s[c]
        assert min(np.abs(ours[:, c] - ref).max(), np.abs(ours[:, c] + ref).max()) < 1e-5
    # deterministic, with the sign fix: largest entry of each column positive
    assert np.array_equal(ours, vec.truncated_svd(x, 10, seed=1))
    big = ours[np.argmax(np.abs(ours), axis=0), np.arange(10)]
    assert (big > 0).all()


def test_truncated_svd_sparse_equals_dense():
    from scipy import sparse

    x = _low_rank(vec.EXACT_SVD_MAX + 10, 80, 8, seed=5)
    x[np.abs(x) < 0.05] = 0.0
    a = vec.truncated_svd(x, 6, seed=2)
    b = vec.truncated_svd(sparse.csr_matrix(x), 6, seed=2)
    assert np.allclose(a, b, atol=1e-9)


def test_similar_pairs_dense_equals_sparse():
    from scipy import sparse

    rng = np.random.default_rng(0)
    x = rng.random((40, 6)) ** 4
    x[5] = x[2]
    x[30] = x[2] * 1.0001
    x /= np.linalg.norm(x, axis=1)[:, None]
    dense = _similar_pairs(x, 0.95, chunk=7)
    assert (5, 2) in dense and (30, 2) in dense and (30, 5) in dense
    assert all(r > c for r, c in dense) and dense == sorted(dense)
    assert dense == _similar_pairs(sparse.csr_matrix(x), 0.95, chunk=7)


def test_near_duplicates_same_on_dense_and_sparse_paths(monkeypatch):
    base = [
        "除去土壌の再生利用には反対です。安全性が確認されていないからです。",
        "年金の受給額が減るのに保険料だけ上がるのは納得できない話だと思います。",
        "半導体工場が地下水を大量に使うのは心配だ。地元への説明が足りない。",
    ]
    texts = []
    for i in range(30):
        b = base[i % 3]
        texts.append(b if i % 4 else b.replace("。", f"！{i}", 1))
    texts += [f"まったく別の内容のコメントその{i}番目、長さは二十文字を超えるようにしておく" for i in range(10)]
    dense = near_duplicates(texts)
    monkeypatch.setattr(vec, "DENSE_MAX_ROWS", 0)
    assert near_duplicates(texts) == dense
    assert any(d is not None for d in dense)


def test_core_rows_are_those_whose_neighbours_share_their_community():
    from matome.analyze.partition import core_rows

    labels = np.array([0, 0, 0, 1, 1, 1])
    # row 2's neighbours are all in community 1; the others' mostly in their own
    nbr = np.array([[1, 2, 3], [0, 2, 4], [3, 4, 5], [4, 5, 0], [3, 5, 1], [3, 4, 2]])
    assert core_rows(labels, nbr, 0.5).tolist() == [True, True, False, True, True, True]
    assert core_rows(labels, nbr, 0.0).all()


def test_communities_are_deterministic_and_separate_planted_blocks():
    from matome.analyze.partition import communities

    rng = np.random.default_rng(3)
    centres = rng.normal(size=(3, 16))
    x = np.vstack([c + 0.05 * rng.normal(size=(20, 16)) for c in centres])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    a, nbr = communities(x, 5, 1.0, seed=0)
    b, _ = communities(x, 5, 1.0, seed=0)
    assert a.tolist() == b.tolist() and nbr.shape == (60, 5)
    # no community reaches across two planted blocks
    for c in set(a.tolist()):
        rows = np.flatnonzero(a == c)
        assert len(set((rows // 20).tolist())) == 1, c


def test_word_table_vectors_are_the_weighted_mean_of_the_words_rows_bit_for_bit(monkeypatch):
    """embed_words sums in numpy; for each source it must give exactly what adding each word's
    weighted row (a covered word: the sum of its parts' rows) one after another and
    normalizing gives, and the sources side by side, normalized again."""
    import math
    from collections import Counter

    from matome.analyze import wordvec

    monkeypatch.setattr(wordvec, "PAIRS_PER_STEP", 3)  # several steps even for a few documents
    vocab, blocks = wordvec.tables()
    assert len(blocks) == 2  # e5 and chiVe
    known = [w for w in ("子ども", "育児", "保育園", "少子化", "対策", "税金") if w in vocab]
    assert len(known) >= 4
    docs = [
        known[:3] + [known[0]],                   # a repeated word
        [known[3] + known[4], "ヷヸヹヺ"],          # a word covered by two table words, one unknown
        [],                                       # nothing
        ["ヷヸヹヺ"],                               # nothing known
        known[2:] + known[:1],
    ]
    got = wordvec.embed_words(docs)
    n = len(docs)
    df = Counter(w for d in docs for w in set(d))
    idf = {w: math.log((1 + n) / (1 + c)) + 1.0 for w, c in df.items()}
    for i, d in enumerate(docs):
        parts = []
        for rows in blocks:
            acc = np.zeros(rows.shape[1])
            tf = Counter(d)
            for w in sorted(tf):
                rs = wordvec.rows_of([w], vocab)[0]
                if rs:
                    acc += (1.0 + math.log(tf[w])) * idf[w] / len(rs) * rows[rs].sum(axis=0, dtype=np.float64)
            norm = np.linalg.norm(acc)
            parts.append(acc / norm if norm > 0 else acc)
        row = np.concatenate(parts)
        norm = np.linalg.norm(row)
        want = row / norm if norm > 0 else row
        assert np.array_equal(got[i], want), i
    assert got.shape[1] == sum(b.shape[1] for b in blocks)
    assert not got[2].any() and not got[3].any()
    assert got[1].any()  # the covered word counts


def test_word_table_rows_normalized_on_demand_equal_the_whole_table_normalized_at_once():
    """Rows are converted and normalized when first asked for, in whatever order and grouping
    a thread asks; every row must have the bits of normalizing the whole table in one step."""
    from importlib import resources

    from matome.analyze import wordvec

    with resources.files("matome.data").joinpath("wordvec.npz").open("rb") as f:
        z = np.load(f, allow_pickle=False)
        sources = [(z["vectors"], np.float32(z["scale"])), (z["chive"], np.float32(z["chive_scale"]))]
    rng = np.random.default_rng(7)
    for quantized, scale in sources:
        whole = quantized.astype(np.float32) * scale
        whole /= np.maximum(np.linalg.norm(whole, axis=1, keepdims=True), 1e-12)
        rows = wordvec.Rows(quantized, scale)
        order = rng.permutation(len(quantized))
        first = rows[[int(order[0]), int(order[0]), int(order[1])]]  # a repeat inside one request
        assert np.array_equal(first, whole[[order[0], order[0], order[1]]])
        start = 0
        for size in (1, 2, 17, 500, 4096):  # requests of every size, overlapping earlier ones
            chunk = order[max(0, start - 3):start + size]
            assert np.array_equal(rows[chunk], whole[chunk])
            start += size
        assert np.array_equal(rows[order[start:]], whole[order[start:]])
        assert np.array_equal(rows[np.arange(len(quantized))], whole)
        assert rows.shape == whole.shape and len(rows) == len(whole)
    assert not np.any(np.linalg.norm(whole, axis=1) > 1.0001)


def test_cosine_distances_from_one_product_are_scipys_pdist():
    from scipy.spatial.distance import pdist

    from matome.analyze.partition import cosine_distances

    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 17))
    x[5] = x[4] * 3.0  # same direction: distance 0
    x[7] = -x[6]  # opposite: distance 2
    got = cosine_distances(x)
    want = pdist(x, metric="cosine")
    assert got.shape == want.shape
    assert np.allclose(got, want, atol=1e-12)
    assert got.min() >= 0.0 and got.max() <= 2.0
