"""The parts of the article page built in Python (comment items, group cards) write exactly
what markupsafe and the Jinja2 template they replace wrote: same bytes, same escaping."""

from __future__ import annotations

import itertools

from hypothesis import given, settings, strategies as st
from jinja2 import Environment
from markupsafe import Markup, escape

from matome.web import fragments

#: The group-card loop as article.html had it before the cards were built in Python.
CARDS_TEMPLATE = """    {% for g in a.groups %}
      <article class="group-card {{ g.color_class }}" id="group-{{ g.id }}" data-group="{{ g.id }}">
        <h3><span class="swatch" aria-hidden="true"></span>{{ g.label }}</h3>
        {% if g.label_number %}<p class="note label-source">見出しは<a href="#c{{ g.label_position }}">コメント #{{ g.label_number }}</a>の一節</p>{% elif g.other %}<p class="note label-source">主な意見に入らないコメント(小さな意見のまとまりと単発のコメント)</p>{% endif %}
        {% if g.description %}<p class="group-description">{{ g.description }}</p>{% endif %}
        {% if g.writer_note %}<p class="note writer">{{ g.writer_note }}</p>{% endif %}
        <p class="group-share">コメントの <strong>{{ g.share_pct }}%</strong>({{ g.count }} 件)・{{ g.kind_ja }}</p>
        <div class="group-votes">
          <p><span class="up">▲ {{ g.up }}</span> <span class="down">▼ {{ g.down }}</span>{% if g.support_pct is not none %} ・ 賛同率 {{ g.support_pct }}%{% endif %}</p>
          <svg class="votebar" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label="▲ {{ g.up_in_group_pct }}%、▼ {{ g.down_in_group_pct }}%"><rect class="bar-up" width="{{ g.bar_up }}" height="6"/><rect class="bar-down" x="{{ g.bar_up }}" width="{{ g.bar_down }}" height="6"/></svg>
          <p class="note">スレッド全体の ▲ の {{ g.up_share_pct }}%、▼ の {{ g.down_share_pct }}%</p>
        </div>
        {% if g.key_phrases %}<p class="phrases">{% for k in g.key_phrases[:5] %}<span class="phrase">{{ k }}</span>{% endfor %}</p>{% endif %}
        {% for q in g.quotes %}
        <blockquote class="quote"><p>{{ q.text }}{% if q.cut %}…{% endif %}</p><footer><a href="#c{{ q.position }}">コメント #{{ q.number }}</a> <span class="up">▲ {{ q.up }}</span> <span class="down">▼ {{ q.down }}</span></footer></blockquote>
        {% endfor %}
        {% if g.children %}
        <details class="subgroups">
          <summary>内訳: 細かいグループ {{ g.children_total }} 個</summary>
          <ul>
          {% for ch in g.children %}
            <li><button type="button" class="subgroup-button" data-filter-group="{{ ch.id }}" aria-pressed="false" aria-controls="comment-list">{{ ch.label }}</button> <span class="note">{{ ch.count }} 件・<span class="up">▲ {{ ch.up }}</span> <span class="down">▼ {{ ch.down }}</span></span></li>
          {% endfor %}
          {% if g.children_hidden %}
            <li class="note">ほか {{ g.children_hidden }} グループ(計 {{ g.children_hidden_count }} 件)</li>
          {% endif %}
          </ul>
        </details>
        {% endif %}
        <button type="button" class="filter-button" data-filter-group="{{ g.id }}" aria-pressed="false" aria-controls="comment-list">このグループのコメントを表示</button>
      </article>
    {% endfor %}
"""

#: The search results loop as search.html had it before the items were built in Python.
HITS_TEMPLATE = """{% for r in results %}
  <li class="hit">
    <a class="hit-title" href="{{ r.href }}">{{ r.title }}</a>
    <span class="hit-kind">{{ r.kinds_ja|join('・') }}</span>
    <p class="hit-meta">{% if r.source %}{{ r.source }} {% endif %}{% if r.published %}<time datetime="{{ r.published_at }}">{{ r.published }}</time>{% endif %}</p>
    <ul class="hit-snippets">
    {% for h in r.hits %}
      <li><a class="snippet-where" href="{{ h.href }}">{{ h.kind_ja }}{% if h.comment_position is not none %} #{{ h.comment_position + 1 }}{% endif %}</a>
        <span class="snippet">{% for piece in h.pieces %}{% if piece.match %}<mark>{{ piece.text }}</mark>{% else %}{{ piece.text }}{% endif %}{% endfor %}</span>
        {% if h.kind == 'comment' %}<span class="hit-votes"><span class="up">▲ {{ h.up }}</span> <span class="down">▼ {{ h.down }}</span></span>{% endif %}</li>
    {% endfor %}
    </ul>
    {% if r.more_comments %}<p class="note">ほかに一致したコメント {{ r.more_comments }} 件</p>{% endif %}
  </li>
{% endfor %}
"""

TRICKY = ["", "a", "<script>alert('x')</script>", 'say "hi" & <b>', "ＡＩ&amp;", "改行\nあり", "\u2028", "{{ x }}"]


def _env() -> Environment:
    # the settings of matome.web.render.environment()
    return Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)


@given(st.text())
def test_escape_writes_what_markupsafe_writes(text):
    assert fragments._escape(text) == str(escape(text))


def test_escape_of_other_values_follows_markupsafe():
    for value in (12, 3.5, None, Markup("<b>kept</b>")):
        assert fragments._escape(value) == str(escape(value))


def _group(k: int, label: str, text: str) -> dict:
    children = [{"id": 100 + k, "label": text, "count": 3, "up": 4, "down": 1}] if k % 3 == 0 else []
    return {
        "id": k, "color_class": f"g{k}", "label": label, "label_number": (k + 1) if k % 2 else None,
        "label_position": k if k % 2 else None, "other": k % 4 == 2, "description": text if k % 5 else "",
        "writer_note": text if k % 3 == 1 else "", "share_pct": 12.5 + k, "count": 7 * k, "kind_ja": "支持多数",
        "up": 10 * k, "down": k, "support_pct": None if k % 4 == 3 else f"{50 + k}", "up_in_group_pct": 90.9,
        "down_in_group_pct": 9.1, "bar_up": "90.9", "bar_down": "9.1", "up_share_pct": 33.3, "down_share_pct": 1.0,
        "key_phrases": [text, label, "語", "句", "五", "六"][: k % 7], "children": children,
        "children_total": len(children) + (k % 2) * 40, "children_hidden": (k % 2) * 40,
        "children_hidden_count": (k % 2) * 57,
        "quotes": [{"text": text, "cut": bool(j % 2), "position": j, "number": j + 1, "up": j, "down": 0}
                   for j in range(k % 4)],
    }


def test_group_cards_are_the_template_s_bytes():
    template = _env().from_string(CARDS_TEMPLATE)
    for k, (label, text) in enumerate(itertools.product(TRICKY, TRICKY)):
        groups = [_group(k + j, label, text) for j in range(6)]
        assert str(fragments.group_cards(groups)) == template.render(a={"groups": groups}), (label, text)
    assert str(fragments.group_cards([])) == template.render(a={"groups": []}) == ""


@settings(max_examples=60)
@given(st.lists(st.tuples(st.text(max_size=30), st.text(max_size=60)), min_size=1, max_size=5))
def test_group_cards_match_the_template_for_any_text(pairs):
    template = _env().from_string(CARDS_TEMPLATE)
    groups = [_group(k, label, text) for k, (label, text) in enumerate(pairs)]
    assert str(fragments.group_cards(groups)) == template.render(a={"groups": groups})


def _result(k: int, title: str, text: str) -> dict:
    hits = [{"href": f"/articles/{k}" + (f"#c{j}" if j % 2 else ""), "kind": "comment" if j % 2 else "body",
             "kind_ja": "コメント" if j % 2 else "本文", "comment_position": j if j % 2 else None, "up": j * 3,
             "down": j, "pieces": [{"text": text, "match": False}, {"text": title, "match": True},
                                   {"text": "…" + text, "match": False}][: 1 + (j + k) % 3]}
            for j in range(k % 4)]
    return {"href": f"/articles/{k}", "title": title, "kinds_ja": ["見出し", text][: 1 + k % 2],
            "source": [None, "", text][k % 3], "published": "" if k % 2 else "2025年2月13日(木) 12:16",
            "published_at": None if k % 2 else "2025-02-13T12:16:00+09:00", "more_comments": k % 3, "hits": hits}


def test_search_hits_are_the_template_s_bytes():
    template = _env().from_string(HITS_TEMPLATE)
    for k, (title, text) in enumerate(itertools.product(TRICKY, TRICKY)):
        results = [_result(k + j, title, text) for j in range(7)]
        assert str(fragments.search_hits(results)) == template.render(results=results), (title, text)


@settings(max_examples=60)
@given(st.lists(st.tuples(st.text(max_size=30), st.text(max_size=60)), min_size=1, max_size=5))
def test_search_hits_match_the_template_for_any_text(pairs):
    template = _env().from_string(HITS_TEMPLATE)
    results = [_result(k, title, text) for k, (title, text) in enumerate(pairs)]
    assert str(fragments.search_hits(results)) == template.render(results=results)


def test_a_group_with_many_finer_groups_names_the_largest_and_counts_the_rest():
    import random

    from archive_factory import make_entry
    from matome.analyze.digest import digest_entry
    from matome.web import data

    # 600 distinct comments built from a few parts: its その他 holds many finer groups
    rng = random.Random(5)
    subj = ["消費税", "原発", "教員", "医療費", "鉄道", "子育て", "年金", "防衛費", "円安", "米価", "選挙", "移民"]
    verb = ["を見直すべきだ", "には反対だ", "が高すぎる", "を守ってほしい", "の説明が足りない", "はおかしい"]
    place = ["東京", "大阪", "札幌", "福岡", "仙台", "広島", "名古屋", "那覇", "金沢", "高松"]
    rows = [(f"{rng.choice(subj)}{rng.choice(verb)}。{rng.choice(place)}でも{k}回そう思った。", k % 5, k % 2)
            for k in range(600)]
    entry = make_entry(777, comments=rows)
    digest = digest_entry(entry)
    view = data.build_article_view(777, entry, digest)
    big = [g for g in view["groups"] if g["children_total"] > data.SUBGROUPS_SHOWN]
    assert big, "the thread should give a group with more finer groups than are named"
    for g in view["groups"]:
        everyone = sorted((c for c in digest.groups if c.parent == g["id"]), key=lambda c: (-len(c.members), c.id))
        assert g["children_total"] == len(everyone)
        assert [c["id"] for c in g["children"]] == [c.id for c in everyone[:data.SUBGROUPS_SHOWN]]
        assert g["children_hidden"] == max(0, len(everyone) - data.SUBGROUPS_SHOWN)
        assert g["children_hidden_count"] == sum(len(c.members) for c in everyone[data.SUBGROUPS_SHOWN:])
    card = str(fragments.group_cards(big[:1]))
    assert card.count('class="subgroup-button"') == data.SUBGROUPS_SHOWN
    assert f"内訳: 細かいグループ {big[0]['children_total']} 個" in card
    assert f"ほか {big[0]['children_hidden']} グループ(計 {big[0]['children_hidden_count']} 件)" in card


def _reference_item(c: dict, hidden: bool) -> str:
    """A comment's ``<li>`` as the page wrote it before the list was made from fewer fields:
    every value through markupsafe, each paragraph escaped on its own."""
    from matome.web.data import COMMENT_LABEL_JA, PALETTE, bar_widths

    def e(value) -> str:
        return str(escape(value))

    pos, group = c["position"], c["group"]
    paragraphs = [line for line in c["text"].split("\n") if line.strip()]
    head = [f'<span class="num">#{pos + 1}</span>']
    if group is not None:
        head.append(f' <span class="group-tag {e(f"g{group % len(PALETTE)}")}"><span class="swatch" '
                    f'aria-hidden="true"></span>{e(c["group_label"])}</span>')
    label_ja = COMMENT_LABEL_JA.get(c["label"] or "", "")
    if label_ja:
        head.append(f' <span class="label label-{e(c["label"])}">{e(label_ja)}</span>')
    if c["duplicate_of"] is not None:
        head.append(f' <span class="label">#{int(c["duplicate_of"]) + 1} とほぼ同じ</span>')
    paras = "".join(f'<p class="quoted">{e(p)}</p>' if p.startswith((">", "\uff1e")) else f"<p>{e(p)}</p>"
                    for p in paragraphs)
    bar_up, bar_down = bar_widths(c["up"], c["down"])
    return (
        f'<li class="comment" id="c{pos}" data-pos="{pos}" data-up="{c["up"]}" data-down="{c["down"]}" '
        f'data-wilson="{float(c["wilson"])!r}" data-controversy="{float(c["controversy"])!r}" '
        f'data-group="{"" if group is None else int(group)}"{" hidden" if hidden else ""}>\n'
        f'<div class="comment-head">{"".join(head)}</div>\n'
        f'<div class="comment-text">{paras}</div>\n'
        f'<div class="comment-votes"><span class="up" title="賛成 (▲)">▲ <span class="n-up">{c["up"]}</span></span> '
        f'<span class="down" title="反対 (▼)">▼ <span class="n-down">{c["down"]}</span></span> '
        f'<svg class="votebar" viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true">'
        f'<rect class="bar-up" width="{e(bar_up)}" height="6"/>'
        f'<rect class="bar-down" x="{e(bar_up)}" width="{e(bar_down)}" height="6"/></svg></div>\n'
        f"</li>\n"
    )


_TEXTS = st.one_of(
    st.lists(st.sampled_from(list("ab あ<>&\"'\n\u3000\uff1e") + ["&lt;", "&gt;", "\n\n", " \n", "\n>"]),
             max_size=14).map("".join),
    st.text(max_size=30))


@settings(max_examples=150)
@given(st.lists(st.tuples(_TEXTS, st.text(max_size=12), st.integers(0, 10**6), st.integers(0, 10**6),
                          st.sampled_from([None, "consensus", "divisive", "low-signal", "mixed", "<b>"]),
                          st.one_of(st.none(), st.integers(0, 25)), st.one_of(st.none(), st.integers(0, 99)),
                          st.floats(0, 1e6, allow_nan=False), st.booleans()), min_size=1, max_size=6))
def test_comment_items_write_what_the_page_wrote_for_any_text(items):
    rows = []
    for k, (text, group_label, up, down, label, group, dup, wilson, hidden) in enumerate(items):
        rows.append({"position": k, "text": text, "up": up, "down": down, "label": label, "group": group,
                     "group_label": group_label if group is not None else "", "duplicate_of": dup,
                     "wilson": round(wilson, 6), "controversy": round(wilson / 3, 6)})
    # one group label per group id, as on a page
    labels = {}
    for r in rows:
        if r["group"] is not None:
            r["group_label"] = labels.setdefault(r["group"], r["group_label"])
    visible = {r["position"] for r, item in zip(rows, items) if not item[-1]}
    assert str(fragments.comment_items(rows, visible)) == "".join(
        _reference_item(r, r["position"] not in visible) for r in rows)
    assert str(fragments.comment_items(rows, None)) == "".join(_reference_item(r, False) for r in rows)


def test_the_templates_read_dict_items_and_dict_methods_as_jinja2_does():
    """The environment's faster ``obj.name`` for dicts gives what Jinja2's own does: the
    item, except for the names of dict methods, which stay methods."""
    from matome.web.render import environment

    source = ("{{ d.title }}|{{ d.items() | list | length }}|{{ d.get('title') }}|{{ d.missing is defined }}|"
              "{{ o.title }}|{{ d['items'] }}")

    class Obj:
        title = "attr"

    d = {"title": "<b>", "items": "shadowed", "get": "shadowed"}
    ours = environment().from_string(source).render(d=d, o=Obj())
    assert ours == Environment(autoescape=True).from_string(source).render(d=d, o=Obj())
    assert ours == "&lt;b&gt;|3|&lt;b&gt;|False|attr|shadowed"
