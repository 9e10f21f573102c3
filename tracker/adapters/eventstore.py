"""The append-only event log.

Guarantees (see DESIGN.md): optimistic concurrency per stream, idempotency keys,
gap-free positions equal to commit order on SQLite and PostgreSQL alike, a hash
chain, streaming reads, and upcasting of old payload versions on read.

Appends happen inside a transaction opened by :meth:`Database.write`, which holds
the global write lock; that is what lets ``position = head + 1`` be safe without a
sequence. ``recorded_at`` never goes backwards along positions (a clock that steps
back is clamped to the previous event's time), so "what was known at T" is always a
prefix of the log.

Every append first checks that this process's chain (its ``TRACKER_AUDIT_KEY``, or none)
reproduces the stored hash of the log's last event from the one before it. A writer
with another key, or without one, would otherwise link its events under the wrong key
and silently break a keyed chain from there on; it is refused instead, at the cost of
reading one more row per append.

Statements go to the driver directly (see ``Statement``): a command runs several, an
import or an audit moves millions of rows. They are assembled from the schema's own
column names; values always travel as parameters (hence the S608 exemptions).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any

from sqlalchemy import Connection

from tracker.adapters.db import SESSION_USER_INFO, Statement, answers, placeholders
from tracker.adapters.hashing import GENESIS, Chain, canonical_json, canonical_row
from tracker.clock import utc_now
from tracker.config import ConfigError

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def register_upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register a function that turns a payload of ``from_version`` into the next version."""

    def decorate(fn: Upcaster) -> Upcaster:
        _UPCASTERS[(event_type, from_version)] = fn
        return fn

    return decorate


def upcast(
    event_type: str, schema_version: int, data: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    while (step := _UPCASTERS.get((event_type, schema_version))) is not None:
        data = step(data)
        schema_version += 1
    return schema_version, data


def format_ts(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    # isoformat, not strftime: glibc's %Y does not pad years before 1000 to four
    # digits, and the text must sort and parse the same for every year.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


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


class ChainMismatch(ConfigError):
    """The log's last event does not verify with this process's ``TRACKER_AUDIT_KEY``
    (or its absence): events appended now would break the chain from there on.

    A setting the user must correct (exit status 2), hence a :class:`ConfigError`; the
    message never shows the key.
    """

    def __init__(self, position: int, message: str) -> None:
        super().__init__(message)
        self.position = position


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
    db_user: str | None = None


Head = tuple[int, str, str | None]  # the last event's position, hash and recorded_at
EMPTY_HEAD: Head = (0, GENESIS, None)  # an empty log's: the first event chains from GENESIS


def happened_before(day: date) -> str:
    """The ``occurred_at`` bound of the events that happened on or before ``day``:
    ``occurred_at`` is ISO text, so before the next day's date is on or before the day."""
    return (day + timedelta(days=1)).isoformat()


@dataclass(frozen=True, slots=True)
class CommandRead:
    """What a command reads before it decides (see :meth:`EventStore.send_command_reads`)."""

    duplicate: bool  # the command's first idempotency key is in the log: a retry
    rows: list[Row]  # the stream as FOLD_COLUMNS rows, what folding it needs; empty for a duplicate
    head: Head  # verified; EMPTY_HEAD for a duplicate


# A retried command's read: nothing more is read, nothing appended.
DUPLICATE_READ = CommandRead(True, [], EMPTY_HEAD)


@dataclass(frozen=True, slots=True)
class AppendResult:
    positions: list[int]
    duplicate: bool = False

    @property
    def appended(self) -> int:
        return 0 if self.duplicate else len(self.positions)


ANY_VERSION = -1
COLUMNS = (
    "position, stream_id, version, type, schema_version, data, meta, occurred_at, "
    "recorded_at, idempotency_key, hash, db_user"
)
FOLD_COLUMNS = "position, stream_id, version, type, schema_version, data, occurred_at"
CHUNK = 500  # values per IN (…) list: well under every driver's parameter limit
_INSERT = Statement(f"INSERT INTO events ({COLUMNS}) VALUES ({placeholders(12)})")  # noqa: S608
_SESSION_USER = Statement("SELECT session_user")
_COUNT = Statement("SELECT count(*) FROM events")
_COUNT_PREFIX = Statement("SELECT count(*) FROM events WHERE stream_id LIKE ? ESCAPE '/'")
_HEAD = Statement("SELECT position, hash FROM events ORDER BY position DESC LIMIT 1")
_LAST_TWO = Statement(f"SELECT {COLUMNS} FROM events ORDER BY position DESC LIMIT 2")  # noqa: S608
_LAST_OCCURRED = Statement("SELECT MAX(occurred_at) FROM events WHERE stream_id LIKE ? ESCAPE '/'")
_VERSION = Statement("SELECT max(version) FROM events WHERE stream_id = ?")
_STREAM = Statement(f"SELECT {COLUMNS} FROM events WHERE stream_id = ? ORDER BY version")  # noqa: S608
_STREAM_FOLD = Statement(f"SELECT {FOLD_COLUMNS} FROM events WHERE stream_id = ? ORDER BY version")  # noqa: S608
_STREAM_KNOWN = Statement(
    f"SELECT {COLUMNS} FROM events WHERE stream_id = ? AND recorded_at <= ? ORDER BY version"  # noqa: S608
)
_KEYS = "SELECT idempotency_key, position FROM events WHERE idempotency_key IN ({})"
Row = Sequence[Any]
StreamRange = tuple[str | None, str | None]  # stream ids after the first, up to the second


@lru_cache(maxsize=64)
def _in_list(template: str, count: int) -> Statement:
    return Statement(template.format(placeholders(count)))


# Payloads are canonical JSON written by `append_batch`: decode them without the
# whitespace checks json.loads adds around every document (half its cost on a payload).
_decode = json.JSONDecoder().raw_decode


def decode_payload(text: str) -> Any:
    return _decode(text)[0]


def row_to_event(row: Row) -> StoredEvent:
    schema_version, data = upcast(row[3], row[4], _decode(row[5])[0])
    return StoredEvent(
        position=row[0],
        stream_id=row[1],
        version=row[2],
        type=row[3],
        schema_version=schema_version,
        data=data,
        meta=_decode(row[6])[0],
        occurred_at=row[7],
        recorded_at=row[8],
        idempotency_key=row[9],
        hash=row[10],
        db_user=row[11],
    )


def hashed_bytes(row: Row) -> bytes:
    """What the hash of a :data:`COLUMNS` row covers (every column but the hash)."""
    position, stream, version, type_, schema_version, data, meta, occurred, recorded, key = row[:10]
    return canonical_row(
        position,
        stream,
        version,
        type_,
        schema_version,
        data,
        meta,
        occurred,
        recorded,
        key,
        row[11],
    )


def retried(keys: Sequence[str], seen: Mapping[str, int]) -> AppendResult | None:
    """A batch whose idempotency keys were all appended before (``seen``, their
    positions) is a retry: it appends nothing and answers the original positions. Some
    seen and some not is a retry that changed: :class:`IdempotencyConflict`."""
    if len(seen) == len(keys):
        return AppendResult([seen[k] for k in keys], duplicate=True)
    if seen:
        raise IdempotencyConflict(
            f"idempotency keys {sorted(seen)} were used before in a different batch"
        )
    return None


def encode_batch(
    chain: Chain,
    batch: Sequence[tuple[str, int, Sequence[NewEvent]]],
    versions: dict[str, int],
    head: Head,
    now: datetime | None,
    db_user: str | None,
) -> list[tuple[Any, ...]]:
    """The :data:`COLUMNS` rows that append ``batch`` after ``head``, linked in the
    chain, once every stream's expected version is checked against ``versions`` (the
    streams' versions now; updated). Any store writes exactly these rows, so a log
    holds the same hashes whatever keeps it."""
    position, previous, last_recorded = head
    recorded = format_ts(now or utc_now())
    if last_recorded and recorded < last_recorded:
        recorded = last_recorded
    rows: list[tuple[Any, ...]] = []
    link = chain.link
    # Events of one batch mostly share their metadata and their day: encode each once.
    meta_of: dict[int, str] = {}
    day_of: dict[datetime, str] = {}
    for stream_id, expected, events in batch:
        actual = versions.get(stream_id, 0)
        if expected != ANY_VERSION and actual != expected:
            raise ConcurrencyConflict(stream_id, expected, actual)
        for event in events:
            position += 1
            actual += 1
            meta = meta_of.get(id(event.meta))
            if meta is None:
                meta = meta_of[id(event.meta)] = canonical_json(event.meta)
            occurred = day_of.get(event.occurred_at)
            if occurred is None:
                occurred = day_of[event.occurred_at] = format_ts(event.occurred_at)
            row = (
                position,
                stream_id,
                actual,
                event.type,
                event.schema_version,
                canonical_json(event.data),
                meta,
                occurred,
                recorded,
                event.idempotency_key,
            )
            previous = link(previous, canonical_row(*row, db_user))
            rows.append((*row, previous, db_user))
        versions[stream_id] = actual
    return rows


def verify_head(chain: Chain, rows: Sequence[Row]) -> Head:
    """The head's position, hash and ``recorded_at``, once this process's chain has
    reproduced the head's hash from the row before it (the first row chains from
    :data:`GENESIS`); :class:`ChainMismatch` if it does not."""
    if not rows:
        return EMPTY_HEAD
    head = rows[0]
    before = rows[1][10] if len(rows) > 1 else GENESIS
    if chain.link(before, hashed_bytes(head)) != head[10]:
        raise ChainMismatch(head[0], _mismatch(chain, head, before))
    return head[0], head[10], head[8]


def _mismatch(chain: Chain, head: Row, before: str) -> str:
    at = head[0]
    if chain.keyed and Chain().link(before, hashed_bytes(head)) == head[10]:
        return (
            "TRACKER_AUDIT_KEY is set, but the event log was written without one (its "
            f"last event, at position {at}, verifies only without a key): unset "
            "TRACKER_AUDIT_KEY to write to this log; nothing was written"
        )
    if chain.keyed:
        problem = (
            f"the event log's last event (position {at}) does not verify with the "
            "TRACKER_AUDIT_KEY given: the log is chained with a different audit key"
        )
    else:
        problem = (
            f"TRACKER_AUDIT_KEY is not set, but the event log's last event (position {at}) "
            "does not verify without a key: the log is chained with an audit key"
        )
    return (
        f"{problem}, or was tampered with at position {at}. TRACKER_AUDIT_KEY must be "
        "the key the log was written with (`tracker audit` shows where the chain "
        "breaks); nothing was written"
    )


def session_user(conn: Connection) -> str | None:
    """The database user this connection writes as: PostgreSQL's ``session_user``, asked
    once per pooled connection; None on SQLite, which has no users.

    Migration 0002's trigger refuses any other value in ``events.db_user``, so a writer
    cannot name someone else. The writer sends and hashes this value, which puts it
    under the chain like every other column: the audit catches a row whose user was
    changed after the triggers were dropped. (Were the column filled by the server
    alone, the writer could not hash it, and it would be the one column the chain
    does not vouch for.)
    """
    if conn.dialect.name != "postgresql":
        return None
    info = conn.connection.info
    if SESSION_USER_INFO not in info:
        info[SESSION_USER_INFO] = _SESSION_USER.rows(conn)[0][0]
    user: str | None = info[SESSION_USER_INFO]
    return user


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return escaped + "%"


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
        if keys and (retry := retried(keys, self.positions_for_keys(conn, keys))):
            return retry
        return self.append_batch(conn, [(stream_id, expected_version, events)], now=now)

    def append_batch(
        self,
        conn: Connection,
        batch: Sequence[tuple[str, int, Sequence[NewEvent]]],
        *,
        now: datetime | None = None,
        read_versions: Mapping[str, int] | None = None,
        head: Head | None = None,
    ) -> AppendResult:
        """Append to many streams in one statement: the import's fast path.

        Every stream's version is checked; positions follow the order of ``batch``.
        Idempotency keys are enforced by the unique index; callers that want a retry
        to be silent check them first (as :meth:`append` does). ``read_versions`` are
        the streams' versions as the caller read them in this same write transaction
        (so under the write lock, where they cannot have moved): one round trip less
        per command on PostgreSQL; ``head``, the head :meth:`send_command_reads` verified
        in it, another.
        """
        streams = [s for s, _, evs in batch if evs]
        if not streams:
            return AppendResult([])
        if read_versions is not None and all(s in read_versions for s in streams):
            versions = {s: read_versions[s] for s in streams}
        else:
            versions = self.stream_versions(conn, streams)
        head = head or self._verified_head(conn)
        rows = encode_batch(self.chain, batch, versions, head, now, session_user(conn))
        _INSERT.executemany(conn, rows)
        return AppendResult([row[0] for row in rows])

    # --- reading ----------------------------------------------------------------

    def stream_version(self, conn: Connection, stream_id: str) -> int:
        value = _VERSION.rows(conn, (stream_id,))[0][0]
        return int(value or 0)

    def stream_versions(self, conn: Connection, stream_ids: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        unique = list(dict.fromkeys(stream_ids))
        template = (
            "SELECT stream_id, max(version) FROM events WHERE stream_id IN ({}) GROUP BY stream_id"
        )
        for start in range(0, len(unique), CHUNK):
            chunk = unique[start : start + CHUNK]
            found.update({s: int(v) for s, v in _in_list(template, len(chunk)).rows(conn, chunk)})
        return found

    def count(self, conn: Connection, prefix: str = "") -> int:
        """How many events the streams starting with ``prefix`` hold."""
        if not prefix:
            return int(_COUNT.rows(conn)[0][0])
        return int(_COUNT_PREFIX.rows(conn, (_like_prefix(prefix),))[0][0])

    def last_position(self, conn: Connection) -> Any:
        """The position of the last row in position order, whatever it holds (a
        tampered SQLite row may hold text there); None in an empty log."""
        rows = _HEAD.rows(conn)
        return rows[0][0] if rows else None

    def last_occurred(self, conn: Connection, prefix: str) -> str | None:
        """The latest ``occurred_at`` of the streams whose ids start with ``prefix``."""
        rows = _LAST_OCCURRED.rows(conn, (_like_prefix(prefix),))
        return rows[0][0] if rows else None

    def head(self, conn: Connection) -> tuple[int, str]:
        rows = _HEAD.rows(conn)
        return (rows[0][0], rows[0][1]) if rows else (0, GENESIS)

    def send_command_reads(
        self, conn: Connection, stream_id: str, key: str
    ) -> Callable[[], CommandRead]:
        """Send what a command reads under the write lock before it decides: whether its
        first idempotency key was used, its stream (only the columns folding reads: no
        metadata to decode), the log's last two events. The
        function returned reads the answers, once they came back (in a
        ``Transaction.batch``, the three travel together: one round trip).
        """
        cursors = [
            _in_list(_KEYS, 1).execute(conn, [key]),
            _STREAM_FOLD.execute(conn, (stream_id,)),
            _LAST_TWO.execute(conn),
        ]

        def read() -> CommandRead:
            used, stream, last_two = answers(cursors)
            if used:
                return DUPLICATE_READ
            return CommandRead(False, stream, verify_head(self.chain, last_two))

        return read

    def _verified_head(self, conn: Connection) -> Head:
        return verify_head(self.chain, _LAST_TWO.rows(conn))

    def positions_for_keys(self, conn: Connection, keys: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            found.update(
                (key, position) for key, position in _in_list(_KEYS, len(chunk)).rows(conn, chunk)
            )
        return found

    def read_stream(
        self, conn: Connection, stream_id: str, *, known_at: str | None = None
    ) -> list[StoredEvent]:
        if known_at is None:
            rows = _STREAM.rows(conn, (stream_id,))
        else:
            rows = _STREAM_KNOWN.rows(conn, (stream_id, known_at))
        return [row_to_event(r) for r in rows]

    def read_streams(self, conn: Connection, stream_ids: Sequence[str]) -> list[StoredEvent]:
        """Several streams at once, ordered by stream then version."""
        out: list[StoredEvent] = []
        unique = list(dict.fromkeys(stream_ids))
        template = f"SELECT {COLUMNS} FROM events WHERE stream_id IN ({{}})"  # noqa: S608
        template += " ORDER BY stream_id, version"
        for start in range(0, len(unique), CHUNK):
            chunk = unique[start : start + CHUNK]
            out.extend(map(row_to_event, _in_list(template, len(chunk)).rows(conn, chunk)))
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
        for rows in self._by_stream(conn, COLUMNS, prefix, batch_size, known_at):
            yield from map(row_to_event, rows)

    def read_fold_rows(
        self,
        conn: Connection,
        *,
        prefix: str = "",
        batch_size: int = 5000,
        known_at: str | None = None,
        happened_by: date | None = None,
        streams: StreamRange = (None, None),
        upto: Any = None,
    ) -> Iterator[list[Row]]:
        """What folding needs of every event, as :data:`FOLD_COLUMNS` rows in the order
        of :meth:`read_by_stream`: half the bytes, for rebuilds and as-of reports.

        ``happened_by``: only events dated on or before that day, left out by the
        database rather than decoded to be dropped (an as-of report of a day halfway
        through the log reads half of it). ``streams`` limits them to one range of
        :meth:`stream_ranges`, and ``upto`` to the positions up to it (as in
        :meth:`read_range`).
        """
        return self._by_stream(
            conn, FOLD_COLUMNS, prefix, batch_size, known_at, happened_by, streams, upto
        )

    def stream_ranges(self, conn: Connection, parts: int) -> list[StreamRange]:
        """About ``parts`` ranges of streams, ``(after, upto]`` in the database's order of
        stream ids (None: unbounded), of about as many events each.

        The bounds are quantiles of the streams of events sampled at evenly spaced
        positions, sorted by the database: its collation, not Python's, orders the
        streams a range reads.
        """
        count = self.count(conn)
        sample = sorted({1 + i * count // CHUNK for i in range(CHUNK)}) if count else []
        template = "SELECT stream_id FROM events WHERE position IN ({}) ORDER BY stream_id"
        ids = [r[0] for r in _in_list(template, len(sample)).rows(conn, sample)] if sample else []
        bounds: list[str | None] = [None]
        for part in range(1, parts):
            if ids and ids[len(ids) * part // parts] != bounds[-1]:
                bounds.append(ids[len(ids) * part // parts])
        bounds.append(None)
        return list(pairwise(bounds))

    def _by_stream(
        self,
        conn: Connection,
        columns: str,
        prefix: str,
        batch_size: int,
        known_at: str | None,
        happened_by: date | None = None,
        streams: StreamRange = (None, None),
        upto: Any = None,
    ) -> Iterator[list[Row]]:
        where: list[str] = []
        params: list[Any] = []
        lower, upper = streams  # stream ids after lower, up to upper
        if lower is not None:
            where.append("stream_id > ?")
            params.append(lower)
        if upper is not None:
            where.append("stream_id <= ?")
            params.append(upper)
        if prefix:
            where.append("stream_id LIKE ? ESCAPE '/'")
            params.append(_like_prefix(prefix))
        if known_at is not None:
            where.append("recorded_at <= ?")
            params.append(known_at)
        if happened_by is not None:
            where.append("occurred_at < ?")
            params.append(happened_before(happened_by))
        if upto is not None:
            where.append("position <= ?")
            params.append(upto)
        order = " ORDER BY stream_id, version LIMIT ?"
        condition = f" WHERE {' AND '.join(where)}" if where else ""
        first = Statement(f"SELECT {columns} FROM events{condition}{order}")  # noqa: S608
        # A row-value comparison: both databases turn it into an index range scan.
        where.append("(stream_id, version) > (?, ?)")
        rest = Statement(f"SELECT {columns} FROM events WHERE {' AND '.join(where)}{order}")  # noqa: S608
        rows = first.rows(conn, (*params, batch_size))
        while True:
            yield rows
            if len(rows) < batch_size:
                return
            rows = rest.rows(conn, (*params, rows[-1][1], rows[-1][2], batch_size))

    def read_all(
        self,
        conn: Connection,
        *,
        after: int = 0,
        batch_size: int = 2000,
        known_at: str | None = None,
    ) -> Iterator[StoredEvent]:
        for batch in self.read_raw(conn, after=after, batch_size=batch_size, known_at=known_at):
            yield from map(row_to_event, batch)

    def read_range(
        self, conn: Connection, *, after: int = 0, upto: Any = None, batch_size: int = 10_000
    ) -> Iterator[Sequence[Row]]:
        """The rows as stored with ``after < position <= upto`` (no upper bound when
        ``upto`` is None), in position order, through one cursor: one query for a whole
        range rather than one per batch, in bounded batches (server-side on PostgreSQL).
        ``upto`` may be any stored value, a position that is not a number included:
        the database compares it as it orders them."""
        bound = "" if upto is None else " AND position <= ?"
        query = Statement(
            f"SELECT {COLUMNS} FROM events WHERE position > ?{bound} ORDER BY position"  # noqa: S608
        )
        params = (after,) if upto is None else (after, upto)
        return query.batches(conn, params, batch_size)

    def read_raw(
        self,
        conn: Connection,
        *,
        after: int = 0,
        batch_size: int = 2000,
        known_at: str | None = None,
    ) -> Iterator[list[Row]]:
        """Rows as stored, in position order, one bounded batch at a time.

        Keyset pagination keeps memory constant however long the log is, and is what
        the audit hashes (the stored text, before any upcasting).
        """
        known = "" if known_at is None else " AND recorded_at <= ?"
        query = Statement(
            f"SELECT {COLUMNS} FROM events WHERE position > ?{known} ORDER BY position LIMIT ?"  # noqa: S608
        )
        extra = () if known_at is None else (known_at,)
        while True:
            rows = query.rows(conn, (after, *extra, batch_size))
            if not rows:
                return
            yield rows
            after = rows[-1][0]
            if len(rows) < batch_size:
                return
