"""``matome search QUERY``: find articles and comments by Japanese words."""

from __future__ import annotations

import json

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from matome.commands.base import IntRange, argument
from matome.commands.common import err_console, fail
from matome.commands.ingest import DB_HELP, open_for_command
from matome.model import DB_INT_MAX
from matome.store import SearchQueryError


def register(app: click.Group) -> None:
    @app.command("search")
    @argument("query", metavar="WORDS", help="Words to find (all must occur); 1 or 2 characters work too.")
    @click.option("--db", "db", default=None, help=DB_HELP)
    @click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
    @click.option("--since", "since", default=None, help="Articles published on or after this date (YYYY-MM-DD).")
    @click.option("--until", "until", default=None, help="Articles published on or before this date (YYYY-MM-DD).")
    @click.option("--source", "source", default=None, help="Only articles from this source (e.g. 'ABEMA TIMES').")
    @click.option("--article", "article", type=IntRange(1, DB_INT_MAX), default=None, metavar="ID", help="Only this article id.")
    @click.option("--min-up", "min_up", type=IntRange(0, DB_INT_MAX), default=0, metavar="N",
                  help="Only comments with at least this many ▲.")
    @click.option("--limit", "limit", type=IntRange(1, 1000), default=20, metavar="N", help="Show at most N hits.")
    @click.option("--offset", "offset", type=IntRange(0, DB_INT_MAX), default=0, metavar="N", help="Skip the first N hits.")
    def search(query: str, db: str | None, as_json: bool, since: str | None, until: str | None, source: str | None,
               article: int | None, min_up: int, limit: int, offset: int) -> None:
        """Search titles, summaries, bodies and comments: one result per article (titles first, then summaries, bodies, comments; newer articles first, articles found by comments by their most ▲), with the total (counted up to 1,000)."""
        if not query.strip():
            fail("the query is empty: give the words to find")
        store = open_for_command(db, read_only=True)
        try:
            # index what the last ingests left (about 45-50 s per million new comments)
            with err_console.status("検索用の索引を更新しています…"):
                try:
                    store.build_search_index()
                except (OperationalError, ProgrammingError):
                    pass  # a read-only archive (or role): the search scans the rows not yet indexed
            page = store.search_articles(query, since=since, until=until, source=source, article_id=article,
                                         min_up=min_up, limit=limit, offset=offset)
        except SearchQueryError as e:
            fail(str(e))
        finally:
            store.close()
        if as_json:
            click.echo(json.dumps(page.to_dict(), ensure_ascii=False, indent=2))
            return
        if not page.total:
            click.echo(f"「{query}」に一致するものはありません")
            return
        total = f"{page.total:,} 件" + ("" if page.total_exact else "以上")
        if not page.results:
            click.echo(f"「{query}」に一致する記事 {total} ({offset + 1} 件目以降はありません)")
            return
        last = offset + len(page.results)
        click.echo(f"「{query}」に一致する記事 {total} ({offset + 1}〜{last} 件目)")
        labels = {"title": "見出し", "summary": "要約", "body": "本文", "comment": "コメント"}
        for r in page.results:
            click.echo(f"[{r.article_id}] {r.title}")
            for h in r.hits:
                where = f" #{h.comment_position + 1} ▲{h.up} ▼{h.down}" if h.kind == "comment" else ""
                click.echo(f"    {labels[h.kind]}{where}: {h.marked()}")
            shown = sum(1 for h in r.hits if h.kind == "comment")
            if r.comment_matches > shown:
                click.echo(f"    (ほかに一致したコメント {r.comment_matches - shown} 件)")
        if page.more:
            click.echo(f"続き: --offset {last}")
