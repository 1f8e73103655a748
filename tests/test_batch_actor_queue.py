"""How the Ray path feeds its actors (``matome.batch.run._drive_actors``), with a stand-in for
Ray: each actor has its next article queued while it digests one (no idle round trip through
the driver), a finished actor gets the next article, every article is recorded once, and a
task that failed for good names its article. Needs no Ray."""

from __future__ import annotations

from collections import deque

import pytest

from matome.batch.run import QUEUE_PER_ACTOR, BatchError, Outcome, _drive_actors


class RayError(Exception):
    pass


class FakeRay:
    """Calls finish in submission order per actor; ``wait`` returns the oldest call in flight."""

    class exceptions:
        RayError = RayError

    def __init__(self, fail: int | None = None):
        self.fail = fail
        self.queued: dict[str, list[int]] = {}  # actor -> articles submitted, not yet returned
        self.most_queued: dict[str, int] = {}
        self.calls: list[tuple[str, int]] = []

    def wait(self, refs, num_returns):
        assert num_returns == 1
        return [refs[0]], refs[1:]

    def get(self, ref):
        name, aid = ref
        assert self.queued[name][0] == aid  # an actor runs its calls in order
        self.queued[name].pop(0)
        if aid == self.fail:
            raise RayError(f"task for {aid} failed\nmore lines")
        return Outcome(aid, None, 0.0, hash(name))


class FakeActor:
    def __init__(self, ray: FakeRay, name: str):
        self.name = name
        ray.queued[name] = []
        outer = self

        class Run:
            @staticmethod
            def remote(aid):
                ray.queued[outer.name].append(aid)
                ray.most_queued[outer.name] = max(ray.most_queued.get(outer.name, 0), len(ray.queued[outer.name]))
                ray.calls.append((outer.name, aid))
                return (outer.name, aid)

        self.run = Run


def test_each_actor_has_its_next_article_queued_and_every_article_is_recorded_once():
    ray = FakeRay()
    actors = [FakeActor(ray, "a"), FakeActor(ray, "b")]
    seen: list[int] = []
    _drive_actors(actors, deque(range(1, 12)), ray, lambda o: seen.append(o.article_id))
    assert sorted(seen) == list(range(1, 12))
    assert QUEUE_PER_ACTOR >= 1
    assert ray.most_queued == {"a": 1 + QUEUE_PER_ACTOR, "b": 1 + QUEUE_PER_ACTOR}
    # the first articles are dealt round the actors, then each finished call brings its actor the next
    assert [a for a, _ in ray.calls[:2 * (1 + QUEUE_PER_ACTOR)]] == ["a", "b"] * (1 + QUEUE_PER_ACTOR)
    assert [aid for _, aid in ray.calls] == list(range(1, 12))


def test_fewer_articles_than_places_and_no_articles():
    ray = FakeRay()
    seen: list[int] = []
    _drive_actors([FakeActor(ray, "a"), FakeActor(ray, "b"), FakeActor(ray, "c")], deque([7]), ray,
                  lambda o: seen.append(o.article_id))
    assert seen == [7] and ray.calls == [("a", 7)]
    _drive_actors([FakeActor(ray, "d")], deque(), ray, seen.append)
    assert seen == [7]


def test_a_task_that_failed_for_good_names_its_article():
    ray = FakeRay(fail=4)
    seen: list[int] = []
    with pytest.raises(BatchError, match=r"^a Ray worker failed for good on article 4: RayError: task for 4 failed$"):
        _drive_actors([FakeActor(ray, "a"), FakeActor(ray, "b")], deque(range(1, 10)), ray,
                      lambda o: seen.append(o.article_id))
    assert 4 not in seen and seen == sorted(seen)
