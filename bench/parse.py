"""Archive reader throughput on a ≥50 MB archive built from real text, beside the raw read
speed of the same file (the ceiling), and Sudachi tokenization speed of the ja layer.

    .venv/bin/python bench/parse.py [--mb 50] [--repeat 3]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import jsonl, require_eval  # noqa: E402

from matome.io.archive import read_path, write_entries  # noqa: E402
from matome.model import (  # noqa: E402
    DEFAULT_TRAILER,
    ArticleBody,
    ArticleSummary,
    Comment,
    CommentSection,
    DiscussionSummary,
    Entry,
    Headline,
    RecordInfo,
    Votes,
    paginate,
)


def build_entries(target_bytes: int) -> list[Entry]:
    """Entries with unique ids: real article texts and real comments, cycled until the size."""
    ev = require_eval()
    articles = [a for a in jsonl(ev / "yahoo_comments_tkawai" / "news_list_articles.jsonl") if a.get("text")]
    articles += [
        {"title": a["article"][:40], "text": a["article"]} for a in jsonl(ev / "livedoor_3line" / "dev.jsonl")
    ]
    comments = [c["comment"] for c in jsonl(ev / "yahoo_comments_tkawai" / "comments.jsonl") if c.get("comment")]
    cyc = itertools.cycle(comments)
    entries: list[Entry] = []
    size = 0
    for n in itertools.count():
        a = articles[n % len(articles)]
        base = 1_000_000 + 5 * n
        rec = [RecordInfo(base + k, "2025/02/13 17:56:29") for k in range(5)]
        paras = [p for p in a["text"].split("\n") if p.strip()] or [a["text"]]
        thread = paginate(
            [Comment(next(cyc).replace("\r", ""), Votes((n * 7 + i) % 50, (n * 3 + i) % 20)) for i in range(40)]
        )
        e = Entry(
            Headline(rec[0], a["title"].replace("\n", " "), "テスト通信", "2/13(木) 12:16", f"https://example.jp/{n}"),
            ArticleSummary(rec[1], tuple(paras[:2])),
            ArticleBody(rec[2], ArticleBody.layout(paras, lead=a["title"][:30], byline="編集部")),
            DiscussionSummary(rec[3], ("この議論では、様々な意見が出ています。",), "様々な意見。", ("補足。",)),
            CommentSection(rec[4], thread),
            DEFAULT_TRAILER,
        )
        entries.append(e)
        size += len(write_entries([e]).encode("utf-8"))
        if size >= target_bytes:
            return entries
    raise AssertionError("unreachable")


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mb", type=float, default=50.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    entries = build_entries(int(args.mb * 1024 * 1024))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.txt"
        path.write_text(write_entries(entries), encoding="utf-8")
        size = path.stat().st_size
        mb = size / 1024 / 1024
        raw = best_of(args.repeat, lambda: path.read_bytes().decode("utf-8"))
        count = {}
        read = best_of(args.repeat, lambda: count.setdefault("n", len(read_path(path).entries)))
        assert count["n"] == len(entries)

    from matome.ja.tokens import tokenize

    text = "\n".join(c.text for e in entries[:40] for c in e.comments)[:400_000]
    tokenize(text[:1000])  # load the dictionary once
    tok = best_of(args.repeat, lambda: tokenize(text))

    print(f"archive: {mb:.1f} MB, {len(entries)} entries, {sum(len(e.comments) for e in entries)} comments")
    print(f"{'what':34} {'MB/s':>9} {'entries/s':>11} {'chars/s':>12}")
    print(f"{'raw read + UTF-8 decode (ceiling)':34} {mb / raw:9.1f} {len(entries) / raw:11.0f} {'':>12}")
    print(f"{'matome archive reader':34} {mb / read:9.1f} {len(entries) / read:11.0f} {'':>12}")
    print(f"{'Sudachi tokenize (mode C)':34} {'':>9} {'':>11} {len(text) / tok:12.0f}")
    print(f"(best of {args.repeat}; {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
