"""Blind reading tests of opinion groups (DESIGN §4): can a reader tell the groups apart?

    .venv/bin/python bench/reading.py build [--items 16] [--datasets pubcom,girlschannel,yahoo2020]
    .venv/bin/python bench/reading.py score

``build`` groups three real threads of ../shared/eval with each method, then writes, for every
(thread, method) pair, one items file ``bench/out/reading/items/R<n>.md`` with two tests, and
the answer key to ``bench/out/reading/key.json`` (a separate file the readers never see; the
items file names neither the method nor the thread's source):

* odd one out: 5 comments of one group and 1 of another, shuffled; the reader names the odd
  one (chance 1/6);
* label match: the labels of the K largest groups (K ≤ 8) and ``ceil(16 / K)`` comments of
  each, shuffled; the reader gives each comment a label (chance 1/K).

No comment is shown twice in a file and the groups of successive items follow no pattern
(``make_items``): the earlier builder let a program reader learn the groups from the file's
structure.

Methods: ``matome`` (the top-level groups and labels of ``matome digest``, その他 excluded),
``bertopic`` (a BERTopic-style baseline: TF-IDF+SVD vectors, UMAP 5-D + HDBSCAN, outliers
excluded as BERTopic's topic -1, labels = the top c-TF-IDF words joined by ・), and on pubcom
``gold`` (the ministry's own grouping and titles: the ceiling). Everything is seeded: the same
data gives the same items and key.

``--keywords N`` shows each matome label followed by the group's first N key phrases, as the
web page's group card and the Markdown digest present a group (the card shows five): readers
match comments by what a group talks about as well as by what it says (bench/results/reading.md).

Blind readers that are programs can open any file on the machine. Build with a passphrase in
``MATOME_READING_SEAL`` (``export MATOME_READING_SEAL=$(openssl rand -hex 16)`` in the shell
that builds and scores, never written anywhere) and the key is stored only encrypted; give
each reader a copy of its items file in a directory of its own, and remove earlier keys.

Readers answer in ``bench/out/reading/answers/R<n>.json``:
``{"odd_one_out": {"1": 4, ...}, "label_match": {"1": "C", ...}}``. ``score`` compares the
answers with the key and writes ``bench/results/reading.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import jsonl, require_eval  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "reading"
RESULTS = ROOT / "bench" / "results" / "reading.md"
DATASETS = ("pubcom", "girlschannel", "yahoo2020")
SHOWN_CHARS = 220
MAX_LABELS = 8


# ---------------------------------------------------------------------------------------
# data


def load(name: str) -> tuple[list[str], list[int], list[int], list[int] | None, dict[int, str]]:
    """texts, ▲, ▼, gold groups (or None) and gold titles of one evaluation thread."""
    ev = require_eval()
    if name == "pubcom":
        rows = jsonl(ev / "pubcom_kankyou_2025" / "kankyou_pubcom_labeled.jsonl")
        gold = [int(r["gold_cluster"]) for r in rows]
        titles = {int(r["gold_cluster"]): r["gold_cluster_title"] for r in rows}
        return [r["comment"] for r in rows], [0] * len(rows), [0] * len(rows), gold, titles
    if name == "girlschannel":
        rows = [r for r in jsonl(ev / "girlschannel_votes" / "topic_5477357.jsonl") if not r.get("reply_listed_under")]
        return [r["text"] for r in rows], [int(r["plus"]) for r in rows], [int(r["minus"]) for r in rows], None, {}
    if name == "yahoo2020":
        rows = [r for r in jsonl(ev / "yahoo_comments_votes_2020" / "comments.jsonl") if not r.get("is_reply_row")]
        return ([r["comment"] for r in rows], [int(r["agree_good"]) for r in rows],
                [int(r["disagree_bad"]) for r in rows], None, {})
    raise SystemExit(f"unknown dataset {name!r}")


# ---------------------------------------------------------------------------------------
# groupings: {group id: (label, [comment indices])}, largest first


def by_matome(texts, up, down, keywords: int = 0) -> dict[int, tuple[str, list[int]]]:
    """matome's top-level groups (その他 excluded) with their labels; with ``keywords`` > 0 each
    label is followed by that many of the group's key phrases, as the digest's group card and
    Markdown show them under the label (「キーワード: …」)."""
    from matome.analyze.digest import digest_entry
    from matome.analyze.discussion import clean_label
    from matome.io.tabular import entry_from_comments
    from matome.model import Comment, Votes

    entry = entry_from_comments([Comment(t, Votes(u, d)) for t, u, d in zip(texts, up, down)], title="thread")
    d = digest_entry(entry)
    out = {}
    for g in d.groups:
        if g.parent is None and not getattr(g, "other", False):
            shown = clean_label(g)
            if keywords and g.key_phrases:
                shown += "（キーワード: " + "、".join(g.key_phrases[:keywords]) + "）"
            out[g.id] = (shown, sorted(g.members))
    return out


def by_bertopic(texts, name: str) -> dict[int, tuple[str, list[int]]]:
    import umap
    from sklearn.cluster import HDBSCAN

    from matome.analyze import vectors as vec
    from matome.ja.normalize import normalize
    from matome.ja.tokens import content_words_of, tokenize

    x = vec.embed(texts, seed=0)
    # BERTopic's defaults put 96% of pubcom in one group: there, its setting tuned on pubcom
    nn, mcs, ms = (5, 5, 1) if name == "pubcom" else (15, 10, None)
    red = umap.UMAP(n_neighbors=nn, n_components=5, min_dist=0.0, metric="cosine", random_state=0).fit_transform(x)
    pred = HDBSCAN(min_cluster_size=mcs, min_samples=ms).fit_predict(red).tolist()
    words = [content_words_of(tokenize(normalize(t))) for t in texts]
    tf: dict[int, Counter] = {}
    for p, ws in zip(pred, words):
        tf.setdefault(p, Counter()).update(ws)
    total: Counter = Counter()
    for c in tf.values():
        total.update(c)
    avg = sum(total.values()) / max(1, len(tf))
    out = {}
    for p, c in tf.items():
        if p < 0:
            continue
        n = sum(c.values()) or 1
        ranked = sorted(c, key=lambda w: (-(c[w] / n) * math.log(1 + avg / total[w]), w))
        out[p] = ("・".join(ranked[:4]) or "（語なし）", [i for i, q in enumerate(pred) if q == p])
    return out


def by_gold(gold: list[int], titles: dict[int, str]) -> dict[int, tuple[str, list[int]]]:
    return {g: (titles[g], [i for i, x in enumerate(gold) if x == g]) for g in sorted(set(gold))}


# ---------------------------------------------------------------------------------------
# items


def shown(text: str) -> str:
    t = re.sub(r"\s+", " ", text).strip()
    return t if len(t) <= SHOWN_CHARS else t[:SHOWN_CHARS] + "…"


def make_items(groups: dict[int, tuple[str, list[int]]], texts: list[str], n_items: int, rng: random.Random):
    """Odd-one-out and label-match items; no comment is shown twice in the whole file.

    A reader that is a program can link items that share a comment (or that follow a fixed
    order of groups) and so learn the groups from the file's structure instead of from the
    comments: on 48 items built the earlier way, where question n took its five comments
    from group n mod 8 and a group's comments came round again, a reader given twelve random
    groups of pubcom matched 40 of 48 comments to their labels (chance 6). So: the label-match
    comments are drawn first, each group's comments are then used at most once, the majority
    group of each odd-one-out item is drawn at random among those with five comments left
    (balanced: each in turn of a shuffled round), and items stop when no group has enough
    left (``build`` says so)."""
    ranked = sorted(groups, key=lambda g: (-len(groups[g][1]), g))
    labelled = [g for g in ranked if len(groups[g][1]) >= 2][:MAX_LABELS]
    pools = {g: rng.sample(groups[g][1], len(groups[g][1])) for g in ranked[: 2 * MAX_LABELS]}
    seen: set[str] = set()  # two comments with the same text count as one
    for g in ranked[: 2 * MAX_LABELS]:
        pools[g] = [i for i in pools[g] if not (texts[i] in seen or seen.add(texts[i]))]
    per = max(2, math.ceil(n_items / max(1, len(labelled))))
    letters = "ABCDEFGH"
    label_order = labelled[:]
    rng.shuffle(label_order)
    labels = {letters[k]: groups[g][0] for k, g in enumerate(label_order)}
    letter_of = {g: letters[k] for k, g in enumerate(label_order)}
    match = []
    for g in labelled:
        for _ in range(min(per, len(pools[g]))):
            match.append((texts[pools[g].pop()], letter_of[g]))
    rng.shuffle(match)
    big = [g for g in ranked if len(groups[g][1]) >= 5][:MAX_LABELS]
    odd, odd_key = [], []
    queue: list[int] = []
    while len(big) >= 2 and len(odd) < n_items:
        if not queue:
            queue = [g for g in big if len(pools[g]) >= 5]
            rng.shuffle(queue)
            if not queue:
                break
        a = queue.pop()
        others = [g for g in big if g != a and pools[g]]
        if len(pools[a]) < 5 or not others:
            if not any(len(pools[g]) >= 5 and [h for h in big if h != g and pools[h]] for g in big):
                break
            continue
        b = rng.choice(others)
        shown_ids = [pools[a].pop() for _ in range(5)] + [pools[b].pop()]
        order = list(range(6))
        rng.shuffle(order)
        odd.append([texts[shown_ids[j]] for j in order])
        odd_key.append(order.index(5) + 1)
    return odd, odd_key, labels, match


def write_items(path: Path, odd, labels, match) -> None:
    lines = [
        "# 読み取りテスト",
        "",
        "コメントを読み、次の二つの課題に答えてください。答えは JSON で返してください（形式は末尾）。",
        "",
        "## 課題1: 仲間はずれ",
        "",
        "各問の6件のうち5件は同じ意見グループ、1件だけ別のグループのコメントです。別のグループのもの（1〜6）を選んでください。",
        "",
    ]
    for n, item in enumerate(odd, 1):
        lines.append(f"### 問{n}")
        lines += [f"{k}. {shown(t)}" for k, t in enumerate(item, 1)]
        lines.append("")
    lines += [
        "## 課題2: ラベル合わせ",
        "",
        "次のラベルは意見グループの名前です。各コメントがどのグループのものか、ラベルの記号で答えてください。",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in labels.items()]
    lines.append("")
    for n, (t, _) in enumerate(match, 1):
        lines.append(f"{n}. {shown(t)}")
    lines += [
        "",
        "## 回答の形式",
        "",
        '{"odd_one_out": {"1": 3, "2": 6, ...}, "label_match": {"1": "B", "2": "A", ...}}',
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def build(args) -> None:
    warnings.filterwarnings("ignore")
    items_dir = OUT / "items"
    items_dir.mkdir(parents=True, exist_ok=True)
    if args.methods == "matome,bertopic,gold":
        for old in items_dir.glob("R*.md"):
            old.unlink()
    key = {}
    plan = []
    for name in args.datasets.split(","):
        methods = ["matome", "bertopic"] + (["gold"] if name == "pubcom" else [])
        plan += [(name, m) for m in methods]
    # the file numbers come from the whole plan, so a file keeps its number when only some
    # methods are rebuilt (--methods)
    rng_order = random.Random("reading-order")
    rng_order.shuffle(plan)  # the file number says nothing about the method
    wanted = set(args.methods.split(","))
    if ((OUT / "key.json").exists() or (OUT / "key.json.enc").exists()) and wanted != {"matome", "bertopic", "gold"}:
        key = read_key()
    for n, (name, method) in enumerate(plan, 1):
        if method not in wanted:
            continue
        texts, up, down, gold, titles = load(name)
        if method == "matome":
            groups = by_matome(texts, up, down, args.keywords)
        elif method == "bertopic":
            groups = by_bertopic(texts, name)
        else:
            groups = by_gold(gold, titles)
        rng = random.Random(f"{name}/{method}/items" + (f"/{args.seed}" if args.seed else ""))
        odd, odd_key, labels, match = make_items(groups, texts, args.items, rng)
        rid = f"R{n}"
        write_items(items_dir / f"{rid}.md", odd, labels, match)
        key[rid] = {
            "dataset": name, "method": method, "groups": len(groups),
            "odd_one_out": {str(i): a for i, a in enumerate(odd_key, 1)},
            "label_match": {str(i): letter for i, (_, letter) in enumerate(match, 1)},
            "labels": labels,
        }
        print(f"{rid}: {name} / {method}: {len(groups)} groups, {len(odd)} odd-one-out items, "
              f"{len(match)} label items over {len(labels)} labels", flush=True)
        if len(odd) < args.items:
            print(f"  {rid}: only {len(odd)} odd-one-out items: the largest groups have no more comments "
                  "not shown yet", flush=True)
    write_key(key)
    print(f"items in {items_dir}, key in {OUT / ('key.json.enc' if os.environ.get(SEAL_ENV) else 'key.json')}")


#: With a passphrase in this environment variable the key is written only encrypted
#: (``key.json.enc``, openssl AES-256-CBC with PBKDF2), and ``score`` decrypts it.
SEAL_ENV = "MATOME_READING_SEAL"


def write_key(key: dict) -> None:
    """Write the answer key. Readers that are programs (subagents) can open any file on the
    machine: in a fourth-session round, two of them returned the key of their own items file
    48 of 48 (bench/results/reading.md). Sealed, the key is unreadable without the passphrase,
    which lives only in the environment of the commands that build and score."""
    text = json.dumps(key, ensure_ascii=False, indent=1)
    plain, sealed = OUT / "key.json", OUT / "key.json.enc"
    passphrase = os.environ.get(SEAL_ENV)
    if not passphrase:
        sealed.unlink(missing_ok=True)
        plain.write_text(text, encoding="utf-8")
        return
    subprocess.run(["openssl", "enc", "-aes-256-cbc", "-pbkdf2", "-salt", "-out", str(sealed), "-pass", f"env:{SEAL_ENV}"],
                   input=text.encode("utf-8"), check=True)
    plain.unlink(missing_ok=True)


def read_key() -> dict:
    plain, sealed = OUT / "key.json", OUT / "key.json.enc"
    if sealed.exists():
        if not os.environ.get(SEAL_ENV):
            sys.exit(f"the key is sealed ({sealed}): set {SEAL_ENV} to the passphrase it was built with")
        out = subprocess.run(["openssl", "enc", "-d", "-aes-256-cbc", "-pbkdf2", "-in", str(sealed), "-pass", f"env:{SEAL_ENV}"],
                             capture_output=True, check=False)
        if out.returncode:
            sys.exit(f"cannot open {sealed}: wrong passphrase in {SEAL_ENV}?")
        return json.loads(out.stdout.decode("utf-8"))
    return json.loads(plain.read_text(encoding="utf-8"))


def score(args) -> None:
    key = read_key()
    rows = []
    for rid, k in sorted(key.items(), key=lambda kv: (kv[1]["dataset"], kv[1]["method"])):
        f = OUT / "answers" / f"{rid}.json"
        if not f.exists():
            rows.append((k["dataset"], k["method"], "no answer", "", "", ""))
            continue
        ans = json.loads(f.read_text(encoding="utf-8"))
        oo = ans.get("odd_one_out", {})
        lm = ans.get("label_match", {})
        o_ok = sum(1 for i, a in k["odd_one_out"].items() if str(oo.get(i, "")).strip() == str(a))
        l_ok = sum(1 for i, a in k["label_match"].items() if str(lm.get(i, "")).strip().upper() == a)
        no, nl = len(k["odd_one_out"]), len(k["label_match"])
        kl = len(k["labels"])
        rows.append((k["dataset"], k["method"], f"{o_ok}/{no} = {o_ok / max(1, no):.0%}",
                     f"{l_ok}/{nl} = {l_ok / max(1, nl):.0%}", f"{kl} (chance {1 / max(1, kl):.0%})", str(k["groups"])))
    head = "| thread | method | odd one out (chance 17%) | label match | labels | groups |"
    table = [head, "|---|---|---|---|---|---|"] + ["| " + " | ".join(r) + " |" for r in rows]
    print("\n".join(table))
    if args.write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(args.write.read_text(encoding="utf-8").replace("{{TABLE}}", "\n".join(table))
                           if args.write.exists() else "\n".join(table) + "\n", encoding="utf-8")
        print(f"wrote {RESULTS}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--items", type=int, default=16)
    b.add_argument("--seed", default="", help="draw the items with another seed: an independent sample "
                   "of the same groups (16 items move by about ±12 points from one draw to the next)")
    b.add_argument("--datasets", default=",".join(DATASETS))
    b.add_argument("--keywords", type=int, default=0,
                   help="show matome's labels with this many key phrases after them, as the digest's "
                        "group cards do (0: the label alone)")
    b.add_argument("--methods", default="matome,bertopic,gold",
                   help="rebuild only these methods' files (the others and their keys are kept)")
    s = sub.add_parser("score")
    s.add_argument("--write", type=Path, default=None, help="a template with {{TABLE}} for bench/results/reading.md")
    args = ap.parse_args()
    build(args) if args.cmd == "build" else score(args)


if __name__ == "__main__":
    main()
