"""``matome batch`` on the local process pool: the same digests as the serial path, byte for
byte, on SQLite and PostgreSQL; a worker killed mid-run costs nothing; a finished job is done."""

from __future__ import annotations

import os
import signal


from batch_support import build_archive, computed_at, serial_digests, stored_digests
from matome.batch import plan, run
from matome.store import open_store
from test_store_support import db_url  # the fixture: SQLite and PostgreSQL

__all__ = ["db_url"]

N = 10


def _plan(url, **kw):
    with open_store(url, migrate=False) as s:
        return plan(s, **kw)


def test_pool_gives_the_serial_digests_and_a_finished_job_plans_nothing(db_url):
    ids = build_archive(db_url, N)
    job = _plan(db_url)
    assert list(job.ids) == sorted(ids)
    assert job.total_comments >= 5 * N
    seen = []
    summary = run(db_url, job, workers=2, on_done=seen.append)
    assert (summary.done, summary.failures, summary.restarts) == (N, [], 0)
    assert sorted(o.article_id for o in seen) == sorted(ids)
    assert len({o.pid for o in seen}) >= 1 and os.getpid() not in {o.pid for o in seen}
    assert summary.comments == job.total_comments
    batch = stored_digests(db_url)
    assert len(batch) == N
    stamps = computed_at(db_url)

    again = _plan(db_url)
    assert again.ids == ()
    assert run(db_url, again, workers=2).done == 0
    assert computed_at(db_url) == stamps  # nothing was rewritten

    assert serial_digests(db_url) == batch


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(db_url):
    ids = build_archive(db_url, N, seed=29)
    job = _plan(db_url)
    killed = []

    def kill_first_worker(outcome):
        if not killed:
            os.kill(outcome.pid, signal.SIGKILL)  # the worker that just reported, mid-job
            killed.append(outcome.pid)

    summary = run(db_url, job, workers=2, on_done=kill_first_worker)
    assert killed
    assert summary.restarts >= 1  # the pool broke and was started again
    assert summary.failures == []
    assert summary.done == N
    batch = stored_digests(db_url)
    assert len(batch) == len(ids) == N  # one digest per article (the key is the article)
    assert _plan(db_url).ids == ()
    assert serial_digests(db_url) == batch


def test_limit_and_only_stale_pick_from_the_staleness_notion(db_url):
    ids = build_archive(db_url, 6, seed=31, digest=True)  # digested at ingest
    build_archive(db_url, 9, seed=31)  # the same six, plus three without a digest
    with open_store(db_url, migrate=False) as s:
        all_ids = [r.id for r in s.list_articles(limit=100)]
        undigested = sorted(set(all_ids) - set(ids))
        assert len(undigested) == 3
        from matome.store.schema import digests
        with s.engine.begin() as c:  # two digests computed by an older engine
            c.execute(digests.update().where(digests.c.article_id.in_(ids[:2])).values(engine="matome-0.0.1/old"))
        assert list(plan(s).ids) == sorted(ids[:2] + undigested)
        assert list(plan(s, only_stale=True).ids) == sorted(ids[:2])
        assert list(plan(s, limit=2).ids) == sorted(ids[:2] + undigested)[:2]
    summary = run(db_url, _plan(db_url, only_stale=True), workers=1)
    assert summary.done == 2
    assert list(_plan(db_url).ids) == undigested
