"""Engines and transactions with the locking the event store's guarantees rest on.

Every writer takes one global write lock for the length of its transaction: SQLite's
``BEGIN IMMEDIATE`` and a PostgreSQL transaction-scoped advisory lock. That is what
makes ``position = last + 1`` gap-free and equal to commit order without a sequence.
Readers never take it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from tracker.adapters.schema import SCHEMA_REVISION
from tracker.config import ConfigError, mask_url

# An arbitrary constant shared by every tracker process: the advisory lock's key.
ADVISORY_LOCK_KEY = 0x7472_6B72  # "trkr"
SQLITE_BUSY_TIMEOUT_MS = 30_000


class SchemaError(RuntimeError):
    """The database's schema is not one this code can use."""


class Statement:
    """SQL for the hot paths, run on the DB-API cursor of a SQLAlchemy connection.

    SQLAlchemy Core spends 15–50 µs building, caching and wrapping each statement,
    several times what SQLite needs to run it; commands, imports, rebuilds and audits
    run thousands of statements or millions of rows, so the event store and the
    projections hand these straight to the driver, in the connection's transaction.
    Written once with ``?`` placeholders (sqlite3) and rewritten to ``%s`` (psycopg);
    driver errors are raised as SQLAlchemy's, as everywhere else.
    """

    __slots__ = ("format", "qmark")

    def __init__(self, sql: str) -> None:
        self.qmark = sql
        self.format = sql.replace("?", "%s")

    def _sql(self, conn: Connection) -> str:
        return self.qmark if conn.dialect.paramstyle == "qmark" else self.format

    def execute(self, conn: Connection, params: Sequence[Any] = ()) -> Any:
        """Run once; the DB-API cursor, to fetch from."""
        sql = self._sql(conn)
        cursor = conn.connection.cursor()
        try:
            cursor.execute(sql, params)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(conn, sql, exc) from exc
        return cursor

    def rows(self, conn: Connection, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.execute(conn, params).fetchall()  # type: ignore[no-any-return]

    def batches(
        self, conn: Connection, params: Sequence[Any] = (), size: int = 5000
    ) -> Iterator[list[tuple[Any, ...]]]:
        """The rows ``size`` at a time, never all in memory: psycopg loads a whole
        result into the client, so PostgreSQL reads through a server-side cursor."""
        sql = self._sql(conn)
        if conn.dialect.name == "postgresql":
            cursor = conn.connection.cursor(name=f"tracker_{next(_CURSORS)}")
        else:
            cursor = conn.connection.cursor()
        try:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(size):
                yield rows
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(conn, sql, exc) from exc
        finally:
            cursor.close()

    def executemany(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        sql = self._sql(conn)
        cursor = conn.connection.cursor()
        try:
            cursor.executemany(sql, rows)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(conn, sql, exc) from exc
        finally:
            cursor.close()


def _wrapped(conn: Connection, sql: str, exc: Exception) -> BaseException:
    # Parameters stay out of the message: they are event payloads, possibly thousands.
    return DBAPIError.instance(
        sql, None, exc, conn.dialect.loaded_dbapi.Error, hide_parameters=True, dialect=conn.dialect
    )


_CURSORS = itertools.count(1)  # names for server-side cursors, unique in a process


def placeholders(count: int) -> str:
    """``?, ?, …`` for an ``IN (…)`` list of ``count`` values."""
    return ", ".join("?" * count)


_BEGIN, _BEGIN_IMMEDIATE = Statement("BEGIN"), Statement("BEGIN IMMEDIATE")


def _prepare_sqlite_file(url: str) -> None:
    """Create the file private to its user before SQLite creates it world-readable."""
    path = url.split("sqlite:///", 1)[1].split("?", 1)[0]
    if not path or path == ":memory:":
        return
    file = Path(path)
    if file.exists():
        return
    try:
        file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(file, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it between the check and here
            return
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(f"cannot create the database file {file}: {reason}") from None
    os.close(fd)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        # Autocommit at the driver level so that we, not pysqlite, emit BEGIN.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("tracker_write", False)
        (_BEGIN_IMMEDIATE if immediate else _BEGIN).execute(conn).close()


def create_db_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql"):
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise ConfigError(
                "PostgreSQL needs the 'postgres' extra: pip install 'tracker[postgres]'"
            ) from exc
        return create_engine(url, pool_pre_ping=True)
    raise ConfigError(f"unsupported database URL: {mask_url(url)}")


class Database:
    """An engine plus the two kinds of transaction the application uses."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or create_db_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"

    def __repr__(self) -> str:
        return f"Database({mask_url(self.url)!r})"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction holding the global write lock; commits on success."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(tracker_write=True)
            with conn.begin():
                if not self.is_sqlite:
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
                    )
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only snapshot: one consistent view for a whole report or audit."""
        with self.engine.connect() as conn:
            if not self.is_sqlite:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()

    # --- schema -------------------------------------------------------------------

    def current_revision(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        except (OperationalError, ProgrammingError):
            return None
        return row[0] if row else None

    def ensure_schema(self) -> None:
        """Upgrade an empty or older database; refuse one newer than this code.

        The fast path reads one row and imports nothing from Alembic, which keeps
        `tracker status` quick to start.
        """
        current = self.current_revision()
        if current == SCHEMA_REVISION:
            return
        from tracker.adapters.migrate import known_revisions, upgrade

        if current is not None and current not in known_revisions():
            raise SchemaError(
                f"the database {mask_url(self.url)} is at schema revision {current!r}, "
                "which this version of tracker does not know: it was written by a newer "
                "tracker. Upgrade tracker (pip install -U tracker) to use it."
            )
        upgrade(self)
