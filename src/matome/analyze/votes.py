"""Vote analytics: what the ▲ (agree) and ▼ (disagree) counts say about comments and groups.

Pure functions over vote counts; the formulas and thresholds are documented in
``docs/votes.md``. In short, for one comment with ``up`` ▲ and ``down`` ▼:

* ``total = up + down``; ``support = up / total`` (None without votes);
* ``wilson`` — the lower bound of the Wilson score interval of support at z = 1.96
  (95 %): how much agreement we can be confident of, given how few votes there may be;
* ``controversy = total ** balance`` with ``balance = min(up, down) / max(up, down)``:
  a one-sided comment scores 1 whatever its volume, an evenly split one scores its volume;
* a label: ``low-signal`` (too few votes to say), ``divisive`` (support between 1/3 and
  2/3), ``consensus`` (Wilson lower bound at least 0.6) or ``mixed`` (anything else: leaning
  or rejected — ``support`` tells the direction).

For an opinion group: its share of the comments, of all ▲ and of all ▼, its vote-weighted
support, and a kind that tells a *vocal minority* (more comments than its share of ▲) from a
*silent majority* (more ▲ than its share of comments).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median
from typing import Iterable, Sequence

#: z for the Wilson lower bound (two-sided 95 %).
Z = 1.96
#: A comment needs at least this many votes (▲+▼) to be labelled anything but low-signal …
MIN_VOTES = 5
#: … and at least this fraction of the thread's median vote count (over comments with votes).
LOW_SIGNAL_FRACTION = 0.25
#: Support in [DIVISIVE_LOW, DIVISIVE_HIGH] (balance ≥ 0.5: the minority side is at least
#: half the majority side) is divisive.
DIVISIVE_LOW = 1 / 3
DIVISIVE_HIGH = 2 / 3
#: A Wilson lower bound of support at least this is consensus.
CONSENSUS_WILSON = 0.6
#: A group is over- or under-represented in ▲ when its ▲ share and comment share differ
#: by this factor (see group_kind).
REPRESENTATION_FACTOR = 1.5
#: Vocal minorities and silent majorities are only named in threads of at least this many
#: comments (with two or three comments every group is "over-" or "under-represented").
KIND_MIN_COMMENTS = 10

LABELS = ("consensus", "divisive", "low-signal", "mixed")
GROUP_KINDS = ("low-signal", "vocal-minority", "silent-majority", "divisive", "consensus", "leaning", "opposed")


def wilson_lower(up: int, total: int, z: float = Z) -> float:
    """Lower bound of the Wilson score interval for the proportion ``up / total``; 0 without votes."""
    if total <= 0:
        return 0.0
    p = up / total
    z2 = z * z
    centre = p + z2 / (2 * total)
    margin = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    return max(0.0, (centre - margin) / (1 + z2 / total))


def controversy(up: int, down: int) -> float:
    """``(up + down) ** (min/max)``: high when many votes are split evenly; 0 without votes."""
    total = up + down
    if total == 0:
        return 0.0
    hi, lo = max(up, down), min(up, down)
    return float(total) ** (lo / hi)


@dataclass(frozen=True)
class ThreadVotes:
    """Vote totals and medians of a whole comment section (the reference for the labels)."""

    comments: int
    voted: int  # comments with at least one vote
    up: int
    down: int
    median_total: float  # median ▲+▼ over comments with votes (0 when none)
    median_support: float | None  # median support over comments with votes

    @property
    def total(self) -> int:
        return self.up + self.down

    @property
    def support(self) -> float | None:
        return self.up / self.total if self.total else None

    @property
    def low_signal_below(self) -> float:
        """Comments with fewer votes than this are low-signal."""
        return max(float(MIN_VOTES), LOW_SIGNAL_FRACTION * self.median_total)


@dataclass(frozen=True)
class VoteStat:
    """Vote analytics of one comment."""

    up: int
    down: int
    support: float | None
    wilson: float
    controversy: float
    label: str

    @property
    def total(self) -> int:
        return self.up + self.down


def thread_votes(votes: Sequence[tuple[int, int]]) -> ThreadVotes:
    """Totals and medians over ``(up, down)`` pairs."""
    voted = [(u, d) for u, d in votes if u + d > 0]
    return ThreadVotes(
        comments=len(votes),
        voted=len(voted),
        up=sum(u for u, _ in votes),
        down=sum(d for _, d in votes),
        median_total=float(median(u + d for u, d in voted)) if voted else 0.0,
        median_support=float(median(u / (u + d) for u, d in voted)) if voted else None,
    )


def label(up: int, down: int, thread: ThreadVotes) -> str:
    """``low-signal``, ``divisive``, ``consensus`` or ``mixed`` (checked in that order)."""
    total = up + down
    if total < thread.low_signal_below:
        return "low-signal"
    return _stance(up, total)


def _stance(up: int, total: int) -> str:
    """``divisive``, ``consensus`` or ``mixed`` for ``up`` of ``total`` > 0 votes."""
    if DIVISIVE_LOW <= up / total <= DIVISIVE_HIGH:
        return "divisive"
    if wilson_lower(up, total) >= CONSENSUS_WILSON:
        return "consensus"
    return "mixed"


def comment_stats(votes: Sequence[tuple[int, int]]) -> tuple[ThreadVotes, list[VoteStat]]:
    """The thread's totals and each comment's :class:`VoteStat`, in input order."""
    thread = thread_votes(votes)
    stats = [
        VoteStat(
            up=u,
            down=d,
            support=(u / (u + d)) if u + d else None,
            wilson=wilson_lower(u, u + d),
            controversy=controversy(u, d),
            label=label(u, d, thread),
        )
        for u, d in votes
    ]
    return thread, stats


@dataclass(frozen=True)
class GroupVotes:
    """Vote aggregates of one opinion group."""

    comments: int
    comment_share: float
    up: int
    down: int
    up_share: float
    down_share: float
    support: float | None
    wilson: float
    kind: str


#: Group stances (Jigsaw sensemaking's rule on a group's pooled votes): at least
#: ``STANCE_MIN_VOTES`` votes, smoothed agree rate (▲ + 1) / (▲ + ▼ + 2) at least
#: ``COMMON_GROUND`` is common ground, between ``SPLIT_LOW`` and ``SPLIT_HIGH`` a split, below
#: ``SPLIT_LOW`` opposed, and between ``SPLIT_HIGH`` and ``COMMON_GROUND`` leaning.
STANCE_MIN_VOTES = 20
COMMON_GROUND = 0.7
SPLIT_LOW = 0.4
SPLIT_HIGH = 0.6
STANCES = ("common-ground", "split", "opposed", "leaning", "low-signal")
#: A group's kind for each stance (the comment labels' names where they mean the same).
_STANCE_KIND = {"common-ground": "consensus", "split": "divisive", "opposed": "opposed", "leaning": "leaning",
                "low-signal": "low-signal"}


def smoothed_agree(up: int, down: int) -> float:
    return (up + 1) / (up + down + 2)


def group_stance(up: int, down: int) -> str:
    """``common-ground``, ``split``, ``opposed``, ``leaning`` or ``low-signal`` (see above)."""
    if up + down < STANCE_MIN_VOTES:
        return "low-signal"
    a = smoothed_agree(up, down)
    if a >= COMMON_GROUND:
        return "common-ground"
    if SPLIT_LOW <= a <= SPLIT_HIGH:
        return "split"
    if a < SPLIT_LOW:
        return "opposed"
    return "leaning"


def group_kind(
    comment_share: float, up_share: float, up: int, down: int, groups: int, thread: ThreadVotes
) -> str:
    """The kind of a group among ``groups`` groups (see docs/votes.md), checked in order:

    * ``low-signal``: the group's ▲+▼ is under ``STANCE_MIN_VOTES`` (the stance rule's floor);
    * ``vocal-minority``: more comments than an average group (share ≥ 1/groups) but a
      ▲ share at most its comment share / 1.5;
    * ``silent-majority``: more ▲ than an average group (▲ share ≥ 1/groups) and a ▲ share
      at least 1.5 × its comment share;
      (these two only with 2+ groups and at least KIND_MIN_COMMENTS comments in the thread)
    * otherwise the group's stance (:func:`group_stance`, the rule the discussion text states):
      ``consensus`` (common ground), ``divisive`` (split), ``leaning`` or ``opposed``.

    The table, the group cards and the discussion text so never disagree: a group at 66 % is
    "賛同がやや多い" in all of them, not 賛否が拮抗 in the table and おおむね好意的 in the text.
    """
    total = up + down
    if thread.total == 0 or total < STANCE_MIN_VOTES:
        return "low-signal"
    fair = 1.0 / max(groups, 1)
    compare = groups > 1 and thread.comments >= KIND_MIN_COMMENTS
    if compare and comment_share >= fair and up_share * REPRESENTATION_FACTOR <= comment_share:
        return "vocal-minority"
    if compare and up_share >= fair and up_share >= REPRESENTATION_FACTOR * comment_share:
        return "silent-majority"
    return _STANCE_KIND[group_stance(up, down)]


def group_votes(
    members: Sequence[Sequence[int]], votes: Sequence[tuple[int, int]], thread: ThreadVotes | None = None
) -> list[GroupVotes]:
    """Aggregates for each group, given as the indices (into ``votes``) of its members.

    Shares are relative to the whole thread; ``groups`` in :func:`group_kind` is the number
    of groups passed here (pass one level of a hierarchy at a time).
    """
    thread = thread or thread_votes(votes)
    n = thread.comments
    out: list[GroupVotes] = []
    for m in members:
        up = sum(votes[i][0] for i in m)
        down = sum(votes[i][1] for i in m)
        comment_share = len(m) / n if n else 0.0
        up_share = up / thread.up if thread.up else 0.0
        down_share = down / thread.down if thread.down else 0.0
        out.append(
            GroupVotes(
                comments=len(m),
                comment_share=comment_share,
                up=up,
                down=down,
                up_share=up_share,
                down_share=down_share,
                support=up / (up + down) if up + down else None,
                wilson=wilson_lower(up, up + down),
                kind=group_kind(comment_share, up_share, up, down, len(members), thread),
            )
        )
    return out


def most_agreed(stats: Iterable[VoteStat]) -> int | None:
    """Index of the comment with the highest Wilson lower bound (ties: more ▲, then first)."""
    best = None
    for i, s in enumerate(stats):
        if s.total == 0 or s.up == 0:
            continue
        key = (s.wilson, s.up)
        if best is None or key > best[0]:
            best = (key, i)
    return None if best is None else best[1]


def most_disputed(stats: Iterable[VoteStat]) -> int | None:
    """Index of the divisive comment with the highest controversy (ties: more votes, then first)."""
    best = None
    for i, s in enumerate(stats):
        if s.label != "divisive":
            continue
        key = (s.controversy, s.total)
        if best is None or key > best[0]:
            best = (key, i)
    return None if best is None else best[1]
