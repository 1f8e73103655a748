"""``matome redigest``: recompute digests whose engine version, settings or entry changed."""

from __future__ import annotations

import click
from click.exceptions import Exit

from matome.commands import llm as llm_opts
from matome.commands.base import IntRange
from matome.commands.common import err_console, fail, plural, warn
from matome.commands.ingest import DB_HELP, open_for_command, parse_settings
from matome.model import DB_INT_MAX
from matome.store import StoreError


def register(app: click.Group) -> None:
    @app.command("redigest")
    @click.option("--db", "db", default=None, help=DB_HELP)
    @click.option("--article", "article", type=IntRange(1, DB_INT_MAX), multiple=True, metavar="ID",
                  help="Only these article ids (repeatable).")
    @click.option("--all", "force", is_flag=True, help="Recompute every digest, stale or not.")
    @click.option("--set", "settings", multiple=True, help="A digest setting NAME=VALUE (repeatable).")
    @llm_opts.llm_options()
    def redigest(db: str | None, article: tuple[int, ...], force: bool, settings: tuple[str, ...], llm: bool,
                 llm_base_url: str | None, llm_model: str | None, llm_dry_run: bool, llm_max_cost: float | None,
                 llm_prices: str | None, llm_concurrency: int, llm_timeout: float, llm_retries: int) -> None:
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
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
            with Progress(*columns, console=err_console.rich, transient=True) as bar:
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
        click.echo(f"redigested {done:,} of {plural(len(ids), 'stale digest')}, failed {len(failures):,}")
        if failures:
            raise Exit(1)
