"""Grounding gates: mechanical checks of every answer before any of it reaches a digest.

For every text the model wrote (pure functions; the rules are in ``docs/llm.md``):

1. every cited id is one of the task's sources (the summary of the article may cite only the
   article sentences it was given);
2. every 「…」 is a group name given in the task, or an exact substring of a source the same
   text cites, compared after NFKC and ignoring white space, ``…`` allowed between fragments
   (in order). The quote is then rewritten as the original's exact characters and recorded
   with its comment position and offset;
3. every number outside quotes (digits, or kanji numerals before a counter such as 件・割・人)
   is one of the task's computed statistics, as matome writes them;
4. wording of majority (多数・大半 …), consensus (一致・合意 …) and split (賛否が分かれ・拮抗 …)
   holds for what the sentence is about — the groups it names, the comments it quotes, else
   the task's subject — and a negated claim must not hold;
5. no source ids (C12, S3) in the text itself.

A failed gate returns the problems in Japanese: they are sent back to the model in the one retry.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from matome.llm.inputs import Task, numbers_in
from matome.model import Quote

MIN_FRAGMENT = 2

_OPEN = {"「": "」", "『": "』", "“": "”"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_ELLIPSIS_RE = re.compile(r"…+|‥+|\.{3,}|⋯+")
_ID_RE = re.compile(r"(?<![A-Za-z0-9])[CcSs]\d+(?![0-9])")
_SENTENCE_RE = re.compile(r"[^。！？!?\n]+[。！？!?]*")
_KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_KANJI_NUM_RE = re.compile(r"([〇一二三四五六七八九十百千万]+)(?=件|割|人|つ|個|パーセント|%|％|倍|グループ|分の|票)")

CLAIM_PATTERNS = {
    "majority": re.compile(r"大多数|多数派|多数を占め|多数が|大半|過半|ほとんどの読者|多くの読者|圧倒的"),
    "consensus": re.compile(r"一致|合意|総意|異論[がは]な|満場|全員|誰もが"),
    "split": re.compile(r"賛否[がはも]?(?:大きく|真っ二つに|二つに)?(?:分か|割)れ|意見[がはも]?(?:大きく|真っ二つに|二つに)?(?:分か|割)れ|拮抗|二分|真っ二つ|賛否両論"),
}
CLAIM_JA = {"majority": "多数・大半", "consensus": "一致・合意", "split": "賛否が分かれる"}
_NEGATION_RE = re.compile(r"^[^。、]{0,14}?(?:ない|なかっ|ません|ず[、。に]|ず$|とは言えな|とまでは)")


class GateError(str):
    """A problem with an answer: its text (sent back to the model, may quote the answer) and
    its kind, the only part that reaches a digest (see :data:`REASONS`)."""

    kind: str

    def __new__(cls, text: str, kind: str) -> "GateError":
        obj = super().__new__(cls, text)
        obj.kind = kind
        return obj


#: What a digest says about a rejected answer, by kind of problem (never the answer's words).
REASONS = {
    "format": "回答が指定の JSON の形式に合いませんでした",
    "cites": "引用元として存在しない番号が挙げられていました",
    "id": "本文に引用元の番号が書かれていました",
    "quote": "引用が原文と一致しませんでした",
    "number": "統計にない数値が書かれていました",
    "wording": "賛否の表現が▲・▼の集計と合いませんでした",
}


def reason(error: str) -> str:
    return REASONS.get(getattr(error, "kind", "format"), REASONS["format"])


@dataclass(frozen=True)
class Checked:
    """A text that passed: with exact quotes, and the comment quotes it contains."""

    text: str
    quotes: tuple[Quote, ...]


def quote_spans(text: str) -> tuple[list[tuple[int, int]], bool]:
    """The top-level quotes of ``text`` (「」, 『』 or “”, nested quotes inside them) as (start,
    end) of their contents; False when the brackets do not balance."""
    spans: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    for i, ch in enumerate(text):
        if ch in _OPEN:
            stack.append((ch, i))
        elif ch in _CLOSE:
            if not stack or stack[-1][0] != _CLOSE[ch]:
                return spans, False
            _, j = stack.pop()
            if not stack:
                spans.append((j + 1, i))
    return spans, not stack


def blank_quotes(text: str) -> tuple[str, list[int]]:
    """``text`` with the contents of its top-level quotes removed, and where each quote's
    opening bracket is in the result."""
    spans, _ = quote_spans(text)
    out, where, last = [], [], 0
    for a, b in spans:
        out.append(text[last:a])
        where.append(sum(len(x) for x in out) - 1)
        last = b
    out.append(text[last:])
    return "".join(out), where


def _norm_map(s: str) -> tuple[str, list[int]]:
    """``s`` NFKC-normalized without white space, and each character's index in ``s``."""
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(s):
        for c in unicodedata.normalize("NFKC", ch):
            if not c.isspace():
                chars.append(c)
                index.append(i)
    return "".join(chars), index


def _norm(s: str) -> str:
    return _norm_map(s)[0]


def kanji_number(s: str) -> int | None:
    """A kanji numeral (一, 十二, 三百五十, 二万 …) as an int."""
    total, section, digit = 0, 0, None
    for ch in s:
        if ch in _KANJI_DIGITS:
            digit = _KANJI_DIGITS[ch] if digit is None else digit * 10 + _KANJI_DIGITS[ch]
        elif ch in _KANJI_UNITS:
            section += (1 if digit is None else digit) * _KANJI_UNITS[ch]
            digit = None
        elif ch == "万":
            total += (section + (digit or 0) or 1) * 10000
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


def _find_fragments(fragments: list[str], source_text: str) -> list[tuple[int, int]] | None:
    """(start, end) in ``source_text`` of each fragment, in order, or None."""
    norm, index = _norm_map(source_text)
    spans = []
    at = 0
    for f in fragments:
        nf = _norm(f)
        k = norm.find(nf, at)
        if k < 0:
            return None
        start, end = index[k], index[k + len(nf) - 1] + 1
        spans.append((start, end))
        at = k + len(nf)
    return spans


def normalize_cite(cite: str, task: Task) -> str:
    """``Ｃ１２``, `` [C12] ``, ``c12`` → ``C12``; a bare number gets the task's prefix."""
    c = unicodedata.normalize("NFKC", str(cite)).strip(" []【】()#").upper()
    if c.isdigit():
        c = ("S" if task.kind == "summary" else "C") + c
    return c


def check_text(task: Task, text: str, cites: list[str], where: str) -> tuple[Checked | None, list[str]]:
    """Check one text of an answer against its task; ``where`` names it in the errors."""
    errors: list[str] = []
    cited = []
    cites = [normalize_cite(c, task) for c in cites]
    for c in cites:
        src = task.source(c)
        if src is None:
            ids = "、".join(s.id for s in task.sources)
            if task.kind == "summary":
                errors.append(GateError(f"{where}: cites の「{c}」は与えられた記事の文ではありません（使えるのは {ids}）。", "cites"))
            else:
                errors.append(GateError(f"{where}: cites の「{c}」は与えられたコメントにありません（使えるのは {ids}）。", "cites"))
        elif src not in cited:
            cited.append(src)
    if task.kind == "summary" and not cites:
        errors.append(GateError(f"{where}: 元にした記事の文の番号を cites に入れてください。", "cites"))
    if _ID_RE.search(blank_quotes(text)[0]):
        errors.append(GateError(f"{where}: 本文に番号（{_ID_RE.search(text).group(0)}）を書かず、cites に入れてください。", "id"))

    labels = {_norm(x) for x in task.labels}
    quotes: list[Quote] = []
    out: list[str] = []
    last = 0
    quoted_subjects: list[list[str]] = []  # per quote: the subjects it refers to
    spans, balanced = quote_spans(text)
    if not balanced:
        errors.append(GateError(f"{where}: かぎ括弧の対応が取れていません。引用は「」で正しく囲んでください。", "quote"))
    for a, b in spans:
        inner = text[a:b]
        out.append(text[last:a])
        last = b
        if _norm(inner) in labels:
            out.append(inner)
            quoted_subjects.append([dict(task.subject_labels).get(x, "") for x in task.labels if _norm(x) == _norm(inner)])
            continue
        fragments = [f for f in (x.strip() for x in _ELLIPSIS_RE.split(inner)) if f]
        short = [f for f in fragments if len(_norm(f)) < MIN_FRAGMENT]
        if not fragments or short:
            errors.append(GateError(f"{where}: 引用「{inner}」が短すぎます。原文から意味のある長さを引用してください。", "quote"))
            out.append(inner)
            quoted_subjects.append([])
            continue
        found = None
        for src in cited:
            spans = _find_fragments(fragments, src.text)
            if spans is not None:
                found = (src, spans)
                break
        if found is None:
            elsewhere = [s.id for s in task.sources if s not in cited and _find_fragments(fragments, s.text) is not None]
            if elsewhere:
                errors.append(GateError(f"{where}: 引用「{inner}」は cites に挙げていない {elsewhere[0]} の文です。cites に {elsewhere[0]} を入れてください。", "quote"))
            else:
                what = "記事の文" if task.kind == "summary" else "コメント"
                errors.append(GateError(f"{where}: 引用「{inner}」は、引用元の{what}にそのまま含まれていません。引用は原文どおりに書いてください。", "quote"))
            out.append(inner)
            quoted_subjects.append([])
            continue
        src, spans = found
        out.append("…".join(src.text[a:b] for a, b in spans))
        if src.position is not None:
            quotes += [Quote(src.text[a:b], src.position, a) for a, b in spans]
        quoted_subjects.append([src.id])
    out.append(text[last:])
    fixed = "".join(out)

    # numbers outside quotes
    bare, opened = blank_quotes(text)  # the contents of quotes are checked above
    written = numbers_in(bare) | {str(kanji_number(m.group(1))) for m in _KANJI_NUM_RE.finditer(bare)
                                   if kanji_number(m.group(1)) is not None}
    for num in sorted(written - task.numbers, key=lambda x: (len(x), x)):
        errors.append(GateError(f"{where}: 数値「{num}」は与えられた統計にありません。数値は与えられたものだけをそのまま使ってください。", "number"))

    if task.kind != "summary":  # the article's own words are not claims about the votes
        errors += _wording(task, bare, list(zip(opened, quoted_subjects)), where)
    if errors:
        return None, errors
    return Checked(fixed, tuple(quotes)), []


def _wording(task: Task, bare: str, quotes: list[tuple[int, list[str]]], where: str) -> list[str]:
    """``bare``: the text with its quotes emptied; ``quotes``: where each quote opens in it,
    and the subjects (groups, comments) it names."""
    errors = []
    for sm in _SENTENCE_RE.finditer(bare):
        plain = sm.group(0)
        a, b = sm.start(), sm.end()
        subjects = [s for at, subs in quotes if a <= at < b for s in subs if s]
        subjects = subjects or [task.subject]
        for claim, pattern in CLAIM_PATTERNS.items():
            for m in pattern.finditer(plain):
                negated = bool(_NEGATION_RE.search(plain[m.end():]))
                holds = any(claim in task.claims_of(s) for s in subjects)
                if negated and holds:
                    errors.append(GateError(f"{where}: 「{m.group(0)}」を否定していますが、評価の集計では当てはまります（{plain.strip()[:40]}）。", "wording"))
                elif not negated and not holds:
                    errors.append(GateError(
                        f"{where}: 「{m.group(0)}」（{CLAIM_JA[claim]}）は▲・▼の集計と合いません（{plain.strip()[:40]}）。"
                        "統計の「傾向」に合う言い方にしてください。", "wording"))
    return errors


# ---------------------------------------------------------------------------------------
# whole answers


@dataclass(frozen=True)
class Accepted:
    """What an answer that passed every gate contributes to the digest."""

    paragraphs: tuple[str, ...] = ()
    label: str = ""
    description: str = ""
    headline: str = ""
    quotes: tuple[Quote, ...] = ()


def check_answer(task: Task, answer) -> tuple[Accepted | None, list[str]]:
    """Gate a validated answer (``matome.llm.schemas``) of ``task``."""
    errors: list[str] = []
    if task.kind in ("summary", "discussion"):
        paras, quotes = [], []
        for i, p in enumerate(answer.paragraphs):
            checked, errs = check_text(task, p.text, p.cites, f"段落{i + 1}")
            errors += errs
            if checked:
                paras.append(checked.text.strip())
                quotes += checked.quotes
        return (None, errors) if errors else (Accepted(paragraphs=tuple(paras), quotes=tuple(quotes)), [])
    if task.kind == "group":
        label, e1 = check_text(task, answer.label, answer.cites, "label")
        desc, e2 = check_text(task, answer.description, answer.cites, "description")
        errors = e1 + e2
        if label and ("\n" in label.text or any(ch in label.text for ch in "「」『』“”")):
            errors.append(GateError("label: 改行や「」を含めず、一行の短い文にしてください。", "format"))
        if errors:
            return None, errors
        return Accepted(label=label.text.strip(), description=" ".join(desc.text.split()), quotes=desc.quotes), []
    head, e1 = check_text(task, answer.headline, answer.cites, "headline")
    para, e2 = check_text(task, answer.paragraph, answer.cites, "paragraph")
    errors = e1 + e2
    if errors:
        return None, errors
    return Accepted(paragraphs=(para.text.strip(),), headline=" ".join(head.text.split()),
                    quotes=head.quotes + para.quotes), []
