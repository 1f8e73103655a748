"""``matome summarize``: the article summary (要約) of an archive entry or a plain-text article.

* ``matome summarize FILE`` prints the ``(要約)`` block. FILE (or ``-`` for standard input)
  is an archive file when its first non-blank line is a record header, else a plain-text
  article (paragraphs = non-empty lines).
* ``matome summarize --jsonl IN.jsonl`` reads lines ``{"id", "article"}`` and writes lines
  ``{"id", "summary"}`` (the summary sentences joined by line breaks) to standard output.

``--chars N`` sets the budget to N characters (no sentence limit unless ``--sentences``).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click

from matome.analyze.summarize import (
    MAX_CHARS,
    MAX_SENTENCES,
    format_summary,
    summarize_entry,
    summarize_text,
)
from matome.commands.base import IntRange, argument
from matome.commands.common import fail, keep_going_hint, plural, warn, write_out
from matome.io.archive import ArchiveFormatError, decode, read_text

_HEADER_LINE_RE = re.compile(r"^\([\u00a0 ][0-9]{1,12}[\u00a0 ]\)[\u00a0 ]{1,3}[0-9]{4}/")


def _read(path: str) -> tuple[str, str]:
    """(text, name) of a path or ``-``; a missing or unreadable file fails clearly."""
    if path == "-":
        data, name = sys.stdin.buffer.read(), "<stdin>"
    else:
        p = Path(path)
        if p.is_dir():
            fail(f"{path}: is a directory (give one file)")
        try:
            data, name = p.read_bytes(), path
        except OSError as e:
            fail(f"cannot read {path}: {e.strerror or e}")
    try:
        return decode(data, name), name
    except ArchiveFormatError as e:
        fail(str(e))


def is_archive(text: str) -> bool:
    """Whether ``text`` looks like the archive record format (first non-blank line a header)."""
    for line in text.split("\n", 50)[:50]:
        if line.strip("\u00a0 \t\ufeff"):
            return bool(_HEADER_LINE_RE.match(line))
    return False


def _budget(chars: int | None, sentences: int | None) -> dict:
    if chars is None:
        return {"max_chars": MAX_CHARS, "max_sentences": sentences or MAX_SENTENCES}
    return {"max_chars": chars, "max_sentences": sentences}


def _summarize_file(path: str, budget: dict, keep_going: bool) -> None:
    text, name = _read(path)
    if not text.strip():
        fail(f"{name}: empty input, no article to summarize")
    if is_archive(text):
        try:
            result = read_text(text, name, keep_going=keep_going)
        except ArchiveFormatError as e:
            fail(str(e) + keep_going_hint(e, keep_going))
        for e in result.errors:
            warn(f"skipped: {e}")
        blocks = []
        many = len(result.entries) > 1
        for entry in result.entries:
            sents = summarize_entry(entry, **budget)
            if not sents:
                warn(f"{entry.origin or name}: the article body has no sentence to summarize")
            block = format_summary(sents)
            blocks.append((f"{entry.title}\n\n" if many else "") + block)
        write_out("\n".join(blocks), None)
        if result.errors and not result.entries:
            fail(f"{name}: no entry could be read")
        return
    sents = summarize_text(text, **budget)
    if not sents:  # the whole input gave nothing: an empty 「(要約)」 and exit 0 would pass for a summary
        fail(f"{name}: the text has no sentence to summarize (a sentence needs 8 characters or more; "
             "a line of up to 40 characters that does not end with 。 is read as a heading)")
    write_out(format_summary(sents), None)


def _summarize_jsonl(path: str, budget: dict, keep_going: bool) -> None:
    text, name = _read(path)
    if not text.strip():
        fail(f"{name}: empty input, no line to summarize")
    out = sys.stdout
    bad = 0
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or "article" not in row or "id" not in row:
                raise ValueError('expected an object with "id" and "article"')
            if not isinstance(row["article"], str):
                raise ValueError('"article" must be a string')
        except ValueError as e:
            msg = f"{name}:{n}: {e}"
            if not keep_going:
                out.flush()
                fail(msg + " (use --keep-going to skip bad lines)")
            warn(f"skipped: {msg}")
            bad += 1
            continue
        sents = summarize_text(row["article"], **budget)
        summary = "\n".join(s.text for s in sents)
        out.write(json.dumps({"id": row["id"], "summary": summary}, ensure_ascii=False) + "\n")
    out.flush()
    if bad:
        warn(f"skipped {plural(bad, 'bad line')}")


def register(app: click.Group) -> None:
    @app.command("summarize")
    @argument("path", required=False, default=None, help="An archive file or a plain-text article (- for standard input).")
    @click.option("--jsonl", "jsonl", default=None, help='Batch: read {"id","article"} lines, write {"id","summary"} lines.')
    @click.option("--chars", "chars", type=IntRange(min=1), default=None, help=f"Budget in characters (default {MAX_CHARS}).")
    @click.option("--sentences", "sentences", type=IntRange(min=1), default=None,
                  help=f"Budget in sentences (default {MAX_SENTENCES}).")
    @click.option("--keep-going", "keep_going", is_flag=True, help="Skip bad entries or lines and report them.")
    def summarize(path: str | None, jsonl: str | None, chars: int | None, sentences: int | None, keep_going: bool) -> None:
        """Print the article summary (要約): extractive, every sentence taken from the article."""
        if (path is None) == (jsonl is None):
            fail("give either FILE or --jsonl IN.jsonl")
        budget = _budget(chars, sentences)
        if jsonl is not None:
            _summarize_jsonl(jsonl, budget, keep_going)
        else:
            _summarize_file(path, budget, keep_going)
