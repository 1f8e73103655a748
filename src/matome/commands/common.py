"""Helpers shared by the sub-commands: clear one-line errors and reading entries."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.console import Console

from matome.io.archive import ArchiveFormatError, ReadResult, read_path

#: Exit code for bad input or usage.
EXIT_BAD_INPUT = 2

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print one clear line on standard error and exit."""
    err_console.print(f"matome: error: {message}", markup=False)
    raise typer.Exit(code)


def warn(message: str) -> None:
    err_console.print(f"matome: {message}", markup=False)


def read_entries(path: str, keep_going: bool) -> ReadResult:
    """Read an archive path; report bad entries (keep-going) or fail on the first one."""
    try:
        result = read_path(path, keep_going=keep_going)
    except ArchiveFormatError as e:
        fail(str(e) + ("" if keep_going else " (use --keep-going to read the good entries)"))
    for e in result.errors:
        warn(f"skipped: {e}")
    if result.errors:
        warn(f"read {len(result.entries)} entries, skipped {len(result.errors)} bad ones")
    return result


def write_out(text: str, out: str | None) -> None:
    """Write text to a file, or to standard output when ``out`` is None or ``-``."""
    if out in (None, "-"):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        with open(out, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    except OSError as e:
        fail(f"cannot write {out}: {e.strerror or e}")
