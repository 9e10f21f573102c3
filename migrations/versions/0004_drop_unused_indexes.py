"""drop the four indexes no query reads: fewer B-trees written by every command

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 03:15:00.000000

``events.recorded_at``, ``commitments.status``, ``commitments.due_end`` and
``follow_ups.due`` were indexed in 0001 for queries that never came: reports read the
whole projection (``tracker status``) or a stream by ``(stream_id, version)``, and as-of
reads filter ``recorded_at`` inside a stream or a position range. Every command still
paid for them: on SQLite each index is one more B-tree page written to the WAL per
commit (a W1 command wrote 12.7 pages, 8.9 without them), and the WAL is checkpointed,
with its two disk syncs, once per thousand pages written.

The names are written out rather than taken from the schema: a migration must keep
doing what it did when it was written.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_UNUSED = (
    ("events", "ix_events_recorded_at", ["recorded_at"]),
    ("commitments", "ix_commitments_status", ["status"]),
    ("commitments", "ix_commitments_due_end", ["due_end"]),
    ("follow_ups", "ix_follow_ups_due", ["due"]),
)


def upgrade() -> None:
    for table, name, _ in _UNUSED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for table, name, columns in _UNUSED:
        op.create_index(name, table, columns, unique=False)
