"""Python's cyclic garbage collector during a bulk ingest.

An ingest allocates a few container objects per comment (the comment, its votes, the rows
staged for the database), nearly all of them freed by reference counting alone. With the
default thresholds the collector then runs a young collection every 700 allocations and,
every so often, a full one over everything alive, which took 20–35 % of the time spent
parsing archive files. :func:`fewer_collections` makes young collections rarer while it
is in force (cycles are still collected, in fewer, larger passes) and puts the previous
thresholds back afterwards. The thresholds belong to the interpreter, not the thread:
overlapping uses (ingests in several threads of the web app) share one setting, and the
last one to finish restores what was there before the first.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

#: Allocations between two young collections during a bulk ingest (CPython's default: 700).
INGEST_THRESHOLD = 100_000

_lock = threading.Lock()
_users = 0
_saved: tuple[int, ...] = ()


@contextmanager
def fewer_collections(threshold: int = INGEST_THRESHOLD) -> Iterator[None]:
    """Young collections at most every ``threshold`` allocations inside the block (never
    more often than the current setting asks, and not at all when a threshold of 0 turned
    them off); the previous thresholds afterwards."""
    global _users, _saved
    with _lock:
        if _users == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(_saved[0] and max(threshold, _saved[0]), *_saved[1:])
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                gc.set_threshold(*_saved)
