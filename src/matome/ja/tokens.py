"""Tokenization with SudachiPy (mode C, sudachidict_core).

* One Sudachi dictionary per process (loaded on first use), one tokenizer per thread
  (a Sudachi tokenizer must not be used by two threads at once).
* Sudachi refuses inputs over 49,149 bytes; longer texts are cut into chunks at line
  breaks, else at sentence ends, else at any character (never inside a UTF-8 character,
  since chunks are ``str`` slices), each at most ``MAX_CHUNK_BYTES`` bytes.
* ``content_words`` gives the normalized forms of nouns, verbs, adjectives and
  adjectival nouns, without stop words, numbers and symbols: the features for TF-IDF.
* ``key_phrases`` joins runs of consecutive nouns (and noun-like prefixes and suffixes)
  into one phrase as written, e.g. ``ブロック|チェーン`` → ``ブロックチェーン``; Sudachi's
  mode C already keeps ``DeepSeek``, ``生成AI`` and ``マイナンバーカード`` whole.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import NamedTuple

#: Sudachi's input limit is 49,149 bytes; stay well below it.
MAX_CHUNK_BYTES = 40_000

_CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞"})

#: Normalized forms that carry no topic (light verbs, formal nouns, pronoun-like words).
STOP_WORDS = frozenset(
    """
    為る 居る 有る 成る 出来る 言う 思う 見る 来る 行く 貰う 呉れる 遣る 置く 仕舞う 下さる
    良い 無い 無し 多い 少ない 同じ 様 様だ 事 物 者 為 所 時 方 中 上 下 後 前 内 外 間 際 他
    的 等 達 的だ そう こう どう 此れ 其れ 彼れ 何 誰 何処 此処 其処 自分 皆 みんな 今 今回
    人 的 ところ もの こと ため よう わけ 訳 筈 はず 積もり つもり 感じ 気 場合 部分 点 辺り
    年 月 日 円 氏 さん 等々 とか 位 程 くらい ぐらい ほど
    """.split()
)

_NUMERIC_RE = re.compile(r"^[\d０-９.,．，:：/／%％+\-−〇一二三四五六七八九十百千万億兆]+$")
_BREAK_RE = re.compile(r"\n")
_SENT_END_RE = re.compile(r"[。．！？!?]")


class Token(NamedTuple):
    """One morpheme: the surface as written, Sudachi's normalized form and its POS tuple.
    (A named tuple: a 4,000-comment thread makes a quarter of a million of them.)"""

    surface: str
    normalized: str
    pos: tuple[str, ...]
    dictionary: str = ""  # the dictionary (lemma) form
    start: int = 0  # character offset in the text given to ``tokenize``


_local = threading.local()
_dict_lock = threading.Lock()


@lru_cache(maxsize=1)
def _dictionary():
    from sudachipy import Dictionary

    return Dictionary(dict="core")


def _tokenizer():
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        from sudachipy import SplitMode

        with _dict_lock:
            tok = _dictionary().create(SplitMode.C)
        _local.tokenizer = tok
    return tok


def chunks(text: str, max_bytes: int = MAX_CHUNK_BYTES) -> list[str]:
    """Cut ``text`` into pieces of at most ``max_bytes`` UTF-8 bytes whose concatenation
    is ``text``, preferring line breaks, then sentence ends, then any character."""
    if len(text) * 4 <= max_bytes or len(text.encode("utf-8")) <= max_bytes:
        return [text] if text else []
    out: list[str] = []
    pos = 0
    n = len(text)
    while pos < n:
        # take the longest prefix that fits: at most max_bytes characters, shrink by bytes
        hi = min(n, pos + max_bytes)
        while len(text[pos:hi].encode("utf-8")) > max_bytes:
            over = len(text[pos:hi].encode("utf-8")) - max_bytes
            hi -= max(1, over // 4)
        if hi < n:
            window = text[pos:hi]
            cut = window.rfind("\n")
            if cut < len(window) // 4:
                last = None
                for last in _SENT_END_RE.finditer(window):
                    pass
                cut = last.end() - 1 if last and last.end() > len(window) // 4 else -1
            if cut >= 0:
                hi = pos + cut + 1
        out.append(text[pos:hi])
        pos = hi
    return out


def tokenize(text: str) -> list[Token]:
    """All morphemes of ``text`` (mode C), whitespace tokens dropped."""
    if not text:
        return []
    tok = _tokenizer()
    out: list[Token] = []
    base = 0
    for piece in chunks(text):
        for m in tok.tokenize(piece):
            pos = m.part_of_speech()
            if pos[0] == "空白":
                continue
            out.append(
                Token(m.surface(), m.normalized_form(), pos, m.dictionary_form(), base + m.begin())
            )
        base += len(piece)
    return out


def is_content(token: Token) -> bool:
    """Whether a token is a content word worth counting (see ``content_words``)."""
    pos = token.pos
    if pos[0] not in _CONTENT_POS:
        return False
    if pos[1] in ("数詞", "非自立可能") or pos[2] == "助数詞":
        return False
    norm = token.normalized
    if norm in STOP_WORDS or token.surface in STOP_WORDS:
        return False
    if _NUMERIC_RE.match(norm) or _NUMERIC_RE.match(token.surface):
        return False
    if len(token.surface) == 1 and not _is_kanji(token.surface):
        return False
    return any(ch.isalnum() for ch in token.surface)


def _is_kanji(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def content_words_of(tokens: list[Token]) -> list[str]:
    return [t.normalized for t in tokens if is_content(t)]


def content_words(text: str) -> list[str]:
    """Normalized forms of the content words of ``text``, in order (with repeats)."""
    return content_words_of(tokenize(text))


def _noun_like(t: Token) -> bool:
    p = t.pos
    if p[0] == "名詞":
        return p[1] != "非自立可能" or t.surface not in STOP_WORDS
    if p[0] == "接尾辞":
        return p[1] == "名詞的"
    if p[0] == "接頭辞":
        return True
    if p[0] == "補助記号":  # the dot inside 中黒 names (トランプ・ジュニア)
        return t.surface in ("・",)
    return False


def key_phrases_of(tokens: list[Token]) -> list[str]:
    out: list[str] = []
    run: list[Token] = []

    def flush() -> None:
        # trim leading/trailing pieces that cannot start or end a phrase; a leading number
        # takes its counter with it (2024年, 6兆円)
        if run and run[0].pos[1] == "数詞":
            while run and (run[0].pos[1] == "数詞" or run[0].pos[2] == "助数詞可能"):
                run.pop(0)
        while run and (run[0].pos[0] in ("接尾辞", "補助記号")):
            run.pop(0)
        while run and (run[-1].pos[0] in ("接頭辞", "補助記号")):
            run.pop()
        if run:
            phrase = "".join(t.surface for t in run)
            if len(run) > 1 or is_content(run[0]):
                if not _NUMERIC_RE.match(phrase) and len(phrase) > 1:
                    out.append(phrase)
        run.clear()

    for t in tokens:
        if _noun_like(t):
            if run and run[-1].start + len(run[-1].surface) != t.start:
                flush()  # not adjacent in the text (a space between)
            run.append(t)
        else:
            flush()
    flush()
    return out


def key_phrases(text: str) -> list[str]:
    """Runs of consecutive nouns joined as written (``ブロックチェーン``), in order of
    occurrence and with repeats (count them with ``collections.Counter``). Each phrase is a
    substring of ``text``. Phrases that are numbers only or single stop words are left out."""
    return key_phrases_of(tokenize(text))
