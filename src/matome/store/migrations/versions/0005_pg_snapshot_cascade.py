"""PostgreSQL: vote snapshots go with their comment by a trigger instead of a foreign key.

A foreign key checks every inserted row on its own (a query per row, locking the comment):
for ``vote_snapshots`` that was a quarter of the ingest's time at 1,000,000 comments, all
for rows written in the same transaction as their comments, with the ids just drawn for
them (the first snapshot of each new comment), or read from the article's comments while
its row is locked (a changed vote count). The constraint is dropped; what it did on a
delete (``ON DELETE CASCADE``: matome itself deletes no comment, but an article deleted by
hand takes its comments, and they their snapshots) is done by a statement-level trigger on
``comments`` that deletes the snapshots of the deleted comments in one statement.

What is given up: the server no longer refuses a snapshot whose comment does not exist (only
matome's ingest writes snapshots, see above), and a comment deleted by hand while an ingest
adds a snapshot to it in a transaction not yet committed can leave that snapshot behind
(snapshots are only ever read joined to their comment). SQLite: nothing changes.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_FK = "vote_snapshots_comment_id_fkey"

_UP = [
    # the foreign key of vote_snapshots to comments, whatever its name
    "DO $$ DECLARE c record; BEGIN FOR c IN SELECT conname FROM pg_constraint "
    "WHERE conrelid = 'vote_snapshots'::regclass AND confrelid = 'comments'::regclass AND contype = 'f' "
    "LOOP EXECUTE format('ALTER TABLE vote_snapshots DROP CONSTRAINT %I', c.conname); END LOOP; END $$",
    # SET search_path FROM CURRENT: the function finds the archive's tables whatever the
    # search_path of the session that deletes
    "CREATE FUNCTION matome_delete_snapshots() RETURNS trigger LANGUAGE plpgsql "
    "SET search_path FROM CURRENT AS $$ BEGIN "
    "DELETE FROM vote_snapshots s USING deleted_comments d WHERE s.comment_id = d.id; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER comments_delete_snapshots AFTER DELETE ON comments "
    "REFERENCING OLD TABLE AS deleted_comments FOR EACH STATEMENT EXECUTE FUNCTION matome_delete_snapshots()",
]

_DOWN = [
    "DROP TRIGGER IF EXISTS comments_delete_snapshots ON comments",
    "DROP FUNCTION IF EXISTS matome_delete_snapshots()",
    # snapshots left without their comment (see above) would refuse the constraint
    "DELETE FROM vote_snapshots s WHERE NOT EXISTS (SELECT 1 FROM comments c WHERE c.id = s.comment_id)",
    f"ALTER TABLE vote_snapshots ADD CONSTRAINT {_FK} FOREIGN KEY (comment_id) REFERENCES comments (id) "
    "ON DELETE CASCADE",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _UP:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _DOWN:
        op.execute(statement)
