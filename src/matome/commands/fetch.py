"""``matome fetch URL [-o FILE] [--allow-private] [--raw]``: a page as an archive entry."""

from __future__ import annotations

import sys

import click

from matome.commands.base import argument
from matome.commands.common import fail, plural, warn, write_out
from matome.io.archive import write_entries
from matome.io.fetch import FetchError, Fetcher, FetchOptions
from matome.io.sources import SourceError, is_url, load_entries


def register(app: click.Group) -> None:
    @app.command("fetch")
    @argument("url", help="The article URL (http or https).")
    @click.option("-o", "--out", "out", default=None, help="Output file (default: standard output).")
    @click.option("--allow-private", "allow_private", is_flag=True,
                  help="Allow loopback, private and link-local addresses (your own network).")
    @click.option("--raw", "raw", is_flag=True, help="Write the page's HTML as received instead of an archive entry.")
    @click.option("--comments", "comments", default=None, help="A comment table (CSV/JSONL/XLSX) to add to the entry.")
    @click.option("--map", "mapping", default=None, help="Columns of the comment table, e.g. text=本文,up=賛成,down=反対.")
    @click.option("--ignore-robots", "no_robots", is_flag=True, help="Do not consult robots.txt (only for your own sites).")
    @click.option("--follow-other-host", "other_hosts", is_flag=True,
                  help="Fetch a split article's further pages from the host named inside the page (default: the host of URL).")
    def fetch(url: str, out: str | None, allow_private: bool, raw: bool, comments: str | None, mapping: str | None,
              no_robots: bool, other_hosts: bool) -> None:
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
