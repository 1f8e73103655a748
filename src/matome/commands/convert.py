"""``matome convert FILE --to jsonl|archive``: between the archive format and JSON Lines."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import click

from matome.commands.base import argument
from matome.commands.common import fail, keep_going_hint, nothing_read, plural, read_entries, warn, write_out
from matome.io.archive import ArchiveFormatError, decode, read_text, write_entries
from matome.io.jsonl import read_jsonl, write_jsonl


class Target(str, Enum):
    jsonl = "jsonl"
    archive = "archive"


def _looks_like_jsonl(path: str) -> bool:
    return path.endswith((".jsonl", ".ndjson", ".json"))


def _read_stdin() -> tuple[str, str]:
    """Standard input as text, and which format it is: JSON Lines when its first
    non-blank character opens a JSON object, else the archive format."""
    data = sys.stdin.buffer.read()
    try:
        text = decode(data, "<stdin>")
    except ValueError as e:
        fail(str(e))
    return text, ("jsonl" if text.lstrip("\ufeff \t\r\n")[:1] == "{" else "archive")


def register(app: click.Group) -> None:
    @app.command("convert")
    @argument("path", help="An archive file or directory, a .jsonl file, or - for standard input (either format).")
    @click.option("--to", "to", type=click.Choice([t.value for t in Target]), required=True, help="Output format: jsonl or archive.")
    @click.option("-o", "--out", "out", default=None, metavar="FILE", help="Output file (default: standard output).")
    @click.option("--keep-going", "keep_going", is_flag=True, help="Skip bad entries and report them.")
    def convert(path: str, to: str, out: str | None, keep_going: bool) -> None:
        """Convert entries losslessly: archive → JSONL (one entry per line) and JSONL → archive."""
        to = Target(to)
        if path == "-":
            text, kind = _read_stdin()
            name = "<stdin>"
        elif _looks_like_jsonl(path):
            try:
                data = Path(path).read_bytes()
            except OSError as e:
                fail(f"cannot read {path}: {e.strerror or e}")
            try:
                text, kind, name = decode(data, path), "jsonl", path
            except ValueError as e:
                fail(str(e))
        else:
            text, kind, name = "", "path", path
        if kind == "path":
            result = read_entries(path, keep_going)
        else:
            try:
                result = read_jsonl(text, name, keep_going=keep_going) if kind == "jsonl" else read_text(
                    text, name, keep_going=keep_going)
            except ArchiveFormatError as e:
                fail(str(e) + keep_going_hint(e, keep_going))
            if not result.entries:
                nothing_read(path, result.errors)
            for e in result.errors:
                warn(f"skipped: {e}")
        out_text = write_jsonl(result.entries) if to is Target.jsonl else write_entries(result.entries)
        write_out(out_text, out)
        if out not in (None, "-"):
            warn(f"wrote {plural(len(result.entries), 'entry', 'entries')} to {out}")
        sys.stdout.flush()
