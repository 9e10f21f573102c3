"""append-only events enforced by the database; the database user beside each event

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 11:10:00.000000

Triggers refuse UPDATE and DELETE on ``events`` (and TRUNCATE on PostgreSQL), so the
log is append-only by the database's rule rather than by convention. Whoever can drop
the triggers can still rewrite rows; the hash chain and a kept digest are what catch
that, as before.

``events.db_user`` records who wrote an event as the database knows them. On
PostgreSQL a BEFORE INSERT trigger fills it with ``session_user`` and refuses any other
name, so no writer can pose as someone else; SQLite has no users and leaves it NULL.
Refusing rather than overwriting keeps a restore honest: loading a dump as another
role fails loudly instead of quietly renaming every writer and breaking the chain
(restore with ``pg_restore --disable-triggers``, as a superuser).

The SQL is written out here rather than imported: a migration must keep doing what it
did when it was written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_SQLITE_UP = [
    """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE on events is refused'); END""",
    """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only: DELETE on events is refused'); END""",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS events_no_update",
    "DROP TRIGGER IF EXISTS events_no_delete",
]

_PG_UP = [
    """CREATE FUNCTION tracker_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the event log is append-only: % on events is refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END $$""",
    # One statement-level trigger: it fires even when no row matches, and TRUNCATE
    # (which row triggers never see) is refused too.
    """CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION tracker_events_append_only()""",
    """CREATE FUNCTION tracker_events_db_user() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.db_user IS NULL THEN
            NEW.db_user := session_user;
        ELSIF NEW.db_user IS DISTINCT FROM session_user THEN
            RAISE EXCEPTION 'events.db_user must be the writer''s own session_user (%), not %',
                session_user, NEW.db_user USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER events_db_user BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION tracker_events_db_user()""",
]
_PG_DOWN = [
    "DROP TRIGGER IF EXISTS events_db_user ON events",
    "DROP FUNCTION IF EXISTS tracker_events_db_user()",
    "DROP TRIGGER IF EXISTS events_append_only ON events",
    "DROP FUNCTION IF EXISTS tracker_events_append_only()",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    op.add_column("events", sa.Column("db_user", sa.String(length=200), nullable=True))
    _run(_PG_UP if op.get_bind().dialect.name == "postgresql" else _SQLITE_UP)


def downgrade() -> None:
    bind = op.get_bind()
    signed = bind.execute(sa.text("SELECT count(*) FROM events WHERE db_user IS NOT NULL"))
    if count := signed.scalar_one():
        # Their hashes cover db_user: dropping it would break the chain at the first.
        raise RuntimeError(
            f"cannot downgrade below 0002: {count} events record their database user, "
            "which their hashes cover; dropping the column would break the hash chain"
        )
    postgres = bind.dialect.name == "postgresql"
    _run(_PG_DOWN if postgres else _SQLITE_DOWN)
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("db_user")
