"""``matome summarize``: archive entries, plain text, JSONL batches, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from archive_factory import make_entry

from matome.analyze.summarize import summarize_entry
from matome.cli import app
from matome.io.archive import read_path, write_entries

runner = CliRunner()

ARTICLES = {
    "a1": "市は3日、来年度から全ての小学校で給食費を無償にすると発表した。対象は約1万人。"
    "\n市長は「子育て世帯の負担を減らしたい」と述べた。財源は基金を取り崩して確保する。",
    "a2": "気象庁によると、台風10号は4日夜に九州南部に上陸する見込みだ。\n各地で大雨となる恐れがある。"
    "鉄道各社は計画運休を発表した。",
    "a3": "",
}


def blocks(output: str) -> list[str]:
    return [p for p in output.split("\n\n") if p.strip()]


def test_archive_entry_prints_the_summary_block(seed_path):
    entry = read_path(seed_path).entries[0]
    result = runner.invoke(app, ["summarize", str(seed_path)])
    assert result.exit_code == 0, result.output
    parts = blocks(result.stdout)
    assert parts[-1].strip() == "(要約)"
    sentences = [p.strip("\n") for p in parts[:-1]]
    assert 1 <= len(sentences) <= 5 and sum(map(len, sentences)) <= 250
    summary = summarize_entry(entry)
    assert sentences == [s.text for s in summary]
    for s in summary:  # verbatim pieces of the body (a compressed sentence has several)
        para = entry.body.paragraphs[s.paragraph]
        assert "".join(para[a:b] for a, b in s.pieces) == s.text
    assert "ABEMA TIMES編集部" not in result.stdout
    assert "(『ABEMA Prime』より)" not in result.stdout


def test_plain_text_article_and_budget_in_characters(tmp_path):
    path = tmp_path / "article.txt"
    path.write_text(ARTICLES["a1"], encoding="utf-8")
    result = runner.invoke(app, ["summarize", str(path), "--chars", "40"])
    assert result.exit_code == 0, result.output
    sentences = [p.strip("\n") for p in blocks(result.stdout)[:-1]]
    assert sentences and sum(map(len, sentences)) <= 40
    assert all(s in ARTICLES["a1"] for s in sentences)


def test_jsonl_round(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(
        "\n".join(json.dumps({"id": k, "article": v}, ensure_ascii=False) for k, v in ARTICLES.items()),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["summarize", "--jsonl", str(path), "--chars", "60"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == list(ARTICLES)
    for r in rows:
        assert set(r) == {"id", "summary"}
        lines = [x for x in r["summary"].split("\n") if x]
        assert sum(map(len, lines)) <= 60
        assert all(x in ARTICLES[r["id"]] for x in lines)
    assert rows[0]["summary"] and rows[2]["summary"] == ""


def test_jsonl_bad_line_strict_and_keep_going(tmp_path):
    path = tmp_path / "in.jsonl"
    good = json.dumps({"id": 1, "article": ARTICLES["a2"]}, ensure_ascii=False)
    path.write_text(good + "\n{not json\n" + json.dumps({"id": 2}) + "\n" + good + "\n", encoding="utf-8")
    strict = subprocess.run(
        [sys.executable, "-m", "matome.cli", "summarize", "--jsonl", str(path)],
        capture_output=True, text=True,
    )
    assert strict.returncode == 2
    assert f"{path}:2:" in strict.stderr and "Traceback" not in strict.stderr
    assert len(strict.stderr.strip().splitlines()) == 1
    lenient = runner.invoke(app, ["summarize", "--jsonl", str(path), "--keep-going"])
    assert lenient.exit_code == 0
    assert [json.loads(x)["id"] for x in lenient.stdout.splitlines()] == [1, 1]


def test_bad_usage_and_missing_file_fail_with_one_line(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    for args in (
        ["summarize"],
        ["summarize", str(tmp_path / "nope.txt")],
        ["summarize", str(empty)],
        ["summarize", str(empty), "--jsonl", str(empty)],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, args
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_headings_bylines_and_captions_in_the_input_are_never_printed(tmp_path):
    heading = "給食費の無償化、何が変わる?"
    caption = "記者会見する市長（3月3日、市役所）"
    byline = "（取材・文：山田太郎）"
    lines = [
        heading,
        "市は3日、来年度から全ての小学校で給食費を無償にすると発表した。対象は約1万人。",
        caption,
        "市長は「子育て世帯の負担を減らしたい」と述べた。財源は基金を取り崩して確保する。",
        "財源の見通し",
        "基金の残高は約20億円で、数年は賄えるという。",
        byline,
        "ABEMA TIMES編集部",
    ]
    path = tmp_path / "article.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = runner.invoke(app, ["summarize", str(path), "--chars", "5000", "--sentences", "50"])
    assert result.exit_code == 0, result.output
    printed = [p.strip("\n") for p in blocks(result.stdout)[:-1]]
    # the budget takes every eligible sentence: all five prose sentences, nothing else
    assert len(printed) == 5, printed
    for bad in (heading, caption, "財源の見通し", byline, "ABEMA TIMES編集部"):
        assert bad not in result.stdout
    assert all(s in "\n".join(lines) for s in printed)


@pytest.mark.parametrize("text", ["今日は晴れ。\n", "見出しだけの行\n", "abc\n"])
def test_plain_text_without_an_eligible_sentence_fails_instead_of_printing_an_empty_summary(tmp_path, text):
    path = tmp_path / "short.txt"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "matome.cli", "summarize", str(path)], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "no sentence to summarize" in lines[0]


def test_an_archive_entry_without_body_sentences_still_warns_and_prints(tmp_path):
    # several entries: one entry without an eligible sentence must not hide the others' summaries
    good = ("市は3日、来年度から全ての小学校で給食費を無償にすると発表した。", "対象は約1万人。")
    entries = [make_entry(100, "給食費の無償化", paragraphs=good), make_entry(200, "短信", paragraphs=("短い。",))]
    path = tmp_path / "two.txt"
    path.write_text(write_entries(entries), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "matome.cli", "summarize", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "給食費を無償にすると発表した" in done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no sentence to summarize" in lines[0]
