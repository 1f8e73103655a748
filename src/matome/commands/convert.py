"""``matome convert FILE --to jsonl|archive``: between the archive format and JSON Lines."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer

from matome.commands.common import fail, read_entries, warn, write_out
from matome.io.archive import ArchiveFormatError, decode, write_entries
from matome.io.jsonl import read_jsonl, write_jsonl


class Target(str, Enum):
    jsonl = "jsonl"
    archive = "archive"


def _looks_like_jsonl(path: str) -> bool:
    return path.endswith((".jsonl", ".ndjson", ".json"))


def register(app: typer.Typer) -> None:
    @app.command("convert")
    def convert(
        path: str = typer.Argument(..., help="An archive file or directory, a .jsonl file, or - for standard input."),
        to: Target = typer.Option(..., "--to", help="Output format."),
        out: str = typer.Option(None, "-o", "--out", help="Output file (default: standard output)."),
        keep_going: bool = typer.Option(False, "--keep-going", help="Skip bad entries and report them."),
    ) -> None:
        """Convert entries losslessly: archive → JSONL (one entry per line) and JSONL → archive."""
        if _looks_like_jsonl(path):
            try:
                data = Path(path).read_bytes()
            except OSError as e:
                fail(f"cannot read {path}: {e.strerror or e}")
            try:
                result = read_jsonl(decode(data, path), path, keep_going=keep_going)
            except ArchiveFormatError as e:
                fail(str(e) + ("" if keep_going else " (use --keep-going to read the good entries)"))
            for e in result.errors:
                warn(f"skipped: {e}")
        else:
            result = read_entries(path, keep_going)
        text = write_jsonl(result.entries) if to is Target.jsonl else write_entries(result.entries)
        write_out(text, out)
        if out not in (None, "-"):
            warn(f"wrote {len(result.entries)} entries to {out}")
        sys.stdout.flush()
