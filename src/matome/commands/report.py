"""``matome report ID -o FILE.html``: one article page as a single self-contained HTML file."""

from __future__ import annotations

import click

from matome.commands.base import IntRange, argument
from matome.commands.common import fail, warn, write_out
from matome.model import DB_INT_MAX


def register(app: click.Group) -> None:
    @app.command("report")
    @argument("article_id", metavar="ID", type=IntRange(1, DB_INT_MAX), help="The article id (as in /articles/ID).")
    @click.option("--db", "db", default=None,
                  help="Archive database: a path or a SQLAlchemy URL (default $MATOME_DB or ./matome.db).")
    @click.option("-o", "--output", "out", default="-", metavar="FILE", help="The HTML file to write (- for standard output).")
    def report(article_id: int, db: str | None, out: str) -> None:
        """Write an article's digest page as one HTML file that opens offline (CSS and JS inlined)."""
        from matome.store import StoreError, StoreURLError, open_store
        from matome.web.data import article_view
        from matome.web.render import render_report

        try:
            store = open_store(db, create=False, read_only=True)
        except (StoreError, StoreURLError) as e:
            fail(str(e))
        try:
            view = article_view(store, article_id)
        finally:
            store.close()
        if view is None:
            fail(f"no article {article_id} in the archive")
        if not view["has_digest"]:
            warn(f"article {article_id} has no digest yet: the report shows the archived summaries only")
        write_out(render_report(view), out)
        if out not in (None, "-"):
            warn(f"wrote {out}")
