"""Benchmark ``matome batch``: articles/s and comments/s with 1 and 2 workers, on the local
process pool and on Ray (local), over SQLite and PostgreSQL.

    .venv/bin/python bench/batch.py                      # 500 articles, everything; writes bench/results/batch.md
    .venv/bin/python bench/batch.py --articles 40 --runners pool --backends sqlite   # a quick look

The archive: ``--articles`` articles built from ../shared/eval/yahoo_comments_tkawai (read,
never copied): each takes the next 20–200 real comments (sizes drawn with a fixed seed, the
comment list reused cyclically), the title and text of one of the 1,207 real Yahoo articles
as its headline and body, and ▲/▼ counts drawn from a seeded heavy-tailed distribution as
bench/digest.py does. It is ingested once per backend without digests; each run deletes the
digests and digests every article again with ``matome.batch.run`` (what ``matome batch``
runs). Figures: wall time from the start of the run (worker start-up included) and the
steady rate from the first article stored to the last. All runs must store the same digest
bytes (checked: a SHA-256 over every digest). The machine is shared: the 1-minute load
average is printed before and after each run.

"worker CPU ms/article" is the CPU time the worker processes spent per article (their own
clock, so less disturbed by other work on the machine than the wall time). The per-article
cost (a + b × comments, least squares over the 1-worker pool run's per-article CPU times) gives the projection for 300,000 articles / 20M comments in docs/scale.md.

PostgreSQL is measured when --pg-url or MATOME_TEST_PG_URL is set (a database of its own is
created beside the one named and dropped afterwards).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import require_eval  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "batch.md"
TARGET_ARTICLES, TARGET_COMMENTS = 300_000, 20_000_000


def build_entries(eval_dir: Path, n: int, seed: int = 13):
    import numpy as np

    from matome.io.tabular import entry_from_comments
    from matome.model import Comment, Votes

    folder = eval_dir / "yahoo_comments_tkawai"
    texts = []
    with (folder / "comments.jsonl").open(encoding="utf-8") as f:
        for line in f:
            t = (json.loads(line).get("comment") or "").strip()
            if t:
                texts.append(t)
    news = []
    with (folder / "news_list_articles.jsonl").open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if (row.get("title") or "").strip() and (row.get("text") or "").strip():
                news.append((row["title"].strip(), row["text"].strip()))
    rng = np.random.default_rng(seed)
    entries, at = [], 0
    for i in range(n):
        size = int(rng.integers(20, 201))
        comments = []
        for _ in range(size):
            volume = int(rng.pareto(1.2) * 20)
            up = int(round(volume * rng.beta(2.0, 1.2)))
            comments.append(Comment(texts[at % len(texts)], Votes(up, volume - up)))
            at += 1
        title, text = news[i % len(news)]
        entries.append(entry_from_comments(comments, title=title, article_text=text,
                                           url=f"https://bench.invalid/batch/{i:06d}", source="bench"))
    return entries


def digests_hash(store) -> tuple[int, str]:
    import sqlalchemy as sa

    from matome.store.schema import articles, digests

    h = hashlib.sha256()
    n = 0
    with store.engine.connect() as c:
        for key, digest in c.execute(sa.select(articles.c.key, digests.c.digest)
                                     .join(digests, digests.c.article_id == articles.c.id).order_by(articles.c.key)):
            h.update(key.encode() + b"\0" + digest.encode() + b"\0")
            n += 1
    return n, h.hexdigest()[:16]


def one_run(url: str, runner: str, workers: int) -> dict:
    import sqlalchemy as sa

    from matome.batch import plan, run
    from matome.store import open_store
    from matome.store.schema import digests

    with open_store(url, migrate=False) as s:
        with s.engine.begin() as c:
            c.execute(sa.delete(digests))
        job = plan(s)
    times: list[float] = []
    per_article: list[tuple[int, float]] = []

    def seen(o) -> None:
        times.append(time.perf_counter())
        if o.ok:
            per_article.append((job.comments[o.article_id], o.cpu_seconds))

    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    summary = run(url, job, workers=workers, ray=None if runner == "pool" else "local", on_done=seen)
    wall = time.perf_counter() - t0
    load_after = os.getloadavg()[0]
    with open_store(url, migrate=False) as s:
        stored, digest_sha = digests_hash(s)
    steady = times[-1] - times[0] if len(times) > 1 else wall
    return {
        "runner": runner, "workers": workers, "articles": summary.done, "failed": len(summary.failures),
        "comments": summary.comments, "wall_s": wall, "startup_s": times[0] - t0 if times else wall,
        "steady_s": steady,
        "articles_per_s": summary.done / wall, "comments_per_s": summary.comments / wall,
        "steady_articles_per_s": (summary.done - 1) / steady if steady > 0 else 0.0,
        "steady_comments_per_s": (summary.comments - job.comments[job.ids[0]]) / steady if steady > 0 else 0.0,
        "load_before": load_before, "load_after": load_after, "stored": stored, "digest_sha": digest_sha,
        "per_article": per_article, "cpu_s": sum(c for _, c in per_article),
    }


def fit_cost(per_article: list[tuple[int, float]]) -> tuple[float, float]:
    """Seconds per article = a + b × comments (least squares)."""
    import numpy as np

    x = np.array([c for c, _ in per_article], dtype=float)
    y = np.array([s for _, s in per_article], dtype=float)
    b, a = np.polyfit(x, y, 1)
    return float(a), float(b)


def ingest(url: str, entries) -> float:
    from matome.store import open_store

    t0 = time.perf_counter()
    with open_store(url) as s:
        report = s.ingest_entries(entries, digest=False)
    assert not report.failed, report.failed[:3]
    return time.perf_counter() - t0


def pg_database(base: str):
    import uuid

    import sqlalchemy as sa

    from matome.store.engine import resolve_url

    name = f"matome_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin_url = sa.engine.make_url(resolve_url(base))
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.set(database=name).render_as_string(hide_password=False), drop


def table(rows: list[dict]) -> list[str]:
    out = ["| backend | runner | workers | articles | comments | wall s | start-up s | articles/s (wall) | comments/s (wall) "
           "| articles/s (steady) | comments/s (steady) | worker CPU ms/article | load avg before→after | digests sha256 |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        out.append(f"| {r['backend']} | {r['runner']} | {r['workers']} | {r['articles']} | {r['comments']:,} | "
                   f"{r['wall_s']:.1f} | {r['startup_s']:.1f} | {r['articles_per_s']:.2f} | {r['comments_per_s']:,.0f} | "
                   f"{r['steady_articles_per_s']:.2f} | {r['steady_comments_per_s']:,.0f} | "
                   f"{1000 * r['cpu_s'] / max(r['articles'], 1):.0f} | "
                   f"{r['load_before']:.2f}→{r['load_after']:.2f} | {r['digest_sha']} |")
    return out


def ratios(rows: list[dict]) -> list[str]:
    out = []
    by = {(r["backend"], r["runner"], r["workers"]): r for r in rows}
    for backend in dict.fromkeys(r["backend"] for r in rows):
        for runner in ("pool", "ray"):
            one, two = by.get((backend, runner, 1)), by.get((backend, runner, 2))
            if one and two:
                out.append(f"- {backend}, {runner}: 2 workers / 1 worker = {two['wall_s'] and one['wall_s'] / two['wall_s']:.2f}× "
                           f"(wall), {two['steady_articles_per_s'] / one['steady_articles_per_s']:.2f}× (steady)")
        for w in (1, 2):
            p, r = by.get((backend, "pool", w)), by.get((backend, "ray", w))
            if p and r:
                out.append(f"- {backend}, {w} worker(s): Ray local / pool = {p['wall_s'] / r['wall_s']:.2f} (wall), "
                           f"{r['steady_articles_per_s'] / p['steady_articles_per_s']:.2f} (steady)")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=500)
    ap.add_argument("--runners", default="pool,ray", help="pool, ray or both (comma-separated)")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--pg-url", default=os.environ.get("MATOME_TEST_PG_URL"))
    ap.add_argument("--out", default=str(RESULTS), help="results file ('-': none)")
    args = ap.parse_args()
    eval_dir = require_eval()
    runners = [r for r in args.runners.split(",") if r]
    if "ray" in runners:
        import importlib.util

        if importlib.util.find_spec("ray") is None:
            print("Ray: skipped (not installed: pip install 'matome[ray]')")
            runners.remove("ray")
    workers = [int(w) for w in args.workers.split(",")]

    t0 = time.perf_counter()
    entries = build_entries(eval_dir, args.articles)
    n_comments = sum(len(e.comments) for e in entries)
    print(f"built {len(entries)} articles, {n_comments:,} comments "
          f"({min(len(e.comments) for e in entries)}–{max(len(e.comments) for e in entries)} per article) "
          f"in {time.perf_counter() - t0:.1f} s")

    rows: list[dict] = []
    fits: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="matome-bench-batch-") as tmp:
        for backend in args.backends.split(","):
            drop = None
            if backend == "sqlite":
                url = str(Path(tmp) / "batch.db")
            elif backend == "postgresql":
                if not args.pg_url:
                    print("PostgreSQL: skipped (no --pg-url and MATOME_TEST_PG_URL unset)")
                    continue
                url, drop = pg_database(args.pg_url)
            else:
                ap.error(f"unknown backend {backend!r}")
            try:
                print(f"{backend}: ingested in {ingest(url, entries):.1f} s")
                for runner in runners:
                    for w in workers:
                        r = one_run(url, runner, w)
                        r["backend"] = backend
                        rows.append(r)
                        if runner == "pool" and w == 1:
                            fits[backend] = fit_cost(r["per_article"])
                        print(table([r])[-1], flush=True)
            finally:
                if drop:
                    drop()

    shas = {r["digest_sha"] for r in rows}
    lines = [
        f"# matome batch: {args.articles} articles, {n_comments:,} comments",
        "",
        f"`.venv/bin/python bench/batch.py {' '.join(sys.argv[1:])}`".replace("  ", " "),
        f"— {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.python_version()}, "
        f"{os.cpu_count()} cores (shared with other work: see the load averages).",
        "",
        *table(rows),
        "",
        f"Every run stored {', '.join(sorted({str(r['stored']) for r in rows}))} digests; "
        + ("all runs stored the same digest bytes." if len(shas) == 1 else f"DIGESTS DIFFER between runs: {sorted(shas)}"),
        "",
        *ratios(rows),
    ]
    for backend, (a, b) in fits.items():
        one = TARGET_ARTICLES * a + TARGET_COMMENTS * b
        lines += ["", f"Per-article cost ({backend}, 1-worker pool, least squares over {args.articles} articles): "
                      f"{a * 1000:.0f} ms + {b * 1000:.2f} ms × comments of worker CPU; "
                      f"{TARGET_ARTICLES:,} articles / {TARGET_COMMENTS:,} comments = {one / 3600:.1f} core-hours."]
    for line in lines:
        print(line)
    if args.out != "-":
        Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0 if len(shas) <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
