"""Helpers shared by the sub-commands: clear one-line errors and reading entries."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from click.exceptions import Exit

if TYPE_CHECKING:
    from matome.io.archive import ReadResult

#: Exit code for bad input or usage.
EXIT_BAD_INPUT = 2


class ErrConsole:
    """Standard error for matome's one-line messages: plain text, written as is (no markup,
    no highlighting, no wrapping). The Rich console that draws progress bars and spinners
    (:attr:`rich`) is made only by the commands that show them; once it exists, the lines
    go through it, so that they print above a live bar instead of through it."""

    def __init__(self) -> None:
        self._rich = None

    @property
    def rich(self):
        """A Rich console on standard error (imported and made on first use)."""
        if self._rich is None:
            from rich.console import Console

            self._rich = Console(stderr=True, highlight=False, soft_wrap=True)
        return self._rich

    @property
    def is_terminal(self) -> bool:
        return self.rich.is_terminal

    def status(self, message: str):
        """A spinner with ``message`` while a slow step runs (on a terminal only: without
        one, Rich is not even imported)."""
        if self._rich is None and not _isatty(sys.stderr):
            from contextlib import nullcontext

            return nullcontext()
        return self.rich.status(message)

    def print(self, text: str) -> None:
        if self._rich is not None:
            self._rich.print(text, markup=False, highlight=False, emoji=False)
            return
        stream = sys.stderr
        stream.write(f"{text}\n")
        stream.flush()


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


err_console = ErrConsole()


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print one clear line on standard error and exit."""
    err_console.print(f"matome: error: {message}")
    raise Exit(code)


def warn(message: str) -> None:
    err_console.print(f"matome: {message}")


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 entry``, ``2 entries``: a count with its noun in the right number."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def nothing_read(path: str, errors: tuple | list, what: str = "entry", whats: str = "entries") -> NoReturn:
    """Fail with one line when a path gave nothing to work on: empty, or every part bad."""
    if errors:
        more = f" (and {plural(len(errors) - 1, 'more bad one', 'more bad ones')})" if len(errors) > 1 else ""
        fail(f"{errors[0]}{more}: no {what} could be read")
    if path == "-":
        fail(f"standard input holds no {whats} (it is empty)")
    p = Path(path)
    if p.is_dir():
        has_files = any(f.is_file() for f in p.rglob("*"))
        fail(f"{path}: the directory holds no {whats}" if has_files else f"{path}: the directory is empty")
    fail(f"{path}: the file is empty" if p.is_file() and p.stat().st_size == 0 else f"{path}: holds no {whats}")


def keep_going_hint(error: Exception, keep_going: bool) -> str:
    """The advice to add to a bad entry's message, unless --keep-going could not help."""
    from matome.io.archive import ArchiveDecodeError

    if keep_going or isinstance(error, ArchiveDecodeError):
        return ""
    return " (use --keep-going to read the good entries)"


def read_entries(path: str, keep_going: bool) -> ReadResult:
    """Read an archive path; report bad entries (keep-going) or fail on the first one; a
    path with no entry at all (empty, or every entry bad) fails with one line."""
    from matome.io.archive import ArchiveFormatError, read_path

    try:
        result = read_path(path, keep_going=keep_going)
    except ArchiveFormatError as e:
        fail(str(e) + keep_going_hint(e, keep_going))
    except ValueError as e:  # undecodable standard input
        fail(str(e))
    if not result.entries:
        nothing_read(path, result.errors)
    for e in result.errors:
        warn(f"skipped: {e}")
    if result.errors:
        warn(f"read {plural(len(result.entries), 'entry', 'entries')}, skipped {plural(len(result.errors), 'bad one', 'bad ones')}")
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
