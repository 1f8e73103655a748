"""Train the summary's sentence scorer on livedoor dev and write src/matome/data/summary_model.json.

Data: ../shared/eval/livedoor_3line/dev.jsonl (1,500 articles with the editor's 3-line
summary), read in place, never copied.

Each eligible candidate sentence of an article (``matome.analyze.summarize.prepare``) gets
the features of ``matome.analyze.summary_features`` and a target derived from the reference:
the share of the sentence's character bigrams found in the reference summary (clipped
counts, NFKC, punctuation and white space removed): how much of the sentence a human summary
keeps, per character, which is what a character budget rewards. The model is scikit-learn's
HistGradientBoostingRegressor (squared error, no early stopping, fixed seed) exported as a tree
table that matome
evaluates with numpy; scikit-learn is not needed at run time.

Cross-validation: 5 folds by article (fold = crc32(id) mod 5). For each fold the model is
trained on the other four and the held-out articles are summarized with the reference's
length as the character budget; the printed figure is char ROUGE-L F1 of matome against
Lead cut to the same number of characters (the figure of bench/summarize.py).

Rebuild (byte for byte): .venv/bin/python bench/train_summarizer.py
Cross-validate only:      .venv/bin/python bench/train_summarizer.py --cv --no-write
Over 3 fold partitions:   .venv/bin/python bench/train_summarizer.py --cv --partitions 3 --no-write
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _data import jsonl, require_eval  # noqa: E402
from _rouge import char_units, rouge_l  # noqa: E402

from matome.analyze import summarize as S  # noqa: E402
from matome.analyze.summary_features import FEATURES  # noqa: E402
from matome.analyze.summary_model import MODEL_FILE, model_from_dict  # noqa: E402

OUT = ROOT / "src" / "matome" / "data" / MODEL_FILE
FOLDS = 5
SEED = 14
PARAMS = dict(max_iter=200, max_depth=4, learning_rate=0.05, min_samples_leaf=40)


def fold_of(key: str, partition: int = 0) -> int:
    """The article's fold: crc32 of its id (partition 0, the benchmark's folds), or of the id
    with ``#<partition>`` appended (other partitions of the same articles into 5 folds, to
    see how much a figure owes to one particular split)."""
    salted = key if partition == 0 else f"{key}#{partition}"
    return zlib.crc32(salted.encode("utf-8")) % FOLDS


def _bigrams(units: list[str]) -> Counter:
    return Counter(zip(units, units[1:]))


def target(text: str, ref_bigrams: Counter) -> float:
    """Share of the sentence's character bigrams that the reference contains (clipped)."""
    b = _bigrams(char_units(text))
    total = sum(b.values())
    if not total:
        return 0.0
    return sum((b & ref_bigrams).values()) / total


class Article:
    """One dev article prepared for training and cross-validated evaluation."""

    def __init__(self, key: str, text: str, reference: str):
        self.key = key
        self.reference = reference
        self.paragraphs = S.text_paragraphs(text)
        self.cands = S.prepare(self.paragraphs)
        self.x, self.sim, self.idx, self.feats = S.features(self.cands)
        rb = _bigrams(char_units(reference))
        self.y = np.array([target(self.cands[i].text, rb) for i in self.idx])


def load(limit: int | None = None) -> list[Article]:
    rows = jsonl(require_eval() / "livedoor_3line" / "dev.jsonl")
    if limit:
        rows = rows[:limit]
    return [Article(str(r["id"]), r["article"], r["summary"]) for r in rows]


def fit(arts: list[Article]) -> dict:
    """The model (JSON form) fitted on ``arts``."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    x = np.vstack([a.feats for a in arts if len(a.idx)])
    y = np.concatenate([a.y for a in arts if len(a.idx)])
    gb = HistGradientBoostingRegressor(early_stopping=False, random_state=SEED, **PARAMS).fit(x, y)
    trees = []
    for (predictor,) in gb._predictors:
        nodes = predictor.nodes
        leaf = nodes["is_leaf"].astype(bool)
        trees.append(
            {
                "feature": [-1 if lf else int(f) for lf, f in zip(leaf, nodes["feature_idx"])],
                "threshold": [0.0 if lf else _num(t) for lf, t in zip(leaf, nodes["num_threshold"])],
                "left": [int(v) for v in nodes["left"]],
                "right": [int(v) for v in nodes["right"]],
                "value": [_num(v) if lf else 0.0 for lf, v in zip(leaf, nodes["value"])],
            }
        )
    return {
        "kind": "trees",
        "about": "matome summary sentence scorer; rebuild with bench/train_summarizer.py",
        "features": list(FEATURES),
        "params": {**PARAMS, "seed": SEED, "folds": FOLDS},
        "init": _num(np.ravel(gb._baseline_prediction)[0]),
        "rate": 1.0,
        "trees": trees,
    }


def _num(v: float) -> float:
    return float(v)  # shortest repr that reads back exactly: thresholds must not move


def summary_text(a: Article, model, budget: int) -> str:
    scores = np.full(len(a.cands), -np.inf)
    if len(a.idx):
        scores[a.idx] = model.predict(a.feats)
    picked = S.choose(a.cands, scores, a.sim, max_sentences=None, max_chars=budget)
    return "".join(S.shown(c).text for c in picked)


def lead_text(a: Article, n_chars: int) -> str:
    plain = S.candidates(a.paragraphs, trim=False, headings=False, shorten=False)
    return "".join(c.text for c in plain)[:n_chars]


def cross_validate(arts: list[Article], partition: int = 0) -> dict[str, float]:
    by_fold = [[a for a in arts if fold_of(a.key, partition) == k] for k in range(FOLDS)]
    ours, lead = [], []
    for k in range(FOLDS):
        train = [a for j in range(FOLDS) if j != k for a in by_fold[j]]
        model = model_from_dict(fit(train))
        for a in by_fold[k]:
            text = summary_text(a, model, len(a.reference))
            ref = char_units(a.reference)
            ours.append(rouge_l(char_units(text), ref))
            lead.append(rouge_l(char_units(lead_text(a, len(text))), ref))
    return {"matome": 100 * statistics.fmean(ours), "lead_equal": 100 * statistics.fmean(lead)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cv", action="store_true", help="print the 5-fold cross-validated figure")
    ap.add_argument("--no-write", action="store_true", help="do not write the model file")
    ap.add_argument("--limit", type=int, default=None, help="first N dev articles (trial runs)")
    ap.add_argument("--partitions", type=int, default=1,
                    help="with --cv: also cross-validate on other random splits into 5 folds (N in all)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    arts = load(args.limit)
    print(f"{len(arts)} articles, {sum(len(a.idx) for a in arts)} sentences, "
          f"features in {time.perf_counter() - t0:.0f} s", flush=True)
    if args.cv:
        diffs = []
        for partition in range(max(1, args.partitions)):
            cv = cross_validate(arts, partition)
            diffs.append(cv["matome"] - cv["lead_equal"])
            print(f"cross-validated char ROUGE-L F1 (partition {partition}): matome {cv['matome']:.2f}, "
                  f"Lead at equal length {cv['lead_equal']:.2f}, "
                  f"difference {diffs[-1]:+.2f}", flush=True)
        if len(diffs) > 1:
            print(f"difference over {len(diffs)} partitions: mean {statistics.fmean(diffs):+.2f}, "
                  f"min {min(diffs):+.2f}, max {max(diffs):+.2f}", flush=True)
    if not args.no_write:
        if args.limit:
            print("not written: --limit trains on part of dev only")
            return 2
        model = fit(arts)
        OUT.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
