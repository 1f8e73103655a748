"""Answers already received, so that a re-run sends no request and gives the same bytes.

The key is the SHA-256 of the model, the prompt version, the answer schema, the sampling
settings and the messages (which hold the whole input). The value is the answer's text and
its token counts. Two places keep them:

* :class:`DirCache` — one small JSON file per answer under a directory (``matome digest``:
  ``--llm-cache DIR``, else ``$XDG_CACHE_HOME/matome``, else ``~/.cache/matome``);
* the archive database's ``llm_cache`` table (``matome ingest``/``redigest``), in
  :mod:`matome.store.llm_cache`, with the same interface.

Only answers are kept: a time-out or a server error is not, and is tried again next time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class CachedAnswer:
    content: str
    tokens_in: int
    tokens_out: int
    finish_reason: str = "stop"


class AnswerCache(Protocol):
    def get(self, key: str) -> CachedAnswer | None: ...

    def put(self, key: str, model: str, answer: CachedAnswer) -> None: ...


def cache_key(model: str, prompt_version: str, schema: dict[str, Any], settings: dict[str, Any],
              messages: list[dict[str, str]]) -> str:
    blob = json.dumps(
        {"model": model, "prompt": prompt_version, "schema": schema, "settings": settings, "messages": messages},
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "matome"


class DirCache:
    """Answers as ``DIR/llm/ab/abcdef….json``; written atomically, so concurrent runs are safe."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root) / "llm"

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> CachedAnswer | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            return CachedAnswer(str(data["content"]), int(data["tokens_in"]), int(data["tokens_out"]),
                                str(data.get("finish_reason", "stop")))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, model: str, answer: CachedAnswer) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"model": model, "content": answer.content, "tokens_in": answer.tokens_in,
                "tokens_out": answer.tokens_out, "finish_reason": answer.finish_reason}
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False)
        os.replace(tmp, path)
