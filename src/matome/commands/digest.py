"""``matome digest FILE``: digest articles and their comments (要約, opinions, ▲/▼, [まとめ]).

Input is an archive file (or directory, or ``-``), a ``.jsonl`` file of entries, or with
``--comments`` a bare CSV/TSV/JSONL/.xlsx comment table (``text``, ``up``, ``down``; optional
``id``, ``posted_at``, ``parent_id``) with an optional ``--article`` text file.

Output (``--format``):

* ``archive`` (default): the complete records in the archive format, with our (要約) and
  discussion records and everything else as read;
* ``json``: one JSON object per entry and line: ``{"format", "entry", "digest"}``;
* ``md``: a readable Japanese Markdown digest (summary, discussion, groups, quotes);
* ``view``: the same Markdown rendered for the terminal by Rich.
"""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path

import click

from matome.commands import llm as llm_opts
from matome.commands.base import argument
from matome.commands.common import err_console, fail, plural, read_entries, warn, write_out
from matome.model import Digest, Entry
from matome.wording import KIND_TEXT as KIND_JA  # one wording for the CLI, Markdown, web and report

#: Threads with at least this many comments get status lines on standard error.
LARGE_THREAD = 1000

JSON_FORMAT = "matome.digested/1"


class Format(str, Enum):
    archive = "archive"
    json = "json"
    md = "md"
    view = "view"




def _read_file_text(path: str) -> str:
    from matome.io.archive import decode

    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror or e}")
    try:
        return decode(data, path)
    except ValueError as e:
        fail(str(e))


def _entries_from_comments(path: str, article: str | None, title: str | None, mapping: dict | None) -> list[Entry]:
    from matome.io.tabular import (
        TabularFormatError, describe_columns, entry_from_comments, nothing_read, read_comments,
    )

    try:
        result = read_comments(path, mapping=mapping)
    except TabularFormatError as e:
        fail(str(e))
    if not result.comments:
        fail(nothing_read(path, result))
    warn(describe_columns(path, result))
    for e in result.errors:
        warn(f"skipped row: {e}")
    if result.errors:
        warn(f"read {plural(len(result.comments), 'comment')}, skipped {plural(len(result.errors), 'bad row')}")
    article_text = _read_file_text(article) if article else None
    return [entry_from_comments(result.comments, title=title, article_text=article_text)]


#: Suffixes handed to matome.io.sources (pages, tables, JSON); anything else is an archive.
_SOURCE_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml", ".csv", ".tsv", ".xlsx", ".xlsm", ".jsonl", ".ndjson", ".json")


def _entries_from_path(path: str, keep_going: bool, comments: str | None, title: str | None,
                       mapping: dict | None = None, allow_private: bool = False) -> list[Entry]:
    """Entries of an archive (fast path, no network code imported), or of any other source
    matome.io.sources knows: a URL, a saved page, a comment table, a .jsonl of entries."""
    is_url = path.lower().startswith(("http://", "https://"))
    if is_url or comments or path.lower().endswith(_SOURCE_SUFFIXES):
        from matome.io.sources import SourceError, load_entries

        try:
            result = load_entries(path, comments=comments, title=title, keep_going=keep_going, mapping=mapping,
                                  allow_private=allow_private)
        except SourceError as e:
            fail(str(e))
        for w in result.warnings:
            warn(w)
        return list(result.entries)
    if path != "-" and not Path(path).exists():
        fail(f"cannot read {path}: no such file or directory")
    return list(read_entries(path, keep_going).entries)


# ---------------------------------------------------------------------------------------
# Markdown


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def md_escape(text: str) -> str:
    """Text shown as text in Markdown (no emphasis, links, HTML or table breaks)."""
    return " ".join(text.split()).translate(_MD_SPECIAL)


def _pct(x: float | None) -> str:
    from matome.wording import pct

    return "—" if x is None else pct(x)


#: Finer groups listed under a top group (the largest first) in the Markdown digest.
BREAKDOWN_SHOWN = 5


def _breakdown(group, groups) -> list[str]:
    """The line under a top group naming its largest finer groups with their sizes (その他
    included: what it holds beyond single comments), as the web card's 内訳 does."""
    from matome.analyze.discussion import clean_label

    children = sorted((c for c in groups if c.parent == group.id), key=lambda c: (-len(c.members), c.id))
    if len(children) < 2:
        return []
    named = [f"「{md_escape(clean_label(c))}」{len(c.members):,}件" for c in children[:BREAKDOWN_SHOWN]]
    rest = len(children) - len(named)
    tail = f"、ほか{rest:,}グループ" if rest else ""
    return [f"内訳（細かいグループ {len(children):,} 個）: " + "、".join(named) + tail, ""]


def render_markdown(entry: Entry, digest: Digest) -> str:
    from matome.analyze.discussion import clean_label, quote_of

    h = entry.headline
    out: list[str] = [f"# {md_escape(h.title)}", ""]
    meta = [x for x in (h.source, h.published_text and f"{h.published_text} 配信") if x]
    if meta or h.url:
        line = " ".join(md_escape(m) for m in meta)
        if h.url:
            line += (" · " if line else "") + f"<{h.url}>"
        out += [line, ""]
    comments = list(entry.comments)
    up = sum(c.votes.up for c in comments)
    down = sum(c.votes.down for c in comments)
    voted = up + down > 0  # a thread without any ▲/▼ gets no vote columns: rows of ▲0 ▼0 say nothing
    out += [f"コメント {len(comments):,} 件 · " + (f"▲{up:,} · ▼{down:,}" if voted else "▲・▼の評価なし"), ""]

    notes = _writer_notes(digest)
    out += ["## 記事の要約", ""]
    if digest.summary_paragraphs:
        out += [md_escape(p) + "\n" for p in digest.summary_paragraphs]
    elif digest.summary:
        out += [f"- {md_escape(s.text)}" for s in digest.summary] + [""]
    else:
        out += ["（本文がないため要約はありません）", ""]
    out += notes.get("summary", [])

    out += ["## 読者の議論", ""]
    for p in digest.discussion_paragraphs:
        out += [md_escape(p), ""]
    out += notes.get("discussion", [])
    out += [f"**［まとめ］{md_escape(digest.matome_headline)}**", ""]
    for p in digest.matome_paragraphs:
        out += [md_escape(p), ""]
    out += notes.get("matome", [])

    by_pos = {c.position: c for c in comments}
    tops = [g for g in digest.groups if g.parent is None] or list(digest.groups)
    tops.sort(key=lambda g: (g.other, -len(g.members), g.id))  # その他 last, however large: it is no opinion
    if tops:
        out += ["## 意見グループ", ""]
        if voted:
            out += ["| グループ | 件数 | 割合 | ▲ | ▼ | 賛同率 | 全体の▲に占める割合 | 傾向 |",
                    "|---|---:|---:|---:|---:|---:|---:|---|"]
        else:
            out += ["| グループ | 件数 | 割合 |", "|---|---:|---:|"]
        for g in tops:
            row = f"| {md_escape(clean_label(g))} | {len(g.members):,} | {_pct(g.comment_share)} |"
            if voted:
                row += (f" {g.up:,} | {g.down:,} | {_pct(g.support)} | {_pct(g.up_share)} "
                        f"| {KIND_JA.get(g.kind, g.kind)} |")
            out.append(row)
        out.append("")
        for g in tops:
            out += [f"### {md_escape(clean_label(g))}（{len(g.members):,}件）", ""]
            if g.description:
                out += [md_escape(g.description), ""]
            out += notes.get(f"group:{g.id}", [])
            if g.key_phrases:
                out += ["キーワード: " + "、".join(md_escape(k) for k in g.key_phrases[:6]), ""]
            shown = 0
            for p in g.representatives:
                c = by_pos.get(p)
                q = quote_of(c, phrases=g.key_phrases) if c is not None else None
                if q is None:
                    continue
                out.append(f"> 「{md_escape(q.text)}」" + (f" ▲{c.votes.up:,} ▼{c.votes.down:,}" if voted else ""))
                out.append(">")
                shown += 1
                if shown == 3:
                    break
            if shown:
                out[-1] = ""
            out += _breakdown(g, digest.groups)
    stats = [s for s in digest.comments if s.up + s.down > 0]
    if stats:
        agreed = sorted(stats, key=lambda s: (-s.wilson, -s.up, s.position))[:3]
        split = sorted((s for s in stats if s.label == "divisive"), key=lambda s: (-s.controversy, s.position))[:3]
        for title, rows in (("支持の多いコメント", agreed), ("賛否の割れたコメント", split)):
            if not rows:
                continue
            out += [f"## {title}", ""]
            for s in rows:
                c = by_pos[s.position]
                q = quote_of(c)
                text = q.text if q else c.text[:70] + ("…" if len(c.text) > 70 else "")
                out.append(f"- 「{md_escape(text)}」 ▲{s.up:,} ▼{s.down:,}（賛同率{_pct(s.support)}）")
            out.append("")
    out += [f"_{md_escape(digest.engine)}_", ""]
    return "\n".join(out)


def _writer_notes(digest: Digest) -> dict[str, list[str]]:
    """Per part, the Markdown lines that say who wrote it (only for digests made with --llm)."""
    from matome.llm.apply import writer_note

    return {w.part: [f"_{md_escape(writer_note(w))}_", ""] for w in digest.writers}


# ---------------------------------------------------------------------------------------


def _progress_for(entry: Entry, quiet: bool):
    n = len(entry.comments)
    if quiet or n < LARGE_THREAD:
        return None

    def say(step: str) -> None:
        err_console.print(f"matome: {entry.title[:30]}: {step}…")

    return say


def register(app: click.Group) -> None:
    @app.command("digest")
    @argument("path", required=False, default=None,
              help="An archive file or directory (- for standard input), a .jsonl of entries, a saved page, a comment table or a URL.")
    @click.option("--comments", "comments", default=None,
                  help="A CSV/TSV/JSONL/.xlsx comment table (text, up, down; optional id, posted_at, parent_id); "
                  "alone, or added to the page or URL given as FILE.")
    @click.option("--map", "mapping", default=None, metavar="FIELD=COLUMN,…",
                  help="Columns of the comment table when their names are not recognised, e.g. text=本文,up=賛成,down=反対.")
    @click.option("--allow-private", "allow_private", is_flag=True,
                  help="Allow fetching URLs on loopback, private and link-local addresses.")
    @click.option("--article", "article", default=None, metavar="FILE", help="With --comments: a text file with the article body.")
    @click.option("--title", "title", default=None, help="The title of an entry built from a comment table.")
    @click.option("--format", "-f", "fmt", type=click.Choice([f.value for f in Format]), default=Format.archive.value,
                  help="archive (the records), json, md (Markdown) or view (Markdown rendered for the terminal).")
    @click.option("-o", "--out", "out", default=None, help="Output file (default: standard output).")
    @click.option("--vectors", "vectors", default="tfidf", help="Comment vectors: tfidf (fast) or e5 (bundled model, slow).")
    @click.option("--method", "method", default="auto", help="Opinion groups: auto, ward or kmeans.")
    @click.option("--seed", "seed", type=int, default=0, help="Seed of every random step (same seed, same output).")
    @click.option("--keep-going", "keep_going", is_flag=True, help="Skip bad entries and report them.")
    @click.option("--quiet", "-q", "quiet", is_flag=True, help="No status lines on standard error.")
    @llm_opts.llm_options(cache=True)
    def digest(path: str | None, comments: str | None, mapping: str | None, allow_private: bool, article: str | None,
               title: str | None, fmt: str, out: str | None, vectors: str, method: str, seed: int, keep_going: bool,
               quiet: bool, llm: bool, llm_base_url: str | None, llm_model: str | None, llm_dry_run: bool,
               llm_max_cost: float | None, llm_prices: str | None, llm_concurrency: int, llm_timeout: float,
               llm_retries: int, llm_cache: str | None) -> None:
        """Digest each entry: article summary (要約), opinion groups, ▲/▼ analysis, この議論では… and [まとめ]."""
        fmt = Format(fmt)
        options = llm_opts.LlmOptions(llm, llm_base_url, llm_model, llm_dry_run, llm_max_cost, llm_prices,
                                      llm_concurrency, llm_timeout, llm_retries, llm_cache)
        writer = llm_opts.make_writer(options, cache=None)
        if writer is not None:
            writer.cache = llm_opts.dir_cache(options)
        if fmt is Format.view and out not in (None, "-"):
            fail("--format view renders for the terminal; use --format md with --out")
        if path is None and comments is None:
            fail("give FILE (an archive, a page, a table or a URL) or --comments FILE")
        if article and (path is not None or comments is None):
            fail("--article goes with --comments FILE alone (a bare comment table)")
        parsed_map = None
        if mapping:
            from matome.io.tabular import parse_mapping

            try:
                parsed_map = parse_mapping(mapping)
            except ValueError as e:
                fail(f"--map: {e}")
        if path is None:
            entries = _entries_from_comments(comments, article, title, parsed_map)
        else:
            entries = _entries_from_path(path, keep_going, comments, title, parsed_map, allow_private)

        # one BLAS/OpenMP thread for the libraries loaded from here on (see analyze.digest)
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        from matome.analyze.digest import DigestSettings, apply_digest, digest_entry, digest_to_dict

        from matome.analyze.vectors import MissingDependencyError, require

        try:
            settings = DigestSettings(vector_method=vectors, cluster_method=method, seed=seed)
            require(settings.vector_method)
        except (TypeError, ValueError, MissingDependencyError) as e:
            fail(str(e))
        pieces: list[str] = []
        planned = []
        for entry in entries:
            try:
                d = digest_entry(entry, settings, progress=_progress_for(entry, quiet))
            except ValueError as e:
                fail(f"{entry.origin or entry.title}: {e}")
            if writer is not None and options.dry_run:
                planned += writer.plan(entry, d)
                continue
            if writer is not None:
                d = writer.rewrite(entry, d)
            applied = apply_digest(entry, d)
            if fmt is Format.archive:
                pieces.append(applied)
            elif fmt is Format.json:
                from matome.io.jsonl import entry_to_dict

                obj = {"format": JSON_FORMAT, "entry": entry_to_dict(applied), "digest": digest_to_dict(d)}
                pieces.append(json.dumps(obj, ensure_ascii=False, sort_keys=False) + "\n")
            else:
                pieces.append(render_markdown(applied, d))
        if writer is not None and options.dry_run:
            llm_opts.print_plan(writer, planned)
            return
        llm_opts.report_usage(writer, quiet)
        if fmt is Format.archive:
            from matome.io.archive import write_entries

            text = write_entries(pieces)
        elif fmt is Format.json:
            text = "".join(pieces)
        else:
            text = "\n---\n\n".join(pieces)
        if fmt is Format.view:
            from rich.console import Console
            from rich.markdown import Markdown

            Console(highlight=False).print(Markdown(text))
            return
        write_out(text, out)
