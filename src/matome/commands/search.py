"""``matome search QUERY``: find articles and comments by Japanese words."""

from __future__ import annotations

import json

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from matome.commands.common import err_console, fail
from matome.commands.ingest import DB_HELP, open_for_command
from matome.model import DB_INT_MAX
from matome.store import SearchQueryError


def register(app: typer.Typer) -> None:
    @app.command("search")
    def search(
        query: str = typer.Argument(..., help="Words to find (all must occur); 1 or 2 characters work too."),
        db: str = typer.Option(None, "--db", help=DB_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print the hits as JSON."),
        since: str = typer.Option(None, "--since", help="Articles published on or after this date (YYYY-MM-DD)."),
        until: str = typer.Option(None, "--until", help="Articles published on or before this date (YYYY-MM-DD)."),
        source: str = typer.Option(None, "--source", help="Only articles from this source (e.g. 'ABEMA TIMES')."),
        article: int = typer.Option(None, "--article", min=1, max=DB_INT_MAX, metavar="ID", help="Only this article id."),
        min_up: int = typer.Option(0, "--min-up", min=0, max=DB_INT_MAX, metavar="N",
                                   help="Only comments with at least this many ▲."),
        limit: int = typer.Option(20, "--limit", min=1, max=1000, metavar="N", help="Show at most N hits."),
        offset: int = typer.Option(0, "--offset", min=0, max=DB_INT_MAX, metavar="N", help="Skip the first N hits."),
    ) -> None:
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
            typer.echo(json.dumps(page.to_dict(), ensure_ascii=False, indent=2))
            return
        if not page.total:
            typer.echo(f"「{query}」に一致するものはありません")
            return
        total = f"{page.total:,} 件" + ("" if page.total_exact else "以上")
        if not page.results:
            typer.echo(f"「{query}」に一致する記事 {total} ({offset + 1} 件目以降はありません)")
            return
        last = offset + len(page.results)
        typer.echo(f"「{query}」に一致する記事 {total} ({offset + 1}〜{last} 件目)")
        labels = {"title": "見出し", "summary": "要約", "body": "本文", "comment": "コメント"}
        for r in page.results:
            typer.echo(f"[{r.article_id}] {r.title}")
            for h in r.hits:
                where = f" #{h.comment_position + 1} ▲{h.up} ▼{h.down}" if h.kind == "comment" else ""
                typer.echo(f"    {labels[h.kind]}{where}: {h.marked()}")
            shown = sum(1 for h in r.hits if h.kind == "comment")
            if r.comment_matches > shown:
                typer.echo(f"    (ほかに一致したコメント {r.comment_matches - shown} 件)")
        if page.more:
            typer.echo(f"続き: --offset {last}")
