"""HTML rendering with Jinja2 (autoescape on for every template)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from matome.web import assets
from matome.web.fragments import comment_items, group_cards
from matome.web.data import SORTS, group_members, map_payload, sort_comments
from matome.web.security import json_for_html, report_csp

TEMPLATES = Path(__file__).resolve().parent / "templates"


#: The names ``getattr`` finds on a plain dict (its methods and dunders).
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(Environment):
    """Jinja2's environment with a faster ``obj.name`` for plain dicts, which is what the
    templates mostly read (``a.title``): Jinja2 tries ``getattr`` first and, for a dict,
    falls back to the item after an ``AttributeError`` — a third of the article template's
    rendering time. For an instance of ``dict`` itself ``getattr`` finds exactly the names
    of :data:`_DICT_ATTRIBUTES`, so looking up the item first for any other name gives the
    same value (``sorts.items()`` is still the method)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = _Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every template, whatever its name
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
        auto_reload=False,
    )
    env.globals.update(report=False, q="")
    return env


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def list_status(sort: str, shown: int, group_label: str | None) -> str:
    text = f"{SORTS.get(sort, '')}で {shown} 件を表示"
    return f"グループ「{group_label}」の{text}" if group_label else text


def normalize_sort(sort: str | None) -> str:
    return sort if sort in SORTS else "recommended"


#: Longest comment list rendered into one page. Longer threads are sorted and filtered by
#: the server (the page then reloads on a change of order or group) and paginated.
MAX_LIST = 300


def page_href(view: dict[str, Any], sort: str, group: int | None, page: int) -> str:
    params = {"sort": sort}
    if group is not None:
        params["group"] = str(group)
    if page > 1:
        params["page"] = str(page)
    return f"/articles/{view['id']}?{urlencode(params)}#comments"


def article_context(view: dict[str, Any], sort: str, group: int | None, max_list: int | None = None,
                    page: int = 1) -> dict[str, Any]:
    max_list = MAX_LIST if max_list is None else max_list
    sort = normalize_sort(sort)
    index = view["group_index"]
    if group not in index:
        group = None
    visible = group_members(view, group)
    comments = sort_comments(view["comments"], sort)
    shown = len(comments) if visible is None else sum(1 for c in comments if c["position"] in visible)
    truncated = len(comments) > max_list
    status = list_status(sort, shown, index[group]["label"] if group is not None else None)
    pages, prev_href, next_href = 1, None, None
    if truncated:
        chosen = [c for c in comments if visible is None or c["position"] in visible]
        pages = max(1, -(-len(chosen) // max_list))
        page = min(max(1, page), pages)
        start = (page - 1) * max_list
        comments = chosen[start:start + max_list]
        visible = None
        if page == 1:
            part = f"上位 {len(comments)} 件"
        else:
            part = f" {start + 1}〜{start + len(comments)} 件目"
        status = status.replace(f"で {shown} 件を表示", f"で {shown} 件のうち{part}を表示")
        if page > 1:
            prev_href = page_href(view, sort, group, page - 1)
        if page < pages:
            next_href = page_href(view, sort, group, page + 1)
    else:
        page = 1
    payload = map_payload(view, {c["position"] for c in comments} if truncated else None)
    drawn = len(payload["map"]["p"])
    map_note = ""
    if payload["map_total"] > drawn:
        map_note = (f"コメントが多いため、意見マップには {payload['map_total']:,} 件のうち "
                    f"{drawn:,} 件(コメント順に等間隔に選んだもの)を表示しています。")
    return {
        "a": view,
        "sorts": SORTS,
        "sort": sort,
        "group": group,
        "comment_items": comment_items(comments, visible),
        "group_cards": group_cards(view["groups"]),
        "status": status,
        "truncated": truncated,
        "page": page,
        "pages": pages,
        "prev_href": prev_href,
        "next_href": next_href,
        "map_note": map_note,
        "payload": json_for_html(payload),
    }


def render_article(view: dict[str, Any], sort: str = "recommended", group: int | None = None, page: int = 1) -> str:
    return render("article.html", **article_context(view, sort, group, page=page))


def render_report(view: dict[str, Any], max_list: int = 2000) -> str:
    """One self-contained HTML file: CSS and scripts inline, allowed by hash in a CSP meta."""
    css = assets.static_text("style.css")
    article_js = assets.static_text("article.js")
    scripts = [article_js]
    plotly = ""
    if view["has_map"]:
        plotly = assets.plotly_js()
        scripts.append(plotly)
    # Plotly adds its own rules through the CSSOM (allowed); it needs no inline <style> text.
    csp = report_csp([assets.csp_hash(s) for s in scripts], [assets.csp_hash(css)])
    ctx = article_context(view, "recommended", None, max_list)
    ctx.update(prev_href=None, next_href=None)  # one file: the first ``max_list`` comments only
    ctx.update(report=True, report_csp=csp, inline_css=css, article_js=article_js, plotly_js=plotly)
    return render("article.html", **ctx)
