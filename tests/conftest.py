"""Shared fixtures (the bundled seed record) and the suite's own report.

At start-up, when ``MATOME_TEST_PG_URL`` is unset (not merely empty), the local PostgreSQL
that .ci/run uses is looked for (``postgresql://postgres@127.0.0.1:5432/test``) and, when it
answers, used. At the end the run prints plainly which groups of tests were skipped and why
(browser tests without Chromium, PostgreSQL tests without a server, …).
"""

from __future__ import annotations

import os
import socket
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED_PATH = ROOT / "samples" / "000_c07ace8c3e04d92d.txt"

PG_ENV = "MATOME_TEST_PG_URL"
LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/test"

#: Test files → the name of their group in the end-of-run report.
GROUPS = {"test_web_browser.py": "browser tests"}

_found: dict[str, str] = {}
_skipped: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))


def _local_pg() -> str | None:
    """The .ci/run PostgreSQL URL when a server there accepts a connection, else None."""
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            pass
    except OSError:
        return None
    try:
        import psycopg

        with psycopg.connect(LOCAL_PG, connect_timeout=3):
            pass
    except Exception:  # any failure: no usable local server
        return None
    return LOCAL_PG


def pytest_configure(config: pytest.Config) -> None:
    if PG_ENV not in os.environ:
        url = _local_pg()
        if url:
            os.environ[PG_ENV] = url
            _found["pg"] = f"found the local server at {url} ({PG_ENV} was unset)"
        else:
            _found["pg"] = f"{PG_ENV} is unset and no server answers at 127.0.0.1:5432"
    elif not os.environ[PG_ENV]:
        _found["pg"] = f"{PG_ENV} is set empty (PostgreSQL tests turned off)"
    else:
        _found["pg"] = f"{PG_ENV}={os.environ[PG_ENV]}"


def _group_of(report: pytest.TestReport) -> str:
    name = Path(report.location[0]).name
    if "[postgresql" in report.nodeid:
        return "PostgreSQL tests"
    return GROUPS.get(name, f"tests in {name}")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and report.when in ("setup", "call"):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
        reason = reason.removeprefix("Skipped: ").strip()
        _skipped[_group_of(report)][reason].add(report.nodeid)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    write = terminalreporter.write_line
    terminalreporter.section("what was not run", sep="-")
    if not _skipped:
        write("nothing was skipped.")
    for group in sorted(_skipped):
        for reason, ids in sorted(_skipped[group].items()):
            write(f"SKIPPED {len(ids)} {group}: {reason}")
    write(f"PostgreSQL: {_found.get('pg', 'not looked for')}")


@pytest.fixture(scope="session")
def seed_bytes() -> bytes:
    return SEED_PATH.read_bytes()


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED_PATH


# Fixtures shared by several test modules, defined beside the builders they use.
from test_store_support import db_url, store  # noqa: E402
from test_web_fixtures import base_url, wd  # noqa: E402

__all__ = ["base_url", "db_url", "seed_bytes", "seed_path", "store", "wd"]
