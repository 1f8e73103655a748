"""Run a planned job: a local process pool (``ray=None``) or Ray actors (``ray="local"`` or
a cluster address). Results are written by the workers themselves (an upsert per article),
so a worker that dies loses at most the articles it was digesting, and those are simply
digested again: by a fresh pool here, by Ray's task retries there, or by the next run."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from sqlalchemy.engine import make_url

from matome.batch.plan import Job
from matome.batch.worker import Outcome, limit_threads, pool_run, pool_start

#: Times an article may be in flight in a worker that died before it is reported as failed
#: (an article that kills its worker every time must not stop the job).
MAX_CRASHES = 3
#: Articles queued per worker beyond the one it is digesting.
QUEUE_PER_WORKER = 2
#: Articles queued per Ray actor beyond the one it is digesting: an actor's queue is its own
#: (unlike the pool's shared one), so one is enough to hide the round trip through the driver
#: without leaving one actor with a long tail while the others are idle.
QUEUE_PER_ACTOR = 1

OnDone = Callable[[Outcome], None]


class BatchError(RuntimeError):
    """The batch cannot run (Ray missing or unreachable, workers unable to start)."""


@dataclass
class Summary:
    planned: int
    done: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)
    restarts: int = 0  # process pools started again after a worker died
    seconds: float = 0.0
    comments: int = 0  # comments of the articles digested

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def run(url: str, job: Job, *, workers: int | None = None, ray: str | None = None,
        on_done: OnDone | None = None) -> Summary:
    """Digest ``job.ids`` with ``workers`` processes or actors; ``on_done`` sees each outcome."""
    summary = Summary(planned=len(job.ids))
    if not job.ids:
        return summary

    def record(o: Outcome) -> None:
        if o.ok:
            summary.done += 1
            summary.comments += job.comments.get(o.article_id, 0)
        else:
            summary.failures.append((o.article_id, o.error or "failed"))
        if on_done is not None:
            on_done(o)

    t0 = time.perf_counter()
    if ray is None:
        summary.restarts = _run_pool(url, job, workers or default_workers(), record)
    else:
        _run_ray(url, job, workers, ray, record)
    summary.seconds = time.perf_counter() - t0
    return summary


def _run_pool(url: str, job: Job, workers: int, record: OnDone) -> int:
    """Returns how many times the pool was started again after a worker died."""
    limit_threads()  # inherited by the worker processes before they load numpy
    pending = deque(job.ids)
    crashes: Counter[int] = Counter()
    restarts = 0
    fruitless = 0  # pools in a row that broke before digesting anything
    ctx = multiprocessing.get_context("spawn")  # no inherited database connections or threads
    while pending:
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=pool_start,
                                 initargs=(url, _plain(job.settings), os.getpid())) as pool:
            inflight: dict[Future, int] = {}
            try:
                broken, progressed = _drive(pool, pending, inflight, workers, record)
            except BaseException:  # KeyboardInterrupt: drop the queue, leave without waiting
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            if broken:
                # every article still in flight may or may not have been stored: do it again
                # (the write is an upsert of the same bytes), unless it keeps killing workers
                for fut, aid in sorted(inflight.items(), key=lambda kv: -kv[1]):
                    if fut.done() and not fut.cancelled() and fut.exception() is None:
                        record(fut.result())
                        progressed = True
                        continue
                    crashes[aid] += 1
                    if crashes[aid] >= MAX_CRASHES:
                        record(Outcome(aid, f"its worker process died {crashes[aid]} times", 0.0, 0))
                    else:
                        pending.appendleft(aid)
        if broken:
            restarts += 1
            fruitless = 0 if progressed else fruitless + 1
            if fruitless >= MAX_CRASHES:
                raise BatchError(f"the worker processes keep dying before digesting anything ({restarts} restarts)")
    return restarts


def _drive(pool: ProcessPoolExecutor, pending: deque, inflight: dict[Future, int], workers: int,
           record: OnDone) -> tuple[bool, bool]:
    """Feed ``pending`` to the pool until it is done or broken: (broken, any article finished).
    On a break, ``inflight`` holds the articles whose fate is unknown."""
    progressed = False
    while pending or inflight:
        while pending and len(inflight) < workers * (1 + QUEUE_PER_WORKER):
            aid = pending.popleft()
            try:
                inflight[pool.submit(pool_run, aid)] = aid
            except BrokenProcessPool:
                pending.appendleft(aid)
                return True, progressed
        finished, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
        broken = False
        for fut in finished:
            exc = fut.exception()
            if isinstance(exc, BrokenProcessPool):
                broken = True  # left in inflight for the caller
                continue
            aid = inflight.pop(fut)
            progressed = True
            if exc is None:
                record(fut.result())
            else:  # an error outside redigest_one's own handling
                record(Outcome(aid, f"{type(exc).__name__}: {exc}", 0.0, 0))
        if broken:
            return True, progressed
    return False, progressed


def _plain(settings: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(settings) if settings else None


def _run_ray(url: str, job: Job, workers: int | None, address: str, record: OnDone) -> None:
    try:
        import ray
    except ImportError:
        raise BatchError("--ray needs Ray: pip install 'matome[ray]'") from None
    local = address == "local"
    if not local and make_url(url).get_backend_name() == "sqlite":
        raise BatchError("--ray with a cluster address needs an archive every node can reach: use a PostgreSQL --db")
    limit_threads()
    env = {"env_vars": {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}}
    started = not ray.is_initialized()
    try:
        if started:
            if local:
                ray.init(num_cpus=workers or None, include_dashboard=False, log_to_driver=False,
                         runtime_env=env, logging_level="WARNING")
            else:
                ray.init(address=address, log_to_driver=False, runtime_env=env, logging_level="WARNING")
    except Exception as e:  # ConnectionError, RuntimeError, ValueError for a bad address
        raise BatchError(f"cannot start or reach Ray at {address!r}: {type(e).__name__}: {e}") from None
    try:
        n = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        from matome.batch.worker import Worker

        # each actor loads the pipeline once; Ray restarts an actor that dies and retries its
        # task (the write is an upsert, so a retried article is stored once)
        actor = ray.remote(num_cpus=1, max_restarts=MAX_CRASHES, max_task_retries=MAX_CRASHES)(Worker)
        settings = _plain(job.settings)
        _drive_actors([actor.remote(url, settings) for _ in range(n)], deque(job.ids), ray, record)
    finally:
        if started:
            ray.shutdown()


def _drive_actors(actors: list, pending: deque, ray: Any, record: OnDone) -> None:
    """Feed ``pending`` to the actors, each with ``1 + QUEUE_PER_ACTOR`` articles in flight, so
    that an actor finds its next article queued when it finishes one instead of waiting for
    the driver to see the result and send the next (Ray runs an actor's calls in order)."""
    inflight: dict[Any, tuple[int, Any]] = {}

    def submit(a) -> None:
        aid = pending.popleft()
        inflight[a.run.remote(aid)] = (aid, a)

    for _ in range(1 + QUEUE_PER_ACTOR):
        for a in actors:
            if pending:
                submit(a)
    while inflight:
        [ref], _ = ray.wait(list(inflight), num_returns=1)
        aid, a = inflight.pop(ref)
        try:
            outcome = ray.get(ref)
        except ray.exceptions.RayError as e:
            # retried MAX_CRASHES times (or its actor is gone for good): the articles still in
            # flight stay undigested and the next run picks them up
            raise BatchError(f"a Ray worker failed for good on article {aid}: "
                             f"{type(e).__name__}: {str(e).splitlines()[0]}") from None
        record(outcome)
        if pending:
            submit(a)
