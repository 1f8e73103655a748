"""Comment tables on the command line (issue 11, item 9 and parts of 19): vote columns are
recognised by common names or named with --map, and the command says which it used."""

from __future__ import annotations

import pytest

import matome.commands.ingest as ingest_command
from archive_factory import make_entry
from cli_support import run
from matome.io.archive import write_entries
from matome.io.tabular import read_comments, vote_kind

ROWS = [("良い意見です。賛成します。", 30, 1), ("反対の意見です。納得できません。", 2, 40), ("どちらでもないと思う。", 5, 5)]


def _table(path, header: str) -> str:
    path.write_text(header + "\n" + "".join(f"{t},{u},{d}\n" for t, u, d in ROWS), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "up, down",
    [("agree_good", "disagree_bad"), ("likes_count", "dislikes_count"), ("Up Votes", "Down Votes"),
     ("賛成票", "反対票"), ("そう思う数", "そう思わない数"), ("いいね数", "うーん数"), ("good", "bad"),
     ("thumbs up", "thumbs down"), ("支持", "不支持")],
)
def test_common_vote_headers_are_recognised(tmp_path, up, down):
    assert (vote_kind(up), vote_kind(down)) == ("up", "down")
    result = read_comments(_table(tmp_path / "t.csv", f"body,{up},{down}"))
    assert result.columns_used == {"text": "body", "up": up, "down": down}
    assert [(c.votes.up, c.votes.down) for c in result.comments] == [(u, d) for _, u, d in ROWS]


@pytest.mark.parametrize("name", ["text", "id", "no", "votes", "like/dislike", "agree-disagree", "本文", "点数"])
def test_names_that_do_not_say_one_kind_of_vote_are_not_vote_columns(name):
    assert vote_kind(name) is None


def test_digest_says_which_columns_it_used(tmp_path):
    path = _table(tmp_path / "t.csv", "body,agree_good,disagree_bad")
    r = run(["digest", "--comments", path, "--format", "md"])
    assert r.code == 0, r.err
    assert f"{path}: text from 'body', ▲ from 'agree_good', ▼ from 'disagree_bad'" in r.err
    assert "▲37 · ▼46" in r.out


def test_digest_names_missing_vote_columns_and_map_fixes_it(tmp_path):
    path = _table(tmp_path / "t.csv", "body,x,y")
    r = run(["digest", "--comments", path, "--format", "md"])
    assert r.code == 0 and "no ▲ and ▼ column" in r.err and "--map up=COLUMN,down=COLUMN" in r.err
    assert "▲・▼の評価なし" in r.out and "▲0" not in r.out
    for argv in (["digest", "--comments", path], ["digest", path]):
        r = run([*argv, "--map", "up=x,down=y", "--format", "md"])
        assert r.code == 0, r.err
        assert "▲ from 'x', ▼ from 'y'" in r.err and "▲37 · ▼46" in r.out


def test_ingest_accepts_map_and_says_which_columns_it_used(tmp_path):
    path = _table(tmp_path / "t.csv", "body,x,y")
    db = tmp_path / "a.db"
    r = run(["ingest", "--db", db, "--no-digest", "--map", "text=body,up=x,down=y", path])
    assert r.code == 0, r.err
    assert "▲ from 'x', ▼ from 'y'" in r.err
    r = run(["export", "--db", db, "--format", "csv"])
    assert "30,1" in r.out and "2,40" in r.out


@pytest.mark.parametrize("argv", [["digest", "--comments", "{t}", "--map", "up"], ["ingest", "--map", "nosuch=x", "{t}"],
                                  ["digest", "--comments", "{t}", "--map", "up=nosuch"]])
def test_bad_map_is_one_line(tmp_path, argv):
    path = _table(tmp_path / "t.csv", "body,x,y")
    r = run([a.replace("{t}", path) for a in argv] + (["--db", tmp_path / "a.db"] if argv[0] == "ingest" else []))
    assert r.one_line_error(), (r.code, r.err)


def test_digest_accepts_allow_private_as_its_error_advises():
    refused = run(["digest", "http://127.0.0.1:9/article"])
    assert refused.one_line_error() and "--allow-private" in refused.err
    allowed = run(["digest", "--allow-private", "http://127.0.0.1:9/article"])
    assert allowed.one_line_error(), allowed.err
    assert "--allow-private" not in allowed.err  # got past the guard: the connection itself failed


def test_ingest_prints_progress_lines_when_not_on_a_terminal(tmp_path, monkeypatch):
    files = []
    for k in range(3):
        f = tmp_path / f"a{k}.txt"
        f.write_text(write_entries([make_entry(100 + 10 * k, title=f"記事{k}")]), encoding="utf-8")
        files.append(f)
    monkeypatch.setattr(ingest_command, "PROGRESS_EVERY", 0.0)  # a line at every step
    r = run(["ingest", "--db", tmp_path / "a.db", "--no-digest", *files])
    assert r.code == 0, r.err
    lines = [line for line in r.err.splitlines() if "取り込み中" in line]
    assert any("ファイル 3/3" in line and "記事 3 件" in line for line in lines), r.err
    assert "\x1b[" not in r.err  # plain lines, no terminal control codes


def test_ingest_streams_every_file_through_one_ingest_and_reports_each_bad_entry(tmp_path):
    """``matome ingest`` (keeping going, the default) parses the files entry by entry as one
    ingest stores them: every good entry of every file is stored, each bad entry and the
    empty file are reported with their place, and the exit status says something failed.
    ``--stop-on-error`` stops after the file with the bad entry."""
    from matome.io.jsonl import write_jsonl
    from matome.store import open_store

    good = tmp_path / "a.txt"
    good.write_text(write_entries([make_entry(100 + 10 * k, title=f"記事{k}") for k in range(3)]), encoding="utf-8")
    bad = tmp_path / "b.txt"
    text = write_entries([make_entry(200 + 10 * k, title=f"壊れた{k}") for k in range(3)])
    bad.write_text(text.replace("\n▲", "\n△", 1), encoding="utf-8")  # the first entry's first vote line
    empty = tmp_path / "c.txt"
    empty.write_text("\n", encoding="utf-8")
    listed = tmp_path / "d.jsonl"
    listed.write_text(write_jsonl([make_entry(300, title="JSONL の記事")]), encoding="utf-8")
    r = run(["ingest", "--db", tmp_path / "a.db", "--no-digest", good, bad, empty, listed])
    assert r.code == 1, r.err
    assert "added 6, updated 0, unchanged 0, failed 2" in r.out, r.out
    assert f"failed: {bad}:" in r.err and f"failed: {empty}: the file is empty" in r.err, r.err
    with open_store(str(tmp_path / "a.db")) as store:
        titles = sorted(a.title for a in store.list_articles(limit=50))
    assert titles == sorted(["記事0", "記事1", "記事2", "壊れた1", "壊れた2", "JSONL の記事"])

    r = run(["ingest", "--db", tmp_path / "b.db", "--no-digest", "--stop-on-error", good, bad, listed])
    assert r.code == 1 and f"failed: {bad}:" in r.err, r.err
    with open_store(str(tmp_path / "b.db")) as store:
        assert sorted(a.title for a in store.list_articles(limit=50)) == ["記事0", "記事1", "記事2"]
