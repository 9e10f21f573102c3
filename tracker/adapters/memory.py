"""The unit of work in memory: the event log and the projection tables in Python lists
and dicts, for tests of the service layer that need no database.

It keeps the store's contract as the SQL one does (``tests/contract/`` runs the same
suite on both): a write transaction holds a lock and is all or nothing; positions are
gap-free; versions and idempotency keys are checked the same way; and rows are
encoded, chained and upcast by the very functions ``EventStore`` uses, so the log
holds what SQLite would hold and the heads are equal. Stream ids are ordered as
Python orders text, which is SQLite's order.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from tracker.adapters.eventstore import (
    DUPLICATE_READ,
    AppendResult,
    CommandRead,
    Head,
    IdempotencyConflict,
    NewEvent,
    Row,
    StoredEvent,
    StreamRange,
    encode_batch,
    happened_before,
    retried,
    row_to_event,
    verify_head,
)
from tracker.adapters.hashing import GENESIS, Chain
from tracker.adapters.integrity import ChainCheck, ChainDigest, verify_rows
from tracker.adapters.projection_sql import (
    LAYOUTS,
    OWNED,
    REFERENCED,
    Changed,
    Key,
    Reference,
    Rows,
    digest,
)
from tracker.clock import utc_now

T = TypeVar("T")
Table = dict[tuple[Any, ...], tuple[Any, ...]]  # a row's key values, and its values


@dataclass
class MemoryLog:
    """What is stored: the rows as the ``events`` table holds them, in position order,
    and the projection tables. Share one between units of work to have several
    writers (with other audit keys, say) on one log."""

    rows: list[Row] = field(default_factory=list)
    streams: dict[str, list[int]] = field(default_factory=dict)  # stream id: row indexes
    keys: dict[str, int] = field(default_factory=dict)  # idempotency key: position
    leases: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # holder, expiry
    tables: dict[str, Table] = field(default_factory=lambda: {name: {} for name in LAYOUTS})
    lock: threading.RLock = field(default_factory=threading.RLock)


class MemorySession:
    """The log and the projection tables as one transaction sees them."""

    def __init__(self, log: MemoryLog, chain: Chain) -> None:
        self.log, self.chain = log, chain

    # --- writing ----------------------------------------------------------------

    def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        now: datetime | None = None,
    ) -> AppendResult:
        keys = [e.idempotency_key for e in events if e.idempotency_key]
        if keys and (retry := retried(keys, self.positions_for_keys(keys))):
            return retry
        return self.append_batch([(stream_id, expected_version, events)], now=now)

    def append_batch(
        self,
        batch: Sequence[tuple[str, int, Sequence[NewEvent]]],
        *,
        now: datetime | None = None,
        read_versions: Mapping[str, int] | None = None,
        head: Head | None = None,
    ) -> AppendResult:
        """As ``EventStore.append_batch``; a key used before, which the SQL store's
        unique index refuses, is an :class:`IdempotencyConflict`. ``read_versions`` and
        ``head`` save the SQL store a round trip; here reading them again costs nothing."""
        streams = [s for s, _, evs in batch if evs]
        if not streams:
            return AppendResult([])
        rows = encode_batch(
            self.chain, batch, self.stream_versions(streams), self._head(), now, None
        )
        keys = Counter(row[9] for row in rows if row[9] is not None)
        if reused := sorted(k for k, n in keys.items() if n > 1 or k in self.log.keys):
            raise IdempotencyConflict(f"idempotency keys {reused} are used twice")
        log = self.log
        for row in rows:
            log.streams.setdefault(row[1], []).append(len(log.rows))
            log.rows.append(row)
            if row[9] is not None:
                log.keys[row[9]] = row[0]
        return AppendResult([row[0] for row in rows])

    def _head(self) -> Head:
        return verify_head(self.chain, self.log.rows[:-3:-1])

    # --- reading ----------------------------------------------------------------

    def stream_version(self, stream_id: str) -> int:
        return len(self.log.streams.get(stream_id, ()))

    def stream_versions(self, stream_ids: Sequence[str]) -> dict[str, int]:
        return {s: self.stream_version(s) for s in stream_ids if s in self.log.streams}

    def count(self, prefix: str = "") -> int:
        if not prefix:
            return len(self.log.rows)
        return sum(len(rows) for s, rows in self.log.streams.items() if s.startswith(prefix))

    def head(self) -> tuple[int, str]:
        rows = self.log.rows
        return (rows[-1][0], rows[-1][10]) if rows else (0, GENESIS)

    def positions_for_keys(self, keys: list[str]) -> dict[str, int]:
        return {k: self.log.keys[k] for k in keys if k in self.log.keys}

    def _stream_rows(self, stream_id: str, known_at: str | None = None) -> list[Row]:
        rows = [self.log.rows[i] for i in self.log.streams.get(stream_id, ())]
        return rows if known_at is None else [r for r in rows if r[8] <= known_at]

    def read_stream(self, stream_id: str, *, known_at: str | None = None) -> list[StoredEvent]:
        return [row_to_event(r) for r in self._stream_rows(stream_id, known_at)]

    def read_streams(self, stream_ids: Sequence[str]) -> list[StoredEvent]:
        return [e for s in sorted(set(stream_ids)) for e in self.read_stream(s)]

    def read_by_stream(
        self, *, prefix: str = "", batch_size: int = 5000, known_at: str | None = None
    ) -> Iterator[StoredEvent]:
        for stream_id in sorted(self.log.streams):
            if stream_id.startswith(prefix):
                yield from self.read_stream(stream_id, known_at=known_at)

    def read_all(
        self, *, after: int = 0, batch_size: int = 2000, known_at: str | None = None
    ) -> Iterator[StoredEvent]:
        for batch in self.read_raw(after=after, batch_size=batch_size, known_at=known_at):
            yield from map(row_to_event, batch)

    def read_raw(
        self, *, after: int = 0, batch_size: int = 2000, known_at: str | None = None
    ) -> Iterator[list[Row]]:
        rows: list[Row] = [r for r in self.log.rows[after:] if known_at is None or r[8] <= known_at]
        for start in range(0, len(rows), batch_size):
            yield rows[start : start + batch_size]

    def read_fold_rows(
        self,
        *,
        prefix: str = "",
        known_at: str | None = None,
        happened_by: date | None = None,
        streams: StreamRange = (None, None),
        upto: Any = None,
    ) -> Iterator[list[Row]]:
        before = None if happened_by is None else happened_before(happened_by)
        lower, upper = streams
        for stream_id in sorted(self.log.streams):
            if not stream_id.startswith(prefix):
                continue
            if (lower is not None and stream_id <= lower) or (
                upper is not None and stream_id > upper
            ):
                continue
            rows = self._stream_rows(stream_id, known_at)
            yield [
                _fold_row(r)
                for r in rows
                if (before is None or r[7] < before) and (upto is None or r[0] <= upto)
            ]

    def last_position(self) -> Any:
        return self.log.rows[-1][0] if self.log.rows else None

    def stream_ranges(self, parts: int) -> list[StreamRange]:
        """One range, all the streams: no worker process can read this log."""
        return [(None, None)]

    def verify_chain(
        self,
        *,
        digest: ChainDigest | None = None,
        progress: Callable[[int], None] | None = None,
        jobs: int = 1,
    ) -> ChainCheck:
        """In one pass whatever ``jobs`` says: no worker process can read this log."""
        return verify_rows(self.chain, self.read_raw(), digest=digest, progress=progress)

    def last_occurred(self, prefix: str) -> str | None:
        rows, streams = self.log.rows, self.log.streams
        found = (rows[i][7] for s in streams if s.startswith(prefix) for i in streams[s])
        return max(found, default=None)

    def send_command_reads(self, stream_id: str, key: str) -> Callable[[], CommandRead]:
        if key in self.log.keys:
            read = DUPLICATE_READ
        else:
            rows: list[Row] = [_fold_row(r) for r in self._stream_rows(stream_id)]
            read = CommandRead(False, rows, self._head())
        return lambda: read

    # --- the projection tables ----------------------------------------------------

    def send_reference_lookups(self, refs: Sequence[Reference]) -> Callable[[], list[Reference]]:
        tables = self.log.tables
        unknown = [ref for ref in refs if (ref[2],) not in tables[REFERENCED[ref[1]]]]
        return lambda: unknown

    def write_stream_rows(
        self, stream_id: str, rows: Rows, *, unchanged: tuple[str, ...] = ()
    ) -> None:
        kind, _, ident = stream_id.partition(":")
        for name in OWNED.get(kind, ()):
            if name not in unchanged:
                self.replace_rows(name, [ident], rows.get(name, ()))

    def replace_rows(
        self, name: str, owners: Sequence[str], rows: Sequence[dict[str, Any]]
    ) -> None:
        layout, table, gone = LAYOUTS[name], self.log.tables[name], set(owners)
        for key in [k for k in table if k[0] in gone]:
            del table[key]
        for row in rows:
            values = layout.values(row)
            table[layout.key_of(values)] = values

    def owner_ids(self, name: str) -> list[str]:
        return sorted({key[0] for key in self.log.tables[name]})

    def stored_states(self) -> Iterator[str]:
        at = LAYOUTS["commitments"].columns.index("state")
        return (values[at] for values in list(self.log.tables["commitments"].values()))

    # --- leases ---------------------------------------------------------------------

    def take_claim(self, name: str, holder: str, ttl: float) -> bool:
        now = utc_now()
        current = self.log.leases.get(name)
        if current is not None and current[0] != holder and current[1] > now:
            return False
        self.log.leases[name] = (holder, now + timedelta(seconds=ttl))
        return True

    def give_back(self, name: str, holder: str) -> None:
        if name in self.log.leases and self.log.leases[name][0] == holder:
            del self.log.leases[name]

    # --- the projection tables, as a whole ---------------------------------------------

    def projection_digests(self) -> dict[Key, int]:
        return {
            (name, key): digest(values)
            for name, table in self.log.tables.items()
            for key, values in table.items()
        }

    def write_changed(self, batches: Iterable[Changed]) -> None:
        tables = self.log.tables
        for changed in batches:
            for name, values in changed:
                tables[name][LAYOUTS[name].key_of(values)] = values

    def delete_keys(self, keys: Iterable[Key]) -> None:
        for name, key in keys:
            self.log.tables[name].pop(key, None)

    def projected(self, name: str, owners: Sequence[str] | None = None) -> list[dict[str, Any]]:
        columns, table = LAYOUTS[name].columns, self.log.tables[name]
        wanted = None if owners is None else set(owners)
        return [
            dict(zip(columns, table[key], strict=True))
            for key in sorted(table)
            if wanted is None or key[0] in wanted
        ]


def _fold_row(row: Row) -> Row:
    """A stored row's :data:`FOLD_COLUMNS`: all but meta, recorded_at, the idempotency
    key, the hash and db_user."""
    return (*row[:6], row[7])


class MemoryCommand:
    """A command's transaction: its batches all see the one session."""

    def __init__(self, session: MemorySession) -> None:
        self.session = session

    @contextmanager
    def batch(self, *, commit: bool = False) -> Iterator[MemorySession]:
        yield self.session


class MemoryUnitOfWork:
    def __init__(self, chain: Chain | None = None, log: MemoryLog | None = None) -> None:
        self.chain = chain or Chain()
        self.log = log or MemoryLog()

    @contextmanager
    def write(self) -> Iterator[MemorySession]:
        """Under the log's lock; what the block wrote is undone if it raises."""
        log = self.log
        with log.lock:
            count, keys, leases = len(log.rows), dict(log.keys), dict(log.leases)
            tables = {name: dict(table) for name, table in log.tables.items()}
            try:
                yield MemorySession(log, self.chain)
            except BaseException:
                for row in log.rows[count:]:
                    stream = log.streams[row[1]]
                    stream.pop()
                    if not stream:
                        del log.streams[row[1]]
                del log.rows[count:]
                log.keys, log.tables, log.leases = keys, tables, leases
                raise

    @contextmanager
    def read(self) -> Iterator[MemorySession]:
        with self.log.lock:
            yield MemorySession(self.log, self.chain)

    def run_command(self, body: Callable[[MemoryCommand], T]) -> T:
        with self.write() as session:
            return body(MemoryCommand(session))

    def close(self) -> None:
        """Nothing to release: the log lives as long as the object."""
