"""Benchmark ``matome digest``: the seed cold and warm, and large threads (time, peak RSS).

    .venv/bin/python bench/digest.py            # everything, writes bench/results/digest.md
    .venv/bin/python bench/digest.py --no-large # only the seed

(a) the seed (37 comments): cold = a new ``matome digest`` process (process start, imports,
    Sudachi dictionary, everything), against ``matome show`` and a bare ``python -c pass``
    measured in the same run; warm = ``digest_entry`` repeated in one process. matome's
    bytecode is compiled first, as an install leaves it; the same command with no bytecode
    cached is a peer row (with PYTHONDONTWRITEBYTECODE set, an editable install compiles
    matome's modules on every start; the figures of sessions before the ninth were made so).
(b) large threads, each in its own child process (peak RSS is the child's ru_maxrss):
    girlschannel topic 5477357, top-level rows (4,024 comments, plus/minus as ▲/▼), and a
    20,000-comment thread of Yahoo! News comments (yahoo_comments_tkawai; text only, so the
    ▲/▼ counts are drawn from a seeded heavy-tailed distribution). Stage times come from the
    pipeline's progress callback.

Targets (issue 4): seed ≤ 1 s cold, ≤ 150 ms warm; 4,024 comments ≤ 15 s and ≤ 1.5 GB peak
RSS; 20,000 comments ≤ 60 s.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import resource
import statistics
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "samples" / "000_c07ace8c3e04d92d.txt"
EVAL = ROOT.parent / "shared" / "eval"
GIRLS = EVAL / "girlschannel_votes" / "topic_5477357.jsonl"
YAHOO = EVAL / "yahoo_comments_tkawai" / "comments.jsonl"
RESULTS = ROOT / "bench" / "results" / "digest.md"
BIN = Path(sys.executable).parent


# ---------------------------------------------------------------------------------------
# children


def _girls_entry():
    from matome.io.tabular import entry_from_comments
    from matome.model import Comment, Votes

    comments = []
    with GIRLS.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row.get("reply_listed_under"):
                continue
            comments.append(Comment(row["text"], Votes(int(row["plus"]), int(row["minus"])), id=row["comment_number"]))
    return entry_from_comments(comments, title="girlschannel topic 5477357")


def _yahoo_entry(n: int = 20_000):
    import numpy as np

    from matome.io.tabular import entry_from_comments
    from matome.model import Comment, Votes

    rng = np.random.default_rng(0)
    comments = []
    with YAHOO.open(encoding="utf-8") as f:
        for line in f:
            text = json.loads(line).get("comment") or ""
            if not text.strip():
                continue
            volume = int(rng.pareto(1.2) * 20)
            share = rng.beta(2.0, 1.2)
            up = int(round(volume * share))
            comments.append(Comment(text, Votes(up, volume - up)))
            if len(comments) == n:
                break
    return entry_from_comments(comments, title=f"yahoo {n} comments")


def child_cold() -> None:
    """Where a cold ``matome digest`` of the seed spends its time (one fresh process)."""
    t0 = time.perf_counter()
    # the command's own start-up: Click and the digest sub-command only, as `matome digest`
    # registers just the invoked sub-command (cli.py reads sys.argv at import)
    sys.argv = ["matome", "digest", str(SEED)]
    importlib.import_module("matome.cli")

    t_cli = time.perf_counter() - t0
    from matome.analyze.digest import digest_entry
    from matome.io.archive import read_path, write_entry

    entry = read_path(SEED).entries[0]
    t_read = time.perf_counter() - t0 - t_cli
    stages: list[tuple[str, float]] = []
    t1 = time.perf_counter()
    digest = digest_entry(entry, progress=lambda step: stages.append((step, time.perf_counter() - t1)))
    t_digest = time.perf_counter() - t1
    from matome.analyze.digest import apply_digest

    write_entry(apply_digest(entry, digest))
    marks = [t for _, t in stages] + [t_digest]
    out = {"import matome.cli": t_cli, "read the seed": t_read}
    out.update({name: marks[i + 1] - marks[i] for i, (name, _) in enumerate(stages)})
    out["total in process"] = time.perf_counter() - t0
    print(json.dumps(out, ensure_ascii=False))


def child(which: str) -> None:
    t0 = time.perf_counter()
    from matome.analyze.digest import digest_entry
    from matome.io.archive import write_entry

    entry = _girls_entry() if which == "girls" else _yahoo_entry()
    t_load = time.perf_counter() - t0
    stages: list[tuple[str, float]] = []
    t1 = time.perf_counter()

    def progress(step: str) -> None:
        stages.append((step, time.perf_counter() - t1))

    digest = digest_entry(entry, progress=progress)
    t_digest = time.perf_counter() - t1
    from matome.analyze.digest import apply_digest

    write_entry(apply_digest(entry, digest))
    t_total = time.perf_counter() - t0
    marks = [t for _, t in stages] + [t_digest]
    stage_times = {name: marks[i + 1] - marks[i] for i, (name, _) in enumerate(stages)}
    print(
        json.dumps(
            {
                "comments": len(entry.comments),
                "groups": sum(1 for g in digest.groups if g.parent is None),
                "fine_groups": sum(1 for g in digest.groups if g.parent is not None),
                "load_s": t_load,
                "digest_s": t_digest,
                "total_s": t_total,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "stages": stage_times,
            },
            ensure_ascii=False,
        )
    )


# ---------------------------------------------------------------------------------------
# parent


def _time_cmd(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        out.append(time.perf_counter() - t)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode()[-500:]}")
    return out


def bench_seed(runs: int, warm_runs: int) -> list[tuple[str, str, str]]:
    rows = []
    # An installed package has its bytecode compiled (pip compiles it at install; an editable
    # install writes it on the first run). An environment which sets PYTHONDONTWRITEBYTECODE
    # (these sessions' machines do) never writes it for an editable install, so every start
    # compiles matome's source again: timed first, as a peer row; then the bytecode is compiled
    # and the cold start timed as a user's install has it.
    package = ROOT / "src" / "matome"
    for cache in package.rglob("__pycache__"):
        shutil.rmtree(cache)
    uncompiled = _time_cmd([str(BIN / "matome"), "digest", str(SEED)], runs,
                           env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    py = _time_cmd([sys.executable, "-c", "pass"], runs)
    show = _time_cmd([str(BIN / "matome"), "show", str(SEED)], runs)
    cold = _time_cmd([str(BIN / "matome"), "digest", str(SEED)], runs)
    rows.append(("python -c pass (process floor)", f"{statistics.median(py) * 1000:.0f} ms", "peer"))
    rows.append(("matome show seed (cold)", f"{statistics.median(show) * 1000:.0f} ms", "peer"))
    ok = statistics.median(cold) <= 1.0
    rows.append(
        ("matome digest seed (cold, median of %d)" % runs, f"{statistics.median(cold) * 1000:.0f} ms "
         f"(min {min(cold) * 1000:.0f})", "≤ 1 s: " + ("met" if ok else "MISSED"))
    )
    rows.append(("same, matome's bytecode not written (PYTHONDONTWRITEBYTECODE, editable install)",
                 f"{statistics.median(uncompiled) * 1000:.0f} ms", "peer"))
    from matome.analyze.digest import digest_entry
    from matome.io.archive import read_path

    entry = read_path(SEED).entries[0]
    digest_entry(entry)  # warm-up: imports, dictionary, caches
    times = []
    for _ in range(warm_runs):
        t = time.perf_counter()
        digest_entry(entry)
        times.append(time.perf_counter() - t)
    warm = statistics.median(times)
    rows.append(
        ("digest_entry seed (warm, median of %d)" % warm_runs, f"{warm * 1000:.0f} ms (min {min(times) * 1000:.0f})",
         "≤ 150 ms: " + ("met" if warm <= 0.15 else "MISSED"))
    )
    return rows


def bench_large(which: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", which], capture_output=True, text=True, timeout=1800
    )
    if proc.returncode != 0:
        raise SystemExit(f"child {which} failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--child", choices=["girls", "yahoo", "cold"], help=argparse.SUPPRESS)
    ap.add_argument("--runs", type=int, default=9, help="cold runs of the seed (the machine is shared: medians of several)")
    ap.add_argument("--warm-runs", type=int, default=20)
    ap.add_argument("--no-large", action="store_true", help="only the seed")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/results/digest.md")
    args = ap.parse_args()
    if args.child == "cold":
        child_cold()
        return
    if args.child:
        child(args.child)
        return

    lines = [
        "# bench/digest.py",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')} · {platform.python_version()} · {os.cpu_count()} CPUs · "
        f"`{' '.join(['bench/digest.py', *sys.argv[1:]])}` · load average at start "
        f"{os.getloadavg()[0]:.1f} (the machine is shared: figures move with it)",
        "",
        "## (a) the seed (37 comments)",
        "",
        "| what | time | target |",
        "|---|---:|---|",
    ]
    for name, value, target in bench_seed(args.runs, args.warm_runs):
        lines.append(f"| {name} | {value} | {target} |")
    proc = subprocess.run([sys.executable, __file__, "--child", "cold"], capture_output=True, text=True, timeout=600)
    if proc.returncode == 0:
        parts = json.loads(proc.stdout.strip().splitlines()[-1])
        lines += ["", "Where a cold seed digest spends its time (one fresh process; first calls include lazy imports):", ""]
        lines += ["| step | s |", "|---|---:|"] + [f"| {k} | {v:.2f} |" for k, v in parts.items()]
    print("\n".join(lines))

    large_lines = ["", "## (b) large threads (each in its own process)", ""]
    if args.no_large:
        large_lines.append("skipped: --no-large")
    elif not EVAL.is_dir():
        large_lines.append("skipped: ../shared/eval not found")
    else:
        large_lines += [
            "| thread | comments | top / fine groups | digest | load + digest + write | peak RSS | target |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        stage_lines = ["", "Stage times (s):", ""]
        for which, label, t_max, rss_max in (
            ("girls", "girlschannel 5477357 (top-level)", 15, 1536),
            ("yahoo", "yahoo_comments_tkawai ×20,000 (synthetic ▲/▼)", 60, None),
        ):
            src = GIRLS if which == "girls" else YAHOO
            if not src.exists():
                large_lines.append(f"| {label} | skipped: {src} not found | | | | | |")
                continue
            r = bench_large(which)
            ok = r["digest_s"] <= t_max and (rss_max is None or r["peak_rss_mb"] <= rss_max)
            target = f"≤ {t_max} s" + (f", ≤ {rss_max / 1024:.1f} GB" if rss_max else "")
            large_lines.append(
                f"| {label} | {r['comments']:,} | {r['groups']} / {r['fine_groups']} | {r['digest_s']:.1f} s "
                f"| {r['total_s']:.1f} s | {r['peak_rss_mb']:,.0f} MB | {target}: {'met' if ok else 'MISSED'} |"
            )
            stage_lines.append(
                f"- {label}: " + "; ".join(f"{k} {v:.2f}" for k, v in r["stages"].items())
            )
        large_lines += stage_lines
    large_lines += ["", f"Load average at the end: {os.getloadavg()[0]:.1f}."]
    print("\n".join(large_lines))
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text("\n".join(lines + large_lines) + "\n", encoding="utf-8")
        print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
