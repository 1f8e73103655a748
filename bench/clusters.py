"""Opinion groups against the ministry's own grouping of a public consultation, plus speed.

    .venv/bin/python bench/clusters.py [--seeds 5] [--scale] [--out bench/results/clusters.md]

(c) On ``../shared/eval/pubcom_kankyou_2025/`` (337 comments, 77 gold groups), in one run and
    as the mean over seeds: ARI, AMI (the one to read) and NMI of
      * matome's ``cluster`` (fine level = ``labels``; also the top level) with each vector
        option (TF-IDF+SVD, e5),
      * a BERTopic-style baseline on the same vectors: UMAP (5-D, cosine, n_neighbors 15,
        min_dist 0) + scikit-learn HDBSCAN (min cluster size 10 as BERTopic's default, and 3),
        outliers kept as one group like BERTopic's topic -1, c-TF-IDF labels,
      * plain k-means on word TF-IDF (Sudachi content words, no SVD) given the gold k = 77.
(d) The ministry's titles of the 10 largest gold groups beside the label of the matome group
    that overlaps each most (and the BERTopic-style label).
--kouchou CSV: kouchou-ai (広聴AI) as its authors ran it on the same comments, read from the
    ``hierarchical_initial_labels.csv`` that nasuka/kouchou-ai-clustering-experiment publishes
    (commit 913c3b9, ``data/pubcom_outputs/20250421_パブコメ実験/``; any CSV with its columns
    ``arg-id``, ``cluster-level-1-id``, ``cluster-level-2-id`` and ``cluster-level-2-label``
    will do): ARI/AMI/NMI of both its levels and the ROUGE-L of its level-2 labels, beside ours;
    with ``--kouchou-titles`` (its ``クラスタタイトル.csv`` there: ``level``, ``id``, ``label``) also
    of its level-1 labels.
    Its vectors and labels come from the LLM service kouchou-ai calls, so it is not rerun here; the file is
    not in this repository (no licence) and is only read when given.
--scale: ``cluster`` time and peak RSS on the 4,024 top-level comments of
    ``girlschannel_votes`` and on 20,000 comments of ``yahoo_comments_tkawai``, and the cost
    of the UMAP layout against the default PCA one.
"""

from __future__ import annotations

import argparse
import math
import warnings
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.metrics import (
    adjusted_mutual_info_score,
    adjusted_rand_score,
    normalized_mutual_info_score,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import jsonl, require_eval  # noqa: E402

from matome.analyze import vectors as vec  # noqa: E402
from matome.analyze.clusters import cluster  # noqa: E402
from matome.ja.normalize import normalize  # noqa: E402
from matome.ja.tokens import content_words_of, tokenize  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def scores(gold: list[int], pred: list[int]) -> tuple[float, float, float, int]:
    return (
        adjusted_rand_score(gold, pred),
        adjusted_mutual_info_score(gold, pred),
        normalized_mutual_info_score(gold, pred),
        len(set(pred)),
    )


def ctfidf_labels(labels: list[int], words: list[list[str]], top: int = 4) -> dict[int, str]:
    """BERTopic's c-TF-IDF: tf of a word in a class × log(1 + mean words per class / its
    frequency over all classes); the label joins the top words with '_' as BERTopic does."""
    tf: dict[int, Counter[str]] = {}
    for lab, ws in zip(labels, words):
        tf.setdefault(lab, Counter()).update(ws)
    total: Counter[str] = Counter()
    for c in tf.values():
        total.update(c)
    avg = sum(total.values()) / max(1, len(tf))
    out = {}
    for lab, c in tf.items():
        n = sum(c.values()) or 1
        ranked = sorted(c, key=lambda w: (-(c[w] / n) * math.log(1 + avg / total[w]), w))
        out[lab] = f"{lab}_" + "_".join(ranked[:top])
    return out


#: BERTopic-style settings: BERTopic's defaults (outliers are its topic -1), and the best of a
#: small grid on pubcom (n_neighbors 5/15 × min_cluster_size 2/3/5 × min_samples default/1 ×
#: outliers as one group / each alone), i.e. tuned on this evaluation set like matome's k.
BERTOPIC = {
    "defaults: nn=15 mcs=10, outliers=one group": (15, 10, None, False),
    "tuned: nn=5 mcs=5 ms=1, outliers alone": (5, 5, 1, True),
}


def bertopic_style(x: np.ndarray, seed: int, setting: tuple) -> list[int]:
    import umap
    from sklearn.cluster import HDBSCAN

    nn, mcs, ms, alone = setting
    red = umap.UMAP(
        n_neighbors=nn, n_components=5, min_dist=0.0, metric="cosine", random_state=seed
    ).fit_transform(x)
    pred = HDBSCAN(min_cluster_size=mcs, min_samples=ms).fit_predict(red).tolist()
    if alone:
        nxt = max(pred) + 1
        for i, p in enumerate(pred):
            if p == -1:
                pred[i], nxt = nxt, nxt + 1
    return pred


def plain_kmeans(words: list[list[str]], k: int, seed: int) -> list[int]:
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    m = TfidfVectorizer(analyzer=lambda w: w, sublinear_tf=True).fit_transform(words)
    return KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(m).tolist()


def char_rouge_l(peer: str, ref: str) -> float:
    """Character ROUGE-L F1 (LCS of the NFKC-normalized strings, spaces dropped)."""
    a = [ch for ch in normalize(peer) if not ch.isspace()]
    b = [ch for ch in normalize(ref) if not ch.isspace()]
    if not a or not b:
        return 0.0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    lcs = prev[-1]
    if lcs == 0:
        return 0.0
    p, r = lcs / len(a), lcs / len(b)
    return 2 * p * r / (p + r)


def label_rouge(gold: list[int], titles: dict[int, str], pred: list[int], labels: dict[int, str],
                min_size: int = 5) -> float:
    """Mean character ROUGE-L between each gold group's title (groups of ``min_size``+ comments)
    and the label of the predicted group that overlaps it most (その他 and unlabeled: 0)."""
    size = Counter(gold)
    vals = []
    for g, n in size.items():
        if n < min_size:
            continue
        idx = [i for i in range(len(gold)) if gold[i] == g]
        best, _ = Counter(pred[i] for i in idx).most_common(1)[0]
        vals.append(char_rouge_l(labels.get(best, ""), titles[g]))
    return sum(vals) / len(vals) if vals else 0.0


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    return "\n".join([line, sep, *body])


def mean_sd(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ±{statistics.stdev(values):.3f}"


def pubcom(seeds: int) -> tuple[str, dict]:
    ev = require_eval()
    rows = jsonl(ev / "pubcom_kankyou_2025" / "kankyou_pubcom_labeled.jsonl")
    texts = [r["comment"] for r in rows]
    gold = [int(r["gold_cluster"]) for r in rows]
    titles = {int(r["gold_cluster"]): r["gold_cluster_title"] for r in rows}
    words = [content_words_of(tokenize(normalize(t))) for t in texts]
    print(f"pubcom: {len(texts)} comments, {len(set(gold))} gold groups, seeds 0..{seeds - 1}")

    t0 = time.perf_counter()
    e5 = vec.embed(texts, method="e5")
    e5_time = time.perf_counter() - t0
    print(f"e5 vectors: {e5_time:.1f} s for {len(texts)} comments")

    results: dict[str, dict[str, list[float]]] = {}
    keep: dict[str, list[int]] = {}

    def add(name: str, pred: list[int], seconds: float) -> None:
        a, m, n, k = scores(gold, pred)
        r = results.setdefault(name, {"ARI": [], "AMI": [], "NMI": [], "k": [], "s": []})
        for key, v in (("ARI", a), ("AMI", m), ("NMI", n), ("k", k), ("s", seconds)):
            r[key].append(v)

    for seed in range(seeds):
        t0 = time.perf_counter()
        c = cluster(texts, seed=seed)
        dt = time.perf_counter() - t0
        add("matome default (TF-IDF+SVD with the e5 and chiVe word tables), fine level", list(c.labels), dt)
        add("matome default, top level", list(c.top_labels), dt)
        if seed == 0:
            keep["matome"] = list(c.labels)
            keep["matome_c"] = c  # type: ignore[assignment]
        t0 = time.perf_counter()
        tf = vec.embed(texts, seed=seed)
        tf_time = time.perf_counter() - t0
        t0 = time.perf_counter()
        c5 = cluster(texts, seed=seed, vectors=e5)
        add("matome + e5 vectors, fine level", list(c5.labels), time.perf_counter() - t0 + e5_time)
        for vname, x, vt in (("TF-IDF+SVD", tf, tf_time), ("e5", e5, e5_time)):
            for sname, setting in BERTOPIC.items():
                t0 = time.perf_counter()
                pred = bertopic_style(x, seed, setting)
                name = f"BERTopic-style ({vname}; UMAP+HDBSCAN {sname})"
                add(name, pred, time.perf_counter() - t0 + vt)
                if seed == 0 and vname == "TF-IDF+SVD" and sname.startswith("tuned"):
                    keep["bertopic"] = pred
        t0 = time.perf_counter()
        add("KMeans on word TF-IDF (k=77 = gold)", plain_kmeans(words, 77, seed),
            time.perf_counter() - t0)

    rows_out = []
    for name, r in results.items():
        rows_out.append(
            [name, mean_sd(r["ARI"]), mean_sd(r["AMI"]), mean_sd(r["NMI"]),
             f"{statistics.mean(r['k']):.0f}", f"{statistics.mean(r['s']):.2f}"]
        )
    t = table(["method", "ARI", "AMI", "NMI", "groups", "s/run"], rows_out)
    print(t)

    base = {k: v for k, v in results.items() if "matome" not in k}
    ours = results["matome default (TF-IDF+SVD with the e5 and chiVe word tables), fine level"]
    verdict = []
    for metric in ("ARI", "AMI", "NMI"):
        best = max(base, key=lambda k: statistics.mean(base[k][metric]))
        o, b = statistics.mean(ours[metric]), statistics.mean(base[best][metric])
        verdict.append(f"{metric}: matome {o:.3f} vs the best baseline on {metric} {b:.3f} ({best}) -> "
                       f"{'OK' if o >= b else 'BELOW'}")
    print("\n".join(verdict))

    # label vs the ministry's title (character ROUGE-L), gold groups of 5+ comments
    c = keep["matome_c"]
    shown = {g.id: ("" if g.other else g.label) for g in c.groups}  # type: ignore[attr-defined]
    bt = ctfidf_labels(keep["bertopic"], words)
    bt_words = {k: "".join(v.split("_")[1:]) for k, v in bt.items()}
    reps = {}
    for g in c.groups:  # type: ignore[attr-defined]
        if g.representatives and not g.other:
            first = texts[g.representatives[0]].replace("\n", "。").split("。")[0]
            reps[g.id] = first
    rl_rows = [
        ["matome label, top level (shown)", f"{label_rouge(gold, titles, list(c.top_labels), shown):.3f}"],
        ["matome label, fine level", f"{label_rouge(gold, titles, list(c.labels), shown):.3f}"],
        ["first sentence of matome's representative, top level",
         f"{label_rouge(gold, titles, list(c.top_labels), reps):.3f}"],
        ["BERTopic-style c-TF-IDF words (tuned setting)", f"{label_rouge(gold, titles, keep['bertopic'], bt_words):.3f}"],
    ]
    t_rouge = table(["label", "char ROUGE-L vs ministry title"], rl_rows)
    print(t_rouge)

    # (d) titles
    ours_lab = {g.id: g.label for g in c.groups}  # type: ignore[attr-defined]
    bt_lab = ctfidf_labels(keep["bertopic"], words)
    size = Counter(gold)
    trows = []
    for g, n in sorted(size.items(), key=lambda kv: (-kv[1], kv[0]))[:10]:
        idx = [i for i in range(len(gold)) if gold[i] == g]
        best, hit = Counter(keep["matome"][i] for i in idx).most_common(1)[0]
        gsize = sum(1 for v in keep["matome"] if v == best)
        bbest, bhit = Counter(keep["bertopic"][i] for i in idx).most_common(1)[0]
        trows.append([titles[g][:40], str(n), ours_lab.get(best, "-"), f"{hit}/{gsize}",
                      bt_lab[bbest][:30], f"{bhit}"])
    t2 = table(["ministry's title", "n", "matome label", "overlap", "BERTopic-style label",
                "overlap"], trows)
    print(t2)
    return t, {"verdict": verdict, "titles": t2, "e5_time": e5_time, "rouge": t_rouge}


def kouchou(path: Path, titles_path: Path | None = None) -> str:
    """kouchou-ai's published grouping of the pubcom comments against the ministry's (see
    ``--kouchou``): both levels, and its labels against the ministry's titles (level 2 from
    ``path``; level 1 from ``titles_path``, its ``クラスタタイトル.csv``, when given)."""
    import csv

    ev = require_eval()
    rows = jsonl(ev / "pubcom_kankyou_2025" / "kankyou_pubcom_labeled.jsonl")
    gold = [int(r["gold_cluster"]) for r in rows]
    titles = {int(r["gold_cluster"]): r["gold_cluster_title"] for r in rows}
    with path.open(encoding="utf-8", newline="") as f:
        theirs = {int(r["arg-id"]): r for r in csv.DictReader(f)}
    names_of: dict[int, dict[str, str]] = {1: {}, 2: {}}
    if titles_path is not None:
        with titles_path.open(encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                names_of.setdefault(int(r["level"]), {})[r["id"]] = r["label"]
    for r in theirs.values():
        names_of[2][r["cluster-level-2-id"]] = r["cluster-level-2-label"]
    missing = [r["idx"] for r in rows if int(r["idx"]) not in theirs]
    if missing:
        raise SystemExit(f"{path}: no row for arg-id {missing[0]} ({len(missing)} missing)")
    out = []
    for level in (1, 2):
        pred = [theirs[int(r["idx"])][f"cluster-level-{level}-id"] for r in rows]
        ids = {p: i for i, p in enumerate(sorted(set(pred)))}
        a, m, n, k = scores(gold, [ids[p] for p in pred])
        rouge = "—"
        if all(p in names_of[level] for p in ids):
            names = {i: names_of[level][p] for p, i in ids.items()}
            rouge = f"{label_rouge(gold, titles, [ids[p] for p in pred], names):.3f}"
        out.append([f"kouchou-ai, level {level} (its authors' run)", f"{a:.3f}", f"{m:.3f}", f"{n:.3f}", str(k), rouge])
    c = cluster([r["comment"] for r in rows], seed=0)
    lab = {g.id: ("" if g.other else g.label) for g in c.groups}
    for name, pred in (("matome, shown top level", list(c.top_labels)), ("matome, fine level", list(c.labels))):
        a, m, n, k = scores(gold, pred)
        out.append([name, f"{a:.3f}", f"{m:.3f}", f"{n:.3f}", str(k), f"{label_rouge(gold, titles, pred, lab):.3f}"])
    t = table(["grouping", "ARI", "AMI", "NMI", "groups", "label ROUGE-L vs ministry title"], out)
    print(t)
    return t


def headroom(subsamples: int = 6, share: float = 0.9) -> str:
    """What the pubcom figures can tell apart, and how far the shown level can go.

    * Spread: matome's figures on ``subsamples`` seeded random subsets of ``share`` of the
      comments (the same code, a slightly different thread): a change smaller than this
      spread is not a measured improvement.
    * Ceiling of the shown level: the ministry's own grouping cut the way matome shows groups
      (its K largest groups, the rest as one その他), scored against itself in full. No
      grouping shown as K groups and その他 can score above it.
    """
    ev = require_eval()
    rows = jsonl(ev / "pubcom_kankyou_2025" / "kankyou_pubcom_labeled.jsonl")
    texts = [r["comment"] for r in rows]
    gold = [int(r["gold_cluster"]) for r in rows]
    titles = {int(r["gold_cluster"]): r["gold_cluster_title"] for r in rows}
    rng = np.random.default_rng(20261130)
    figs = []
    for _ in range(subsamples):
        idx = np.sort(rng.choice(len(texts), int(share * len(texts)), replace=False)).tolist()
        t = [texts[i] for i in idx]
        g = [gold[i] for i in idx]
        c = cluster(t, seed=0)
        lab = {x.id: ("" if x.other else x.label) for x in c.groups}
        figs.append((adjusted_rand_score(g, list(c.labels)),
                     adjusted_mutual_info_score(g, list(c.labels)),
                     adjusted_mutual_info_score(g, list(c.top_labels)),
                     label_rouge(g, titles, list(c.labels), lab)))
    arr = np.array(figs)
    names = ["fine ARI", "fine AMI", "shown top AMI", "fine label ROUGE-L"]
    spread = table(
        ["figure", "mean", "min", "max", "sd"],
        [[n, f"{arr[:, k].mean():.3f}", f"{arr[:, k].min():.3f}", f"{arr[:, k].max():.3f}",
          f"{arr[:, k].std(ddof=1):.3f}"] for k, n in enumerate(names)],
    )
    size = Counter(gold)
    ceil_rows = []
    for k in (8, 12, 16, 20):
        keep = {g for g, _ in sorted(size.items(), key=lambda kv: (-kv[1], kv[0]))[:k]}
        pred = [g if g in keep else -1 for g in gold]
        ceil_rows.append([str(k), str(pred.count(-1)), f"{adjusted_mutual_info_score(gold, pred):.3f}",
                          f"{adjusted_rand_score(gold, pred):.3f}"])
    ceiling = table(["shown groups K", "in その他", "AMI", "ARI"], ceil_rows)
    print(spread)
    print(ceiling)
    return "\n".join([
        f"Spread: matome on {subsamples} random subsets of {share:.0%} of the comments (seeded):",
        "",
        spread,
        "",
        "Ceiling of a shown level: the ministry's own groups, its K largest shown and the rest as",
        "one その他, scored against its full grouping:",
        "",
        ceiling,
    ])


def scale() -> str:
    """Time and peak RSS of cluster() on the large threads, each in a fresh process."""
    code = r"""
import json, sys, time, resource
sys.path.insert(0, %r)
from _data import jsonl, require_eval
ev = require_eval()
which, n, layout = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if which == "girlschannel":
    rows = jsonl(ev / "girlschannel_votes" / "topic_5477357.jsonl")
    rows = [r for r in rows if not r.get("reply_listed_under")][:n]
    texts = [r["text"] for r in rows]; up = [r["plus"] for r in rows]; down = [r["minus"] for r in rows]
else:
    rows = jsonl(ev / "yahoo_comments_tkawai" / "comments.jsonl")[:n]
    texts = [r["comment"] for r in rows]; up = down = None
t0 = time.perf_counter()
from matome.analyze.clusters import cluster
t1 = time.perf_counter()
c0 = time.process_time()
c = cluster(texts, up, down, layout=layout)
t2 = time.perf_counter()
cpu = time.process_time() - c0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{len(texts)}\t{t1-t0:.2f}\t{t2-t1:.2f}\t{rss:.0f}\t{len(c.top_groups)}\t{len(c.groups)}\t{sum(d is not None for d in c.duplicate_of)}\t{c.method}\t{cpu:.2f}")
""" % str(Path(__file__).resolve().parent)
    rows = []
    for which, n, layout in (("girlschannel", 4024, "pca"), ("yahoo", 20000, "pca"),
                             ("girlschannel", 4024, "umap")):
        out = subprocess.run([sys.executable, "-c", code, which, str(n), layout],
                             capture_output=True, text=True, cwd=ROOT)
        if out.returncode:
            err = out.stderr.strip().splitlines()[-1]
            rows.append([which, str(n), layout, "error", err, "", "", "", "", ""])
            continue
        f = out.stdout.strip().split("\t")
        rows.append([which, f[0], layout, f[1], f[2], f[8], f[3], f[4], f[5], f[6] + f" ({f[7]})"])
    t = table(["thread", "comments", "layout", "import s", "cluster s", "CPU s", "peak RSS MB",
               "top groups", "all groups", "near-dups (method)"], rows)
    print(t)
    return t


def main() -> None:
    warnings.filterwarnings("ignore")  # umap: "n_jobs value 1 overridden to 1 by setting random_state"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--scale", action="store_true")
    ap.add_argument("--scale-only", action="store_true", help="print the scale table only")
    ap.add_argument("--kouchou-only", action="store_true", help="print the kouchou-ai table (f) only")
    ap.add_argument("--kouchou", type=Path, help="kouchou-ai's hierarchical_initial_labels.csv for pubcom")
    ap.add_argument("--kouchou-titles", type=Path, help="kouchou-ai's クラスタタイトル.csv (its level-1 labels)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "clusters.md")
    args = ap.parse_args()
    load = " ".join(f"{v:.1f}" for v in __import__("os").getloadavg())
    for opt, given in (("--kouchou", args.kouchou), ("--kouchou-titles", args.kouchou_titles)):
        if given and not given.is_file():
            ap.error(f"{opt}: no such file: {given}")
    if args.kouchou_only:
        if not args.kouchou:
            ap.error("--kouchou-only needs --kouchou CSV")
        kouchou(args.kouchou, args.kouchou_titles)
        return
    if args.scale_only:
        require_eval()
        print(f"load average {load}")
        scale()
        return
    t, extra = pubcom(args.seeds)
    parts = [
        "# Opinion groups: benchmark results",
        "",
        f"Command: `.venv/bin/python bench/clusters.py --seeds {args.seeds}"
        f"{' --scale' if args.scale else ''}"
        f"{' --kouchou ' + args.kouchou.name if args.kouchou else ''}"
        f"{' --kouchou-titles ' + args.kouchou_titles.name if args.kouchou_titles else ''}`"
        f" (2 cores, load average at start {load}).",
        "",
        "## (c) pubcom_kankyou_2025: 337 comments, 77 gold groups (mean ± sd over seeds)",
        "",
        "AMI is the figure to read (NMI rewards many small groups; see DESIGN §4).",
        "",
        t,
        "",
        *[f"- {v}" for v in extra["verdict"]],
        "",
        "## Labels against the ministry's titles (character ROUGE-L, gold groups of 5+ comments, seed 0)",
        "",
        "Each gold group is matched to the group that holds most of its comments; a gold group",
        "whose comments mostly sit in その他 scores 0 for matome's label.",
        "",
        extra["rouge"],
        "",
        "## (d) The ministry's titles beside our labels (10 largest gold groups, seed 0)",
        "",
        extra["titles"],
        "",
        "## (e) What these figures can tell apart, and the ceiling of a shown level",
        "",
        headroom(),
        "",
        "## (f) kouchou-ai (広聴AI) on the same comments, as its authors ran it",
        "",
        *(["Its published grouping (`--kouchou`; its vectors and labels come from the LLM service kouchou-ai calls), "
           "scored like ours:", "", kouchou(args.kouchou, args.kouchou_titles)] if args.kouchou else
          ["skipped: give `--kouchou hierarchical_initial_labels.csv` (see the module documentation)."]),
        "",
    ]
    if args.scale:
        parts += [
            "## Scale: `cluster()` alone, fresh process each",
            "",
            "Wall times on a shared 2-core machine move 2–3× with the other work on it; CPU s is",
            "the process CPU time of `cluster()` (all threads).",
            "",
            scale(),
            "",
        ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote {args.out}")
    _ = resource  # peak RSS is read in the child processes


if __name__ == "__main__":
    main()
