"""`matome ingest URL` and `matome ingest page.html` go through the safe sources path."""

from __future__ import annotations

import subprocess
import sys

from test_sources_fetch import Server, html

from matome.store import open_store

PAGE = (
    "<html><head><title>市の新しい計画</title></head><body><article><h1>市の新しい計画</h1>"
    "<p>市は来年度から新しい交通計画を始めると発表した。バスの本数を増やし、駅前の駐輪場も広げる。</p>"
    "<p>計画の費用は約三億円で、国の補助金も使う予定だという。</p></article></body></html>"
)


def _ingest(db, *args):
    return subprocess.run(
        [sys.executable, "-m", "matome.cli", "ingest", "--db", str(db), "--no-digest", *args],
        capture_output=True, text=True, timeout=120,
    )


def test_ingest_url_is_refused_on_loopback_without_the_flag_and_served_with_it(tmp_path):
    server = Server()
    try:
        server.routes["/news/1"] = html(PAGE)
        db = tmp_path / "a.db"
        refused = _ingest(db, server.url("/news/1"))
        assert refused.returncode == 2  # the only input failed: nothing was ingested
        assert "--allow-private" in refused.stderr and server.log == []
        served = _ingest(db, "--allow-private", server.url("/news/1"))
        assert served.returncode == 0, served.stderr
        assert "/news/1" in server.paths()
        store = open_store(str(db))
        try:
            rows = store.list_articles("latest", limit=10, offset=0)
            assert [r.title for r in rows] == ["市の新しい計画"]
            entry = store.get_entry(rows[0].id)
            assert "交通計画" in entry.body.text and entry.headline.url == server.url("/news/1")
        finally:
            store.close()
    finally:
        server.close()


def test_ingest_saved_html_page(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    db = tmp_path / "b.db"
    run = _ingest(db, str(page))
    assert run.returncode == 0, run.stderr
    store = open_store(str(db))
    try:
        assert [r.title for r in store.list_articles("latest", limit=10, offset=0)] == ["市の新しい計画"]
    finally:
        store.close()
