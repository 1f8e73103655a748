"""Web benchmark: requests/s and latency of the article page and search over 10,000 articles.

    .venv/bin/python bench/web.py [--articles 10000] [--duration 20] [--concurrency 16]

Builds (once; reused from bench/out/) an SQLite archive of N articles made from real text in
../shared/eval/ (Yahoo! News titles and comments, vote counts from real threads), with a
digest stored for every article, starts ``uvicorn`` serving ``matome.web.create_app`` in a
separate process on 127.0.0.1, and drives it with a lean keep-alive client (or httpx, as a
peer) at bounded concurrency for each scenario. Article pages: rendered every time (cache
off); the first view of every article in turn (rendered and kept in a page file made empty
at the start of the run); then random articles, served from the kept pages. Search: with
its result cache off, then on. Peers: a static file (the framework's floor), the home page.

The output names the machine: its CPU, the interpreter's time for a fixed loop and the
serving stack's versions. Server CPU per request scales with the machine (the same code cost
2–2.5× more per request on the slower machines of later sessions), so compare figures made
on different machines by that line.

Targets (issue 6, issue 13): article page ≥ 200 req/s with p95 ≤ 100 ms at concurrency 16,
0 errors, one worker; ≤ 3 ms of server CPU per article page and ≤ 8 ms per search.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
OUT = ROOT / "bench" / "out"

LONG_TERMS = ["少子化", "半導体", "子育て", "日本人", "政治家", "コロナ", "ワクチン", "値上げ"]
SEARCH_TERMS = ["政府", "日本", "少子化", "半導体", "物価", "選挙", "税金", "子育て", "コロナ", "経済", "会社", "安全"]


# --------------------------------------------------------------------------- the archive


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _real_text() -> tuple[list[dict], list[str], list[tuple[int, int]]]:
    articles = [a for a in _jsonl(EVAL / "yahoo_comments_tkawai" / "news_list_articles.jsonl")
                if a.get("title") and len(a.get("text") or "") > 80]
    comments = [c["comment"].strip() for c in _jsonl(EVAL / "yahoo_comments_tkawai" / "comments.jsonl")
                if 10 <= len((c.get("comment") or "").strip()) <= 400]
    votes = [(int(r["plus"]), int(r["minus"])) for r in _jsonl(EVAL / "girlschannel_votes" / "topic_5477357.jsonl")
             if not r.get("reply_listed_under")]
    votes += [(int(r["agree_good"]), int(r["disagree_bad"])) for r in
              _jsonl(EVAL / "yahoo_comments_votes_2020" / "comments.jsonl")]
    return articles, comments, votes


def _base_entries(k: int, rng: random.Random):
    from matome.model import (ArticleBody, ArticleSummary, Comment, CommentSection, DiscussionSummary, Entry,
                              Headline, RecordInfo, Votes, paginate)

    articles, comments, votes = _real_text()
    out = []
    for i in range(k):
        a = articles[i]
        paras = [p.strip() for p in a["text"].replace("。", "。\n").split("\n") if p.strip()]
        body = [" ".join(paras[j:j + 3]) for j in range(0, len(paras), 3)]
        picked = rng.sample(comments, rng.randint(25, 80))
        rec = [RecordInfo(1000 + k, "2025/02/13 17:56:29") for k in range(5)]
        cs = [Comment(t, Votes(*(max(0, v // rng.choice([1, 3, 10, 30])) for v in rng.choice(votes)))) for t in picked]
        out.append(Entry(
            headline=Headline(rec[0], a["title"], "ベンチ通信", "2/13(木) 12:16", None),
            summary=ArticleSummary(rec[1], tuple(paras[:2])),
            body=ArticleBody(rec[2], ArticleBody.layout(body, lead=a["title"][:30], byline="ベンチ編集部")),
            discussion=DiscussionSummary(rec[3], (), "", ()),
            thread=CommentSection(rec[4], paginate(cs)),
        ))
    return out, articles


def build_archive(db: Path, n: int, k: int) -> None:
    from matome.analyze.digest import ENGINE_VERSION, digest_entry, digest_to_dict
    from matome.model import RecordInfo
    from matome.store import open_store
    from matome.store.ingest import _store_digest, utc_now
    from matome.store.keys import canonical_json, entry_sha1

    rng = random.Random(0)
    t0 = time.perf_counter()
    bases, articles = _base_entries(k, rng)
    digests = []
    for e in bases:
        digests.append(canonical_json(digest_to_dict(digest_entry(e))))
    t_digest = time.perf_counter() - t0
    print(f"  digests of {k} distinct threads: {t_digest:.1f} s", flush=True)

    def variant(i: int):
        base = bases[i % k]
        title = articles[i % len(articles)]["title"]
        if i >= len(articles):
            title = f"{title}(続報{i // len(articles)})"
        h = base.headline
        rid = 10_000_000 + 5 * i
        month, day = 1 + (i // 28) % 12, 1 + i % 28
        return replace(
            base,
            headline=replace(h, title=title, url=f"https://example.jp/bench/{i}",
                             published_text=f"{month}/{day}(木) {i % 24:02d}:{i % 60:02d}",
                             record=RecordInfo(rid, "2025/12/31 23:00:00")),
        )

    if db.exists():
        db.unlink()
    store = open_store(str(db))
    t1 = time.perf_counter()
    batch = 500
    for start in range(0, n, batch):
        entries = [variant(i) for i in range(start, min(n, start + batch))]
        report = store.ingest_entries(entries, digest=False)
        if report.failed:
            raise SystemExit(f"ingest failed: {report.failed[:3]}")
        at = utc_now()
        with store.engine.begin() as conn:
            for i, (aid, e) in enumerate(zip(report.article_ids, entries), start=start):
                _store_digest(conn, aid, entry_sha1(e), (ENGINE_VERSION, canonical_json({}), digests[i % k]), at)
        print(f"  stored {min(n, start + batch)}/{n} articles ({time.perf_counter() - t1:.0f} s)", flush=True)
    store.close()


def ensure_archive(db: Path, n: int, k: int) -> None:
    from matome.store import open_store

    if db.exists():
        store = open_store(str(db))
        try:
            rows = store.list_articles(limit=1)
            ok = store.count_articles() == n and rows and rows[0].has_digest
        finally:
            store.close()
        if ok:
            print(f"reusing {db} ({n} articles)")
            return
    print(f"building {db}: {n} articles from {k} real threads …", flush=True)
    build_archive(db, n, k)


# --------------------------------------------------------------------------- the server


SERVER = """
import sys, uvicorn
from matome.store import open_store
from matome.web import create_app
db, port, cache, pages = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
uvicorn.run(create_app(open_store(db), cache_size=cache, page_file=pages or None), host="127.0.0.1", port=port,
            log_level="warning", access_log=False)
"""
#: ``matome serve --workers N``: the same app in N processes (sharing the page file).
SERVER_WORKERS = """
import os, sys, uvicorn
db, port, workers, pages = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
os.environ["MATOME_DB"] = db
os.environ["MATOME_PAGE_FILE"] = pages
uvicorn.run("matome.web.app:app_from_environment", factory=True, workers=workers, host="127.0.0.1",
            port=port, log_level="warning", access_log=False)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, db: Path, cache: int, workers: int = 1, pages: Path | None = None):
        self.port = free_port()
        script, arg = (SERVER, cache) if workers == 1 else (SERVER_WORKERS, workers)
        self.proc = subprocess.Popen([sys.executable, "-c", script, str(db), str(self.port), str(arg),
                                      str(pages or "")],
                                     env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        self.url = f"http://127.0.0.1:{self.port}"
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.url + "/static/style.css", timeout=2)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise SystemExit("the server did not start")
                time.sleep(0.2)

    def cpu_seconds(self) -> float:
        """User+system CPU time of the server and its worker processes so far."""
        import psutil

        total = 0.0
        try:
            proc = psutil.Process(self.proc.pid)
            for p in [proc, *proc.children(recursive=True)]:
                t = p.cpu_times()
                total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
        return total

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


# --------------------------------------------------------------------------- the load


class RawConnection:
    """A minimal HTTP/1.1 keep-alive client connection (GET only, Content-Length bodies).

    httpx costs about a millisecond of CPU per request; on a 2-core machine that the client
    shares with the server, this lean client leaves the CPU to the server being measured.
    """

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def get(self, path: str) -> tuple[int, int]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = 0
        for line in lines[1:]:
            if line[:15].lower() == "content-length:":
                length = int(line[15:].strip())
        body = await self.reader.readexactly(length)
        return status, len(body)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def drive_raw(url: str, paths, duration: float, concurrency: int) -> dict:
    from urllib.parse import quote, urlsplit

    parts = urlsplit(url)
    lat: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration

    async def worker(w: int) -> None:
        nonlocal errors
        rng = random.Random(w)
        conn = RawConnection(parts.hostname, parts.port)
        try:
            while time.perf_counter() < deadline:
                path = paths(rng)
                if path is None:  # a scenario that visits a fixed list of pages, done
                    break
                path = quote(path, safe="/?=&")
                t = time.perf_counter()
                try:
                    status, _ = await conn.get(path)
                    if status != 200:
                        errors += 1
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    errors += 1
                    conn.close()
                    conn = RawConnection(parts.hostname, parts.port)
                lat.append(time.perf_counter() - t)
        finally:
            conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return _stats(lat, errors, time.perf_counter() - t0)


def _stats(lat: list[float], errors: int, elapsed: float) -> dict:
    lat.sort()

    def pct(p: float) -> float:
        return 1000 * lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")

    return {"requests": len(lat), "errors": errors, "rps": len(lat) / elapsed, "p50": pct(0.50),
            "p95": pct(0.95), "p99": pct(0.99)}


async def drive(url: str, paths, duration: float, concurrency: int) -> dict:
    import httpx

    lat: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + duration

        async def worker(w: int) -> None:
            nonlocal errors
            rng = random.Random(w)
            while time.perf_counter() < deadline:
                path = paths(rng)
                if path is None:
                    break
                t = time.perf_counter()
                try:
                    r = await client.get(path)
                    await r.aread()
                    if r.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                lat.append(time.perf_counter() - t)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.perf_counter() - t0
    return _stats(lat, errors, elapsed)


def machine_reference() -> str:
    """What this machine and Python are, for comparing runs made on different machines: the
    interpreter's speed on a fixed loop (best of five), and the versions of the serving stack."""
    import importlib.metadata as md
    import platform
    import timeit

    loop_ms = 1000 * min(timeit.repeat("sum(range(1_000_000))", number=1, repeat=5))
    versions = []
    for name in ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "jinja2"):
        try:
            versions.append(f"{name} {md.version(name)}")
        except md.PackageNotFoundError:
            versions.append(f"{name} -")
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return (f"machine: {cpu}, Python {platform.python_version()}: sum(range(10**6)) {loop_ms:.1f} ms "
            f"(best of 5); {', '.join(versions)}")


def main() -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--threads", type=int, default=40, help="distinct real comment threads (digests computed)")
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--only", nargs="*", help="run only the scenarios whose names contain one of these")
    args = ap.parse_args()
    if not EVAL.is_dir():
        print("skipped: ../shared/eval not found")
        return
    OUT.mkdir(parents=True, exist_ok=True)
    db = args.db or OUT / f"web-{args.articles}.db"
    ensure_archive(db, args.articles, args.threads)
    n = args.articles

    article = lambda r: f"/articles/{r.randint(1, n)}"  # noqa: E731
    unseen = iter(range(1, n + 1))
    first_view = lambda r: next((f"/articles/{i}" for i in unseen), None)  # noqa: E731
    search = lambda r: "/search?q=" + r.choice(SEARCH_TERMS)  # noqa: E731
    # the rendered pages of this run (a page file left by another run would hold them already)
    pages = OUT / f"web-{n}.pages.sqlite"
    for p in (pages, Path(f"{pages}-wal"), Path(f"{pages}-shm")):
        p.unlink(missing_ok=True)
    # (name, server: (cache size, workers, page file), paths, duration: None = until the paths end)
    kept = (256, 1, pages)
    scenarios = [
        ("static file, httpx client", kept, lambda r: "/static/style.css", args.duration),
        ("static file /static/style.css (floor)", kept, lambda r: "/static/style.css", args.duration),
        ("article page, cache off (render each time)", (0, 1, None), article, args.duration),
        ("article page, first view of each (render, keep)", kept, first_view, None),
        ("article page /articles/{random id}", kept, article, args.duration),
        ("article page, httpx client", kept, article, args.duration),
        ("article page, --workers 2", (256, 2, pages), article, args.duration),
        ("search, cache off", (0, 1, None), search, args.duration),
        ("search /search?q={term}", kept, search, args.duration),
        ("search, 3+ char terms only", kept, lambda r: "/search?q=" + r.choice(LONG_TERMS), args.duration),
        ("API /api/search?q={term}", kept, lambda r: "/api/search?q=" + r.choice(SEARCH_TERMS), args.duration),
        ("home page /", kept, lambda r: "/", args.duration),
    ]
    if args.only:
        scenarios = [s for s in scenarios if any(o in s[0] for o in args.only)]
    load0 = os.getloadavg()
    rows = []
    servers: dict[tuple[int, int], Server] = {}
    try:
        for name, key, paths, duration in scenarios:
            if key not in servers:
                for old in list(servers):
                    servers.pop(old).stop()
                servers[key] = Server(db, *key)
            url = servers[key].url
            run = drive if "httpx" in name else drive_raw
            if duration is not None:
                asyncio.run(run(url, paths, 2.0, args.concurrency))  # warm-up
            cpu0 = servers[key].cpu_seconds()
            res = asyncio.run(run(url, paths, duration or 3600.0, args.concurrency))
            res["cpu_ms"] = 1000 * (servers[key].cpu_seconds() - cpu0) / max(1, res["requests"])
            rows.append((name, res))
            print(f"  {name}: {res['rps']:.0f} req/s, p95 {res['p95']:.1f} ms, errors {res['errors']}", flush=True)
    finally:
        for s in servers.values():
            s.stop()

    print()
    print(f"matome web, {n:,} articles, concurrency {args.concurrency}, {args.duration:.0f} s per scenario, "
          f"{os.cpu_count()} CPUs (client and server on the same machine)")
    print(machine_reference())
    try:
        print(f"load average before the run: {load0[0]:.1f}, after: {os.getloadavg()[0]:.1f} (other work on the machine "
              "slows every figure; 'server CPU ms/req' does not depend on it much)")
    except OSError:
        pass
    print(f"{'scenario':42} {'requests':>9} {'errors':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'server CPU ms/req':>18}")
    for name, r in rows:
        print(f"{name:42} {r['requests']:9d} {r['errors']:7d} {r['rps']:8.1f} {r['p50']:8.1f} {r['p95']:8.1f} "
              f"{r['p99']:8.1f} {r['cpu_ms']:18.2f}")
    for name, r in rows:
        if name.startswith("article page"):
            ok = r["rps"] >= 200 and r["p95"] <= 100 and r["errors"] == 0
            cpu = r["cpu_ms"] <= 3
            print(f"target (≥ 200 req/s, p95 ≤ 100 ms, 0 errors; ≤ 3 ms CPU) for {name}: "
                  f"{'met' if ok else 'NOT met'}; {'met' if cpu else 'NOT met'}")
        if name.startswith(("search", "API")):
            print(f"target (≤ 8 ms server CPU per search) for {name}: {'met' if r['cpu_ms'] <= 8 else 'NOT met'}")


if __name__ == "__main__":
    main()
