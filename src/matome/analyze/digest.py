"""The digest pipeline: from an entry (article + comments) to a :class:`~matome.model.Digest`.

Steps, in order (each a pure function in its own module):

1. ``summarize``   — the article summary (sentences of the body, with provenance);
2. ``votes``       — per-comment vote statistics against the thread's medians;
3. ``clusters``    — near-duplicates, opinion groups (labels, representatives), 2-D layout;
4. ``votes``       — per-group aggregates and kinds (vocal minority, silent majority …);
5. ``discussion``  — the この議論では… paragraphs and the [まとめ] block, with quotes.

The Digest records the engine version and the settings, so a stored digest says how it was
made; the same entry and settings always give the same digest (every RNG is seeded).
``apply_digest`` writes a digest into an entry's (要約) and discussion records, leaving every
other part of the entry untouched.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from typing import Any, Callable

from matome import __version__
from matome.analyze import votes as v
from matome.analyze.discussion import MAX_QUOTE_CHARS, MAX_VIEWPOINTS, discussion_summary
from matome.model import (
    CommentStat,
    Digest,
    Entry,
    Group,
    PartWriter,
    Quote,
    SummarySentence,
    absent_comment_count,
    absent_comments_text,
)

#: Bump the number after "digest-" whenever the output for the same input changes.
ENGINE_VERSION = f"matome-{__version__}/digest-10"

DIGEST_FORMAT = "matome.digest/1"

#: The opinion grouping sees this many characters of a comment at most (Yahoo! comments
#: are at most 400 characters; a longer one keeps its full text everywhere else).
MAX_COMMENT_CHARS = 4000

#: Accepted values (the modules that implement them check them too).
VECTOR_METHODS = ("tfidf", "e5")
CLUSTER_METHODS = ("auto", "ward", "kmeans")


@dataclass(frozen=True)
class DigestSettings:
    """Everything that changes a digest besides its input (recorded in ``Digest.settings``)."""

    summary_sentences: int = 5  # the article summary's budget in sentences
    summary_chars: int = 250  # … and in characters
    vector_method: str = "tfidf"  # comment vectors: "tfidf" or "e5" (matome.analyze.vectors)
    cluster_method: str = "auto"  # opinion groups: "auto", "ward" or "kmeans" (matome.analyze.clusters)
    seed: int = 0  # seeds every RNG of the pipeline
    max_viewpoints: int = MAX_VIEWPOINTS  # viewpoint paragraphs in the discussion summary
    quote_chars: int = MAX_QUOTE_CHARS  # longest quote (whole sentences only)

    def __post_init__(self) -> None:
        if self.vector_method not in VECTOR_METHODS:
            raise ValueError(f"unknown vector method {self.vector_method!r}: expected one of {', '.join(VECTOR_METHODS)}")
        if self.cluster_method not in CLUSTER_METHODS:
            raise ValueError(
                f"unknown clustering method {self.cluster_method!r}: expected one of {', '.join(CLUSTER_METHODS)}"
            )
        for name in ("summary_sentences", "summary_chars", "max_viewpoints", "quote_chars"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")

    def as_pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple((f.name, str(getattr(self, f.name))) for f in fields(self))

    @classmethod
    def from_pairs(cls, pairs: tuple[tuple[str, str], ...] | list, *, strict: bool = False) -> "DigestSettings":
        """Settings from (name, text) pairs. Unknown names are skipped, or with ``strict``
        refused; a value that does not fit its setting raises ValueError naming both."""
        known = {f.name: f for f in fields(cls)}
        defaults = cls()
        kw: dict[str, Any] = {}
        for name, value in pairs:
            if name not in known:
                if strict:
                    raise ValueError(
                        f"unknown digest setting {name!r} (known: {', '.join(sorted(known))})"
                    )
                continue
            default = getattr(defaults, name)
            if isinstance(default, str):
                kw[name] = value
                continue
            try:
                kw[name] = type(default)(value)
            except ValueError:
                raise ValueError(
                    f"digest setting {name} expects {'a whole number' if isinstance(default, int) else 'a number'}, "
                    f"found {value!r}"
                ) from None
        return cls(**kw)


Progress = Callable[[str], None]


def _noop(_: str) -> None:
    return None


def _summary(entry: Entry, settings: DigestSettings) -> tuple[SummarySentence, ...]:
    from matome.analyze.summarize import summarize_entry

    return tuple(
        summarize_entry(entry, max_sentences=settings.summary_sentences, max_chars=settings.summary_chars)
    )


def digest_entry(entry: Entry, settings: DigestSettings | None = None, progress: Progress | None = None) -> Digest:
    """Digest one entry: summary, vote statistics, opinion groups, layout and discussion text.

    ``progress`` (optional) is called with a short Japanese description of each step.
    """
    with _one_blas_thread():
        return _digest(entry, settings or DigestSettings(), progress or _noop)


_controller = None  # threadpoolctl.ThreadpoolController, made after the first digest


@contextmanager
def _one_blas_thread():
    """Run BLAS/OpenMP single-threaded: on this 2-core class of machine the pipeline's small
    matrix products lose more to thread hand-offs than they gain (measured: the seed 4–8×,
    4,024 comments 17.7 s → 11.4 s), and one thread fixes the order of float reductions, so
    the result cannot depend on the number of threads. Libraries first loaded during a call
    are limited from the next call on (the CLI also sets OPENBLAS_NUM_THREADS and
    OMP_NUM_THREADS before they load). Finding the libraries takes milliseconds, so it is
    done once, after the first digest has loaded them."""
    global _controller
    from threadpoolctl import ThreadpoolController

    first = _controller is None
    ctl = _controller or ThreadpoolController()
    with ctl.limit(limits=1):
        yield
    if first:
        _controller = ThreadpoolController()


def _digest(entry: Entry, settings: DigestSettings, say: Progress) -> Digest:
    comments = list(entry.comments)
    positions = [c.position for c in comments]
    # the grouping reads at most the first MAX_COMMENT_CHARS of a comment: a pathological
    # 5 MB comment would otherwise cost its tokens and character n-grams in memory (~1 GB)
    texts = [c.text[:MAX_COMMENT_CHARS] for c in comments]
    pairs = [(c.votes.up, c.votes.down) for c in comments]

    say("記事を要約しています")
    summary = _summary(entry, settings)

    say("▲・▼の評価を集計しています")
    thread, stats = v.comment_stats(pairs)

    groups: list[Group] = []
    labels: list[int | None] = [None] * len(comments)
    xy: list[tuple[float, float]] = [(0.0, 0.0)] * len(comments)
    duplicates: list[int | None] = [None] * len(comments)
    if comments:
        say(f"{len(comments):,}件のコメントを意見グループに分けています")
        from matome.analyze.clusters import cluster

        clustering = cluster(
            texts,
            [u for u, _ in pairs],
            [d for _, d in pairs],
            method=settings.cluster_method,
            vector_method=settings.vector_method,
            seed=settings.seed,
        )
        labels = [None if x is None or x < 0 else int(x) for x in clustering.labels]
        xy = [(_finite(p[0]), _finite(p[1])) for p in clustering.xy]
        duplicates = list(clustering.duplicate_of)
        groups = _groups(clustering.groups, positions, pairs, thread)

    comment_stats = tuple(
        CommentStat(
            position=positions[i],
            up=s.up,
            down=s.down,
            support=s.support,
            wilson=s.wilson,
            controversy=s.controversy,
            label=s.label,
            group=labels[i],
            x=xy[i][0],
            y=xy[i][1],
            duplicate_of=None if duplicates[i] is None else positions[duplicates[i]],
        )
        for i, s in enumerate(stats)
    )

    say("議論のまとめを書いています")
    text = discussion_summary(comments, groups, comment_stats, max_viewpoints=settings.max_viewpoints,
                              quote_chars=settings.quote_chars)
    paragraphs, headline, closing = text.paragraphs, text.matome_headline, text.matome_paragraphs
    absent = absent_comment_count(entry)
    if absent is not None:
        # comments exist but are not in the entry (a saved page): not "no comments yet"
        paragraphs = (absent_comments_text(absent) + "意見グループや▲・▼の集計はできません。",)
        headline = "コメントは保存されたページに含まれていない。"
        closing = ("コメントの表(CSV など)を加えると、主な論点とそれぞれへの▲・▼の評価をここにまとめる。",)
    return Digest(
        engine=ENGINE_VERSION,
        settings=settings.as_pairs(),
        summary=summary,
        discussion_paragraphs=paragraphs,
        matome_headline=headline,
        matome_paragraphs=closing,
        groups=tuple(groups),
        comments=comment_stats,
        quotes=text.quotes,
    )


def _finite(x) -> float:
    x = float(x)
    return x if math.isfinite(x) else 0.0


def _groups(raw_groups, positions: list[int], pairs: list[tuple[int, int]], thread: v.ThreadVotes) -> list[Group]:
    """Model groups with vote aggregates; each level of the hierarchy is compared within itself."""
    raw = list(raw_groups)
    # a group's comments: its distinct members and their near-duplicate copies
    members = {int(g.id): sorted([*g.members, *g.duplicates]) for g in raw}
    levels: dict[bool, list] = {True: [], False: []}
    for g in raw:
        levels[g.parent is None].append(g)
    aggregates: dict[int, v.GroupVotes] = {}
    for level in levels.values():
        if not level:
            continue
        for g, agg in zip(level, v.group_votes([members[int(g.id)] for g in level], pairs, thread)):
            aggregates[int(g.id)] = agg
    out = []
    for g in raw:
        a = aggregates[int(g.id)]
        out.append(
            Group(
                id=int(g.id),
                label=str(g.label),
                key_phrases=tuple(str(k) for k in g.key_phrases),
                members=tuple(positions[i] for i in members[int(g.id)]),
                representatives=tuple(positions[i] for i in g.representatives),
                parent=None if g.parent is None else int(g.parent),
                comment_share=a.comment_share,
                up=a.up,
                down=a.down,
                up_share=a.up_share,
                down_share=a.down_share,
                support=a.support,
                kind=a.kind,
                label_position=None if g.label_index is None else positions[g.label_index],
                label_start=g.label_start,
                other=bool(g.other),
            )
        )
    return out


# ---------------------------------------------------------------------------------------
# writing a digest into an entry


def apply_digest(entry: Entry, digest: Digest) -> Entry:
    """The entry with the digest's (要約) and discussion records; ids, stamps, flags and every
    other record unchanged (so they round-trip byte for byte)."""
    paragraphs = tuple(digest.summary_paragraphs) or tuple(s.text for s in digest.summary)
    summary = replace(entry.summary, paragraphs=paragraphs, verbatim=None)
    discussion = replace(
        entry.discussion,
        paragraphs=tuple(digest.discussion_paragraphs),
        matome_headline=digest.matome_headline,
        matome_paragraphs=tuple(digest.matome_paragraphs),
        verbatim=None,
    )
    return replace(entry, summary=summary, discussion=discussion)


# ---------------------------------------------------------------------------------------
# JSON


def digest_to_dict(d: Digest) -> dict[str, Any]:
    """A JSON-safe dict (lists, str, int, float, None) that digest_from_dict reads back exactly.

    The optional LLM writer's fields (``summary_paragraphs``, ``writers``, group
    ``description``) appear only when set, so an offline digest's JSON does not change."""
    out = {
        "format": DIGEST_FORMAT,
        "engine": d.engine,
        "settings": [[k, val] for k, val in d.settings],
        "summary": [
            {"text": s.text, "paragraph": s.paragraph, "sentence": s.sentence, "start": s.start}
            | ({"spans": [list(x) for x in s.spans]} if s.spans else {})
            for s in d.summary
        ],
        "discussion_paragraphs": list(d.discussion_paragraphs),
        "matome_headline": d.matome_headline,
        "matome_paragraphs": list(d.matome_paragraphs),
        "groups": [
            {
                "id": g.id,
                "label": g.label,
                "key_phrases": list(g.key_phrases),
                "members": list(g.members),
                "representatives": list(g.representatives),
                "parent": g.parent,
                "comment_share": g.comment_share,
                "up": g.up,
                "down": g.down,
                "up_share": g.up_share,
                "down_share": g.down_share,
                "support": g.support,
                "kind": g.kind,
                "label_position": g.label_position,
                "label_start": g.label_start,
                "other": g.other,
                **({"description": g.description} if g.description else {}),
            }
            for g in d.groups
        ],
        "comments": [
            {
                "position": c.position,
                "up": c.up,
                "down": c.down,
                "support": c.support,
                "wilson": c.wilson,
                "controversy": c.controversy,
                "label": c.label,
                "group": c.group,
                "x": c.x,
                "y": c.y,
                "duplicate_of": c.duplicate_of,
            }
            for c in d.comments
        ],
        "quotes": [{"text": q.text, "position": q.position, "start": q.start} for q in d.quotes],
    }
    if d.summary_paragraphs:
        out["summary_paragraphs"] = list(d.summary_paragraphs)
    if d.writers:
        out["writers"] = [{"part": w.part, "writer": w.writer, "model": w.model, "note": w.note} for w in d.writers]
    return out


class DigestFormatError(ValueError):
    """A digest dict that does not have the expected fields, naming the place."""


def _opt_float(x) -> float | None:
    return None if x is None else float(x)


def _opt_int(x) -> int | None:
    return None if x is None else int(x)


_new = object.__new__


def _comment_stat(c: dict[str, Any]) -> CommentStat:
    """``CommentStat(**fields)`` with each field converted as the dataclass declares it.
    A digest holds one per comment, and reading them is most of reading a digest: the
    fields are set on a new instance at once instead of through the frozen dataclass's
    ``__init__`` (one ``object.__setattr__`` per field, twice the cost; CommentStat has no
    ``__post_init__``), which gives an equal instance."""
    position = int(c["position"])  # first: a digest whose comment is not an object fails here (TypeError)
    get = c.get
    support, group, duplicate_of = get("support"), get("group"), get("duplicate_of")
    stat = _new(CommentStat)
    stat.__dict__.update(
        position=position, up=int(c["up"]), down=int(c["down"]),
        support=None if support is None else float(support), wilson=float(c["wilson"]),
        controversy=float(c["controversy"]), label=str(c["label"]), group=None if group is None else int(group),
        x=float(get("x", 0.0)), y=float(get("y", 0.0)), duplicate_of=None if duplicate_of is None else int(duplicate_of),
    )
    return stat


def digest_from_dict(data: dict[str, Any]) -> Digest:
    """The Digest written by :func:`digest_to_dict`."""
    if not isinstance(data, dict):
        raise DigestFormatError(f"a digest must be a JSON object, not {type(data).__name__}")
    fmt = data.get("format", DIGEST_FORMAT)
    if fmt != DIGEST_FORMAT:
        raise DigestFormatError(f"unknown digest format {fmt!r}: expected {DIGEST_FORMAT!r}")
    where = "digest"
    try:
        where = "settings"
        settings = tuple((str(k), str(val)) for k, val in data.get("settings", []))
        where = "summary"
        summary = tuple(
            SummarySentence(
                str(s["text"]),
                int(s["paragraph"]),
                int(s["sentence"]),
                int(s["start"]),
                tuple((int(a), int(b)) for a, b in s.get("spans", ())),
            )
            for s in data.get("summary", [])
        )
        where = "groups"
        groups = tuple(
            Group(
                id=int(g["id"]),
                label=str(g["label"]),
                key_phrases=tuple(str(k) for k in g.get("key_phrases", [])),
                members=tuple(map(int, g["members"])),
                representatives=tuple(map(int, g.get("representatives", []))),
                parent=_opt_int(g.get("parent")),
                comment_share=float(g["comment_share"]),
                up=int(g["up"]),
                down=int(g["down"]),
                up_share=float(g["up_share"]),
                down_share=float(g["down_share"]),
                support=_opt_float(g.get("support")),
                kind=str(g["kind"]),
                label_position=_opt_int(g.get("label_position")),
                label_start=_opt_int(g.get("label_start")),
                other=bool(g.get("other", False)),
                description=str(g.get("description", "")),
            )
            for g in data.get("groups", [])
        )
        where = "comments"
        comments = tuple([_comment_stat(c) for c in data.get("comments", [])])
        where = "quotes"
        quotes = tuple(Quote(str(q["text"]), int(q["position"]), int(q["start"])) for q in data.get("quotes", []))
        where = "writers"
        writers = tuple(
            PartWriter(str(w["part"]), str(w["writer"]), str(w.get("model", "")), str(w.get("note", "")))
            for w in data.get("writers", [])
        )
        where = "discussion"
        return Digest(
            engine=str(data["engine"]),
            settings=settings,
            summary=summary,
            discussion_paragraphs=tuple(str(p) for p in data.get("discussion_paragraphs", [])),
            matome_headline=str(data.get("matome_headline", "")),
            matome_paragraphs=tuple(str(p) for p in data.get("matome_paragraphs", [])),
            groups=groups,
            comments=comments,
            quotes=quotes,
            summary_paragraphs=tuple(str(p) for p in data.get("summary_paragraphs", [])),
            writers=writers,
        )
    except (KeyError, TypeError, ValueError) as e:
        raise DigestFormatError(f"bad digest {where}: {type(e).__name__}: {e}") from None
