"""The command line on plain Click: every command, argument and option of the Typer version
(names, short flags, defaults, choices, help texts, value names), the help pages, the
one-line error contract, environment variables, Ctrl+C, and the lazy start (only the named
command's module, no Typer, no pydantic)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest

from cli_support import run
from matome.cli import COMMANDS, SUMMARIES, command
from matome.commands.base import Argument, summary

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "samples" / "000_c07ace8c3e04d92d.txt"

#: Each command's parameters in --help order, as the Typer version declared them: an
#: argument by its value name, an option by its flags (secondary flags after a slash).
PARAMETERS = {
    "show": ["PATH", "--top", "--keep-going"],
    "convert": ["PATH", "--to", "-o/--out", "--keep-going"],
    "digest": ["PATH", "--comments", "--map", "--allow-private", "--article", "--title", "--format/-f", "-o/--out",
               "--vectors", "--method", "--seed", "--keep-going", "--quiet/-q", "--llm", "--llm-base-url", "--llm-model",
               "--llm-dry-run", "--llm-max-cost", "--llm-prices", "--llm-concurrency", "--llm-timeout", "--llm-retries",
               "--llm-cache"],
    "fetch": ["URL", "-o/--out", "--allow-private", "--raw", "--comments", "--map", "--ignore-robots",
              "--follow-other-host"],
    "summarize": ["PATH", "--jsonl", "--chars", "--sentences", "--keep-going"],
    "serve": ["--db", "--host", "--port", "--workers", "--token", "--page-cache"],
    "report": ["ID", "--db", "-o/--output"],
    "ingest": ["PATH", "--db", "--no-digest", "--keep-going/--stop-on-error", "--set", "--map", "--allow-private",
               "--llm", "--llm-base-url", "--llm-model", "--llm-dry-run", "--llm-max-cost", "--llm-prices",
               "--llm-concurrency", "--llm-timeout", "--llm-retries"],
    "redigest": ["--db", "--article", "--all", "--set", "--llm", "--llm-base-url", "--llm-model", "--llm-dry-run",
                 "--llm-max-cost", "--llm-prices", "--llm-concurrency", "--llm-timeout", "--llm-retries"],
    "batch": ["--db", "--workers", "--ray", "--only-stale", "--limit", "--set"],
    "search": ["WORDS", "--db", "--json", "--since", "--until", "--source", "--article", "--min-up", "--limit",
               "--offset"],
    "export": ["--db", "--format/-f", "-o/--out", "--article", "--with-digest"],
}

#: What --help must show (however it is wrapped): the value names (FILE, URL, N, the
#: choices), defaults, ranges, the environment variable.
HELP_SHOWS = {
    "show": ["Usage: matome show [OPTIONS] PATH", "--top N", "[default: 3; x>=1]"],
    "convert": ["--to jsonl|archive", "-o, --out FILE", "[required]"],
    "digest": ["Usage: matome digest [OPTIONS] [PATH]", "-f, --format archive|json|md|view", "--vectors tfidf|e5",
               "--method auto|ward|kmeans", "--seed N", "-o, --out FILE", "--comments FILE", "--article FILE",
               "--map FIELD=COLUMN,…", "--llm-base-url URL", "--llm-timeout SECONDS", "--llm-max-cost USD",
               "-q, --quiet", "[default: archive]", "[default: tfidf]", "[default: 300.0]"],
    "fetch": ["Usage: matome fetch [OPTIONS] URL", "-o, --out FILE", "--map FIELD=COLUMN,…"],
    "summarize": ["Usage: matome summarize [OPTIONS] [PATH]", "--jsonl FILE", "--chars N", "--sentences N"],
    "serve": ["--db URL|PATH", "--host ADDRESS", "--port N", "--workers N", "--token TOKEN", "--page-cache FILE",
              "[env var:", "MATOME_WEB_TOKEN]", "[default: 8000; 0<=x<=65535]"],
    "report": ["Usage: matome report [OPTIONS] ID", "-o, --output FILE", "[default: -]"],
    "ingest": ["Usage: matome ingest [OPTIONS] PATH...", "--keep-going / --stop-on-error", "[default: keep-going]",
               "--set NAME=VALUE", "--db URL|PATH", "[env MATOME_DB; default ./matome.db]"],
    "redigest": ["--article ID", "--set NAME=VALUE", "--all"],
    "batch": ["--ray ADDRESS|local", "--workers N", "--limit N", "--set NAME=VALUE"],
    "search": ["Usage: matome search [OPTIONS] WORDS", "--limit N", "[default: 20; 1<=x<=1000]", "--article ID",
               "--since YYYY-MM-DD", "--source NAME", "--json"],
    "export": ["-f, --format archive|jsonl|csv", "--article ID", "-o, --out FILE"],
}


def _squeeze(text: str) -> str:
    """Text without any white space: help wrapped at any width (and at hyphens) compares equal."""
    return "".join(text.split())


def _declared(cmd: click.Command) -> list[str]:
    return [p.human_readable_name if isinstance(p, click.Argument) else "/".join(p.opts + p.secondary_opts)
            for p in cmd.params]


def test_every_command_argument_and_option_is_kept():
    group = command()
    assert group.list_commands(None) == list(COMMANDS) == list(PARAMETERS)
    assert set(group.commands) == set(COMMANDS)
    for name, cmd in group.commands.items():
        assert _declared(cmd) == PARAMETERS[name], name


def test_the_listed_descriptions_are_the_commands_own():
    group = command()
    for name in COMMANDS:
        assert SUMMARIES[name] == summary(group.commands[name]), name


@pytest.mark.parametrize("name", COMMANDS)
def test_each_help_page_lists_every_parameter_with_its_help(name):
    cmd = command().commands[name]
    r = run([name, "--help"])
    assert r.code == 0 and r.err == "", r.err
    page = _squeeze(r.out)
    assert _squeeze(summary(cmd)) in page
    for param in cmd.params:
        assert param.help and _squeeze(param.help) in page, (name, param.name)
        if isinstance(param, Argument):
            assert re.search(rf"^  {re.escape(param.human_readable_name)}(\.\.\.)?  ", r.out, re.M), (name, r.out)
        else:
            flags = ", ".join(sorted(param.opts, key=lambda o: (o.startswith("--"), o)))
            shown = " / ".join([flags] + list(param.secondary_opts))
            assert re.search(rf"^  {re.escape(shown)}( |$)", r.out, re.M), (name, shown, r.out)
    for shown in HELP_SHOWS[name]:
        assert _squeeze(shown) in page, (name, shown, r.out)
    assert "Arguments:" in r.out if any(isinstance(p, Argument) for p in cmd.params) else "Arguments:" not in r.out
    assert "TEXT  " not in r.out.replace("--title TEXT", "")  # a value name says what to give
    assert "╭" not in r.out and "<" not in r.out.replace("<=", "")


def test_the_top_help_lists_the_commands_in_order_with_their_whole_first_paragraph():
    r = run(["--help"])
    assert r.code == 0
    assert r.out.startswith("Usage: matome [OPTIONS] COMMAND [ARGS]...")
    listed = re.findall(r"^  ([a-z]+)  ", r.out.split("Commands:", 1)[1], re.M)
    assert listed == list(COMMANDS)
    page = _squeeze(r.out)
    group = command()
    for name in COMMANDS:
        text = summary(group.commands[name])
        assert len(text) > 40 and "\n" not in text
        assert _squeeze(f"{name} {text}") in page, name  # whole, not cut with "..."
    assert "..." not in r.out.split("Commands:", 1)[1]
    assert summary(group.commands["redigest"]).endswith("(--all --llm: let a language model reword every digest).")


def test_no_arguments_print_the_help_and_exit_2():
    r = run([])
    assert r.code == 2 and r.err == ""
    assert r.out == run(["--help"]).out


BAD_VALUES = [
    ["show", "{seed}", "--top", "x"],
    ["show", "{seed}", "--top", "0"],
    ["convert", "{seed}", "--to", "yaml"],
    ["digest", "{seed}", "--seed", "x"],
    ["digest", "{seed}", "-f", "html"],
    ["digest", "{seed}", "--llm-timeout", "soon"],
    ["fetch", "http://127.0.0.1:9/", "--out"],
    ["summarize", "{seed}", "--sentences", "0"],
    ["serve", "--port", "65536"],
    ["serve", "--workers", "65"],
    ["report", "0"],
    ["ingest", "{seed}", "--llm-concurrency", "two"],
    ["redigest", "--article", "0"],
    ["batch", "--workers", "many"],
    ["search", "記事", "--limit", "1001"],
    ["export", "--article", "x"],
]


@pytest.mark.parametrize("argv", BAD_VALUES, ids=[" ".join(a) for a in BAD_VALUES])
def test_a_bad_option_value_is_one_line_exit_2_with_the_hint(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MATOME_DB", raising=False)
    r = run([a.format(seed=SEED) for a in argv])
    assert r.one_line_error(), (r.code, r.err)
    line = r.err_lines[0]
    assert re.match(r"matome: error: (Invalid value for|Option '--out' requires an argument)", line), line
    assert line.endswith(f"(see 'matome {argv[0]} --help')"), line
    assert list(tmp_path.iterdir()) == []  # refused before anything was opened or written


def test_a_value_that_is_no_number_is_called_so():
    r = run(["search", "記事", "--offset", "x"])
    assert r.one_line_error() and "'x' is not a valid integer." in r.err, r.err
    r = run(["show", str(SEED), "--top", "0"])
    assert "0 is not in the range x>=1." in r.err, r.err


def test_missing_argument_names_it():
    assert "Missing argument 'PATH'." in run(["ingest", "--no-digest"]).err
    assert "Missing argument 'ID'." in run(["report"]).err
    assert "Missing argument 'WORDS'." in run(["search"]).err


def test_the_token_comes_from_its_environment_variable_and_the_option_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("MATOME_WEB_TOKEN", "short")
    r = run(["serve", "--db", tmp_path / "none.db"])
    assert r.one_line_error() and "--token must be at least 12 characters long" in r.err, r.err
    r = run(["serve", "--db", tmp_path / "none.db", "--token", "a-long-enough-token"])
    assert r.one_line_error() and "no archive at" in r.err, r.err  # past the token check
    monkeypatch.delenv("MATOME_WEB_TOKEN")
    r = run(["serve", "--db", tmp_path / "none.db"])
    assert r.one_line_error() and "no archive at" in r.err, r.err


def test_the_archive_and_the_llm_server_come_from_their_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("MATOME_DB", str(tmp_path / "from-env.db"))
    r = run(["export"])
    assert r.one_line_error() and "from-env.db" in r.err, r.err
    monkeypatch.setenv("MATOME_LLM_BASE_URL", "ftp://example.com/v1")
    monkeypatch.setenv("MATOME_LLM_MODEL", "m")
    r = run(["digest", SEED, "--llm"])
    assert r.one_line_error() and "not 'ftp://example.com/v1'" in r.err, r.err
    monkeypatch.delenv("MATOME_LLM_MODEL")
    r = run(["digest", SEED, "--llm", "--llm-base-url", "http://127.0.0.1:9/v1"])
    assert r.one_line_error() and "--llm needs a model" in r.err, r.err


def test_ctrl_c_exits_130_with_one_line(monkeypatch):
    import matome.commands.show as show_module

    def interrupted(*_args, **_kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(show_module, "read_entries", interrupted)
    r = run(["show", SEED])
    assert r.code == 130 and r.err_lines == ["matome: interrupted"], (r.code, r.err)


def test_a_command_exit_code_passes_through(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(bytes(range(128, 256)))
    r = run(["ingest", "--db", tmp_path / "a.db", "--no-digest", SEED, bad])
    assert r.code == 1 and "failed: " in r.err and "ingested into" in r.out, (r.code, r.err)


@pytest.mark.parametrize("name, modules, rich", [
    ("show", ["base", "common", "show"], True),  # Rich draws the entries
    ("digest", ["base", "common", "digest", "llm"], False),
    ("summarize", ["base", "common", "summarize"], False),
    ("convert", ["base", "common", "convert"], False),
])
def test_only_the_named_command_is_imported_without_typer_or_pydantic(name, modules, rich):
    code = ("import json, sys; sys.argv = ['matome', %r, 'x']; import matome.cli; "
            "print(json.dumps([sorted(m[16:] for m in sys.modules if m.startswith('matome.commands.')), "
            "[m for m in ('typer', 'pydantic', 'rich') if m in sys.modules]]))" % name)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    loaded, heavy = json.loads(proc.stdout)
    assert loaded == modules
    assert heavy == (["rich"] if rich else [])


def test_the_top_help_and_an_unknown_command_import_no_command_module():
    code = ("import sys; sys.argv = ['matome', %r]; import matome.cli\n"
            "try:\n    matome.cli.main()\nexcept SystemExit as e:\n"
            "    print(e.code, sorted(m[16:] for m in sys.modules if m.startswith('matome.commands.')), file=sys.stderr)")
    for word, code_wanted, out in (("--help", 0, "  search     Search titles"), ("nosuch", 2, "")):
        proc = subprocess.run([sys.executable, "-c", code % word], capture_output=True, text=True, timeout=120)
        assert proc.stderr.splitlines()[-1] == f"{code_wanted} ['base', 'common']", proc.stderr
        assert out in proc.stdout


def test_the_installed_command_runs_the_named_command_only():
    proc = subprocess.run([sys.executable, "-m", "matome.cli", "show", str(SEED), "--top", "1"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "▲ の多いコメント (上位 1 件)" in proc.stdout


def test_click_is_declared_and_typer_is_not():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert any(re.match(r"click>=8\.1\b", d) for d in deps)
    assert not any(d.startswith("typer") for d in deps)
