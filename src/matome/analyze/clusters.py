"""Opinion groups of comments: the pipeline that composes the stages, one module each.

1. ``near_duplicates`` — copies and near-copies point at their first occurrence; they are
   grouped once and counted with their copies.
2. Vectors — TF-IDF over Sudachi words + character n-grams, SVD (``vectors``), stacked with
   the word tables (e5 distilled, and chiVe's word2vec: ``wordvec``, weight
   ``WORDVEC_WEIGHT``): the TF-IDF part keeps exact wording, the word-table part puts
   子ども/育児/保育園 near each other as readers do. ``vector_method="e5"`` (or ``vectors=``) replaces both. Comments with no content at all
   (empty, URL-only) get label ``-1``.
3. ``partition`` — a top level of at most 12 groups (graph communities from 150 comments on),
   a finer level under it, and an explicit その他 for chatter, small groups and, in large
   threads, comments between groups.
4. ``labels`` — each group's label is the most central short clause its members wrote
   (verbatim, with the comment index and offset it comes from), unique in the digest; key
   phrases beside it.
5. ``representatives`` — comments nearer their own group than any other, backed by ▲.
6. ``layout`` — 2-D positions for the opinion map.

See ``docs/clusters.md`` for the method and the measured figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from matome.analyze import vectors as vec
from matome.analyze import wordvec
from matome.analyze.labels import OTHER_LABEL, LabelInputs, key_phrases, phrases_of, statement_labels
from matome.analyze.layout import LAYOUTS, layout
from matome.analyze.near_duplicates import has_content, near_duplicates
from matome.analyze.partition import METHODS, n_groups, order_ids, partition, residual
from matome.analyze.representatives import representatives, rival_cosines, wilson
from matome.ja.normalize import normalize
from matome.ja.tokens import content_words_of, tokenize

__all__ = ["Clustering", "OpinionGroup", "cluster", "near_duplicates", "METHODS"]

#: Weight of the word-table block against the TF-IDF block (both L2-normalized rows).
WORDVEC_WEIGHT = 2.0
#: From this many comments on, comments without any content word go to その他.
CHATTER_MIN_COMMENTS = 20
#: Characters of one comment that are analysed (a 5 MB comment is read up to here).
MAX_COMMENT_CHARS = 4_000


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
    label_index: int | None = None  # the comment the label is taken from (None: a fixed name)
    label_start: int | None = None  # character offset of the label in that comment
    other: bool = False  # the その他 group: comments that fit no opinion group

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
# the pipeline


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
    (Ward up to ``partition.WARD_MAX`` distinct comments, k-means above), ``"ward"`` or
    ``"kmeans"``. ``layout``: ``"pca"`` or ``"umap"`` (umap-learn; slow to import).

    BLAS runs on one thread inside: the same bytes on any number of cores (multi-threaded
    reductions may round differently).
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _cluster(texts, up, down, method, seed, vectors, vector_method, layout)


def _cluster(texts, up, down, method, seed, vectors, vector_method, layout_name) -> Clustering:
    if method not in METHODS:
        raise ValueError(f"unknown clustering method {method!r}: expected one of {', '.join(METHODS)}")
    if layout_name not in LAYOUTS:
        raise ValueError(f"unknown layout {layout_name!r}: expected 'pca' or 'umap'")
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
    analysed = [texts[i][:MAX_COMMENT_CHARS] for i in uniq]
    normalized = [normalize(t) for t in analysed]
    tokens = [tokenize(t) for t in normalized]
    words = [content_words_of(t) for t in tokens]
    table_rows = wordvec.embed_words(words)
    if vectors is not None:
        v_u = vec._normalize_rows(np.asarray(vectors, dtype=np.float64)[uniq])
    elif vector_method == "tfidf":
        base = vec.embed_tokens(analysed, tokens, seed=seed, words=words)
        v_u = vec._normalize_rows(np.hstack([base, WORDVEC_WEIGHT * table_rows]))
    else:
        v_u = vec.embed(analysed, method=vector_method, seed=seed)

    # comments with no content (empty, only URLs or markup) are not grouped
    grp = [k for k, i in enumerate(uniq) if has_content(texts[i])]
    dim = v_u.shape[1] if v_u.ndim == 2 else 1
    xg = v_u[grp] if grp else np.zeros((0, dim))
    weights = [1 + len(copies[uniq[k]]) for k in grp]

    # chatter (no content word at all: えーーー！, 草, ほんとそれ) is not an opinion: in a thread
    # large enough for その他 it goes there directly and does not pull groups together
    chatter = np.array([not words[k] for k in grp], dtype=bool)
    if sum(weights) < CHATTER_MIN_COMMENTS or chatter.all():
        chatter[:] = False
    rest = np.flatnonzero(~chatter)
    top_r, leaf_r, used = partition(xg[rest], method, seed)
    top_of = np.full(len(grp), -1, dtype=int)
    top_of[rest] = top_r
    leaf_of = None
    if leaf_r is not None:
        leaf_of = np.full(len(grp), -1, dtype=int)
        leaf_of[rest] = leaf_r
    other = chatter.copy()
    # rows outside their community's core come back with a negative number: その他
    core = np.flatnonzero(top_r >= 0)
    other[rest[top_r < 0]] = True
    if len(core):
        other[rest[core]] = residual(top_r[core], [weights[rest[i]] for i in core], shown=n_groups(len(rest))[0])
    keep = [p for p in range(len(grp)) if not other[p]]
    top_ids, _ = order_ids(top_of[keep], None, [weights[p] for p in keep])
    other_id = len(top_ids) if other.any() else None
    leaf_ids: dict[int, int] = {}
    if leaf_of is not None:
        # fine groups numbered after the top groups (その他 included), in the order of their parent
        parent_rank = {c: i for c, i in top_ids.items()}
        sizes: dict[int, int] = {}
        first: dict[int, int] = {}
        par: dict[int, int] = {}
        for p, f in enumerate(leaf_of.tolist()):
            sizes[f] = sizes.get(f, 0) + weights[p]
            first.setdefault(f, p)
            par.setdefault(f, other_id if other[p] else parent_rank[int(top_of[p])])
        base = len(top_ids) + (1 if other_id is not None else 0)
        for f in sorted(sizes, key=lambda f: (par[f], -sizes[f], first[f])):
            leaf_ids[f] = base + len(leaf_ids)

    top_members: dict[int, list[int]] = {}
    leaf_members: dict[int, list[int]] = {}
    parent: dict[int, int] = {}
    for p in range(len(grp)):
        t = other_id if other[p] else top_ids[int(top_of[p])]
        if not other[p]:
            top_members.setdefault(t, []).append(p)
        if leaf_of is not None:
            f = leaf_ids[int(leaf_of[p])]
            leaf_members.setdefault(f, []).append(p)
            parent[f] = t
    other_members = [p for p in range(len(grp)) if other[p]]

    # per distinct comment: votes with copies
    u_up = np.array([ups[i] + sum(ups[j] for j in copies[i]) for i in uniq], dtype=float)
    u_down = np.array([downs[i] + sum(downs[j] for j in copies[i]) for i in uniq], dtype=float)
    g_up, g_down = u_up[grp] if grp else np.zeros(0), u_down[grp] if grp else np.zeros(0)

    levels = [top_members] + ([leaf_members] if leaf_of is not None else [])
    phrase_counts = [phrases_of(tokens[k]) for k in grp]
    keys: dict[int, tuple[str, ...]] = {}
    for members in levels:
        keys.update(key_phrases(members, phrase_counts, weights))
    inputs = LabelInputs(
        texts=[texts[uniq[k]] for k in grp],
        index=[uniq[k] for k in grp],
        vectors=table_rows[grp] if grp else np.zeros((0, table_rows.shape[1])),
        words=[words[k] for k in grp],
        support=wilson(g_up, g_down),
        weights=weights,
        # a comment's tokens carry offsets into its normalized text: reusable for its clauses
        # when normalization kept every character in place (same length), else re-tokenized
        tokens=[tokens[k] if len(normalized[k]) == len(analysed[k]) else None for k in grp],
    )
    labels = statement_labels(levels, inputs, wordvec.embed_words, keys)

    groups: list[OpinionGroup] = []
    for level, members in enumerate(levels):
        ids = sorted(members)
        cents = np.vstack([_centre(xg[members[g]]) for g in ids]) if ids else np.zeros((0, dim))
        for j, g in enumerate(ids):
            pos = members[g]
            rival = rival_cosines(xg[pos], cents, j)
            topic = _on_topic(pos, keys.get(g, ()), labels[g].text, phrase_counts, inputs.words)
            reps = representatives(xg[pos], cents[j], rival, g_up[pos], g_down[pos], [inputs.texts[p] for p in pos],
                                   on_topic=topic)
            groups.append(_group(g, level, parent.get(g) if level else None, pos, grp, uniq, copies,
                                 labels[g].text, keys.get(g, ()), [pos[r] for r in reps],
                                 labels[g].index, labels[g].start))
        if level == 0 and other_id is not None:
            pos = other_members
            reps = representatives(xg[pos], _centre(xg[pos]), None, g_up[pos], g_down[pos],
                                   [inputs.texts[p] for p in pos])
            groups.append(_group(other_id, 0, None, pos, grp, uniq, copies, OTHER_LABEL, (),
                                 [pos[r] for r in reps], None, None, other=True))

    labels_all = [-1] * n
    top_all = [-1] * n
    for p, k in enumerate(grp):
        t = other_id if other[p] else top_ids[int(top_of[p])]
        leaf = leaf_ids[int(leaf_of[p])] if leaf_of is not None else t
        for j in [uniq[k], *copies[uniq[k]]]:
            top_all[j] = t
            labels_all[j] = leaf

    xy_u = layout(v_u, layout_name, seed)
    xy: list[tuple[float, float]] = [(0.0, 0.0)] * n
    for k, i in enumerate(uniq):
        for j in [i, *copies[i]]:
            xy[j] = xy_u[k]
    return Clustering(
        labels=tuple(labels_all),
        top_labels=tuple(top_all),
        groups=tuple(sorted(groups, key=lambda g: g.id)),
        xy=tuple(xy),
        duplicate_of=tuple(dup),
        method=used,
        vector_method="given" if vectors is not None else vector_method,
    )


def _on_topic(pos: list[int], keys: tuple[str, ...], label: str, phrase_counts, words) -> np.ndarray:
    """Which members name what their group is about: one of its key phrases, or a content word
    of its label."""
    label_words = set(content_words_of(tokenize(normalize(label))))
    return np.array([any(k in phrase_counts[p] for k in keys) or bool(label_words.intersection(words[p]))
                     for p in pos], dtype=bool)


def _centre(x: np.ndarray) -> np.ndarray:
    c = x.mean(axis=0) if len(x) else np.zeros(x.shape[1])
    norm = np.linalg.norm(c)
    return c / norm if norm > 0 else c


def _group(gid, level, parent, pos, grp, uniq, copies, label, keys, reps, label_index, label_start,
           other: bool = False) -> OpinionGroup:
    idx = tuple(uniq[grp[p]] for p in pos)
    dups = tuple(sorted(j for i in idx for j in copies[i]))
    return OpinionGroup(
        id=gid,
        level=level,
        parent=parent,
        members=idx,
        duplicates=dups,
        label=label,
        key_phrases=tuple(keys),
        representatives=tuple(uniq[grp[p]] for p in reps),
        label_index=label_index,
        label_start=label_start,
        other=other,
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
