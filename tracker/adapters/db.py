"""Engines and transactions with the locking the event store's guarantees rest on.

Every writer takes one global write lock for the length of its transaction: SQLite's
``BEGIN IMMEDIATE`` and a PostgreSQL transaction-scoped advisory lock. That is what
makes ``position = last + 1`` gap-free and equal to commit order without a sequence.
Readers never take it.

On PostgreSQL a command's cost is its round trips, not its statements: a command
(:meth:`Database.run_command`) sends what it reads in one batch and what it writes,
with its COMMIT, in another (see :class:`Transaction`), on a pooled connection that is
not pinged first. Every other checkout is pinged, as SQLAlchemy's ``pool_pre_ping``
would.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError

from tracker.adapters.revision import SCHEMA_REVISION
from tracker.config import (
    SQLITE_BUSY_TIMEOUT_S,
    ConfigError,
    pg_connect_args,
    redact,
    sqlite_path,
)

# An arbitrary constant shared by every tracker process: the advisory lock's key.
ADVISORY_LOCK_KEY = 0x7472_6B72  # "trkr"
SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file
VERSION_TABLE = "alembic_version"
# Where a pooled PostgreSQL connection keeps its ``session_user`` (see eventstore).
SESSION_USER_INFO = "tracker_session_user"
T = TypeVar("T")


class SchemaError(RuntimeError):
    """The database's schema is not one this code can use."""


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or read: a server that is down, a wrong password,
    a file that is not an SQLite database. Never taken for an empty database."""


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

    def rows(self, conn: Connection, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
        return self.execute(conn, params).fetchall()

    def batches(
        self, conn: Connection, params: Sequence[Any] = (), size: int = 5000
    ) -> Iterator[Sequence[Sequence[Any]]]:
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
_COMMIT = Statement("COMMIT")
_BATCH = "(a batch of statements, sent together)"  # what a batch's error names as its SQL
_LOCK_AND_USER = Statement("SELECT pg_advisory_xact_lock(?), session_user")
# True while a command checks out its connection: the one checkout not pinged.
_UNPINGED: ContextVar[bool] = ContextVar("tracker_unpinged", default=False)
_FRESH = "tracker_fresh"  # in a pooled connection's info until its first checkout


def _prepare_sqlite_file(url: str) -> None:
    """Create the file private to its user before SQLite creates it world-readable, and
    refuse a path SQLite cannot use as a database with a message saying why."""
    file = sqlite_path(url)
    if file is None:
        return
    if file.is_dir():
        raise ConfigError(
            f"{file} is not an SQLite database: it is a directory "
            f"(give a file path, e.g. {file / 'tracker.db'})"
        )
    if file.exists():
        _check_sqlite_header(file)
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


def _check_sqlite_header(file: Path) -> None:
    if not file.is_file():
        raise ConfigError(f"{file} is not an SQLite database: it is not a regular file")
    try:
        with file.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(f"cannot open the database file {file}: {reason}") from None
    # An empty file is an empty database: the one we create above, for one.
    if head and head != SQLITE_HEADER:
        raise ConfigError(
            f"{file} is not an SQLite database; give the path of a tracker database "
            "or of a file that does not exist yet"
        )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Autocommit at the driver level so that we, not pysqlite, emit BEGIN.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("tracker_write", False)
        (_BEGIN_IMMEDIATE if immediate else _BEGIN).execute(conn).close()


def create_db_engine(url: str) -> Engine:
    try:
        return _create_engine(url)
    except (ArgumentError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        # SQLAlchemy quotes the whole URL, password and all, when it cannot parse it.
        reason = redact(str(exc).strip().splitlines()[0], url)
        raise ConfigError(f"cannot use the database URL {redact(url)}: {reason}") from None


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql"):
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise ConfigError(
                "PostgreSQL needs the 'postgres' extra: pip install 'tracker[postgres]'"
            ) from exc
        engine = create_engine(url, connect_args=pg_connect_args(url))
        _configure_postgresql(engine)
        return engine
    raise ConfigError(f"unsupported database URL: {redact(url)}")


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(_dbapi_conn: Any, record: Any) -> None:
        record.info[_FRESH] = True

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        """``pool_pre_ping``, but for a command's checkout: a ping is a round trip, and a
        command retries on a dead connection instead (see :meth:`Database.run_command`).
        A connection just made is not pinged either, as ``pool_pre_ping`` does not.
        Raising ``DisconnectionError`` makes the pool replace the connection."""
        if record.info.pop(_FRESH, False) or _UNPINGED.get():
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_conn, None):
                raise DisconnectionError(str(exc)) from exc
            raise


def _has_pipeline() -> bool:
    from psycopg import Pipeline

    return Pipeline.is_supported()


class StaleConnection(Exception):
    """A command's first batch found its pooled connection dead.

    Nothing of the command took effect: that batch writes nothing, and its transaction
    died with the connection. So the command may run again on a new connection.
    """


class Transaction:
    """A command's write transaction, sent in batches: two round trips on PostgreSQL.

    Statements executed inside :meth:`batch` travel together when the block ends
    (psycopg's pipeline mode, one Sync a batch), and their cursors are read after it.
    The first batch opens the transaction and takes the write lock before anything it
    holds; the one with ``commit=True`` ends with COMMIT. A command reads in the first
    (lock, idempotency key, stream, head) and writes in the last (events, projections):
    two round trips, where a statement at a time took ten. A statement run outside a
    batch costs a round trip of its own, as ever; so does every statement with a libpq
    too old for pipelines (before PostgreSQL 14's), which still works.

    On SQLite there is no network: statements run as they are executed, between the
    ``BEGIN IMMEDIATE`` and ``COMMIT`` that :meth:`Database.run_command` sends.
    """

    def __init__(self, conn: Connection, raw: Any = None, *, retry: bool = False) -> None:
        self.conn = conn
        self._raw = raw  # the psycopg connection; None on SQLite
        self._retry = retry
        self._opened = False
        self._pipelined = raw is not None and _has_pipeline()
        self.committed = False

    @contextmanager
    def batch(self, *, commit: bool = False) -> Iterator[Connection]:
        if self._raw is None:
            yield self.conn
            return
        first, self._opened = not self._opened, True
        try:
            with self._raw.pipeline() if self._pipelined else nullcontext():
                if first:
                    _BEGIN.execute(self.conn).close()
                    lock = _LOCK_AND_USER.execute(self.conn, (ADVISORY_LOCK_KEY,))
                yield self.conn
                if commit:
                    _COMMIT.execute(self.conn).close()
        except (DBAPIError, self.conn.dialect.loaded_dbapi.Error) as exc:
            error = exc if isinstance(exc, DBAPIError) else _wrapped(self.conn, _BATCH, exc)
            # Only the first batch may be sent again: a later one may have committed.
            if self._lost(error) and first and self._retry:
                raise StaleConnection(str(error)) from exc
            if error is exc:
                raise
            raise error from exc
        if first:
            self.conn.connection.info[SESSION_USER_INFO] = lock.fetchone()[1]
        self.committed = self.committed or commit

    def _lost(self, error: BaseException) -> bool:
        """Whether the connection died; if so it is invalidated: the pool replaces it."""
        orig = getattr(error, "orig", None)
        if orig is None or not self.conn.dialect.is_disconnect(orig, self._raw, None):
            return False
        self.conn.invalidate(orig)
        return True

    def close(self) -> None:
        """Roll back a transaction left open (a refusal, an error).

        psycopg's rollback() knows a pipeline left aborted, and sends nothing when no
        transaction is open. After a ROLLBACK it drops its prepared statements (DEALLOCATE
        ALL): a refused command costs a round trip more than one that commits.
        """
        raw = self._raw
        if raw is not None and not (self.committed or self.conn.invalidated or raw.broken):
            raw.rollback()


def answers(cursors: Sequence[Any]) -> list[list[Sequence[Any]]]:
    """Each cursor's rows, the cursors closed: the answers to statements sent in one
    :meth:`Transaction.batch`, read once it has ended."""
    try:
        return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


def _sqlite_command(conn: Connection, body: Callable[[Transaction], T]) -> T:
    """``body`` between ``BEGIN IMMEDIATE`` and ``COMMIT`` sent to the driver, as
    :meth:`Database.write` sends them, but without SQLAlchemy's transaction around
    them: its bookkeeping and events cost a command half as much again as its BEGIN and
    COMMIT (25 µs), and a command runs only ``Statement``s, which it never sees.
    Anything raised, a failed COMMIT included, rolls the transaction back."""
    _BEGIN_IMMEDIATE.execute(conn).close()
    try:
        result = body(Transaction(conn))
        _COMMIT.execute(conn).close()
    except BaseException:
        conn.connection.rollback()
        raise
    return result


class Database:
    """An engine plus the kinds of transaction the application uses: a writer's, a
    reader's, and a command's (:meth:`run_command`)."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or create_db_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"

    def __repr__(self) -> str:
        return f"Database({self.where!r})"

    @property
    def where(self) -> str:
        """The URL for messages and logs: the password masked."""
        return redact(self.url)

    def reason(self, exc: BaseException) -> str:
        """The first line of a driver error, without the password."""
        lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return redact(lines[0] if lines else type(exc).__name__, self.url)

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

    def run_command(self, body: Callable[[Transaction], T]) -> T:
        """``body`` in a :class:`Transaction`, committed if it commits; run once more on
        a new, pinged connection if the first batch found the pooled one dead."""
        try:
            return self._command(body, ping=False)
        except StaleConnection:
            return self._command(body, ping=True)

    def _command(self, body: Callable[[Transaction], T], *, ping: bool) -> T:
        if self.is_sqlite:
            with self.engine.connect() as conn:
                return _sqlite_command(conn, body)
        token = _UNPINGED.set(not ping)
        try:
            conn = self.engine.connect()
        finally:
            _UNPINGED.reset(token)
        with conn:
            # psycopg would otherwise send BEGIN on its own, a round trip of its own.
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            tx = Transaction(conn, conn.connection.driver_connection, retry=not ping)
            try:
                return body(tx)
            finally:
                tx.close()

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
        """The schema revision; None only when there is no version table (a new database).

        A server that is down or refuses the password, or a file that is not a
        database, raises :class:`DatabaseUnavailable`: taken for an empty database, it
        would be "upgraded" or reported as empty.
        """
        try:
            conn = self.engine.connect()
        except DBAPIError as exc:
            raise self._unavailable("cannot connect to the database", exc) from None
        with conn:
            try:
                row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
            except DBAPIError as exc:
                if _no_such_table(exc):
                    return None
                raise self._unavailable("cannot read the schema version of", exc) from None
        return row[0] if row else None

    def table_names(self) -> set[str]:
        try:
            with self.engine.connect() as conn:
                return set(inspect(conn).get_table_names())
        except DBAPIError as exc:
            raise self._unavailable("cannot list the tables of", exc) from None

    def refuse_foreign(self) -> None:
        """Refuse a database with tables but no version table: not one tracker made.

        Upgrading it would add tracker's tables beside someone else's, or fail halfway
        on a table that happens to share a name.
        """
        others = sorted(self.table_names() - {VERSION_TABLE})
        # Another tracker creating the schema this moment commits it with its version.
        if others and self.current_revision() is None:
            shown = ", ".join(others[:5]) + (", …" if len(others) > 5 else "")
            raise SchemaError(
                f"the database {self.where} is not a tracker database: it has tables "
                f"({shown}) but no {VERSION_TABLE} table recording a tracker schema. "
                "Refusing to add tracker's tables to it; give an empty database or a new file."
            )

    def ensure_schema(self) -> None:
        """Upgrade an empty or older database; refuse one newer than this code, or one
        that tracker did not make.

        The fast path reads one row and imports nothing from Alembic, which keeps
        `tracker status` quick to start.
        """
        current = self.current_revision()
        if current == SCHEMA_REVISION:
            return
        from tracker.adapters.migrate import known_revisions, upgrade

        if current is None:
            self.refuse_foreign()
        elif current not in known_revisions():
            if "events" not in self.table_names():
                raise SchemaError(
                    f"the database {self.where} is not a tracker database: its "
                    f"{VERSION_TABLE} table names revision {current!r}, which is not one "
                    "of tracker's, and it has no events table. Give an empty database or "
                    "a new file."
                )
            raise SchemaError(
                f"the database {self.where} is at schema revision {current!r}, "
                "which this version of tracker does not know: it was written by a newer "
                "tracker. Upgrade tracker (pip install -U tracker) to use it."
            )
        upgrade(self)

    def _unavailable(self, what: str, exc: DBAPIError) -> DatabaseUnavailable:
        reason = self.reason(exc)
        file = sqlite_path(self.url) if self.is_sqlite else None
        if file is not None and "file is not a database" in reason:
            return DatabaseUnavailable(f"{file} is not an SQLite database ({reason})")
        return DatabaseUnavailable(f"{what} {self.where}: {reason}")


def _no_such_table(exc: DBAPIError) -> bool:
    """Whether the statement failed only because its table does not exist."""
    if getattr(exc.orig, "sqlstate", None) == "42P01":  # PostgreSQL: undefined_table
        return True
    return isinstance(exc.orig, sqlite3.OperationalError) and "no such table" in str(exc.orig)
