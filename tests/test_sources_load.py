"""load_entries / load_source: every kind of source gives entries (no network here)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from matome.io.archive import read_text, write_entries
from matome.io.jsonl import write_jsonl
from matome.io.sources import SourceError, load_entries, load_source
from matome.io.tabular import parse_mapping
from matome.model import Votes

SEED = Path(__file__).resolve().parents[1] / "samples" / "000_c07ace8c3e04d92d.txt"


def test_kouchou_csv_and_cp932_csv_load_without_options(tmp_path):
    k = tmp_path / "kouchou.csv"
    k.write_text("comment-id,comment-body,agrees,disagrees\n1,賛成,3,1\n2,反対,0,4\n3,,1,1\n", encoding="utf-8")
    r = load_entries(str(k))
    assert r.kind == "table" and len(r.entries) == 1
    e = r.entries[0]
    assert [c.text for c in e.comments] == ["賛成", "反対"] and e.comments[1].votes == Votes(0, 4)
    assert e.title == "kouchou" and e.headline.source == "kouchou.csv"
    assert len(r.warnings) == 2 and "▲ from 'agrees'" in r.warnings[0] and ":4:" in r.warnings[1]
    sj = tmp_path / "sjis.csv"
    sj.write_bytes("コメント,賛成,反対\n駅前を整備してほしい,5,2\n".encode("cp932"))
    e2 = load_source(str(sj))
    assert e2.comments[0].text == "駅前を整備してほしい" and e2.comments[0].votes == Votes(5, 2)
    assert read_text(write_entries([e2])).entries[0].comments == e2.comments


def test_xlsx_with_mapping(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["ご意見", "そう思う", "そう思わない"])
    wb.active.append(["公園を増やして", 7, 1])
    p = tmp_path / "v.xlsx"
    wb.save(p)
    with pytest.raises(SourceError, match="no comment text column"):
        load_source(str(p))
    e = load_source(str(p), mapping=parse_mapping("text=ご意見,up=そう思う,down=そう思わない"))
    assert e.comments[0].text == "公園を増やして" and e.comments[0].votes == Votes(7, 1)


def test_html_file_with_comments(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><head><meta property='og:title' content='保存した記事'><meta property='og:site_name' content='例え新聞'>"
                    "</head><body><article><p>保存したページの本文です。住民の意見が分かれている。</p></article></body></html>",
                    encoding="utf-8")
    c = tmp_path / "c.jsonl"
    c.write_text('{"text": "なるほど", "up": 2, "down": 0}\n', encoding="utf-8")
    r = load_entries(str(page), comments=str(c))
    assert r.kind == "html" and r.article.title == "保存した記事"
    e = r.entries[0]
    assert e.title == "保存した記事" and e.comments[0].text == "なるほど"
    with pytest.raises(SourceError, match="comments can only be added"):
        load_entries(str(c), comments=str(c))


def test_archive_and_matome_jsonl(tmp_path):
    seed = load_source(str(SEED))
    assert len(seed.comments) == 37
    both = tmp_path / "two.txt"
    both.write_text(write_entries([seed, seed]), encoding="utf-8")
    assert len(load_entries(str(both)).entries) == 2
    with pytest.raises(SourceError, match="holds 2 entries"):
        load_source(str(both))
    j = tmp_path / "e.jsonl"
    j.write_text(write_jsonl([seed]), encoding="utf-8")
    r = load_entries(str(j))
    assert r.kind == "jsonl" and r.entries[0] == seed


def test_missing_and_bad_sources(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        load_source(str(tmp_path / "nope.csv"))
    bad = tmp_path / "bad.txt"
    bad.write_text("これはアーカイブではない\n", encoding="utf-8")
    with pytest.raises(SourceError, match="no entry could be read|record header"):
        load_source(str(bad))
    empty = tmp_path / "empty.csv"
    empty.write_text("text,up,down\n,1,1\n", encoding="utf-8")
    with pytest.raises(SourceError, match="no comment could be read"):
        load_source(str(empty))
