"""``matome batch``: digest (or re-digest) the articles of the archive in parallel."""

from __future__ import annotations

import click
from click.exceptions import Exit

from matome.commands.common import err_console, fail, warn
from matome.commands.ingest import DB_HELP, open_for_command, parse_settings


def register(app: click.Group) -> None:
    @app.command("batch")
    @click.option("--db", "db", default=None, help=DB_HELP)
    @click.option("--workers", "workers", type=int, default=None,
                  help="Worker processes or Ray actors (default: the cores here, or the cluster's CPUs).")
    @click.option("--ray", "ray", default=None, metavar="ADDRESS|local",
                  help="Run on Ray: 'local' starts Ray here, else a cluster address such as auto or ray://head:10001 (needs the ray extra of matome).")
    @click.option("--only-stale", "only_stale", is_flag=True, help="Only re-digest stale digests; leave articles without a digest alone.")
    @click.option("--limit", "limit", type=int, default=None, help="At most this many articles (lowest ids first).")
    @click.option("--set", "settings", multiple=True, help="A digest setting NAME=VALUE (repeatable).")
    def batch(db: str | None, workers: int | None, ray: str | None, only_stale: bool, limit: int | None,
              settings: tuple[str, ...]) -> None:
        """Digest every article without a current digest, in parallel (resumable: run it again
        after an interruption and it finishes what is missing)."""
        from matome.batch import BatchError, plan, run
        from matome.batch.progress import Reporter
        from matome.store import StoreError

        if workers is not None and workers < 1:
            fail(f"--workers must be at least 1, got {workers}")
        if limit is not None and limit < 1:
            fail(f"--limit must be at least 1, got {limit}")
        if ray is not None and not ray.strip():
            fail("--ray expects 'local' or a cluster address")
        parsed = parse_settings(settings)
        _require_archive(db)
        store = open_for_command(db)
        try:
            try:
                job = plan(store, parsed, only_stale=only_stale, limit=limit)
            except ValueError as e:
                fail(str(e))
            url = store.url
        finally:
            store.close()
        if not job.ids:
            click.echo("nothing to digest: every digest is current")
            return
        reporter = Reporter(job, err_console.rich)
        try:
            with reporter:
                summary = run(url, job, workers=workers, ray=ray.strip() if ray else None, on_done=reporter.advance)
        except (BatchError, StoreError) as e:
            fail(str(e))
        except KeyboardInterrupt:
            # what was stored stays stored: the next run plans only what is missing
            warn(f"interrupted: {reporter.done} of {len(job.ids)} digested; run the same command again to finish")
            raise Exit(130) from None
        for aid, message in summary.failures:
            warn(f"failed: article {aid}: {message}")
        rate = f"{summary.rate:.2f} articles/s, {summary.comments / summary.seconds:,.0f} comments/s" if summary.seconds else ""
        restarted = f", worker pool restarted {summary.restarts} times" if summary.restarts else ""
        click.echo(f"digested {summary.done} of {summary.planned} articles in {summary.seconds:.1f} s ({rate}), "
                   f"failed {len(summary.failures)}{restarted}")
        if summary.failures:
            raise Exit(1)


def _require_archive(db: str | None) -> None:
    """A batch digests an existing archive: a SQLite path that does not exist is a mistake,
    not a new empty archive to create."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from matome.store import StoreURLError, resolve_url

    try:
        url = make_url(resolve_url(db))
    except StoreURLError as e:
        fail(str(e))
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        fail(f"no archive at {url.database} (matome ingest creates one)")
