"""Shared fixtures: the bundled seed record and entries built in code."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED_PATH = ROOT / "samples" / "000_c07ace8c3e04d92d.txt"


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
