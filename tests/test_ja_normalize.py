from hypothesis import given
from hypothesis import strategies as st

from matome.ja.normalize import normalize


def test_full_width_ascii_and_half_width_kana_are_folded():
    assert normalize("ＡＩ２０２４ ﾃﾞｼﾞﾀﾙ｢ｶｷ｣､｡") == "AI2024 デジタル「カキ」、。"


def test_marks_that_carry_meaning_are_kept():
    text = "本当？！ ▲12 ▼3 ①②　～ 〜 … ‥ 「引用」『書名』・"
    out = normalize(text)
    for ch in "？！▲▼①②～〜…‥「」『』・":
        assert ch in out, ch
    assert "12" in out and "①②" in out  # circled numbers are not merged into a number
    assert "..." not in out


def test_whitespace_collapsed_nbsp_stripped_lines_kept():
    text = " 一行目\u00a0\u00a0です。\u3000 \r\n\r\n\r\n\r\n二行目\t\tです \u00a0"
    assert normalize(text) == "一行目 です。\n\n二行目 です"


def test_zero_width_and_bom_removed():
    assert normalize("\ufeffあ\u200bい") == "あい"


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_idempotent_and_never_longer_whitespace(text):
    once = normalize(text)
    assert normalize(once) == once
    assert "  " not in once and "\u00a0" not in once
