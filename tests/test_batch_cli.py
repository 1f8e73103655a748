"""``matome batch`` as a command: killed outright (SIGKILL to its whole process group) and
run again, it finishes only what was missing; bad options exit 2 with one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from batch_support import build_archive, serial_digests, stored_digests
from test_store_support import db_url  # the fixture: SQLite and PostgreSQL

__all__ = ["db_url"]

N = 16


def matome(*args, env=None, **kw):
    return subprocess.run([sys.executable, "-m", "matome.cli", *args], capture_output=True, text=True,
                          timeout=600, env=env, **kw)


def test_a_killed_batch_run_again_finishes_only_what_is_missing(db_url):
    build_archive(db_url, N, seed=41)
    proc = subprocess.Popen([sys.executable, "-m", "matome.cli", "batch", "--db", db_url, "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 300  # a bound against hanging, not a speed check
        while not stored_digests(db_url) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the batch and its workers, no clean-up
        proc.communicate()
    before = stored_digests(db_url)
    assert 1 <= len(before) < N, "the kill did not land mid-run"

    again = matome("batch", "--db", db_url, "--workers", "2")
    assert again.returncode == 0, again.stderr
    missing = N - len(before)
    assert f"digested {missing} of {missing} articles" in again.stdout
    assert f"matome batch: {missing}/{missing} (100.0%) 失敗 0" in again.stderr  # plain progress off a terminal
    after = stored_digests(db_url)
    assert len(after) == N
    assert {k: after[k] for k in before} == before  # what was stored before the kill was kept

    done = matome("batch", "--db", db_url)
    assert (done.returncode, done.stdout.strip()) == (0, "nothing to digest: every digest is current")
    assert serial_digests(db_url) == after


@pytest.mark.parametrize("args, message", [
    (["--workers", "0"], "--workers must be at least 1, got 0"),
    (["--limit", "0"], "--limit must be at least 1, got 0"),
    (["--set", "nonsense"], "--set expects NAME=VALUE"),
    (["--set", "no_such_setting=1"], "unknown digest setting 'no_such_setting'"),
    (["--ray", "ray://head.example.invalid:10001"], "--ray with a cluster address needs an archive every node can reach"),
])
def test_bad_options_exit_2_with_one_line(tmp_path, args, message):
    db = tmp_path / "a.db"
    build_archive(str(db), 1)
    r = matome("batch", "--db", str(db), *args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("matome: error: ")
    assert "Traceback" not in r.stderr


def test_without_ray_installed_the_ray_option_says_how_to_get_it(tmp_path):
    db = tmp_path / "a.db"
    build_archive(str(db), 1)
    hide = tmp_path / "noray"
    (hide / "ray").mkdir(parents=True)
    (hide / "ray" / "__init__.py").write_text("raise ImportError('No module named ray')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hide), os.environ.get("PYTHONPATH", "")])}
    r = matome("batch", "--db", str(db), "--ray", "local", env=env)
    assert r.returncode == 2
    assert r.stderr.strip() == "matome: error: --ray needs Ray: pip install 'matome[ray]'"


def test_a_missing_archive_is_one_line_and_not_created(tmp_path):
    for path in (tmp_path / "no" / "such" / "a.db", tmp_path / "a.db"):
        r = matome("batch", "--db", str(path))
        assert r.returncode == 2
        assert r.stderr == f"matome: error: no archive at {path} (matome ingest creates one)\n"
        assert not path.exists()
