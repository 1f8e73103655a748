"""Progress of a batch on standard error: a Rich bar (articles/s, comments/s, ETA) on a
terminal, else a plain line every few seconds (logs of a job left running)."""

from __future__ import annotations

import time
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from matome.batch.plan import Job
from matome.batch.worker import Outcome

#: Seconds between two plain progress lines.
LINE_EVERY = 5.0


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}"


class Reporter:
    """Call ``advance`` with each outcome inside ``with Reporter(...)``."""

    def __init__(self, job: Job, console: Console, *, stream: TextIO | None = None, every: float = LINE_EVERY):
        self.job = job
        self.console = console
        self.stream = stream if stream is not None else console.file
        self.every = every
        self.total = len(job.ids)
        self.done = self.failed = self.comments = 0
        self._bar: Progress | None = None
        self._task = None
        self._t0 = self._last = 0.0
        self._first: float | None = None  # when the first outcome came (workers started)

    def __enter__(self) -> "Reporter":
        self._t0 = self._last = time.monotonic()
        if self.console.is_terminal:
            self._bar = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("残り"), TimeRemainingColumn(),
                console=self.console, transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("要約を作成中", total=self.total, rate="")
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def advance(self, outcome: Outcome) -> None:
        if outcome.ok:
            self.done += 1
            self.comments += self.job.comments.get(outcome.article_id, 0)
        else:
            self.failed += 1
        now = time.monotonic()
        if self._first is None:
            self._first = now
        if self._bar is not None:
            self._bar.update(self._task, advance=1, rate=self._rates(now))
        elif now - self._last >= self.every or self.done + self.failed == self.total:
            self._last = now
            self.stream.write(self.line(now) + "\n")
            self.stream.flush()

    def _per_second(self, now: float, count: int) -> float:
        """A rate over the time since the first outcome (the workers' start-up left out)."""
        if self._first is None or now <= self._first:
            return 0.0
        return max(count - 1, 0) / (now - self._first)

    def _rates(self, now: float) -> str:
        share = self.comments / self.done if self.done else 0.0
        done = self._per_second(now, self.done)
        return f"{done:.2f} 件/秒 コメント {done * share:,.0f} 件/秒"

    def line(self, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        finished = self.done + self.failed
        elapsed = max(now - self._t0, 1e-9)
        rate = self._per_second(now, finished)
        eta = _clock((self.total - finished) / rate) if rate > 0 else "?"
        pct = 100.0 * finished / self.total if self.total else 100.0
        return (f"matome batch: {finished}/{self.total} ({pct:.1f}%) 失敗 {self.failed}, "
                f"{self._rates(now)}, 経過 {_clock(elapsed)}, 残り {eta}")
