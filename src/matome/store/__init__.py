"""The archive database (SQLAlchemy Core; SQLite by default, PostgreSQL for shared use).

    from matome.store import open_store
    store = open_store("archive.db")          # or "postgresql://…", or None for $MATOME_DB / ./matome.db
    report = store.ingest_entries(entries)
    store.search("半導体", min_up=10)
"""

from matome.store.engine import StoreURLError, resolve_url
from matome.store.ingest import IngestFailure, IngestReport
from matome.store.search import ArticleResult, SearchHit, SearchPage, SearchQueryError
from matome.store.store import ORDERS, ArticleRow, Store, StoreError, VotePoint, open_store

__all__ = [
    "ORDERS", "ArticleRow", "IngestFailure", "IngestReport", "SearchHit", "SearchPage", "ArticleResult", "SearchQueryError", "Store",
    "StoreError", "StoreURLError", "VotePoint", "open_store", "resolve_url",
]
