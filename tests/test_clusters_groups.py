"""Opinion groups: near-duplicates, groups, labels, representatives, layout (analyze.clusters)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from matome.analyze.clusters import Clustering, cluster, near_duplicates
from matome.analyze.labels import MAX_LABEL_CHARS, NO_TEXT_LABEL, OTHER_LABEL, is_statement, is_stop_phrase
from matome.analyze.partition import n_groups
from matome.ja.tokens import content_words_of, tokenize
from matome.analyze.vectors import embed
from matome.ja.normalize import normalize

ROOT = Path(__file__).resolve().parents[1]

# Three planted topics, written as reader comments would be: each comment names its topic in
# its own words; no two comments share a sentence frame.
TOPICS = {
    "chips": [
        "熊本の半導体工場は地元の雇用を増やしていると聞きます。",
        "半導体の補助金に何兆円も使うなら、成果をきちんと検証してほしい。",
        "TSMCの工場ができてから周辺の地価が上がりすぎだと思う。",
        "半導体産業は一度遅れると取り戻せない。国の支援は必要だ。",
        "ラピダスの先端半導体が本当に量産できるのか疑問です。",
        "半導体工場が地下水を大量に使うのは心配だ。",
        "日本の半導体メーカーがかつての勢いを取り戻してほしい。",
        "台湾の半導体に頼りすぎるのは経済安全保障の面で危うい。",
        "半導体の技術者が足りないなら、大学での人材育成から始めるべき。",
        "工場誘致で半導体の供給網を国内に作るのは良い判断だと思う。",
    ],
    "pension": [
        "年金の受給額が減るのに保険料だけ上がるのは納得できない。",
        "公的年金の積立金の運用がマイナスになったら誰が責任を取るのか。",
        "年金制度は少子高齢化で限界に来ている。抜本改革しかない。",
        "年金の支給開始年齢をまた引き上げるつもりだろうか。",
        "国民年金だけでは老後の生活はとても無理です。",
        "現役世代の保険料で高齢者の年金を支える仕組みはもう持たない。",
        "厚生年金の加入対象を広げるのはパートには負担が重い。",
        "年金を物価に合わせて増やさないと高齢者の生活が苦しくなる。",
        "年金の財源を消費税でまかなう案をもっと議論すべきだ。",
        "老後資金は年金に頼らず自分で積み立てるしかないのか。",
    ],
    "baseball": [
        "大谷翔平のホームランを見ると元気が出ます。",
        "プロ野球のドラフト会議は毎年ドラマがあって面白い。",
        "高校野球の甲子園では投手の球数制限をもっと厳しくすべき。",
        "野球中継が地上波から減ってしまったのは寂しい。",
        "ナイターの野球場で飲むビールは最高です。",
        "メジャーリーグで活躍する日本人選手が増えて誇らしい。",
        "プロ野球の監督が代わってチームの雰囲気が良くなった。",
        "日本シリーズの最終戦は野球史に残る名勝負だった。",
        "高校野球の応援は暑さ対策を考えないと危ない。",
        "野球のルール変更で試合時間が短くなったのは歓迎だ。",
    ],
}
ENDINGS = ["", "本当にそう思う。", "皆さんはどうですか。", "ニュースを見て考えました。", "同感です。", "以上です。"]


def planted(repeat: int = 1) -> tuple[list[str], list[int]]:
    """The planted comments; ``repeat`` > 1 adds variants (different endings and numbers)."""
    texts: list[str] = []
    gold: list[int] = []
    for r in range(repeat):
        for t, comments in enumerate(TOPICS.values()):
            for i, text in enumerate(comments):
                if r:
                    text = f"{ENDINGS[(i + r) % len(ENDINGS)]}{text}（{r}つ目の感想、{i + 1}番）"
                texts.append(text)
                gold.append(t)
    return texts, gold


def grouped(c: Clustering, n: int) -> list[int]:
    return [i for i in range(n) if c.duplicate_of[i] is None and c.labels[i] != -1]


def check_partition(c: Clustering, n: int) -> None:
    expected = grouped(c, n)
    for level in (0, 1):
        groups = [g for g in c.groups if g.level == level]
        if level == 1 and not groups:
            continue
        members = [i for g in groups for i in g.members]
        assert sorted(members) == expected, f"level {level} groups do not partition"
        assert len(members) == len(set(members))
    for g in c.groups:
        assert set(g.representatives) <= set(g.members)
        assert g.representatives, g
        for i in g.members:
            assert (c.labels[i] if g.level == 1 or not c.two_level else c.top_labels[i]) == g.id
        for j in g.duplicates:
            assert c.duplicate_of[j] in g.members
    assert len(c.xy) == n and len(c.labels) == n and len(c.top_labels) == n


def purity(groups, gold: list[int]) -> float:
    """Share of comments whose group's majority topic is their own topic."""
    hit = total = 0
    for g in groups:
        topics = [gold[i] for i in g.members]
        hit += max(topics.count(t) for t in set(topics))
        total += len(topics)
    return hit / total


def test_planted_topics_are_separated():
    texts, gold = planted()
    c = cluster(texts)
    check_partition(c, len(texts))
    assert adjusted_rand_score(gold, list(c.top_labels)) >= 0.4
    assert purity(c.top_groups, gold) >= 0.8
    # the number of groups follows the data: a handful for 30 comments
    assert 3 <= len(c.top_groups) <= 8


def test_planted_topics_with_e5_vectors_are_separated():
    texts, gold = planted()
    c = cluster(texts, vector_method="e5")
    check_partition(c, len(texts))
    assert adjusted_rand_score(gold, list(c.top_labels)) >= 0.3
    assert purity(c.top_groups, gold) >= 0.7


def test_labels_are_verbatim_statements_with_their_source():
    texts, _ = planted(repeat=6)
    c = cluster(texts)
    for g in c.groups:
        text = "\n".join(normalize(texts[i]) for i in g.members)
        assert g.key_phrases or g.other
        for ph in g.key_phrases:
            assert ph in text, (ph, g.label)
        if g.other:
            assert g.label == OTHER_LABEL and g.label_index is None
            continue
        if g.label_index is None:  # a fine group whose every clause already names another group
            assert g.level == 1 and g.label.startswith(NO_TEXT_LABEL)
            continue
        # a clause a member wrote, at the recorded place, short, Japanese, not a stop phrase
        assert g.label_index in g.members, g
        assert texts[g.label_index][g.label_start : g.label_start + len(g.label)] == g.label
        assert 0 < len(g.label) <= MAX_LABEL_CHARS
        assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in g.label)
        assert not is_stop_phrase(g.label)
    # the groups a reader sees first are all named by what their members wrote
    assert all(g.label_index is not None for g in c.top_groups if not g.other)


def test_no_label_equals_or_contains_another():
    for texts in (planted()[0], planted(repeat=6)[0]):
        c = cluster(texts)
        keys = [normalize(g.label).lower() for g in c.groups]
        for a in range(len(keys)):
            for b in range(len(keys)):
                if a != b:
                    assert keys[a] not in keys[b], (c.groups[a].label, c.groups[b].label)


def test_labels_are_statements_not_bare_nouns():
    texts, _ = planted(repeat=6)
    c = cluster(texts)
    top = [g for g in c.top_groups if not g.other]
    statements = [g for g in top if is_statement(g.label, tokenize(normalize(g.label)))]
    assert len(statements) >= 0.9 * len(top)


def test_every_representative_is_nearer_its_own_group():
    texts, _ = planted(repeat=6)
    x = embed(texts)
    c = cluster(texts, vectors=x)
    rows = x / np.linalg.norm(x, axis=1, keepdims=True)
    for level in (0, 1):
        groups = [g for g in c.groups if g.level == level and not g.other]
        cents = {}
        for g in groups:
            m = rows[list(g.members)].mean(axis=0)
            cents[g.id] = m / np.linalg.norm(m)
        for g in groups:
            for r in g.representatives:
                own = rows[r] @ cents[g.id]
                assert all(own > rows[r] @ cents[h] for h in cents if h != g.id), (g.label, texts[r])


def test_chatter_goes_to_an_explicit_other_group():
    texts, gold = planted(repeat=6)
    chatter = ["えーーー！", "ほんとそれ", "草", "わかるー", "なるほどね", "いやいや", "はい", "うーん…"]
    noise = [f"{c}{'!' * k}" for k in range(1, 4) for c in chatter]
    c = cluster(texts + noise)
    other = [g for g in c.groups if g.other and g.level == 0]
    real = [g for g in c.top_groups if not g.other]
    # every top opinion group keeps a topic; chatter is not spread over them
    assert purity(real, gold + [3] * len(noise)) >= 0.8
    if other:
        assert other[0].label == OTHER_LABEL


def test_same_bytes_twice_and_across_processes():
    texts, _ = planted()
    a = repr(cluster(texts, up=list(range(30)), down=[3] * 30))
    b = repr(cluster(texts, up=list(range(30)), down=[3] * 30))
    assert a == b
    code = (
        "import sys; sys.path.insert(0, %r); from test_clusters_groups import planted; "
        "from matome.analyze.clusters import cluster; t,_=planted(); "
        "print(repr(cluster(t, up=list(range(30)), down=[3]*30)))" % str(ROOT / "tests")
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()
    assert out == a


@pytest.mark.parametrize(
    "texts",
    [
        [],
        ["それだ"],
        ["半導体の話", "年金の話"],
        ["同じ意見です"] * 12,
        ["それだ", "うん", "ほんとそれ", "まあね", "草"],
        ["😀😀😀", "👍", "https://example.com/a", "<b>!!</b>", "", "   ", "🇯🇵🇯🇵"],
        ["あ" * 10_000, "半導体工場の地下水について心配です。" * 300, "短い"],
    ],
    ids=["zero", "one", "two", "identical", "no-content-words", "emoji-url-html", "long"],
)
def test_edge_cases_do_not_break(texts):
    c = cluster(texts, up=[1] * len(texts), down=[0] * len(texts))
    check_partition(c, len(texts))
    assert len(c.top_groups) <= max(1, len(texts))
    assert all(np.isfinite(v) for xy in c.xy for v in xy)
    v = embed(texts)
    assert v.shape[0] == len(texts)
    if len(texts):
        assert np.allclose(np.linalg.norm(v, axis=1), 1.0)


def test_identical_comments_form_one_group_counted_with_copies():
    texts = ["除染土の再利用には反対です。", "除染土の再利用には反対です！", " 除染土の 再利用には反対です。"]
    c = cluster(texts, up=[5, 2, 1], down=[0, 0, 0])
    assert c.duplicate_of == (None, 0, 0)
    assert len(c.groups) == 1
    assert c.groups[0].size == 3 and c.groups[0].members == (0,)


def test_near_duplicates():
    base = "政府は年金制度の抜本的な見直しを急ぐべきで、現役世代の負担をこれ以上増やすべきではない。"
    texts = [
        base,
        "野球の話です。",
        base.replace("急ぐべきで", "急ぐべきであり"),  # one edit in a long comment
        "ＡＢＣ　テスト！！",
        "abcテスト",
        "半導体の補助金は見直すべきで、税金の使い道として妥当かどうか国会で議論してほしい。",
        "野球の話です",
    ]
    assert near_duplicates(texts) == [None, None, 0, None, 3, None, 1]
    # short different comments are never merged
    assert near_duplicates(["賛成", "反対", "賛成です"]) == [None, None, None]


def test_votes_choose_among_central_members():
    texts, _ = planted()
    quiet = cluster(texts)
    g = max(quiet.top_groups, key=lambda g: len(g.members))
    assert len(g.members) >= 4
    second = g.representatives[1]
    up = [0] * len(texts)
    up[second] = 500
    loud = cluster(texts, up=up, down=[0] * len(texts))
    g2 = loud.group(g.id)
    assert g2.members == g.members
    assert g2.representatives[0] == second


@pytest.mark.parametrize("method", ["auto", "kmeans"])
def test_two_level_hierarchy_for_many_comments(method):
    texts, gold = planted(repeat=6)  # 180 comments (a few are near-duplicates)
    c = cluster(texts, method=method)
    assert c.method == ("average" if method == "auto" else "kmeans+ward")
    check_partition(c, len(texts))
    assert c.two_level
    top, leaf = n_groups(len(texts))
    real = [g for g in c.top_groups if not g.other]
    assert len(real) <= top and len([g for g in c.groups if g.level == 1]) > len(c.top_groups)
    for g in c.groups:
        if g.level == 1:
            assert set(g.members) <= set(c.group(g.parent).members)
    assert purity([g for g in c.groups if g.level == 1], gold) >= 0.8
    assert purity(c.top_groups, gold) >= 0.6


def test_group_counts_grow_with_the_data():
    sizes = [n_groups(m) for m in (1, 2, 40, 337, 4024, 20000)]
    tops = [t for t, _ in sizes]
    assert tops == sorted(tops) and tops[0] == 1 and tops[2] <= 8
    assert sizes[3][1] > sizes[3][0]  # hundreds: a finer level


def test_bad_arguments_name_the_problem():
    with pytest.raises(ValueError, match="up has 1 vote counts for 2 texts"):
        cluster(["a", "b"], up=[1])
    with pytest.raises(ValueError, match="unknown clustering method"):
        cluster(["a"], method="magic")
    with pytest.raises(ValueError, match="unknown vector method"):
        embed(["a"], method="bag")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("又、検査数が少なすぎて、感染の全数とも全く異なる。", "検査数が少なすぎて、感染の全数とも全く異なる"),
        ("なお、説明会を開くべきだ。", "説明会を開くべきだ"),
        ("さらに基準を厳しくすべきです！", "基準を厳しくすべきです"),
        ("又吉さんの本が面白い。", "又吉さんの本が面白い"),  # a name, not the connective 又、
        ("尚更おかしいと思う", "尚更おかしいと思う"),
        ("この点に関して、住民に十分な説明がされていない。", "住民に十分な説明がされていない"),
        ("そのため、発生地で管理すべきだ。", "発生地で管理すべきだ"),
        ("この点は譲れない。", "この点は譲れない"),  # a subject, not a connective phrase
        ("結局は高卒と変わらない職に就く。", "結局は高卒と変わらない職に就く"),  # 結局 with its は
        ("ただの嘘だと思う", "ただの嘘だと思う"),  # ただ as an adjective, not the connective
        ("結局、誰も責任を取らない。", "誰も責任を取らない"),
        ("そうだね、昔は結婚しか選択肢が無かったからね", "昔は結婚しか選択肢が無かったからね"),  # a reply's nod
        ("同感 偏ってる思考の人多すぎて話にならない", "偏ってる思考の人多すぎて話にならない"),
        ("うんざりする政策だ", "うんざりする政策だ"),  # うん only before its separator
        ("わかるまで説明すべきだ", "わかるまで説明すべきだ"),
        ("同意書を取るべきだ", "同意書を取るべきだ"),
        ("そうでもないよ…女性は少なくとも未婚率かなり高い", "女性は少なくとも未婚率かなり高い"),  # a reply's denial
        ("そんなことないです！若い人は頑張ってる", "若い人は頑張ってる"),
        ("違うよ、税金が高いからだ", "税金が高いからだ"),
        ("違う人が言ってた", "違う人が言ってた"),  # 違う as a word of the clause: no separator
        ("そうじゃない家庭も多い", "そうじゃない家庭も多い"),
        ("、、維新の党も此の侭じゃ党の姿勢を問われるぞ", "維新の党も此の侭じゃ党の姿勢を問われるぞ"),  # stray commas
        ("挙句『体にマイクロチップ入れましょう！』", "『体にマイクロチップ入れましょう！』"),
        ("挙げ句の果てに増税するらしい", "増税するらしい"),
        ("ちなみに先週火曜日は123人でした。", "先週火曜日は123人でした"),
        ("それでも、現場は人手が足りない", "現場は人手が足りない"),
        ("それでもいいと思う", "それでもいいと思う"),  # それでも in the clause, no separator
        ("ところが多い町だ", "ところが多い町だ"),
    ],
)
def test_label_spans_drop_leading_connectives_only(text, expected):
    from matome.analyze.labels import trim_span

    start, end = trim_span(text, 0, len(text))
    assert text[start:end] == expected


@pytest.mark.parametrize(
    "clause, opinion",
    [
        ("従来の 100 ベクレル／kg の規制を堅守すべきです", True),
        ("検査数も一緒に発表して欲しい", True),
        ("この法案には反対です", True),
        ("自粛期間が長すぎる", True),
        ("法律から見直さないと成果は出ないと思う", False),  # a hedge, not a stated view
        ("ちなみに先週火曜日は123人でした", False),
        ("保健所は土日に加えてＧＷは全て検査をストップするという", False),
        ("過ぎた日のことを話した", False),  # 過ぎ as a verb inside the clause, not a judgement
    ],
)
def test_opinion_clauses_are_told_from_reports(clause, opinion):
    from matome.analyze.labels import is_opinion

    assert is_opinion(clause) is opinion


def test_a_label_prefers_a_view_to_a_report_that_scores_the_same_otherwise(monkeypatch):
    import matome.analyze.labels as lab
    from matome.analyze import wordvec
    from matome.ja.tokens import content_words_of, tokenize

    # two comments with the same content words: one reports, one demands; the report comes
    # first, so without the view bonus the tie goes to it
    texts = ["検査数を毎日発表した。", "検査数を毎日発表すべきだ。"]
    words = [content_words_of(tokenize(t)) for t in texts]
    assert words[0] == words[1]
    inputs = lab.LabelInputs(texts=texts, index=[0, 1], vectors=wordvec.embed_words(words), words=words,
                             support=np.zeros(2), weights=[1, 1])

    default = lab.OPINION_WEIGHT

    def label_with(weight):
        monkeypatch.setattr(lab, "OPINION_WEIGHT", weight)
        return lab.statement_labels([{0: [0, 1]}], inputs, wordvec.embed_words, {0: ()})[0]

    assert label_with(0.0).text == "検査数を毎日発表した"
    chosen = label_with(default)
    assert chosen.text == "検査数を毎日発表すべきだ" and (chosen.index, chosen.start) == (1, 0)


@pytest.mark.parametrize(
    "clause, context",
    [
        ("復興再生利用の定義が冒頭に下記で述べられている", True),
        ("上記の理由から反対します", True),
        ("これでは責任を負う覚悟が問われます", True),
        ("住民説明会の開催を義務化するべきです", False),
        ("この法案には反対です", False),  # この + the thing itself: stands alone
        ("以下の点を改めるべきだ", True),
        ("8,000Bq/kg 以下の土壌を使うべきではない", False),  # 以下 after a number: "below"
        ("次の選挙で意思を示すべきだ", False),
        ("そういう男が結婚したがる女もいる", True),  # points back at the comment it answers
        ("そんな男と結婚とか1億積まれてもムリ", True),
        ("こんな世の中に子供産みたくない", False),  # こんな + the thing itself: stands alone
        ("結婚しないのはそういう理由だ", False),  # only at the start
    ],
)
def test_clauses_pointing_outside_themselves_are_told(clause, context):
    from matome.analyze.labels import needs_context

    assert needs_context(clause) is context


@pytest.mark.parametrize(
    "clause, open_ended",
    [
        ("もしバスや電車の運転手がやりたい放題やっていたら", True),  # a condition only
        ("それが嫌なら", True),
        ("国民に説明したら", True),
        ("この人間社会の基礎的な事柄すら", True),  # an open-ended particle
        ("自分でやれば良い", False),
        ("その程度の事すらできない", False),
        ("政治家こそ責任を取るべき", False),
        ("国が責任を持って管理すべきです", False),
    ],
)
def test_clauses_left_open_are_told(clause, open_ended):
    from matome.analyze.labels import is_fragment, is_open_ended

    tokens = tokenize(normalize(clause))
    assert is_open_ended(tokens) is open_ended
    assert not is_fragment(tokens)  # a preference, not a rejection: chat puts conditions last


@pytest.mark.parametrize(
    "clause, question",
    [
        ("先進国で（移民は除く）出生率が高い国ってどこだろう", True),  # a question word + だろう
        ("なんで上は分からないんだろう", True),
        ("何のための制度なの", True),
        ("国民の理解は得られるのか", True),
        ("誰もいないの", False),  # 誰も, いつも, どこにでも: not question words
        ("いつも思うんだろう", False),
        ("どこにでもあるでしょう", False),
        ("少子化対策もしないでしょ", False),  # an assertion asking for assent
        ("先進国はどこも少子化 少子化対策なんて無理なんだろうね", False),
    ],
)
def test_questions_are_told_from_statements(clause, question):
    from matome.analyze.labels import is_question

    assert is_question(clause, 0, len(clause)) is question


def _two_label_inputs(texts):
    import matome.analyze.labels as lab
    from matome.analyze import wordvec
    from matome.ja.tokens import content_words_of, tokenize

    words = [content_words_of(tokenize(t)) for t in texts]
    return lab.LabelInputs(texts=texts, index=list(range(len(texts))), vectors=wordvec.embed_words(words),
                           words=words, support=np.zeros(len(texts)), weights=[1] * len(texts))


def test_a_label_that_points_outside_itself_loses_to_one_that_stands_alone(monkeypatch):
    import matome.analyze.labels as lab
    from matome.analyze import wordvec

    # the same content words; the clause with これでは comes first and wins the tie without the penalty
    texts = ["これでは説明会を毎月開くべきだ。", "説明会を毎月開くべきだ。"]
    inputs = _two_label_inputs(texts)
    assert inputs.words[0] == inputs.words[1]
    default = lab.CONTEXT_PENALTY

    def label_with(penalty):
        monkeypatch.setattr(lab, "CONTEXT_PENALTY", penalty)
        return lab.statement_labels([{0: [0, 1]}], inputs, wordvec.embed_words, {0: ()})[0]

    assert label_with(0.0).text == "これでは説明会を毎月開くべきだ"
    assert label_with(default).text == "説明会を毎月開くべきだ"


def test_a_clause_that_says_where_it_leads_wins_over_a_condition(monkeypatch):
    import matome.analyze.labels as lab
    from matome.analyze import wordvec

    # the same content words; the condition comes first and wins the tie without the penalty
    texts = ["国が説明会を毎月開いたら。", "国が説明会を毎月開いた。"]
    inputs = _two_label_inputs(texts)
    assert inputs.words[0] == inputs.words[1]
    default = lab.OPEN_ENDED_PENALTY

    def label_with(penalty):
        monkeypatch.setattr(lab, "OPEN_ENDED_PENALTY", penalty)
        return lab.statement_labels([{0: [0, 1]}], inputs, wordvec.embed_words, {0: ()})[0]

    assert label_with(0.0).text == "国が説明会を毎月開いたら"
    assert label_with(default).text == "国が説明会を毎月開いた"


def test_fine_labels_are_not_pushed_away_from_their_sibling():
    import matome.analyze.labels as lab
    from matome.analyze import wordvec

    # one top group with two fine groups about the same matter: under the top level's rule the
    # fine group's label would avoid what it shares with its sibling; the fine level keeps the
    # clause nearest its own group
    texts = ["除去土壌の管理期間を明記すべきだ。", "除去土壌の管理期間を省令で明記すべきだ。",
             "管理期間の終了後の記録保存も明記すべきだ。", "除去土壌の管理期間が不明確だ。"]
    inputs = _two_label_inputs(texts)
    fine = {1: [0, 1, 2], 2: [3]}
    levels = [{0: [0, 1, 2, 3]}, fine]
    got = lab.statement_labels(levels, inputs, wordvec.embed_words, {0: (), 1: (), 2: ()})
    centre = lab._norm_rows(inputs.vectors[fine[1]].mean(axis=0))
    own = {t: float(wordvec.embed_words([inputs.words[k]])[0] @ centre) for k, t in enumerate(texts[:3])}
    used = {lab._key(got[0].text)}
    free = [t for t in texts[:3] if not any(lab._key(t.rstrip("。")) in u or u in lab._key(t.rstrip("。")) for u in used)]
    best = max(free, key=lambda t: own[t])
    assert got[1].text == best.rstrip("。")


@pytest.mark.parametrize(
    "clause, fragment",
    [
        ("被ばく線量年間１mSv に相当する除去土壌の放射能濃度が", True),  # stops before its predicate
        ("汚染土の再利用には", True),
        ("検査したい人は症状を感じているだろうから", True),  # a reason without its conclusion
        ("私は好きだけど", True),
        ("チー牛弱者男を叩くためにガルちゃん来てるので", True),  # の + で: a reason only
        ("国が悪いんで", True),
        ("は高卒と変わらない職に就く", True),  # its first word was trimmed off
        ("検査数も一緒に発表して欲しい", False),
        ("国が責任を持って管理すべきです", False),
        ("そんなの許せないよね", False),
        ("もうやめて", False),
        ("再利用は矛盾", False),
        ("そういうもんです", False),
    ],
)
def test_fragments_are_told_from_whole_statements(clause, fragment):
    from matome.analyze.labels import is_fragment

    tokens = tokenize(normalize(clause))
    assert is_fragment(tokens) is fragment
    if fragment:
        assert not is_statement(clause, tokens)


def test_no_label_is_a_fragment():
    texts = [
        # the line with the group's words stops before its predicate (a line break mid-sentence)
        f"全国で{topic}を再利用する計画の{topic}の濃度が\n高すぎる。{k}回目の投稿です。"
        for k in range(6) for topic in ("除去土壌", "汚染水", "検査体制")
    ]
    c = cluster(texts, seed=0)
    from matome.analyze.labels import is_fragment

    for g in c.groups:
        if g.label_index is not None:
            assert not is_fragment(tokenize(normalize(g.label))), g.label


def test_key_phrases_leave_out_formal_nouns():
    # 「…のせい」「…のおかげ」 name no topic: a reader learns nothing from them as a key phrase
    texts = [f"少子化は{w}のせいだと思う。{w}のおかげで結婚できない人もいる。" for w in ("政府", "税金", "政府", "税金", "政府", "税金")]
    texts += [f"保育園の{w}が足りない。{w}を増やすべきだ。" for w in ("定員", "保育士", "定員", "保育士", "定員", "保育士")]
    c = cluster(texts, seed=0)
    phrases = {p for g in c.groups for p in g.key_phrases}
    assert phrases, "no key phrases at all"
    assert not phrases & {"せい", "おかげ", "所為", "お陰"}


def test_a_representative_names_what_its_group_is_about():
    """The best-voted, most central member that names none of the group's key phrases nor a
    word of its label is not quoted first when another member does name them."""
    from matome.analyze.representatives import representatives

    centre = np.array([1.0, 0.0])
    x = np.array([[1.0, 0.0], [0.9, 0.436], [0.8, 0.6], [0.7, 0.714]])
    up = np.array([500.0, 3.0, 2.0, 1.0])
    down = np.zeros(4)
    texts = ["残念だけど、本当にスゴイ!!!", "デジタル庁って名前がダメだろう", "名前で印象が決まる", "印象操作だ"]
    plain = representatives(x, centre, None, up, down, texts)
    assert plain[0] == 0  # votes and centrality alone pick the chatty one
    topic = np.array([False, True, True, True])
    chosen = representatives(x, centre, None, up, down, texts, on_topic=topic)
    assert chosen[0] != 0 and chosen[:2] == [1, 2]
    # no member names the topic: the order is the plain one
    assert representatives(x, centre, None, up, down, texts, on_topic=np.zeros(4, dtype=bool)) == plain


def test_a_comment_answering_another_is_not_quoted_first_when_one_stands_alone():
    """「そういう男が…」 or 「>>12 それな」 quoted alone leaves the reader asking what it answers: a
    member that stands alone comes first, however many votes the reply has."""
    from matome.analyze.representatives import answers_another, representatives

    centre = np.array([1.0, 0.0])
    x = np.array([[1.0, 0.0], [0.95, 0.312], [0.9, 0.436], [0.8, 0.6]])
    up = np.array([900.0, 10.0, 5.0, 300.0])
    down = np.zeros(4)
    texts = ["そういう男が結婚したがる女もいる", "家事を分担しない夫が多すぎる", "共働きなのに家事は妻任せ", "＞＞12 それな、家事は分担すべき"]
    assert [answers_another(t) for t in texts] == [True, False, False, True]
    assert representatives(x, centre, None, up, down, texts) == [1, 2, 0]
    # only replies in the group: they are still quoted, by the usual order
    assert representatives(x[[0, 3]], centre, None, up[[0, 3]], down[[0, 3]], [texts[0], texts[3]]) == [0, 1]
    for alone in ("それなりに頑張っている人もいる", "同感できない部分もあるが、制度は必要だ", "わかりにくい説明だ",
                  "同意書を取るべきだ", "これからは財源を示すべきだ"):
        assert not answers_another(alone), alone
    for reply in ("同感です。家事は分担すべき", "わかる！うちもそう", "そんなことない", "  >>3 違うと思う"):
        assert answers_another(reply), reply


def test_quoted_members_name_their_group_where_one_can(seed_path):
    """On the seed's 37 real comments with their votes, every group quotes first a member that
    names one of its key phrases or a word of its label (there, one always can)."""
    from matome.analyze.clusters import _on_topic
    from matome.analyze.labels import phrases_of
    from matome.io.archive import read_path

    comments = read_path(str(seed_path)).entries[0].comments
    texts = [x.text for x in comments]
    c = cluster(texts, up=[x.votes.up for x in comments], down=[x.votes.down for x in comments])
    named = [g for g in c.groups if not g.other and g.representatives]
    assert len(named) >= 3
    for g in named:
        members = list(g.members)
        toks = {i: tokenize(normalize(texts[i])) for i in members}
        words = {i: content_words_of(toks[i]) for i in members}
        phrases = {i: phrases_of(toks[i]) for i in members}
        topic = _on_topic(members, g.key_phrases, g.label, phrases, words)
        assert topic[members.index(g.representatives[0])], (g.label, texts[g.representatives[0]])


@pytest.mark.parametrize(
    "text, spans",
    [
        # a line break flattened to a space between Japanese words ends a label candidate
        ("先進国はどこも少子化 少子化対策なんて無理なんだろうね", ["先進国はどこも少子化", "少子化対策なんて無理なんだろうね"]),
        ("日本は人口と経済力で生き残ってきたのにね　国を守ってた。", ["日本は人口と経済力で生き残ってきたのにね", "国を守ってた"]),
        # not between digits or Latin letters and Japanese: 「58 条」, 「ALPS 処理水」 stay whole
        ("58 条二の除去土壌の処分内容が不明確である。", ["58 条二の除去土壌の処分内容が不明確である"]),
        ("ALPS 処理水の海洋放出が決まりました。", ["ALPS 処理水の海洋放出が決まりました"]),
    ],
)
def test_label_candidates_end_at_flattened_line_breaks(text, spans):
    from matome.analyze.labels import clause_spans

    got = [text[a:b] for a, b in clause_spans(text)]
    for want in spans:
        assert want in got
    assert not any(" " in g.strip() and not any(ch.isascii() and ch.isalnum() for ch in g) for g in got), got


def test_used_labels_find_the_same_collisions_as_comparing_with_each():
    """``UsedLabels.hit`` (set look-ups) agrees with the plain rule: a key collides when it equals,
    is inside, or holds a used key; checked on random short strings over a small alphabet, where
    containment is common, with keys added as labels are given."""
    import random

    from matome.analyze.labels import UsedLabels

    rnd = random.Random(7)
    alphabet = "少子化対策税金"
    used = UsedLabels()
    plain: list[str] = []
    for step in range(400):
        k = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0 if step % 97 == 0 else 1, 6)))
        want = any(k == u or k in u or u in k for u in plain)
        assert used.hit(k) == want, (k, plain[-5:])
        if step % 3 == 0 and k:
            used.add(k)
            plain.append(k)
