"""``matome export``: write the archive back out (archive format, JSON Lines or CSV)."""

from __future__ import annotations

import sys
from enum import Enum

import click

from matome.commands.base import IntRange
from matome.commands.common import fail, plural, warn
from matome.commands.ingest import DB_HELP, open_for_command
from matome.model import DB_INT_MAX
from matome.store.export import export_text


class Format(str, Enum):
    archive = "archive"
    jsonl = "jsonl"
    csv = "csv"


def register(app: click.Group) -> None:
    @app.command("export")
    @click.option("--db", "db", default=None, help=DB_HELP)
    @click.option("--format", "-f", "fmt", type=click.Choice([f.value for f in Format]), default=Format.archive.value,
                  help="archive (as ingested, byte for byte), jsonl (entries with their digests) or csv (one row per comment).")
    @click.option("-o", "--out", "out", default=None, help="Output file (default: standard output).")
    @click.option("--article", "article", type=IntRange(1, DB_INT_MAX), multiple=True, metavar="ID",
                  help="Only these article ids (repeatable).")
    @click.option("--with-digest", "with_digest", is_flag=True, help="archive: put our digests into the summary records.")
    def export(db: str | None, fmt: str, out: str | None, article: tuple[int, ...], with_digest: bool) -> None:
        """Export every article (or --article ones) with our digests."""
        fmt = Format(fmt)
        article = list(article)
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
