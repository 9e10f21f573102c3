"""The stored status rows, read with the bare driver: sqlite3 or psycopg, no SQLAlchemy.

Importing SQLAlchemy and the layers above it costs a new ``tracker status`` process
more than reading ten thousand rows does. This reader answers only when it can answer
exactly as the full path would: a database that exists and is at this code's schema
revision. Anything else (no file yet, an older schema to upgrade, a newer one to
refuse, a server that does not answer, any driver error) returns None, and the caller
takes the full path, which creates, upgrades, refuses or explains.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tracker.adapters.revision import SCHEMA_REVISION
from tracker.config import SQLITE_BUSY_TIMEOUT_S, pg_connect_args, sqlite_path

_VERSION = "SELECT version_num FROM alembic_version"
# The columns tracker.service_layer.statusrows.stored_listing takes.
_ROWS = (
    "SELECT id, status, made_on, due_end, status_row, overdue_after, open_follow_ups_due "
    "FROM commitments"
)


def stored_status_rows(url: str) -> list[tuple[Any, ...]] | None:
    """Every commitment's stored status columns, or None when this read cannot answer."""
    if url.startswith("sqlite"):
        return _from_sqlite(url)
    if url.startswith("postgresql"):
        return _from_postgres(url)
    return None


def _read(conn: Any) -> list[tuple[Any, ...]] | None:
    """The rows, on a connection of either driver inside one snapshot; None unless the
    schema is this code's (the full path then upgrades the database, or refuses it)."""
    version = conn.execute(_VERSION).fetchone()
    if version is None or version[0] != SCHEMA_REVISION:
        return None
    return conn.execute(_ROWS).fetchall()


def _from_sqlite(url: str) -> list[tuple[Any, ...]] | None:
    path = sqlite_path(url)
    if path is None or not path.is_file():
        return None
    # mode=rw: never create the file (the full path creates it, private to its user).
    uri = path.absolute().as_uri() + "?mode=rw"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        conn.execute("BEGIN")  # one snapshot for the version and the rows
        return _read(conn)
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _from_postgres(url: str) -> list[tuple[Any, ...]] | None:
    try:
        import psycopg
    except ImportError:
        return None
    # libpq reads the URL SQLAlchemy is given, once its driver name is dropped.
    conninfo = "postgresql://" + url.split("://", 1)[1]
    try:
        with psycopg.connect(conninfo, **pg_connect_args(url)) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            with conn.transaction():
                return _read(conn)
    except psycopg.Error:
        return None
