import threading

from matome.ja.tokens import MAX_CHUNK_BYTES, chunks, content_words, key_phrases, tokenize

TEXT = (
    "中国発の生成AI「DeepSeek」はブロックチェーンとマイナンバーカードを使い、"
    "2024年には6兆4622億円に拡大している。平氏は語った。"
)


def test_tokens_keep_surfaces_and_offsets():
    toks = tokenize(TEXT)
    for t in toks:
        assert TEXT[t.start : t.start + len(t.surface)] == t.surface
    assert {"DeepSeek", "生成AI", "マイナンバーカード"} <= {t.surface for t in toks}


def test_content_words_exclude_function_words_numbers_and_symbols():
    words = content_words(TEXT)
    assert "語る" in words and "拡大" in words  # verbs by normalized form
    for bad in ("の", "は", "を", "「", "2024", "6462200000000", "為る", "居る", "た"):
        assert bad not in words


def test_key_phrases_join_noun_runs_and_are_substrings():
    phrases = key_phrases(TEXT + " こと ため")
    assert "ブロックチェーン" in phrases
    assert "DeepSeek" in phrases and "生成AI" in phrases
    assert "ことため" not in phrases  # tokens separated by a space are not joined
    for p in phrases:
        assert p in TEXT


def test_long_input_is_chunked_without_losing_text():
    text = ("日本のAI政策について考える。" * 7 + "\n") * 1905 + "あ" * 50000
    assert len(text) > 200_000
    parts = chunks(text)
    assert "".join(parts) == text
    assert all(len(p.encode("utf-8")) <= MAX_CHUNK_BYTES for p in parts)
    toks = tokenize(text)
    assert "".join(t.surface for t in toks) == text.replace("\n", "")


def test_chunks_never_split_multibyte_characters():
    text = "😀" * 30000  # 4 bytes each, no break points
    parts = chunks(text)
    assert "".join(parts) == text and len(parts) > 2
    for p in parts:
        p.encode("utf-8")  # a split surrogate pair would fail here


def test_threads_get_same_results():
    expected = [t.surface for t in tokenize(TEXT)]
    results = []

    def work():
        for _ in range(20):
            results.append([t.surface for t in tokenize(TEXT)])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results and all(r == expected for r in results)
