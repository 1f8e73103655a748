"""Benchmark the archive store: ingest rate, search latency, bytes per comment.

Builds entries from real comment and article text in ../shared/eval/ (Yahoo! News comments,
girlschannel, Yahoo! articles), writes them as archive files, then for each backend:

- ingest: ``matome ingest --no-digest`` path (every file's entries, parsed one by one as the
  ingest asks for them, through one ``Store.ingest_entries``, as the command does),
  comments/s ("comm/s" with the parsing of the archive files, "store-only/s" without the
  time spent parsing);
  then the bulk search-index build (which otherwise runs before the first search),
  timed on its own ("index s") and together ("+index/s"); and a re-ingest of the same files
  (everything unchanged);
- search: latency of 21 queries (3+ characters and 1–2 characters, through the bigram
  indexes) with the default limit of 20, flat (``Store.search``) and grouped
  (``Store.search_articles``, what the CLI and the web run). Each query is timed in
  1 + ``--rounds`` (default 5) passes over the query set, in the same order: pass 0 is its
  first run after the ingest and the index build (cold caches, as a user's first searches
  after an import see them), passes 1… repeat it. **The reported p95 is over every timing,
  the cold pass included** (126 timings by default, so one slow sample no longer decides
  it); beside it: the warm passes' p95, the cold pass's p95 and max, the spread of the
  p95 of each warm pass taken alone, and "old method", pass 1 alone: exactly what this
  script reported before (one untimed warm-up pass, then one timed pass), kept so that
  figures stay comparable with earlier results (the ``p50``/``p95`` columns of the table
  are still that old figure). The grouped search runs after the flat one, so its pass 0
  finds the caches the flat passes warmed;
- size: bytes on disk per comment (SQLite file + WAL; PostgreSQL database size delta).

    .venv/bin/python bench/store.py                       # 1,000,000 comments, SQLite + PostgreSQL
    .venv/bin/python bench/store.py --comments 100000 --backends sqlite

PostgreSQL is measured when --pg-url or MATOME_TEST_PG_URL is set (a fresh database is used
and dropped afterwards, unless --pg-keep).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from matome.io.archive import EntryStream, decode, read_path, write_entries  # noqa: E402
from matome.model import (  # noqa: E402
    ArticleBody, ArticleSummary, Comment, CommentSection, DiscussionSummary, Entry, Headline, RecordInfo, Votes,
    paginate,
)

EVAL = ROOT.parent / "shared" / "eval"

QUERIES = [
    # 3+ characters (trigram index)
    "半導体", "少子化", "自民党", "子育て", "消費税", "ウクライナ", "コロナ", "円安", "マイナンバー",
    "政治家", "年金", "物価高", "日本人", "税金を", "岸田総理",
    # 1–2 characters (the short path)
    "日本", "政府", "AI", "税", "円",
    # a rare 1-character word (685 articles' comments at 1M)
    "鬱",
]


def _clean(text: str) -> str:
    """Non-empty lines, stripped, without markers the archive format reserves."""
    lines = [ln.strip().replace("\u00a0", " ") for ln in text.replace("\r", "\n").split("\n")]
    return "\n".join(
        ln for ln in lines
        if ln and not ln.startswith(("=+=+", "▲", "(要約)", "[まとめ]", "(", "http")) and not ln.endswith("配信")
    )


def load_texts() -> tuple[list[str], list[tuple[str, str, str]], list[tuple[int, int]]]:
    comments: list[str] = []
    votes: list[tuple[int, int]] = []
    with open(EVAL / "yahoo_comments_tkawai" / "comments.jsonl", encoding="utf-8") as f:
        for line in f:
            t = _clean(json.loads(line).get("comment") or "")
            if t:
                comments.append(t)
    with open(EVAL / "girlschannel_votes" / "topic_5477357.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if d.get("reply_listed_under") is None and _clean(d.get("text") or ""):
                comments.append(_clean(d["text"]))
                votes.append((int(d.get("plus") or 0), int(d.get("minus") or 0)))
    with open(EVAL / "yahoo_comments_votes_2020" / "comments.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if _clean(d.get("comment") or ""):
                comments.append(_clean(d["comment"]))
                votes.append((int(d.get("agree_good") or 0), int(d.get("disagree_bad") or 0)))
    articles = []
    with open(EVAL / "yahoo_comments_tkawai" / "news_list_articles.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            title, body = " ".join((d.get("title") or "").split()), _clean(d.get("text") or "")
            if title and body and not title.endswith("配信"):
                articles.append((title, d.get("category") or "ニュース", body))
    return comments, articles, votes


def build_entries(n_comments: int, per_article: int, seed: int = 7) -> list[Entry]:
    texts, arts, votes = load_texts()
    rng = random.Random(seed)
    rng.shuffle(texts)
    entries = []
    made = 0
    k = 0
    while made < n_comments:
        n = min(per_article, n_comments - made)
        title, category, body = arts[k % len(arts)]
        rid = 1_000_000 + 5 * k
        day = 1 + k % 28
        stamp = f"2025/{1 + (k // 28) % 12:02d}/{day:02d} 12:00:00"
        cs = []
        for i in range(n):
            t = texts[(made + i) % len(texts)]
            up, down = votes[rng.randrange(len(votes))]
            cs.append(Comment(t, Votes(up, down)))
        month = 1 + (k // 28) % 12
        entries.append(
            Entry(
                Headline(RecordInfo(rid, stamp), f"{title}({k})", f"{category}通信", f"{month}/{day}(月) 09:00",
                         f"https://news.example.jp/articles/{k:08d}"),
                ArticleSummary(RecordInfo(rid + 2, stamp), tuple(body[:120].split("\n"))),
                ArticleBody(RecordInfo(rid + 1, stamp), ArticleBody.layout(body.split("\n"), lead=title, byline="編集部")),
                DiscussionSummary(RecordInfo(rid + 3, stamp), ("この議論では、読者の意見が分かれています。",), "読者の声", ()),
                CommentSection(RecordInfo(rid + 4, stamp), paginate(cs)),
            )
        )
        made += n
        k += 1
    return entries


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))]


def run_backend(name: str, url: str, files: list[Path], n_comments: int, size_fn, server_cpu=None,
                rounds: int = 5) -> dict:
    """``server_cpu()``: CPU seconds used so far by the database server's processes for this
    database (PostgreSQL), so that the ingest's CPU cost can be counted whole."""
    from matome.store import open_store

    store = open_store(url)
    before = size_fn()
    s0 = server_cpu() if server_cpu else 0.0
    t0, c0 = time.perf_counter(), time.process_time()
    parse = [0.0, 0.0]  # wall and CPU seconds spent parsing the files

    def entries():
        # as `matome ingest` does it: every file through one ingest_entries, each entry
        # parsed when the ingest asks for it (parsing goes on while the database writes)
        for f in files:
            w, c = time.perf_counter(), time.process_time()
            stream = iter(EntryStream(decode(f.read_bytes(), str(f)), str(f)))
            while True:
                try:
                    entry = next(stream)
                except StopIteration:
                    break
                finally:
                    parse[0] += time.perf_counter() - w
                    parse[1] += time.process_time() - c
                yield entry
                w, c = time.perf_counter(), time.process_time()

    report = store.ingest_entries(entries(), digest=False)
    ingest_s = time.perf_counter() - t0
    read_s = parse[0]
    ingest_cpu = time.process_time() - c0
    ingest_server_cpu = (server_cpu() - s0) if server_cpu else 0.0
    assert report is not None and not report.failed, report.failed[:3] if report else None
    # both backends build their search index in bulk before the first search; timed on its own here
    s0 = server_cpu() if server_cpu else 0.0
    t0, c0 = time.perf_counter(), time.process_time()
    store.build_search_index()
    index_s = time.perf_counter() - t0
    index_cpu = time.process_time() - c0 + ((server_cpu() - s0) if server_cpu else 0.0)
    t0 = time.perf_counter()
    again = None
    for f in files:
        rep = store.ingest_entries(read_path(f).entries, digest=False)
        again = rep if again is None else (again.merge(rep) or again)
    reingest_s = time.perf_counter() - t0
    size = size_fn() - before
    # Each query is timed in 1 + ``rounds`` passes over the query set (see the module docstring):
    # pass 0 is the first time it runs after the ingest and the index build (cold), passes 1…
    # ``rounds`` repeat it. The headline p95 is over every timing, the cold pass included.
    flat = _timed_passes(name, "flat", rounds, store.search,
                         lambda hits: f"{len(hits)} hits")
    grouped = _timed_passes(name, "grouped", rounds, store.search_articles,
                            lambda page: f"grouped: {page.total}{'' if page.total_exact else '+'} articles")
    old = flat["passes"][1]  # the old method: one warm-up pass (not counted), then one timed pass
    lat_long = [ms for q, ms in zip(QUERIES, old["wall"]) if len(q) >= 3]
    lat_short = [ms for q, ms in zip(QUERIES, old["wall"]) if len(q) < 3]
    cpu = old["cpu"]
    counts = flat["counts"]
    t = time.perf_counter()
    filtered = store.search("少子化", min_up=100)
    filt_ms = (time.perf_counter() - t) * 1000
    comments = store.count_comments()
    store.close()
    all_lat = lat_long + lat_short
    return {
        "backend": name,
        "comments": comments,
        "ingest_s": ingest_s,
        "read_s": read_s,
        "rate": n_comments / ingest_s,
        "index_s": index_s,
        "rate_with_index": n_comments / (ingest_s + index_s),
        "rate_store_only": n_comments / max(1e-9, ingest_s - read_s),
        "rate_cpu": n_comments / max(1e-9, ingest_cpu),
        "ingest_cpu": ingest_cpu,
        "read_cpu_s": parse[1],
        "ingest_server_cpu": ingest_server_cpu,
        "index_cpu": index_cpu,
        "reingest_s": reingest_s,
        "reingest_unchanged": again.unchanged if again else 0,
        "p50": statistics.median(all_lat),
        "p95": pct(all_lat, 95),
        "flat": _summary(flat),
        "grouped": _summary(grouped),
        "p95_long": pct(lat_long, 95),
        "max_short": max(lat_short),
        "filtered_ms": filt_ms,
        "bytes_per_comment": size / max(1, comments),
        "hits": sum(counts),
        "cpu_p95_long": pct([c for q, c in zip(QUERIES, cpu) if len(q) >= 3], 95),
        "filtered_hits": len(filtered),
        "grouped_p50": statistics.median(grouped["passes"][1]["wall"]),
        "grouped_p95": pct(grouped["passes"][1]["wall"], 95),
        "grouped_max": max(grouped["passes"][1]["wall"]),
        "grouped_cpu_p50": statistics.median(grouped["passes"][1]["cpu"]),
        "grouped_cpu_p95": pct(grouped["passes"][1]["cpu"], 95),
    }


def _timed_passes(backend: str, kind: str, rounds: int, fn, describe) -> dict:
    """Run every query of QUERIES through ``fn`` in 1 + ``rounds`` passes, timing each call
    (wall and this process's CPU, in ms); pass 0 is the first run of each query."""
    passes, counts, first = [], [], []
    for r in range(rounds + 1):
        wall, cpu = [], []
        for q in QUERIES:
            t, c = time.perf_counter(), time.process_time()
            out = fn(q)
            wall.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            if r == 0:
                counts.append(len(out.results) if hasattr(out, "results") else len(out))
                first.append(out)
            elif out != first[len(wall) - 1]:
                print(f"  {backend} {kind} pass {r} {q}: results differ from pass 0", flush=True)
            if r <= 1:  # the cold pass and the old method's timed pass, word by word
                print(f"  {backend} {kind} pass {r} {q:<8} {wall[-1]:8.1f} ms wall {cpu[-1]:8.1f} ms cpu  "
                      f"{describe(out)}", flush=True)
        passes.append({"wall": wall, "cpu": cpu})
    # a fingerprint of every result of pass 0 (ids, texts, order, totals): equal between two
    # runs over the same data when both codes find the same results
    fingerprint = hashlib.sha1(repr(first).encode()).hexdigest()[:12]
    return {"passes": passes, "counts": counts, "fingerprint": fingerprint}


def _summary(timed: dict) -> dict:
    """p50/p95/max over every timing (cold pass included), over the warm passes only, the
    cold pass alone, the spread of the per-pass p95, and the slowest words."""
    passes = timed["passes"]
    every = [ms for p in passes for ms in p["wall"]]
    warm = [ms for p in passes[1:] for ms in p["wall"]]
    per_pass = [pct(p["wall"], 95) for p in passes[1:]]
    worst = sorted(((max(p["wall"][i] for p in passes), q) for i, q in enumerate(QUERIES)), reverse=True)[:3]
    return {
        "n": len(every), "p50": statistics.median(every), "p95": pct(every, 95), "max": max(every),
        "warm_p95": pct(warm, 95), "cold_p95": pct(passes[0]["wall"], 95), "cold_max": max(passes[0]["wall"]),
        "pass_p95_min": min(per_pass), "pass_p95_max": max(per_pass), "old_p95": per_pass[0],
        "cpu_p95": pct([c for p in passes for c in p["cpu"]], 95),
        "worst": ", ".join(f"{q} {ms:.0f}" for ms, q in worst),
        "fingerprint": timed["fingerprint"],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--comments", type=int, default=1_000_000)
    ap.add_argument("--per-article", type=int, default=100)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--pg-url", default=os.environ.get("MATOME_TEST_PG_URL"))
    ap.add_argument("--keep", help="keep the SQLite database at this path")
    ap.add_argument("--pg-keep", action="store_true",
                    help="PostgreSQL: keep the bench database afterwards (its name is printed; drop it yourself)")
    ap.add_argument("--rounds", type=int, default=5,
                    help="timed passes over the queries after the first (cold) one (default 5)")
    args = ap.parse_args()
    if not EVAL.exists():
        print("skipped: ../shared/eval not found")
        return 0
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    t = time.perf_counter()
    entries = build_entries(args.comments, args.per_article)
    tmp = Path(tempfile.mkdtemp(prefix="matome-bench-"))
    files = []
    chunk = 500
    for i in range(0, len(entries), chunk):
        p = tmp / f"part{i // chunk:05d}.txt"
        p.write_text(write_entries(entries[i : i + chunk]), encoding="utf-8")
        files.append(p)
    n = sum(len(e.comments) for e in entries)
    print(f"built {len(entries):,} entries, {n:,} comments in {len(files)} archive files "
          f"({sum(f.stat().st_size for f in files) / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s", flush=True)
    del entries
    results = []
    try:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                db = Path(args.keep) if args.keep else tmp / "bench.db"
                for suffix in ("", "-wal", "-shm"):
                    Path(str(db) + suffix).unlink(missing_ok=True)

                def size_fn(db=db):
                    return sum(Path(str(db) + s).stat().st_size for s in ("", "-wal") if Path(str(db) + s).exists())

                results.append(run_backend("SQLite", str(db), files, n, size_fn, rounds=args.rounds))
            elif backend == "postgresql":
                if not args.pg_url:
                    print("PostgreSQL: skipped (no --pg-url and MATOME_TEST_PG_URL unset)")
                    continue
                results.append(run_pg(args.pg_url, files, n, args.rounds, keep=args.pg_keep))
            print(_row(results[-1]) if results else "", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(f"{'backend':<10} {'comments':>10} {'ingest s':>9} {'comm/s':>9} {'store-only/s':>12} {'index s':>8} "
          f"{'+index/s':>9} {'re-ingest s':>11} "
          f"{'p50 ms':>7} {'p95 ms':>7} {'p95 3+ch':>8} {'max 1-2ch':>9} {'B/comment':>9}")
    for r in results:
        print(_row(r))
    print("grouped search (one result per article with the total; what the CLI and web use): "
          + ", ".join(f"{r['backend']} p50 {r['grouped_p50']:.1f} ms, p95 {r['grouped_p95']:.1f} ms, "
                      f"max {r['grouped_max']:.1f} ms (client CPU p50 {r['grouped_cpu_p50']:.1f} ms, "
                      f"p95 {r['grouped_cpu_p95']:.1f} ms)" for r in results))
    print("\nsearch latency over 1 + rounds passes of the queries (pass 0 = each query's first run after the "
          "ingest and the index build), ms:")
    for r in results:
        for kind in ("flat", "grouped"):
            m = r[kind]
            print(f"  {r['backend']:<10} {kind:<7} p95 {m['p95']:6.1f} (n={m['n']}, cold pass included)  "
                  f"p50 {m['p50']:5.1f}  max {m['max']:6.1f}  warm-only p95 {m['warm_p95']:5.1f}  "
                  f"cold pass p95 {m['cold_p95']:5.1f} max {m['cold_max']:5.1f}  "
                  f"per-pass p95 {m['pass_p95_min']:.1f}–{m['pass_p95_max']:.1f}  "
                  f"old method (pass 1 alone) p95 {m['old_p95']:.1f}  client CPU p95 {m['cpu_p95']:.1f}  "
                  f"slowest: {m['worst']}  results {m['fingerprint']}")
    print("\ningest per CPU-second of this process (SQLite does all its work here; PostgreSQL's server "
          "work is not counted): " + ", ".join(f"{r['backend']} {r['rate_cpu']:,.0f} comments/cpu-s" for r in results))
    for r in results:
        if r["backend"] == "PostgreSQL":
            total = r["ingest_cpu"] + r["ingest_server_cpu"]
            print(f"PostgreSQL ingest CPU: client {r['ingest_cpu']:.1f} s (of which ~{r['read_cpu_s']:.1f} s reading "
                  f"the files) + server backends {r['ingest_server_cpu']:.1f} s = {total:.1f} cpu-s, "
                  f"{r['comments'] / max(1e-9, total):,.0f} comments/cpu-s; index build {r['index_cpu']:.1f} cpu-s")
    print("search CPU p95 (3+ characters, in-process, so SQLite only): "
          + ", ".join(f"{r['backend']} {r['cpu_p95_long']:.1f} ms" for r in results if r["backend"] == "SQLite"))
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores; other jobs share the machine)")
    print("\ntargets: ≥ 20,000 comments/s (--no-digest) and search p95 ≤ 50 ms on 1,000,000 comments, "
          "SQLite and PostgreSQL")
    return 0


def _row(r: dict) -> str:
    return (f"{r['backend']:<10} {r['comments']:>10,} {r['ingest_s']:>9.1f} {r['rate']:>9,.0f} {r['rate_store_only']:>12,.0f} "
            f"{r['index_s']:>8.1f} {r['rate_with_index']:>9,.0f} "
            f"{r['reingest_s']:>11.1f} {r['p50']:>7.1f} {r['p95']:>7.1f} {r['p95_long']:>8.1f} {r['max_short']:>9.1f} "
            f"{r['bytes_per_comment']:>9.0f}")


def run_pg(url: str, files: list[Path], n: int, rounds: int = 5, keep: bool = False) -> dict:
    """Measure in a database of its own beside the one ``url`` names (which is left alone),
    dropped afterwards whatever happens."""
    import uuid

    import sqlalchemy as sa

    from matome.store.engine import resolve_url

    name = f"matome_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin_url = sa.engine.make_url(resolve_url(url))
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''))
    bench_url = admin_url.set(database=name)
    own = sa.create_engine(bench_url, isolation_level="AUTOCOMMIT")

    def size_fn():
        with own.connect() as c:
            return c.execute(sa.text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm')"
            )).scalar_one()

    def server_cpu() -> float:
        """CPU seconds of the server processes connected to the bench database (psutil; the
        server runs on this machine). Pooled connections live through the ingest."""
        import psutil

        with own.connect() as c:
            pids = c.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                     "AND pid <> pg_backend_pid()")).scalars().all()
        total = 0.0
        for pid in pids:
            try:
                t = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            seen[pid] = t.user + t.system
        for cpu in seen.values():
            total += cpu
        return total

    seen: dict[int, float] = {}
    try:
        return run_backend("PostgreSQL", bench_url.render_as_string(hide_password=False), files, n, size_fn,
                           server_cpu, rounds)
    finally:
        own.dispose()
        if keep:
            print(f"PostgreSQL: kept the bench database {name}")
        else:
            with admin.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
