"""``matome redigest``: recompute digests whose engine version, settings or entry changed."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from matome.commands import llm as llm_opts
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
        llm: bool = llm_opts.LLM,
        llm_base_url: str = llm_opts.BASE_URL,
        llm_model: str = llm_opts.MODEL,
        llm_dry_run: bool = llm_opts.DRY_RUN,
        llm_max_cost: float = llm_opts.MAX_COST,
        llm_prices: str = llm_opts.PRICES,
        llm_concurrency: int = llm_opts.CONCURRENCY,
        llm_timeout: float = llm_opts.TIMEOUT,
        llm_retries: int = llm_opts.RETRIES,
    ) -> None:
        """Bring stored digests up to date with the current engine and settings (--all --llm:
        let a language model reword every digest)."""
        parsed = parse_settings(settings)
        options = llm_opts.LlmOptions(llm, llm_base_url, llm_model, llm_dry_run, llm_max_cost, llm_prices,
                                      llm_concurrency, llm_timeout, llm_retries)
        writer = llm_opts.make_writer(options)
        store = open_for_command(db)
        try:
            try:
                ids = list(article) if article else store.stale_digests(parsed, force=force)
            except ValueError as e:
                fail(str(e))
            if writer is not None:
                writer.cache = store.llm_cache()
            if writer is not None and options.dry_run:
                from matome.store import digests as digest_engine

                calls = []
                for aid in ids:
                    entry = store.get_entry(aid)
                    if entry is None:
                        fail(f"no article {aid} in the archive")
                    calls += writer.plan(entry, digest_engine.offline_digest(entry, parsed))
                llm_opts.print_plan(writer, calls)
                return
            columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
            with Progress(*columns, console=err_console, transient=True) as bar:
                task = bar.add_task("要約を再計算中", total=len(ids))
                try:
                    done, failures = store.redigest(ids, settings=parsed, progress=lambda _a, _ok: bar.advance(task),
                                                    rewrite=writer.rewrite if writer else None)
                except StoreError as e:
                    fail(str(e))
        finally:
            store.close()
        llm_opts.report_usage(writer, False)
        for aid, message in failures:
            warn(f"failed: article {aid}: {message}")
        typer.echo(f"redigested {done:,} of {plural(len(ids), 'stale digest')}, failed {len(failures):,}")
        if failures:
            raise typer.Exit(1)
