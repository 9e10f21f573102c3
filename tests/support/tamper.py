"""Playing the tamperer: drop the triggers that keep ``events`` append-only, as anyone
who owns the tables can, so the tests can show that the audit still catches the rest."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

from tracker.adapters.db import Database

_DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS events_no_update",
        "DROP TRIGGER IF EXISTS events_no_delete",
    ],
    "postgresql": ["DROP TRIGGER IF EXISTS events_append_only ON events"],
}


def drop_append_only_guard(conn: Connection) -> None:
    """Drop migration 0002's UPDATE/DELETE triggers, in ``conn``'s transaction."""
    for statement in _DROP[conn.dialect.name]:
        conn.execute(text(statement))


@contextmanager
def tampering(db: Database) -> Iterator[Connection]:
    """A write transaction on a log whose append-only triggers were dropped."""
    with db.write() as conn:
        drop_append_only_guard(conn)
        yield conn
