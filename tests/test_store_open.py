"""Opening the archive (issue 11, items 7 and 8): only ``ingest`` creates one; the reading
commands refuse a database that does not exist, and read an archive they cannot write."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from archive_factory import make_entry
from cli_support import run
from matome.io.archive import write_entries
from matome.store import StoreError, open_store
from matome.web import create_app

from test_web_fixtures import running_server

READING = [
    ["search", "記事"],
    ["export"],
    ["report", "1"],
    ["redigest"],
    # an address of TEST-NET-1, never this machine's: should the archive be opened by
    # mistake, listening fails at once instead of serving forever
    ["serve", "--host", "192.0.2.1", "--port", "9"],
]


@pytest.mark.parametrize("argv", READING, ids=lambda a: a[0])
def test_reading_commands_refuse_a_database_that_does_not_exist(tmp_path, argv):
    typo = tmp_path / "typo.db"
    r = run([*argv, "--db", typo])
    assert r.one_line_error(), (r.code, r.err)
    assert "no archive" in r.err and str(typo) in r.err
    assert list(tmp_path.iterdir()) == []  # nothing created


@pytest.mark.parametrize("argv", READING, ids=lambda a: a[0])
def test_reading_commands_in_a_folder_without_an_archive(tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MATOME_DB", raising=False)
    r = run(argv)
    assert r.one_line_error(), (r.code, r.err)
    assert not (tmp_path / "matome.db").exists()


def test_open_without_create_refuses_a_database_without_the_archive(db_url):  # noqa: F811
    with pytest.raises(StoreError, match="no archive|not a matome archive"):
        open_store(db_url, create=False)
    with open_store(db_url) as s:  # ingest's way: creates the tables
        s.ingest_entries([make_entry(1)], digest=False)
    with open_store(db_url, create=False) as s:
        assert s.count_articles() == 1


def test_ingest_creates_the_archive(tmp_path):
    archive = tmp_path / "a.txt"
    archive.write_text(write_entries([make_entry(10, title="新しい記事")]), encoding="utf-8")
    r = run(["ingest", "--db", tmp_path / "new.db", archive])
    assert r.code == 0, r.err
    assert "新しい記事" in run(["search", "新しい", "--db", tmp_path / "new.db"]).out


@contextlib.contextmanager
def unwritable(*paths: Path):
    """Make files and directories unwritable for this process: chmod for a normal user;
    root ignores modes, so for root the immutable attribute (chattr +i)."""
    if os.geteuid() == 0:
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", *map(str, paths)], capture_output=True).returncode:
            pytest.skip("running as root without a working chattr: cannot make a file read-only")
        undo = [chattr, "-i", *map(str, paths)]
    else:
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(0o555 if p.is_dir() else 0o444)
        undo = None
    try:
        assert not os.access(paths[0], os.W_OK)
        yield
    finally:
        if undo:
            subprocess.run(undo, check=True)
        else:
            for p, mode in modes.items():
                p.chmod(mode)


def test_a_read_only_archive_can_be_searched_served_reported_and_exported(tmp_path):
    folder = tmp_path / "shelf"
    folder.mkdir()
    db = folder / "archive.db"
    archive = tmp_path / "a.txt"
    archive.write_text(write_entries([make_entry(10, title="読み取り専用の記事")]), encoding="utf-8")
    assert run(["ingest", "--db", db, "--no-digest", archive]).code == 0
    before = db.read_bytes()
    with unwritable(db, folder):
        r = run(["search", "読み取り", "--db", db])
        assert r.code == 0 and "読み取り専用の記事" in r.out, r.err
        r = run(["report", "1", "--db", db])
        assert r.code == 0 and "読み取り専用の記事" in r.out, r.err
        r = run(["export", "--db", db])
        assert r.code == 0 and "読み取り専用の記事" in r.out, r.err
        with open_store(db, create=False, read_only=True) as store, running_server(create_app(store)) as base:
            assert "読み取り専用の記事" in httpx.get(f"{base}/articles/1", timeout=30).text
            found = httpx.get(f"{base}/api/search", params={"q": "読み取り"}, timeout=30).json()
            assert found["total"] == 1 and [r["title"] for r in found["results"]] == ["読み取り専用の記事"]
        assert sorted(p.name for p in folder.iterdir()) == ["archive.db"]
    assert db.read_bytes() == before
