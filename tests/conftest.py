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
