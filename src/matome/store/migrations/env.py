"""Alembic environment for the matome archive.

matome runs migrations itself (``matome.store.migrate.upgrade``) with an open connection in
``config.attributes["connection"]``; there is no alembic.ini to edit.
"""

from __future__ import annotations

from alembic import context

from matome.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run matome's migrations through matome.store.migrate.upgrade(engine)")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
