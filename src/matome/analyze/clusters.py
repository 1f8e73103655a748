"""Opinion groups of comments: near-duplicates, groups, labels, representatives, a 2-D map.

Pure functions over lists of comment texts and their votes; see ``docs/clusters.md`` for the
method and the measured figures. In short:

1. ``near_duplicates``: copy-paste comments (same text after normalization) and near-identical
   ones (cosine of character 3-gram counts ≥ ``NEAR_DUP_COSINE``, texts of at least
   ``NEAR_DUP_MIN_CHARS`` characters) point at their first occurrence; they are grouped once
   and counted with their copies.
2. Vectors from ``matome.analyze.vectors`` (TF-IDF over Sudachi words + character n-grams,
   SVD; or e5); near-duplicates use its TF-IDF builder too. Comments with no content at
   all (empty, URL-only) get label ``-1``.
3. Groups. The number follows the number of distinct comments ``m`` and is capped by the
   number of distinct vectors: ``k_top = round(1.2 * m ** 0.4)`` (≈ 5 for 40 comments, 12 for
   337, at most ``MAX_TOP``); from ``TWO_LEVEL_MIN`` distinct comments on, a second, finer
   level of ``k_leaf = round(m ** 0.75)`` groups (at most ``MAX_LEAF``). One level: Ward
   linkage (deterministic; our own numpy ``ward`` below ``OWN_WARD_MAX`` comments, so a small
   section imports neither scipy nor scikit-learn; scipy above). Two levels: the vectors are
   centred and normalized again, fine groups come from average linkage on cosine distance
   (scipy; up to ``WARD_MAX`` comments; seeded k-means, scikit-learn, above), and top groups
   from Ward over the fine groups' centroids, so every fine group has exactly one parent.
4. Labels: c-TF-IDF over Sudachi noun phrases (``matome.ja.tokens.key_phrases_of``) and
   ``AのB`` phrases (two noun phrases joined by a lone の in the text) of each group against
   the other groups of the same level. The label is the best phrase A, or an ``AのX`` phrase
   written by several members (``除去土壌の復興再生利用``), or ``A・B`` when the next phrase is
   used by a fifth of the members (``半導体産業・TSMC``); unique within a level. Every part
   of a label is written in the members' text. Details in ``_labels`` and ``_ctfidf``.
5. Representatives: members scored ``0.6 × centrality rank + 0.4 × support rank`` (centrality:
   cosine to the group mean; support: Wilson lower bound of ▲/(▲+▼) × ln(1 + ▲), copies'
   votes included), taken from the more central half of the group first, repetitive texts
   (「反対反対反対…」) last; ties go to the earlier comment.
6. ``xy``: the first two principal components of the vectors (exact SVD, signs fixed), scaled
   to [-1, 1]; copies sit on their original.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from matome.analyze import vectors as vec
from matome.ja.normalize import normalize
from matome.ja.tokens import STOP_WORDS, Token, key_phrases_of, tokenize

METHODS = ("auto", "ward", "kmeans")

NEAR_DUP_COSINE = 0.9
NEAR_DUP_MIN_CHARS = 20
#: Ward needs a dense n×n distance matrix; above this, k-means makes the fine groups.
WARD_MAX = 5_000
#: Below this many comments, the one-level Ward clustering is our own numpy code (no scipy).
OWN_WARD_MAX = 150
#: Relative difference below which two Ward merge costs count as equal.
TIE_TOLERANCE = 1e-9
#: Distinct comments from which a second (finer) level of groups is made.
TWO_LEVEL_MIN = 150
MAX_TOP = 15
MAX_LEAF = 400
#: Representatives per group.
N_REPRESENTATIVES = 3
#: Key phrases kept per group.
N_KEY_PHRASES = 5
#: The label of a group whose members have no noun phrase at all.
NO_PHRASE_LABEL = "短い反応"
#: Phrases too generic to name an opinion.
GENERIC_PHRASES = frozenset(
    """
    意見 問題 必要 可能 可能性 今後 気持ち 本当 普通 記事 コメント 理由 結果 状況 状態 話
    ニュース 内容 部分 自体 全て 全部 一番 最初 最後 以上 以下 以外 程度 大事 大切 当然
    非常 相当 結局 事実 実際 最近 現在 昔 今日 本人 自分たち 私たち 私 僕 俺 あなた 彼 彼女
    ところ それぞれ 皆さん みなさん 方々 人たち 人間 たくさん 沢山 色々 いろいろ
    """.split()
) | STOP_WORDS


@dataclass(frozen=True)
class OpinionGroup:
    """One group of comments.

    ``members`` are indices of distinct comments (near-duplicates excluded); ``duplicates``
    are the indices of the copies of those members; ``size`` counts both. ``parent`` is the
    id of the top-level group of a fine group (``None`` for top-level groups).
    """

    id: int
    level: int  # 0: top level; 1: fine level under a parent
    parent: int | None
    members: tuple[int, ...]
    duplicates: tuple[int, ...]
    label: str
    key_phrases: tuple[str, ...]
    representatives: tuple[int, ...]  # member indices, best first

    @property
    def size(self) -> int:
        return len(self.members) + len(self.duplicates)


@dataclass(frozen=True)
class Clustering:
    """The grouping of one comment section.

    ``labels[i]`` is the finest group of comment ``i`` (a fine group in a two-level result,
    else a top group), ``top_labels[i]`` its top-level group; both are ``-1`` for comments
    with no content to group. A near-duplicate has its original's labels.
    """

    labels: tuple[int, ...]
    top_labels: tuple[int, ...]
    groups: tuple[OpinionGroup, ...]
    xy: tuple[tuple[float, float], ...]
    duplicate_of: tuple[int | None, ...]
    method: str
    vector_method: str

    @property
    def top_groups(self) -> tuple[OpinionGroup, ...]:
        return tuple(g for g in self.groups if g.level == 0)

    @property
    def two_level(self) -> bool:
        return any(g.level == 1 for g in self.groups)

    def group(self, gid: int) -> OpinionGroup:
        for g in self.groups:
            if g.id == gid:
                return g
        raise KeyError(f"no opinion group with id {gid}")

    def children(self, gid: int) -> tuple[OpinionGroup, ...]:
        return tuple(g for g in self.groups if g.parent == gid)


# --------------------------------------------------------------------------------------
# near-duplicates

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


def _has_content(text: str) -> bool:
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


# --------------------------------------------------------------------------------------
# clustering


def n_groups(m: int) -> tuple[int, int]:
    """The number of (top, fine) groups for ``m`` distinct comments (fine = top when one level)."""
    if m <= 0:
        return 0, 0
    top = max(1, min(MAX_TOP, m, round(1.2 * m**0.4)))
    if m < TWO_LEVEL_MIN:
        return top, top
    leaf = max(top, min(MAX_LEAF, round(m**0.75)))
    return top, leaf


def cluster(
    texts: Sequence[str],
    up: Sequence[int] | None = None,
    down: Sequence[int] | None = None,
    *,
    method: str = "auto",
    seed: int = 0,
    vectors: np.ndarray | None = None,
    vector_method: str = "tfidf",
    layout: str = "pca",
) -> Clustering:
    """Group ``texts`` into opinion groups (see the module documentation).

    ``up``/``down`` are the ▲/▼ counts per comment (``None``: no votes). ``vectors``, when
    given, are used instead of computing them (one row per text). ``method``: ``"auto"``
    (Ward up to ``WARD_MAX`` distinct comments, k-means above), ``"ward"`` or ``"kmeans"``.
    ``layout``: ``"pca"`` or ``"umap"`` (umap-learn; slow to import).

    BLAS runs on one thread inside: the same bytes on any number of cores (multi-threaded
    reductions may round differently), and on a shared 2-core machine it used ~5 s of CPU for
    4,024 comments instead of 7–12 s.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _cluster(texts, up, down, method, seed, vectors, vector_method, layout)


def _cluster(texts, up, down, method, seed, vectors, vector_method, layout) -> Clustering:
    if method not in METHODS:
        raise ValueError(
            f"unknown clustering method {method!r}: expected one of {', '.join(METHODS)}"
        )
    if layout not in ("pca", "umap"):
        raise ValueError(f"unknown layout {layout!r}: expected 'pca' or 'umap'")
    texts = [t if isinstance(t, str) else "" for t in texts]
    n = len(texts)
    ups = _votes(up, n, "up")
    downs = _votes(down, n, "down")
    if vectors is not None and len(vectors) != n:
        raise ValueError(f"vectors has {len(vectors)} rows for {n} texts")

    dup = near_duplicates(texts)
    uniq = [i for i in range(n) if dup[i] is None]
    copies: dict[int, list[int]] = {i: [] for i in uniq}
    for j, d in enumerate(dup):
        if d is not None:
            copies[d].append(j)
    tokens = [tokenize(normalize(texts[i])) for i in uniq]
    if vectors is None:
        if vector_method == "tfidf":
            v_u = vec.embed_tokens([texts[i] for i in uniq], tokens, seed=seed)
        else:
            v_u = vec.embed([texts[i] for i in uniq], method=vector_method, seed=seed)
    else:
        v_u = np.asarray(vectors, dtype=np.float64)[uniq]
        v_u = vec._normalize_rows(v_u)

    # comments with no content (empty, only URLs or markup) are not grouped
    grp = [k for k, i in enumerate(uniq) if _has_content(texts[i])]
    xg = v_u[grp] if grp else np.zeros((0, v_u.shape[1] if v_u.ndim == 2 else 1))

    top_of, leaf_of, used = _partition(xg, method, seed)

    # per distinct comment: votes with copies
    u_up = np.array([ups[i] + sum(ups[j] for j in copies[i]) for i in uniq], dtype=float)
    u_down = np.array([downs[i] + sum(downs[j] for j in copies[i]) for i in uniq], dtype=float)

    groups: list[OpinionGroup] = []
    top_ids, leaf_ids = _order_ids(top_of, leaf_of, [1 + len(copies[uniq[k]]) for k in grp])
    # top level
    top_members = _members(top_of, top_ids)
    leaf_members = _members(leaf_of, leaf_ids) if leaf_of is not None else {}
    phrase_sets = [_phrases_of(normalize(texts[uniq[k]]), tokens[k]) for k in grp]
    weights = [1 + len(copies[uniq[k]]) for k in grp]
    levels = [(0, top_members, None)]
    if leaf_of is not None:
        parent = {leaf_ids[leaf_of[p]]: top_ids[top_of[p]] for p in range(len(grp))}
        levels.append((1, leaf_members, parent))
    for level, members, parent in levels:
        labels, phrases = _labels(members, phrase_sets, weights)
        for gid in sorted(members):
            pos = members[gid]
            idx = tuple(uniq[grp[p]] for p in pos)
            dups = tuple(sorted(j for i in idx for j in copies[i]))
            reps = _representatives(
                xg[pos],
                u_up[[grp[p] for p in pos]],
                u_down[[grp[p] for p in pos]],
                [texts[i] for i in idx],
            )
            groups.append(
                OpinionGroup(
                    id=gid,
                    level=level,
                    parent=None if parent is None else parent[gid],
                    members=idx,
                    duplicates=dups,
                    label=labels[gid],
                    key_phrases=phrases[gid],
                    representatives=tuple(idx[r] for r in reps),
                )
            )

    labels_all = [-1] * n
    top_all = [-1] * n
    for p, k in enumerate(grp):
        i = uniq[k]
        t = top_ids[top_of[p]]
        leaf = leaf_ids[leaf_of[p]] if leaf_of is not None else t
        for j in [i, *copies[i]]:
            top_all[j] = t
            labels_all[j] = leaf

    xy_u = _layout(v_u, layout, seed)
    xy: list[tuple[float, float]] = [(0.0, 0.0)] * n
    for k, i in enumerate(uniq):
        for j in [i, *copies[i]]:
            xy[j] = xy_u[k]
    return Clustering(
        labels=tuple(labels_all),
        top_labels=tuple(top_all),
        groups=tuple(groups),
        xy=tuple(xy),
        duplicate_of=tuple(dup),
        method=used,
        vector_method="given" if vectors is not None else vector_method,
    )


def _votes(values: Sequence[int] | None, n: int, name: str) -> list[int]:
    if values is None:
        return [0] * n
    values = list(values)
    if len(values) != n:
        raise ValueError(f"{name} has {len(values)} vote counts for {n} texts")
    out = []
    for i, v in enumerate(values):
        v = 0 if v is None else int(v)
        if v < 0:
            raise ValueError(f"{name}[{i}] is negative: {v}")
        out.append(v)
    return out


def _partition(x: np.ndarray, method: str, seed: int) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Top-level and (when two-level) fine-level cluster numbers for the rows of ``x``."""
    m = x.shape[0]
    if m == 0:
        return np.zeros(0, dtype=int), None, "none"
    distinct = len({row.tobytes() for row in np.round(x, 6)})
    top, leaf = n_groups(m)
    top = min(top, distinct)
    leaf = min(leaf, distinct)
    two = leaf > top
    if m == 1 or distinct == 1:
        return np.zeros(m, dtype=int), (np.zeros(m, dtype=int) if two else None), "none"
    use_kmeans = method == "kmeans" or (method == "auto" and m > WARD_MAX)
    if not two:
        if use_kmeans:
            from sklearn.cluster import KMeans

            km = KMeans(n_clusters=top, n_init=1, random_state=seed, max_iter=100)
            return km.fit_predict(x), None, "kmeans"
        if m < OWN_WARD_MAX:  # no scipy import for a small comment section
            return ward(x, top), None, "ward"
        from scipy.cluster.hierarchy import fcluster, linkage

        return fcluster(linkage(x, method="ward"), top, criterion="maxclust") - 1, None, "ward"
    from scipy.cluster.hierarchy import fcluster, linkage

    # centre, then normalize again: cosine (unlike Ward) is not translation-invariant, and what
    # all comments share (the article's topic; e5's common direction) says nothing about
    # opinions. On pubcom this lifts e5 from ARI .05 to .21 and TF-IDF from .20 to .21.
    x = vec._normalize_rows(x - x.mean(axis=0))
    if use_kmeans:
        from sklearn.cluster import KMeans

        km = KMeans(n_clusters=leaf, n_init=1, random_state=seed, max_iter=100)
        fine = km.fit_predict(x)
        used = "kmeans+ward"
    else:
        # average linkage on cosine distance: fine groups of natural, uneven sizes
        z = linkage(x, method="average", metric="cosine")
        fine = fcluster(z, leaf, criterion="maxclust") - 1
        used = "average+ward"
    present = np.unique(fine)
    cents = np.vstack([x[fine == c].mean(axis=0) for c in present])
    cents = vec._normalize_rows(cents)
    if len(present) <= top:
        cut = np.arange(len(present))
    else:
        cut = fcluster(linkage(cents, method="ward"), top, criterion="maxclust") - 1
    to_top = dict(zip(present.tolist(), cut.tolist()))
    return np.array([to_top[c] for c in fine.tolist()]), fine, used


def ward(x: np.ndarray, k: int) -> np.ndarray:
    """Ward's agglomerative clustering of the rows of ``x`` stopped at ``k`` clusters; cluster
    numbers ``0..k-1`` in the order of their first row.

    Lance–Williams updates on squared Euclidean distances; each step merges the pair with the
    smallest increase of the within-group sum of squares, ties (within ``TIE_TOLERANCE``) to
    the lowest pair of row numbers. The partition equals scipy's ``fcluster(linkage(x, "ward"), k, "maxclust")``
    when no two merges tie (tested); O(m³) time and O(m²) memory, so it serves small inputs
    (``OWN_WARD_MAX``), where importing scipy would cost more than the clustering.
    """
    x = np.asarray(x, dtype=np.float64)
    m = x.shape[0]
    k = max(1, min(k, m))
    d = ((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(d, np.inf)
    size = np.ones(m)
    owner = np.arange(m)  # the cluster (its lowest original row) each row belongs to
    for _ in range(m - k):
        # the first pair in row-major order (so i < j) within rounding noise of the minimum:
        # equal merge costs (templated or repeated comments) must not be decided by the last
        # bits of a float, which depend on how the vectors were computed
        best = d.min()
        i, j = divmod(int(np.flatnonzero(d <= best + TIE_TOLERANCE * (1.0 + best))[0]), m)
        si, sj = size[i], size[j]
        dij = d[i, j]
        merged = ((size + si) * d[i] + (size + sj) * d[j] - size * dij) / (size + si + sj)
        d[i, :] = merged
        d[:, i] = merged
        d[j, :] = np.inf
        d[:, j] = np.inf
        d[i, i] = np.inf
        size[i] = si + sj
        owner[owner == j] = i
    _, first, inverse = np.unique(owner, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse.ravel()]


def _order_ids(
    top_of: np.ndarray, leaf_of: np.ndarray | None, weights: list[int]
) -> tuple[dict[int, int], dict[int, int]]:
    """Stable ids: top groups 0.. by size (with copies) desc, then first member; fine groups
    numbered after them, in the order of their parent, then size, then first member."""

    def order(lab: np.ndarray) -> list[int]:
        size: Counter[int] = Counter()
        first: dict[int, int] = {}
        for p, c in enumerate(lab.tolist()):
            size[c] += weights[p]
            first.setdefault(c, p)
        return sorted(size, key=lambda c: (-size[c], first[c]))

    top_ids = {c: i for i, c in enumerate(order(top_of))}
    leaf_ids: dict[int, int] = {}
    if leaf_of is not None:
        parent_of = {}
        for p, c in enumerate(leaf_of.tolist()):
            parent_of.setdefault(c, top_ids[int(top_of[p])])
        ranked = order(leaf_of)
        rank = {c: r for r, c in enumerate(ranked)}
        for c in sorted(ranked, key=lambda c: (parent_of[c], rank[c])):
            leaf_ids[c] = len(top_ids) + len(leaf_ids)
    return top_ids, leaf_ids


def _members(lab: np.ndarray, ids: dict[int, int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for p, c in enumerate(lab.tolist()):
        out.setdefault(ids[c], []).append(p)
    return out


# --------------------------------------------------------------------------------------
# labels


def _usable(phrase: str) -> bool:
    if len(phrase) < 2 or phrase in GENERIC_PHRASES:
        return False
    if _URL_RE.search(phrase) or phrase.startswith(("http", "www")):
        return False
    if phrase.isascii():
        # Latin letters only as acronyms (AI, TSMC, IAEA): no English words, no units (kg, mSv)
        return phrase.isupper() and any(ch.isalpha() for ch in phrase)
    return any(unicodedata.category(ch)[0] in "LN" for ch in phrase)


@dataclass(frozen=True)
class _Phrases:
    """The noun phrases of one comment and its ``AのB`` phrases (both as written)."""

    nouns: Counter[str]
    linked: Counter[str]


def _phrases_of(text: str, tokens: list[Token]) -> _Phrases:
    """Noun phrases of a comment (``text`` is the normalized text the tokens come from), and
    each pair of noun phrases joined by a lone の in the text (``除去土壌の再生利用``)."""
    found = key_phrases_of(tokens)
    nouns: Counter[str] = Counter()
    linked: Counter[str] = Counter()
    cursor = 0
    prev: tuple[str, int] | None = None
    for ph in found:
        at = text.find(ph, cursor)
        if at < 0:
            prev = None
            continue
        ok = _usable(ph)
        if ok:
            nouns[ph] += 1
        if prev is not None and ok and text[prev[1] : at] == "の":
            joined = text[at - len(prev[0]) - 1 : at + len(ph)]
            if len(joined) <= LABEL_MAX_CHARS:
                linked[joined] += 1
        prev = (ph, at + len(ph)) if ok else None
        cursor = at + len(ph)
    return _Phrases(nouns, linked)


#: The longest label made of two phrases.
LABEL_MAX_CHARS = 16
#: A second phrase joins the label only when at least this share of the members use it.
SECOND_PHRASE_SHARE = 0.2


def _ctfidf(
    members: dict[int, list[int]], counts: list[Counter[str]], weights: list[int]
) -> tuple[dict[int, dict[str, float]], dict[int, Counter[str]]]:
    """c-TF-IDF score of each phrase in each group, and in how many members it occurs.

    score = (count in group / phrases in group) × log(1 + mean phrases per group / count in
    all groups) × (0.5 + share of members using it) × (0.6 + 0.1 × min(length, 4)); a phrase
    used by one member of a group of three or more is scored × 0.3 (a label should be shared,
    not one comment's word)."""
    tf: dict[int, Counter[str]] = {}
    df: dict[int, Counter[str]] = {}
    for gid, pos in members.items():
        t: Counter[str] = Counter()
        d: Counter[str] = Counter()
        for p in pos:
            for ph, c in counts[p].items():
                t[ph] += c * weights[p]
                d[ph] += weights[p]
        tf[gid], df[gid] = t, d
    total: Counter[str] = Counter()
    for t in tf.values():
        total.update(t)
    avg = (sum(total.values()) / max(1, len(members))) or 1.0
    out: dict[int, dict[str, float]] = {}
    for gid, t in tf.items():
        size = sum(weights[p] for p in members[gid])
        words = sum(t.values()) or 1
        sc = {}
        for ph, c in t.items():
            score = (c / words) * math.log(1 + avg / total[ph]) * (0.5 + df[gid][ph] / size)
            score *= 0.6 + 0.1 * min(len(ph), 4)  # 半導体産業 names more than 産業
            if size >= 3 and df[gid][ph] < 2:
                score *= 0.3
            sc[ph] = score
        out[gid] = sc
    return out, df


def _labels(
    members: dict[int, list[int]], phrases: list[_Phrases], weights: list[int]
) -> tuple[dict[int, str], dict[int, tuple[str, ...]]]:
    """Key phrases (c-TF-IDF over noun phrases) and a label per group of one level.

    The label is the best phrase A; when a phrase ``AのX``/``XのA`` written in the members'
    text is used by at least two members (and a fifth of the group), that phrase; else, when
    the next best phrase B is used by ``SECOND_PHRASE_SHARE`` of the members, ``A・B``; else
    A. Labels are unique within a level (larger groups choose first)."""
    noun_sc, noun_df = _ctfidf(members, [p.nouns for p in phrases], weights)
    link_sc, link_df = _ctfidf(members, [p.linked for p in phrases], weights)
    labels: dict[int, str] = {}
    keys: dict[int, tuple[str, ...]] = {}
    used: set[str] = set()
    for gid in sorted(members, key=lambda g: (-sum(weights[p] for p in members[g]), g)):
        size = sum(weights[p] for p in members[gid])
        sc = noun_sc[gid]
        ranked = sorted(sc, key=lambda ph: (-sc[ph], -len(ph), ph))[:40]
        ranked = _drop_overlaps(ranked)
        keys[gid] = tuple(ranked[:N_KEY_PHRASES])
        candidates: list[str] = []
        if ranked:
            a = ranked[0]
            lsc, ldf = link_sc[gid], link_df[gid]
            linked = [
                ph
                for ph in sorted(lsc, key=lambda ph: (-lsc[ph], len(ph), ph))
                if a in ph and ldf[ph] >= max(2, 0.2 * size)
            ]
            candidates += linked[:2]
            for b in ranked[1:3]:
                shared = noun_df[gid][b] >= SECOND_PHRASE_SHARE * size
                if shared and len(a) + len(b) < LABEL_MAX_CHARS:
                    candidates.append(f"{a}・{b}")
            candidates.append(a)
            candidates += [f"{a}・{b}" for b in ranked[1:6] if len(a) + len(b) < LABEL_MAX_CHARS]
        base = candidates[0] if candidates else NO_PHRASE_LABEL
        label = next((c for c in candidates if c not in used), None)
        n = 2
        while label is None or label in used:
            label = f"{base}（{n}）"
            n += 1
        labels[gid] = label
        used.add(label)
    return labels, keys


def _drop_overlaps(ranked: list[str]) -> list[str]:
    """Drop a phrase that contains, or is contained in, a better-ranked one."""
    out: list[str] = []
    for ph in ranked:
        if any(ph in q or q in ph for q in out):
            continue
        out.append(ph)
    return out


# --------------------------------------------------------------------------------------
# representatives and layout


def _wilson(up: np.ndarray, down: np.ndarray, z: float = 1.96) -> np.ndarray:
    n = up + down
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 0, up / np.maximum(n, 1), 0.0)
        centre = p + z * z / (2 * np.maximum(n, 1))
        margin = z * np.sqrt(p * (1 - p) / np.maximum(n, 1) + z * z / (4 * np.maximum(n, 1) ** 2))
        lower = (centre - margin) / (1 + z * z / np.maximum(n, 1))
    return np.where(n > 0, lower, 0.0)


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks in [0, 1] (ties share the mean rank); all 0.5 when there is one value."""
    values = np.asarray(values)
    n = len(values)
    if n <= 1:
        return np.full(n, 0.5)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], n]
    tie_group = np.repeat(np.arange(len(starts)), ends - starts)
    ranks = np.empty(n)
    ranks[order] = ((starts + ends - 1) / 2.0)[tie_group]  # mean 0-based rank of each tie
    return ranks / (n - 1)


def _repetitive(text: str) -> bool:
    """A long text made of few distinct characters (反対反対反対…, ああああ…)."""
    text = "".join(text.split())
    return len(text) >= 12 and len(set(text)) / len(text) < 0.2


def _representatives(
    x: np.ndarray, up: np.ndarray, down: np.ndarray, texts: list[str] | None = None
) -> list[int]:
    """Positions (within the group) of the representatives, best first: repetitive texts
    last, then the more central half, then by score."""
    k = len(x)
    if k == 0:
        return []
    centre = x.mean(axis=0)
    norm = np.linalg.norm(centre)
    central = x @ (centre / norm) if norm > 0 else np.zeros(k)
    support = _wilson(up, down) * np.log1p(up)
    score = 0.6 * _ranks(central) + 0.4 * _ranks(support)
    cutoff = np.median(central)
    rep = [_repetitive(t) for t in texts] if texts is not None else [False] * k
    order = sorted(range(k), key=lambda p: (rep[p], central[p] < cutoff - 1e-12, -score[p], p))
    return order[: min(N_REPRESENTATIVES, k)]


def _layout(x: np.ndarray, layout: str, seed: int) -> list[tuple[float, float]]:
    m = x.shape[0]
    if m == 0:
        return []
    if m < 3:
        return [(0.0, 0.0)] * m if m == 1 else [(-1.0, 0.0), (1.0, 0.0)]
    if layout == "umap" and m >= 10:
        import umap

        pts = umap.UMAP(
            n_components=2, n_neighbors=min(15, m - 1), metric="cosine", random_state=seed
        ).fit_transform(x)
    else:
        centred = x - x.mean(axis=0)
        u, s, vt = np.linalg.svd(centred, full_matrices=False)
        pts = u[:, :2] * s[:2]
        if pts.shape[1] < 2:
            pts = np.hstack([pts, np.zeros((m, 2 - pts.shape[1]))])
        # fix the sign: the largest loading of each component is positive
        for c in range(min(2, vt.shape[0])):
            if vt[c, np.argmax(np.abs(vt[c]))] < 0:
                pts[:, c] = -pts[:, c]
    pts = np.asarray(pts, dtype=np.float64)
    span = np.abs(pts).max(axis=0)
    span[span == 0] = 1.0
    pts = pts / span
    return [(round(float(a), 4) + 0.0, round(float(b), 4) + 0.0) for a, b in pts]
