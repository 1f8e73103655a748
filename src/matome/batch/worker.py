"""One batch worker: the archive opened once, the digest pipeline loaded once, then one
article after another through ``Store.redigest_one`` (what ``matome redigest`` runs).

The same class serves the local process pool (one instance per process, made by the pool's
initializer) and Ray (one actor each).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Mapping

#: BLAS/OpenMP thread limits a worker process starts with, as ``matome digest`` sets them: the
#: digest engine also runs each digest single-threaded (``analyze.digest._one_blas_thread``),
#: and N single-threaded workers use N cores without oversubscribing them.
THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def limit_threads() -> None:
    for name, value in THREAD_ENV.items():
        os.environ.setdefault(name, value)


@dataclass(frozen=True)
class Outcome:
    """What became of one article: ``error`` is None when its digest was stored."""

    article_id: int
    error: str | None
    seconds: float  # wall time in the worker
    pid: int
    cpu_seconds: float = 0.0  # CPU time of the worker process for this article

    @property
    def ok(self) -> bool:
        return self.error is None


def _warm_entry():
    """A small entry built in code: digesting it loads the tokenizer, the word table and the
    numeric libraries before the first real article."""
    from matome.model import (
        ArticleBody, ArticleSummary, Comment, CommentSection, DiscussionSummary, Entry, Headline, RecordInfo, Votes,
        paginate,
    )

    rec = [RecordInfo(i + 1, "2025/01/01 00:00:00") for i in range(5)]
    texts = ["物価が上がって生活が苦しい。", "賃金も上げてほしい。", "政府の対策は遅すぎると思う。",
             "円安の影響が大きいのではないか。", "年金生活者には厳しい状況です。", "企業はもっと還元すべきだ。",
             "選挙で意思を示すしかない。", "税金の使い方を見直してほしい。"]
    comments = [Comment(t, Votes(3 * i + 1, i)) for i, t in enumerate(texts)]
    return Entry(
        Headline(rec[0], "物価高が続く", "例", "1/1(水) 00:00", "https://example.invalid/warm"),
        ArticleSummary(rec[1], ("物価高が続いている。",)),
        ArticleBody(rec[2], ArticleBody.layout(["物価高が続いている。", "政府は対策を検討している。"], lead="", byline="")),
        DiscussionSummary(rec[3], ("この記事では物価が議論されている。",), "読者の意見", ("物価",)),
        CommentSection(rec[4], paginate(comments)),
    )


def _exit_with_parent(parent: int, every: float = 1.0) -> None:
    """Leave when the process that started this one is gone (say the batch was killed with
    SIGKILL): an orphaned pool worker would otherwise wait for work forever."""

    def watch() -> None:
        while True:
            time.sleep(every)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="matome-batch-parent-watch", daemon=True).start()


class Worker:
    """Digests articles of the archive at ``url`` with ``settings``."""

    def __init__(self, url: str, settings: Mapping[str, Any] | None = None, *, warm: bool = True):
        limit_threads()
        from matome.store import open_store
        from matome.store import digests as digest_engine

        self.settings = dict(settings) if settings else None
        self.store = open_store(url, migrate=False)
        if warm:
            digest_engine.compute(_warm_entry(), self.settings)

    def run(self, article_id: int) -> Outcome:
        t0, c0 = time.perf_counter(), time.process_time()
        error = self.store.redigest_one(article_id, settings=self.settings)
        return Outcome(article_id, error, time.perf_counter() - t0, os.getpid(), time.process_time() - c0)

    def close(self) -> None:
        self.store.close()


# ---------------------------------------------------------------- process pool entry points

_worker: Worker | None = None


def pool_start(url: str, settings: Mapping[str, Any] | None, parent: int) -> None:
    """The pool's initializer: one Worker per process."""
    global _worker
    _exit_with_parent(parent)
    _worker = Worker(url, settings)


def pool_run(article_id: int) -> Outcome:
    assert _worker is not None, "pool_start did not run"
    return _worker.run(article_id)
