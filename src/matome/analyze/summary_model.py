"""The learned sentence scorer: parameters read from a JSON table, evaluated with numpy.

The model (written by ``bench/train_summarizer.py``) is gradient-boosted regression trees,
``score = init + rate * sum(tree(X))``; each tree is four parallel arrays (``feature``,
``threshold``, ``left``, ``right``) and ``value``; a node with ``feature < 0`` is a leaf;
``X[:, f] <= threshold`` goes left.

No scikit-learn at run time: all trees are packed into one table and every sentence walks
every tree one level per numpy step (a few steps for trees of depth 4; under a millisecond
for an article).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matome.analyze.summary_features import FEATURES

MODEL_FILE = "summary_model.json"


@dataclass(frozen=True)
class Forest:
    """All trees in one table: node arrays concatenated, children as global indices."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    depth: int


@dataclass(frozen=True)
class ScorerModel:
    """A fitted scorer (see the module documentation)."""

    features: tuple[str, ...]
    init: float
    rate: float
    forest: Forest

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.shape[0] == 0:
            return np.zeros(0)
        f = self.forest
        rows = np.arange(x.shape[0])[:, None]
        node = np.broadcast_to(f.roots, (x.shape[0], len(f.roots)))
        for _ in range(f.depth):  # every sample walks every tree one level per step
            feat = f.feature[node]
            leaf = feat < 0
            go_left = x[rows, np.where(leaf, 0, feat)] <= f.threshold[node]
            node = np.where(leaf, node, np.where(go_left, f.left[node], f.right[node]))
        return self.init + self.rate * f.value[node].sum(axis=1)


def _forest(trees: list[dict]) -> Forest:
    feature, threshold, left, right, value, roots = [], [], [], [], [], []
    depth = 0
    for t in trees:
        base = len(feature)
        roots.append(base)
        n = len(t["feature"])
        if not (len(t["threshold"]) == len(t["left"]) == len(t["right"]) == len(t["value"]) == n):
            raise ValueError("a tree of the summary model has arrays of different lengths")
        feature += [int(v) for v in t["feature"]]
        threshold += [float(v) for v in t["threshold"]]
        left += [int(v) + base if int(t["feature"][i]) >= 0 else base + i for i, v in enumerate(t["left"])]
        right += [int(v) + base if int(t["feature"][i]) >= 0 else base + i for i, v in enumerate(t["right"])]
        value += [float(v) for v in t["value"]]
        # depth: longest root-to-leaf path (breadth first)
        level, frontier = 0, [0]
        while frontier:
            nxt = [c for i in frontier if int(t["feature"][i]) >= 0 for c in (int(t["left"][i]), int(t["right"][i]))]
            if nxt:
                level += 1
            frontier = nxt
        depth = max(depth, level)
    return Forest(
        np.asarray(feature, dtype=np.int64),
        np.asarray(threshold, dtype=np.float64),
        np.asarray(left, dtype=np.int64),
        np.asarray(right, dtype=np.int64),
        np.asarray(value, dtype=np.float64),
        np.asarray(roots, dtype=np.int64),
        depth,
    )


def model_from_dict(d: dict) -> ScorerModel:
    """The model described by a dict of the JSON format (raises ValueError if it does not fit)."""
    names = tuple(d.get("features", ()))
    if names != FEATURES:
        raise ValueError("the summary model was trained on other features; rebuild it with bench/train_summarizer.py")
    kind = d.get("kind")
    if kind != "trees":
        raise ValueError(f"unknown summary model kind {kind!r}")
    return ScorerModel(names, float(d["init"]), float(d["rate"]), _forest(d["trees"]))


_DEFAULT: list[ScorerModel] = []


def default_model() -> ScorerModel:
    """The model shipped in ``matome/data`` (parsed once per process)."""
    if not _DEFAULT:
        from matome.data import load_json

        _DEFAULT.append(model_from_dict(load_json(MODEL_FILE)))
    return _DEFAULT[0]
