"""Tokens and money: a token estimate for planning, a price table, and a spending limit.

Servers report the tokens of each call (``usage``); before a call, and for ``--llm-dry-run``,
tokens are estimated: one per CJK or other non-ASCII character, one per four ASCII
characters (Japanese tokenizers of current models give roughly that), plus a few per message.

Prices are US dollars per million tokens, input and output. The built-in table covers some
hosted models; local servers (Ollama, vLLM, llama.cpp) cost nothing. ``--llm-prices FILE``
(JSON ``{"model": [input, output]}``) adds or overrides entries.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

#: USD per 1M tokens (input, output), as published by the providers (2025); check yours.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
}

PER_MESSAGE_TOKENS = 4


class PriceError(ValueError):
    """A price file that cannot be read, naming the file and what was expected."""


def estimate_tokens(text: str) -> int:
    ascii_chars = sum(1 for ch in text if ord(ch) < 128)
    return (len(text) - ascii_chars) + (ascii_chars + 3) // 4


def estimate_prompt(messages: list[dict[str, str]]) -> int:
    return sum(estimate_tokens(m["content"]) + PER_MESSAGE_TOKENS for m in messages)


def load_prices(path: str | None) -> dict[str, tuple[float, float]]:
    prices = dict(DEFAULT_PRICES)
    if not path:
        return prices
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise PriceError(f"cannot read {path}: {e.strerror or e}") from None
    except json.JSONDecodeError as e:
        raise PriceError(f"{path}:{e.lineno}: not JSON: {e.msg}") from None
    if not isinstance(data, dict):
        raise PriceError(f"{path}: expected an object {{\"model\": [input, output]}} (USD per 1M tokens)")
    for model, pair in data.items():
        if (not isinstance(pair, list) or len(pair) != 2 or not all(isinstance(x, (int, float)) and x >= 0 for x in pair)):
            raise PriceError(f"{path}: {model}: expected [input, output] USD per 1M tokens, got {pair!r}")
        prices[str(model)] = (float(pair[0]), float(pair[1]))
    return prices


def price_of(model: str, prices: dict[str, tuple[float, float]], local: bool) -> tuple[float, float] | None:
    """The model's price; a local server is free; None when unknown."""
    if model in prices:
        return prices[model]
    return (0.0, 0.0) if local else None


def cost(tokens_in: int, tokens_out: int, price: tuple[float, float] | None) -> float:
    if price is None:
        return 0.0
    return tokens_in * price[0] / 1e6 + tokens_out * price[1] / 1e6


@dataclass
class Ledger:
    """What a run sent and spent, and the limit it must stay under (thread-safe)."""

    price: tuple[float, float] | None
    max_cost: float | None = None
    answers: int = 0  # answers received from the server
    cached: int = 0  # answers found in the cache
    tokens_in: int = 0
    tokens_out: int = 0
    spent: float = 0.0
    reserved: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reserve(self, estimate: float) -> bool:
        """Set ``estimate`` aside for a call; False when it would exceed the limit."""
        with self._lock:
            if self.max_cost is not None and self.spent + self.reserved + estimate > self.max_cost:
                return False
            self.reserved += estimate
            return True

    def release(self, estimate: float) -> None:
        with self._lock:
            self.reserved -= estimate

    def answered(self, tokens_in: int, tokens_out: int) -> None:
        with self._lock:
            self.answers += 1
            self.tokens_in += tokens_in
            self.tokens_out += tokens_out
            self.spent += cost(tokens_in, tokens_out, self.price)

    def hit(self) -> None:
        with self._lock:
            self.cached += 1
