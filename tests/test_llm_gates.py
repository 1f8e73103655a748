"""The grounding gates on the tasks of the bundled seed: good answers pass with exact quotes,
every scripted fault is caught."""

from __future__ import annotations

import json

import pytest

from conftest import SEED_PATH
from llm_support import FAULTS, applies, good_answer
from matome.analyze.digest import digest_entry
from matome.io.archive import read_path
from matome.llm.gates import check_answer, check_text, kanji_number
from matome.llm.inputs import context, discussion_tasks, group_tasks, summary_task
from matome.llm.schemas import parse


@pytest.fixture(scope="module")
def seed_tasks():
    entry = read_path(str(SEED_PATH)).entries[0]
    ctx = context(entry, digest_entry(entry))
    return entry, [summary_task(ctx)] + group_tasks(ctx) + discussion_tasks(ctx)


def _gate(task, content: str):
    parsed, errors = parse(task.kind, content)
    if parsed is None:
        return None, errors
    return check_answer(task, parsed)


def _plain_line(task, min_len: int):
    """A source of the task and one of its lines longer than ``min_len`` with no quotation
    marks of its own (they would make the quote under test unbalanced)."""
    return next(
        (s, line) for s in task.sources for line in s.text.split("\n")
        if len(line.strip()) > min_len and not any(ch in line for ch in "「」『』“”")
    )


def test_good_answers_pass_with_exact_quotes(seed_tasks):
    entry, tasks = seed_tasks
    texts = {c.position: c.text for c in entry.comments}
    assert {t.kind for t in tasks} == {"summary", "group", "discussion", "matome"}
    for task in tasks:
        accepted, errors = _gate(task, json.dumps(good_answer(task), ensure_ascii=False))
        assert errors == [], (task.key, errors)
        for q in accepted.quotes:
            assert texts[q.position][q.start:q.start + len(q.text)] == q.text


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_every_fault_is_caught(seed_tasks, fault):
    _, tasks = seed_tasks
    tried = 0
    for task in tasks:
        if not applies(fault, task):
            continue
        step = fault.content(task)
        accepted, errors = _gate(task, step["content"])
        assert accepted is None and errors, (task.key, fault.name)
        tried += 1
    assert tried


def test_quote_is_rewritten_to_the_original_characters(seed_tasks):
    entry, tasks = seed_tasks
    task = next(t for t in tasks if t.kind == "group")
    import unicodedata

    # a source line whose first 20 characters hold no quotation marks of their own
    src, original = next(
        (s, line[:20]) for s in task.sources for line in s.text.split("\n")
        if len(line) > 20 and not any(ch in line[:20] for ch in "「」『』“”")
    )
    # full-width / half-width differences and a line break are forgiven, the characters are the original's
    written = unicodedata.normalize("NFKC", original)
    checked, errors = check_text(task, f"「{written}」という声。", [src.id], "description")
    assert errors == []
    assert f"「{original}」" in checked.text
    assert checked.quotes[0].text == original and checked.quotes[0].position == src.position


def test_fragments_joined_by_ellipsis_must_come_in_order(seed_tasks):
    _, tasks = seed_tasks
    task = next(t for t in tasks if t.kind == "group")
    src, line = _plain_line(task, 30)
    a, b = line.strip()[:8], line.strip()[20:28]
    good, errors = check_text(task, f"「{a}…{b}」という声。", [src.id], "d")
    assert errors == [] and len(good.quotes) == 2
    _, errors = check_text(task, f"「{b}…{a}」という声。", [src.id], "d")
    assert errors


def test_split_wording_needs_split_votes(seed_tasks):
    _, tasks = seed_tasks
    by_claims = {t.key: t.claims_of(t.subject) for t in tasks if t.kind == "group"}
    split = next(t for t in tasks if t.kind == "group" and "split" in by_claims[t.key])
    _, errors = check_text(split, "賛否が分かれている意見です。", [], "d")
    assert errors == []
    _, errors = check_text(split, "大半の読者が支持する意見です。", [], "d")
    assert errors
    not_split = [t for t in tasks if t.kind == "group" and "split" not in by_claims[t.key]]
    for t in not_split:
        _, errors = check_text(t, "賛否が大きく割れています。", [], "d")
        assert errors


@pytest.mark.parametrize("text,value", [("一", 1), ("十", 10), ("十二", 12), ("三百五十", 350), ("二万", 20000),
                                        ("千二百", 1200), ("九百九十九", 999)])
def test_kanji_numbers(text, value):
    assert kanji_number(text) == value


def test_nested_and_other_quote_marks_are_checked_whole(seed_tasks):
    _, tasks = seed_tasks
    task = next(t for t in tasks if t.kind == "group")
    src = task.sources[0]
    frag = next(line for line in src.text.split("\n") if len(line) > 20)[:10]
    # an invented outer quote around a real inner one
    _, errors = check_text(task, f"「作り話の前置き「{frag}」作り話の後書き」という声。", [src.id], "d")
    assert errors
    # invented words in 『』 or “” are quotes too
    for open_, close in (("『", "』"), ("“", "”")):
        _, errors = check_text(task, f"{open_}どこにも書かれていない発言{close}という声。", [src.id], "d")
        assert errors
    # brackets that do not balance
    _, errors = check_text(task, f"「{frag}という声。", [src.id], "d")
    assert errors


def test_nested_quote_inside_a_real_quote_passes(seed_tasks):
    entry, tasks = seed_tasks
    for task in tasks:
        if task.kind != "group":
            continue
        for src in task.sources:
            for line in src.text.split("\n"):
                start = line.find("「")
                end = line.find("」", start)
                if start > 3 and end > start and end + 3 < len(line):
                    quote = line[start - 3:end + 3]
                    checked, errors = check_text(task, f"「{quote}」という声。", [src.id], "d")
                    assert errors == [], errors
                    assert checked.quotes[0].text == quote
                    return
    pytest.skip("no comment of the seed quotes with 「」")


def test_cites_in_other_spellings_are_understood(seed_tasks):
    _, tasks = seed_tasks
    task = next(t for t in tasks if t.kind == "group")
    src, line = _plain_line(task, 20)
    number = src.id[1:]
    frag = line[:10]
    for cite in (src.id, f"[{src.id}]", src.id.lower(), number, "Ｃ" + "".join(chr(ord(d) + 0xFEE0) for d in number)):
        checked, errors = check_text(task, f"「{frag}」という声。", [cite], "d")
        assert errors == [], (cite, errors)


def test_an_object_after_a_sentence_is_read_and_still_checked(seed_tasks):
    _, tasks = seed_tasks
    task = next(t for t in tasks if t.kind == "group")
    answer = json.dumps(good_answer(task), ensure_ascii=False)
    accepted, errors = _gate(task, "以下が回答です。\n```json\n" + answer + "\n```")
    assert errors == [] and accepted is not None
    bad = json.dumps({**good_answer(task), "description": "「どこにもない発言」という声。"}, ensure_ascii=False)
    accepted, errors = _gate(task, "回答: " + bad)
    assert accepted is None and errors
