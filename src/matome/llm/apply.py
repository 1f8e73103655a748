"""The adapter back: a new Digest with the parts the model wrote and passed the gates.

Parts whose answer was rejected (or never came) keep the offline text; every part gets a
:class:`~matome.model.PartWriter` saying who wrote it and why the offline text was kept.
With every part kept offline, the texts (and so the archive records) are the offline ones.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from matome.llm.gates import Accepted
from matome.llm.inputs import Task
from matome.model import Digest, PartWriter


@dataclass(frozen=True)
class Outcome:
    task: Task
    accepted: Accepted | None
    note: str = ""  # why the offline text was kept (Japanese)


def apply_outcomes(digest: Digest, outcomes: list[Outcome], model: str) -> Digest:
    by_key = {o.task.key: o for o in outcomes}
    writers = []
    for o in outcomes:
        if o.accepted is not None:
            writers.append(PartWriter(o.task.key, "llm", model, ""))
        else:
            writers.append(PartWriter(o.task.key, "offline", model, o.note))
    out = {}
    s = by_key.get("summary")
    if s is not None and s.accepted is not None:
        out["summary_paragraphs"] = s.accepted.paragraphs
    groups = []
    for g in digest.groups:
        o = by_key.get(f"group:{g.id}")
        if o is not None and o.accepted is not None:
            # the model's label is its own wording, not a quote: it has no source position
            g = replace(g, label=o.accepted.label, description=o.accepted.description,
                        label_position=None, label_start=None)
        groups.append(g)
    out["groups"] = tuple(groups)
    d = by_key.get("discussion")
    m = by_key.get("matome")
    quotes = digest.quotes
    if d is not None and d.accepted is not None:
        out["discussion_paragraphs"] = d.accepted.paragraphs
        quotes = d.accepted.quotes
    if m is not None and m.accepted is not None:
        out["matome_headline"] = m.accepted.headline
        out["matome_paragraphs"] = m.accepted.paragraphs
        quotes = quotes + tuple(q for q in m.accepted.quotes if q not in quotes)
    out["quotes"] = quotes
    return replace(digest, writers=tuple(writers), **out)


PART_JA = {"summary": "要約", "discussion": "議論のまとめ", "matome": "[まとめ]"}


def part_name(part: str, labels: dict[int, str] | None = None) -> str:
    if part.startswith("group:"):
        gid = int(part.split(":", 1)[1])
        label = (labels or {}).get(gid)
        return f"意見グループ「{label}」" if label else "意見グループ"
    return PART_JA.get(part, part)


def writer_note(w: PartWriter) -> str:
    """One line in Japanese: who wrote the part, and why the offline text was kept."""
    if w.writer == "llm":
        return f"LLM（{w.model}）が書いた文章です（引用・数値・賛否の表現を機械的に検査済み）。"
    reason = f"：{w.note}" if w.note else ""
    return f"matome の定型文です（LLM の文章は使いませんでした{reason}）。"
