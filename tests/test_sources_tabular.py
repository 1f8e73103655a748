"""Comment tables (CSV/TSV/JSONL/XLSX) and entries built from comments."""

from __future__ import annotations

import json
from dataclasses import replace

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matome.io.archive import read_text, write_entries
from matome.io.jsonl import read_jsonl, write_jsonl
from matome.io.tabular import (
    DEFAULT_STAMP,
    TabularFormatError,
    entry_from_comments,
    parse_mapping,
    read_comments,
    read_comments_bytes,
)
from matome.model import Comment, Votes

KOUCHOU = (
    "comment-id,comment-body,agrees,disagrees,source\n"
    "c1,再生可能エネルギーの導入を急ぐべきだ。,12,3,x\n"
    "c2,\"原発は必要。\n電気代が上がるのは困る。\",5,9,x\n"
    "c3,<b>補助金</b>より規制緩和を,0,0,x\n"
)


def write(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def strip_source_fields(c: Comment) -> Comment:
    return replace(c, id=None, posted_at=None, parent_id=None)


def test_kouchou_csv_loads_without_options(tmp_path):
    r = read_comments(write(tmp_path, "export.csv", KOUCHOU.encode("utf-8")))
    assert r.errors == ()
    assert r.columns_used == {"text": "comment-body", "up": "agrees", "down": "disagrees", "id": "comment-id"}
    assert [c.id for c in r.comments] == ["c1", "c2", "c3"]
    assert [(c.votes.up, c.votes.down) for c in r.comments] == [(12, 3), (5, 9), (0, 0)]
    assert r.comments[1].text == "原発は必要。\n電気代が上がるのは困る。"
    assert r.comments[2].text == "<b>補助金</b>より規制緩和を"  # HTML stays text
    assert [c.position for c in r.comments] == [0, 1, 2]


def test_cp932_csv_with_japanese_headers_loads_without_options(tmp_path):
    text = "番号,コメント,賛成,反対\r\n1,税金の使い道を説明してほしい,１２,3\r\n2,反対です,0,７\r\n"
    r = read_comments(write(tmp_path, "votes.csv", text.encode("cp932")))
    assert r.columns_used["text"] == "コメント"
    assert [c.text for c in r.comments] == ["税金の使い道を説明してほしい", "反対です"]
    assert [c.votes for c in r.comments] == [Votes(12, 3), Votes(0, 7)]  # full-width digits


def test_utf8_bom_and_tsv(tmp_path):
    text = "text\tup\tdown\nいいね\t1\t2\n"
    r = read_comments(write(tmp_path, "a.tsv", b"\xef\xbb\xbf" + text.encode("utf-8")))
    assert r.columns_used == {"text": "text", "up": "up", "down": "down"}
    assert r.comments[0].text == "いいね" and r.comments[0].votes == Votes(1, 2)
    # tab-separated data in a .csv file is detected too
    r2 = read_comments(write(tmp_path, "b.csv", text.encode("utf-8")))
    assert r2.comments == r.comments


def test_bad_rows_are_reported_with_row_numbers_and_the_rest_kept(tmp_path):
    text = (
        "text,up,down\n"
        "ok one,1,2\n"
        "\"two\nlines\",3,4\n"  # rows 3 (one record over two lines)
        "bad votes,many,1\n"  # row 4
        ",5,5\n"  # row 5: empty text
        "negative,-1,0\n"  # row 6
        "   ,1,1\n"  # row 7: blank text
        "ok last,1,000\n"
    )
    r = read_comments(write(tmp_path, "c.csv", text.encode("utf-8")))
    assert [c.text for c in r.comments] == ["ok one", "two\nlines", "ok last"]
    assert [e.row for e in r.errors] == [4, 5, 6, 7]
    assert "up must be a count" in r.errors[0].message and "'many'" in r.errors[0].message
    assert "empty" in r.errors[1].message
    assert str(r.errors[0]).startswith(f"{tmp_path / 'c.csv'}:4:")
    with pytest.raises(TabularFormatError) as info:
        read_comments(tmp_path / "c.csv", keep_going=False)
    assert info.value.row == 4


def test_no_text_column_names_the_columns(tmp_path):
    p = write(tmp_path, "x.csv", "意見内容,賛成票\nあ,1\n".encode("utf-8"))
    with pytest.raises(TabularFormatError) as info:
        read_comments(p)
    assert "'意見内容'" in str(info.value) and "text=" in str(info.value)
    r = read_comments(p, mapping=parse_mapping("text=意見内容,up=賛成票"))
    assert r.comments[0].text == "あ" and r.comments[0].votes == Votes(1, 0)
    with pytest.raises(TabularFormatError, match="'本文'"):
        read_comments(p, mapping={"text": "本文"})


def test_xlsx_with_mapping(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["No.", "ご意見", "そう思う人", "そう思わない人", "受付日"])
    ws.append([1, "駅前の駐輪場を増やしてほしい", 10, 2, "2024/05/01 10:00"])
    ws.append([2, "反対。景観が悪くなる", 3.0, 8, None])
    ws.append([3, "まあまあ", "たくさん", 1, None])
    ws.append([None, None, None, None, None])
    ws.append([4, None, 1, 1, None])
    p = tmp_path / "votes.xlsx"
    wb.save(p)
    mapping = parse_mapping("text=ご意見,up=そう思う人,down=そう思わない人,posted_at=受付日,id=No.")
    r = read_comments(p, mapping=mapping)
    assert [c.text for c in r.comments] == ["駅前の駐輪場を増やしてほしい", "反対。景観が悪くなる"]
    assert [c.votes for c in r.comments] == [Votes(10, 2), Votes(3, 8)]
    assert [c.id for c in r.comments] == ["1", "2"]
    assert r.comments[0].posted_at == "2024/05/01 10:00"
    assert [e.row for e in r.errors] == [4, 6]  # spreadsheet rows; the blank row 5 is not an error
    # the same bytes as an upload
    r2 = read_comments_bytes(p.read_bytes(), "upload.xlsx", mapping=mapping)
    assert r2.comments == r.comments


def test_jsonl_comments_and_bad_lines(tmp_path):
    lines = [
        json.dumps({"comment-id": "a", "comment-body": "賛成です", "agrees": 4, "disagrees": 1}, ensure_ascii=False),
        "{not json",
        json.dumps([1, 2]),
        json.dumps({"comment-id": "b", "comment-body": "反対です", "agrees": "2", "disagrees": None}, ensure_ascii=False),
    ]
    r = read_comments(write(tmp_path, "c.jsonl", "\n".join(lines).encode("utf-8")))
    assert [(c.id, c.text, c.votes) for c in r.comments] == [("a", "賛成です", Votes(4, 1)), ("b", "反対です", Votes(2, 0))]
    assert [e.row for e in r.errors] == [2, 3]


def test_parse_mapping():
    assert parse_mapping("text=本文, up=賛成,down=反対") == {"text": "本文", "up": "賛成", "down": "反対"}
    assert parse_mapping("text＝本文、posted-at=日時") == {"text": "本文", "posted_at": "日時"}
    for bad in ("text", "votes=x", "text=a,text=b", "up="):
        with pytest.raises(ValueError):
            parse_mapping(bad)


def test_pages_of_ten(tmp_path):
    rows = "text,up,down\n" + "".join(f"意見{i},{i},0\n" for i in range(25))
    r = read_comments(write(tmp_path, "many.csv", rows.encode("utf-8")))
    assert [c.position for c in r.comments] == list(range(25))
    assert [c.page for c in r.comments] == [1] * 10 + [2] * 10 + [3] * 5


def test_entry_from_comments_round_trips_through_the_archive(tmp_path):
    r = read_comments(write(tmp_path, "export.csv", KOUCHOU.encode("utf-8")))
    entry = entry_from_comments(r.comments, title="エネルギー政策", article_text="第一段落。\n\n第二段落。")
    text = write_entries([entry])
    back = read_text(text).entries[0]
    # the archive format has no place for comment ids: all else comes back
    assert back.headline == entry.headline and back.body == entry.body
    assert back.summary == entry.summary and back.discussion == entry.discussion
    assert back.comments == tuple(strip_source_fields(c) for c in entry.comments)
    assert write_entries([back]) == text
    assert entry.body.paragraphs == ("第一段落。", "第二段落。")
    assert entry.title == "エネルギー政策" and entry.headline.source is None and entry.headline.url is None
    # JSONL keeps everything
    assert read_jsonl(write_jsonl([entry])).entries[0] == entry


def test_entry_ids_and_stamp_are_deterministic():
    a = [Comment("一つ目", Votes(1, 0), posted_at="2024-03-01T12:00:00+09:00"),
         Comment("二つ目", Votes(0, 2), posted_at="2024/03/02 08:30:00"),
         Comment("三つ目", Votes(0, 0), posted_at="きのう")]
    e1, e2 = entry_from_comments(a, title="t"), entry_from_comments(list(a), title="t")
    assert write_entries([e1]) == write_entries([e2])
    assert e1.headline.record.stamp == "2024/03/02 08:30:00"  # newest parseable posted_at
    ids = [p.record.id for p in (e1.headline, e1.summary, e1.body, e1.discussion, e1.thread)]
    assert ids == list(range(ids[0], ids[0] + 5))
    other = entry_from_comments(a[:2], title="t")
    assert other.headline.record.id != e1.headline.record.id
    assert entry_from_comments([Comment("x")]).headline.record.stamp == DEFAULT_STAMP
    utc = entry_from_comments([Comment("x", posted_at="2024-03-01T23:30:00Z")])
    assert utc.headline.record.stamp == "2024/03/02 08:30:00"  # converted to JST


def test_comment_lines_that_look_like_archive_structure_stay_text(tmp_path):
    text = "text,up,down\n\"=+=+=+=+=\n▲3 ▼4\nIMAGE\nふつうの行\",1,2\n"
    r = read_comments(write(tmp_path, "s.csv", text.encode("utf-8")))
    entry = entry_from_comments(r.comments, title="t")
    back = read_text(write_entries([entry])).entries[0]
    assert len(back.comments) == 1
    assert back.comments[0].votes == Votes(1, 2)
    assert back.comments[0].text == r.comments[0].text
    assert back.comments[0].text.endswith("ふつうの行")


_chars = st.sampled_from(list("あいう漢字abc 123\n\t\u00a0\u3000▲▼=+()<>&\"'[]まとめ要約") + ["=+=+=+=+=", "▲1 ▼2", "IMAGE"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(_chars, max_size=30).map("".join), st.integers(0, 999), st.integers(0, 999)), max_size=14))
def test_any_comment_texts_round_trip(rows):
    comments = [Comment(t, Votes(u, d)) for t, u, d in rows]
    entry = entry_from_comments(comments, title="題")
    back = read_text(write_entries([entry])).entries[0]
    assert back.comments == entry.comments
    assert all(c.text.strip() for c in entry.comments)
