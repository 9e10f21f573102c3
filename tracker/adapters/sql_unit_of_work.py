"""The unit of work on SQLite or PostgreSQL: ``Database``'s transactions, with the
``EventStore`` and the projection tables bound to their connection.

A command keeps its path: ``Database.run_command`` (``BEGIN IMMEDIATE`` on SQLite; two
pipelined batches on PostgreSQL, retried once on a stale pooled connection), and a
database that stays locked by another writer is a :class:`BusyError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from tracker.adapters import projection_sql
from tracker.adapters.db import Database, Transaction
from tracker.adapters.eventstore import (
    AppendResult,
    CommandRead,
    EventStore,
    Head,
    NewEvent,
    Row,
    StoredEvent,
    StreamRange,
)
from tracker.adapters.hashing import Chain
from tracker.adapters.projection_sql import Changed, Key, Reference, Rows

if TYPE_CHECKING:  # loaded by the methods that need them, not on every command's path
    from tracker.adapters.integrity import ChainCheck, ChainDigest

T = TypeVar("T")


class BusyError(RuntimeError):
    """The database stayed locked by another writer for longer than we wait."""


class SqlSession:
    """The event store and the projection tables on one connection."""

    def __init__(self, store: EventStore, conn: Connection) -> None:
        self.store, self.conn = store, conn

    def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        now: datetime | None = None,
    ) -> AppendResult:
        return self.store.append(self.conn, stream_id, expected_version, events, now=now)

    def append_batch(
        self,
        batch: Sequence[tuple[str, int, Sequence[NewEvent]]],
        *,
        now: datetime | None = None,
        read_versions: Mapping[str, int] | None = None,
        head: Head | None = None,
    ) -> AppendResult:
        return self.store.append_batch(
            self.conn, batch, now=now, read_versions=read_versions, head=head
        )

    def stream_version(self, stream_id: str) -> int:
        return self.store.stream_version(self.conn, stream_id)

    def stream_versions(self, stream_ids: Sequence[str]) -> dict[str, int]:
        return self.store.stream_versions(self.conn, stream_ids)

    def count(self, prefix: str = "") -> int:
        return self.store.count(self.conn, prefix)

    def head(self) -> tuple[int, str]:
        return self.store.head(self.conn)

    def positions_for_keys(self, keys: list[str]) -> dict[str, int]:
        return self.store.positions_for_keys(self.conn, keys)

    def read_stream(self, stream_id: str, *, known_at: str | None = None) -> list[StoredEvent]:
        return self.store.read_stream(self.conn, stream_id, known_at=known_at)

    def read_streams(self, stream_ids: Sequence[str]) -> list[StoredEvent]:
        return self.store.read_streams(self.conn, stream_ids)

    def read_by_stream(
        self, *, prefix: str = "", batch_size: int = 5000, known_at: str | None = None
    ) -> Iterator[StoredEvent]:
        return self.store.read_by_stream(
            self.conn, prefix=prefix, batch_size=batch_size, known_at=known_at
        )

    def read_all(
        self, *, after: int = 0, batch_size: int = 2000, known_at: str | None = None
    ) -> Iterator[StoredEvent]:
        return self.store.read_all(self.conn, after=after, batch_size=batch_size, known_at=known_at)

    def read_raw(
        self, *, after: int = 0, batch_size: int = 2000, known_at: str | None = None
    ) -> Iterator[list[Row]]:
        return self.store.read_raw(self.conn, after=after, batch_size=batch_size, known_at=known_at)

    def read_fold_rows(
        self,
        *,
        prefix: str = "",
        known_at: str | None = None,
        happened_by: date | None = None,
        streams: StreamRange = (None, None),
        upto: Any = None,
    ) -> Iterator[list[Row]]:
        return self.store.read_fold_rows(
            self.conn,
            prefix=prefix,
            known_at=known_at,
            happened_by=happened_by,
            streams=streams,
            upto=upto,
        )

    def last_position(self) -> Any:
        return self.store.last_position(self.conn)

    def stream_ranges(self, parts: int) -> list[StreamRange]:
        return self.store.stream_ranges(self.conn, parts)

    def verify_chain(
        self,
        *,
        digest: ChainDigest | None = None,
        progress: Callable[[int], None] | None = None,
        jobs: int = 1,
    ) -> ChainCheck:
        from tracker.adapters import integrity

        return integrity.verify_chain(
            self.store, self.conn, digest=digest, progress=progress, jobs=jobs
        )

    def last_occurred(self, prefix: str) -> str | None:
        return self.store.last_occurred(self.conn, prefix)

    def send_command_reads(self, stream_id: str, key: str) -> Callable[[], CommandRead]:
        return self.store.send_command_reads(self.conn, stream_id, key)

    def send_reference_lookups(self, refs: Sequence[Reference]) -> Callable[[], list[Reference]]:
        return projection_sql.send_reference_lookups(self.conn, refs)

    def write_stream_rows(
        self, stream_id: str, rows: Rows, *, unchanged: tuple[str, ...] = ()
    ) -> None:
        projection_sql.write_stream_rows(self.conn, stream_id, rows, unchanged=unchanged)

    def stored_states(self) -> Iterator[str]:
        return projection_sql.stored_states(self.conn)

    def projected(self, name: str, owners: Sequence[str] | None = None) -> list[dict[str, Any]]:
        return projection_sql.projected(self.conn, name, owners)

    def take_claim(self, name: str, holder: str, ttl: float) -> bool:
        from tracker.adapters import lease

        return lease.take(self.conn, holder, ttl, name=name).holder == holder

    def give_back(self, name: str, holder: str) -> None:
        from tracker.adapters import lease

        lease.give_back(self.conn, holder, name=name)

    def projection_digests(self) -> dict[Key, int]:
        return projection_sql.stored_digests(self.conn)

    def write_changed(self, batches: Iterable[Changed]) -> None:
        projection_sql.write_changed(self.conn, batches)

    def delete_keys(self, keys: Iterable[Key]) -> None:
        projection_sql.delete_keys(self.conn, keys)

    def owner_ids(self, name: str) -> list[str]:
        return projection_sql.owner_ids(self.conn, name)

    def replace_rows(
        self, name: str, owners: Sequence[str], rows: Sequence[dict[str, Any]]
    ) -> None:
        projection_sql.replace_rows(self.conn, name, owners, rows)


class SqlCommand:
    """A command's :class:`Transaction`, its batches as sessions."""

    def __init__(self, tx: Transaction, store: EventStore) -> None:
        self.tx, self.store = tx, store

    @contextmanager
    def batch(self, *, commit: bool = False) -> Iterator[SqlSession]:
        with self.tx.batch(commit=commit) as conn:
            yield SqlSession(self.store, conn)


class SqlUnitOfWork:
    def __init__(self, db: Database, store: EventStore | None = None) -> None:
        self.db = db
        self.store = store or EventStore()

    @contextmanager
    def write(self) -> Iterator[SqlSession]:
        with self.db.write() as conn:
            yield SqlSession(self.store, conn)

    @contextmanager
    def read(self) -> Iterator[SqlSession]:
        with self.db.read() as conn:
            yield SqlSession(self.store, conn)

    def run_command(self, body: Callable[[SqlCommand], T]) -> T:
        try:
            return self.db.run_command(lambda tx: body(SqlCommand(tx, self.store)))
        except OperationalError as exc:
            if "locked" in str(exc).lower():
                raise BusyError(
                    "the database is busy with another writer; try again in a moment"
                ) from exc
            raise

    @property
    def chain(self) -> Chain:
        return self.store.chain

    def close(self) -> None:
        self.db.dispose()
