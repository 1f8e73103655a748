"""A saved page that states its comments (e.g. 9,326) but does not hold them says so, in the
digest text, on standard error and on the web page, instead of "no comments yet"."""

from __future__ import annotations

import subprocess
import sys

from matome.analyze.digest import digest_entry
from matome.io.archive import read_text, write_entry
from matome.io.html import article_from_html, entry_from_article
from matome.model import absent_comment_count
from matome.store import open_store
from matome.web.data import article_view
from matome.web.render import render_article
from test_sources_html import BODY, yahoo_page

NOT_IN_PAGE = "この記事には9,326件のコメントがありますが、保存されたページにはコメントが含まれていません。"
NO_COMMENTS_YET = "まだコメントが寄せられていません"


def saved_page() -> str:
    return yahoo_page(state=None, body_html=BODY, count="9,326")


def test_entry_and_digest_say_the_comments_are_not_in_the_page():
    entry = entry_from_article(article_from_html(saved_page()))
    assert entry.comments == () and absent_comment_count(entry) == 9326
    assert entry.discussion.paragraphs == (NOT_IN_PAGE,)
    back = read_text(write_entry(entry)).entries[0]
    assert back == entry and absent_comment_count(back) == 9326
    digest = digest_entry(entry)
    text = "\n".join((*digest.discussion_paragraphs, digest.matome_headline, *digest.matome_paragraphs))
    assert NOT_IN_PAGE in text and NO_COMMENTS_YET not in text and "まだ寄せられていない" not in text
    # a page without a stated count keeps the usual wording
    plain = entry_from_article(article_from_html(yahoo_page(state=None, body_html=BODY, count="")))
    assert absent_comment_count(plain) is None and plain.discussion.paragraphs == ()


def test_cli_and_web_say_it_too(tmp_path):
    page = tmp_path / "saved.html"
    page.write_text(saved_page(), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "matome.cli", "digest", str(page), "--format", "md"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert NOT_IN_PAGE in r.stdout and NO_COMMENTS_YET not in r.stdout
    lines = [line for line in r.stderr.splitlines() if "9,326" in line]
    assert len(lines) == 1 and "holds none of them" in lines[0]

    db = tmp_path / "a.db"
    r = subprocess.run([sys.executable, "-m", "matome.cli", "ingest", "--db", str(db), str(page)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    with open_store(str(db)) as store:
        aid = store.list_articles()[0].id
        html = render_article(article_view(store, aid))
    assert NOT_IN_PAGE in html and NO_COMMENTS_YET not in html
    assert "記事には 9,326 件のコメントがありますが、保存されたページにはコメントが含まれていません。" in html
