"""Personal data in the forms Japanese readers write it never reaches a model."""

from __future__ import annotations

import pytest

from matome.llm.redact import ADDRESS, EMAIL, HANDLE, PHONE, POSTAL, URL, redact

# (text, the secret part that must disappear, the placeholder that replaces it)
FORMS = [
    ("連絡は03-1234-5678まで", "1234", PHONE),
    ("電話 03(1234)5678 です", "1234", PHONE),
    ("(03)1234-5678に電話した", "1234", PHONE),
    ("携帯は090-1234-5678です", "5678", PHONE),
    ("番号は09012345678です", "09012345678", PHONE),
    ("090 1234 5678 に連絡", "1234", PHONE),
    ("０９０－１２３４－５６７８へ", "５６７８", PHONE),
    ("０３（１２３４）５６７８まで", "５６７８", PHONE),
    ("080.1234.5678 がその番号", "5678", PHONE),
    ("070ー1234ー5678に掛けて", "5678", PHONE),
    ("フリーダイヤル0120-123-456へ", "0120", PHONE),
    ("ナビダイヤル0570-000-123です", "0570", PHONE),
    ("IP電話050-1234-5678", "5678", PHONE),
    ("海外からは+81-90-1234-5678", "1234", PHONE),
    ("+81 3 1234 5678 に", "1234", PHONE),
    ("メールはtaro@example.comへ", "taro", EMAIL),
    ("taro.yamada+news@mail.example.co.jp に送った", "yamada", EMAIL),
    ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ に連絡", "ｔａｒｏ", EMAIL),
    ("taro[at]example.com まで", "taro", EMAIL),
    ("hanako (at) example (dot) jp です", "hanako", EMAIL),
    ("〒100-0001 東京都", "100-0001", POSTAL),
    ("〒1000001です", "1000001", POSTAL),
    ("〒１００－０００１の住所", "０００１", POSTAL),
    ("郵便番号は530-0001です", "530-0001", POSTAL),
    ("東京都千代田区千代田1-1に住む", "千代田1-1", ADDRESS),
    ("大阪府大阪市北区梅田3丁目1番1号の店", "梅田3丁目", ADDRESS),
    ("北海道札幌市中央区北1条西2丁目で", "北1条西2", ADDRESS),
    ("神奈川県横浜市西区みなとみらい2-3-1まで", "みなとみらい2-3-1", ADDRESS),
    ("渋谷区神南1-2-3に行った", "神南1-2-3", ADDRESS),
    ("千代田区丸の内一丁目9番2号にある", "丸の内一丁目9番2号", ADDRESS),
    ("福岡県福岡市博多区博多駅前2-1-1", "博多駅前2-1-1", ADDRESS),
    ("@taro_yamada さんの投稿", "taro_yamada", HANDLE),
    ("＠hanako123 をフォロー", "hanako123", HANDLE),
    ("詳しくは https://example.com/page?id=123&token=abc を見て", "token=abc", URL),
    ("https://example.jp/a?utm_source=x のリンク", "utm_source", URL),
]

# text that carries no personal data and must come back as it is (after NFKC)
KEPT = [
    "2025年2月13日に発表された",
    "予算は1,000万円で、賛成は30%だった",
    "東京都の人口は増えている",
    "記事は https://example.com/news/article で読める",
    "第3条第2項による",
    "1234-5678 という品番",
    "半導体の生産量は前年の1.5倍",
    "彼は2003年から2010年まで務めた",
]


def test_at_least_thirty_forms() -> None:
    assert len(FORMS) >= 30


@pytest.mark.parametrize("text,secret,placeholder", FORMS)
def test_form_is_redacted(text: str, secret: str, placeholder: str) -> None:
    import unicodedata

    out = redact(text)
    assert placeholder in out, out
    assert unicodedata.normalize("NFKC", secret) not in out, out
    assert secret not in out, out


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_text_is_kept(text: str) -> None:
    import unicodedata

    assert redact(text) == unicodedata.normalize("NFKC", text)


def test_text_around_is_kept() -> None:
    out = redact("政府の対応には反対です。連絡は090-1234-5678まで。")
    assert out == "政府の対応には反対です。連絡は[電話番号]まで。"
