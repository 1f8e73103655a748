"""Comments from tables: CSV/TSV, JSON Lines and Excel (.xlsx), and entries built from them.

Columns are recognised by name (see ``ALIASES``): matome's own (``text``, ``up``, ``down``,
``id``, ``posted_at``, ``parent_id``), the kouchou-ai / Talk to the City export
(``comment-id``, ``comment-body``, ``agrees``, ``disagrees``) and common Japanese headers
(コメント, 本文, 賛成, 反対, …). Anything else is mapped explicitly, e.g.
``parse_mapping("text=本文,up=賛成,down=反対")``.

Text files may be UTF-8 (with or without BOM), UTF-16 with BOM, or CP932 (Shift_JIS, as
Excel in Japan writes it). A bad row (missing text, votes that are not a count) is reported
with its row number and the other rows are kept. Comment text is kept as text: HTML in it
is never interpreted.

:func:`entry_from_comments` builds a complete :class:`~matome.model.Entry` in the archive's
style; see its docstring for how record ids and the record stamp are chosen.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Iterator

from matome.io.archive import truncated_utf8, truncation_message
from matome.model import (
    DEFAULT_TRAILER,
    MAX_VOTES,
    JST,
    ArticleBody,
    ArticleSummary,
    Comment,
    CommentSection,
    DiscussionSummary,
    Entry,
    Headline,
    RecordInfo,
    Votes,
    paginate,
)

#: The fields a table can provide, in matome's own column names.
FIELDS = ("text", "up", "down", "id", "posted_at", "parent_id")

#: Recognised column names per field (compared after NFKC, case folding and trimming;
#: ``-``, ``_`` and spaces are treated alike). The first match in this order wins.
ALIASES: dict[str, tuple[str, ...]] = {
    "text": (
        "text", "comment-body", "comment", "body", "opinion", "content", "message",
        "コメント", "コメント本文", "本文", "意見", "内容", "投稿内容", "テキスト",
    ),
    "up": (
        "up", "agrees", "agree", "upvotes", "likes", "like", "plus", "good",
        "賛成", "賛成数", "共感", "共感数", "いいね", "そう思う", "▲",
    ),
    "down": (
        "down", "disagrees", "disagree", "downvotes", "dislikes", "dislike", "minus", "bad",
        "反対", "反対数", "うーん", "そう思わない", "▼",
    ),
    "id": ("id", "comment-id", "コメントid", "番号", "no"),
    "posted_at": (
        "posted-at", "timestamp", "created-at", "datetime", "date", "time",
        "投稿日時", "日時", "投稿日",
    ),
    "parent-id": ("parent-id", "reply-to", "in-reply-to", "親id", "返信先"),
}
ALIASES["parent_id"] = ALIASES.pop("parent-id")

#: Words that make a column name a vote column when no alias matches it exactly, e.g.
#: ``agree_good``, ``likes_count``, ``thumbs up``, ``賛成票``, ``そう思う数``: English words are
#: compared as whole words of the name, Japanese ones as parts of it.
VOTE_WORDS = {
    "up": {
        "en": {"up", "ups", "upvote", "upvotes", "agree", "agrees", "agreed", "like", "likes", "liked", "good",
               "plus", "positive", "pro", "pros", "support", "+1", "▲", "👍"},
        "ja": ("賛成", "賛同", "共感", "いいね", "そう思う", "支持", "同意", "良い", "よい", "高評価", "プラス", "▲", "👍"),
    },
    "down": {
        "en": {"down", "downs", "downvote", "downvotes", "disagree", "disagrees", "disagreed", "dislike", "dislikes",
               "disliked", "bad", "minus", "negative", "con", "cons", "oppose", "-1", "▼", "👎"},
        "ja": ("反対", "不賛成", "うーん", "そう思わない", "不支持", "不同意", "悪い", "わるい", "低評価", "マイナス", "▼", "👎"),
    },
}

#: The record stamp when no comment has a parseable ``posted_at``.
DEFAULT_STAMP = "2000/01/01 00:00:00"

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


class TabularFormatError(ValueError):
    """A table that cannot be read at all (or a bad row without keep-going)."""

    def __init__(self, path: str, row: int, message: str):
        self.path = path
        self.row = row
        self.message = message
        where = f"{path}:{row}" if row else path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class TabularError:
    """One row that was skipped: ``row`` is the spreadsheet row (header = 1) or JSONL line."""

    path: str
    row: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.row}: {self.message}"


@dataclass(frozen=True)
class TabularResult:
    """The comments read (positions 0..n-1, pages of 10), the skipped rows and the columns used."""

    comments: tuple[Comment, ...]
    errors: tuple[TabularError, ...] = ()
    columns_used: dict[str, str] = field(default_factory=dict)  # field -> column name
    header: tuple[str, ...] = ()  # every column name of the table


# ---------------------------------------------------------------------------------------
# column mapping


def _norm_name(name: Any) -> str:
    s = unicodedata.normalize("NFKC", str(name or "")).strip().lstrip("\ufeff").casefold()
    return re.sub(r"[\s_\-]+", "-", s)


def parse_mapping(spec: str) -> dict[str, str]:
    """``"text=本文,up=賛成"`` → ``{"text": "本文", "up": "賛成"}``.

    Fields are matome's names (``text``, ``up``, ``down``, ``id``, ``posted_at``,
    ``parent_id``); full-width ``＝`` and ``、`` are accepted. Raises ValueError.
    """
    out: dict[str, str] = {}
    for part in re.split(r"[,、，]", spec or ""):
        if not part.strip():
            continue
        key, sep, col = unicodedata.normalize("NFKC", part).partition("=")
        key = key.strip().replace("-", "_").lower()
        if not sep or not col.strip():
            raise ValueError(f"expected FIELD=COLUMN in the column mapping, found {part.strip()!r}")
        if key not in FIELDS:
            raise ValueError(f"unknown field {key!r} in the column mapping (fields: {', '.join(FIELDS)})")
        if key in out:
            raise ValueError(f"field {key!r} is mapped twice in the column mapping")
        out[key] = col.strip()
    return out


def _resolve_columns(header: list[str], mapping: dict[str, str] | None, path: str) -> dict[str, int]:
    """Field → column index."""
    normed = [_norm_name(h) for h in header]
    found: dict[str, int] = {}
    for key, col in (mapping or {}).items():
        if key not in FIELDS:
            raise TabularFormatError(path, 0, f"unknown field {key!r} in the column mapping")
        if col in header:
            found[key] = header.index(col)
        elif _norm_name(col) in normed:
            found[key] = normed.index(_norm_name(col))
        else:
            raise TabularFormatError(
                path, 1, f"the mapping names column {col!r} for {key}, but the columns are: {_names(header)}"
            )
    taken = set(found.values())
    for key in FIELDS:
        if key in found:
            continue
        for alias in ALIASES[key]:
            a = _norm_name(alias)
            if a in normed and normed.index(a) not in taken:
                found[key] = normed.index(a)
                taken.add(found[key])
                break
    for key in ("up", "down"):
        if key not in found:
            for i, name in enumerate(header):
                if i not in taken and vote_kind(name) == key:
                    found[key] = i
                    taken.add(i)
                    break
    if "text" not in found:
        raise TabularFormatError(
            path,
            1,
            f"no comment text column (such as text, comment-body, コメント, 本文); the columns are: "
            f"{_names(header)}; name it with a mapping such as text=COLUMN",
        )
    return found


def vote_kind(name: str) -> str | None:
    """``"up"`` or ``"down"`` when a column name speaks of one kind of vote only (see
    :data:`VOTE_WORDS`), else None."""
    n = _norm_name(name)
    words = set(re.split(r"[-.:/()\[\]（）]+", n))
    kinds = set()
    for kind in ("down", "up"):
        en, ja = VOTE_WORDS[kind]["en"], VOTE_WORDS[kind]["ja"]
        if words & en or any(w in n for w in ja):
            kinds.add(kind)
    # そう思わない contains no そう思う, but 不支持 contains 支持: a down word inside decides
    if kinds == {"up", "down"} and any(w in n for w in VOTE_WORDS["down"]["ja"]):
        up_en = words & VOTE_WORDS["up"]["en"]
        if not up_en:
            kinds = {"down"}
    return kinds.pop() if len(kinds) == 1 else None


def describe_columns(path: str, result: "TabularResult") -> str:
    """One line saying which columns gave the text and the ▲/▼ votes (or that none did)."""
    used = result.columns_used
    parts = [f"text from {used['text']!r}"] if "text" in used else []
    for key, mark in (("up", "▲"), ("down", "▼")):
        if key in used:
            parts.append(f"{mark} from {used[key]!r}")
    line = f"{path}: " + ", ".join(parts)
    missing = [k for k in ("up", "down") if k not in used]
    if missing:
        which = " and ".join("▲" if k == "up" else "▼" for k in missing)
        line += (f"; no {which} column, so those votes count as 0 (columns: {_names(list(result.header))}; "
                 f"name them with --map {','.join(f'{k}=COLUMN' for k in missing)})")
    return line


def _names(header: list[str]) -> str:
    return ", ".join(repr(str(h)) for h in header[:30]) or "(none)"


# ---------------------------------------------------------------------------------------
# cell values


_COUNT_RE = re.compile(r"^[+]?[0-9][0-9,]*(?:\.0+)?$")


def _count(value: Any, name: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a count, found {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{name} must be a count of 0 or more, found {value}")
        return _in_range(value, value, name)
    if isinstance(value, float):
        if value != value or value < 0 or not value.is_integer():
            raise ValueError(f"{name} must be a whole count of 0 or more, found {value!r}")
        return _in_range(int(value), value, name)
    s = unicodedata.normalize("NFKC", str(value)).strip()
    if not s:
        return 0
    if not _COUNT_RE.match(s):
        raise ValueError(f"{name} must be a count of 0 or more, found {str(value)[:30]!r}")
    digits = s.replace(",", "")
    # exact for whole numbers of any length ("12", "1,234"); "12.0" and "1e3" through float
    count = int(digits) if digits.isdigit() else int(float(digits))
    return _in_range(count, value, name)


def _in_range(count: int, shown: Any, name: str) -> int:
    if count > MAX_VOTES:
        raise ValueError(f"{name} is out of range (at most {MAX_VOTES:,}), found {str(shown)[:30]!r}")
    return count


def _opt_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.strftime("%Y/%m/%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y/%m/%d")
    s = str(value).strip()
    return s or None


# Lines that the archive reader would take for structure; they get a leading U+3000.
_STRUCTURE_LINE_RE = re.compile(
    r"^(?:=\+=\+=\+=\+=.*|▲[0-9]+ ▼[0-9]+.*|\([\u00a0 ][0-9]+[\u00a0 ]\).*|\[まとめ\].*|\(要約\)|[A-Z][A-Z_]{0,31})$"
)


def clean_comment_text(value: Any) -> str:
    """Comment text as the archive can keep it: LF line ends, no trailing spaces, no runs
    of blank lines, no leading/trailing blank lines. A line that the archive format would
    read as structure (a separator, a vote line, a record header, a marker) gets a leading
    U+3000 so that it stays text. HTML is left as it is."""
    s = "" if value is None else str(value)
    s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    s = s.replace("\x00", "")
    lines = [line.rstrip(" \t\u00a0\u3000") for line in s.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line.strip():
            if out and out[-1] != "":
                out.append("")
            continue
        if _STRUCTURE_LINE_RE.match(line):
            line = "\u3000" + line
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out)


def _comment(cells: list[Any], cols: dict[str, int]) -> Comment:
    def cell(key: str) -> Any:
        i = cols.get(key)
        return cells[i] if i is not None and i < len(cells) else None

    text = clean_comment_text(cell("text"))
    if not text:
        raise ValueError("the comment text is empty")
    return Comment(
        text,
        Votes(_count(cell("up"), "up"), _count(cell("down"), "down")),
        id=_opt_str(cell("id")),
        posted_at=_opt_str(cell("posted_at")),
        parent_id=_opt_str(cell("parent_id")),
    )


# ---------------------------------------------------------------------------------------
# decoding and row sources


def decode_text(data: bytes, path: str = "<bytes>") -> tuple[str, str]:
    """Bytes of a text table to ``(text, encoding)``: BOM, UTF-8, CP932, then a guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        cut = truncated_utf8(data, e)
        if cut is not None:
            raise TabularFormatError(path, 0, truncation_message(data, cut)) from None
    try:
        return data.decode("cp932"), "cp932"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    raise TabularFormatError(path, 0, "the file is not text in UTF-8, CP932 or another known encoding")


def _delimiter(text: str, path: str) -> str:
    if path.lower().endswith(".tsv"):
        return "\t"
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _csv_rows(text: str, path: str) -> Iterator[tuple[int, list[Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text, path))
    try:
        for n, row in enumerate(reader, start=1):
            yield n, row
    except csv.Error as e:
        raise TabularFormatError(path, reader.line_num, f"not valid CSV: {e}") from None


def _xlsx_rows(source: Path | bytes, path: str, sheet: str | None) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(
            io.BytesIO(source) if isinstance(source, bytes) else source, read_only=True, data_only=True
        )
    except Exception as e:  # openpyxl raises many kinds (zipfile, KeyError, InvalidFileException)
        raise TabularFormatError(path, 0, f"not a readable .xlsx workbook ({type(e).__name__}: {e})") from None
    try:
        if sheet is not None:
            if sheet not in book.sheetnames:
                raise TabularFormatError(path, 0, f"no sheet {sheet!r}; the sheets are: {', '.join(book.sheetnames)}")
            ws = book[sheet]
        else:
            ws = book.worksheets[0]
        for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
            yield n, list(row)
    finally:
        book.close()


# ---------------------------------------------------------------------------------------
# reading


class _Collector:
    def __init__(self, path: str, keep_going: bool):
        self.path = path
        self.keep_going = keep_going
        self.comments: list[Comment] = []
        self.errors: list[TabularError] = []

    def bad(self, row: int, message: str) -> None:
        if not self.keep_going:
            raise TabularFormatError(self.path, row, message + " (keep going to skip bad rows)")
        self.errors.append(TabularError(self.path, row, message))

    def result(self, columns_used: dict[str, str], header: list[str]) -> TabularResult:
        return TabularResult(paginate(self.comments), tuple(self.errors), columns_used, tuple(header))


def _read_table(rows: Iterable[tuple[int, list[Any]]], path: str, mapping, keep_going: bool) -> TabularResult:
    out = _Collector(path, keep_going)
    header: list[str] | None = None
    cols: dict[str, int] = {}
    for n, row in rows:
        if all(c is None or str(c).strip() == "" for c in row):
            continue  # blank rows (often trailing in spreadsheets) carry nothing to report
        if header is None:
            header = ["" if c is None else str(c) for c in row]
            cols = _resolve_columns(header, mapping, path)
            continue
        try:
            out.comments.append(_comment(row, cols))
        except ValueError as e:
            out.bad(n, str(e))
    if header is None:
        raise TabularFormatError(path, 0, "the table is empty (no header row)")
    return out.result({k: header[i] for k, i in cols.items()}, header)


def _read_json_objects(text: str, path: str, mapping, keep_going: bool) -> TabularResult:
    stripped = text.lstrip()
    objects: list[tuple[int, Any]] = []
    out = _Collector(path, keep_going)
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise TabularFormatError(path, e.lineno, f"not valid JSON: {e.msg}") from None
        objects = [(i + 1, o) for i, o in enumerate(data)]
    else:
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                objects.append((n, json.loads(line)))
            except json.JSONDecodeError as e:
                out.bad(n, f"not valid JSON ({e.msg})")
    keys: list[str] = []
    for _, o in objects:
        if isinstance(o, dict):
            keys += [str(k) for k in o if str(k) not in keys]
    if not objects:
        raise TabularFormatError(path, 0, "no JSON objects in the file")
    cols = _resolve_columns(keys, mapping, path)
    for n, o in objects:
        if not isinstance(o, dict):
            out.bad(n, f"expected a JSON object, found {type(o).__name__}")
            continue
        cells = [o.get(k) for k in keys]
        for key in ("text", "id", "posted_at", "parent_id"):
            i = cols.get(key)
            if i is not None and isinstance(cells[i], (dict, list)):
                cells[i] = json.dumps(cells[i], ensure_ascii=False)
        try:
            out.comments.append(_comment(cells, cols))
        except (ValueError, TypeError) as e:
            out.bad(n, str(e))
    return out.result({k: keys[i] for k, i in cols.items()}, keys)


def nothing_read(path: str, result: TabularResult) -> str:
    """The one-line message for a table that gave no comment: only a header, or every row bad."""
    if not result.errors:
        return f"{path}: the table has a header but no comment rows"
    n = len(result.errors) - 1
    more = f" (and {n:,} more bad {'row' if n == 1 else 'rows'})" if n else ""
    return f"{result.errors[0]}{more}: no comment could be read"


def read_comments_bytes(
    data: bytes,
    name: str,
    *,
    mapping: dict[str, str] | None = None,
    keep_going: bool = True,
    sheet: str | None = None,
) -> TabularResult:
    """Like :func:`read_comments` for bytes (an upload); ``name`` gives the format by suffix."""
    lower = name.lower()
    if lower.endswith(EXCEL_SUFFIXES) or data[:4] == b"PK\x03\x04":
        return _read_table(_xlsx_rows(data, name, sheet), name, mapping, keep_going)
    text, _ = decode_text(data, name)
    if lower.endswith(JSON_SUFFIXES) or text.lstrip()[:1] in ("{", "["):
        return _read_json_objects(text, name, mapping, keep_going)
    return _read_table(_csv_rows(text, name), name, mapping, keep_going)


def read_comments(
    path: str | Path,
    *,
    mapping: dict[str, str] | None = None,
    keep_going: bool = True,
    sheet: str | None = None,
) -> TabularResult:
    """Comments from a CSV/TSV, JSONL (or JSON array) or .xlsx file.

    Raises :class:`TabularFormatError` when the file cannot be read as a table, has no text
    column or names an unknown column in ``mapping``; with ``keep_going=False`` also for
    the first bad row. Otherwise bad rows are in ``errors`` and the rest in ``comments``.
    """
    p = Path(path)
    name = str(path)
    if p.suffix.lower() in EXCEL_SUFFIXES:
        if not p.is_file():
            raise TabularFormatError(name, 0, "no such file")
        return _read_table(_xlsx_rows(p, name, sheet), name, mapping, keep_going)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise TabularFormatError(name, 0, f"cannot read: {e.strerror or e}") from None
    return read_comments_bytes(data, name, mapping=mapping, keep_going=keep_going, sheet=sheet)


# ---------------------------------------------------------------------------------------
# entries


_STAMP_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d",
    "%Y-%m-%d",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日 %H時%M分",
    "%Y年%m月%d日",
)


def parse_time(value: str | None) -> datetime | None:
    """A timestamp as a JST datetime: ISO 8601 (any offset, ``Z``) or ``YYYY/MM/DD HH:MM:SS``
    and similar; a time without an offset is taken as JST. None when it does not parse."""
    if not value:
        return None
    s = unicodedata.normalize("NFKC", value).strip()
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
    except ValueError:
        dt = None
        for fmt in _STAMP_FORMATS:
            try:
                dt = datetime.strptime(s, fmt)
                break
            except ValueError:
                continue
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=JST)
    return dt.astimezone(JST)


def _single_line(text: str | None) -> str:
    return re.sub(r"[ \t\r\n\f\v\u00a0]+", " ", text or "").strip(" ")


def _paragraphs(text: str | None) -> list[str]:
    """Article text → paragraphs: every non-blank line (archive body lines are single lines)."""
    if not text:
        return []
    return [p.strip(" \t\u3000\u00a0") for p in text.replace("\r\n", "\n").split("\n") if p.strip()]


def record_ids(*parts: Any) -> tuple[int, int, int, int, int]:
    """Five consecutive record ids derived from a SHA-256 of the content: 9-digit numbers."""
    h = hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()
    base = 100_000_000 + int(h[:15], 16) % 899_999_000
    return (base, base + 1, base + 2, base + 3, base + 4)


def build_entry(
    *,
    title: str,
    source: str | None = None,
    published_text: str | None = None,
    url: str | None = None,
    paragraphs: list[str] | tuple[str, ...] = (),
    sections: list[tuple[str, list[str]]] | None = None,
    byline: str | None = None,
    comments: Iterable[Comment] = (),
    stamp_times: Iterable[datetime | None] = (),
) -> Entry:
    """A complete entry in the archive's style; the digest fills the summary records.

    Record ids: five consecutive ids from a hash of the content (:func:`record_ids`).
    Stamp: the newest of ``stamp_times`` and the comments' parseable ``posted_at``, else
    :data:`DEFAULT_STAMP` (``2000/01/01 00:00:00``), so the same input gives the same bytes.
    """
    title = _single_line(title) or "(無題)"
    source = _single_line(source) or None
    url = _single_line(url) or None
    clean = [c if c.text == clean_comment_text(c.text) else Comment(
        clean_comment_text(c.text), c.votes, c.position, c.page, c.id, c.posted_at, c.parent_id
    ) for c in comments]
    clean = [c for c in clean if c.text]
    thread = paginate(clean)
    paras = [p for para in paragraphs for p in _paragraphs(para)]
    secs: list[tuple[str, list[str]]] = []
    for heading, ps in sections or []:
        heading = _single_line(heading)
        ps = [p for para in ps for p in _paragraphs(para)]
        if heading:
            secs.append((heading, ps))
        elif secs:  # paragraphs without a heading continue the section before them
            secs[-1][1].extend(ps)
        else:
            paras.extend(ps)
    lines = ArticleBody.layout(paras, lead=title, sections=secs, byline=_single_line(byline) or None)
    times = [t for t in stamp_times if t is not None]
    times += [t for t in (parse_time(c.posted_at) for c in thread) if t is not None]
    stamp = max(times).astimezone(JST).strftime("%Y/%m/%d %H:%M:%S") if times else DEFAULT_STAMP
    ids = record_ids(
        title, source, published_text, url, lines, [(c.text, c.votes.up, c.votes.down, c.id) for c in thread]
    )
    rec = [RecordInfo(i, stamp, "00") for i in ids]
    return Entry(
        headline=Headline(rec[0], title, source, _single_line(published_text) or None, url),
        summary=ArticleSummary(rec[1], ()),
        body=ArticleBody(rec[2], lines),
        discussion=DiscussionSummary(rec[3], (), "", ()),
        thread=CommentSection(rec[4], thread),
        trailer=DEFAULT_TRAILER,
    )


def entry_from_comments(
    comments: Iterable[Comment],
    *,
    title: str | None = None,
    article_text: str | None = None,
    url: str | None = None,
    source: str | None = None,
) -> Entry:
    """An entry holding these comments (renumbered 0..n-1, pages of 10).

    ``title`` defaults to ``N件のコメント``; ``article_text`` (optional) becomes the body,
    one paragraph per non-blank line. The headline needs a source or a URL to be read back
    from the archive, so ``source`` defaults to ``matome`` when neither is given. Record
    ids come from a hash of the content; the stamp is the newest parseable ``posted_at``
    of the comments, else ``2000/01/01 00:00:00`` (see :func:`build_entry`).
    """
    comments = list(comments)
    return build_entry(
        title=title or f"{len(comments)}件のコメント",
        source=source,
        url=url,
        paragraphs=_paragraphs(article_text),
        comments=comments,
    )
