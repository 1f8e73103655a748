"""Helpers of the LLM tests: the scripted server process, and answers built from the tasks.

Good answers are written from the task inputs (the sentences, groups and comments that the
offline pipeline chose); faulty answers break exactly one gate each. Every fault carries a
telltale string that must never appear in any output.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from matome.llm.inputs import Task

HERE = Path(__file__).resolve().parent


class ScriptedServer:
    """``tests/llm_server.py`` as a real process on a free port of 127.0.0.1."""

    def __init__(self, tmp: Path, script: dict) -> None:
        self.dir = tmp
        self.script_path = tmp / "script.json"
        self.script_path.write_text(json.dumps(script, ensure_ascii=False), encoding="utf-8")
        self.port_file = tmp / "port"
        self.log_path = tmp / "requests.jsonl"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "ScriptedServer":
        self.proc = subprocess.Popen([sys.executable, str(HERE / "llm_server.py"), str(self.script_path),
                                      str(self.port_file), str(self.log_path)])
        for _ in range(200):
            if self.port_file.exists():
                break
            if self.proc.poll() is not None:
                raise RuntimeError("the scripted LLM server did not start")
            time.sleep(0.05)
        self.port = int(self.port_file.read_text())
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stats(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=10) as r:
            return json.loads(r.read())

    def requests(self) -> list[dict]:
        if not self.log_path.exists():
            return []
        return [json.loads(line) for line in self.log_path.read_text(encoding="utf-8").splitlines() if line]


def ok(content) -> dict:
    return {"content": content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)}


# ---------------------------------------------------------------------------------------
# good answers


def fragment(text: str, length: int = 12) -> str:
    """A quotable piece of a source: the start of its first line that has no brackets."""
    for line in text.split("\n"):
        line = line.strip()
        if len(line) >= length and not any(ch in line[:length] for ch in "「」『』>＞"):
            return line[:length]
    return text.strip()[:length]


def good_answer(task: Task) -> dict:
    """An answer that passes every gate, in words no offline text uses (「読者の声として」…)."""
    if task.kind == "summary":
        ids = [s.id for s in task.sources]
        return {"paragraphs": [{"text": "記事の要点として、" + "".join(task.source(i).text for i in ids[:2]),
                                "cites": ids[:2]}]}
    if task.kind == "group":
        src = task.sources[0]
        return {"label": f"{task.labels[0]}をめぐる読者の声",
                "description": f"読者の声として「{fragment(src.text)}」などの意見が寄せられています。",
                "cites": [src.id]}
    n = dict(task.facts)["コメント数"]
    label = task.labels[0]
    src = task.sources[0]
    if task.kind == "discussion":
        return {"paragraphs": [
            {"text": f"この議論では、読者から{n}のコメントが寄せられました。", "cites": []},
            {"text": f"読者の声として「{label}」に関わる意見があり、「{fragment(src.text)}」という声が挙がっています。",
             "cites": [src.id]},
        ]}
    return {"headline": f"読者の声として「{label}」が話題に", "paragraph": f"読者から{n}のコメントが寄せられた。", "cites": []}


# ---------------------------------------------------------------------------------------
# faulty answers: one gate each


@dataclass(frozen=True)
class Fault:
    name: str
    telltale: str  # a string that must never reach any output

    def content(self, task: Task) -> dict:
        """The scripted step of this fault for ``task``."""
        good = good_answer(task)
        t = self.telltale
        src = task.sources[0]
        frag = fragment(src.text)

        def with_text(text: str, cites: list[str] | None = None) -> str:
            a = json.loads(json.dumps(good, ensure_ascii=False))
            if task.kind in ("summary", "discussion"):
                a["paragraphs"].append({"text": text, "cites": cites if cites is not None else [src.id]})
            elif task.kind == "group":
                a["description"] = text
                a["cites"] = cites if cites is not None else [src.id]
            else:
                a["paragraph"] = text
                a["cites"] = cites if cites is not None else [src.id]
            return json.dumps(a, ensure_ascii=False)

        n = self.name
        if n == "invented-quote":
            return ok(with_text(f"読者は「{t}」と述べています。"))
        if n == "altered-quote":
            altered = frag[:-1] + ("が" if frag[-1] != "が" else "の")
            return ok(with_text(f"読者は「{altered}{t}」と述べています。"))
        if n == "wrong-number":
            return ok(with_text(f"{t}、その数は98765件にのぼります。", []))
        if n == "wrong-percent":
            return ok(with_text(f"{t}、賛同率は99.5%でした。", []))
        if n == "kanji-number":
            return ok(with_text(f"{t}、意見は九百九十九件ありました。", []))
        if n == "unknown-id":
            return ok(with_text(f"{t}「{frag}」という声もあります。", ["C9999"] if task.kind != "summary" else ["S999"]))
        if n == "quote-not-cited":
            return ok(with_text(f"{t}「{frag}」という声もあります。", []))
        if n == "id-in-text":
            return ok(with_text(f"{t}{src.id}の意見が参考になります。", []))
        if n == "too-short-quote":
            return ok(with_text(f"{t}「{frag[:1]}」という声です。"))
        if n == "truncated":
            whole = with_text(f"{t}ここで回答が途切れます。", [])
            return {"content": whole[: len(whole) // 2], "finish_reason": "length"}
        if n == "not-json":
            return ok(f"{t}。ご依頼のまとめは以下のとおりです。議論は活発でした。")
        if n == "empty":
            return ok("")
        if n == "missing-field":
            a = json.loads(with_text(f"{t}です。", []))
            a.pop(next(iter(a)))
            return ok(json.dumps(a, ensure_ascii=False))
        if n == "extra-field":
            a = json.loads(with_text(f"{t}です。", []))
            a["comment"] = t
            return ok(json.dumps(a, ensure_ascii=False))
        if n == "array":
            return ok(json.dumps([t], ensure_ascii=False))
        if n == "fenced-prose":
            return ok(f"```\n{t}\n```")
        if n == "label-too-long":
            a = json.loads(with_text(f"{t}です。", []))
            key = {"group": "label", "matome": "headline"}.get(task.kind)
            if key:
                a[key] = t + "あ" * 100
            else:
                a["paragraphs"][0]["text"] = t + "あ" * 600
            return ok(json.dumps(a, ensure_ascii=False))
        if n == "majority-on-split":
            return ok(with_text(f"{t}、多くの読者が同意しています。", []))
        if n == "consensus-on-split":
            return ok(with_text(f"{t}、読者の意見は一致しています。", []))
        if n == "split-denied":
            return ok(with_text(f"{t}、賛否は分かれていない。", []))
        if n == "summary-cites-comment":
            return ok(with_text(f"{t}という指摘があります。", ["C1"]))
        raise ValueError(n)


FAULTS = [
    Fault("invented-quote", "まったく存在しない捏造の発言"),
    Fault("altered-quote", "改変された引用の印"),
    Fault("wrong-number", "数の誤りの印"),
    Fault("wrong-percent", "割合の誤りの印"),
    Fault("kanji-number", "漢数字の誤りの印"),
    Fault("unknown-id", "存在しない番号の印"),
    Fault("quote-not-cited", "出典なし引用の印"),
    Fault("id-in-text", "番号を本文に書いた印"),
    Fault("too-short-quote", "短すぎる引用の印"),
    Fault("truncated", "途中で切れた回答の印"),
    Fault("not-json", "JSONでない回答の印"),
    Fault("empty", "\u2063"),  # nothing to see: the invisible separator is in no output
    Fault("missing-field", "欠けた項目の印"),
    Fault("extra-field", "余分な項目の印"),
    Fault("array", "配列の回答の印"),
    Fault("fenced-prose", "囲みの中の文章の印"),
    Fault("label-too-long", "長すぎる見出しの印"),
    Fault("majority-on-split", "賛否拮抗に多数と書いた印"),
    Fault("consensus-on-split", "賛否拮抗に一致と書いた印"),
    Fault("split-denied", "賛否の割れを否定した印"),
    Fault("summary-cites-comment", "要約がコメントを引いた印"),
]
FAULT_BY_NAME = {f.name: f for f in FAULTS}


def applies(fault: Fault, task: Task) -> bool:
    """Whether ``fault`` breaks a gate of ``task`` (wording faults depend on the statistics)."""
    subject = task.claims_of(task.subject)
    if fault.name == "summary-cites-comment":
        return task.kind == "summary"
    if fault.name == "majority-on-split":
        return task.kind != "summary" and "majority" not in subject
    if fault.name == "consensus-on-split":
        return task.kind != "summary" and "consensus" not in subject
    if fault.name == "split-denied":
        return task.kind != "summary" and "split" in subject
    return True


def faults_for(task: Task, skip: int = 0) -> list[Fault]:
    """The faults that apply to ``task``, rotated by ``skip`` (so tasks get different ones)."""
    fs = [f for f in FAULTS if applies(f, task)]
    k = skip % len(fs)
    return fs[k:] + fs[:k]
