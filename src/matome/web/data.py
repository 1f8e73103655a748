"""What the pages and the API show, read from a :class:`matome.store.Store`.

Every function here takes the store and returns plain dicts and lists (JSON-ready), so that
the HTML pages, the JSON API and the one-file report show the same numbers. Nothing here
formats HTML: templates escape every piece of text.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from matome.wording import KIND_TEXT, percent
from matome.analyze import votes
from matome.model import Digest, Entry, absent_comment_count
from matome.web.security import safe_http_url

#: Group colours (colour-blind friendly, Okabe–Ito + extras); CSS has the same as .g0 … .g9.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#7A5195",
    "#8C6D31",
    "#2F4B7C",
    "#A05195",
)
UNGROUPED_COLOR = "#8A8A8A"

#: Sort orders of the comment list: key → Japanese label.
SORTS = {
    "recommended": "おすすめ順",
    "up": "▲の多い順",
    "down": "▼の多い順",
    "divided": "賛否の割れた順",
    "original": "元の順",
}

#: Home sections: store order → Japanese heading.
HOME_ORDERS = {
    "latest": "新着",
    "most_commented": "コメントの多い記事",
    "most_divided": "賛否の割れた記事",
}

GROUP_KIND_JA = KIND_TEXT  # one wording for the CLI, Markdown, web and report

COMMENT_LABEL_JA = {
    "consensus": "支持多数",
    "divisive": "賛否両論",
    "low-signal": "反応少",
    "mixed": "賛否混在",
}

WEEKDAYS_JA = "月火水木金土日"


#: Finer groups named under a group card and in the group filter (the largest first).
SUBGROUPS_SHOWN = 20

def group_color(group_id: int | None) -> str:
    if group_id is None:
        return UNGROUPED_COLOR
    return PALETTE[group_id % len(PALETTE)]


def format_datetime(value: Any) -> str:
    """``2025年2月13日(木) 12:16`` for a datetime, the text itself for a string, else ``""``."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return f"{value.year}年{value.month}月{value.day}日({WEEKDAYS_JA[value.weekday()]}) {value.hour:02d}:{value.minute:02d}"
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------------------
# Lists of articles


def article_row(row: Any) -> dict[str, Any]:
    """One row of an article list as a dict."""
    up = int(getattr(row, "up", 0) or 0)
    down = int(getattr(row, "down", 0) or 0)
    total = up + down
    return {
        "id": row.id,
        "title": row.title,
        "source": getattr(row, "source", None),
        "published_at": iso(getattr(row, "published_at", None)),
        "published": format_datetime(getattr(row, "published_at", None)),
        "url": safe_http_url(getattr(row, "url", None)),
        "comment_count": int(getattr(row, "comment_count", 0) or 0),
        "up": up,
        "down": down,
        "up_pct": percent(up / total) if total else None,
        "divisiveness": getattr(row, "divisiveness", None),
    }


def list_articles(store: Any, order: str = "latest", limit: int = 20, offset: int = 0) -> list[dict[str, Any]]:
    return [article_row(r) for r in store.list_articles(order=order, limit=limit, offset=offset)]


def home_sections(store: Any, limit: int = 10) -> list[dict[str, Any]]:
    return [
        {"order": order, "heading": heading, "articles": list_articles(store, order, limit)}
        for order, heading in HOME_ORDERS.items()
    ]


# ---------------------------------------------------------------------------------------
# One article


def bar_widths(up: int, down: int) -> tuple[str, str]:
    """Widths (of 100) of the ▲ and ▼ parts of a vote bar, as attribute strings."""
    total = up + down
    if not total:
        return "0", "0"
    w = 100 * up / total
    return f"{w:.1f}", f"{100 - w:.1f}"


def _comment_rows(entry: Entry, digest: Digest | None) -> list[dict[str, Any]]:
    """One dict per comment shown: what the page's list, the map and the API's comment list
    read (the markup is made from these fields in :mod:`matome.web.fragments`)."""
    rows = []
    append = rows.append
    if digest is not None:
        stats = {s.position: s for s in digest.comments}
        get = stats.get
    else:
        get = None
    for c in entry.comments:
        s = get(c.position) if get is not None else None
        votes_ = c.votes
        up, down = votes_.up, votes_.down
        if s is not None:
            append({"position": c.position, "text": c.text, "up": up, "down": down, "support": s.support,
                    "wilson": round(float(s.wilson), 6), "controversy": round(float(s.controversy), 6),
                    "label": s.label, "group": s.group, "x": s.x, "y": s.y, "duplicate_of": s.duplicate_of,
                    "group_label": ""})
        else:
            # no digest yet: the same statistics the digest engine computes
            append({"position": c.position, "text": c.text, "up": up, "down": down, "support": votes_.support,
                    "wilson": round(float(votes.wilson_lower(up, up + down)), 6),
                    "controversy": round(float(votes.controversy(up, down)), 6),
                    "label": None, "group": None, "x": None, "y": None, "duplicate_of": None, "group_label": ""})
    return rows


def group_members(view: dict[str, Any], group: int | None) -> set[int] | None:
    """Positions of the comments in a group (either level), or None for no filter."""
    g = view["group_index"].get(group) if group is not None else None
    return set(g["members"]) if g is not None else None


def sort_comments(rows: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """The comment rows in one of the :data:`SORTS` orders (ties keep the original order)."""
    if sort == "up":
        key = lambda r: (-r["up"], r["position"])  # noqa: E731
    elif sort == "down":
        key = lambda r: (-r["down"], r["position"])  # noqa: E731
    elif sort == "divided":
        key = lambda r: (-r["controversy"], r["position"])  # noqa: E731
    elif sort == "recommended":
        key = lambda r: (-r["wilson"], -r["up"], r["position"])  # noqa: E731
    else:
        key = lambda r: r["position"]  # noqa: E731
    return sorted(rows, key=key)


def _quote_text(text: str, limit: int = 140) -> str:
    """A prefix of ``text`` (an exact substring) cut at ``limit`` characters."""
    flat = text.strip()
    return flat if len(flat) <= limit else flat[:limit]


def _groups(digest: Digest, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_pos = {r["position"]: r for r in rows}
    quotes_by_pos: dict[int, list[Any]] = {}
    for q in digest.quotes:
        quotes_by_pos.setdefault(q.position, []).append(q)
    out = []
    for g in digest.groups:
        quotes = []
        for pos in g.representatives[:3]:
            row = by_pos.get(pos)
            if row is None:
                continue
            qs = quotes_by_pos.get(pos)
            if qs:
                text, start, cut = qs[0].text, qs[0].start, False
            else:
                text, start = _quote_text(row["text"]), 0
                cut = len(text) < len(row["text"].strip())
            quotes.append(
                {"text": text, "start": start, "cut": cut, "position": pos, "number": pos + 1,
                 "up": row["up"], "down": row["down"]}
            )
        votes = g.up + g.down
        bar_up, bar_down = bar_widths(g.up, g.down)
        out.append(
            {
                "bar_up": bar_up,
                "bar_down": bar_down,
                "id": g.id,
                "label": g.label,
                # where the label is written (a statement one reader made); None: a fixed name
                "label_position": g.label_position,
                "label_number": None if g.label_position is None else g.label_position + 1,
                "other": g.other,
                "description": g.description,
                "key_phrases": list(g.key_phrases),
                "count": len(g.members),
                "members": list(g.members),
                "share_pct": round(100 * g.comment_share, 1),
                "up": g.up,
                "down": g.down,
                "up_in_group_pct": round(100 * g.up / votes, 1) if votes else 0.0,
                "down_in_group_pct": round(100 * g.down / votes, 1) if votes else 0.0,
                "up_share_pct": round(100 * g.up_share, 1),
                "down_share_pct": round(100 * g.down_share, 1),
                "support_pct": percent(g.support) if g.support is not None else None,
                "kind": g.kind,
                "kind_ja": GROUP_KIND_JA.get(g.kind, g.kind),
                "parent": g.parent,
                "color": group_color(g.id),
                "color_class": f"g{g.id % len(PALETTE)}",
                "quotes": quotes,
            }
        )
    return out


def vote_totals_over_time(points: list[Any]) -> list[dict[str, Any]]:
    """Thread totals at each observation time, from per-comment vote snapshots.

    A snapshot may exist only for comments whose votes changed, so each comment keeps its
    last observed votes until a newer snapshot of it appears.
    """
    by_time: dict[str, list[Any]] = {}
    for p in points:
        by_time.setdefault(str(p.observed_at), []).append(p)
    latest: dict[str, tuple[int, int]] = {}
    out = []
    for when in sorted(by_time):
        for p in by_time[when]:
            latest[p.comment_key] = (int(p.up), int(p.down))
        out.append(
            {
                "at": when,
                "when": format_datetime(when),
                "comment_count": len(latest),
                "up": sum(u for u, _ in latest.values()),
                "down": sum(d for _, d in latest.values()),
            }
        )
    return out


def _history(store: Any, article_id: int) -> list[dict[str, Any]]:
    fn = getattr(store, "vote_history", None)
    if fn is None:
        return []
    points = list(fn(article_id) or ())
    if len({p.observed_at for p in points}) < 2:
        return []  # observed once: nothing to show
    return vote_totals_over_time(points)


def article_view(store: Any, article_id: int) -> dict[str, Any] | None:
    """Everything the article page shows, or None when there is no such article."""
    read = getattr(store, "read_article_stamped", None)
    if read is not None:  # one connection for the entry, the digest and the vote history
        found = read(article_id)
        if found is None:
            return None
        entry, digest, points, stamp = found
        history = vote_totals_over_time(points) if len({p.observed_at for p in points}) >= 2 else []
        view = build_article_view(article_id, entry, digest, history)
        view["stamp"] = stamp  # what the page's version is made of (matome.web.pagecache)
        return view
    entry = store.get_entry(article_id)
    if entry is None:
        return None
    digest = store.get_digest(article_id)
    return build_article_view(article_id, entry, digest, _history(store, article_id))


def build_article_view(
    article_id: int, entry: Entry, digest: Digest | None, history: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    h = entry.headline
    rows = _comment_rows(entry, digest)
    up = sum([r["up"] for r in rows])
    down = sum([r["down"] for r in rows])
    blocks = entry.body.blocks  # computed on each access: once here
    published_at = h.published_at  # likewise (it parses the record's stamp)
    if digest is not None and digest.summary_paragraphs:
        summary = [{"text": p, "paragraph": None, "sentence": None} for p in digest.summary_paragraphs]
        summary_origin = "llm"
    elif digest is not None and digest.summary:
        summary = [{"text": s.text, "paragraph": s.paragraph, "sentence": s.sentence} for s in digest.summary]
        summary_origin = "matome"
    else:
        summary = [{"text": p, "paragraph": None, "sentence": None} for p in entry.summary.paragraphs]
        summary_origin = "archive"
    if digest is not None and (digest.discussion_paragraphs or digest.matome_headline):
        discussion = {
            "paragraphs": list(digest.discussion_paragraphs),
            "matome_headline": digest.matome_headline,
            "matome_paragraphs": list(digest.matome_paragraphs),
            "origin": "matome",
        }
    else:
        d = entry.discussion
        discussion = {
            "paragraphs": list(d.paragraphs),
            "matome_headline": d.matome_headline,
            "matome_paragraphs": list(d.matome_paragraphs),
            "origin": "archive",
        }
    all_groups = _groups(digest, rows) if digest is not None else []
    notes = writer_notes(digest)
    for g in all_groups:
        g["writer_note"] = notes.get(f"group:{g['id']}", "")
    index = {g["id"]: g for g in all_groups}
    # two-level digests: top groups are the cards and map colours, fine groups sit inside them
    groups = [g for g in all_groups if g["parent"] is None or g["parent"] not in index]
    for g in groups:
        children = sorted((c for c in all_groups if c["parent"] == g["id"] and c is not g),
                          key=lambda c: (-c["count"], c["id"]))
        for c in children:
            c["color"], c["color_class"] = g["color"], g["color_class"]
        # その他 of a big thread holds a thousand finer groups, most of one comment: the card and
        # the filter list name the largest; the rest are counted
        g["children"] = children[:SUBGROUPS_SHOWN]
        g["children_total"] = len(children)
        g["children_hidden"] = len(children) - len(g["children"])
        g["children_hidden_count"] = sum(c["count"] for c in children[SUBGROUPS_SHOWN:])
    if index:
        for r in rows:
            g = index.get(r["group"])
            if g is not None:
                r["group_label"] = g["label"]
    has_map = bool(digest is not None and digest.comments and any(r["x"] is not None for r in rows))
    return {
        "id": article_id,
        "title": h.title,
        "source": h.source,
        "published": format_datetime(published_at) or (h.published_text or ""),
        "published_at": iso(published_at),
        "url": safe_http_url(h.url),
        "record_id": h.record.id,
        "summary": summary,
        "summary_origin": summary_origin,
        "archive_summary": list(entry.summary.paragraphs),
        "discussion": discussion,
        "body": [{"kind": b.kind, "text": b.text} for b in blocks],
        "paragraph_count": sum([b.kind == "paragraph" for b in blocks]),
        "totals": {"comments": len(rows), "up": up, "down": down},
        "comments_absent": absent_comment_count(entry),
        "groups": groups,
        "group_index": index,
        "comments": rows,
        "has_digest": digest is not None,
        "engine": digest.engine if digest is not None else None,
        "has_map": has_map,
        "history": history or [],
        "writer_notes": notes,
        # the values the page's version is made of, read with the data (None: not known)
        "stamp": None,
    }


def writer_notes(digest: Digest | None) -> dict[str, str]:
    """Per part of a digest made with --llm: who wrote it, and why matome's own text was kept
    (empty for an offline digest)."""
    if digest is None or not digest.writers:
        return {}
    from matome.llm.apply import writer_note

    return {w.part: writer_note(w) for w in digest.writers}


#: Most points drawn on the opinion map; a longer thread shows an evenly spaced sample
#: (by comment order), and the page says so.
MAP_MAX_POINTS = 20_000
#: Threads up to this many map points carry every point's hover text; longer ones carry
#: the texts of the comments listed on the page only (the others show number and votes).
MAP_TEXT_MAX = 2_000
#: Map coordinates are sent as whole multiples of 1/MAP_SCALE (the layout keeps 4 decimals:
#: the page script's ``x / s`` is the layout's number itself).
MAP_SCALE = 10_000


def map_sample(view: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The comment rows drawn on the map and the number of rows that have map coordinates."""
    points = [r for r in view["comments"] if r["x"] is not None]
    total = len(points)
    if total <= MAP_MAX_POINTS:
        return points, total
    return [points[(i * total) // MAP_MAX_POINTS] for i in range(MAP_MAX_POINTS)], total


def map_payload(view: dict[str, Any], listed: set[int] | None = None) -> dict[str, Any]:
    """The compact JSON the page script needs for the map and the client-side list.

    Points are parallel arrays (position, x, y, group, ▲, ▼); x and y are whole numbers, the
    coordinates times ``s`` (:data:`MAP_SCALE`: ints cost a fraction of floats to write). ``listed`` is the set of
    positions of the comments on the page (None: all of them); group member lists are cut
    down to what the page can show (listed comments and map points).
    """
    points, total = map_sample(view)
    drawn = {r["position"] for r in points}
    keep = drawn | (listed if listed is not None else {r["position"] for r in view["comments"]})
    with_text = drawn if total <= MAP_TEXT_MAX else drawn & (listed or set())
    return {
        "id": view["id"],
        "groups": [
            {"id": g["id"], "label": g["label"], "color": g["color"], "parent": g["parent"],
             "members": [m for m in g["members"] if m in keep]}
            for g in view["group_index"].values()
        ],
        "map": {
            "p": [r["position"] for r in points],
            "s": MAP_SCALE,
            "x": [round(float(r["x"]) * MAP_SCALE) for r in points],
            "y": [round(float(r["y"]) * MAP_SCALE) for r in points],
            "g": [r["group"] for r in points],
            "u": [r["up"] for r in points],
            "d": [r["down"] for r in points],
        },
        "texts": {str(r["position"]): r["text"][:160] for r in points if r["position"] in with_text},
        "map_total": total,
    }


# ---------------------------------------------------------------------------------------
# Search


def _hit_pieces(hit: Any) -> list[dict[str, Any]]:
    """The snippet as ``[{"text", "match"}]`` pieces, in order."""
    return [{"text": str(text), "match": bool(matched)} for text, matched in hit.snippet]


KIND_JA = {"title": "見出し", "headline": "見出し", "summary": "要約", "body": "本文", "article": "本文",
           "discussion": "議論のまとめ", "comment": "コメント"}


def search_articles(store: Any, query: str, **filters: Any) -> dict[str, Any]:
    """One result per matching article with its best snippets, and the total."""
    page = store.search_articles(query, **{k: v for k, v in filters.items() if v not in (None, "")})
    results = []
    for r in page.results:
        hits = _hit_dicts(r.hits)
        shown = sum(1 for h in hits if h["kind"] == "comment")
        results.append({
            "article_id": r.article_id,
            "title": r.title,
            "source": r.source,
            "published_at": iso(r.published_at),
            "published": format_datetime(r.published_at),
            "score": r.score,
            "up": r.up,
            "kinds": list(r.kinds),
            "kinds_ja": [KIND_JA.get(k, k) for k in r.kinds],
            "comment_matches": r.comment_matches,
            "more_comments": max(0, r.comment_matches - shown),
            "href": f"/articles/{r.article_id}",
            "hits": hits,
        })
    return {"total": page.total, "total_exact": page.total_exact, "more": page.more, "results": results}


def _hit_dicts(hits: Any) -> list[dict[str, Any]]:
    out = []
    for h in hits:
        pos = getattr(h, "comment_position", None)
        out.append(
            {
                "article_id": h.article_id,
                "kind": h.kind,
                "kind_ja": KIND_JA.get(h.kind, h.kind),
                "comment_position": pos,
                "title": h.title,
                "pieces": _hit_pieces(h),
                "source": getattr(h, "source", None),
                "published_at": getattr(h, "published_at", None),
                "published": format_datetime(getattr(h, "published_at", None)),
                "up": getattr(h, "up", None),
                "down": getattr(h, "down", None),
                "score": getattr(h, "score", None),
                "href": f"/articles/{h.article_id}" + (f"#c{pos}" if pos is not None else ""),
            }
        )
    return out
