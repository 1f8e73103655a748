"""``matome ingest PATH…``: merge archive files, entry JSONL and comment tables into the archive DB.

Idempotent: the same article merges (by URL, else headline record id), the same comment
merges, new comments are added and changed vote counts become a new snapshot. Articles are
written in batched transactions with one savepoint per article: a bad entry is reported and
never stops the good ones, and an interrupted ingest leaves whole articles only.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from click.exceptions import Exit

from matome.commands import llm as llm_opts
from matome.commands.base import argument
from matome.commands.common import err_console, fail, plural, warn
from matome.io.archive import ArchiveFormatError, EntryStream, archive_files, decode, read_bytes
from matome.io.jsonl import read_jsonl
from matome.model import Entry
from matome.store import IngestReport, Store, StoreError, StoreURLError, open_store, resolve_url
from matome.store.engine import sqlite_file

DB_HELP = "The archive: a SQLAlchemy URL (sqlite:///…, postgresql://…) or a file path [env MATOME_DB; default ./matome.db]."
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx")
PAGE_SUFFIXES = (".html", ".htm")


def open_for_command(db: str | None, *, create: bool = False, read_only: bool = False) -> Store:
    """Open the archive or exit with one clear line. Only ``ingest`` creates an archive;
    the reading commands open it ``read_only`` (a file they cannot write is still read)."""
    try:
        return open_store(db, create=create, read_only=read_only)
    except (StoreError, StoreURLError) as e:
        fail(str(e))


def parse_settings(pairs: list[str] | None) -> dict[str, str] | None:
    """``--set NAME=VALUE`` pairs, checked against the digest settings (names, values, and
    the optional package a vector method needs) before anything is read or written."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            fail(f"--set expects NAME=VALUE, got {pair!r}")
        out[name.strip()] = value.strip()
    if out:
        from matome.analyze.vectors import MissingDependencyError, require
        from matome.store.digests import effective_settings

        try:
            require(effective_settings(out).vector_method)
        except (ValueError, TypeError, MissingDependencyError) as e:
            fail(f"--set: {e}")
    return out or None


def _is_entry_jsonl(text: str) -> bool:
    if text.lstrip().startswith("["):  # a JSON array of comment objects
        return False
    for line in text.split("\n"):
        if line.strip():
            try:
                first = json.loads(line)
            except json.JSONDecodeError:
                return True  # let the entry reader report the bad line
            return isinstance(first, dict) and ("headline" in first or str(first.get("format", "")).startswith("matome.entry"))
    return True


def _comments_entry(path: Path, mapping: dict[str, str] | None = None) -> tuple[list[Entry], list[str]]:
    """A comment table (text, up, down …) as one entry, identified by the file's path."""
    from dataclasses import replace

    from matome.io import tabular

    result = tabular.read_comments(path, mapping=mapping)
    if not result.comments:
        return [], [tabular.nothing_read(str(path), result)]
    warn(tabular.describe_columns(str(path), result))
    errors = [str(e) for e in result.errors]
    entry = tabular.entry_from_comments(result.comments, title=path.stem)
    # the content-derived record ids would change with every vote: key the entry by its file
    ids = tabular.record_ids("matome.ingest.table", str(path.resolve()))
    parts = {}
    for name, rid in zip(("headline", "summary", "body", "discussion", "thread"), ids):
        part = getattr(entry, name)
        parts[name] = replace(part, record=replace(part.record, id=rid))
    return [replace(entry, **parts, origin=f"{path}:1")], errors


def page_entries(arg: str, *, allow_private: bool = False) -> tuple[list[Entry], list[str]]:
    """The article of a URL (fetched safely) or a saved .html page, through matome.io.sources."""
    from matome.io.sources import SourceError, load_entries

    try:
        result = load_entries(arg, allow_private=allow_private)
    except SourceError as e:
        return [], [f"{arg}: {e}"]
    for w in result.warnings:
        warn(w)
    return list(result.entries), []


def read_source(path: Path, mapping: dict[str, str] | None = None) -> tuple[list[Entry], list[str]]:
    """Entries of one file, and the errors of its bad entries ("file:line: message"); a
    file that holds nothing is an error too."""
    name = path.name.lower()
    try:
        if name.endswith(PAGE_SUFFIXES):
            return page_entries(str(path))
        if name.endswith(TABLE_SUFFIXES):
            return _comments_entry(path, mapping)
        data = path.read_bytes()
        if not data.strip():
            return [], [f"{path}: the file is empty"]
        if name.endswith(JSONL_SUFFIXES):
            text = decode(data, str(path))
            if not _is_entry_jsonl(text):
                return _comments_entry(path, mapping)
            result = read_jsonl(text, str(path), keep_going=True)
        else:
            result = read_bytes(data, str(path), keep_going=True)
        if not result.entries and not result.errors:
            return [], [f"{path}: holds no entries"]
    except OSError as e:
        return [], [f"{path}:0: cannot read: {e.strerror or e}"]
    except ArchiveFormatError as e:
        return [], [str(e)]
    except ValueError as e:  # the tabular reader's errors name the file and row
        return [], [str(e)]
    return list(result.entries), [str(e) for e in result.errors]


def expand(paths: list[str]) -> list[Path]:
    from matome.io.sources import is_url

    files: list[Path] = []
    for p in paths:
        if is_url(p):
            continue
        if not Path(p).exists():
            fail(f"{p}: no such file or directory")
        found = archive_files(p)
        if not found:
            fail(f"{p}: the directory is empty")
        files += found
    return files


def _add(report: IngestReport, errors: list[str]) -> None:
    for e in errors:
        report.add_failure(e.split(": ", 1)[0], e.split(": ", 1)[1] if ": " in e else e)


#: Without a terminal (a log, a pipe), a progress line every this many seconds.
PROGRESS_EVERY = 5.0


class _LogProgress:
    """Progress for a standard error that is not a terminal: a plain line now and then
    (every :data:`PROGRESS_EVERY` seconds), none for an ingest quicker than that."""

    def __init__(self, total_files: int, total_bytes: int):
        self.files, self.total_files = 0, total_files
        self.done, self.total = 0.0, max(1, total_bytes)
        self.articles = 0
        self.name = ""
        self.last = time.monotonic()

    def file(self, name: str) -> None:
        self.name = name
        self.files += 1
        self.maybe_say()

    def advance(self, n_bytes: float, articles: int = 0) -> None:
        self.done += n_bytes
        self.articles += articles
        self.maybe_say()

    def maybe_say(self) -> None:
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY:
            self.last = now
            pct = min(100, int(100 * self.done / self.total))
            warn(f"取り込み中 {self.name}: ファイル {self.files}/{self.total_files}, 記事 {self.articles:,} 件, {pct}%")


def ingest_paths(store: Store, paths: list[str], *, digest: bool, keep_going: bool, settings=None,
                 show_progress: bool = True, allow_private: bool = False, rewrite=None,
                 mapping: dict[str, str] | None = None) -> IngestReport:
    from matome.io.sources import is_url

    files = expand(paths)
    report = IngestReport()
    terminal = show_progress and err_console.is_terminal
    for url in [p for p in paths if is_url(p)]:
        if terminal:
            err_console.print(f"取得中 {url}")
        entries, errors = page_entries(url, allow_private=allow_private)
        _add(report, errors)
        if errors and not keep_going:
            return report
        report.merge(store.ingest_entries(entries, digest=digest, settings=settings, rewrite=rewrite))
    sizes = {f: f.stat().st_size for f in files}
    log = _LogProgress(len(files), sum(sizes.values())) if show_progress and not terminal else None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("bytes"),
               TimeElapsedColumn()]
    with Progress(*columns, console=err_console.rich, transient=True, disable=not terminal) as bar:
        task = bar.add_task("取り込み中", total=sum(sizes.values()) or 1)
        if keep_going:
            report.merge(_ingest_stream(store, files, sizes, bar, task, log, digest=digest, settings=settings,
                                        rewrite=rewrite, mapping=mapping, report=report))
            return report
        for f in files:
            if log:
                log.file(f.name)
            entries, errors = read_source(f, mapping)
            _add(report, errors)
            if errors and not keep_going:
                break
            size = sizes[f]
            step = size / max(1, len(entries))
            bar.update(task, description=f"取り込み中 {f.name}")

            def tick(_entry, _status):
                bar.advance(task, step)
                if log:
                    log.advance(step, 1)

            report.merge(store.ingest_entries(entries, digest=digest, progress=tick, settings=settings, rewrite=rewrite))
            if not entries:
                bar.advance(task, size)
            if report.failed and not keep_going:
                break
    return report


def _ingest_stream(store: Store, files: list[Path], sizes: dict[Path, int], bar, task, log, *, digest: bool,
                   settings, rewrite, mapping, report: IngestReport) -> IngestReport:
    """Every file's entries through one ``ingest_entries``: an archive file is parsed entry by
    entry as the ingest asks for them, so that parsing goes on while the database writes the
    batches before (on PostgreSQL, a third of the time the files took to parse and store one
    after the other). Read errors go to ``report`` as each file ends."""
    steps: dict[int, float] = {}  # id(entry) → its share of its file's bytes, for the progress bar

    def entries():
        for f in files:
            if log:
                log.file(f.name)
            bar.update(task, description=f"取り込み中 {f.name}")
            size = sizes[f]
            stream, errors = _open_stream(f, mapping)
            if stream is None:
                _add(report, errors)
                bar.advance(task, size)
                continue
            step = size / max(1, stream.expected)
            count = 0
            for entry in stream:
                count += 1
                steps[id(entry)] = step
                yield entry
            _add(report, [str(e) for e in stream.errors])
            if not count and not stream.errors:
                _add(report, [f"{f}: holds no entries"])
            if not count:
                bar.advance(task, size)

    def tick(entry, _status):
        step = steps.pop(id(entry), 0.0)
        bar.advance(task, step)
        if log:
            log.advance(step, 1)

    return store.ingest_entries(entries(), digest=digest, progress=tick, settings=settings, rewrite=rewrite)


def _open_stream(path: Path, mapping: dict[str, str] | None):
    """(stream, []) for an archive text file: its entries parsed as they are asked for
    (:class:`matome.io.archive.EntryStream`); (stream, []) with the entries read at once for
    the other kinds of file (:func:`read_source`); (None, errors) for a file that cannot be
    read or holds nothing."""
    name = path.name.lower()
    if not name.endswith(PAGE_SUFFIXES + TABLE_SUFFIXES + JSONL_SUFFIXES):
        try:
            data = path.read_bytes()
            if not data.strip():
                return None, [f"{path}: the file is empty"]
            return EntryStream(decode(data, str(path)), str(path)), []
        except OSError as e:
            return None, [f"{path}:0: cannot read: {e.strerror or e}"]
        except ArchiveFormatError as e:
            return None, [str(e)]
    entries, errors = read_source(path, mapping)
    if not entries:
        return None, errors
    return _Listed(entries, errors), []


class _Listed:
    """Entries read at once, shaped as an :class:`EntryStream`."""

    def __init__(self, entries: list[Entry], errors: list[str]):
        self.entries, self.errors, self.expected = entries, errors, len(entries)

    def __iter__(self):
        return iter(self.entries)


def plan_paths(paths: list[str], writer, settings, allow_private: bool) -> list:
    """``--llm-dry-run``: the calls the LLM writer would make for these sources (nothing is
    sent and nothing is written)."""
    from matome.io.sources import is_url
    from matome.store import digests as digest_engine

    entries: list[Entry] = []
    for url in [p for p in paths if is_url(p)]:
        entries += page_entries(url, allow_private=allow_private)[0]
    for f in expand(paths):
        entries += read_source(f)[0]
    calls = []
    for entry in entries:
        calls += writer.plan(entry, digest_engine.offline_digest(entry, settings))
    return calls


def _new_sqlite_file(db: str | None) -> Path | None:
    """The SQLite file this ingest is about to create (None: it exists, or not SQLite)."""
    try:
        path = sqlite_file(resolve_url(db))
    except StoreURLError:
        return None  # open_for_command says what is wrong with --db
    return path if path is not None and not path.exists() else None


def _remove_sqlite(path: Path) -> None:
    """Remove a SQLite archive this ingest created and its journal files."""
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def register(app: click.Group) -> None:
    @app.command("ingest")
    @argument("paths", nargs=-1, required=True,
              help="Archive files or directories, entry .jsonl files, comment tables (.csv/.tsv/.jsonl/.xlsx), saved .html pages or article URLs.")
    @click.option("--db", "db", default=None, help=DB_HELP)
    @click.option("--no-digest", "no_digest", is_flag=True, help="Do not compute digests (faster).")
    @click.option("--keep-going/--stop-on-error", "keep_going", default=True,
                  help="Skip bad entries and import the rest (default), or stop at the first bad one.")
    @click.option("--set", "settings", multiple=True, metavar="NAME=VALUE", help="A digest setting NAME=VALUE (repeatable).")
    @click.option("--map", "mapping", default=None, metavar="FIELD=COLUMN,…",
                  help="Columns of the comment tables when their names are not recognised, e.g. text=本文,up=賛成,down=反対.")
    @click.option("--allow-private", "allow_private", is_flag=True, help="Allow fetching URLs on loopback/private addresses.")
    @llm_opts.llm_options()
    def ingest(paths: tuple[str, ...], db: str | None, no_digest: bool, keep_going: bool, settings: tuple[str, ...],
               mapping: str | None, allow_private: bool, llm: bool, llm_base_url: str | None, llm_model: str | None,
               llm_dry_run: bool, llm_max_cost: float | None, llm_prices: str | None, llm_concurrency: int,
               llm_timeout: float, llm_retries: int) -> None:
        """Add articles to the archive, merging re-fetched ones (new comments, vote snapshots)."""
        paths = list(paths)
        parsed = parse_settings(settings)
        options = llm_opts.LlmOptions(llm, llm_base_url, llm_model, llm_dry_run, llm_max_cost, llm_prices,
                                      llm_concurrency, llm_timeout, llm_retries)
        writer = llm_opts.make_writer(options)
        if writer is not None and no_digest:
            fail("--llm writes digests: it cannot go with --no-digest")
        parsed_map = None
        if mapping:
            from matome.io.tabular import parse_mapping

            try:
                parsed_map = parse_mapping(mapping)
            except ValueError as e:
                fail(f"--map: {e}")
        expand(paths)  # a missing path or an empty directory fails before the archive is opened
        created = _new_sqlite_file(db)
        store = open_for_command(db, create=True)
        try:
            if writer is not None:
                writer.cache = store.llm_cache()
            if writer is not None and options.dry_run:
                llm_opts.print_plan(writer, plan_paths(paths, writer, parsed, allow_private))
                report = None
            else:
                report = ingest_paths(store, paths, digest=not no_digest, keep_going=keep_going, settings=parsed,
                                      allow_private=allow_private, rewrite=writer.rewrite if writer else None,
                                      mapping=parsed_map)
            # a dry run, or nothing went in: leave no empty archive behind (unless another
            # process has filled the new file meanwhile)
            if created is not None and (report is None or (report.failed and report.total == len(report.failed))):
                created = created if store.count_articles() == 0 else None
            else:
                created = None
        finally:
            store.close()
        if created is not None:
            _remove_sqlite(created)
        if report is None:
            return
        llm_opts.report_usage(writer, False)
        if report.failed and report.total == len(report.failed) and len(report.failed) == 1:
            fail(str(report.failed[0]))  # the one input failed: nothing was ingested
        for f in report.failed:
            warn(f"failed: {f}")
        for f in report.digest_failures:
            warn(f"no digest: {f}")
        if report.failed and report.total == len(report.failed):
            fail(f"nothing was ingested: {plural(len(report.failed), 'failure')}")
        click.echo(f"ingested into {store.describe()}: {report.summary_line()}")
        if report.failed:
            raise Exit(1)
