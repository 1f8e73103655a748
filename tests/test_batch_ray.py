"""``matome batch --ray local``: Ray actors give the serial path's digests byte for byte on
SQLite and PostgreSQL, survive an actor killed mid-run, and a finished job is done.
Skipped when Ray (the ``ray`` extra, part of ``dev``) is not installed."""

from __future__ import annotations

import os
import signal

import pytest

from batch_support import build_archive, computed_at, serial_digests, stored_digests
from matome.batch import plan, run
from matome.store import open_store
from test_store_support import db_url  # the fixture: SQLite and PostgreSQL

__all__ = ["db_url"]

pytest.importorskip("ray", reason="Ray is not installed (pip install 'matome[ray]')")

N = 8


def _plan(url):
    with open_store(url, migrate=False) as s:
        return plan(s)


def test_ray_local_gives_the_serial_digests_even_with_an_actor_killed(db_url):
    build_archive(db_url, N, seed=53)
    killed = []

    def kill_first_actor(outcome):
        if not killed:
            os.kill(outcome.pid, signal.SIGKILL)  # Ray restarts the actor and retries its task
            killed.append(outcome.pid)

    summary = run(db_url, _plan(db_url), workers=2, ray="local", on_done=kill_first_actor)
    assert killed and killed[0] != os.getpid()
    assert (summary.done, summary.failures) == (N, [])
    batch = stored_digests(db_url)
    assert len(batch) == N
    stamps = computed_at(db_url)
    assert _plan(db_url).ids == ()
    assert run(db_url, _plan(db_url), workers=2, ray="local").done == 0  # nothing to do: Ray not even started
    assert computed_at(db_url) == stamps
    assert serial_digests(db_url) == batch
