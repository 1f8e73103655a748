"""``matome ingest --llm`` / ``redigest --llm``: answers cached in the archive (llm_cache,
migration 0003), on SQLite and PostgreSQL; the page and the report say who wrote each part."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from conftest import SEED_PATH
from llm_support import ScriptedServer, good_answer, ok
from matome.analyze.digest import digest_entry
from matome.cli import app
from matome.io.archive import read_path
from matome.llm.inputs import context, discussion_tasks, group_tasks, summary_task
from matome.store import open_store
from matome.store.migrate import current_revision, head_revision

runner = CliRunner()
pytest_plugins = ["test_store_support"]  # the db_url fixture: SQLite and PostgreSQL


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("MATOME_LLM_BACKOFF", "0.01")
    for name in ("MATOME_LLM_BASE_URL", "MATOME_LLM_MODEL", "MATOME_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def _script(offline_group: int | None = None) -> tuple[dict, int]:
    entry = read_path(str(SEED_PATH)).entries[0]
    ctx = context(entry, digest_entry(entry))
    first = [summary_task(ctx)] + group_tasks(ctx)
    labels = {t.group_id: good_answer(t)["label"] for t in first if t.kind == "group" and t.group_id != offline_group}
    ts = first + discussion_tasks(ctx, labels)
    script = {t.key: [ok(json.dumps(good_answer(t), ensure_ascii=False))] for t in ts}
    if offline_group is not None:
        script[f"group:{offline_group}"] = [ok("no json here"), ok("still no json")]
    return script, len(ts)


def _llm(server) -> list[str]:
    return ["--llm", "--llm-base-url", server.base_url, "--llm-model", "test-model"]


def test_ingest_and_redigest_with_the_cache_in_the_archive(db_url, tmp_path):
    script, n = _script(offline_group=0)
    with ScriptedServer(tmp_path, script) as server:
        result = runner.invoke(app, ["ingest", str(SEED_PATH), "--db", db_url, *_llm(server)])
        assert result.exit_code == 0, result.stderr
        sent = server.stats()["requests"]
        assert sent == n + 1  # group:0 was asked twice
        store = open_store(db_url)
        try:
            assert current_revision(store.engine) == head_revision() >= "0003"  # 0003 made llm_cache
            with store.engine.connect() as conn:
                cached = conn.execute(sa.text("SELECT count(*) FROM llm_cache")).scalar_one()
            assert cached == sent
            aid = store.list_articles()[0].id
            first = store.get_digest_record(aid)["digest"]
        finally:
            store.close()
        writers = {w["part"]: w for w in first["writers"]}
        assert writers["group:0"]["writer"] == "offline" and "JSON" in writers["group:0"]["note"]
        assert writers["summary"]["writer"] == "llm"

        result = runner.invoke(app, ["redigest", "--all", "--db", db_url, *_llm(server)])
        assert result.exit_code == 0, result.stderr
        assert server.stats()["requests"] == sent  # every answer came from the archive
        dry = runner.invoke(app, ["redigest", "--all", "--db", db_url, *_llm(server), "--llm-dry-run"])
        assert dry.exit_code == 0 and f"{n} calls ({n} cached)" in dry.stdout
        assert server.stats()["requests"] == sent
    store = open_store(db_url)
    try:
        assert store.get_digest_record(aid)["digest"] == first
    finally:
        store.close()

    report = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(aid), "--db", db_url, "-o", str(report)])
    assert result.exit_code == 0, result.stderr
    html = report.read_text(encoding="utf-8")
    assert "LLM（test-model）が書いた文章です" in html
    assert "matome の定型文です" in html  # group 0 kept its own label
    assert "記事の要点として" in html


def test_a_dry_run_ingest_creates_no_archive(tmp_path):
    script, _ = _script()
    db = tmp_path / "new.db"
    (tmp_path / "server").mkdir()
    with ScriptedServer(tmp_path / "server", script) as server:
        dry = runner.invoke(app, ["ingest", str(SEED_PATH), "--db", str(db), *_llm(server), "--llm-dry-run"])
        assert dry.exit_code == 0, dry.stderr
        assert "calls" in dry.stdout and server.stats()["requests"] == 0
    assert not any(p.name.startswith("new.db") for p in tmp_path.iterdir())


def test_ingest_without_llm_sends_nothing_and_records_no_writer(db_url, tmp_path):
    result = runner.invoke(app, ["ingest", str(SEED_PATH), "--db", db_url])
    assert result.exit_code == 0, result.stderr
    store = open_store(db_url)
    try:
        d = store.get_digest_record(store.list_articles()[0].id)["digest"]
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM llm_cache")).scalar_one() == 0
    finally:
        store.close()
    assert "writers" not in d


def test_llm_with_no_digest_is_refused(tmp_path):
    result = runner.invoke(app, ["ingest", str(SEED_PATH), "--db", str(tmp_path / "a.db"), "--no-digest", "--llm",
                                 "--llm-model", "m", "--llm-base-url", "http://127.0.0.1:9/v1"])
    assert result.exit_code == 2 and "--no-digest" in result.stderr
