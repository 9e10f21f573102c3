"""the status report's row kept in the commitments projection

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 02:30:00.000000

``commitments`` gains ``status_row`` (the row of ``tracker status --format json`` as it
reads on a day nothing is late, encoded), ``overdue_after`` (the last day of an open
commitment's deadline) and ``open_follow_ups_due`` (its open follow-ups' due days), so
that the report reads stored text instead of decoding and judging every state.

The columns are filled here from each row's ``state``, which the projection already
derives from the log, with the projection's own code
(``tracker.service_layer.statusrows.status_columns``): they must equal what every later
append and rebuild writes, or the audit would report every row as differing from the
log. Unlike the DDL, that derivation is imported rather than written out: what it must
produce is whatever the projection writes today.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_PAGE = 2000


def _fill() -> None:
    from tracker.domain.commitment import CommitmentState
    from tracker.service_layer.statusrows import status_columns

    bind = op.get_bind()
    page = sa.text("SELECT id, state FROM commitments WHERE id > :after ORDER BY id LIMIT :size")
    update = sa.text(
        "UPDATE commitments SET status_row = :status_row, overdue_after = :overdue_after, "
        "open_follow_ups_due = :open_follow_ups_due WHERE id = :id"
    )
    after = ""
    # A page at a time, by id: a large projection is never all in memory.
    while found := bind.execute(page, {"after": after, "size": _PAGE}).all():
        values = [
            {"id": ident, **status_columns(CommitmentState.from_dict(json.loads(state)))}
            for ident, state in found
        ]
        bind.execute(update, values)
        after = found[-1][0]


def upgrade() -> None:
    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_row", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("overdue_after", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("open_follow_ups_due", sa.Text(), nullable=True))
    _fill()
    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.alter_column("status_row", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("open_follow_ups_due", existing_type=sa.Text(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.drop_column("open_follow_ups_due")
        batch_op.drop_column("overdue_after")
        batch_op.drop_column("status_row")
