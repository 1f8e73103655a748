"""The comment list as HTML, built in Python for speed (the longest part of an article page).

Every piece of text goes through :func:`markupsafe.escape`; numbers are formatted from ints
and floats. The result is :class:`markupsafe.Markup`, inserted by the Jinja2 template.
"""

from __future__ import annotations

from typing import Any, Iterable

from markupsafe import Markup, escape


def _item(c: dict[str, Any], hidden: bool) -> str:
    pos = int(c["position"])
    group = c["group"]
    head = [f'<span class="num">#{pos + 1}</span>']
    if group is not None:
        head.append(
            f' <span class="group-tag {escape(c["color_class"])}"><span class="swatch" aria-hidden="true"></span>'
            f'{escape(c["group_label"])}</span>'
        )
    if c["label_ja"]:
        head.append(f' <span class="label label-{escape(c["label"])}">{escape(c["label_ja"])}</span>')
    if c["duplicate_of"] is not None:
        head.append(f' <span class="label">#{int(c["duplicate_of"]) + 1} とほぼ同じ</span>')
    paras = "".join(
        f'<p class="quoted">{escape(p)}</p>' if q else f"<p>{escape(p)}</p>"
        for p, q in zip(c["paragraphs"], c["quoted"])
    )
    up, down = int(c["up"]), int(c["down"])
    return (
        f'<li class="comment" id="c{pos}" data-pos="{pos}" data-up="{up}" data-down="{down}" '
        f'data-wilson="{float(c["wilson"])!r}" data-controversy="{float(c["controversy"])!r}" '
        f'data-group="{"" if group is None else int(group)}"{" hidden" if hidden else ""}>\n'
        f'<div class="comment-head">{"".join(head)}</div>\n'
        f'<div class="comment-text">{paras}</div>\n'
        f'<div class="comment-votes"><span class="up" title="賛成 (▲)">▲ <span class="n-up">{up}</span></span> '
        f'<span class="down" title="反対 (▼)">▼ <span class="n-down">{down}</span></span> '
        f'<svg class="votebar" viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true">'
        f'<rect class="bar-up" width="{escape(c["bar_up"])}" height="6"/>'
        f'<rect class="bar-down" x="{escape(c["bar_up"])}" width="{escape(c["bar_down"])}" height="6"/></svg></div>\n'
        f"</li>\n"
    )


def comment_items(comments: Iterable[dict[str, Any]], visible: set[int] | None) -> Markup:
    """``<li>`` items of the comment list; those not in ``visible`` (when given) are hidden."""
    return Markup("".join(_item(c, visible is not None and c["position"] not in visible) for c in comments))
