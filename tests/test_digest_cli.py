"""``matome digest``: the complete record in the seed's format, JSON, Markdown, comment tables."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys

from click.testing import CliRunner

from conftest import SEED_PATH
from matome.analyze.digest import digest_from_dict
from matome.cli import app
from matome.io.archive import read_path, read_text
from matome.io.jsonl import entry_from_dict

_HEADER = re.compile(r"^\(\u00a0\d+\u00a0\)\u00a0\u00a0[0-9/: ]+\u00a0\u00a0$", re.M)

runner = CliRunner()


def _records(text: str) -> list[str]:
    starts = [m.start() for m in _HEADER.finditer(text)]
    return [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]


def test_seed_digest_changes_only_the_summary_and_discussion_records(tmp_path):
    seed_text = SEED_PATH.read_text(encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "matome.cli", "digest", str(SEED_PATH)], capture_output=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode("utf-8")
    before, after = _records(seed_text), _records(out)
    assert len(before) == len(after) == 5
    for k in (0, 2, 4):  # headline, body, comments (+ trailer): byte for byte
        assert after[k] == before[k]
    assert after[1] != before[1] and after[3] != before[3]
    assert after[1].rstrip("\n").endswith("(要約)")
    assert "この議論では、" in after[3] and "\n[まとめ]" in after[3]

    original = read_path(SEED_PATH).entries[0]
    back = read_text(out).entries[0]
    assert len(back.comments) == 37
    assert [(c.text, c.votes) for c in back.comments] == [(c.text, c.votes) for c in original.comments]
    assert back.headline == original.headline and back.body == original.body
    assert back.summary.record == original.summary.record and back.discussion.record == original.discussion.record


def test_json_format_holds_the_entry_and_a_lossless_digest():
    result = runner.invoke(app, ["digest", str(SEED_PATH), "--format", "json"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().split("\n")
    assert len(lines) == 1
    obj = json.loads(lines[0])
    entry = entry_from_dict(obj["entry"])
    digest = digest_from_dict(obj["digest"])
    assert len(entry.comments) == 37
    assert entry.discussion.paragraphs == digest.discussion_paragraphs
    assert [s.position for s in digest.comments] == list(range(37))
    members = sorted(p for g in digest.groups if g.parent is None for p in g.members)
    assert len(members) == len(set(members))  # a comment is in at most one top-level group


def test_markdown_shows_groups_support_and_quotes_with_markup_escaped(tmp_path):
    table = tmp_path / "c.csv"
    rows = [
        ("<script>alert(1)</script>危ないタグも文字として表示されるべきだ。", 5, 1),
        ("| 表 | を壊す | 縦棒 | も文字として扱われるべきだと思う。", 3, 3),
        ("半導体の国内生産を増やすべきだ。工場の誘致は重要だ。", 20, 2),
        ("半導体の工場を誘致する政策は正しいと思う。", 15, 1),
    ]
    with table.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "up", "down"])
        w.writerows(rows)
    result = runner.invoke(app, ["digest", "--comments", str(table), "--title", "テスト", "--format", "md"])
    assert result.exit_code == 0, result.output
    md = result.stdout
    assert md.startswith("# テスト\n")
    assert "## 読者の議論" in md and "**［まとめ］" in md and "## 意見グループ" in md
    assert "<script>" not in md and "\\<script\\>" in md
    for line in md.splitlines():
        if line.startswith("| ") and "縦棒" in line:
            raise AssertionError("a comment broke the table")
    assert "▲20" in md


def test_comment_table_gives_a_complete_record_that_reads_back(tmp_path):
    table = tmp_path / "c.jsonl"
    rows = [{"text": f"意見その{i}。AIの規制について考えるべきだ。", "up": i, "down": 10 - i, "id": f"x{i}"} for i in range(10)]
    table.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    article = tmp_path / "a.txt"
    article.write_text("政府はAIの規制について新しい方針を発表した。\n専門家は慎重な議論が必要だと指摘している。\n", encoding="utf-8")
    result = runner.invoke(app, ["digest", "--comments", str(table), "--article", str(article), "--title", "AI規制"])
    assert result.exit_code == 0, result.output
    entry = read_text(result.stdout).entries[0]
    assert entry.title == "AI規制"
    assert [(c.votes.up, c.votes.down) for c in entry.comments] == [(i, 10 - i) for i in range(10)]
    assert entry.summary.paragraphs and all(p in article.read_text(encoding="utf-8") for p in entry.summary.paragraphs)
    assert entry.discussion.paragraphs[0].startswith("この議論では、10件のコメント")


def test_same_input_gives_the_same_bytes():
    a = runner.invoke(app, ["digest", str(SEED_PATH), "--format", "json"])
    b = runner.invoke(app, ["digest", str(SEED_PATH), "--format", "json"])
    assert a.exit_code == b.exit_code == 0
    assert a.stdout == b.stdout


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    result = runner.invoke(app, ["digest", str(tmp_path / "missing.txt")])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "missing.txt" in result.stderr
    bad = tmp_path / "bad.txt"
    bad.write_text("これはアーカイブではない\n", encoding="utf-8")
    result = runner.invoke(app, ["digest", str(bad)])
    assert result.exit_code == 2 and "bad.txt" in result.stderr
    empty = tmp_path / "e.csv"
    empty.write_text("foo,bar\nx,y\n", encoding="utf-8")
    result = runner.invoke(app, ["digest", "--comments", str(empty)])
    assert result.exit_code == 2 and "text" in result.stderr
    result = runner.invoke(app, ["digest"])
    assert result.exit_code == 2


def test_view_renders_the_markdown_for_the_terminal(tmp_path):
    result = runner.invoke(app, ["digest", str(SEED_PATH), "--format", "view"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "読者の議論" in out and "［まとめ］" in out and "意見グループ" in out
    assert "## " not in out and "**" not in out  # rendered, not raw Markdown
    result = runner.invoke(app, ["digest", str(SEED_PATH), "--format", "view", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2
