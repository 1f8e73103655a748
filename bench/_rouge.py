"""ROUGE F1 over characters and Sudachi tokens (own implementation, shared by the
summary benchmark and the scorer's training script)."""

from __future__ import annotations

import random
import sys
import unicodedata
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from matome.ja.normalize import normalize  # noqa: E402
from matome.ja.tokens import tokenize  # noqa: E402

# --- ROUGE ------------------------------------------------------------------------------


def char_units(text: str) -> list[str]:
    return [
        ch
        for ch in normalize(text)
        if not ch.isspace() and unicodedata.category(ch)[0] not in ("P", "Z")
    ]


def token_units(text: str) -> list[str]:
    return [t.surface for t in tokenize(normalize(text)) if t.pos[0] not in ("補助記号", "空白")]


def _ngrams(units: list[str], n: int) -> Counter:
    return Counter(tuple(units[i : i + n]) for i in range(len(units) - n + 1))


def _f1(overlap: float, n_peer: int, n_ref: int) -> float:
    if overlap <= 0 or n_peer == 0 or n_ref == 0:
        return 0.0
    p, r = overlap / n_peer, overlap / n_ref
    return 2 * p * r / (p + r)


def rouge_n(peer: list[str], ref: list[str], n: int) -> float:
    a, b = _ngrams(peer, n), _ngrams(ref, n)
    overlap = sum((a & b).values())
    return _f1(overlap, sum(a.values()), sum(b.values()))


def lcs_length(a: list[str], b: list[str]) -> int:
    """LCS length by the bit-parallel algorithm (Allison–Dix / Hyyrö)."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, x in enumerate(a):
        masks[x] = masks.get(x, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for y in b:
        u = v & masks.get(y, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - bin(v).count("1")


def rouge_l(peer: list[str], ref: list[str]) -> float:
    return _f1(lcs_length(peer, ref), len(peer), len(ref))


def rouge_all(peer: list[str], ref: list[str]) -> tuple[float, float, float]:
    return rouge_n(peer, ref, 1), rouge_n(peer, ref, 2), rouge_l(peer, ref)


def _self_check() -> None:
    import itertools

    rng = random.Random(0)
    for _ in range(200):
        a = [rng.choice("abc") for _ in range(rng.randint(0, 12))]
        b = [rng.choice("abc") for _ in range(rng.randint(0, 12))]
        dp = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
        for i, j in itertools.product(range(len(a)), range(len(b))):
            dp[i + 1][j + 1] = dp[i][j] + 1 if a[i] == b[j] else max(dp[i][j + 1], dp[i + 1][j])
        assert lcs_length(a, b) == dp[len(a)][len(b)], (a, b)


