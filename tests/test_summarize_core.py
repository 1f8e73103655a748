"""The article summary: provenance, budget, determinism, boilerplate, sizes."""

from __future__ import annotations

import itertools
import json
import random

import numpy as np
import pytest

from matome.analyze.summarize import (
    MAX_CHARS,
    MAX_SENTENCES,
    Candidate,
    candidates,
    clause_cuts,
    compress,
    select,
    format_summary,
    summarize,
    summarize_entry,
    summarize_text,
    text_paragraphs,
)
from matome.analyze.summary_features import FEATURES
from matome.analyze.summary_model import MODEL_FILE, default_model, model_from_dict
from matome.io.archive import read_path
from matome.model import SummarySentence

TOPICS = ["政府", "企業", "大学", "市場", "病院", "自治体", "銀行", "空港", "工場", "学校"]
VERBS = ["発表した", "検討している", "明らかにした", "見直す方針だ", "強化する", "延期した"]
THINGS = ["新しい制度", "料金の改定", "安全対策", "人材の確保", "データの活用", "設備の更新"]


def make_article(n_sentences: int, seed: int = 0) -> str:
    """A generated news-like text: paragraphs of three sentences each."""
    rng = random.Random(seed)
    lines, para = [], []
    for i in range(n_sentences):
        s = f"{rng.choice(TOPICS)}は{i + 1}日、{rng.choice(THINGS)}について{rng.choice(VERBS)}。"
        para.append(s)
        if len(para) == 3:
            lines.append("".join(para))
            para = []
    if para:
        lines.append("".join(para))
    return "\n".join(lines)


@pytest.fixture(scope="module")
def seed_entry(seed_path):
    return read_path(seed_path).entries[0]


def assert_provenance(paragraphs, sents):
    """Each summary sentence is the concatenation of its pieces, each an exact substring."""
    for s in sents:
        para = paragraphs[s.paragraph]
        pieces = s.pieces
        assert pieces[0][0] == s.start
        assert all(a < b for a, b in pieces)
        assert all(b1 <= a2 for (_, b1), (a2, _) in zip(pieces, pieces[1:]))
        assert "".join(para[a:b] for a, b in pieces) == s.text


def test_seed_summary_is_extracted_in_order_within_default_budget(seed_entry):
    sents = summarize_entry(seed_entry)
    paragraphs = seed_entry.body.paragraphs
    assert 1 <= len(sents) <= MAX_SENTENCES
    assert sum(len(s.text) for s in sents) <= MAX_CHARS
    assert_provenance(paragraphs, sents)
    order = [(s.paragraph, s.sentence) for s in sents]
    assert order == sorted(order) and len(set(order)) == len(order)
    assert_provenance(paragraphs, sents)


def test_seed_byline_source_note_and_headings_never_appear(seed_entry):
    body = seed_entry.body
    assert body.byline == "ABEMA TIMES編集部" and len(body.headings) == 4
    # the whole body as plain text: headings, byline and source note are inputs here
    lines = [line.strip() for line in body.lines if line.strip()]
    assert body.byline in lines and all(h in lines for h in body.headings)
    text = "\n".join(lines)
    sents = summarize_text(text, max_sentences=None, max_chars=100_000)
    texts = [s.text for s in sents]
    assert len(texts) > 20  # the budget is large: every eligible sentence is taken
    joined = "\n".join(texts)
    assert "(『ABEMA Prime』より)" not in joined
    assert "編集部" not in joined
    for heading in body.headings:
        assert not any(t in heading for t in texts), heading
    assert_provenance(text_paragraphs(text), sents)
    # an entry: the same sentences of the paragraphs, headings and byline not being paragraphs
    entry_texts = {s.text for s in summarize_entry(seed_entry, max_sentences=None, max_chars=100_000)}
    assert entry_texts == set(texts)


def test_provenance_matches_candidates(seed_entry):
    paragraphs = seed_entry.body.paragraphs
    index = {(c.paragraph, c.sentence): c for c in candidates(paragraphs, headings=False)}
    for s in summarize_entry(seed_entry, max_chars=600, max_sentences=None):
        c = index[(s.paragraph, s.sentence)]
        para = paragraphs[s.paragraph]
        assert "".join(para[a:b] for a, b in s.pieces) == s.text
        # the shown text is the candidate's with material left out, never anything added:
        # a leading clause up to a 、, and quotation marks a piece of a split quote leaves open
        pos = [x for a, b in (c.spans or ((c.start, c.start + len(c.text)),)) for x in range(a, b)]
        shown = [x for a, b in s.pieces for x in range(a, b)]
        assert set(shown) <= set(pos) and shown == sorted(shown)
        left_out = [x for x in pos if x not in set(shown) and para[x] not in "「」『』"]
        assert left_out == pos[: len(left_out)]
        assert not left_out or para[left_out[-1]] == "、"


def test_a_quote_piece_never_opens_a_bracket_it_does_not_close():
    quote = ("「アメリカの巨大なAIと、日本のコンパクトながらも良質なデータを組み合わせて成果を出すというのは、"
             "すごく可能性があると思う。そのための投資を国としても後押ししていきたい。データセンターの整備も急ぐ」と話した。")
    paragraphs = ["政府は人工知能の開発を支援する方針を示した。", quote, "大臣は会見でこう述べた。"]
    chosen = summarize(paragraphs, max_sentences=None, max_chars=400)
    assert chosen
    for s in chosen:
        assert "".join(paragraphs[s.paragraph][a:b] for a, b in s.pieces) == s.text
        for opener, closer in (("「", "」"), ("『", "』")):
            if s.text.startswith(opener):
                assert closer in s.text, s.text
    # the quote's first piece is among the candidates with its bracket, and is shown without it
    firsts = [c for c in candidates(paragraphs) if c.paragraph == 1 and c.text.startswith("「")]
    assert firsts and any(s.paragraph == 1 and s.start == firsts[0].start + 1 for s in chosen)


def test_a_quote_piece_never_closes_a_bracket_it_did_not_open():
    quote = ("「アメリカの巨大なAIと、日本のコンパクトながらも良質なデータを組み合わせて成果を出すというのは、"
             "すごく可能性があると思う。そのための投資を国としても後押ししていきたい。データセンターの整備も急ぐ」と話した。")
    paragraphs = ["政府は人工知能の開発を支援する方針を示した。", quote, "大臣は会見でこう述べた。"]
    last = [c for c in candidates(paragraphs) if c.paragraph == 1][-1]
    assert last.text == "データセンターの整備も急ぐ」と話した。"
    chosen = summarize(paragraphs, max_sentences=None, max_chars=400)
    assert len(chosen) == 5  # the budget takes every piece
    (shown,) = [s for s in chosen if s.paragraph == 1 and s.start == last.start]
    assert shown.text == "データセンターの整備も急ぐと話した。"
    assert shown.spans == ((last.start, last.start + 13), (last.start + 14, len(quote)))
    for s in chosen:
        assert "".join(paragraphs[s.paragraph][a:b] for a, b in s.pieces) == s.text
        assert s.text.count("「") == s.text.count("」"), s.text
    # a quote opened after its speaker: the first piece loses the 「 inside it
    para = "男は「告白する勇気がなかった。でも、ずっと彼女のことが好きだった。手紙を書こうとしたこともある」と警察の調べに話した。"
    shown = summarize([para], max_sentences=None, max_chars=len(para))  # every piece fits
    assert [(s.text, s.spans) for s in shown] == [
        ("男は告白する勇気がなかった。", ((0, 2), (3, 15))),
        ("ずっと彼女のことが好きだった。", ()),
        ("手紙を書こうとしたこともあると警察の調べに話した。", ((33, 47), (48, 59))),
    ]
    assert_provenance([para], shown)


def test_clause_cuts_leave_out_whole_leading_clauses_only():
    def rests(text):
        return [text[k:] for k in clause_cuts(text)]

    assert rests("台湾・台北市の工事現場で18日午後11時頃、個人旅行で台湾を訪れていた日本人男性が転落する事故が起きた。") == [
        "個人旅行で台湾を訪れていた日本人男性が転落する事故が起きた。"
    ]
    # a condition, a list item, a comma inside brackets are never cut at
    assert rests("雨が降れば、試合は中止になる見通しだと主催者が発表した。") == []
    assert rests("米国、英国、フランスの3カ国と共同で声明を発表し、日本政府はロシアに部隊の撤退を求めた。") == [
        "日本政府はロシアに部隊の撤退を求めた。"
    ]
    assert rests("外国人観光客の中には、麺類をすする音を不快に思う人も少なくはない。") == []
    assert rests("「来年は、必ず優勝する」と語った監督の言葉を受けて、選手たちが練習に打ち込んでいる。") == [
        "選手たちが練習に打ち込んでいる。"
    ]
    # a topic or subject is left out only when the rest names its own (「18日、市内では」 before
    # 「…道路が冠水し、」, but not 「委員会は5日、」 or 「妹は…奪い、」)
    assert rests("国連の世界遺産委員会は5日、イラクの古代遺跡バビロンの世界遺産登録を決定した。") == []
    assert rests("妹はファビアナさんのお腹から胎児を奪い、キャティア・ラベロという女に引き渡している。") == []
    assert rests("市は18日、大雨で市内の道路が冠水し、通行止めが続いている状況となった。") == [
        "大雨で市内の道路が冠水し、通行止めが続いている状況となった。",
        "通行止めが続いている状況となった。",
    ]
    # …and never when the sentence reports what it said: the rest would lose who said it
    assert rests("市は18日、大雨で市内の道路が冠水し、通行止めが続いていると明らかにした。") == []
    assert rests("国土交通省は１８日、羽田空港を出発した機体が大きく揺れ、乗客３人がけがをしたと発表した。") == []
    # never the topic set off by a comma, nor before a short list item
    assert rests("中国のネットユーザーは、日本のアニメファンが多いことが見て取れます。") == []
    assert rests("菊の花の甘酢漬け、あえ物、おひたしは代表的な料理として知られています。") == []
    # a connective opening the rest goes with the clause
    assert rests("国民祭典は大きな話題となったが、しかし、最後の連呼にすべて持っていかれた感がある。") == [
        "最後の連呼にすべて持っていかれた感がある。"
    ]
    # a piece of a split quote (brackets not balanced) keeps its form; short rests are not made
    assert rests("データセンターの整備も急ぐ」と話し、関係者が期待を寄せている様子だった。") == []
    assert rests("市は18日、方針を示した。") == []


def test_a_sentence_too_long_for_the_budget_is_shown_without_its_leading_clause():
    text = "台湾・台北市の工事現場で18日午後11時頃、個人旅行で台湾を訪れていた日本人男性が転落する事故が起きた。"
    rest = "個人旅行で台湾を訪れていた日本人男性が転落する事故が起きた。"
    (s,) = summarize_text(text, max_chars=len(rest) + 3)
    assert (s.text, s.start, s.spans) == (rest, text.index(rest), ())
    assert text[s.start : s.start + len(s.text)] == s.text
    # whole sentences only without shortening, and the whole sentence when it fits
    assert summarize_text(text, max_chars=len(rest) + 3, shorten=False) == ()
    assert [s.text for s in summarize_text(text, max_chars=len(text))] == [text]


def test_same_input_same_output(seed_entry):
    a = summarize_entry(seed_entry)
    b = summarize_entry(seed_entry)
    assert a == b
    text = make_article(40, seed=3)
    assert summarize_text(text, max_chars=150) == summarize_text(text, max_chars=150)


@pytest.mark.parametrize("chars", [15, 40, 90, 250, 700])
@pytest.mark.parametrize("count", [1, 2, 5, None])
def test_budget_is_respected(chars, count):
    text = make_article(30, seed=chars)
    sents = summarize_text(text, max_chars=chars, max_sentences=count)
    assert sum(len(s.text) for s in sents) <= chars
    if count is not None:
        assert len(sents) <= count
    assert_provenance(text_paragraphs(text), sents)


def test_budget_in_sentences_only_fills_the_count():
    text = make_article(30, seed=1)
    sents = summarize_text(text, max_chars=None, max_sentences=4)
    assert len(sents) == 4


def test_budget_must_be_given_and_non_negative():
    with pytest.raises(ValueError):
        summarize(["文です。"], max_chars=None, max_sentences=None)
    with pytest.raises(ValueError):
        summarize(["文です。"], max_chars=-1)


def test_empty_and_blank_articles():
    assert summarize_text("") == ()
    assert summarize_text(" \n\u00a0\n\u3000") == ()
    assert summarize([]) == ()
    assert format_summary(()) == "(要約)\n"


def test_one_sentence_article():
    text = "市は来年度から市内の全ての小学校で給食費を無償にすると発表した。"
    sents = summarize_text(text)
    assert [s.text for s in sents] == [text]
    assert (sents[0].paragraph, sents[0].sentence, sents[0].start) == (0, 0, 0)
    # a sentence longer than the budget cannot be shown whole: nothing is returned
    assert summarize_text(text, max_chars=10) == ()


def test_hundred_thousand_character_article():
    text = make_article(4200, seed=7)
    assert len(text) >= 100_000
    sents = summarize_text(text)
    assert 1 <= len(sents) <= MAX_SENTENCES
    assert sum(len(s.text) for s in sents) <= MAX_CHARS
    assert_provenance(text_paragraphs(text), sents)


def test_boilerplate_captions_and_headings_are_never_chosen():
    lines = [
        "【AFP＝時事】東京都は3日、新しい防災計画を発表した。計画では避難所を増やす。",
        "【写真】発表する都の担当者",
        "防災計画の中身",
        "都は今後、住民への説明会を各地で開く方針だ。説明会は来月から始まる。",
        "関連記事：防災計画の過去の記事はこちら",
        "画像は都のホームページのスクリーンショット",
        "詳しくは都のウェブサイト https://example.jp/bosai を参照。",
        "また、都は備蓄品の配布も検討している。",
        "(『ABEMA Prime』より)",
        "（取材・文：山田太郎）",
        "ABEMA TIMES編集部",
    ]
    text = "\n".join(lines)
    sents = summarize_text(text, max_chars=10_000, max_sentences=None)
    chosen = [s.text for s in sents]
    joined = "\n".join(chosen)
    for bad in ("【写真】", "関連記事", "スクリーンショット", "https://", "ABEMA", "取材", "編集部"):
        assert bad not in joined
    assert "防災計画の中身" not in chosen
    # trimming only removed a leading tag and a connective
    assert "東京都は3日、新しい防災計画を発表した。" in chosen
    assert "都は備蓄品の配布も検討している。" in chosen
    assert "説明会は来月から始まる。" in chosen
    assert_provenance(text_paragraphs(text), sents)


def test_trimming_only_removes_material():
    text = "【共同】また、政府は支援策をまとめた。（東京 3日 時事）一方、野党は反発した。"
    paragraphs = text_paragraphs(text)
    trimmed = candidates(paragraphs, trim=True, shorten=False)
    untrimmed = candidates(paragraphs, trim=False, shorten=False)
    assert len(trimmed) == len(untrimmed)
    for t, u in zip(trimmed, untrimmed):
        assert u.text.endswith(t.text) and len(t.text) < len(u.text)
        assert paragraphs[t.paragraph][t.start : t.start + len(t.text)] == t.text


def test_redundant_copies_are_not_both_chosen():
    repeated = "台風10号は4日夜、九州南部に上陸し、各地で大雨となった。"
    text = "\n".join(
        [
            repeated + "気象庁は警戒を呼びかけている。",
            "鉄道各社は運転を見合わせた。空の便も欠航が相次いだ。",
            repeated + "停電は約2万戸に及んだ。",
            "自治体は避難所を開設した。",
        ]
    )
    sents = summarize_text(text, max_sentences=3, max_chars=None)
    assert [s.text for s in sents].count(repeated) == 1


def test_photo_captions_are_never_chosen():
    caption = "記者会見する岸田首相（2月13日、首相官邸）"
    text = "\n".join(
        [
            caption,
            "岸田首相は13日、首相官邸で記者会見し、経済対策の規模を明らかにした。",
            caption + " 政府は対策の財源として予備費を充てる方針だ。",
            "与党内からは規模の拡大を求める声も出ている。",
        ]
    )
    sents = summarize_text(text, max_sentences=None, max_chars=10_000)
    chosen = [s.text for s in sents]
    assert "政府は対策の財源として予備費を充てる方針だ。" in chosen
    assert len(chosen) == 3  # the budget takes every eligible sentence, no caption among them
    assert not any("記者会見する岸田首相" in t for t in chosen)
    assert_provenance(text_paragraphs(text), sents)


def test_compression_leaves_out_parentheticals_and_a_leading_attribution():
    para = (
        "警察によると、亡くなった男性は渡辺さん（64）で、"
        "友人と台北市中山区（ちゅうざんく）のホテルに宿泊していたという。"
    )
    keep = compress(para)
    assert "".join(para[a:b] for a, b in keep) == (
        "亡くなった男性は渡辺さんで、友人と台北市中山区のホテルに宿泊していたという。"
    )
    (c,) = candidates([para])
    assert c.text == "".join(para[a:b] for a, b in c.spans) and c.start == c.spans[0][0]
    assert [c.text for c in candidates([para], shorten=False)] == [para]
    # a parenthesis that ends the text and compressions that leave too little stay whole
    for whole in ("市は新制度を導入した（写真）", "人口（2020年）。", "（注）これは注記です。"):
        assert compress(whole) == ((0, len(whole)),)
    sents = summarize([para, "市は再発防止策を検討している。"], max_chars=100, max_sentences=None)
    assert sents[0].spans and sents[0].text == c.text
    assert_provenance([para, "市は再発防止策を検討している。"], sents)


def test_a_case_frame_becomes_a_line_of_its_own():
    para = (
        "神戸市立東須磨小で教諭４人が同僚をいじめた問題で、神戸市は２８日、"
        "加害教諭（４人）への給与支払いを差し止める改正条例案を市議会に提出した。"
    )
    frame, rest = candidates([para])
    assert frame.text == "神戸市立東須磨小で教諭４人が同僚をいじめた問題。"
    assert frame.spans == ((0, para.index("で、神戸市")), (len(para) - 1, len(para)))
    assert rest.text == "神戸市は２８日、加害教諭への給与支払いを差し止める改正条例案を市議会に提出した。"
    assert rest.start == para.index("神戸市は") and frame.sentence < rest.sentence
    for c in (frame, rest):
        assert c.text == "".join(para[a:b] for a, b in (c.spans or ((c.start, c.start + len(c.text)),)))
    # whole sentences without shortening
    assert [c.text for c in candidates([para], shorten=False)] == [para]
    # no frame inside a quote, without a sentence end, holding a topic は or someone's account
    for whole in (
        "「いじめた問題で、市は提出した」と語った。",
        "同僚をいじめた問題で、市は条例案を提出",
        "山梨県の長崎幸太郎知事は６日の定例記者会見で、登山者に注意を呼びかけた。",
        "地元紙によると、同僚をいじめた判決で、市は条例案を提出した。",
    ):
        assert len(candidates([whole])) == 1
    sents = summarize([para], max_chars=len(para), max_sentences=None)
    assert sents and all(len(s.pieces) >= 1 for s in sents)
    assert_provenance([para], sents)


def _brute_force_best(lengths, values, budget, count):
    best = -float("inf")  # a summary is never empty when a sentence fits
    for r in range(1, len(lengths) + 1):
        for combo in itertools.combinations(range(len(lengths)), r):
            total = sum(lengths[i] for i in combo)
            if total <= budget and (count is None or r <= count):
                best = max(best, 2 * sum(values[i] * lengths[i] for i in combo) / (total + budget))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_knapsack_selection_is_optimal_within_both_budgets(seed):
    rng = random.Random(seed)
    n = rng.randint(2, 9)
    cands = [Candidate(chr(0x4E00 + p) * rng.randint(8, 60), p, 0, 0) for p in range(n)]
    scores = np.array([rng.random() for _ in range(n)])
    budget = rng.randint(20, 150)
    count = rng.choice([None, 1, 2, 3])
    picked = select(cands, scores, np.eye(n), max_sentences=count, max_chars=budget)
    lengths = [len(c.text) for c in cands]
    assert sum(lengths[i] for i in picked) <= budget
    assert count is None or len(picked) <= count
    if sum(lengths) <= budget and (count is None or n <= count):
        assert picked == list(range(n))
        return
    got = 2 * sum(scores[i] * lengths[i] for i in picked) / (sum(lengths[i] for i in picked) + budget)
    assert got == pytest.approx(_brute_force_best(lengths, scores, budget, count))


def test_shipped_model_matches_a_tree_by_tree_walk():
    from matome.data import load_json

    data = load_json(MODEL_FILE)
    model = default_model()
    rng = np.random.default_rng(5)
    x = rng.normal(size=(50, len(FEATURES))) * 2 + 0.5

    def walk(tree, row):
        node = 0
        while tree["feature"][node] >= 0:
            f = tree["feature"][node]
            node = tree["left"][node] if row[f] <= tree["threshold"][node] else tree["right"][node]
        return tree["value"][node]

    expected = [data["init"] + data["rate"] * sum(walk(t, row) for t in data["trees"]) for row in x]
    assert np.allclose(model.predict(x), expected, rtol=0, atol=1e-9)
    assert len(data["trees"]) > 10 and tuple(data["features"]) == FEATURES


def test_model_with_other_features_is_refused():
    with pytest.raises(ValueError):
        model_from_dict({"kind": "trees", "features": ["position"], "init": 0, "rate": 1, "trees": []})


def test_compressed_sentence_spans_survive_the_digest_json():
    from matome.analyze.digest import digest_from_dict, digest_to_dict
    from matome.model import Digest

    para = "警察によると、男性は渡辺さん（64）で、友人とホテルに宿泊していたという。"
    sents = summarize([para], max_chars=100, max_sentences=None)
    assert len(sents) == 1 and len(sents[0].pieces) > 1
    d = Digest("test", (), sents, (), "", ())
    back = digest_from_dict(json.loads(json.dumps(digest_to_dict(d), ensure_ascii=False)))
    assert back.summary == sents
    plain = Digest("test", (), (SummarySentence("男性は無事だった。", 0, 0, 3),), (), "", ())
    assert "spans" not in digest_to_dict(plain)["summary"][0]
    assert digest_from_dict(digest_to_dict(plain)).summary == plain.summary
