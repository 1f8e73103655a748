"""The suite's own behaviour: what `make test` prints about skipped tests, where it finds
PostgreSQL, and that the PostgreSQL tests never depend on what the named database holds."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import _local_pg
from test_store_support import SEED, base_pg_url, create_pg_database

ROOT = Path(__file__).resolve().parents[1]
SEED_TEST = "tests/test_store_ingest.py::test_seed_round_trips_byte_for_byte"
EXPORT_TEST = "tests/test_store_ingest.py::test_export_archive_gives_the_ingested_file_back"


def run_pytest(args: list[str], env: dict[str, str | None]) -> subprocess.CompletedProcess:
    full = dict(os.environ)
    for k, v in env.items():
        if v is None:
            full.pop(k, None)
        else:
            full[k] = v
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=ROOT, env=full,
                          capture_output=True, text=True, timeout=600)


def test_end_of_run_says_what_was_skipped_and_why():
    r = run_pytest(["-q", SEED_TEST, "tests/test_web_browser.py"],
                   {"MATOME_TEST_CHROMIUM": "/nonexistent/chromium", "MATOME_TEST_PG_URL": ""})
    assert r.returncode == 0, r.stdout[-2000:]
    tail = r.stdout[r.stdout.index("what was not run"):]
    assert re.search(r"^SKIPPED \d+ browser tests: /nonexistent/chromium is absent", tail, re.M), tail
    assert re.search(r"^SKIPPED 1 PostgreSQL tests: MATOME_TEST_PG_URL is not set", tail, re.M), tail
    assert "PostgreSQL: MATOME_TEST_PG_URL is set empty" in tail


def test_local_postgresql_is_found_when_the_variable_is_unset():
    if _local_pg() is None:
        pytest.skip("no PostgreSQL answers at 127.0.0.1:5432")
    r = run_pytest(["-v", SEED_TEST], {"MATOME_TEST_PG_URL": None})
    assert r.returncode == 0, r.stdout[-2000:]
    assert re.search(r"test_seed_round_trips_byte_for_byte\[postgresql\] PASSED", r.stdout), r.stdout[-2000:]
    assert "PostgreSQL: found the local server at postgresql://postgres@127.0.0.1:5432/test" in r.stdout
    assert "nothing was skipped." in r.stdout


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def test_postgresql_tests_pass_when_the_named_database_is_not_empty():
    """An archive already in MATOME_TEST_PG_URL's database (as `matome ingest --db` or an old
    benchmark leaves) changes nothing: each run works in a database of its own."""
    base = base_pg_url()
    if not base:
        pytest.skip("MATOME_TEST_PG_URL is not set: the PostgreSQL store tests need a server (.ci/run sets it)")
    import sqlalchemy as sa

    from matome.io.archive import read_path
    from matome.store import open_store

    def run_databases() -> set[str]:
        with admin.connect() as c:
            names = c.execute(sa.text("SELECT datname FROM pg_database WHERE datname LIKE 'matome_test_%'")).scalars()
            return {n for n in names if not n.startswith(f"matome_test_{os.getpid()}_")}

    admin = sa.create_engine(sa.engine.make_url(base).set(drivername="postgresql+psycopg"))
    # a stand-in for a developer's database that already holds the seed article
    used, drop = create_pg_database(base, prefix="matome_used")
    try:
        with open_store(used) as s:
            assert s.ingest_entries(read_path(str(SEED)).entries, digest=False).added == 1
        before = run_databases()
        r = run_pytest(["-v", SEED_TEST, EXPORT_TEST], {"MATOME_TEST_PG_URL": used})
        assert r.returncode == 0, r.stdout[-3000:]
        assert len(re.findall(r"\[postgresql\] PASSED", r.stdout)) == 2, r.stdout[-3000:]
        # the named database is as it was, and the run dropped the database it made
        with open_store(used) as s:
            assert s.count_articles() == 1
        # (a database of a test run still going on elsewhere on this server is not the
        # subprocess's: its process is alive, while the subprocess has exited)
        left = {n for n in run_databases() - before if not _alive(int(n.split("_")[2]))}
        assert not left
    finally:
        drop()
        admin.dispose()
