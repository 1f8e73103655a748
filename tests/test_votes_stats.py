"""Vote analytics: Wilson bound, controversy, labels against the thread, group kinds."""

from __future__ import annotations

import math

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from matome.analyze import votes as v

counts = st.integers(min_value=0, max_value=5000)


@given(counts, counts)
@settings(max_examples=300, deadline=None)
def test_wilson_lower_bound_solves_the_score_equation(up, down):
    n = up + down
    w = v.wilson_lower(up, n)
    if n == 0:
        assert w == 0.0
        return
    p = up / n
    assert 0.0 <= w <= p + 1e-12
    if up > 0:
        # the Wilson interval's lower end satisfies (p - w)^2 = z^2 w (1 - w) / n
        assert math.isclose((p - w) ** 2, v.Z**2 * w * (1 - w) / n, rel_tol=1e-6, abs_tol=1e-12)


def test_wilson_grows_with_evidence_at_equal_support():
    assert v.wilson_lower(3, 3) < v.wilson_lower(30, 30) < v.wilson_lower(300, 300)
    assert v.wilson_lower(8, 10) < v.wilson_lower(80, 100)


@given(counts, counts)
@settings(max_examples=300, deadline=None)
def test_controversy_is_volume_to_the_balance(up, down):
    c = v.controversy(up, down)
    total = up + down
    if total == 0:
        assert c == 0.0
    elif min(up, down) == 0:
        assert c == 1.0  # one-sided: not disputed, whatever the volume
    elif up == down:
        assert math.isclose(c, total)
    else:
        assert 1.0 <= c < total


def test_controversy_prefers_even_splits_over_lopsided_volume():
    assert v.controversy(15, 14) > v.controversy(300, 100)
    assert v.controversy(100, 100) > v.controversy(15, 14)


def _thread(pairs):
    return v.thread_votes(pairs)


def test_labels_follow_the_documented_order_and_thresholds():
    pairs = [(10, 10), (50, 2), (2, 50), (3, 1), (9, 4)]
    thread, stats = v.comment_stats(pairs)
    assert thread.median_total == 20  # totals 4, 13, 20, 52, 52
    labels = [s.label for s in stats]
    assert labels[0] == "divisive"
    assert labels[1] == "consensus"
    assert labels[2] == "mixed"  # rejected: support tells the direction
    assert stats[2].support < v.DIVISIVE_LOW
    assert labels[3] == "low-signal"  # under MIN_VOTES
    # leaning (support 0.69) without the confidence of consensus
    assert labels[4] == "mixed" and stats[4].wilson < v.CONSENSUS_WILSON


def test_low_signal_threshold_is_relative_to_the_thread_median():
    busy = [(300, 100)] * 9 + [(15, 3)]  # median 400: 18 votes is a quarter under the median
    _, stats = v.comment_stats(busy)
    assert stats[-1].label == "low-signal"
    quiet = [(3, 1)] * 9 + [(15, 3)]  # median 4: the same comment stands out
    _, stats = v.comment_stats(quiet)
    assert stats[-1].label == "consensus"


def test_no_votes_at_all():
    thread, stats = v.comment_stats([(0, 0)] * 4)
    assert thread.total == 0 and thread.support is None and thread.median_support is None
    assert all(s.label == "low-signal" and s.support is None and s.wilson == 0 for s in stats)
    assert v.most_agreed(stats) is None and v.most_disputed(stats) is None
    groups = v.group_votes([[0, 1], [2, 3]], [(0, 0)] * 4, thread)
    assert all(g.kind == "low-signal" and g.support is None and g.up_share == 0 for g in groups)


def test_most_agreed_uses_confidence_not_raw_ratio():
    pairs = [(1, 0), (60, 2), (100, 80)]
    _, stats = v.comment_stats(pairs)
    assert v.most_agreed(stats) == 1
    assert v.most_disputed(stats) == 2


def test_vocal_minority_and_silent_majority_are_told_apart():
    # group A: 6 of 10 comments with few ▲; group B: 2 comments with most ▲; group C: the rest
    pairs = [(4, 2)] * 6 + [(80, 5)] * 2 + [(10, 3)] * 2
    members = [[0, 1, 2, 3, 4, 5], [6, 7], [8, 9]]
    thread, _ = v.comment_stats(pairs)
    a, b, c = v.group_votes(members, pairs, thread)
    total_up = sum(u for u, _ in pairs)
    assert math.isclose(a.comment_share, 0.6) and math.isclose(a.up_share, 24 / total_up)
    assert math.isclose(b.up_share, 160 / total_up) and math.isclose(b.down_share, 10 / thread.down)
    assert a.kind == "vocal-minority"
    assert b.kind == "silent-majority"
    assert c.kind not in ("vocal-minority", "silent-majority")
    assert math.isclose(sum(g.comment_share for g in (a, b, c)), 1.0)
    assert math.isclose(sum(g.up_share for g in (a, b, c)), 1.0)
    assert math.isclose(b.support, 160 / 170)


@given(st.lists(st.tuples(counts, counts), min_size=1, max_size=40))
@settings(max_examples=150, deadline=None)
def test_labels_and_kinds_are_always_known_values(pairs):
    thread, stats = v.comment_stats(pairs)
    assert all(s.label in v.LABELS for s in stats)
    for s in stats:
        if s.label == "consensus":
            assert s.wilson >= v.CONSENSUS_WILSON
        if s.label == "divisive":
            assert v.DIVISIVE_LOW <= s.support <= v.DIVISIVE_HIGH
    half = len(pairs) // 2
    members = [list(range(half)), list(range(half, len(pairs)))]
    for g in v.group_votes([m for m in members if m], pairs, thread):
        assert g.kind in v.GROUP_KINDS
        assert 0.0 <= g.up_share <= 1.0 and 0.0 <= g.down_share <= 1.0


@pytest.mark.parametrize(
    ("up", "down", "kind"),
    [
        (58, 30, "leaning"),  # 66 %: the comment rules called this divisive, the text "leaning"
        (30, 20, "divisive"),
        (10, 40, "opposed"),
        (80, 10, "consensus"),
        (12, 7, "low-signal"),  # 19 votes: under the stance rule's floor
    ],
)
def test_a_lone_groups_kind_is_its_stance(up, down, kind):
    pairs = [(up, down)] + [(0, 0)] * 11
    thread, _ = v.comment_stats(pairs)
    (g,) = v.group_votes([list(range(12))], pairs, thread)
    assert g.kind == kind


@given(st.lists(st.tuples(counts, counts), min_size=2, max_size=40), st.integers(1, 39))
@settings(max_examples=150, deadline=None)
def test_kind_never_contradicts_the_stance_the_text_states(pairs, cut):
    """The table and the group cards show the kind, the discussion text words the stance:
    apart from the two representation kinds, they are the same judgement."""
    cut = min(cut, len(pairs) - 1)
    members = [list(range(cut)), list(range(cut, len(pairs)))]
    thread, _ = v.comment_stats(pairs)
    same = {"common-ground": "consensus", "split": "divisive", "opposed": "opposed", "leaning": "leaning",
            "low-signal": "low-signal"}
    for g in v.group_votes(members, pairs, thread):
        if g.kind in ("vocal-minority", "silent-majority"):
            assert v.group_stance(g.up, g.down) != "low-signal"
        else:
            assert g.kind == same[v.group_stance(g.up, g.down)]
