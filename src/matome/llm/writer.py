"""The optional LLM writer: asks the model to word each part, gates the answers, keeps the rest.

For one entry and its offline digest:

1. the (要約) task and one task per main opinion group run first (``concurrency`` at a time);
2. then the discussion and [まとめ] tasks, which name the groups as the first step left them;
3. each task: the cached answer, else a request; parse and validate (``schemas``); gates
   (``gates``); on a failure one retry that lists the problems; then the offline text.

A re-run with the same input, model, prompts and settings finds every answer in the cache:
no request, the same bytes. ``plan`` lists the first-attempt calls with their estimated tokens
and cost without sending anything (``--llm-dry-run``).
"""

from __future__ import annotations

import ipaddress
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from matome.llm import cost as costs
from matome.llm.apply import Outcome, apply_outcomes
from matome.llm.cache import AnswerCache, CachedAnswer, cache_key
from matome.llm.client import CallFailed, ChatClient, ClientSettings, Refused
from matome.llm.gates import REASONS, GateError, check_answer, reason
from matome.llm.inputs import Task, context, discussion_tasks, group_tasks, summary_task
from matome.llm.prompts import PROMPT_VERSION, first_messages, retry_messages
from matome.llm.schemas import parse, wire_schema
from matome.model import Digest, Entry


@dataclass
class LlmSettings:
    model: str
    base_url: str | None = None
    api_key: str = field(default="", repr=False)
    timeout: float = 300.0
    retries: int = 3
    backoff: float = 1.0
    concurrency: int = 2
    max_cost: float | None = None
    prices: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(costs.DEFAULT_PRICES))
    seed: int = 0
    max_tokens: int = 1500

    @property
    def local(self) -> bool:
        """True when the server is on this machine or a private network (free unless priced)."""
        if not self.base_url:
            return False
        host = urlsplit(self.base_url).hostname or ""
        if host == "localhost":
            return True
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        return ip.is_loopback or ip.is_private

    @property
    def price(self) -> tuple[float, float] | None:
        return costs.price_of(self.model, self.prices, self.local)

    def sampling(self) -> dict:
        return {"temperature": 0, "seed": self.seed, "max_tokens": self.max_tokens}


@dataclass(frozen=True)
class PlannedCall:
    entry: str
    task: str
    cached: bool
    tokens_in: int
    tokens_out: int
    cost: float | None


class _OverBudget(Exception):
    pass


class _NotCached(CallFailed):
    """A dry run needs an answer that is not in the cache (nothing is sent)."""


class Writer:
    """One run's client, cache and ledger; ``rewrite`` may be called for many entries."""

    def __init__(self, settings: LlmSettings, cache: AnswerCache | None = None) -> None:
        self.settings = settings
        self.cache = cache
        self.ledger = costs.Ledger(settings.price, settings.max_cost)
        self._client: ChatClient | None = None
        self._refused: str | None = None
        self._cache_only = False
        self._lock = threading.Lock()
        self.http_requests = 0

    # ------------------------------------------------------------------ calls

    def _count_request(self) -> None:
        with self._lock:
            self.http_requests += 1

    def client(self) -> ChatClient:
        with self._lock:
            if self._client is None:
                s = self.settings
                self._client = ChatClient(
                    ClientSettings(s.base_url, s.model, s.api_key, s.timeout, s.retries, s.backoff, s.seed, s.max_tokens),
                    on_request=self._count_request,
                )
            return self._client

    def _key(self, task: Task, messages: list[dict[str, str]]) -> str:
        return cache_key(self.settings.model, PROMPT_VERSION, wire_schema(task.kind), self.settings.sampling(), messages)

    def _estimate(self, task: Task, messages: list[dict[str, str]]) -> tuple[int, int]:
        out = min(self.settings.max_tokens, int(task.offline_chars * 1.3) + 80)
        return costs.estimate_prompt(messages), out

    def _ask(self, task: Task, messages: list[dict[str, str]]) -> CachedAnswer:
        key = self._key(task, messages)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self.ledger.hit()
                return hit
        if self._cache_only:
            raise _NotCached("not in the cache")
        tin, _ = self._estimate(task, messages)
        estimate = costs.cost(tin, self.settings.max_tokens, self.settings.price)
        if not self.ledger.reserve(estimate):
            raise _OverBudget()
        try:
            reply = self.client().complete(messages, task.kind, wire_schema(task.kind))
        finally:
            self.ledger.release(estimate)
        answer = CachedAnswer(
            reply.content,
            reply.tokens_in if reply.tokens_in is not None else tin,
            reply.tokens_out if reply.tokens_out is not None else costs.estimate_tokens(reply.content),
            reply.finish_reason,
        )
        self.ledger.answered(answer.tokens_in, answer.tokens_out)
        if self.cache is not None:
            self.cache.put(key, self.settings.model, answer)
        return answer

    def run_task(self, task: Task) -> Outcome:
        messages = first_messages(task)
        errors: list[str] = []
        for attempt in range(2):
            if self._refused:
                return Outcome(task, None, self._refused)
            try:
                answer = self._ask(task, messages)
            except Refused as e:
                self._refused = e.note
                return Outcome(task, None, e.note)
            except CallFailed as e:
                return Outcome(task, None, e.note)
            except _OverBudget:
                return Outcome(task, None, "費用の上限（--llm-max-cost）に達するため、LLM に依頼しませんでした")
            parsed, errors = parse(task.kind, answer.content)
            if parsed is None and answer.finish_reason == "length":
                errors = [GateError("回答が途中で切れていました。もっと短く書いてください。", "format")] + errors
            if parsed is not None:
                accepted, errors = check_answer(task, parsed)
                if accepted is not None:
                    return Outcome(task, accepted)
            if attempt == 0:
                messages = retry_messages(messages, answer.content, errors)
        why = "、".join(dict.fromkeys(reason(e) for e in errors)) or REASONS["format"]
        return Outcome(task, None, f"LLM の文章が2回とも検査に通りませんでした（{why}）")

    def _run_all(self, tasks: list[Task]) -> list[Outcome]:
        if not tasks:
            return []
        workers = max(1, min(self.settings.concurrency, len(tasks)))
        if workers == 1:
            return [self.run_task(t) for t in tasks]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(self.run_task, tasks))

    # ------------------------------------------------------------------ entries

    def rewrite(self, entry: Entry, digest: Digest) -> Digest:
        """The digest with the parts the model wrote and that passed every gate."""
        ctx = context(entry, digest)
        first = [t for t in [summary_task(ctx)] if t is not None] + group_tasks(ctx)
        outcomes = self._run_all(first)
        labels = {o.task.group_id: o.accepted.label for o in outcomes
                  if o.task.kind == "group" and o.accepted is not None}
        outcomes += self._run_all(discussion_tasks(ctx, labels))
        return apply_outcomes(digest, outcomes, self.settings.model)

    def plan(self, entry: Entry, digest: Digest) -> list[PlannedCall]:
        """The first attempt of every call ``rewrite`` would make (retries are not counted).
        Sends nothing: the group names of the discussion tasks are those of cached answers
        that pass the gates, else the offline ones."""
        ctx = context(entry, digest)
        first = [t for t in [summary_task(ctx)] if t is not None] + group_tasks(ctx)
        self._cache_only = True
        try:
            outcomes = [self.run_task(t) for t in first if t.kind == "group"]
        finally:
            self._cache_only = False
        labels = {o.task.group_id: o.accepted.label for o in outcomes if o.accepted is not None}
        tasks = first + discussion_tasks(ctx, labels)
        out = []
        price = self.settings.price
        for t in tasks:
            messages = first_messages(t)
            cached = self.cache is not None and self.cache.get(self._key(t, messages)) is not None
            tin, tout = self._estimate(t, messages)
            out.append(PlannedCall(entry.title, t.key, cached, tin, tout,
                                   0.0 if cached else (None if price is None else costs.cost(tin, tout, price))))
        return out
