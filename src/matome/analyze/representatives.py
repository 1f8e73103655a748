"""Representative comments of a group: comments that belong to it and that readers backed.

A representative must be nearer its own group's centre than any other group's (cosine of its
vector against the group centroids of the same level), so a quoted comment states the group's
view rather than a neighbour's. Among those, one that names what the group is about (one of
its key phrases or a word of its label) comes first. Then, Polis-style: ▲ support inside the thread matters
(Wilson lower bound of ▲/(▲+▼) × ln(1 + ▲), copies' votes included); a member with votes comes
before one without when the group has any; the more central half of the group first;
repetitive texts (「反対反対反対…」) last; a comment that opens by answering another
(「そういう男が…」, 「それな」, 「>>12」: ``answers_another``) after those that stand alone; ties go
to the earlier comment. Score within those
tiers: 0.6 × centrality rank + 0.4 × support rank.
"""

from __future__ import annotations

import re

import numpy as np

#: Representatives per group.
N_REPRESENTATIVES = 3


def wilson(up: np.ndarray, down: np.ndarray, z: float = 1.96) -> np.ndarray:
    """Wilson lower bound of ▲/(▲+▼) per row (0 without votes)."""
    n = up + down
    with np.errstate(divide="ignore", invalid="ignore"):
        nn = np.maximum(n, 1)
        p = np.where(n > 0, up / nn, 0.0)
        centre = p + z * z / (2 * nn)
        margin = z * np.sqrt(p * (1 - p) / nn + z * z / (4 * nn**2))
        lower = (centre - margin) / (1 + z * z / nn)
    return np.where(n > 0, lower, 0.0)


def ranks(values: np.ndarray) -> np.ndarray:
    """Ranks in [0, 1] (ties share the mean rank); all 0.5 when there is one value."""
    values = np.asarray(values)
    n = len(values)
    if n <= 1:
        return np.full(n, 0.5)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], n]
    tie_group = np.repeat(np.arange(len(starts)), ends - starts)
    out = np.empty(n)
    out[order] = ((starts + ends - 1) / 2.0)[tie_group]
    return out / (n - 1)


def repetitive(text: str) -> bool:
    """A long text made of few distinct characters (反対反対反対…, ああああ…)."""
    text = "".join(text.split())
    return len(text) >= 12 and len(set(text)) / len(text) < 0.2


def rival_cosines(x: np.ndarray, centres: np.ndarray, own: int) -> np.ndarray | None:
    """Each row's best cosine to a centre other than ``centres[own]`` (None: no other)."""
    if len(centres) < 2:
        return None
    sims = x @ centres.T
    sims[:, own] = -np.inf
    return sims.max(axis=1)


def belongs(x: np.ndarray, centre: np.ndarray, rival: np.ndarray | None) -> np.ndarray:
    """For each row, whether its cosine to ``centre`` beats ``rival``, its best cosine to any
    other centre (``rival_cosines``)."""
    if rival is None:
        return np.ones(len(x), dtype=bool)
    return x @ centre > rival


#: The opening of a comment that answers or points at text a reader of the digest does not see
#: (「そういう男が…」, 「それな」, 「同感」, 「>>12」).
_ANSWERS_RE = re.compile(
    r"^[\s　]*(?:[>＞]|そういう|そういった|ああいう|ああいった|そんな|あんな|それは|これは|それって|これって"
    r"|そうそう|そうだね|そうですね|そうだよ|ほんとそれ|本当それ"
    r"|(?:それな|同感|同意|わかる|分かる)(?:です|だよ|よ|ー)?(?=[、,，。！!？?\s…‥]|$))"
)


def answers_another(text: str) -> bool:
    """Whether a comment opens by answering or pointing at another text (``_ANSWERS_RE``): quoted
    alone in a digest it leaves the reader asking what it refers to."""
    return bool(_ANSWERS_RE.match(text))


def representatives(
    x: np.ndarray,
    centre: np.ndarray,
    rival: np.ndarray | None,
    up: np.ndarray,
    down: np.ndarray,
    texts: list[str],
    k: int = N_REPRESENTATIVES,
    on_topic: np.ndarray | None = None,
) -> list[int]:
    """Positions (within the group) of up to ``k`` representatives, best first; only rows
    nearer this group than any other (``rival``: each row's best cosine to another group's
    centre) are eligible (all rows when none is). ``on_topic`` marks the rows that name what
    the group is about (its key phrases or its label's words): they come first, so that the
    quote under 「デジタル庁って名前がダメだろう」 is not 「残念だけど、本当にスゴイ!!!」
    because that one had more votes."""
    n = len(x)
    if n == 0:
        return []
    central = x @ centre
    ok = belongs(x, centre, rival)
    if not ok.any():
        ok = np.ones(n, dtype=bool)
    support = wilson(up, down) * np.log1p(up)
    score = 0.6 * ranks(central) + 0.4 * ranks(support)
    cutoff = np.median(central)
    has_votes = (up + down) > 0
    any_votes = bool(has_votes[ok].any())
    rep = [repetitive(t) for t in texts]
    ctx = [answers_another(t) for t in texts]
    off = np.zeros(n, dtype=bool) if on_topic is None or not on_topic[ok].any() else ~np.asarray(on_topic, dtype=bool)
    order = sorted(
        (p for p in range(n) if ok[p]),
        key=lambda p: (rep[p], bool(off[p]), ctx[p], any_votes and not has_votes[p], central[p] < cutoff - 1e-12,
                       -score[p], p),
    )
    return order[: min(k, len(order))]
