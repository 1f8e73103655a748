"""``matome export``: write the archive back out (archive format, JSON Lines or CSV)."""

from __future__ import annotations

import sys
from enum import Enum

import typer

from matome.commands.common import fail, plural, warn
from matome.commands.ingest import DB_HELP, open_for_command
from matome.model import DB_INT_MAX
from matome.store.export import export_text


class Format(str, Enum):
    archive = "archive"
    jsonl = "jsonl"
    csv = "csv"


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export(
        db: str = typer.Option(None, "--db", help=DB_HELP),
        fmt: Format = typer.Option(Format.archive, "--format", "-f", help="archive (as ingested, byte for byte), jsonl (entries with their digests) or csv (one row per comment)."),
        out: str = typer.Option(None, "-o", "--out", help="Output file (default: standard output)."),
        article: list[int] = typer.Option(None, "--article", min=1, max=DB_INT_MAX, metavar="ID", help="Only these article ids (repeatable)."),
        with_digest: bool = typer.Option(False, "--with-digest", help="archive: put our digests into the summary records."),
    ) -> None:
        """Export every article (or --article ones) with our digests."""
        store = open_for_command(db, read_only=True)
        try:
            if out in (None, "-"):
                count = export_text(store, fmt.value, sys.stdout, article_ids=article or None, with_digest=with_digest)
                sys.stdout.flush()
            else:
                try:
                    with open(out, "w", encoding="utf-8", newline="") as f:
                        count = export_text(store, fmt.value, f, article_ids=article or None, with_digest=with_digest)
                except OSError as e:
                    fail(f"cannot write {out}: {e.strerror or e}")
                warn(f"exported {plural(count, 'article')} to {out}")
        finally:
            store.close()
