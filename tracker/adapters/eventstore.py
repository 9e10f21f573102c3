"""The append-only event log.

Guarantees (see DESIGN.md): optimistic concurrency per stream, idempotency keys,
gap-free positions equal to commit order on SQLite and PostgreSQL alike, a hash
chain, streaming reads, and upcasting of old payload versions on read.

Appends happen inside a transaction opened by :meth:`Database.write`, which holds
the global write lock; that is what lets ``position = head + 1`` be safe without a
sequence. ``recorded_at`` never goes backwards along positions (a clock that steps
back is clamped to the previous event's time), so "what was known at T" is always a
prefix of the log.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from tracker.adapters.hashing import GENESIS, Chain, canonical_json, canonical_row
from tracker.adapters.schema import events as events_table

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def register_upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register a function that turns a payload of ``from_version`` into the next version."""

    def decorate(fn: Upcaster) -> Upcaster:
        _UPCASTERS[(event_type, from_version)] = fn
        return fn

    return decorate


def upcast(event_type: str, schema_version: int, data: dict[str, Any]) -> tuple[int, dict]:
    while (step := _UPCASTERS.get((event_type, schema_version))) is not None:
        data = step(data)
        schema_version += 1
    return schema_version, data


def format_ts(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def utc_now() -> datetime:
    return datetime.now(UTC)


class ConcurrencyConflict(Exception):
    """The stream moved since the caller read it."""

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"stream {stream_id!r} is at version {actual}, not {expected}: "
            "someone else recorded something at the same time; re-read and try again"
        )
        self.stream_id, self.expected, self.actual = stream_id, expected, actual


class IdempotencyConflict(Exception):
    """Part of a batch was appended before under the same keys: a retry that changed."""


@dataclass(frozen=True, slots=True)
class NewEvent:
    type: str
    data: Mapping[str, Any]
    occurred_at: datetime
    meta: Mapping[str, Any] = field(default_factory=dict)
    schema_version: int = 1
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    position: int
    stream_id: str
    version: int
    type: str
    schema_version: int
    data: dict[str, Any]
    meta: dict[str, Any]
    occurred_at: str
    recorded_at: str
    idempotency_key: str | None
    hash: str


@dataclass(frozen=True, slots=True)
class AppendResult:
    positions: list[int]
    duplicate: bool = False

    @property
    def appended(self) -> int:
        return 0 if self.duplicate else len(self.positions)


ANY_VERSION = -1
_E = events_table.c
_SELECT = select(
    _E.position,
    _E.stream_id,
    _E.version,
    _E.type,
    _E.schema_version,
    _E.data,
    _E.meta,
    _E.occurred_at,
    _E.recorded_at,
    _E.idempotency_key,
    _E.hash,
)


def _row_to_event(row: Sequence[Any]) -> StoredEvent:
    schema_version, data = upcast(row[3], row[4], json.loads(row[5]))
    return StoredEvent(
        position=row[0],
        stream_id=row[1],
        version=row[2],
        type=row[3],
        schema_version=schema_version,
        data=data,
        meta=json.loads(row[6]),
        occurred_at=row[7],
        recorded_at=row[8],
        idempotency_key=row[9],
        hash=row[10],
    )


class EventStore:
    def __init__(self, chain: Chain | None = None) -> None:
        self.chain = chain or Chain.from_env()

    # --- writing ----------------------------------------------------------------

    def append(
        self,
        conn: Connection,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        now: datetime | None = None,
    ) -> AppendResult:
        """Append ``events`` if the stream is at ``expected_version`` (0 = new stream).

        ``ANY_VERSION`` skips the check, for streams that only ever grow (flags, audits).
        A batch whose idempotency keys were all appended before appends nothing and
        returns the original positions, without a version check: it is a retry.
        """
        keys = [e.idempotency_key for e in events if e.idempotency_key]
        if keys:
            seen = self.positions_for_keys(conn, keys)
            if len(seen) == len(keys):
                return AppendResult([seen[k] for k in keys], duplicate=True)
            if seen:
                raise IdempotencyConflict(
                    f"idempotency keys {sorted(seen)} were used before in a different batch"
                )
        return self.append_batch(conn, [(stream_id, expected_version, events)], now=now)

    def append_batch(
        self,
        conn: Connection,
        batch: Sequence[tuple[str, int, Sequence[NewEvent]]],
        *,
        now: datetime | None = None,
    ) -> AppendResult:
        """Append to many streams in one statement: the import's fast path.

        Every stream's version is checked; positions follow the order of ``batch``.
        Idempotency keys are enforced by the unique index; callers that want a retry
        to be silent check them first (as :meth:`append` does).
        """
        streams = [s for s, _, evs in batch if evs]
        if not streams:
            return AppendResult([])
        versions = self.stream_versions(conn, streams)
        position, previous, last_recorded = self._head_row(conn)
        recorded = format_ts(now or utc_now())
        if last_recorded and recorded < last_recorded:
            recorded = last_recorded
        rows = []
        link = self.chain.link
        for stream_id, expected, events in batch:
            actual = versions.get(stream_id, 0)
            if expected != ANY_VERSION and actual != expected:
                raise ConcurrencyConflict(stream_id, expected, actual)
            for event in events:
                position += 1
                actual += 1
                row = {
                    "position": position,
                    "stream_id": stream_id,
                    "version": actual,
                    "type": event.type,
                    "schema_version": event.schema_version,
                    "data": canonical_json(event.data),
                    "meta": canonical_json(event.meta),
                    "occurred_at": format_ts(event.occurred_at),
                    "recorded_at": recorded,
                    "idempotency_key": event.idempotency_key,
                }
                previous = row["hash"] = link(previous, canonical_row(*row.values()))
                rows.append(row)
            versions[stream_id] = actual
        conn.execute(insert(events_table), rows)
        return AppendResult([r["position"] for r in rows])

    # --- reading ----------------------------------------------------------------

    def stream_version(self, conn: Connection, stream_id: str) -> int:
        value = conn.execute(select(func.max(_E.version)).where(_E.stream_id == stream_id)).scalar()
        return int(value or 0)

    def stream_versions(self, conn: Connection, stream_ids: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        unique = list(dict.fromkeys(stream_ids))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            query = (
                select(_E.stream_id, func.max(_E.version))
                .where(_E.stream_id.in_(chunk))
                .group_by(_E.stream_id)
            )
            found.update({s: int(v) for s, v in conn.execute(query)})
        return found

    def head(self, conn: Connection) -> tuple[int, str]:
        position, hash_, _ = self._head_row(conn)
        return position, hash_

    def _head_row(self, conn: Connection) -> tuple[int, str, str | None]:
        row = conn.execute(
            select(_E.position, _E.hash, _E.recorded_at).order_by(_E.position.desc()).limit(1)
        ).first()
        return (row[0], row[1], row[2]) if row else (0, GENESIS, None)

    def positions_for_keys(self, conn: Connection, keys: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = conn.execute(
                select(_E.idempotency_key, _E.position).where(_E.idempotency_key.in_(chunk))
            )
            found.update({k: p for k, p in rows})
        return found

    def has_key(self, conn: Connection, key: str) -> bool:
        return bool(self.positions_for_keys(conn, [key]))

    def read_stream(
        self, conn: Connection, stream_id: str, *, known_at: str | None = None
    ) -> list[StoredEvent]:
        query = _SELECT.where(_E.stream_id == stream_id)
        if known_at is not None:
            query = query.where(_E.recorded_at <= known_at)
        return [_row_to_event(r) for r in conn.execute(query.order_by(_E.version))]

    def read_streams(self, conn: Connection, stream_ids: Sequence[str]) -> list[StoredEvent]:
        """Several streams at once, ordered by stream then version."""
        out: list[StoredEvent] = []
        unique = list(dict.fromkeys(stream_ids))
        for start in range(0, len(unique), 500):
            query = _SELECT.where(_E.stream_id.in_(unique[start : start + 500]))
            rows = conn.execute(query.order_by(_E.stream_id, _E.version))
            out.extend(_row_to_event(r) for r in rows)
        return out

    def read_by_stream(
        self,
        conn: Connection,
        *,
        prefix: str = "",
        batch_size: int = 5000,
        known_at: str | None = None,
    ) -> Iterator[StoredEvent]:
        """Every event grouped by stream, in bounded batches (keyset on stream, version).

        Rebuilds and as-of reports fold one stream at a time, so memory stays
        proportional to the longest stream, not to the log.
        """
        query = _SELECT.order_by(_E.stream_id, _E.version).limit(batch_size)
        if prefix:
            query = query.where(_E.stream_id.startswith(prefix, autoescape=True))
        if known_at is not None:
            query = query.where(_E.recorded_at <= known_at)
        last: tuple[str, int] | None = None
        while True:
            page = query
            if last is not None:
                page = query.where(
                    (_E.stream_id > last[0]) | ((_E.stream_id == last[0]) & (_E.version > last[1]))
                )
            rows = conn.execute(page).all()
            yield from (_row_to_event(r) for r in rows)
            if len(rows) < batch_size:
                return
            last = (rows[-1][1], rows[-1][2])

    def read_all(
        self,
        conn: Connection,
        *,
        after: int = 0,
        batch_size: int = 2000,
        known_at: str | None = None,
    ) -> Iterator[StoredEvent]:
        for batch in self.read_raw(conn, after=after, batch_size=batch_size, known_at=known_at):
            yield from (_row_to_event(r) for r in batch)

    def read_raw(
        self,
        conn: Connection,
        *,
        after: int = 0,
        batch_size: int = 2000,
        known_at: str | None = None,
    ) -> Iterator[list[Sequence[Any]]]:
        """Rows as stored, in position order, one bounded batch at a time.

        Keyset pagination keeps memory constant however long the log is, and is what
        the audit hashes (the stored text, before any upcasting).
        """
        query = _SELECT.order_by(_E.position).limit(batch_size)
        if known_at is not None:
            query = query.where(_E.recorded_at <= known_at)
        while True:
            rows = conn.execute(query.where(_E.position > after)).all()
            if not rows:
                return
            yield rows
            after = rows[-1][0]
            if len(rows) < batch_size:
                return
