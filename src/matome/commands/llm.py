"""The --llm options shared by ``matome digest``, ``ingest`` and ``redigest``.

The API key is read from ``MATOME_LLM_API_KEY`` only: it is never an option, never printed
and never stored (cache keys hold the model and the messages, not the key or the URL).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import click

from matome.commands.common import err_console, fail

#: The --llm options, in the order --help lists them: (declarations, attributes).
_OPTIONS = (
    (("--llm", "llm"), dict(is_flag=True, help="Let a language model word the summaries and group labels "
     "(any OpenAI-compatible server; every answer is checked, failures keep matome's own text).")),
    (("--llm-base-url", "llm_base_url"), dict(default=None, help="The server, e.g. http://127.0.0.1:11434/v1 (Ollama) "
     "(env MATOME_LLM_BASE_URL; default: the OpenAI API). The key comes from MATOME_LLM_API_KEY.")),
    (("--llm-model", "llm_model"), dict(default=None, help="The model name (env MATOME_LLM_MODEL).")),
    (("--llm-dry-run", "llm_dry_run"), dict(is_flag=True, help="Print the calls, estimated tokens and cost; send nothing, write nothing.")),
    (("--llm-max-cost", "llm_max_cost"), dict(type=float, default=None, help="Stop asking the model before the estimated spend "
     "exceeds this (USD); the remaining parts keep matome's own text.")),
    (("--llm-prices", "llm_prices"), dict(default=None, help="A JSON file of prices: model name to a pair (input, output) in USD per 1M tokens.")),
    (("--llm-concurrency", "llm_concurrency"), dict(type=int, default=2, help="Requests in flight at once.")),
    (("--llm-timeout", "llm_timeout"), dict(type=float, default=300.0, help="Seconds to wait for one answer (local models can be slow).")),
    (("--llm-retries", "llm_retries"), dict(type=int, default=3, help="Retries of a call after 429, 5xx, a time-out or a dropped connection.")),
    (("--llm-cache", "llm_cache"), dict(default=None, help="Directory of cached answers (default: $XDG_CACHE_HOME/matome, else ~/.cache/matome).")),
)


def llm_options(*, cache: bool = False):
    """Decorate a command with the --llm options (``--llm-cache`` too when ``cache``); the
    command receives them as ``llm``, ``llm_base_url`` … ``llm_retries`` (``llm_cache``)."""

    def decorate(f):
        for decls, attrs in reversed(_OPTIONS):
            if decls[0] == "--llm-cache" and not cache:
                continue
            f = click.option(*decls, **attrs)(f)
        return f

    return decorate


@dataclass
class LlmOptions:
    llm: bool = False
    base_url: str | None = None
    model: str | None = None
    dry_run: bool = False
    max_cost: float | None = None
    prices: str | None = None
    concurrency: int = 2
    timeout: float = 300.0
    retries: int = 3
    cache: str | None = None

    @property
    def wanted(self) -> bool:
        return self.llm or self.dry_run


def _check_given_without_llm(o: LlmOptions) -> None:
    if o.wanted:
        return
    given = [name for name, value, default in (
        ("--llm-base-url", o.base_url, None), ("--llm-model", o.model, None), ("--llm-max-cost", o.max_cost, None),
        ("--llm-prices", o.prices, None), ("--llm-concurrency", o.concurrency, 2), ("--llm-timeout", o.timeout, 300.0),
        ("--llm-retries", o.retries, 3), ("--llm-cache", o.cache, None),
    ) if value != default]
    if given:
        fail(f"{given[0]} goes with --llm")


def make_writer(o: LlmOptions, cache=None):
    """A :class:`matome.llm.writer.Writer` for the options, None without --llm; exits with one
    line on a bad setting."""
    _check_given_without_llm(o)
    if not o.wanted:
        return None
    import importlib

    try:
        importlib.import_module("openai")
        importlib.import_module("pydantic")
    except ImportError:
        fail("--llm needs the optional dependencies: pip install 'matome[llm]'")
    from matome.llm import cost as costs
    from matome.llm.writer import LlmSettings, Writer

    model = o.model or os.environ.get("MATOME_LLM_MODEL")
    if not model:
        fail("--llm needs a model: --llm-model NAME or MATOME_LLM_MODEL")
    base_url = o.base_url or os.environ.get("MATOME_LLM_BASE_URL") or None
    api_key = os.environ.get("MATOME_LLM_API_KEY", "")
    if base_url and not base_url.lower().startswith(("http://", "https://")):
        fail(f"--llm-base-url must be an http:// or https:// URL, not {base_url!r}")
    if not base_url and not api_key and not o.dry_run:
        fail("--llm needs --llm-base-url (e.g. http://127.0.0.1:11434/v1 for Ollama) or MATOME_LLM_API_KEY for the OpenAI API")
    if o.concurrency < 1:
        fail(f"--llm-concurrency must be at least 1, not {o.concurrency}")
    if not o.timeout > 0:
        fail(f"--llm-timeout must be positive, not {o.timeout}")
    if o.retries < 0:
        fail(f"--llm-retries cannot be negative: {o.retries}")
    if o.max_cost is not None and o.max_cost < 0:
        fail(f"--llm-max-cost cannot be negative: {o.max_cost}")
    try:
        prices = costs.load_prices(o.prices)
    except costs.PriceError as e:
        fail(f"--llm-prices: {e}")
    try:
        backoff = float(os.environ.get("MATOME_LLM_BACKOFF", "1.0"))
    except ValueError:
        fail("MATOME_LLM_BACKOFF must be a number of seconds")
    settings = LlmSettings(model=model, base_url=base_url, api_key=api_key, timeout=o.timeout, retries=o.retries,
                           backoff=max(0.0, backoff), concurrency=o.concurrency, max_cost=o.max_cost, prices=prices)
    if o.max_cost is not None and settings.price is None:
        fail(f"no price known for model {model!r}: give it with --llm-prices FILE to use --llm-max-cost")
    return Writer(settings, cache)


def dir_cache(o: LlmOptions):
    from matome.llm.cache import DirCache, default_cache_dir

    return DirCache(o.cache or default_cache_dir())


def print_plan(writer, calls) -> None:
    """The dry run's table on standard output."""
    s = writer.settings
    where = s.base_url or "the OpenAI API"
    lines = [f"LLM dry run: model {s.model} at {where}; nothing was sent", "",
             "entry\tpart\ttokens in\ttokens out\tcost (USD)"]
    for c in calls:
        cost = "cached" if c.cached else ("?" if c.cost is None else f"{c.cost:.4f}")
        lines.append(f"{c.entry[:40]}\t{c.task}\t{c.tokens_in}\t{c.tokens_out}\t{cost}")
    todo = [c for c in calls if not c.cached]
    tin = sum(c.tokens_in for c in todo)
    tout = sum(c.tokens_out for c in todo)
    lines.append("")
    lines.append(f"{len(calls)} calls ({len(calls) - len(todo)} cached): about {tin:,} input and {tout:,} output tokens")
    if s.price is None:
        lines.append(f"price of {s.model!r} unknown: give it with --llm-prices FILE for an estimate")
    else:
        total = sum(c.cost or 0.0 for c in todo)
        lines.append(f"estimated cost ${total:.4f} (a rejected answer is asked once more: at most ${2 * total:.4f})")
    click.echo("\n".join(lines))


def report_usage(writer, quiet: bool) -> None:
    if quiet or writer is None:
        return
    lg = writer.ledger
    price = writer.settings.price
    spent = f"${lg.spent:.4f}" if price is not None else "cost unknown (no price for the model)"
    err_console.print(
        f"matome: LLM {writer.settings.model}: {writer.http_requests} requests, {lg.cached} answers from the cache, "
        f"{lg.tokens_in:,} input and {lg.tokens_out:,} output tokens, {spent}"
    )
