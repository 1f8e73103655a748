"""Chat completions over the official ``openai`` package, against any OpenAI-compatible server.

* Temperature 0 and a fixed seed (servers that ignore the seed still get temperature 0).
* Structured output: ``response_format`` ``json_schema`` first; a server that rejects it
  (HTTP 400) is asked with ``json_object`` from then on, then with none — the answer is
  validated locally in every case.
* Time-outs (generous by default: local models are slow), and retries with exponential
  backoff on 429, 5xx, time-outs and dropped connections (``Retry-After`` is honoured, up to
  a minute). 401/403/404 are not retried: the server refuses this key or model.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

MODES = ("json_schema", "json_object", "none")
MAX_DELAY = 60.0


class CallFailed(Exception):
    """The call did not produce an answer; ``note`` (Japanese) says why."""

    def __init__(self, note: str) -> None:
        super().__init__(note)
        self.note = note


class Refused(CallFailed):
    """The server refuses every call (bad key, unknown model): no point in trying others."""


@dataclass(frozen=True)
class Reply:
    content: str
    tokens_in: int | None
    tokens_out: int | None
    finish_reason: str


@dataclass
class ClientSettings:
    base_url: str | None
    model: str
    api_key: str = field(default="", repr=False)
    timeout: float = 300.0
    retries: int = 3
    backoff: float = 1.0
    seed: int = 0
    max_tokens: int = 1500


class ChatClient:
    def __init__(self, settings: ClientSettings, on_request: Callable[[], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        from openai import OpenAI

        self.settings = settings
        self._client = OpenAI(base_url=settings.base_url or None, api_key=settings.api_key or "not-needed",
                              timeout=settings.timeout, max_retries=0)
        self._mode = 0
        self._lock = threading.Lock()
        self._on_request = on_request or (lambda: None)
        self._sleep = sleep

    def _response_format(self, mode: str, name: str, schema: dict[str, Any]) -> dict[str, Any] | None:
        if mode == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}
        if mode == "json_object":
            return {"type": "json_object"}
        return None

    def complete(self, messages: list[dict[str, str]], name: str, schema: dict[str, Any]) -> Reply:
        import openai

        s = self.settings
        attempt = 0
        while True:
            with self._lock:
                mode_index = self._mode
            kwargs: dict[str, Any] = dict(model=s.model, messages=messages, temperature=0, seed=s.seed,
                                          max_tokens=s.max_tokens)
            fmt = self._response_format(MODES[mode_index], name, schema)
            if fmt is not None:
                kwargs["response_format"] = fmt
            self._on_request()
            try:
                resp = self._client.chat.completions.create(**kwargs)
            except openai.BadRequestError as e:
                if mode_index + 1 < len(MODES):
                    with self._lock:
                        self._mode = max(self._mode, mode_index + 1)
                    continue
                raise CallFailed(f"LLMサーバーが要求を受け付けませんでした（HTTP {e.status_code}）") from None
            except (openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError) as e:
                raise Refused(f"LLMサーバーが要求を拒否しました（HTTP {e.status_code}）") from None
            except (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError,
                    openai.InternalServerError, openai.APIStatusError) as e:
                status = getattr(e, "status_code", None)
                if isinstance(e, openai.APIStatusError) and status is not None and status < 500 and status != 429:
                    raise CallFailed(f"LLMサーバーがエラーを返しました（HTTP {status}）") from None
                if attempt >= s.retries:
                    raise CallFailed(_failure_note(e)) from None
                self._sleep(_delay(e, attempt, s.backoff))
                attempt += 1
                continue
            choice = resp.choices[0] if resp.choices else None
            if choice is None:
                raise CallFailed("LLMサーバーの応答に回答がありませんでした")
            usage = getattr(resp, "usage", None)
            return Reply(
                content=choice.message.content or "",
                tokens_in=getattr(usage, "prompt_tokens", None) if usage else None,
                tokens_out=getattr(usage, "completion_tokens", None) if usage else None,
                finish_reason=str(choice.finish_reason or "stop"),
            )


def _failure_note(e: Exception) -> str:
    import openai

    if isinstance(e, openai.APITimeoutError):
        return "LLMサーバーの応答が時間内に返りませんでした（タイムアウト）"
    if isinstance(e, openai.APIConnectionError):
        return "LLMサーバーに接続できませんでした"
    return f"LLMサーバーがエラーを返し続けました（HTTP {getattr(e, 'status_code', '?')}）"


def _delay(e: Exception, attempt: int, backoff: float) -> float:
    delay = backoff * (2 ** attempt)
    response = getattr(e, "response", None)
    header = response.headers.get("retry-after") if response is not None else None
    if header:
        try:
            delay = max(delay, float(header))
        except ValueError:
            pass
    return min(delay, MAX_DELAY)
