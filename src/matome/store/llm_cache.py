"""The LLM writer's answer cache in the archive database (table ``llm_cache``, migration 0003).

Same interface as :class:`matome.llm.cache.DirCache`; used by ``matome ingest --llm`` and
``matome redigest --llm`` so that the answers live with the archive they were made for.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError

from matome.llm.cache import CachedAnswer
from matome.store.ingest import utc_now
from matome.store.schema import llm_cache

RETRIES = 5


class DbAnswerCache:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, key: str) -> CachedAnswer | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(llm_cache).where(llm_cache.c.key == key)).first()
        if row is None:
            return None
        return CachedAnswer(row.content, row.tokens_in, row.tokens_out, row.finish_reason)

    def put(self, key: str, model: str, answer: CachedAnswer) -> None:
        values = dict(key=key, model=model, content=answer.content, tokens_in=answer.tokens_in,
                      tokens_out=answer.tokens_out, finish_reason=answer.finish_reason, created_at=utc_now())
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            stmt = pg_insert(llm_cache).values(**values).on_conflict_do_nothing(index_elements=["key"])
        elif dialect == "sqlite":
            stmt = sqlite_insert(llm_cache).values(**values).on_conflict_do_nothing(index_elements=["key"])
        else:
            stmt = insert(llm_cache).values(**values)
        for attempt in range(RETRIES):
            try:
                with self.engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
                    conn.execute(stmt)
                return
            except OperationalError:  # a lock held by a concurrent writer: try again shortly
                if attempt + 1 == RETRIES:
                    raise
                time.sleep(0.05 * (attempt + 1))
