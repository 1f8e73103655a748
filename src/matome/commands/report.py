"""``matome report ID -o FILE.html``: one article page as a single self-contained HTML file."""

from __future__ import annotations

import typer

from matome.commands.common import fail, warn, write_out
from matome.model import DB_INT_MAX


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        article_id: int = typer.Argument(..., metavar="ID", min=1, max=DB_INT_MAX, help="The article id (as in /articles/ID)."),
        db: str = typer.Option(None, "--db", help="Archive database: a path or a SQLAlchemy URL (default $MATOME_DB or ./matome.db)."),
        out: str = typer.Option("-", "-o", "--output", help="The HTML file to write (- for standard output)."),
    ) -> None:
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
