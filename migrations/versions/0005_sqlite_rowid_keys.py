"""SQLite: ``events.position`` as the table's rowid, ``follow_ups`` without a rowid

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 03:25:00.000000

On SQLite every table has a rowid B-tree, and a primary key that is not the rowid is a
second B-tree beside it: ``events.position BIGINT PRIMARY KEY`` and ``follow_ups``'s
(commitment_id, follow_up_id) each cost every command one more page written to the
WAL. ``position INTEGER PRIMARY KEY`` makes the position the rowid itself, and
``follow_ups`` becomes a ``WITHOUT ROWID`` table stored in its key's order (its rows
are small, as SQLite advises for those). Nothing changes on PostgreSQL.

A rowid holds only integers: SQLite now refuses a position that is not one (it stored
whatever it was given before). A log holding such a row, which only tampering makes,
is refused here with a message saying so, rather than half copied.

SQLite cannot change a table's key in place, so both tables are copied into new ones,
with their constraints, indexes and (for ``events``) 0002's append-only triggers. The
SQL is written out: a migration must keep doing what it did when it was written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_EVENTS = """CREATE TABLE {name} (
    position {position} NOT NULL,
    stream_id VARCHAR(200) NOT NULL,
    version INTEGER NOT NULL,
    type VARCHAR(100) NOT NULL,
    schema_version INTEGER NOT NULL,
    data TEXT NOT NULL,
    meta TEXT NOT NULL,
    occurred_at VARCHAR(32) NOT NULL,
    recorded_at VARCHAR(32) NOT NULL,
    idempotency_key VARCHAR(300),
    hash VARCHAR(64) NOT NULL,
    db_user VARCHAR(200),
    CONSTRAINT pk_events PRIMARY KEY (position),
    CONSTRAINT uq_events_idempotency_key UNIQUE (idempotency_key),
    CONSTRAINT uq_events_stream_id_version UNIQUE (stream_id, version)
)"""
_FOLLOW_UPS = """CREATE TABLE {name} (
    commitment_id VARCHAR(200) NOT NULL,
    follow_up_id VARCHAR(200) NOT NULL,
    task TEXT NOT NULL,
    due VARCHAR(10) NOT NULL,
    owner VARCHAR(320),
    done_on VARCHAR(10),
    CONSTRAINT pk_follow_ups PRIMARY KEY (commitment_id, follow_up_id)
){options}"""
# 0002's triggers, dropped with the table they guard.
_APPEND_ONLY = [
    """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE on events is refused'); END""",
    """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only: DELETE on events is refused'); END""",
]


def _copy(table: str, create: str, **fill: str) -> None:
    """Replace ``table`` by the table ``create`` (filled with ``fill``) makes, holding
    the same rows."""
    op.execute(create.format(name=f"{table}_0005", **fill))
    op.execute(f"INSERT INTO {table}_0005 SELECT * FROM {table}")  # noqa: S608
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {table}_0005 RENAME TO {table}")


def _rebuild(*, rowid_position: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _copy("events", _EVENTS, position="INTEGER" if rowid_position else "BIGINT")
    for trigger in _APPEND_ONLY:
        op.execute(trigger)
    _copy("follow_ups", _FOLLOW_UPS, options=" WITHOUT ROWID" if rowid_position else "")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        odd = bind.execute(
            sa.text("SELECT position FROM events WHERE typeof(position) != 'integer' LIMIT 1")
        ).first()
        if odd is not None:
            raise RuntimeError(
                f"cannot upgrade to schema 0005: the event log holds a position that is "
                f"not a whole number ({odd[0]!r}), which only tampering makes; run "
                "`tracker audit` on it with the tracker that wrote it"
            )
    _rebuild(rowid_position=True)


def downgrade() -> None:
    _rebuild(rowid_position=False)
