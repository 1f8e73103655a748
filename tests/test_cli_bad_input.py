"""Every command fed bad input (issue 11, acceptance): exit code 2, exactly one non-empty line
on standard error, never a traceback, and no archive created by a reading command.

The inputs are the ones the issue lists: missing, empty and binary files, an empty directory,
a header-only table and one whose rows are all bad, a file cut in the middle of a character,
an impossible vote count, integers beyond the database's range, a database that does not
exist, bad settings, unknown options and values, URLs that are not http(s) or are private.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from archive_factory import make_entry
from cli_support import run
from matome.io.archive import write_entries

HUGE = "99999999999999999999"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("bad")
    good = write_entries([make_entry(10, title="良い記事")])
    paths = {
        "missing": d / "missing.txt",
        "empty": d / "empty.txt",
        "emptydir": d / "emptydir",
        "binary": d / "binary.txt",
        "cut": d / "cut.txt",
        "hugevote": d / "hugevote.txt",
        "header_csv": d / "header.csv",
        "allbad_csv": d / "allbad.csv",
        "empty_csv": d / "empty.csv",
        "empty_jsonl": d / "empty.jsonl",
        "bad_jsonl": d / "bad.jsonl",
        "good": d / "good.txt",
        "db": d / "archive.db",
        "nodb": d / "typo.db",
        "page": d / "page.html",
    }
    paths["empty"].write_bytes(b"")
    paths["emptydir"].mkdir()
    paths["binary"].write_bytes(bytes(range(128, 256)) * 8)
    encoded = good.encode()
    paths["cut"].write_bytes(encoded[: encoded.index("良い記事".encode()) + 4])
    paths["hugevote"].write_text(
        write_entries([make_entry(20, comments=[("票が多すぎる。", 77777, 1)])]).replace("▲77777 ", f"▲{HUGE} "),
        encoding="utf-8")
    paths["header_csv"].write_text("text,up,down\n", encoding="utf-8")
    paths["allbad_csv"].write_text("text,up,down\n,1,2\n   ,3,4\n", encoding="utf-8")
    paths["empty_csv"].write_bytes(b"")
    paths["empty_jsonl"].write_bytes(b"")
    paths["bad_jsonl"].write_text('{"headline": 1}\nnot json\n', encoding="utf-8")
    paths["good"].write_text(good, encoding="utf-8")
    paths["page"].write_text("<html><body></body></html>", encoding="utf-8")
    assert run(["ingest", "--db", paths["db"], "--no-digest", paths["good"]]).code == 0
    return {k: str(v) for k, v in paths.items()}


def _cases() -> list[tuple[str, list[str]]]:
    """(name, argv) with {key} standing for a path of the ``files`` fixture."""
    reading_inputs = ["missing", "empty", "emptydir", "binary", "cut", "hugevote"]
    cases: list[tuple[str, list[str]]] = []
    for key in reading_inputs:
        cases += [
            (f"show-{key}", ["show", f"{{{key}}}"]),
            (f"convert-{key}", ["convert", f"{{{key}}}", "--to", "jsonl"]),
            (f"digest-{key}", ["digest", f"{{{key}}}"]),
            (f"summarize-{key}", ["summarize", f"{{{key}}}"]),
            (f"ingest-{key}", ["ingest", "--db", "{db}", "--no-digest", f"{{{key}}}"]),
        ]
    for key in ["header_csv", "allbad_csv", "empty_csv"]:
        cases += [
            (f"digest-{key}", ["digest", f"{{{key}}}"]),
            (f"digest-comments-{key}", ["digest", "--comments", f"{{{key}}}"]),
            (f"ingest-{key}", ["ingest", "--db", "{db}", "--no-digest", f"{{{key}}}"]),
            (f"fetch-comments-{key}", ["fetch", "http://127.0.0.1:9/a", "--comments", f"{{{key}}}"]),
        ]
    for key in ["empty_jsonl", "bad_jsonl"]:
        cases += [
            (f"convert-{key}", ["convert", f"{{{key}}}", "--to", "archive"]),
            (f"digest-{key}", ["digest", f"{{{key}}}"]),
            (f"summarize-jsonl-{key}", ["summarize", "--jsonl", f"{{{key}}}"]),
        ]
    for number in (HUGE, "2147483648", "-1"):
        cases += [
            (f"report-{number}", ["report", number, "--db", "{db}"]),
            (f"search-article-{number}", ["search", "記事", "--db", "{db}", "--article", number]),
            (f"search-offset-{number}", ["search", "記事", "--db", "{db}", "--offset", number]),
            (f"search-min-up-{number}", ["search", "記事", "--db", "{db}", "--min-up", number]),
            (f"export-{number}", ["export", "--db", "{db}", "--article", number]),
            (f"redigest-{number}", ["redigest", "--db", "{db}", "--article", number]),
            (f"serve-port-{number}", ["serve", "--db", "{db}", "--port", number]),
            (f"digest-seed-{number}", ["digest", "{good}", "--vectors", number]),
            (f"summarize-chars-{number}", ["summarize", "{good}", "--chars", "0" if number == "-1" else "x" + number]),
        ]
    for argv in (["search", "記事"], ["export"], ["report", "1"], ["redigest"],
                 ["serve", "--host", "192.0.2.1", "--port", "9"]):
        cases.append((f"{argv[0]}-nodb", [*argv, "--db", "{nodb}"]))
        cases.append((f"{argv[0]}-bad-url", [*argv, "--db", "mysql://u@h/db"]))
    for pair in ("seed=abc", "nosuch=1", "vector_method=xx", "summary_chars=0", "seed"):
        cases.append((f"ingest-set-{pair}", ["ingest", "--db", "{db}", "--set", pair, "{good}"]))
        cases.append((f"redigest-set-{pair}", ["redigest", "--db", "{db}", "--set", pair]))
    cases += [
        ("digest-vectors", ["digest", "{good}", "--vectors", "bogus"]),
        ("digest-method", ["digest", "{good}", "--method", "bogus"]),
        ("digest-format", ["digest", "{good}", "--format", "bogus"]),
        ("digest-view-out", ["digest", "{good}", "--format", "view", "-o", "{missing}"]),
        ("digest-article-alone", ["digest", "{good}", "--article", "{good}"]),
        ("digest-nothing", ["digest"]),
        ("digest-map", ["digest", "--comments", "{header_csv}", "--map", "up"]),
        ("digest-private-url", ["digest", "http://127.0.0.1:9/a"]),
        ("digest-page-without-article", ["digest", "{page}"]),
        ("convert-to", ["convert", "{good}", "--to", "bogus"]),
        ("convert-no-to", ["convert", "{good}"]),
        ("summarize-both", ["summarize", "{good}", "--jsonl", "{bad_jsonl}"]),
        ("summarize-none", ["summarize"]),
        ("summarize-dir", ["summarize", "{emptydir}"]),
        ("ingest-missing-dir-db", ["ingest", "--db", "{missing}/a.db", "{good}"]),
        ("ingest-map", ["ingest", "--db", "{db}", "--map", "nosuch=x", "{good}"]),
        ("ingest-nothing", ["ingest", "--db", "{db}"]),
        ("fetch-not-a-url", ["fetch", "notaurl"]),
        ("fetch-ftp", ["fetch", "ftp://example.com/a"]),
        ("fetch-private", ["fetch", "http://127.0.0.1:9/a"]),
        ("fetch-private-raw", ["fetch", "--raw", "http://10.0.0.1/a"]),
        ("fetch-map", ["fetch", "http://127.0.0.1:9/a", "--comments", "{good}", "--map", "bogus"]),
        ("serve-short-token", ["serve", "--db", "{db}", "--token", "short"]),
        ("serve-workers", ["serve", "--db", "{db}", "--workers", "0"]),
        ("serve-page-cache-not-a-database", ["serve", "--db", "{db}", "--port", "0", "--page-cache", "{good}"]),
        ("serve-page-cache-dir", ["serve", "--db", "{db}", "--port", "0", "--page-cache", "{emptydir}"]),
        ("search-limit", ["search", "記事", "--db", "{db}", "--limit", "0"]),
        ("search-empty-query", ["search", "", "--db", "{db}"]),
        ("batch-nodb", ["batch", "--db", "{nodb}"]),
        ("batch-bad-url", ["batch", "--db", "mysql://u@h/db"]),
        ("batch-workers", ["batch", "--db", "{db}", "--workers", "0"]),
        ("batch-limit", ["batch", "--db", "{db}", "--limit", "0"]),
        ("batch-set", ["batch", "--db", "{db}", "--set", "nosuch=1"]),
        ("batch-ray-empty", ["batch", "--db", "{db}", "--ray", " "]),
        ("unknown-command", ["nosuch"]),
        ("unknown-option", ["show", "--bogus", "{good}"]),
        ("missing-argument", ["show"]),
        ("bad-int", ["show", "{good}", "--top", "many"]),
    ]
    return cases


CASES = _cases()


@pytest.mark.parametrize("argv", [argv for _, argv in CASES], ids=[name for name, _ in CASES])
def test_bad_input_is_one_line_and_exit_2(files, argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a reading command must not create ./matome.db either
    monkeypatch.delenv("MATOME_DB", raising=False)
    args = [a.format(**files) for a in argv]
    before = set(os.listdir(Path(files["db"]).parent))
    r = run(args)
    assert "Traceback" not in r.err, r.err
    assert r.code == 2, (r.code, r.err)
    assert len(r.err_lines) == 1, r.err
    assert r.err_lines[0].startswith("matome: error: "), r.err
    assert not Path(files["nodb"]).exists() and list(tmp_path.iterdir()) == []
    if argv[0] not in ("ingest",):
        assert set(os.listdir(Path(files["db"]).parent)) == before  # nothing created beside the inputs


@pytest.mark.parametrize("name", ["show", "convert", "digest"])
def test_empty_standard_input_is_one_line(name):
    argv = [name, "-"] + (["--to", "jsonl"] if name == "convert" else [])
    r = run(argv, stdin=b"")
    assert r.one_line_error(), (r.code, r.err)


def test_serve_on_a_port_in_use_is_one_line(files):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        r = run(["serve", "--db", files["db"], "--port", str(busy.getsockname()[1])])
    assert r.one_line_error(), (r.code, r.err)
    assert "cannot listen" in r.err


def test_the_cases_cover_every_command():
    from matome.cli import COMMANDS

    assert {argv[0] for _, argv in CASES} >= set(COMMANDS)


@pytest.mark.parametrize("keys", [["binary"], ["empty", "binary"], ["allbad_csv"], ["bad_jsonl"]])
def test_a_failed_ingest_leaves_no_new_archive(files, keys, tmp_path):
    db = tmp_path / "new.db"
    r = run(["ingest", "--db", db, "--no-digest", *[files[k] for k in keys]])
    assert "Traceback" not in r.err and r.code == 2, (r.code, r.err)
    assert list(tmp_path.iterdir()) == []  # neither the file nor its -wal/-shm


def test_an_ingest_with_some_input_keeps_the_new_archive_and_an_old_one_is_never_removed(files, tmp_path):
    db = tmp_path / "new.db"
    r = run(["ingest", "--db", db, "--no-digest", files["good"], files["binary"]])
    assert r.code == 1 and "failed: " in r.err, (r.code, r.err)
    assert db.exists()
    again = run(["ingest", "--db", db, "--no-digest", files["binary"]])
    assert again.code == 2 and db.exists()  # it held an article before: it stays
    from matome.store import open_store

    store = open_store(str(db), create=False)
    try:
        assert [a.title for a in store.list_articles("latest", limit=5, offset=0)] == ["良い記事"]
    finally:
        store.close()


def test_a_new_archive_another_process_filled_meanwhile_is_kept(files, tmp_path, monkeypatch):
    import matome.commands.ingest as ingest_cmd
    from matome.io.archive import read_path
    from matome.store import IngestReport, open_store

    db = tmp_path / "new.db"

    def racing(store, paths, **_):
        other = open_store(str(db))  # a second ingest stores an article into the same new file
        try:
            other.ingest_entries(read_path(files["good"]).entries, digest=False)
        finally:
            other.close()
        report = IngestReport()
        report.add_failure(files["binary"], "cannot be read")
        return report

    monkeypatch.setattr(ingest_cmd, "ingest_paths", racing)
    r = run(["ingest", "--db", db, "--no-digest", files["binary"]])
    assert r.code == 2, (r.code, r.err)
    store = open_store(str(db), create=False)
    try:
        assert store.count_articles() == 1  # this ingest failed, but the file holds the other's article
    finally:
        store.close()
