"""Data files shipped with matome (the summary scorer's parameters)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=8)
def load_json(name: str):
    """The parsed JSON file ``name`` of this package (read once per process)."""
    return json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))
