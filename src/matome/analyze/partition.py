"""Partition comment vectors into opinion groups: a top level a reader can hold, a finer level
under it, and the comments that fit no group.

* How many: for ``m`` distinct comments, ``k_top = clamp(round(1.2 · m^0.4), 1, MAX_TOP)``
  top groups and, from ``TWO_LEVEL_MIN`` comments on, ``k_fine = min(MAX_LEAF, round(m^0.75))``
  fine groups; both capped by the number of distinct vectors.
* One level (m < ``TWO_LEVEL_MIN``): Ward linkage cut into ``k_top`` groups (our own numpy
  ``ward`` below ``OWN_WARD_MAX`` rows, so a small section imports no scipy).
* Two levels: the rows are centred and normalized again (what all comments share says nothing
  about opinions), fine groups come from average linkage on cosine distance (up to
  ``WARD_MAX`` rows). Below ``GRAPH_MIN_COMMENTS`` rows the candidate top groups are a
  coarser cut of the same tree (``TOP_CUT_SHARE`` of ``k_fine`` groups: tight groups, the
  fine ones nested in them). From ``GRAPH_MIN_COMMENTS`` rows on they are the Louvain
  communities of the shared-nearest-neighbour graph (``communities``), and a row outside its
  community's core (``core_rows``) comes back with a negative number and goes to その他; a
  fine group cut by a community or core boundary is split, so every fine group has exactly
  one parent. Above ``WARD_MAX`` rows, seeded k-means makes the fine groups and Ward over
  their centroids up to ``n_candidates`` candidates.
* その他 (``residual``): candidates too small to read as an opinion (smaller than
  ``MIN_TOP_SIZE`` and than ``MIN_TOP_SHARE`` of the comments) and those beyond the ``k_top``
  largest are set aside in one explicit group instead of being forced into another; their
  fine groups stay, under その他. Broad groups made by merging everything into ``k_top`` were
  not recognisable to readers on a 4,000-comment thread (bench/reading.py); tighter groups
  with an honest その他 were.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from matome.analyze import vectors as vec

METHODS = ("auto", "ward", "kmeans")
#: Ward needs a dense n×n distance matrix; above this, k-means makes the fine groups.
WARD_MAX = 5_000
#: Below this many comments, the one-level Ward clustering is our own numpy code (no scipy).
OWN_WARD_MAX = 150
#: Relative difference below which two Ward merge costs count as equal.
TIE_TOLERANCE = 1e-9
#: Distinct comments from which a second (finer) level of groups is made.
TWO_LEVEL_MIN = 150
MAX_TOP = 12
#: Neighbours per comment in the graph whose communities are the candidate top groups, and the
#: Louvain resolution (higher: more, smaller communities; 1 and 2 gave groups too broad for
#: readers to tell apart, 4 left 80 % of a 4,000-comment thread in その他).
KNN = 10
LOUVAIN_RESOLUTION = 3.0
#: Below this many comments the candidate top groups are a coarser cut (``TOP_CUT_SHARE`` of
#: ``k_fine`` groups) of the fine groups' average-linkage tree. On the 337-comment pubcom set
#: and the 207-comment Yahoo! thread those groups are tighter than the Louvain communities (mean
#: e5 cosine inside a group minus across groups, 8 largest: .24 vs .14 and .11 vs .06) and the
#: fine level matches the ministry's grouping better (AMI .33 vs .30); on a 4,000-comment chat
#: thread the communities' cores were what readers recognised (bench/results/reading.md).
GRAPH_MIN_COMMENTS = 1_000
TOP_CUT_SHARE = 0.6
#: A comment whose own community holds less than ``CORE_SHARE`` of its nearest neighbours sits
#: between groups and goes to その他 (on the 4,024-comment chat thread readers then picked the
#: odd comment out at 81 % instead of 62 %).
CORE_SHARE = 0.3
#: In two-level k-means results at most this many times ``k_top`` candidate groups are made.
CANDIDATE_FACTOR = 3
MAX_LEAF = 400
#: A top group smaller than both of these goes to その他 (when there are enough comments).
MIN_TOP_SHARE = 0.02
MIN_TOP_SIZE = 4


def n_groups(m: int) -> tuple[int, int]:
    """The number of (top, fine) groups for ``m`` distinct comments (fine = top when one level)."""
    if m <= 0:
        return 0, 0
    top = max(1, min(MAX_TOP, m, round(1.2 * m**0.4)))
    if m < TWO_LEVEL_MIN:
        return top, top
    leaf = max(top, min(MAX_LEAF, round(m**0.75)))
    return top, leaf


def n_candidates(m: int, top: int) -> int:
    """Candidate groups made in a two-level result: ``clamp(round(√m), top, CANDIDATE_FACTOR ×
    top)`` (18 for 337 comments, 36 for 4,000 with 12 shown)."""
    return max(top, min(CANDIDATE_FACTOR * top, round(m**0.5)))


def partition(x: np.ndarray, method: str, seed: int) -> tuple[np.ndarray, np.ndarray | None, str]:
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
        z = linkage(cosine_distances(x), method="average")
        fine = fcluster(z, leaf, criterion="maxclust") - 1
        if m < GRAPH_MIN_COMMENTS:
            # a coarser cut of the same tree: tight candidate groups, the fine ones nested in them
            cut = max(top, min(leaf, round(TOP_CUT_SHARE * leaf)))
            return fcluster(z, cut, criterion="maxclust") - 1, fine, "average"
    if use_kmeans:
        present = np.unique(fine)
        cents = vec._normalize_rows(np.vstack([x[fine == c].mean(axis=0) for c in present]))
        # Ward over the fine centroids into more candidate groups than are shown: the ``top``
        # largest of them are the opinions a reader sees, the rest go to その他 (``residual``)
        mid = n_candidates(m, top)
        if len(present) <= mid:
            cut = np.arange(len(present))
        else:
            cut = fcluster(linkage(cents, method="ward"), mid, criterion="maxclust") - 1
        to_top = dict(zip(present.tolist(), cut.tolist()))
        return np.array([to_top[c] for c in fine.tolist()]), fine, used
    # candidate top groups: communities of the shared-nearest-neighbour graph (Louvain); a fine
    # group that a community boundary cuts becomes one fine group on each side
    comm, nbr = communities(x, KNN, LOUVAIN_RESOLUTION, seed)
    core = core_rows(comm, nbr, CORE_SHARE)
    # a comment outside its community's core is marked by a negative community number
    # (``-1 - community``): it goes to その他 (``clusters``), with a fine group of its own side
    comm = np.where(core, comm, -1 - comm)
    pair = fine.astype(np.int64) * (2 * int(np.abs(comm).max()) + 3) + comm + int(np.abs(comm).max()) + 1
    _, fine = np.unique(pair, return_inverse=True)
    return comm, fine.ravel(), "average+louvain"


def cosine_distances(x: np.ndarray) -> np.ndarray:
    """The condensed cosine distances of the rows of ``x`` (as ``scipy.spatial.distance.pdist``
    with ``metric="cosine"`` gives them), from one matrix product instead of pair by pair:
    3–4× faster on 4,000 rows of 356 dimensions."""
    norms = np.linalg.norm(x, axis=1)
    unit = x / np.where(norms > 0, norms, 1.0)[:, None]
    from scipy.spatial.distance import squareform

    d = unit @ unit.T
    np.subtract(1.0, d, out=d)
    np.clip(d, 0.0, 2.0, out=d)
    np.fill_diagonal(d, 0.0)
    return squareform(d, checks=False)


def communities(x: np.ndarray, k: int, resolution: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Louvain communities of the k-nearest-neighbour graph of the rows of ``x`` (cosine),
    edges weighted by the share of neighbours two rows have in common (shared nearest
    neighbours), numbered by size (largest first; ties by first row), and each row's
    neighbours (``(m, k)``). Seeded: deterministic.

    A neighbourhood graph keeps what is locally alike together, as UMAP + HDBSCAN do in
    BERTopic, at a fraction of the cost; on a 4,000-comment chat thread readers could tell
    these groups apart where Ward's merged groups were too broad."""
    import networkx as nx

    m = len(x)
    k = max(1, min(k, m - 1))
    nbr = np.empty((m, k), dtype=np.int64)
    for start in range(0, m, 1024):
        sims = x[start : start + 1024] @ x.T
        rows = np.arange(sims.shape[0])
        sims[rows, rows + start] = -np.inf
        # the k most similar rows, ties to the lower row number: a partial selection of a few
        # more than k, then a stable sort of those
        take = min(m - 1, k + 8)
        part = np.argpartition(-sims, take - 1, axis=1)[:, :take]
        part.sort(axis=1)
        vals = np.take_along_axis(sims, part, axis=1)
        order = np.argsort(-vals, axis=1, kind="stable")[:, :k]
        nbr[start : start + len(rows)] = np.take_along_axis(part, order, axis=1)
    sets = [set(r.tolist()) for r in nbr]
    g = nx.Graph()
    g.add_nodes_from(range(m))
    for i in range(m):
        for j in nbr[i].tolist():
            w = len(sets[i] & sets[j]) / k
            if w <= 0:
                continue
            if g.has_edge(i, j):
                g[i][j]["weight"] += w
            else:
                g.add_edge(i, j, weight=w)
    found = nx.community.louvain_communities(g, weight="weight", resolution=resolution, seed=seed)
    out = np.empty(m, dtype=np.int64)
    for c, members in enumerate(sorted(found, key=lambda s: (-len(s), min(s)))):
        out[list(members)] = c
    return out, nbr


def core_rows(labels: np.ndarray, nbr: np.ndarray, share: float) -> np.ndarray:
    """Rows whose own community holds at least ``share`` of their nearest neighbours: the
    dense core of each community (as HDBSCAN keeps cores and leaves the rest as noise)."""
    same = (labels[nbr] == labels[:, None]).mean(axis=1)
    return same >= share


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


def order_ids(
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


def residual(top_of: np.ndarray, weights: list[int], shown: int | None = None) -> np.ndarray:
    """Which rows go to その他: the members of candidate groups too small to stand for an
    opinion, and of those beyond the ``shown`` largest. Never every row."""
    m = len(top_of)
    out = np.zeros(m, dtype=bool)
    total = sum(weights)
    if m == 0 or total < 20:
        return out
    size: Counter[int] = Counter()
    for p, c in enumerate(top_of.tolist()):
        size[c] += weights[p]
    floor = max(MIN_TOP_SIZE, MIN_TOP_SHARE * total)
    small = {c for c, s in size.items() if s < floor}
    if shown is not None and len(size) > shown:
        # candidate groups beyond the ``shown`` largest (ties: the earlier first row)
        first: dict[int, int] = {}
        for p, c in enumerate(top_of.tolist()):
            first.setdefault(c, p)
        ranked = sorted(size, key=lambda c: (-size[c], first[c]))
        small |= set(ranked[shown:])
    if len(small) < len(size):
        out |= np.isin(top_of, list(small))
    if out.all():
        return np.zeros(m, dtype=bool)
    return out

