"""`make run` installs only what running needs; `make test` adds the dev extra (separate stamps)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def dry_run(target: str, venv: Path) -> str:
    """The commands `make TARGET` would run with the virtual environment at ``venv``."""
    r = subprocess.run(["make", "-n", target, f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_run_installs_runtime_only_and_test_adds_the_dev_extra(tmp_path):
    venv = tmp_path / "venv"
    run = dry_run("run", venv)
    installs = [line for line in run.splitlines() if "pip install" in line and "--upgrade pip" not in line]
    assert installs == [f"{venv}/bin/python -m pip install --quiet -e ."], run
    assert "matome digest" in run
    test = dry_run("test", venv)
    assert f"{venv}/bin/python -m pip install --quiet -e '.[dev]'" in test
    assert "pytest" in test
    # after `make run` (its stamp newer than pyproject.toml), `make test` still adds the extra
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    later = time.time() + 5
    for stamp in (venv / "bin" / "python", venv / ".run-stamp"):
        stamp.touch()
        os.utime(stamp, (later, later))
    run = dry_run("run", venv)
    assert "pip install" not in run and "matome digest" in run
    test = dry_run("test", venv)
    assert "-e '.[dev]'" in test
