from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from matome.ja.sentences import split_sentences

SEED = Path(__file__).resolve().parents[1] / "samples" / "000_c07ace8c3e04d92d.txt"
WS = " \t\u00a0\u3000"


def texts(source, **kw):
    return [s.text for s in split_sentences(source, **kw)]


def check_spans(source, sentences):
    last = 0
    for s in sentences:
        assert source[s.start : s.end] == s.text
        assert s.text and s.text == s.text.strip(WS + "\n")
        assert s.start >= last
        last = s.end


def test_basic_terminators_and_line_breaks():
    src = "今日は晴れ。明日は雨かな？本当!?\nそうだね\n\n 句点なしのコメント\u00a0 "
    assert texts(src) == ["今日は晴れ。", "明日は雨かな？", "本当!?", "そうだね", "句点なしのコメント"]
    check_spans(src, split_sentences(src))


def test_quotes_kept_whole_by_default_and_split_when_asked():
    quote = "これは長い引用の一文目です。" * 3 + "そして最後の文です。"
    src = f"平氏は「{quote}」と語る。次の文。"
    assert texts(src) == [f"平氏は「{quote}」と語る。", "次の文。"]
    parts = texts(src, split_quotes=True)
    assert len(parts) == 5
    assert parts[0].startswith("平氏は「") and parts[-2].endswith("」と語る。")
    assert "".join(parts) == src


def test_short_quote_not_split_even_in_split_mode():
    src = "彼は「はい。そうです。」と言った。"
    assert texts(src, split_quotes=True) == [src]


def test_unmatched_bracket_does_not_swallow_the_line():
    src = "「閉じない引用。次の文。さらに文。"
    assert texts(src) == ["「閉じない引用。", "次の文。", "さらに文。"]


def test_urls_emoji_and_closing_brackets():
    src = "ここ見て https://example.com/a?b=1&c=!2 すごい😀！（笑）本当。」次"
    out = texts(src)
    assert out[0] == "ここ見て https://example.com/a?b=1&c=!2 すごい😀！"
    check_spans(src, split_sentences(src))


def test_seed_body_sentences_are_substrings():
    src = SEED.read_text(encoding="utf-8")
    for mode in (False, True):
        sents = split_sentences(src, split_quotes=mode)
        check_spans(src, sents)
    assert len(split_sentences(src, split_quotes=True)) > len(split_sentences(src))


@given(st.text(alphabet="あい。！？!?「」『』（）()\n \u00a0\u3000abc:/h", max_size=120), st.booleans())
def test_property_spans_are_exact_ordered_and_cover_the_text(src, mode):
    sents = split_sentences(src, split_quotes=mode)
    check_spans(src, sents)
    # nothing but whitespace is left out
    def solid(x):
        return "".join(ch for ch in x if ch not in WS + "\n")

    assert solid("".join(s.text for s in sents)) == solid(src)
