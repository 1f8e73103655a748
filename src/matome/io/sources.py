"""One entry point for everything matome can digest: a URL, a saved page, a comment table
or an archive file.

    from matome.io.sources import load_source, load_entries, SourceError

    entry = load_source("https://news.yahoo.co.jp/articles/…")         # fetch + html
    entry = load_source("page.html", comments="comments.csv")          # page + its comments
    entry = load_source("export.csv")                                   # kouchou-ai / TTTC / own columns
    entry = load_source("votes.xlsx", mapping=parse_mapping("text=本文,up=賛成,down=反対"))
    result = load_entries("archive.txt")                                # every entry of an archive

:func:`load_entries` returns all entries with the warnings (skipped rows, skipped archive
entries); :func:`load_source` returns the one entry (a :class:`SourceError` when an archive
holds none or several). Every failure is a :class:`SourceError` with one clear line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from matome.io.archive import ArchiveFormatError, decode, read_path
from matome.io.fetch import FetchError, Fetcher, FetchOptions
from matome.io.html import Article, HtmlError, article_from_html, entry_from_article, merge_pages
from matome.io.jsonl import FORMAT as JSONL_FORMAT
from matome.io.jsonl import read_jsonl
from matome.io.tabular import (
    EXCEL_SUFFIXES,
    JSON_SUFFIXES,
    TabularFormatError,
    TabularResult,
    describe_columns,
    entry_from_comments,
    nothing_read,
    read_comments,
)
from matome.model import Comment, Entry

HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")
TABLE_SUFFIXES = (".csv", ".tsv", *EXCEL_SUFFIXES)
#: At most this many further pages of a split article are fetched.
MAX_EXTRA_PAGES = 10


class SourceError(ValueError):
    """A source that cannot be loaded; the message names the source and the problem."""


@dataclass(frozen=True)
class SourceResult:
    entries: tuple[Entry, ...]
    warnings: tuple[str, ...] = ()  # skipped rows or entries, each "where: what"
    kind: str = ""  # "url" | "html" | "table" | "archive" | "jsonl"
    article: Article | None = None  # for "url" and "html"


def is_url(arg: str) -> bool:
    return arg.lower().startswith(("http://", "https://"))


def _looks_like_html(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            head = f.read(2048).lstrip().lower()
    except OSError:
        return False
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in head


def _jsonl_kind(path: Path) -> str:
    """"entries" for matome's own JSONL (``format: matome.entry/1``), else "comments"."""
    try:
        with path.open("rb") as f:
            first = f.readline(1_000_000).decode("utf-8-sig", errors="replace").strip()
    except OSError as e:
        raise SourceError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        obj = json.loads(first) if first.startswith("{") else None
    except json.JSONDecodeError:
        obj = None
    return "entries" if isinstance(obj, dict) and obj.get("format") == JSONL_FORMAT else "comments"


def _comments_from(path: str, mapping: dict[str, str] | None) -> TabularResult:
    try:
        return read_comments(path, mapping=mapping)
    except TabularFormatError as e:
        raise SourceError(str(e)) from None


def further_pages(article: Article, named_url: str, *, other_hosts: bool = False) -> list[str]:
    """The URLs of a split article's further pages, on the host of the URL the user named:
    a page names its own (canonical) host inside, which is followed only with ``other_hosts``."""
    named = urlsplit(named_url)
    out = []
    for more in article.page_urls()[:MAX_EXTRA_PAGES]:
        parts = urlsplit(more)
        if not other_hosts and (parts.scheme, parts.netloc.lower()) != (named.scheme, named.netloc.lower()):
            more = urlunsplit((named.scheme, named.netloc, parts.path, parts.query, ""))
        out.append(more)
    return out


def _fetch_article(url: str, fetcher: Fetcher, *, other_hosts: bool = False) -> tuple[Article, list[str]]:
    """The article at ``url`` with its further pages, and a warning when one of those failed
    (the pages fetched before it are kept)."""
    try:
        page = fetcher.get(url)
        article = article_from_html(page.text, page.url)
    except FetchError as e:
        raise SourceError(f"cannot fetch {e}") from None
    except HtmlError as e:
        raise SourceError(f"{url}: {e}") from None
    extra: list[Article] = []
    warnings: list[str] = []
    for k, more in enumerate(further_pages(article, url, other_hosts=other_hosts)):
        number = article.page + k + 1
        try:
            extra.append(article_from_html(fetcher.get(more).text, more))
        except (FetchError, HtmlError) as e:
            kept = f"page {article.page}" if number == article.page + 1 else f"pages {article.page}-{number - 1}"
            warnings.append(f"page {number} of {article.page_count} failed ({e}); kept {kept} only")
            break
    return (merge_pages(article, extra) if extra else article), warnings


def _absent_warning(where: str, article: Article, entry: Entry) -> list[str]:
    """One line when the page states comments that it does not hold (they load with JavaScript)."""
    if not article.comment_count or entry.comments:
        return []
    return [f"{where}: the page states {article.comment_count:,} comments but holds none of them "
            "(they load with JavaScript); add them with --comments TABLE"]


def load_entries(
    arg: str,
    *,
    mapping: dict[str, str] | None = None,
    allow_private: bool = False,
    comments: str | None = None,
    title: str | None = None,
    fetcher: Fetcher | None = None,
    keep_going: bool = True,
    other_hosts: bool = False,
) -> SourceResult:
    """Entries from a URL, an .html file, a comment table (CSV/TSV/JSONL/XLSX), matome's
    JSONL or an archive file/directory.

    ``comments`` (a table path) adds reader comments to an article from a URL or page;
    ``mapping`` names the table's columns; ``title`` titles an entry built from a table
    (default: the file name); ``fetcher`` reuses a :class:`~matome.io.fetch.Fetcher`
    (otherwise one is made with ``allow_private``). The further pages of a split article
    are fetched from the host of ``arg`` unless ``other_hosts`` allows the host the page
    names; when one fails, the pages before it are kept and a warning says so.
    """
    extra_comments: tuple[Comment, ...] = ()
    warnings: list[str] = []
    if comments:
        table = _comments_from(comments, mapping)
        if not table.comments:
            raise SourceError(nothing_read(comments, table))
        extra_comments = table.comments
        warnings += [describe_columns(comments, table)] + [f"skipped: {e}" for e in table.errors]

    if is_url(arg):
        own = fetcher is None
        f = fetcher or Fetcher(FetchOptions(allow_private=allow_private))
        try:
            article, page_warnings = _fetch_article(arg, f, other_hosts=other_hosts)
        finally:
            if own:
                f.close()
        warnings += page_warnings
        entry = entry_from_article(article, extra_comments)
        warnings += _absent_warning(arg, article, entry)
        return SourceResult((entry,), tuple(warnings), "url", article)

    path = Path(arg)
    if not path.exists():
        raise SourceError(f"{arg}: no such file, directory or URL")
    suffix = path.suffix.lower()
    if path.is_file() and (suffix in HTML_SUFFIXES or (suffix not in TABLE_SUFFIXES + JSON_SUFFIXES and _looks_like_html(path))):
        try:
            html = decode(path.read_bytes(), str(path))
            article = article_from_html(html)
        except (OSError, ArchiveFormatError, HtmlError) as e:
            raise SourceError(f"{arg}: {getattr(e, 'strerror', None) or e}") from None
        entry = entry_from_article(article, extra_comments)
        warnings += _absent_warning(arg, article, entry)
        return SourceResult((entry,), tuple(warnings), "html", article)

    if comments:
        raise SourceError(f"{arg}: comments can only be added to an article page or URL")

    if path.is_file() and (suffix in TABLE_SUFFIXES or (suffix in JSON_SUFFIXES and _jsonl_kind(path) == "comments")):
        table = _comments_from(arg, mapping)
        if not table.comments:
            raise SourceError(nothing_read(arg, table))
        warnings += [describe_columns(arg, table)] + [f"skipped: {e}" for e in table.errors]
        entry = entry_from_comments(table.comments, title=title or path.stem, source=path.name)
        return SourceResult((entry,), tuple(warnings), "table")

    if path.is_file() and suffix in JSON_SUFFIXES:
        try:
            result = read_jsonl(decode(path.read_bytes(), arg), arg, keep_going=keep_going)
        except (OSError, ArchiveFormatError) as e:
            raise SourceError(str(e)) from None
        if not result.entries:
            raise SourceError(f"{result.errors[0]}: no entry could be read" if result.errors else f"{arg}: the file holds no entries")
        return SourceResult(result.entries, tuple(f"skipped: {e}" for e in result.errors), "jsonl")

    try:
        result = read_path(arg, keep_going=keep_going)
    except ArchiveFormatError as e:
        raise SourceError(str(e)) from None
    if not result.entries:
        if result.errors:
            raise SourceError(f"{result.errors[0]}: no entry could be read")
        raise SourceError(f"{arg}: the directory holds no entries" if path.is_dir() else f"{arg}: the file holds no entries")
    return SourceResult(result.entries, tuple(f"skipped: {e}" for e in result.errors), "archive")


def load_source(
    arg: str,
    *,
    mapping: dict[str, str] | None = None,
    allow_private: bool = False,
    comments: str | None = None,
    title: str | None = None,
    fetcher: Fetcher | None = None,
) -> Entry:
    """The one entry a source stands for (see :func:`load_entries`)."""
    result = load_entries(
        arg, mapping=mapping, allow_private=allow_private, comments=comments, title=title, fetcher=fetcher
    )
    if len(result.entries) != 1:
        raise SourceError(
            f"{arg}: holds {len(result.entries)} entries; expected one (use load_entries for archives)"
        )
    return result.entries[0]
