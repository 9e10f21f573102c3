"""The application service: one command, one transaction, events and projections together.

Commands run on the unit of work (``unit_of_work.py``) under its write lock, reading
the stream, deciding and appending inside it: on SQL in two round trips on PostgreSQL
(what is read, then what is written and COMMIT: ``Database.run_command`` and
``Transaction``), in memory in one locked transaction. A ``ConcurrencyConflict`` can then only
come from a caller's own ``expected_version`` or a lock-less writer, and is retried a
few times by re-reading and re-deciding. Every invocation carries an idempotency key,
so a retry after a commit whose answer was lost appends nothing.
"""

from __future__ import annotations

import gc
import getpass
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

from tracker.adapters.db import Database
from tracker.adapters.eventstore import (
    AppendResult,
    ConcurrencyConflict,
    EventStore,
    NewEvent,
)
from tracker.adapters.hashing import Chain
from tracker.adapters.projection_sql import Reference
from tracker.adapters.sql_unit_of_work import SqlUnitOfWork
from tracker.clock import utc_today
from tracker.config import resolve_db_url
from tracker.domain import streams
from tracker.domain.commitment import (
    Command,
    DomainError,
    NoSuchCommitment,
    decide,
    extend,
    fold,
)
from tracker.domain.events import DomainEvent
from tracker.service_layer.projections import commitment_rows, follow_up_rows, rows_to_domain
from tracker.service_layer.unit_of_work import CommandTransaction, UnitOfWork

RETRIES = 3


class UnknownReferences(DomainError):
    """A command names an actor, source or commitment that is not stored."""

    def __init__(self, missing: list[Reference]) -> None:
        super().__init__("; ".join(f"unknown {kind} {ident!r}" for _, kind, ident in missing))
        self.missing = missing


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for work over a whole file or log.

    An import or a rebuild holds hundreds of thousands of small dicts and lists; each
    collection walks all of them again, a third of an import's time. They hold no
    cycles (reference counting frees them), and any made meanwhile are collected when
    the collector resumes.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


@cache
def os_user() -> str:
    """Who runs this process, as the operating system names them: the ``recorded_by``
    of every event it writes."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "unknown"


class NeedsDatabase(RuntimeError):
    """A use case about the database itself (``operations.py``: the scheduler's lease
    and runs, the schema revision, roles) was asked of an in-memory tracker."""


class Tracker:
    """The application: its unit of work, and the use cases that run on it.

    Given a ``Database``, it runs on SQL (``SqlUnitOfWork``, with ``store`` if given:
    another chain); given any other unit of work (``MemoryUnitOfWork`` in service
    tests), on that, which has its own chain. Only the records of the database itself
    (``operations.py``) and the ``--jobs`` workers reach it through :attr:`db` and
    :attr:`store`.
    """

    def __init__(self, work: Database | UnitOfWork, store: EventStore | None = None) -> None:
        self.uow: UnitOfWork = SqlUnitOfWork(work, store) if isinstance(work, Database) else work

    @classmethod
    def open(cls, url: str | None = None) -> Tracker:
        db = Database(resolve_db_url(url))
        db.ensure_schema()
        return cls(db)

    @classmethod
    def in_memory(cls, chain: Chain | None = None) -> Tracker:
        """A tracker on an empty in-memory log: for tests of the service layer. (Imported
        here: a command run from the CLI never needs it.)"""
        from tracker.adapters.memory import MemoryUnitOfWork

        return cls(MemoryUnitOfWork(chain))

    @property
    def db(self) -> Database:
        return self._sql().db

    @property
    def database(self) -> Database | None:
        """The database the log is in, if it is in one: worker processes (``--jobs``)
        connect to it; a log in memory is read in one pass instead."""
        return self.uow.db if isinstance(self.uow, SqlUnitOfWork) else None

    @property
    def store(self) -> EventStore:
        return self._sql().store

    def _sql(self) -> SqlUnitOfWork:
        if not isinstance(self.uow, SqlUnitOfWork):
            raise NeedsDatabase("this use case reads the database directly: open a database")
        return self.uow

    def close(self) -> None:
        self.uow.close()

    def event_count(self) -> int:
        """How many events the log holds: the length of a pass over it, for progress."""
        with self.uow.read() as session:
            return session.count()

    def new_events(
        self,
        domain_events: Sequence[DomainEvent],
        *,
        command: str,
        key: str | None = None,
        number_from: int = 0,
        extra_meta: dict[str, Any] | None = None,
    ) -> list[NewEvent]:
        """Events to append, keyed ``KEY#n`` with n counting from ``number_from``."""
        meta = {"recorded_by": os_user(), "command": command, **(extra_meta or {})}
        return [
            NewEvent(
                type=e.type,
                data=e.data,
                occurred_at=day_start(e.on),
                meta=meta,
                idempotency_key=f"{key}#{i}" if key else None,
            )
            for i, e in enumerate(domain_events, start=number_from)
        ]

    def handle(
        self,
        commitment_id: str,
        command: Command,
        *,
        name: str,
        expected_version: int | None = None,
        key: str | None = None,
        references: Sequence[Reference] = (),
    ) -> AppendResult:
        """Decide ``command`` against the stream's current state and record the outcome.

        ``references`` (the actors, sources and commitments the command names) must
        exist: :class:`UnknownReferences` otherwise. They are looked up with the
        stream, in the transaction. The command is judged against today's date in UTC,
        so nothing is recorded as happening in the future.
        """
        key = key or f"cmd:{uuid.uuid4()}"
        stream = streams.commitment(commitment_id)

        def run(tx: CommandTransaction) -> AppendResult:
            with tx.batch() as session:
                sent = session.send_command_reads(stream, f"{key}#0")
                unknown = session.send_reference_lookups(references)
            read = sent()
            if read.duplicate:
                with tx.batch(commit=True):  # what it read: cheaper to end than to roll back
                    return AppendResult([], duplicate=True)
            state = fold(rows_to_domain(read.rows))
            version = state.version if state else 0
            if expected_version is not None and expected_version != version:
                raise ConcurrencyConflict(stream, expected_version, version)
            if missing := unknown():
                raise UnknownReferences(missing)
            try:
                decided = decide(state, command, today=utc_today())
            except NoSuchCommitment as exc:
                raise exc.naming(commitment_id) from None
            new = self.new_events(decided, command=name, key=key)
            before = follow_up_rows(state) if state else None
            with tx.batch(commit=True) as session:
                # The first key was checked above, under the lock; the unique index
                # guards the rest. No second read: the new state is the old one
                # extended with what was just appended.
                result = session.append_batch(
                    [(stream, version, new)], read_versions={stream: version}, head=read.head
                )
                for i, (event, position) in enumerate(
                    zip(decided, result.positions, strict=True), start=1
                ):
                    numbered = replace(event, version=version + i, position=position)
                    state = extend(state, numbered)
                assert state is not None  # decide returns at least one event
                rows = commitment_rows(state)
                same = ("follow_ups",) if rows["follow_ups"] == before else ()
                session.write_stream_rows(stream, rows, unchanged=same)
            return result

        for attempt in range(RETRIES):
            try:
                return self.uow.run_command(run)
            except ConcurrencyConflict:
                if expected_version is not None or attempt == RETRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover
