"""Benchmark of the article summary (要約) against peers, measured in the same run.

Data (read from ../shared/eval, never copied into the repository):
  livedoor_3line/dev.jsonl      editor-written 3-line summaries (~104 characters)
  xlsum_ja_50/articles.jsonl    XL-Sum Japanese (BBC) reference summaries

matome's scorer is learned on livedoor dev (bench/train_summarizer.py), so on dev it is
cross-validated: articles are in 5 folds (crc32 of the id), and each article is summarized
by a model trained on the other four folds (never on itself). XL-Sum is summarized with the
shipped model (trained on all of dev; XL-Sum was never used for training or tuning).

Budget: as many characters as the reference has. Systems:
  matome        matome.analyze.summarize (learned scorer, compression, knapsack selection)
  matome-whole  the same without compression (whole sentences only)
  lead-equal    Lead cut to exactly as many characters as matome's summary of that article
                (the comparison at equal length; the cut may fall inside a sentence)
  lead          first whole sentences that fit the budget (same sentence splitting as
                matome, no filtering/trimming): the comparison by whole sentences
  lead-clean    first whole sentences among matome's cleaned candidates (filtered and
                trimmed, not compressed): what candidate cleaning alone gives
  sumy-lexrank  sumy's LexRankSummarizer with Sudachi content words plugged in
  sumy-textrank sumy's TextRankSummarizer with Sudachi content words plugged in
  random        random sentences (seeded by the article id)
  oracle        greedy extractive oracle of whole sentences on char ROUGE-1+2 F1 (ceiling)
Whole-sentence systems take sentences in their order of preference, skip one that does not
fit, stop when nothing fits; the summary is the chosen sentences in source order.

ROUGE (bench/_rouge.py): F1 of ROUGE-1, ROUGE-2 and ROUGE-L (LCS of the whole summary
against the whole reference) over characters (NFKC-normalised, white space and punctuation
removed) and over Sudachi tokens (mode C surfaces, punctuation removed).

Usage: .venv/bin/python bench/summarize.py [--limit N] [--sets livedoor,xlsum] [--no-write]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import train_summarizer as TS  # noqa: E402
from _data import jsonl, require_eval  # noqa: E402
from _rouge import _self_check, char_units, rouge_all, rouge_n, token_units  # noqa: E402

from matome.analyze import summarize as S  # noqa: E402
from matome.analyze.summary_model import model_from_dict  # noqa: E402
from matome.ja.tokens import is_content, tokenize  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "summarize.md"

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


def run_article(article: str, reference: str, key: str, model) -> dict[str, tuple[str, float]]:
    """Each system's summary text and its time in ms (``model``: matome's scorer)."""
    paragraphs = S.text_paragraphs(article)
    budget = len(reference)
    out: dict[str, tuple[str, float]] = {}

    t = time.perf_counter()
    sents = S.summarize(paragraphs, max_sentences=None, max_chars=budget, model=model)
    out["matome"] = ("".join(s.text for s in sents), (time.perf_counter() - t) * 1000)

    t = time.perf_counter()
    sents = S.summarize(paragraphs, max_sentences=None, max_chars=budget, model=model, shorten=False)
    out["matome-whole"] = ("".join(s.text for s in sents), (time.perf_counter() - t) * 1000)

    t = time.perf_counter()
    plain = S.candidates(paragraphs, trim=False, headings=False, shorten=False)
    texts = [c.text for c in plain]
    lengths = [len(x) for x in texts]
    pick = fill(list(range(len(texts))), lengths, budget)
    out["lead"] = ("".join(texts[i] for i in pick), (time.perf_counter() - t) * 1000)
    out["lead-equal"] = ("".join(texts)[: len(out["matome"][0])], out["lead"][1])

    t = time.perf_counter()
    clean = [c for c in S.candidates(paragraphs, shorten=False) if c.eligible]
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
    allc = S.candidates(paragraphs, headings=False, shorten=False)
    ref_units = char_units(reference)
    cu = [char_units(c.text) for c in allc]
    ol = [len(c.text) for c in allc]
    pick = sorted(oracle_order(cu, ref_units, budget, ol))
    out["oracle"] = ("".join(allc[i].text for i in pick), (time.perf_counter() - t) * 1000)
    return out


SYSTEMS = (
    "matome", "matome-whole", "lead-equal", "lead", "lead-clean",
    "sumy-lexrank", "sumy-textrank", "random", "oracle",
)


def load(name: str, limit: int | None):
    eval_dir = require_eval()
    if name == "livedoor":
        rows = jsonl(eval_dir / "livedoor_3line" / "dev.jsonl")
        items = [(str(r["id"]), r["article"], r["summary"]) for r in rows]
        label = "livedoor_3line dev, cross-validated (5 folds by article)"
    elif name == "xlsum":
        rows = jsonl(eval_dir / "xlsum_ja_50" / "articles.jsonl")
        items = [(str(r["article_id"]), r["text"], r["reference_summary"]) for r in rows]
        label = "xlsum_ja_50 (shipped model)"
    else:
        raise SystemExit(f"unknown set {name!r}: expected livedoor or xlsum")
    return label, items[:limit] if limit else items


def fold_models(items) -> dict[int, object]:
    """For each fold, the scorer trained on the articles of the other folds."""
    arts = [TS.Article(key, article, ref) for key, article, ref in items]
    models = {}
    for k in range(TS.FOLDS):
        train = [a for a in arts if TS.fold_of(a.key) != k]
        models[k] = model_from_dict(TS.fit(train))
    return models


def evaluate(items, models: dict[int, object] | None) -> tuple[list[str], dict]:
    scores = {s: [[] for _ in range(6)] for s in SYSTEMS}
    times = {s: [] for s in SYSTEMS}
    lens = {s: [] for s in SYSTEMS}
    times_1k = {s: [] for s in SYSTEMS}
    for key, article, ref in items:
        rc, rt = char_units(ref), token_units(ref)
        model = models[TS.fold_of(key)] if models else None
        res = run_article(article, ref, key, model)
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
        ms = "-" if s == "lead-equal" else f"{statistics.median(times[s]):.1f}"
        t1k = "-" if s == "lead-equal" else t1k
        rows.append(
            f"| {s} | {m[0]:.1f} | {m[1]:.1f} | {m[2]:.1f} | {m[3]:.1f} | {m[4]:.1f} | {m[5]:.1f} "
            f"| {statistics.fmean(lens[s]):.0f} | {ms} | {t1k} |"
        )
    rl = {s: 100 * statistics.fmean(scores[s][2]) for s in SYSTEMS}
    diffs = [a - b for a, b in zip(scores["matome"][2], scores["lead-equal"][2])]
    sd = statistics.pstdev(diffs) if len(diffs) > 1 else 0.0
    rows += [
        "",
        f"matome − lead-equal, char ROUGE-L: {rl['matome'] - rl['lead-equal']:+.2f} points "
        f"(± {100 * 1.96 * sd / max(1, len(diffs)) ** 0.5:.2f}, 95% interval of the mean "
        f"paired difference); matome − lead (whole sentences): {rl['matome'] - rl['lead']:+.2f}.",
        f"matome median {statistics.median(times['matome']):.1f} ms per article "
        f"(the model is given; tokenization included).",
    ]
    return rows, rl


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
    require_eval()
    _self_check()
    tokenize("準備")  # load the dictionary before timing (warm)
    S.summarize(["ウォームアップの文です。もう一つの文です。"])
    out = [
        "# Article summary (要約) benchmark",
        "",
        "Generated by `bench/summarize.py` (budget = each reference's length in characters; "
        "ROUGE F1 ×100; time per article on this machine, warm, all systems in the same run; "
        "the machine is shared, so times are noisy).",
        "",
    ]
    for name in args.sets.split(","):
        label, items = load(name.strip(), args.limit)
        t0 = time.perf_counter()
        models = fold_models(items) if name.strip() == "livedoor" else None
        t_train = time.perf_counter() - t0
        rows, _ = evaluate(items, models)
        dt = time.perf_counter() - t0
        extra = f", of which {t_train:.0f} s training the fold models" if models else ""
        block = [f"## {label} ({len(items)} articles, {dt:.0f} s{extra})", "", HEADER, *rows, ""]
        print("\n".join(block), flush=True)
        out += block
    if not args.no_write and not args.limit:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text("\n".join(out), encoding="utf-8")
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
