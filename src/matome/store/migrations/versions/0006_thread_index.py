"""SQLite: a word index of each article's comments, and phrase queries on the article fields.

- ``thread_grams``: one contentless FTS5 row per article (rowid = the article's id) whose
  text is the distinct bigrams of all its comments indexed so far (``id <= threads_indexed``;
  ``matome_grams_set``: a comment's last character is a piece of its own, so no bigram
  spans two comments). It lists the articles whose comments hold a word without reading a
  comment row per candidate comment (about 1 µs each: the grouped search's count of
  articles found by their comments cost 2–3 ms for common words). Kept in step in bulk by
  :func:`matome.store.fts.catch_up` (an article with comments above the watermark gets its
  row again), and by triggers when an indexed comment's text changes or it is deleted.
  A comment that disappears from its thread (``position`` NULL) stays in the row: the
  articles that have such comments are checked against their current comments
  (``ix_comments_gone`` finds them).
- ``articles_grams`` is rebuilt with ``detail=full`` (it was ``detail=column``): a word of
  three or more characters is then asked as a phrase of its bigrams, which an article field
  holds only when it holds the word (for words without case-folded letters), so the search
  counts the articles with a field holding such a word from the index alone instead of
  reading their bodies. Re-indexed by the first search after the upgrade (10,000 articles:
  a few seconds).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TOKENIZE = "unicode61 remove_diacritics 0 categories ''L* M* N* P* S* Co''"
_WM = "(SELECT value FROM search_state WHERE name = 'threads_indexed')"


def _doc(article: str, text: str = "text") -> str:
    """SELECT of the thread row of ``article`` (grams of its comments at or below the
    watermark), no row when it has none; ``text``: the expression of a comment's text."""
    return (f"SELECT {article}, matome_grams_set({text}) FROM comments "
            f"WHERE article_id = {article} AND id <= {_WM} GROUP BY article_id")


_THREAD_CREATE = [
    f"CREATE VIRTUAL TABLE thread_grams USING fts5(text, content='', tokenize='{_TOKENIZE}', detail=none)",
    "INSERT INTO search_state (name, value) VALUES ('threads_indexed', 0)",
    "CREATE INDEX ix_comments_gone ON comments (article_id) WHERE position IS NULL",
    # an indexed comment's new text: the article's row again (the old one is deleted with
    # the very tokens it was made of: the old text in place of the new)
    "CREATE TRIGGER thread_grams_au AFTER UPDATE OF text ON comments WHEN old.id <= " + _WM + " BEGIN "
    "INSERT INTO thread_grams(thread_grams, rowid, text) "
    + _doc("old.article_id", "CASE WHEN id = old.id THEN old.text ELSE text END").replace("SELECT ", "SELECT 'delete', ", 1)
    + "; INSERT INTO thread_grams(rowid, text) " + _doc("new.article_id") + "; END",
    # an article deleted: its row goes first, whole (its comments follow it, by the foreign
    # key's cascade, once the article's row is gone: the trigger below then passes them by)
    "CREATE TRIGGER thread_grams_bd BEFORE DELETE ON articles BEGIN "
    "INSERT INTO thread_grams(thread_grams, rowid, text) "
    + _doc("old.id").replace("SELECT ", "SELECT 'delete', ", 1)
    + "; END",
    # an indexed comment deleted by hand: its article's row without it (one statement per
    # comment: deleting many of a long thread's comments this way is slow; deleting the
    # article is not)
    "CREATE TRIGGER thread_grams_ad AFTER DELETE ON comments WHEN old.id <= " + _WM
    + " AND EXISTS (SELECT 1 FROM articles WHERE id = old.article_id) BEGIN "
    "INSERT INTO thread_grams(thread_grams, rowid, text) SELECT 'delete', old.article_id, matome_grams_set(t) "
    f"FROM (SELECT text AS t FROM comments WHERE article_id = old.article_id AND id <= {_WM} "
    "UNION ALL SELECT old.text); "
    "INSERT INTO thread_grams(rowid, text) " + _doc("old.article_id") + "; END",
]

_ARTICLES_GRAMS = ("CREATE VIRTUAL TABLE articles_grams USING fts5(title, summary_text, body_text, content='', "
                   "tokenize='{tokenize}', detail={detail})")


def _articles_grams(detail: str) -> list[str]:
    # the triggers of 0002 on articles name the table: they serve the new one as they did the old
    return ["DROP TABLE articles_grams", _ARTICLES_GRAMS.format(tokenize=_TOKENIZE, detail=detail),
            "UPDATE search_state SET value = 0 WHERE name = 'articles_indexed'"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in _THREAD_CREATE + _articles_grams("full"):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in ["DROP TRIGGER IF EXISTS thread_grams_au", "DROP TRIGGER IF EXISTS thread_grams_ad",
                      "DROP TRIGGER IF EXISTS thread_grams_bd",
                      "DROP INDEX IF EXISTS ix_comments_gone", "DROP TABLE IF EXISTS thread_grams",
                      "DELETE FROM search_state WHERE name = 'threads_indexed'"] + _articles_grams("column"):
        op.execute(statement)
