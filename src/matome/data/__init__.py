"""Data files shipped with matome: the summary scorer's parameters (``summary_model.json``)
and the word-vector table (``wordvec.npz``: rows distilled from multilingual-e5-small, and rows
reduced from chiVe, Works Applications' Japanese word2vec vectors, Apache License 2.0, as
GiNZA's ``ja_ginza`` 5.3.0 package distributes them; see ``bench/build_wordvec.py``)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=8)
def load_json(name: str):
    """The parsed JSON file ``name`` of this package (read once per process)."""
    return json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))
