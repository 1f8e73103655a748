"""Smaller command-line and reader fixes of issue 11 (items 6 and 19): convert from standard
input, line ends, cut files, serve --port 0, postgres:// URLs, wording, --help placeholders,
a huge comment, a missing optional package."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import httpx
import click
import pytest

import matome.analyze.clusters as clusters_module
from archive_factory import make_entry
from cli_support import run
from matome.analyze.digest import MAX_COMMENT_CHARS, digest_entry
from matome.cli import command
from matome.io.archive import ArchiveFormatError, decode, read_text, write_entries
from matome.io.tabular import TabularFormatError, read_comments
from matome.store import open_store
from matome.store.engine import resolve_url
from test_store_support import pg_url

ROOT = Path(__file__).resolve().parents[1]


def test_convert_reads_jsonl_from_standard_input(tmp_path):
    text = write_entries([make_entry(10, title="一つ目"), make_entry(20, title="二つ目")])
    jsonl = run(["convert", "-", "--to", "jsonl"], stdin=text.encode()).out
    assert jsonl.count("\n") == 2
    back = run(["convert", "-", "--to", "archive"], stdin=jsonl.encode())
    assert back.code == 0 and back.out == text, back.err
    r = run(["convert", "-", "--to", "archive", "-o", tmp_path / "x.txt"], stdin=jsonl.encode())
    assert "wrote 2 entries" in r.err
    one = run(["convert", "-", "--to", "jsonl", "-o", tmp_path / "y.jsonl"], stdin=write_entries([make_entry(5)]).encode())
    assert "wrote 1 entry " in one.err


def test_a_trailing_lone_cr_is_a_line_end():
    text = write_entries([make_entry(10)])
    for data in (text.encode() + b"\r", text.replace("\n", "\r\n").encode() + b"\r"):  # ends in "IMAGE\r"
        assert decode(data) == text + "\n"
        (got,), (want,) = read_text(decode(data)).entries, read_text(text).entries
        assert (got.headline, got.body, got.comments) == (want.headline, want.body, want.comments)


def test_a_file_cut_in_the_middle_of_a_character_is_reported_as_truncated(tmp_path):
    data = write_entries([make_entry(10, title="見出し")]).encode()
    cut = data[: data.index("見出し".encode()) + 4]  # 見 and one byte of 出
    with pytest.raises(ArchiveFormatError, match=r"middle of a UTF-8 character \(byte offset [0-9,]+ of [0-9,]+\)"):
        decode(cut, "cut.txt")
    (tmp_path / "cut.txt").write_bytes(cut)
    r = run(["show", tmp_path / "cut.txt"])
    assert r.one_line_error() and "truncated" in r.err
    assert "--keep-going" not in r.err  # it could not help: no entry of the file can be read
    table = tmp_path / "cut.csv"
    table.write_bytes("text,up,down\n良い意見です,1,2\n".encode()[:-9])
    with pytest.raises(TabularFormatError, match="truncated"):
        read_comments(table)
    assert "neither UTF-8 nor CP932" not in run(["show", tmp_path / "cut.csv"]).err


def test_bad_rows_name_the_row_once(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("text,up,down\n良い,1,2\n,3,4\n悪い,x,1\n", encoding="utf-8")
    errors = [str(e) for e in read_comments(table).errors]
    assert len(errors) == 2 and all(not re.search(r":\d+: (row|line|item) \d+", e) for e in errors), errors
    assert errors[0].startswith(f"{table}:3: ")


def test_serve_port_0_prints_the_port_it_listens_on(tmp_path):
    db = tmp_path / "a.db"
    archive = tmp_path / "a.txt"
    archive.write_text(write_entries([make_entry(10)]), encoding="utf-8")
    assert run(["ingest", "--db", db, "--no-digest", archive]).code == 0
    proc = subprocess.Popen([sys.executable, "-m", "matome.cli", "serve", "--db", str(db), "--port", "0"],
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "HOME": str(tmp_path / "home")})
    try:
        line = proc.stderr.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m and int(m.group(1)) > 0, line
        url = f"http://127.0.0.1:{m.group(1)}/api/articles"
        for _ in range(300):  # the socket is listening already; the app may still be starting
            try:
                r = httpx.get(url, timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert r.status_code == 200 and r.json()["total"] == 1
        page = httpx.get(url.replace("/api/articles", "/articles/" + str(r.json()["articles"][0]["id"])), timeout=30)
        assert page.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    # without --page-cache, serving (and rendering a page) leaves no file behind but the
    # archive's own (its SQLite journal files)
    assert [p.name for p in tmp_path.rglob("*") if not p.name.startswith("a.db")] == ["a.txt"]


def test_postgres_scheme_is_accepted():
    assert resolve_url("postgres://u@h:5432/db") == "postgresql+psycopg://u@h:5432/db"
    assert resolve_url("postgres+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    base = pg_url()
    if base is None:
        pytest.skip("MATOME_TEST_PG_URL is not set: no PostgreSQL server to open")
    with open_store(base.replace("postgresql://", "postgres://", 1), migrate=False) as s:
        assert s.dialect == "postgresql"


def test_help_has_no_type_placeholders_and_every_option_has_help():
    group = command()
    for name, cmd in group.commands.items():
        for param in cmd.params:
            assert param.help, f"matome {name}: {param.name} has no help"
        r = run([name, "--help"])
        assert r.code == 0
        assert not re.search(r"<(str|bool|int|text|list\[str\]|int range)>", r.out), (name, r.out)
    assert isinstance(group, click.Group)


def test_usage_errors_are_one_line():
    for argv in (["show", "--bogus"], ["show"], ["nosuch"], ["digest", "x", "--format", "nope"], ["report", "abc"]):
        r = run(argv)
        assert r.one_line_error(), (argv, r.err)
        assert "╭" not in r.err and "Usage:" not in r.err


def test_grouping_sees_a_bounded_part_of_a_huge_comment(monkeypatch):
    """One 5 MB comment cost ~0.9 GB and 23 s to digest (its tokens and character n-grams);
    the grouping now reads its first MAX_COMMENT_CHARS characters, the rest of the digest
    the whole comment."""
    huge = "政府の説明は足りないと思う。" * (5_000_000 // 14)
    entry = make_entry(10, comments=[(huge, 5, 1)] + [(f"普通の意見その{k}です。", k, 1) for k in range(12)])
    seen: list[int] = []
    real = clusters_module.cluster

    def spy(texts, *args, **kw):
        seen.append(max(len(t) for t in texts))
        return real(texts, *args, **kw)

    monkeypatch.setattr(clusters_module, "cluster", spy)
    digest = digest_entry(entry)
    assert seen == [MAX_COMMENT_CHARS]
    assert any(s.position == 0 for s in digest.comments)


def test_lxml_html_clean_is_declared():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert any(re.match(r"lxml[_-]html[_-]clean\b", d) for d in deps)


def test_a_page_reader_that_cannot_be_imported_is_one_line(tmp_path, monkeypatch):
    page = tmp_path / "page.shtml"
    page.write_text("<html><head><title>市の新しい計画</title></head><body><article><h1>市の新しい計画</h1>"
                    + "<p>市は新しい計画を発表した。住民の意見を聞くという。</p>" * 5 + "</article></body></html>",
                    encoding="utf-8")
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # as when lxml_html_clean is missing
    r = run(["digest", page])
    assert r.one_line_error(), (r.code, r.err)
    assert "trafilatura" in r.err
