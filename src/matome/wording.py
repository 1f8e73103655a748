"""How numbers and vote patterns are written, in one place for the text, CLI, Markdown, web
and report (so 賛同率 for ▲5 ▼3 reads 63% everywhere).

* ``pct``: a share as a whole percentage rounded half up; ``1%未満`` for a small non-zero share.
* ``percent``: the same rounding as an int (for bars and tables).
* ``KIND_TEXT``: one Japanese wording per group kind (``matome.analyze.votes.GROUP_KINDS``).
* ``STANCE_TEXT``: one wording per group stance (``matome.analyze.votes.group_stance``).
"""

from __future__ import annotations


def percent(x: float) -> int:
    """``x`` in [0, 1] as a whole percentage, rounded half up."""
    return int(x * 100 + 0.5)


def pct(x: float) -> str:
    if 0 < x < 0.005:
        return "1%未満"
    return f"{percent(x)}%"


def count(n: int) -> str:
    return f"{n:,}"


def votes_text(up: int, down: int) -> str:
    return f"▲{count(up)}・▼{count(down)}"


SUPPORT_TERM = "賛同率"

KIND_TEXT = {
    "consensus": "多くが賛同",
    "divisive": "賛否が割れている",
    "vocal-minority": "コメント数の割に▲が少ない",
    "silent-majority": "コメント数の割に▲が多い",
    "low-signal": "評価が少ない",
    "leaning": "賛同がやや多い",
    "opposed": "反対が多い",
    "mixed": "評価はまちまち",  # digests made before digest-7
}

STANCE_TEXT = {
    "common-ground": "共通の土台（賛同が7割以上）",
    "split": "賛否が割れている（賛同4〜6割）",
    "opposed": "反対が多い（賛同4割未満）",
    "leaning": "賛同がやや多い（賛同6〜7割）",
    "low-signal": "評価が少ない（20票未満）",
}
