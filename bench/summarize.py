"""Benchmark of the article summary (要約) against peers, measured in the same run.

Data (read from ../shared/eval, never copied into the repository):
  livedoor_3line/dev.jsonl      editor-written 3-line summaries (~104 characters)
  xlsum_ja_50/articles.jsonl    XL-Sum Japanese (BBC) reference summaries

Every system gets the same budget: as many characters as the reference has. Every system
fills it the same way: take sentences in the system's order of preference, skip one that
does not fit, stop when nothing fits; the summary is the chosen sentences in source order.

Systems:
  matome        matome.analyze.summarize (LexRank + centroid + position/length priors + MMR)
  lead          first sentences (same sentence splitting as matome, no filtering/trimming)
  lead-clean    first sentences among matome's candidates (filtered and trimmed): shows what
                the ranking adds over matome's own candidate cleaning
  sumy-lexrank  sumy's LexRankSummarizer with Sudachi content words plugged in
  sumy-textrank sumy's TextRankSummarizer with Sudachi content words plugged in
  random        random sentences (seeded by the article id)
  oracle        greedy extractive oracle on char ROUGE-1+2 F1 (the ceiling for extraction)

ROUGE (own implementation): F1 of ROUGE-1, ROUGE-2 and ROUGE-L (LCS of the whole
summary against the whole reference) over characters (NFKC-normalised, white space and
punctuation removed) and over Sudachi tokens (mode C surfaces, punctuation removed).

Usage: .venv/bin/python bench/summarize.py [--limit N] [--sets livedoor,xlsum] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import unicodedata
import zlib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from matome.analyze import summarize as S  # noqa: E402
from matome.ja.normalize import normalize  # noqa: E402
from matome.ja.tokens import is_content, tokenize  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
RESULTS = ROOT / "bench" / "results" / "summarize.md"

# --- ROUGE ------------------------------------------------------------------------------


def char_units(text: str) -> list[str]:
    return [
        ch
        for ch in normalize(text)
        if not ch.isspace() and unicodedata.category(ch)[0] not in ("P", "Z")
    ]


def token_units(text: str) -> list[str]:
    return [t.surface for t in tokenize(normalize(text)) if t.pos[0] not in ("補助記号", "空白")]


def _ngrams(units: list[str], n: int) -> Counter:
    return Counter(tuple(units[i : i + n]) for i in range(len(units) - n + 1))


def _f1(overlap: float, n_peer: int, n_ref: int) -> float:
    if overlap <= 0 or n_peer == 0 or n_ref == 0:
        return 0.0
    p, r = overlap / n_peer, overlap / n_ref
    return 2 * p * r / (p + r)


def rouge_n(peer: list[str], ref: list[str], n: int) -> float:
    a, b = _ngrams(peer, n), _ngrams(ref, n)
    overlap = sum((a & b).values())
    return _f1(overlap, sum(a.values()), sum(b.values()))


def lcs_length(a: list[str], b: list[str]) -> int:
    """LCS length by the bit-parallel algorithm (Allison–Dix / Hyyrö)."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, x in enumerate(a):
        masks[x] = masks.get(x, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for y in b:
        u = v & masks.get(y, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - bin(v).count("1")


def rouge_l(peer: list[str], ref: list[str]) -> float:
    return _f1(lcs_length(peer, ref), len(peer), len(ref))


def rouge_all(peer: list[str], ref: list[str]) -> tuple[float, float, float]:
    return rouge_n(peer, ref, 1), rouge_n(peer, ref, 2), rouge_l(peer, ref)


def _self_check() -> None:
    import itertools

    rng = random.Random(0)
    for _ in range(200):
        a = [rng.choice("abc") for _ in range(rng.randint(0, 12))]
        b = [rng.choice("abc") for _ in range(rng.randint(0, 12))]
        dp = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
        for i, j in itertools.product(range(len(a)), range(len(b))):
            dp[i + 1][j + 1] = dp[i][j] + 1 if a[i] == b[j] else max(dp[i][j + 1], dp[i + 1][j])
        assert lcs_length(a, b) == dp[len(a)][len(b)], (a, b)


# --- systems ----------------------------------------------------------------------------


def fill(order: list[int], lengths: list[int], budget: int) -> list[int]:
    chosen, used = [], 0
    for i in order:
        if used + lengths[i] <= budget:
            chosen.append(i)
            used += lengths[i]
    return sorted(chosen)


class _SudachiWords:
    """sumy tokenizer: our sentences, Sudachi content words (normalized forms) as words."""

    def __init__(self):
        self.cache: dict[str, tuple[str, ...]] = {}

    def to_sentences(self, text):
        return [s.text for s in S.split_sentences(text)]

    def to_words(self, sentence):
        words = self.cache.get(sentence)
        if words is None:
            words = tuple(t.normalized for t in tokenize(sentence) if is_content(t))
            self.cache[sentence] = words
        return words


def _sumy_document(sentences: list[str], tok):
    from sumy.models.dom import ObjectDocumentModel, Paragraph
    from sumy.models.dom import Sentence as SumySentence

    return ObjectDocumentModel([Paragraph([SumySentence(s, tok) for s in sentences])])


def sumy_order(kind: str, sentences: list[str]) -> list[int]:
    """Sentence indices by sumy's rating, best first (ties: earlier first)."""
    tok = _SudachiWords()
    doc = _sumy_document(sentences, tok)
    if not sentences:
        return []
    if kind == "lexrank":
        from sumy.summarizers.lex_rank import LexRankSummarizer

        sm = LexRankSummarizer()
        words = [sm._to_words_set(s) for s in doc.sentences]
        if not any(words):
            return list(range(len(sentences)))
        tf = sm._compute_tf(words)
        idf = sm._compute_idf(words)
        matrix = sm._create_matrix(words, sm.threshold, tf, idf)
        scores = list(sm.power_method(matrix, sm.epsilon))
    else:
        from sumy.summarizers.text_rank import TextRankSummarizer

        sm = TextRankSummarizer()
        ratings = sm.rate_sentences(doc)
        scores = [ratings[s] for s in doc.sentences]
    return sorted(range(len(sentences)), key=lambda i: (-scores[i], i))


def oracle_order(cand_units: list[list[str]], ref: list[str], budget: int, lengths) -> list[int]:
    chosen: list[int] = []
    best_score = 0.0
    used = 0
    while True:
        best_i, best_val = -1, best_score
        for i in range(len(cand_units)):
            if i in chosen or used + lengths[i] > budget:
                continue
            units = [u for j in sorted(chosen + [i]) for u in cand_units[j]]
            val = rouge_n(units, ref, 1) + rouge_n(units, ref, 2)
            if val > best_val:
                best_i, best_val = i, val
        if best_i < 0:
            return chosen
        chosen.append(best_i)
        used += lengths[best_i]
        best_score = best_val


def run_article(article: str, reference: str, key: str) -> dict[str, tuple[str, float]]:
    """Each system's summary text and its time in ms."""
    paragraphs = S.text_paragraphs(article)
    budget = len(reference)
    out: dict[str, tuple[str, float]] = {}

    t = time.perf_counter()
    sents = S.summarize(paragraphs, max_sentences=None, max_chars=budget)
    out["matome"] = ("".join(s.text for s in sents), (time.perf_counter() - t) * 1000)

    t = time.perf_counter()
    plain = S.candidates(paragraphs, trim=False, headings=False)
    texts = [c.text for c in plain]
    lengths = [len(x) for x in texts]
    pick = fill(list(range(len(texts))), lengths, budget)
    out["lead"] = ("".join(texts[i] for i in pick), (time.perf_counter() - t) * 1000)

    t = time.perf_counter()
    clean = [c for c in S.candidates(paragraphs) if c.eligible]
    cl = [len(c.text) for c in clean]
    pick = fill(list(range(len(clean))), cl, budget)
    out["lead-clean"] = ("".join(clean[i].text for i in pick), (time.perf_counter() - t) * 1000)

    for kind in ("lexrank", "textrank"):
        t = time.perf_counter()
        order = sumy_order(kind, texts)
        pick = fill(order, lengths, budget)
        out[f"sumy-{kind}"] = ("".join(texts[i] for i in pick), (time.perf_counter() - t) * 1000)

    t = time.perf_counter()
    rng = random.Random(zlib.crc32(key.encode("utf-8")))
    order = list(range(len(texts)))
    rng.shuffle(order)
    pick = fill(order, lengths, budget)
    out["random"] = ("".join(texts[i] for i in pick), (time.perf_counter() - t) * 1000)

    t = time.perf_counter()
    allc = S.candidates(paragraphs, headings=False)
    ref_units = char_units(reference)
    cu = [char_units(c.text) for c in allc]
    ol = [len(c.text) for c in allc]
    pick = sorted(oracle_order(cu, ref_units, budget, ol))
    out["oracle"] = ("".join(allc[i].text for i in pick), (time.perf_counter() - t) * 1000)
    return out


SYSTEMS = ("matome", "lead", "lead-clean", "sumy-lexrank", "sumy-textrank", "random", "oracle")


def load(name: str, limit: int | None):
    if name == "livedoor":
        path = EVAL / "livedoor_3line" / "dev.jsonl"
        rows = [json.loads(x) for x in path.open(encoding="utf-8")]
        items = [(str(r["id"]), r["article"], r["summary"]) for r in rows]
        label = "livedoor_3line dev"
    else:
        path = EVAL / "xlsum_ja_50" / "articles.jsonl"
        rows = [json.loads(x) for x in path.open(encoding="utf-8")]
        items = [(str(r["article_id"]), r["text"], r["reference_summary"]) for r in rows]
        label = "xlsum_ja_50"
    return label, items[:limit] if limit else items


def evaluate(items) -> tuple[list[str], dict]:
    scores = {s: [[] for _ in range(6)] for s in SYSTEMS}
    times = {s: [] for s in SYSTEMS}
    lens = {s: [] for s in SYSTEMS}
    times_1k = {s: [] for s in SYSTEMS}
    for key, article, ref in items:
        rc, rt = char_units(ref), token_units(ref)
        res = run_article(article, ref, key)
        for s in SYSTEMS:
            text, ms = res[s]
            pc, pt = char_units(text), token_units(text)
            for k, v in enumerate(rouge_all(pc, rc) + rouge_all(pt, rt)):
                scores[s][k].append(v)
            times[s].append(ms)
            lens[s].append(len(text))
            if 800 <= len(article) <= 1200:
                times_1k[s].append(ms)
    rows = []
    for s in SYSTEMS:
        m = [100 * statistics.fmean(v) for v in scores[s]]
        t1k = f"{statistics.median(times_1k[s]):.1f}" if times_1k[s] else "-"
        rows.append(
            f"| {s} | {m[0]:.1f} | {m[1]:.1f} | {m[2]:.1f} | {m[3]:.1f} | {m[4]:.1f} | {m[5]:.1f} "
            f"| {statistics.fmean(lens[s]):.0f} | {statistics.median(times[s]):.1f} | {t1k} |"
        )
    return rows, {s: statistics.fmean(scores[s][2]) for s in SYSTEMS}


HEADER = (
    "| system | R1 char | R2 char | RL char | R1 tok | R2 tok | RL tok | avg chars "
    "| median ms/article | median ms (800–1,200-char articles) |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=None, help="first N articles of each set")
    ap.add_argument("--sets", default="livedoor,xlsum")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/results")
    args = ap.parse_args()
    if not EVAL.is_dir():
        print(f"skipped: {EVAL} not found (../shared/eval)")
        return 0
    _self_check()
    tokenize("準備")  # load the dictionary before timing (warm)
    S.summarize(["ウォームアップの文です。もう一つの文です。"])
    out = [
        "# Article summary (要約) benchmark",
        "",
        "Generated by `bench/summarize.py` (budget = each reference's length in characters; "
        "ROUGE F1 ×100; time per article on this machine, warm, all systems in the same run).",
        "",
    ]
    for name in args.sets.split(","):
        label, items = load(name.strip(), args.limit)
        t0 = time.perf_counter()
        rows, _ = evaluate(items)
        dt = time.perf_counter() - t0
        block = [f"## {label} ({len(items)} articles, {dt:.0f} s)", "", HEADER, *rows, ""]
        print("\n".join(block), flush=True)
        out += block
    if not args.no_write and not args.limit:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text("\n".join(out), encoding="utf-8")
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
