"""``matome fetch URL [-o FILE] [--allow-private] [--raw]``: a page as an archive entry."""

from __future__ import annotations

import sys

import typer

from matome.commands.common import fail, plural, warn, write_out
from matome.io.archive import write_entries
from matome.io.fetch import FetchError, Fetcher, FetchOptions
from matome.io.sources import SourceError, is_url, load_entries


def register(app: typer.Typer) -> None:
    @app.command("fetch")
    def fetch(
        url: str = typer.Argument(..., help="The article URL (http or https)."),
        out: str = typer.Option(None, "-o", "--out", help="Output file (default: standard output)."),
        allow_private: bool = typer.Option(
            False, "--allow-private", help="Allow loopback, private and link-local addresses (your own network)."
        ),
        raw: bool = typer.Option(False, "--raw", help="Write the page's HTML as received instead of an archive entry."),
        comments: str = typer.Option(None, "--comments", help="A comment table (CSV/JSONL/XLSX) to add to the entry."),
        mapping: str = typer.Option(None, "--map", help="Columns of the comment table, e.g. text=本文,up=賛成,down=反対."),
        no_robots: bool = typer.Option(False, "--ignore-robots", help="Do not consult robots.txt (only for your own sites)."),
        other_hosts: bool = typer.Option(
            False, "--follow-other-host",
            help="Fetch a split article's further pages from the host named inside the page (default: the host of URL).",
        ),
    ) -> None:
        """Fetch an article page safely and write it as an archive entry (title, source, date, body)."""
        if not is_url(url):
            fail(f"expected an http:// or https:// URL, found {url!r}")
        options = FetchOptions(allow_private=allow_private, respect_robots=not no_robots)
        with Fetcher(options) as fetcher:
            if raw:
                try:
                    page = fetcher.get(url)
                except FetchError as e:
                    fail(f"cannot fetch {e}")
                if out in (None, "-"):
                    sys.stdout.buffer.write(page.content)
                    sys.stdout.flush()
                else:
                    try:
                        with open(out, "wb") as f:
                            f.write(page.content)
                    except OSError as e:
                        fail(f"cannot write {out}: {e.strerror or e}")
                    warn(f"wrote {len(page.content):,} bytes ({page.encoding}) from {page.url} to {out}")
                return
            parsed = None
            if mapping:
                from matome.io.tabular import parse_mapping

                try:
                    parsed = parse_mapping(mapping)
                except ValueError as e:
                    fail(f"--map: {e}")
            try:
                result = load_entries(url, comments=comments, mapping=parsed, fetcher=fetcher, other_hosts=other_hosts)
            except SourceError as e:
                fail(str(e))
        for w in result.warnings:
            warn(w)
        write_out(write_entries(result.entries), out)
        if out not in (None, "-"):
            a = result.article
            what = f"「{a.title}」 ({plural(len(a.paragraphs), 'paragraph')})" if a else plural(len(result.entries), "entry", "entries")
            warn(f"wrote {what} to {out}")
