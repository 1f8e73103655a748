"""Run the ``matome`` CLI in this process, the way the console script does (no fixtures here).

``run(argv)`` calls :func:`matome.cli.main` with real byte streams for standard input, output
and error, and returns the exit code and what was written. An exception that escapes
``main`` is caught and returned as its traceback text in ``err`` (as Python would print it),
so that a test can assert that no traceback ever reaches the user.
"""

from __future__ import annotations

import io
import sys
import traceback
from dataclasses import dataclass


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]

    def one_line_error(self) -> bool:
        """Exit 2 with exactly one non-empty line on standard error and no traceback."""
        return self.code == 2 and len(self.err_lines) == 1 and "Traceback" not in self.err


def _stream(data: bytes = b"") -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=None, write_through=True)


def run(argv: list[str], stdin: bytes = b"") -> Run:
    from matome.cli import main

    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = _stream(stdin), _stream(), _stream()
    out, err = sys.stdout, sys.stderr
    code = 0
    try:
        main([str(a) for a in argv])
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # noqa: BLE001 - what the user would see as a traceback
        err.write(traceback.format_exc())
        code = 1
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    out.flush()
    err.flush()
    return Run(code, out.buffer.getvalue().decode("utf-8", "replace"), err.buffer.getvalue().decode("utf-8", "replace"))
