"""``matome redigest``: recompute digests whose engine version, settings or entry changed."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from matome.commands.common import err_console, fail, plural, warn
from matome.commands.ingest import DB_HELP, open_for_command, parse_settings
from matome.model import DB_INT_MAX
from matome.store import StoreError


def register(app: typer.Typer) -> None:
    @app.command("redigest")
    def redigest(
        db: str = typer.Option(None, "--db", help=DB_HELP),
        article: list[int] = typer.Option(None, "--article", min=1, max=DB_INT_MAX, metavar="ID", help="Only these article ids (repeatable)."),
        force: bool = typer.Option(False, "--all", help="Recompute every digest, stale or not."),
        settings: list[str] = typer.Option(None, "--set", help="A digest setting NAME=VALUE (repeatable)."),
    ) -> None:
        """Bring stored digests up to date with the current engine and settings."""
        parsed = parse_settings(settings)
        store = open_for_command(db)
        try:
            try:
                ids = list(article) if article else store.stale_digests(parsed, force=force)
            except ValueError as e:
                fail(str(e))
            columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
            with Progress(*columns, console=err_console, transient=True) as bar:
                task = bar.add_task("要約を再計算中", total=len(ids))
                try:
                    done, failures = store.redigest(ids, settings=parsed, progress=lambda _a, _ok: bar.advance(task))
                except StoreError as e:
                    fail(str(e))
        finally:
            store.close()
        for aid, message in failures:
            warn(f"failed: article {aid}: {message}")
        typer.echo(f"redigested {done:,} of {plural(len(ids), 'stale digest')}, failed {len(failures):,}")
        if failures:
            raise typer.Exit(1)
