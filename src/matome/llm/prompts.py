"""The messages sent for each task. Bump PROMPT_VERSION whenever a message changes (it is part
of every cache key, so cached answers of older prompts are never reused)."""

from __future__ import annotations

import json

from matome.llm.inputs import Task
from matome.llm.schemas import wire_schema

PROMPT_VERSION = "matome-llm-1"

SYSTEM = (
    "あなたはニュース記事と読者コメントのまとめを書く編集者です。"
    "与えられた材料だけを使い、自然で簡潔な日本語で書いてください。"
    "守ること: (1) 引用は「」に入れ、引用元の文をそのまま一字一句変えずに書き、その番号を cites に入れる。"
    "途中を省くときは … でつなぐ。(2) 数値は与えられた統計の数値だけを、書かれているとおりに使う。"
    "計算や言い換え（「約半数」「3割」など）はしない。(3) 「多数」「大半」「一致」「賛否が分かれる」などの言葉は、"
    "統計の「傾向」と合うときだけ使う。(4) 本文に番号（C12、S3 など）を書かない。"
    "(5) 指定された形式のJSONだけを返す。"
)

_INSTRUCTIONS = {
    "summary": (
        "記事の要点を、1〜3段落の自然な文章にまとめてください（全体で250字程度）。"
        "使える材料は下の記事の文（S番号）だけです。段落ごとに、元にした文の番号を cites に入れてください。"
        '形式: {"paragraphs": [{"text": "…", "cites": ["S1", "S2"]}]}'
    ),
    "group": (
        "この意見グループの主張を一言で表す短いラベル（20字程度、一文、「」なし）と、"
        "グループの意見を説明する一行の説明（60字程度）を書いてください。"
        "代表的なコメントの言葉を引用するときは「」に入れ、その番号を cites に入れてください。"
        '形式: {"label": "…", "description": "…", "cites": ["C3"]}'
    ),
    "discussion": (
        "読者の議論のまとめを2〜5段落で書いてください。最初の段落は「この議論では、」で始め、"
        "コメント数と主な論点を述べます。続けて主な意見グループごとに、件数・割合・▲▼・賛同率と、"
        "代表的なコメントの短い引用を示し、最後に支持を集めたコメントと賛否が割れたコメントに触れてください。"
        "グループ名は「」に入れて、与えられた名前のとおりに書いてください。"
        '形式: {"paragraphs": [{"text": "…", "cites": ["C3"]}]}'
    ),
    "matome": (
        "議論全体の［まとめ］として、見出し（40字程度、一文）と、それを補う一段落（150字程度）を書いてください。"
        "グループ名は「」に入れて、与えられた名前のとおりに書いてください。"
        '形式: {"headline": "…", "paragraph": "…", "cites": []}'
    ),
}


def user_message(task: Task) -> str:
    lines = [f"TASK: {task.key}", _INSTRUCTIONS[task.kind], "", "## 統計"]
    lines += [f"- {name}: {value}" for name, value in task.facts]
    lines += ["", "## 記事の文" if task.kind == "summary" else "## コメント"]
    for s in task.sources:
        votes = "" if s.position is None else f"（▲{s.up:,} ▼{s.down:,}）"
        lines.append(f"[{s.id}]{votes} {s.shown}")
    lines += ["", "## 回答のJSONスキーマ", json.dumps(wire_schema(task.kind), ensure_ascii=False, sort_keys=True)]
    return "\n".join(lines)


def first_messages(task: Task) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user_message(task)}]


def retry_messages(messages: list[dict[str, str]], answer: str, errors: list[str]) -> list[dict[str, str]]:
    """The conversation once more, with the rejected answer and what was wrong with it."""
    listed = "\n".join(f"- {e}" for e in errors[:12])
    return messages + [
        {"role": "assistant", "content": answer[:4000]},
        {"role": "user", "content": "この回答は検査に通りませんでした。次の問題をすべて直して、同じ形式のJSONだけを返してください。\n" + listed},
    ]
