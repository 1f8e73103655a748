"""``matome show FILE``: a readable view of each archived entry."""

from __future__ import annotations

import click
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from matome.commands.base import IntRange, argument
from matome.commands.common import read_entries
from matome.model import Comment, Entry


def _snippet(text: str, width: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _comment_table(title: str, comments: list[Comment]) -> Table:
    table = Table(title=title, show_lines=False, expand=True)
    table.add_column("▲", justify="right", style="green", no_wrap=True)
    table.add_column("▼", justify="right", style="red", no_wrap=True)
    table.add_column("コメント", ratio=1)
    for c in comments:
        table.add_row(str(c.votes.up), str(c.votes.down), escape(_snippet(c.text)))
    return table


def render_entry(console: Console, entry: Entry, top: int) -> None:
    h = entry.headline
    comments = list(entry.comments)
    up = sum(c.votes.up for c in comments)
    down = sum(c.votes.down for c in comments)
    published = h.published_at.strftime("%Y-%m-%d %H:%M") if h.published_at else (h.published_text or "不明")
    meta = (
        f"配信元: {h.source or '不明'}    配信日時: {published}\n"
        f"URL: {h.url or 'なし'}\n"
        f"コメント {len(comments)} 件    ▲ {up}    ▼ {down}    記録 {h.record.id}"
    )
    console.print(Panel(escape(meta), title=escape(h.title), title_align="left"))
    if entry.summary.paragraphs:
        console.print("[bold](要約)[/bold]")
        for p in entry.summary.paragraphs:
            console.print(escape(p))
    if entry.discussion.paragraphs or entry.discussion.matome_headline:
        console.print("[bold]議論のまとめ[/bold]")
        for p in entry.discussion.paragraphs:
            console.print(escape(p))
        console.print(escape("[まとめ]" + entry.discussion.matome_headline))
        for p in entry.discussion.matome_paragraphs:
            console.print(escape(p))
    if comments:
        most_up = sorted(comments, key=lambda c: (-c.votes.up, c.position))[:top]
        most_down = sorted(comments, key=lambda c: (-c.votes.down, c.position))[:top]
        console.print(_comment_table(f"▲ の多いコメント (上位 {len(most_up)} 件)", most_up))
        console.print(_comment_table(f"▼ の多いコメント (上位 {len(most_down)} 件)", most_down))
    console.print()


def register(app: click.Group) -> None:
    @app.command("show")
    @argument("path", help="An archive file, a directory of them, or - for standard input.")
    @click.option("--top", "top", type=IntRange(min=1), default=3, help="How many of the most ▲ and most ▼ comments to show.")
    @click.option("--keep-going", "keep_going", is_flag=True, help="Skip bad entries and report them.")
    def show(path: str, top: int, keep_going: bool) -> None:
        """Show each entry: title, source, date, counts, and the most ▲ and most ▼ comments."""
        result = read_entries(path, keep_going)
        console = Console(highlight=False)
        for entry in result.entries:
            render_entry(console, entry, top)
