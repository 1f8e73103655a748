"""Ingest: lossless round trip, idempotence, merging of comments and vote snapshots."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from click.testing import CliRunner

from matome.analyze import digest as digest_engine
from matome.cli import app
from matome.io.archive import read_path, read_text, write_entries, write_entry
from matome.model import Comment, Votes, paginate
from matome.store import open_store
from matome.store.keys import comment_keys
from test_store_support import SEED, dump, make_entry

runner = CliRunner()


def test_seed_round_trips_byte_for_byte(store):
    entry = read_path(SEED).entries[0]
    report = store.ingest_entries([entry], digest=False)
    assert (report.added, report.updated, report.unchanged, report.failed) == (1, 0, 0, [])
    aid = report.article_ids[0]
    back = store.get_entry(aid)
    assert back == entry
    assert write_entry(back).encode("utf-8") == SEED.read_bytes()
    row = store.list_articles()[0]
    assert (row.id, row.comment_count) == (aid, len(entry.comments))
    assert row.up == sum(c.votes.up for c in entry.comments)
    assert row.down == sum(c.votes.down for c in entry.comments)
    assert row.url == entry.headline.url and row.source == "ABEMA TIMES"


def test_export_archive_gives_the_ingested_file_back(db_url, tmp_path):
    result = runner.invoke(app, ["ingest", "--db", db_url, "--no-digest", str(SEED)])
    assert result.exit_code == 0, result.output
    assert "added 1, updated 0, unchanged 0, failed 0" in result.output
    out = tmp_path / "out.txt"
    result = runner.invoke(app, ["export", "--db", db_url, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == SEED.read_bytes()


def test_reingesting_1000_entries_changes_nothing(store):
    entries = [make_entry(k) for k in range(1000)]
    entries = list(read_text(write_entries(entries)).entries)  # as they come from a file
    first = store.ingest_entries(entries, digest=False)
    assert (first.added, first.updated, first.unchanged, len(first.failed)) == (1000, 0, 0, 0)
    n_comments = sum(len(e.comments) for e in entries)
    assert store.count_comments() == n_comments == first.comments_added
    assert store.count_snapshots() == n_comments
    before = dump(store)
    again = store.ingest_entries(entries, digest=False)
    assert (again.added, again.updated, again.unchanged, len(again.failed)) == (0, 0, 1000, 0)
    assert (again.comments_added, again.snapshots_added) == (0, 0)
    assert store.count_articles() == 1000
    assert dump(store) == before


def test_changed_votes_make_a_new_snapshot_and_new_comments_merge(store):
    old = make_entry(1, [("最初のコメントです。", 10, 2), ("二つ目のコメント。", 5, 5), ("三つ目", 0, 1)])
    aid = store.ingest_entries([old], digest=False, observed_at="2025-02-13T09:00:00+00:00").article_ids[0]
    cs = list(old.comments)
    new_comments = paginate([
        replace(cs[0], votes=Votes(15, 2)),  # ▲ changed
        cs[1],  # unchanged
        Comment("新しいコメントが増えた。", Votes(1, 0)),  # new
        # the third comment is gone
    ])
    new = replace(old, thread=replace(old.thread, comments=new_comments))
    report = store.ingest_entries([new], digest=False, observed_at="2025-02-13T10:00:00+00:00")
    assert (report.added, report.updated, report.unchanged) == (0, 1, 0)
    assert report.article_ids == [aid]
    assert (report.comments_added, report.snapshots_added) == (1, 2)
    assert store.get_entry(aid) == new
    history = store.vote_history(aid)
    keys = comment_keys(old.comments)
    first = [(p.observed_at[:13], p.up, p.down) for p in history if p.comment_key == keys[0]]
    assert first == [("2025-02-13T09", 10, 2), ("2025-02-13T10", 15, 2)]
    assert [p for p in history if p.comment_key == keys[1]][0].up == 5
    assert len([p for p in history if p.comment_key == keys[1]]) == 1
    gone = [p for p in history if p.comment_key == keys[2]]
    assert len(gone) == 1 and gone[0].position is None
    row = store.list_articles()[0]
    assert (row.comment_count, row.up, row.down) == (3, 21, 7)
    # the same fetch again changes nothing
    again = store.ingest_entries([new], digest=False)
    assert (again.unchanged, again.snapshots_added) == (1, 0)


def test_comment_identity_survives_reordering_and_keeps_duplicates_apart(store):
    texts = [("同じ文です。", 1, 0), ("別の意見です。", 2, 0), ("同じ文です。", 3, 0)]
    e = make_entry(2, texts)
    store.ingest_entries([e], digest=False)
    assert store.count_comments() == 3  # exact duplicates stay two comments
    # whitespace variants of the same text are the same comment; order changes
    moved = make_entry(2, [("別の意見です。 ", 2, 0), ("同じ文です。", 1, 0), ("同じ文です。", 3, 0)])
    report = store.ingest_entries([moved], digest=False)
    assert report.updated == 1 and report.comments_added == 0 and report.snapshots_added == 0
    assert store.count_comments(current_only=False) == 3
    assert [c.text for c in store.get_entry(report.article_ids[0]).comments] == [t for t, _, _ in
                                                                                 [("別の意見です。 ", 0, 0), ("同じ文です。", 0, 0), ("同じ文です。", 0, 0)]]


def test_article_without_url_is_keyed_by_headline_record(store):
    e = make_entry(3, url=None)
    store.ingest_entries([e], digest=False)
    changed = make_entry(3, url=None, seed=99)  # same record ids, other content
    report = store.ingest_entries([changed], digest=False)
    assert report.updated == 1 and store.count_articles() == 1
    assert store.list_articles()[0].title == changed.title


def test_bad_entries_are_reported_and_good_ones_imported(db_url, tmp_path):
    good = [make_entry(k) for k in range(3)]
    text = write_entries(good[:2])
    broken = write_entry(make_entry(10)).replace("(要約)", "(要約がない)")
    bad_votes = write_entry(make_entry(11)).replace("▲", "△", 1)
    path = tmp_path / "mixed.txt"
    path.write_text("\n\n".join([text, broken, bad_votes, write_entry(good[2])]), encoding="utf-8")
    result = runner.invoke(app, ["ingest", "--db", db_url, "--no-digest", str(path)])
    assert result.exit_code == 1
    assert "added 3, updated 0, unchanged 0, failed 2" in result.output
    assert result.output.count(f"failed: {path}:") == 2
    with open_store(db_url) as s:
        assert sorted(r.url for r in s.list_articles(limit=10)) == sorted(e.headline.url for e in good)


def test_comment_table_is_ingested_and_merged(db_url, tmp_path):
    path = tmp_path / "votes.csv"

    def write(rows):
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["text", "up", "down"])
        w.writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8")

    write([("賛成です。", 3, 1), ("反対です。", 0, 4)])
    r = runner.invoke(app, ["ingest", "--db", db_url, "--no-digest", str(path)])
    assert r.exit_code == 0 and "added 1," in r.output, r.output
    write([("賛成です。", 8, 1), ("反対です。", 0, 4), ("どちらでもない。", 1, 1)])
    r = runner.invoke(app, ["ingest", "--db", db_url, "--no-digest", str(path)])
    assert r.exit_code == 0 and "added 0, updated 1," in r.output, r.output
    with open_store(db_url) as s:
        assert s.count_articles() == 1
        aid = s.list_articles()[0].id
        assert [(c.text, c.votes.up) for c in s.get_entry(aid).comments] == [
            ("賛成です。", 8), ("反対です。", 0), ("どちらでもない。", 1)]
        assert s.count_snapshots() == 4  # 2 first sightings, 1 change, 1 new


def test_missing_path_and_bad_db_give_one_line(tmp_path):
    r = runner.invoke(app, ["ingest", "--db", str(tmp_path / "a.db"), str(tmp_path / "nope.txt")])
    assert r.exit_code == 2 and "no such file" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["search", "--db", "mysql://x/y", "日本"])
    assert r.exit_code == 2 and "unsupported database" in r.output
    r = runner.invoke(app, ["search", "--db", str(tmp_path / "missing-dir" / "a.db"), "日本"])
    assert r.exit_code == 2 and "no archive at" in r.output
    r = runner.invoke(app, ["ingest", "--db", str(tmp_path / "missing-dir" / "a.db"), str(SEED)])
    assert r.exit_code == 2 and "does not exist" in r.output


def test_matome_db_environment_variable_is_used(tmp_path, monkeypatch):
    target = tmp_path / "env.db"
    monkeypatch.setenv("MATOME_DB", str(target))
    r = runner.invoke(app, ["ingest", "--no-digest", str(SEED)])
    assert r.exit_code == 0, r.output
    assert target.exists()
    with open_store(f"sqlite:///{target}") as s:
        assert s.count_articles() == 1


def test_digests_are_stored_with_engine_and_settings_and_redigested(db_url):
    entry = read_path(SEED).entries[0]
    with open_store(db_url) as s:
        aid = s.ingest_entries([entry], digest=False).article_ids[0]
        assert s.get_digest(aid) is None and s.stale_digests() == [aid]
        report = s.ingest_entries([entry])  # unchanged entry, missing digest: computed
        assert report.unchanged == 1 and report.digests_computed == 1
        stored = s.get_digest_record(aid)
        assert stored["engine"] == digest_engine.ENGINE_VERSION
        assert stored["settings"]["seed"] == "0"
        assert s.get_digest(aid) == digest_engine.digest_entry(entry)
        assert s.stale_digests() == [] and s.stale_digests({"seed": 1}) == [aid]
    r = runner.invoke(app, ["redigest", "--db", db_url, "--set", "seed=1"])
    assert r.exit_code == 0 and "redigested 1 of 1" in r.output, r.output
    with open_store(db_url) as s:
        assert s.get_digest_record(aid)["settings"]["seed"] == "1"
        assert s.stale_digests({"seed": 1}) == []


def test_an_article_failing_inside_a_batch_is_rolled_back_alone(store, monkeypatch):
    """Articles share a transaction (one savepoint each): a failure after an article's rows
    were written undoes that article only; the others of the batch are stored."""
    import matome.store.store as store_module

    entries = [make_entry(k) for k in range(12)]
    bad = entries[5].key
    real = store_module.merge_entry

    def failing_after_writing(conn, entry, **kw):
        result = real(conn, entry, **kw)  # the article, its records, comments and snapshots are written
        if entry.key == bad:
            raise ValueError("injected failure after the writes")
        return result

    real_stage = store_module.stage_new_article

    def failing_stage(article_id, entry, *args):  # PostgreSQL: articles inserted with the batch's others
        n = real_stage(article_id, entry, *args)
        if entry.key == bad:
            raise ValueError("injected failure after the writes")
        return n

    monkeypatch.setattr(store_module, "merge_entry", failing_after_writing)
    monkeypatch.setattr(store_module, "stage_new_article", failing_stage)
    report = store.ingest_entries(entries, digest=False)
    assert (report.added, len(report.failed)) == (11, 1) and "injected" in str(report.failed[0])
    monkeypatch.undo()
    assert store.count_articles() == 11 and store.article_id(bad) is None
    n = sum(len(e.comments) for k, e in enumerate(entries) if k != 5)
    assert store.count_comments(current_only=False) == store.count_snapshots() == n
    assert store.ingest_entries(entries, digest=False).added == 1  # and it can come later


def test_comments_read_back_from_rows_equal_the_model_s():
    """The archive store builds the comments of an entry it reads straight from the rows
    (``comment_from_row``): the same Comment, checked as Votes checks them."""
    import pytest

    from matome.model import Comment, Votes, comment_from_row

    row = ("本文\n二行目", 5, 3, 7, 2, "src-1", "2025-02-13 12:00", None)
    built = comment_from_row(*row)
    assert built == Comment("本文\n二行目", Votes(5, 3), 7, 2, "src-1", "2025-02-13 12:00", None)
    assert hash(built) == hash(Comment("本文\n二行目", Votes(5, 3), 7, 2, "src-1", "2025-02-13 12:00", None))
    assert built.key == "src-1" and built.votes.support == 5 / 8
    with pytest.raises(ValueError):
        comment_from_row("x", -1, 0, 0, 1, None, None, None)
    with pytest.raises(ValueError):
        comment_from_row("x", 0, 2**31, 0, 1, None, None, None)


def test_an_article_the_database_refuses_fails_alone_and_the_batch_is_stored(store):
    """PostgreSQL inserts a batch's new articles with one statement: a row it refuses (here
    a source longer than its column) makes the batch go article by article, so that only
    that article fails. (SQLite does not check the length: there it is stored.)"""
    entries = [make_entry(k) for k in range(12)]
    odd = replace(entries[4], headline=replace(entries[4].headline, source="長" * 300))
    entries[4] = odd
    report = store.ingest_entries(entries, digest=False)
    if store.dialect == "postgresql":
        assert (report.added, len(report.failed)) == (11, 1) and str(report.failed[0]).startswith(odd.key)
        assert store.article_id(odd.key) is None
    else:
        assert (report.added, report.failed) == (12, [])
    for k, entry in enumerate(entries):
        if k != 4:
            aid = store.article_id(entry.key)
            assert aid is not None and store.get_entry(aid) == entry
    assert store.count_comments() == sum(len(e.comments) for e in entries if store.article_id(e.key) is not None)
    again = store.ingest_entries(entries, digest=False)
    assert again.unchanged == 11 + (store.dialect != "postgresql") and again.added == 0
