"""The comment list, the opinion group cards and the search results as HTML, built in Python
for speed (the longest parts of the article and search pages; the tests compare each with
the template markup it replaced).

Every piece of text goes through :func:`_escape`, which writes exactly what
:func:`markupsafe.escape` writes for a ``str`` (``&<>"'`` as ``&amp;`` ``&lt;`` ``&gt;``
``&#34;`` ``&#39;``) without making a ``Markup`` of each piece; numbers are formatted from
ints and floats. The result is :class:`markupsafe.Markup`, inserted by the Jinja2 template.
"""

from __future__ import annotations

from typing import Any, Iterable

from markupsafe import Markup, escape as markupsafe_escape

from matome.web.data import COMMENT_LABEL_JA, PALETTE


def _escape(value: str) -> str:
    """``str(markupsafe.escape(value))`` for a plain string, at a fraction of its cost."""
    kind = type(value)
    if kind is not str:
        if kind is int or kind is float:  # digits, signs, '.', 'e', 'inf', 'nan': nothing to escape
            return str(value)
        return str(markupsafe_escape(value))  # Markup, None …: markupsafe's own rules
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
            .replace("'", "&#39;"))


escape = _escape


#: The label tag of a comment, by the label's key (keys and texts are fixed: escaped once here).
_LABEL_TAGS = {key: f' <span class="label label-{_escape(key)}">{_escape(text)}</span>'
               for key, text in COMMENT_LABEL_JA.items()}
_QUOTE_MARKS = ("&gt;", "\uff1e")  # a paragraph quoting another comment (">" escaped, or "＞")


def _group_tag(group: int, label: str) -> str:
    return (f' <span class="group-tag g{group % len(PALETTE)}"><span class="swatch" aria-hidden="true"></span>'
            f'{_escape(label)}</span>')


def _item(c: dict[str, Any], hidden: bool, tags: dict[Any, str]) -> str:
    """One ``<li>`` of the comment list. Only the comment's text and its group's label are
    text from outside (escaped); everything else is an int, a float's repr, or fixed text.
    ``tags``: the group tags made so far (one per group of the page, escaped once)."""
    pos = int(c["position"])
    group = c["group"]
    if group is None:
        tag = group_attr = ""
    else:
        group = int(group)
        group_attr = str(group)
        key = (group, c["group_label"])
        tag = tags.get(key)
        if tag is None:
            tag = tags[key] = _group_tag(group, c["group_label"])
    label = c["label"]
    label_tag = _LABEL_TAGS.get(label, "") if type(label) is str else ""
    dup = c["duplicate_of"]
    dup_tag = "" if dup is None else f' <span class="label">#{int(dup) + 1} とほぼ同じ</span>'
    # escaping keeps line breaks and blank lines as they are: split after escaping the whole text
    text = _escape(c["text"])
    if "\n" not in text and text.strip():  # one paragraph (most comments)
        paras = f'<p class="quoted">{text}</p>' if text.startswith(_QUOTE_MARKS) else f"<p>{text}</p>"
    else:
        paras = "".join([f'<p class="quoted">{p}</p>' if p.startswith(_QUOTE_MARKS) else f"<p>{p}</p>"
                         for p in text.split("\n") if p.strip()])
    up, down = int(c["up"]), int(c["down"])
    total = up + down
    if total:
        w = 100 * up / total
        bar_up, bar_down = f"{w:.1f}", f"{100 - w:.1f}"
    else:
        bar_up = bar_down = "0"
    return (
        f'<li class="comment" id="c{pos}" data-pos="{pos}" data-up="{up}" data-down="{down}" '
        f'data-wilson="{float(c["wilson"])!r}" data-controversy="{float(c["controversy"])!r}" '
        f'data-group="{group_attr}"{" hidden" if hidden else ""}>\n'
        f'<div class="comment-head"><span class="num">#{pos + 1}</span>{tag}{label_tag}{dup_tag}</div>\n'
        f'<div class="comment-text">{paras}</div>\n'
        f'<div class="comment-votes"><span class="up" title="賛成 (▲)">▲ <span class="n-up">{up}</span></span> '
        f'<span class="down" title="反対 (▼)">▼ <span class="n-down">{down}</span></span> '
        f'<svg class="votebar" viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true">'
        f'<rect class="bar-up" width="{bar_up}" height="6"/>'
        f'<rect class="bar-down" x="{bar_up}" width="{bar_down}" height="6"/></svg></div>\n'
        f"</li>\n"
    )


def comment_items(comments: Iterable[dict[str, Any]], visible: set[int] | None) -> Markup:
    """``<li>`` items of the comment list; those not in ``visible`` (when given) are hidden.
    Each comment is a row of :func:`matome.web.data.build_article_view` (``position``,
    ``text``, ``up``, ``down``, ``wilson``, ``controversy``, ``label``, ``group``,
    ``group_label``, ``duplicate_of``)."""
    tags: dict[Any, str] = {}
    if visible is None:
        return Markup("".join([_item(c, False, tags) for c in comments]))
    return Markup("".join([_item(c, c["position"] not in visible, tags) for c in comments]))


def _card(g: dict[str, Any]) -> str:
    gid = _escape(str(g["id"]))
    out = [f'      <article class="group-card {_escape(g["color_class"])}" id="group-{gid}" data-group="{gid}">\n'
           f'        <h3><span class="swatch" aria-hidden="true"></span>{_escape(g["label"])}</h3>\n']
    if g["label_number"]:
        out.append(f'<p class="note label-source">見出しは<a href="#c{_escape(g["label_position"])}">コメント '
                   f'#{_escape(g["label_number"])}</a>の一節</p>')
    elif g["other"]:
        out.append('<p class="note label-source">主な意見に入らないコメント(小さな意見のまとまりと単発のコメント)</p>')
    if g["description"]:
        out.append(f'<p class="group-description">{_escape(g["description"])}</p>')
    if g["writer_note"]:
        out.append(f'<p class="note writer">{_escape(g["writer_note"])}</p>')
    support = f' ・ 賛同率 {_escape(g["support_pct"])}%' if g["support_pct"] is not None else ""
    out.append(
        f'        <p class="group-share">コメントの <strong>{_escape(g["share_pct"])}%</strong>({_escape(g["count"])} 件)・'
        f'{_escape(g["kind_ja"])}</p>\n'
        f'        <div class="group-votes">\n'
        f'          <p><span class="up">▲ {_escape(g["up"])}</span> <span class="down">▼ {_escape(g["down"])}</span>'
        f'{support}</p>\n'
        f'          <svg class="votebar" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" '
        f'aria-label="▲ {_escape(g["up_in_group_pct"])}%、▼ {_escape(g["down_in_group_pct"])}%"><rect class="bar-up" '
        f'width="{_escape(g["bar_up"])}" height="6"/><rect class="bar-down" x="{_escape(g["bar_up"])}" '
        f'width="{_escape(g["bar_down"])}" height="6"/></svg>\n'
        f'          <p class="note">スレッド全体の ▲ の {_escape(g["up_share_pct"])}%、▼ の {_escape(g["down_share_pct"])}%</p>\n'
        f'        </div>\n'
    )
    if g["key_phrases"]:
        out.append('<p class="phrases">' + "".join(f'<span class="phrase">{_escape(k)}</span>'
                                                   for k in g["key_phrases"][:5]) + "</p>")
    for q in g["quotes"]:
        out.append(
            f'        <blockquote class="quote"><p>{_escape(q["text"])}{"…" if q["cut"] else ""}</p><footer>'
            f'<a href="#c{_escape(q["position"])}">コメント #{_escape(q["number"])}</a> <span class="up">▲ '
            f'{_escape(q["up"])}</span> <span class="down">▼ {_escape(q["down"])}</span></footer></blockquote>\n')
    if g["children"]:
        out.append(f'        <details class="subgroups">\n'
                   f'          <summary>内訳: 細かいグループ {_escape(g["children_total"])} 個</summary>\n'
                   f'          <ul>\n')
        for ch in g["children"]:
            out.append(
                f'            <li><button type="button" class="subgroup-button" data-filter-group="{_escape(ch["id"])}" '
                f'aria-pressed="false" aria-controls="comment-list">{_escape(ch["label"])}</button> <span class="note">'
                f'{_escape(ch["count"])} 件・<span class="up">▲ {_escape(ch["up"])}</span> <span class="down">▼ '
                f'{_escape(ch["down"])}</span></span></li>\n')
        if g["children_hidden"]:
            out.append(f'            <li class="note">ほか {_escape(g["children_hidden"])} グループ(計 '
                       f'{_escape(g["children_hidden_count"])} 件)</li>\n')
        out.append('          </ul>\n        </details>\n')
    out.append(f'        <button type="button" class="filter-button" data-filter-group="{gid}" aria-pressed="false" '
               f'aria-controls="comment-list">このグループのコメントを表示</button>\n      </article>\n')
    return "".join(out)


def group_cards(groups: Iterable[dict[str, Any]]) -> Markup:
    """The opinion group cards (``<article class="group-card">``), as the article template wrote them."""
    return Markup("".join(_card(g) for g in groups))


def _hit(h: dict[str, Any]) -> str:
    where = f" #{h['comment_position'] + 1}" if h["comment_position"] is not None else ""
    pieces = "".join(f"<mark>{_escape(p['text'])}</mark>" if p["match"] else _escape(p["text"]) for p in h["pieces"])
    votes = (f'<span class="hit-votes"><span class="up">▲ {_escape(h["up"])}</span> <span class="down">▼ '
             f'{_escape(h["down"])}</span></span>' if h["kind"] == "comment" else "")
    return (f'      <li><a class="snippet-where" href="{_escape(h["href"])}">{_escape(h["kind_ja"])}{where}</a>\n'
            f'        <span class="snippet">{pieces}</span>\n'
            f"{votes}</li>\n")


def _result(r: dict[str, Any]) -> str:
    source = f"{_escape(r['source'])} " if r["source"] else ""
    published = (f'<time datetime="{_escape(r["published_at"])}">{_escape(r["published"])}</time>'
                 if r["published"] else "")
    more = f'<p class="note">ほかに一致したコメント {_escape(r["more_comments"])} 件</p>' if r["more_comments"] else ""
    return (f'  <li class="hit">\n'
            f'    <a class="hit-title" href="{_escape(r["href"])}">{_escape(r["title"])}</a>\n'
            f'    <span class="hit-kind">{"・".join(_escape(k) for k in r["kinds_ja"])}</span>\n'
            f'    <p class="hit-meta">{source}{published}</p>\n'
            f'    <ul class="hit-snippets">\n'
            + "".join(_hit(h) for h in r["hits"])
            + f"    </ul>\n{more}  </li>\n")


def search_hits(results: Iterable[dict[str, Any]]) -> Markup:
    """The ``<li class="hit">`` items of a search page, as the search template wrote them."""
    return Markup("".join(_result(r) for r in results))
