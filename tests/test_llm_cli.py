"""``matome digest --llm`` against a real local chat-completions server with scripted answers.

Every scripted fault must end in the retry or in matome's own text, never in the output;
with every answer rejected the archive output is byte-identical to the offline digest; a
re-run sends no request; a dry run sends nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import SEED_PATH
from llm_support import FAULTS, ScriptedServer, faults_for, good_answer, ok
from matome.analyze.digest import digest_entry
from matome.cli import app
from matome.io.archive import read_path
from matome.llm.inputs import context, discussion_tasks, group_tasks, summary_task

runner = CliRunner()
MODEL = "test-model"


@pytest.fixture(scope="module")
def seed():
    entry = read_path(str(SEED_PATH)).entries[0]
    return entry, digest_entry(entry)


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch, tmp_path):
    monkeypatch.setenv("MATOME_LLM_BACKOFF", "0.01")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    for name in ("MATOME_LLM_BASE_URL", "MATOME_LLM_MODEL", "MATOME_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def tasks(seed, groups_good: bool, offline_groups: tuple[int, ...] = ()):
    """The seed's tasks as the writer will ask them (the discussion names the groups as the
    first phase leaves them)."""
    entry, digest = seed
    ctx = context(entry, digest)
    first = [summary_task(ctx)] + group_tasks(ctx)
    labels = {t.group_id: good_answer(t)["label"] for t in first
              if t.kind == "group" and t.group_id not in offline_groups} if groups_good else {}
    return first + discussion_tasks(ctx, labels)


def digest(server: ScriptedServer, *args: str, cache=None) -> str:
    cmd = ["digest", str(SEED_PATH), "--llm", "--llm-base-url", server.base_url, "--llm-model", MODEL,
           "--llm-cache", str(cache or server.dir / "cache"), *args]
    result = runner.invoke(app, cmd)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def offline(*args: str) -> str:
    result = runner.invoke(app, ["digest", str(SEED_PATH), *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def dump(answer: dict) -> dict:
    return ok(json.dumps(answer, ensure_ascii=False))


def test_good_answers_are_used_and_a_rerun_sends_nothing(seed, tmp_path):
    ts = tasks(seed, groups_good=True)
    script = {t.key: [dump(good_answer(t))] for t in ts}
    with ScriptedServer(tmp_path, script) as server:
        first = digest(server, "--format", "json")
        assert server.stats()["requests"] == len(ts)
        again = digest(server, "--format", "json")
        assert server.stats()["requests"] == len(ts)  # every answer from the cache
        archive = digest(server)
        md = digest(server, "--format", "md")
        assert server.stats()["requests"] == len(ts)
    assert again == first
    d = json.loads(first)["digest"]
    assert {w["part"]: w["writer"] for w in d["writers"]} == {t.key: "llm" for t in ts}
    assert d["summary_paragraphs"][0].startswith("記事の要点として、")
    assert "記事の要点として、" in archive and "この議論では、読者から" in archive
    labelled = [g for g in d["groups"] if g.get("description")]
    assert len(labelled) == sum(1 for t in ts if t.kind == "group")
    assert all(g["label"].endswith("をめぐる読者の声") for g in labelled)
    assert "LLM（test-model）が書いた文章です" in md
    # the quotes of the LLM's discussion are exact substrings with provenance
    texts = {c.position: c.text for c in seed[0].comments}
    assert d["quotes"]
    for q in d["quotes"]:
        assert texts[q["position"]][q["start"]:q["start"] + len(q["text"])] == q["text"]


def test_each_fault_is_retried_and_never_reaches_the_output(seed, tmp_path):
    ts = tasks(seed, groups_good=True)
    script, used = {}, []
    for i, t in enumerate(ts):
        fault = faults_for(t, skip=i * 3)[0]
        used.append(fault)
        script[t.key] = [fault.content(t), dump(good_answer(t))]
    with ScriptedServer(tmp_path, script) as server:
        out = digest(server, "--format", "json")
        log = server.requests()
    assert len(log) == 2 * len(ts)
    d = json.loads(out)["digest"]
    assert {w["writer"] for w in d["writers"]} == {"llm"}
    for f in used:
        assert f.telltale not in out
    retries = [r for r in log if r["attempt"] == 1]
    assert len(retries) == len(ts)
    for r in retries:
        last = r["body"]["messages"][-1]["content"]
        assert "検査に通りませんでした" in last and "\n- " in last


ROTATIONS = (0, 4, 16)  # together they send every kind of fault (checked below)


@pytest.mark.parametrize("rotation", ROTATIONS)
def test_every_answer_rejected_gives_the_offline_bytes(seed, tmp_path, rotation):
    ts = tasks(seed, groups_good=False)
    script, used = {}, set()
    for i, t in enumerate(ts):
        fs = faults_for(t, skip=rotation + 2 * i)
        script[t.key] = [fs[0].content(t), fs[1].content(t)]
        used |= {fs[0].name, fs[1].name}
    with ScriptedServer(tmp_path, script) as server:
        archive = digest(server)
        as_json = digest(server, "--format", "json")
        n = server.stats()["requests"]
    assert n == 2 * len(ts)
    assert archive == offline()  # byte for byte
    d = json.loads(as_json)["digest"]
    base = json.loads(offline("--format", "json"))["digest"]
    writers = d.pop("writers")
    assert d == base
    assert [w["writer"] for w in writers] == ["offline"] * len(ts)
    assert all("検査に通りませんでした" in w["note"] for w in writers)
    for f in FAULTS:
        if f.name in used:
            assert f.telltale not in archive and f.telltale not in as_json


def test_the_rejection_runs_send_every_kind_of_fault_at_least_thirty_times(seed):
    ts = tasks(seed, groups_good=False)
    sent, kinds = 0, set()
    for rotation in ROTATIONS:  # as in test_every_answer_rejected_gives_the_offline_bytes
        for i, t in enumerate(ts):
            fs = faults_for(t, skip=rotation + 2 * i)
            sent += 2
            kinds |= {fs[0].name, fs[1].name}
    assert sent >= 30
    assert kinds == {f.name for f in FAULTS}


def test_transport_faults(seed, tmp_path):
    ts = tasks(seed, groups_good=True, offline_groups=(0,))
    keys = [t.key for t in ts]
    good = {t.key: dump(good_answer(t)) for t in ts}
    script = {k: [good[k]] for k in keys}
    script["summary"] = [{"status": 429, "retry_after": "0"}, good["summary"]]
    script["group:0"] = [{"status": 500}] * 4  # 1 + 3 retries, then matome's own label
    script["group:1"] = [{"sleep": 3, **good["group:1"]}, good["group:1"]]
    script["discussion"] = [{"reject_format": "json_schema", **good["discussion"]}]
    with ScriptedServer(tmp_path, script) as server:
        out = digest(server, "--format", "json", "--llm-timeout", "1")
        log = server.requests()
    writers = {w["part"]: w for w in json.loads(out)["digest"]["writers"]}
    assert writers["summary"]["writer"] == "llm"
    assert writers["group:0"]["writer"] == "offline" and "HTTP 500" in writers["group:0"]["note"]
    assert writers["group:1"]["writer"] == "llm"
    assert writers["discussion"]["writer"] == "llm"
    formats = [r["response_format"] for r in log if r["key"] == "discussion"]
    assert formats[0] == "json_schema" and formats[-1] == "json_object"
    assert sum(1 for r in log if r["key"] == "group:0") == 4
    assert sum(1 for r in log if r["key"] == "summary") == 2


def test_dry_run_sends_nothing_and_writes_nothing(seed, tmp_path):
    ts = tasks(seed, groups_good=True)
    script = {t.key: [dump(good_answer(t))] for t in ts}
    cache = tmp_path / "dry-cache"
    with ScriptedServer(tmp_path, script) as server:
        plan = digest(server, "--llm-dry-run", cache=cache)
        assert server.stats()["requests"] == 0
        assert not cache.exists()
        assert f"{len(ts)} calls (0 cached)" in plan
        digest(server, cache=cache)
        n = server.stats()["requests"]
        plan = digest(server, "--llm-dry-run", cache=cache)
        assert server.stats()["requests"] == n
    assert f"{len(ts)} calls ({n} cached)" in plan


def test_max_cost_stops_before_the_limit(seed, tmp_path):
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({MODEL: [1000.0, 1000.0]}), encoding="utf-8")
    ts = tasks(seed, groups_good=True)
    with ScriptedServer(tmp_path, {t.key: [dump(good_answer(t))] for t in ts}) as server:
        out = digest(server, "--format", "json", "--llm-prices", str(prices), "--llm-max-cost", "0.01")
        assert server.stats()["requests"] == 0
    writers = json.loads(out)["digest"]["writers"]
    assert all(w["writer"] == "offline" and "費用の上限" in w["note"] for w in writers)


def test_redaction_before_any_request(tmp_path):
    secrets = ["090-1234-5678", "taro.yamada@example.com", "〒100-0001", "@secret_handle", "token=abcdef"]
    rows = ["text,up,down"]
    texts = [
        "政府の対応には反対です。連絡は090-1234-5678まで。",
        "詳しくは taro.yamada@example.com に聞いてください。対応が遅すぎる。",
        "〒100-0001 東京都千代田区千代田1-1 に住んでいますが、賛成です。",
        "@secret_handle さんの意見に同意します。減税が先です。",
        "資料は https://example.com/doc?token=abcdef にあります。増税には反対。",
        "増税より歳出削減を優先すべきだと思う。",
        "財源の議論がないまま減税を言うのは無責任だ。",
        "減税して景気を良くするのが先決だと考える。",
        "社会保障のための増税はやむを得ない。",
        "歳出削減が先で、増税はその後に議論すべきだ。",
    ]
    for i, t in enumerate(texts):
        rows.append(f"\"{t}\",{10 + i},{3 + (i % 4)}")
    table = tmp_path / "comments.csv"
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with ScriptedServer(tmp_path, {"*": [ok("not json")]}) as server:
        result = runner.invoke(app, ["digest", "--comments", str(table), "--title", "増税の議論", "--llm",
                                     "--llm-base-url", server.base_url, "--llm-model", MODEL,
                                     "--llm-cache", str(tmp_path / "c")])
        assert result.exit_code == 0, result.stderr
        sent = server.log_path.read_text(encoding="utf-8")
        assert server.stats()["requests"] > 0
    for s in secrets:
        assert s not in sent and json.dumps(s, ensure_ascii=False)[1:-1] not in sent
    assert "[電話番号]" in sent and "[メール]" in sent
    assert "歳出削減" in sent


def test_the_key_is_never_printed_or_stored(seed, tmp_path, monkeypatch):
    monkeypatch.setenv("MATOME_LLM_API_KEY", "sk-test-very-secret-key")
    ts = tasks(seed, groups_good=True)
    with ScriptedServer(tmp_path, {t.key: [dump(good_answer(t))] for t in ts}) as server:
        result = runner.invoke(app, ["digest", str(SEED_PATH), "--llm", "--llm-base-url", server.base_url,
                                     "--llm-model", MODEL, "--llm-cache", str(tmp_path / "c"), "--format", "json"])
    assert result.exit_code == 0
    assert "sk-test-very-secret-key" not in result.stdout + result.stderr
    for f in (tmp_path / "c").rglob("*.json"):
        assert "sk-test-very-secret-key" not in f.read_text(encoding="utf-8")


@pytest.mark.parametrize("args,message", [
    (["--llm-model", "m"], "--llm-model goes with --llm"),
    (["--llm"], "needs a model"),
    (["--llm", "--llm-model", "m"], "--llm-base-url"),
    (["--llm", "--llm-model", "m", "--llm-base-url", "ftp://x"], "http://"),
    (["--llm", "--llm-model", "m", "--llm-base-url", "http://127.0.0.1:9/v1", "--llm-concurrency", "0"], "concurrency"),
    (["--llm", "--llm-model", "unpriced", "--llm-base-url", "https://llm.example.com/v1", "--llm-max-cost", "1"], "no price"),
])
def test_bad_llm_settings_exit_2_with_one_line(args, message):
    result = runner.invoke(app, ["digest", str(SEED_PATH), *args])
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.strip().count("\n") == 0


def test_without_the_extra_one_clear_line(tmp_path):
    code = ("import sys; sys.modules['openai'] = None; from matome.cli import main; "
            f"sys.argv = ['matome', 'digest', {str(SEED_PATH)!r}, '--llm', '--llm-model', 'm', "
            "'--llm-base-url', 'http://127.0.0.1:9/v1']; main()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "pip install 'matome[llm]'" in proc.stderr and proc.stderr.strip().count("\n") == 0


def test_offline_digest_has_no_llm_fields():
    d = json.loads(offline("--format", "json"))["digest"]
    assert "writers" not in d and "summary_paragraphs" not in d
    assert all("description" not in g for g in d["groups"])
    assert "LLM" not in offline("--format", "md")


def test_a_refusing_server_is_not_asked_again(seed, tmp_path):
    with ScriptedServer(tmp_path, {"*": [{"status": 401, "message": "invalid api key"}]}) as server:
        out = digest(server, "--format", "json", "--llm-concurrency", "2")
        sent = server.stats()["requests"]
    assert 1 <= sent <= 2  # the calls already in flight, then none
    writers = json.loads(out)["digest"]["writers"]
    assert all(w["writer"] == "offline" and "HTTP 401" in w["note"] for w in writers)
    assert same_as_offline_but_writers(out)


def same_as_offline_but_writers(json_out: str) -> bool:
    d = json.loads(json_out)["digest"]
    d.pop("writers")
    return d == json.loads(offline("--format", "json"))["digest"]
