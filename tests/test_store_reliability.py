"""Reliability: kill -9 during an ingest, concurrent ingests, one transaction per article."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from matome.io.archive import write_entries
from matome.store import open_store
from test_store_support import ROOT, dump, make_entry


def _archive(tmp_path: Path, name: str, ks, n_comments: int = 40) -> Path:
    entries = []
    for k in ks:
        e = make_entry(k)
        comments = [(f"{c.text}その{i}", c.votes.up, c.votes.down) for i, c in enumerate(e.comments)]
        while len(comments) < n_comments:
            comments = comments + [(f"{t}追記{len(comments)}", u + 1, d) for t, u, d in comments]
        entries.append(make_entry(k, comments[:n_comments]))
    path = tmp_path / name
    path.write_text(write_entries(entries), encoding="utf-8")
    return path


def keys_of(store) -> dict[int, str]:
    return {r.id: r.key for r in store.list_articles(limit=10_000)}


def _ingest_cmd(url: str, *paths: Path) -> list[str]:
    return [sys.executable, "-m", "matome.cli", "ingest", "--db", url, "--no-digest", *map(str, paths)]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _other_url(url: str, tmp_path: Path):
    """A second, empty archive on the same backend (for the clean reference ingest)."""
    if "://" not in url:
        return str(tmp_path / "clean.db"), None
    from test_store_support import make_pg_schema_url, pg_url

    return make_pg_schema_url(pg_url())


def test_kill_9_during_ingest_then_rerun_equals_a_clean_ingest(db_url, tmp_path):
    path = _archive(tmp_path, "big.txt", range(300), n_comments=40)
    with open_store(db_url):
        pass  # schema created before the race
    proc = subprocess.Popen(_ingest_cmd(db_url, path), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        with open_store(db_url) as s:
            while s.count_articles() < 20 and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.05)
        assert proc.poll() is None, "the ingest finished before it could be killed: make the file bigger"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    with open_store(db_url) as s:
        partial = s.count_articles()
    assert 20 <= partial < 300
    rerun = subprocess.run(_ingest_cmd(db_url, path), env=_env(), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"added {300 - partial}, updated 0, unchanged {partial}, failed 0" in rerun.stdout
    clean_url, drop = _other_url(db_url, tmp_path)
    try:
        from matome.io.archive import read_path

        with open_store(clean_url) as clean, open_store(db_url) as s:
            clean.ingest_entries(read_path(path).entries, digest=False)
            assert dump(s) == dump(clean)
            for q in ("半導体", "日本", "円", "追記1"):
                found = [[(keys[h.article_id], h.kind, h.comment_position, h.snippet) for h in st.search(q, limit=500)]
                         for st, keys in ((s, keys_of(s)), (clean, keys_of(clean)))]
                assert found[0] == found[1] and found[0], q
            if s.dialect == "sqlite":
                with s.engine.begin() as c:  # the search indexes are sound and hold every row
                    for table in ("comments_grams", "articles_grams"):
                        c.exec_driver_sql(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
                    from matome.store import fts

                    assert fts.watermark(c, fts.COMMENTS) == c.exec_driver_sql("SELECT max(id) FROM comments").scalar()
                    assert fts.watermark(c, fts.ARTICLES) == c.exec_driver_sql("SELECT max(id) FROM articles").scalar()
    finally:
        if drop:
            drop()


def test_two_concurrent_ingests_finish_without_errors_or_duplicates(db_url, tmp_path):
    a = _archive(tmp_path, "a.txt", range(0, 120), n_comments=20)
    b = _archive(tmp_path, "b.txt", range(60, 180), n_comments=20)  # 60 articles in both files
    procs = [subprocess.Popen(_ingest_cmd(db_url, p), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for p in (a, b)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert "failed 0" in out
    added = sum(int(out.split("added ")[1].split(",")[0]) for out, _ in outs)
    unchanged = sum(int(out.split("unchanged ")[1].split(",")[0]) for out, _ in outs)
    assert (added, unchanged) == (180, 60)
    with open_store(db_url) as s:
        assert s.count_articles() == 180
        assert s.count_comments(current_only=False) == 180 * 20
        assert s.count_snapshots() == 180 * 20  # one first sighting each, none doubled


def _locked_error():
    import sqlite3

    from sqlalchemy.exc import OperationalError

    return OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))


def test_opening_an_archive_another_process_holds_for_a_moment_waits_and_succeeds(tmp_path, monkeypatch):
    import matome.store.store as store_mod

    real, calls = store_mod.upgrade, []

    def busy_once(engine):
        calls.append(1)
        if len(calls) == 1:
            raise _locked_error()
        return real(engine)

    monkeypatch.setattr(store_mod, "upgrade", busy_once)
    with open_store(str(tmp_path / "a.db")) as s:
        assert s.count_articles() == 0
    assert len(calls) == 2


def test_an_archive_that_stays_locked_is_one_clear_error(tmp_path, monkeypatch):
    import pytest

    import matome.store.store as store_mod
    from matome.store import StoreError

    calls = []

    def always_busy(engine):
        calls.append(1)
        raise _locked_error()

    monkeypatch.setattr(store_mod, "upgrade", always_busy)
    monkeypatch.setattr(store_mod._time, "sleep", lambda s: None)
    with pytest.raises(StoreError, match=r"^cannot open the archive .*a\.db: database error: database is locked$"):
        open_store(str(tmp_path / "a.db"))
    assert len(calls) == store_mod.OPEN_RETRIES
