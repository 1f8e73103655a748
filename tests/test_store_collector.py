"""The garbage collector's thresholds during a bulk ingest, and after it."""

from __future__ import annotations

import gc
import threading

import pytest

from archive_factory import make_entry
from matome.store import collector, open_store
from matome.store.collector import fewer_collections


@pytest.fixture(autouse=True)
def default_thresholds():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_young_collections_are_rarer_inside_and_as_before_after():
    with fewer_collections():
        assert gc.get_threshold() == (collector.INGEST_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_the_thresholds_come_back_after_an_error():
    with pytest.raises(RuntimeError), fewer_collections(5000):
        assert gc.get_threshold() == (5000, 10, 10)
        raise RuntimeError("boom")
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_threshold_and_collections_turned_off_are_kept():
    gc.set_threshold(500_000, 5, 5)
    with fewer_collections():
        assert gc.get_threshold() == (500_000, 5, 5)
    gc.set_threshold(0, 10, 10)
    with fewer_collections():
        assert gc.get_threshold()[0] == 0
    assert gc.get_threshold() == (0, 10, 10)


def test_overlapping_uses_in_threads_restore_the_first_ones_settings():
    entered, release = threading.Barrier(3), threading.Event()

    def ingest():
        with fewer_collections():
            entered.wait()
            release.wait()

    threads = [threading.Thread(target=ingest) for _ in range(2)]
    for t in threads:
        t.start()
    entered.wait()
    assert gc.get_threshold()[0] == collector.INGEST_THRESHOLD
    with fewer_collections():  # nested in this thread too
        pass
    assert gc.get_threshold()[0] == collector.INGEST_THRESHOLD
    release.set()
    for t in threads:
        t.join()
    assert gc.get_threshold() == (700, 10, 10)


def test_an_ingest_relaxes_the_collector_while_it_reads_and_restores_it(tmp_path):
    seen = []

    def entries():
        for i in range(3):
            seen.append(gc.get_threshold()[0])
            yield make_entry(10 * i + 1, url=f"https://example.jp/gc/{i}")

    store = open_store(str(tmp_path / "a.db"))
    try:
        report = store.ingest_entries(entries(), digest=False)
    finally:
        store.close()
    assert report.added == 3 and seen == [collector.INGEST_THRESHOLD] * 3
    assert gc.get_threshold() == (700, 10, 10)
