"""The event store's contract, written once against the unit of work and run on the
in-memory log, SQLite and PostgreSQL.

Like the eventsourcing library's recorder tests, every guarantee DESIGN.md promises
(optimistic concurrency, idempotency, gap-free commit-ordered positions, the hash
chain, streaming reads, upcasting) is checked on each store. What only a database has
is checked on SQLite and PostgreSQL alone (the ``db`` fixture): rows tampered with
behind the triggers, the unique index, and real concurrent writers and readers in
several processes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError
from support import store_workers
from support.backends import Backend
from support.tamper import tampering

from tracker.adapters.db import Database
from tracker.adapters.eventstore import (
    ANY_VERSION,
    AppendResult,
    ChainMismatch,
    ConcurrencyConflict,
    EventStore,
    IdempotencyConflict,
    NewEvent,
    StoredEvent,
    format_ts,
    hashed_bytes,
    register_upcaster,
)
from tracker.adapters.hashing import GENESIS, Chain
from tracker.adapters.integrity import verify_chain
from tracker.adapters.memory import MemoryUnitOfWork
from tracker.adapters.sql_unit_of_work import SqlUnitOfWork
from tracker.config import ConfigError
from tracker.service_layer.unit_of_work import EventLog, UnitOfWork

OCCURRED = datetime(2024, 1, 19, 18, 30, tzinfo=UTC)
NOW = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)
SPANISH = {
    "title": "Reunión en Palacio Nacional sobre migración",
    "quote": "«Acordamos reforzar la cooperación», dijo Alicia Bárcena — año 2024",
    "lugar": "Ciudad de México",
}
UPCAST_TYPE = "ContractTestRenamed"  # a type only this file uses: the registry is global


@register_upcaster(UPCAST_TYPE, 1)
def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {"full_name": data["name"]}


@register_upcaster(UPCAST_TYPE, 2)
def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "language": "es"}


@pytest.fixture
def store() -> EventStore:
    """The SQL store alone, for what only a database has."""
    # An explicit unkeyed chain: the suite must not depend on TRACKER_AUDIT_KEY.
    return EventStore(Chain())


def noted(n: int = 0, *, key: str | None = None, occurred_at: datetime = OCCURRED) -> NewEvent:
    return NewEvent(type="Noted", data={"n": n}, occurred_at=occurred_at, idempotency_key=key)


def append(
    uow: UnitOfWork,
    stream_id: str,
    expected: int,
    events: list[NewEvent],
    *,
    now: datetime = NOW,
) -> AppendResult:
    with uow.write() as log:
        return log.append(stream_id, expected, events, now=now)


def everything(uow: UnitOfWork) -> list[StoredEvent]:
    with uow.read() as log:
        return list(log.read_all())


def first_broken(conn: Connection, chain: Chain) -> int | None:
    """The first position whose stored hash the audit's verification rejects.

    Small batches make the verification cross batch boundaries on ten events.
    """
    found = verify_chain(EventStore(chain), conn, batch_size=4).chain.items
    return found[0].position if found else None


def first_unlinked(log: EventLog, chain: Chain) -> int | None:
    """The first position whose stored hash ``chain`` does not reproduce from the row
    and the hash before it, read as stored in batches of four (any store)."""
    previous = GENESIS
    for batch in log.read_raw(batch_size=4):
        for row in batch:
            previous = chain.link(previous, hashed_bytes(row))
            if previous != row[10]:
                return int(row[0])
    return None


def assert_chain_intact(uow: UnitOfWork, chain: Chain | None = None) -> None:
    """Every stored hash is reproduced; on a database, the audit's verification agrees."""
    chain = chain or Chain()
    with uow.read() as log:
        assert first_unlinked(log, chain) is None
    if isinstance(uow, SqlUnitOfWork):
        assert_audit_passes(uow.db, chain)


def assert_audit_passes(db: Database, chain: Chain | None = None) -> None:
    with db.read() as conn:
        assert first_broken(conn, chain or Chain()) is None


def positions(events: Iterable[StoredEvent]) -> list[int]:
    return [e.position for e in events]


# --- appending ---------------------------------------------------------------------


def test_a_new_stream_starts_at_version_one_and_the_log_at_position_one(uow: UnitOfWork) -> None:
    mexico_city = timezone(timedelta(hours=-6))
    first = NewEvent(
        type="CommitmentMade",
        data=SPANISH,
        meta={"recorded_by": "José Peña"},
        occurred_at=datetime(2024, 1, 19, 12, 30, tzinfo=mexico_city),
    )
    result = append(uow, "darién-visit", 0, [first, noted(1), noted(2)])

    assert result == AppendResult([1, 2, 3])
    assert result.appended == 3
    with uow.read() as log:
        stream = log.read_stream("darién-visit")
        assert log.stream_version("darién-visit") == 3
    assert [(e.position, e.version) for e in stream] == [(1, 1), (2, 2), (3, 3)]
    made = stream[0]
    assert made.stream_id == "darién-visit"
    assert made.type == "CommitmentMade"
    assert made.data == SPANISH
    assert made.meta == {"recorded_by": "José Peña"}
    assert made.schema_version == 1
    assert made.idempotency_key is None
    # Stored as UTC ISO text, whatever zone the caller used.
    assert made.occurred_at == "2024-01-19T18:30:00.000000Z"
    assert {e.recorded_at for e in stream} == {"2024-02-01T09:00:00.000000Z"}
    assert [e.data for e in stream[1:]] == [{"n": 1}, {"n": 2}]


def test_a_second_stream_continues_the_global_positions(uow: UnitOfWork) -> None:
    append(uow, "b", 0, [noted(1), noted(2)])
    assert append(uow, "a", 0, [noted(3)]).positions == [3]
    assert append(uow, "b", 2, [noted(4)]).positions == [4]

    with uow.read() as log:
        assert [(e.stream_id, e.version) for e in log.read_streams(["b", "a", "b"])] == [
            ("a", 1),
            ("b", 1),
            ("b", 2),
            ("b", 3),
        ]
        assert log.stream_version("nobody") == 0
        assert log.read_stream("nobody") == []
        assert log.stream_versions(["a", "b", "nobody"]) == {"a": 1, "b": 3}


def test_an_empty_append_writes_nothing(uow: UnitOfWork) -> None:
    assert append(uow, "s", 0, []) == AppendResult([])
    assert everything(uow) == []


def test_timestamps_without_a_zone_are_refused(uow: UnitOfWork) -> None:
    naive = noted(occurred_at=datetime(2024, 1, 19))  # naive: the point of the test
    with pytest.raises(ValueError, match="timezone-aware"):
        append(uow, "s", 0, [naive])
    assert everything(uow) == []


def test_an_exception_inside_the_transaction_rolls_the_append_back(uow: UnitOfWork) -> None:
    with pytest.raises(RuntimeError, match="projection failed"), uow.write() as log:
        log.append("s", 0, [noted()])
        raise RuntimeError("projection failed")
    assert everything(uow) == []
    assert append(uow, "s", 0, [noted()]).positions == [1]


# --- optimistic concurrency ----------------------------------------------------------


@pytest.mark.parametrize(("expected", "actual"), [(0, 2), (1, 2), (3, 2)])
def test_a_wrong_expected_version_is_a_conflict_naming_stream_and_versions(
    uow: UnitOfWork, expected: int, actual: int
) -> None:
    append(uow, "darien-visit", 0, [noted(1), noted(2)])

    with pytest.raises(ConcurrencyConflict) as caught:
        append(uow, "darien-visit", expected, [noted(3)])

    message = str(caught.value)
    assert "'darien-visit'" in message
    assert f"at version {actual}, not {expected}" in message
    assert (caught.value.stream_id, caught.value.expected, caught.value.actual) == (
        "darien-visit",
        expected,
        actual,
    )
    assert positions(everything(uow)) == [1, 2]


def test_expecting_an_existing_version_of_a_new_stream_is_a_conflict(uow: UnitOfWork) -> None:
    with pytest.raises(ConcurrencyConflict, match="'ghost' is at version 0, not 4"):
        append(uow, "ghost", 4, [noted()])
    assert everything(uow) == []


def test_any_version_skips_the_check(uow: UnitOfWork) -> None:
    append(uow, "flags", 0, [noted(1)])
    assert append(uow, "flags", ANY_VERSION, [noted(2), noted(3)]).positions == [2, 3]
    with uow.read() as log:
        assert [e.version for e in log.read_stream("flags")] == [1, 2, 3]


def test_a_batch_is_all_or_nothing_when_one_stream_conflicts(uow: UnitOfWork) -> None:
    append(uow, "b", 0, [noted()])
    with pytest.raises(ConcurrencyConflict, match="'b' is at version 1, not 0"), uow.write() as log:
        log.append_batch([("a", 0, [noted(1)]), ("b", 0, [noted(2)])], now=NOW)
    assert positions(everything(uow)) == [1]


def test_a_batch_follows_its_order_across_streams(uow: UnitOfWork) -> None:
    with uow.write() as log:
        result = log.append_batch(
            [("z", 0, [noted(1), noted(2)]), ("a", 0, [noted(3)]), ("m", 0, [])], now=NOW
        )
    assert result.positions == [1, 2, 3]
    assert [(e.stream_id, e.version, e.data["n"]) for e in everything(uow)] == [
        ("z", 1, 1),
        ("z", 2, 2),
        ("a", 1, 3),
    ]


# --- idempotency ---------------------------------------------------------------------


def test_a_retried_batch_appends_nothing_and_returns_the_original_positions(
    uow: UnitOfWork,
) -> None:
    batch = [noted(1, key="import:1"), noted(2, key="import:2")]
    assert append(uow, "s", 0, batch) == AppendResult([1, 2])
    append(uow, "other", 0, [noted(3)])

    # A retry is not checked against the version: the stream has moved since.
    again = append(uow, "s", 0, batch)

    assert again == AppendResult([1, 2], duplicate=True)
    assert again.appended == 0
    assert positions(everything(uow)) == [1, 2, 3]
    with uow.read() as log:
        assert log.positions_for_keys(["import:2", "import:1", "nope"]) == {
            "import:1": 1,
            "import:2": 2,
        }


def test_a_batch_reusing_only_some_keys_is_an_idempotency_conflict(uow: UnitOfWork) -> None:
    append(uow, "s", 0, [noted(1, key="k1"), noted(2, key="k2")])

    with pytest.raises(IdempotencyConflict, match=r"\['k2'\]"):
        append(uow, "s", 2, [noted(2, key="k2"), noted(3, key="k3")])

    assert positions(everything(uow)) == [1, 2]


def test_unkeyed_events_in_a_batch_do_not_count_against_the_keys(uow: UnitOfWork) -> None:
    append(uow, "s", 0, [noted(1, key="k1"), noted(2)])
    assert append(uow, "s", 0, [noted(1, key="k1"), noted(2)]).duplicate


def test_append_batch_refuses_a_reused_key_and_writes_nothing(backend: Backend) -> None:
    """The SQL store leaves it to the unique index; the memory store checks the keys."""
    uow = backend.open(Chain())
    append(uow, "s", 0, [noted(1, key="k1")])
    refusal = IntegrityError if backend.name != "memory" else IdempotencyConflict
    with pytest.raises(refusal), uow.write() as log:
        log.append_batch([("t", 0, [noted(2), noted(3, key="k1")])], now=NOW)
    assert positions(everything(uow)) == [1]


def test_lookups_of_many_streams_and_keys_are_chunked(uow: UnitOfWork) -> None:
    count = 1_100  # more than two chunks of 500, to cross the IN-list limit
    with uow.write() as log:
        log.append_batch([(f"s{i:04}", 0, [noted(i, key=f"k{i}")]) for i in range(count)], now=NOW)
    with uow.read() as log:
        read = log.read_streams([f"s{i:04}" for i in range(count)])
        found = log.positions_for_keys([f"k{i}" for i in range(count)])
        versions = log.stream_versions([f"s{i:04}" for i in range(count)])
    assert [e.data["n"] for e in read] == list(range(count))
    assert found == {f"k{i}": i + 1 for i in range(count)}
    assert set(versions.values()) == {1}
    assert len(versions) == count


# --- the hash chain ------------------------------------------------------------------


def test_the_head_of_an_empty_log_is_genesis(uow: UnitOfWork) -> None:
    with uow.read() as log:
        assert log.head() == (0, GENESIS)


def test_recomputing_the_chain_reproduces_every_stored_hash(uow: UnitOfWork) -> None:
    append(uow, "a", 0, [NewEvent("CommitmentMade", SPANISH, OCCURRED, {"by": "Peña"})])
    append(uow, "b", 0, [noted(1, key="k1"), noted(2)])
    append(uow, "a", 1, [noted(3)])

    with uow.read() as log:
        rows = [row for batch in log.read_raw() for row in batch]
        head = log.head()
    previous = GENESIS
    for row in rows:
        previous = Chain().link(previous, hashed_bytes(row))
        assert previous == row[10]
    assert head == (4, previous)
    assert everything(uow)[-1].hash == previous
    assert_chain_intact(uow)


def test_a_keyed_chain_gives_different_hashes_that_only_the_key_reproduces(
    backend: Backend,
) -> None:
    keyed = backend.open(Chain(b"secret"))
    append(keyed, "a", 0, [noted(1), noted(2)])

    with keyed.read() as log:
        row = next(iter(log.read_raw()))[0]
        assert first_unlinked(log, Chain(b"secret")) is None
        assert first_unlinked(log, Chain()) == 1
        assert first_unlinked(log, Chain(b"other")) == 1
    assert row[10] == Chain(b"secret").link(GENESIS, hashed_bytes(row))
    assert row[10] != Chain().link(GENESIS, hashed_bytes(row))
    assert Chain(b"secret").keyed
    assert not Chain().keyed
    assert_chain_intact(keyed, Chain(b"secret"))


def _ten_events(uow: UnitOfWork) -> None:
    for n in range(5):
        append(uow, "a", n, [noted(n)])
        append(uow, "b", n, [noted(n)])


# Rows changed behind the append-only triggers: the audit's verification, on a database.


@pytest.fixture
def sql_uow(db: Database, store: EventStore) -> UnitOfWork:
    return SqlUnitOfWork(db, store)


def test_a_modified_row_breaks_the_chain_at_its_position(db: Database, sql_uow: UnitOfWork) -> None:
    _ten_events(sql_uow)
    with tampering(db) as conn:
        conn.execute(
            text("UPDATE events SET data = :data WHERE position = 6"),
            {"data": json.dumps({"n": 99})},
        )
    with db.read() as conn:
        assert first_broken(conn, Chain()) == 6


def test_a_deleted_row_breaks_the_chain_at_the_next_position(
    db: Database, sql_uow: UnitOfWork
) -> None:
    _ten_events(sql_uow)
    with tampering(db) as conn:
        conn.execute(text("DELETE FROM events WHERE position = 4"))
    with db.read() as conn:
        assert first_broken(conn, Chain()) == 5


def test_swapped_rows_break_the_chain_at_the_first_of_them(
    db: Database, sql_uow: UnitOfWork
) -> None:
    _ten_events(sql_uow)
    with tampering(db) as conn:
        for old, new in ((3, -1), (7, 3), (-1, 7)):
            conn.execute(
                text("UPDATE events SET position = :new WHERE position = :old"),
                {"old": old, "new": new},
            )
    with db.read() as conn:
        assert first_broken(conn, Chain()) == 3


def test_a_rewritten_plain_chain_verifies_but_moves_the_head(
    db: Database, store: EventStore, sql_uow: UnitOfWork
) -> None:
    """Why DESIGN.md keeps a digest elsewhere and offers a key: see the audit section."""
    _ten_events(sql_uow)
    with db.read() as conn:
        digest = store.head(conn)
    with tampering(db) as conn:
        conn.execute(
            text("UPDATE events SET data = :data WHERE position = 6"),
            {"data": json.dumps({"n": 99})},
        )
        rows = [row for batch in store.read_raw(conn) for row in batch]
        previous = GENESIS
        for row in rows:
            previous = Chain().link(previous, hashed_bytes(row))
            conn.execute(
                text("UPDATE events SET hash = :hash WHERE position = :position"),
                {"hash": previous, "position": row[0]},
            )
    with db.read() as conn:
        assert first_broken(conn, Chain()) is None
        assert store.head(conn) != digest


# --- writing under the wrong key -------------------------------------------------------

SECRET = b"correct horse battery staple"


def _refused(backend: Backend, writer: Chain, *, batch: bool = False) -> ChainMismatch:
    """An append (or an import-style batch) under ``writer`` that must be refused,
    leaving the log as it was."""
    before = everything(backend.open(Chain()))
    with pytest.raises(ChainMismatch) as caught, backend.open(writer).write() as log:
        if batch:
            log.append_batch([("c", 0, [noted(8)]), ("d", 0, [noted(9)])], now=NOW)
        else:
            log.append("a", ANY_VERSION, [noted(7)], now=NOW)
    assert everything(backend.open(Chain())) == before
    assert isinstance(caught.value, ConfigError)  # the CLI's exit status 2
    message = str(caught.value)
    assert SECRET.decode() not in message and "other key" not in message
    assert "nothing was written" in message
    return caught.value


@pytest.mark.parametrize("events", [1, 3])  # the head alone chains from GENESIS
@pytest.mark.parametrize("batch", [False, True])
def test_a_keyed_log_refuses_a_writer_with_another_key_or_none(
    backend: Backend, events: int, batch: bool
) -> None:
    keyed = backend.open(Chain(SECRET))
    append(keyed, "a", 0, [noted(n) for n in range(events)])

    wrong = _refused(backend, Chain(b"other key"), batch=batch)
    assert wrong.position == events
    assert f"position {events}) does not verify with the TRACKER_AUDIT_KEY given" in str(wrong)
    assert "TRACKER_AUDIT_KEY must be the key the log was written with" in str(wrong)
    missing = _refused(backend, Chain(), batch=batch)
    assert "TRACKER_AUDIT_KEY is not set" in str(missing)
    assert f"tampered with at position {events}" in str(missing)

    assert append(keyed, "a", events, [noted(7)]).positions == [events + 1]
    assert_chain_intact(keyed, Chain(SECRET))


def test_an_unkeyed_log_refuses_a_writer_with_a_key(backend: Backend, uow: UnitOfWork) -> None:
    append(uow, "a", 0, [noted(1), noted(2)])

    refused = _refused(backend, Chain(SECRET))
    assert "TRACKER_AUDIT_KEY is set, but the event log was written without one" in str(refused)
    assert "position 2" in str(refused)
    assert append(uow, "a", 2, [noted(3)]).positions == [3]
    assert_chain_intact(uow)


@pytest.mark.parametrize("column", ["data", "hash of the row before"])
def test_a_tampered_head_is_refused_with_the_right_key(
    db: Database, store: EventStore, column: str
) -> None:
    name = "sqlite" if db.is_sqlite else "postgres"
    backend = Backend(name, lambda chain: SqlUnitOfWork(db, EventStore(chain)))
    _ten_events(backend.open(Chain()))
    with tampering(db) as conn:
        if column == "data":
            conn.execute(text("UPDATE events SET data = :d WHERE position = 10"), {"d": '{"n":99}'})
        else:
            conn.execute(text("UPDATE events SET hash = :h WHERE position = 9"), {"h": "f" * 64})

    refused = _refused(backend, store.chain)
    assert "tampered with at position 10" in str(refused)


def test_a_retry_under_another_key_appends_nothing_and_is_not_refused(backend: Backend) -> None:
    """A retry reads no head: it writes nothing, so it cannot break the chain."""
    append(backend.open(Chain(SECRET)), "a", 0, [noted(1, key="k1")])
    again = append(backend.open(Chain()), "a", 0, [noted(1, key="k1")])
    assert again == AppendResult([1], duplicate=True)


# --- reading -------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [1, 3, 5, 10, 11])
@pytest.mark.parametrize("after", [0, 4, 9, 10])
def test_read_all_yields_every_later_event_once_in_order(
    uow: UnitOfWork, batch_size: int, after: int
) -> None:
    _ten_events(uow)
    with uow.read() as log:
        read = positions(log.read_all(after=after, batch_size=batch_size))
        batches = [[r[0] for r in b] for b in log.read_raw(after=after, batch_size=batch_size)]
    assert read == list(range(after + 1, 11))
    assert [p for b in batches for p in b] == read
    assert all(0 < len(b) <= batch_size for b in batches)


def test_read_raw_returns_the_stored_text_in_batches(uow: UnitOfWork) -> None:
    _ten_events(uow)
    with uow.read() as log:
        sizes = [len(b) for b in log.read_raw(batch_size=3)]
        first = next(iter(log.read_raw(batch_size=3)))[0]
    assert sizes == [3, 3, 3, 1]
    assert (first[0], first[1], first[2], first[5]) == (1, "a", 1, '{"n":0}')


@pytest.mark.parametrize("batch_size", [1, 2, 3, 5000])
def test_read_by_stream_groups_by_stream_then_version(uow: UnitOfWork, batch_size: int) -> None:
    append(uow, "c-2", 0, [noted(1)])
    append(uow, "a-1", 0, [noted(2), noted(3)])
    append(uow, "c-1", 0, [noted(4)])
    append(uow, "c-2", 1, [noted(5), noted(6)])
    append(uow, "c-1", 1, [noted(7)])

    with uow.read() as log:
        grouped = [(e.stream_id, e.version) for e in log.read_by_stream(batch_size=batch_size)]
        prefixed = [
            (e.stream_id, e.version) for e in log.read_by_stream(prefix="c-", batch_size=batch_size)
        ]
    assert grouped == [
        ("a-1", 1),
        ("a-1", 2),
        ("c-1", 1),
        ("c-1", 2),
        ("c-2", 1),
        ("c-2", 2),
        ("c-2", 3),
    ]
    assert prefixed == grouped[2:]


def test_a_stream_prefix_is_literal_not_a_like_pattern(uow: UnitOfWork) -> None:
    for stream in ("c_1", "cx1", "c%2", "cy2"):
        append(uow, stream, 0, [noted()])
    with uow.read() as log:
        assert [e.stream_id for e in log.read_by_stream(prefix="c_")] == ["c_1"]
        assert [e.stream_id for e in log.read_by_stream(prefix="c%")] == ["c%2"]


def test_the_count_of_a_prefix_is_of_those_streams_events(uow: UnitOfWork) -> None:
    for stream, events in (("c_1", 2), ("cx1", 1), ("c%2", 3), ("d", 1)):
        append(uow, stream, 0, [noted(n) for n in range(events)])
    with uow.read() as log:
        assert (log.count(), log.count("c")) == (7, 6)
        assert (log.count("c_"), log.count("c%"), log.count("e")) == (2, 3, 0)


def test_known_at_reads_only_what_was_recorded_by_then(uow: UnitOfWork) -> None:
    day1, day2 = NOW, NOW + timedelta(days=1)
    append(uow, "a", 0, [noted(1)], now=day1)
    append(uow, "b", 0, [noted(2)], now=day1)
    append(uow, "a", 1, [noted(3)], now=day2)

    known = format_ts(day1)
    with uow.read() as log:
        assert positions(log.read_all(known_at=known, batch_size=1)) == [1, 2]
        assert positions(log.read_stream("a", known_at=known)) == [1]
        assert positions(log.read_by_stream(known_at=known, batch_size=1)) == [1, 2]
        assert positions(log.read_all(known_at=format_ts(day2))) == [1, 2, 3]
        assert positions(log.read_all(known_at=format_ts(day1 - timedelta(1)))) == []


def test_recorded_at_never_goes_backwards_even_when_the_clock_does(uow: UnitOfWork) -> None:
    clock = [NOW, NOW - timedelta(hours=5), NOW + timedelta(seconds=1), NOW - timedelta(days=3)]
    for version, now in enumerate(clock):
        append(uow, "s", version, [noted(version)], now=now)

    recorded = [e.recorded_at for e in everything(uow)]
    assert recorded == sorted(recorded)
    later = format_ts(NOW + timedelta(seconds=1))
    assert recorded == [format_ts(NOW), format_ts(NOW), later, later]
    assert_chain_intact(uow)


# --- upcasting -----------------------------------------------------------------------


def test_old_payloads_are_upcast_on_read_and_stored_as_written(uow: UnitOfWork) -> None:
    old = NewEvent(UPCAST_TYPE, {"name": "Alicia Bárcena"}, OCCURRED, schema_version=1)
    middle = NewEvent(UPCAST_TYPE, {"full_name": "Ebrard"}, OCCURRED, schema_version=2)
    current = NewEvent(
        UPCAST_TYPE, {"full_name": "Blinken", "language": "en"}, OCCURRED, schema_version=3
    )
    append(uow, "actor", 0, [old, middle, current])

    with uow.read() as log:
        read = log.read_stream("actor")
        via_all = list(log.read_all())
        via_streams = list(log.read_by_stream())
        raw = [(r[4], r[5]) for b in log.read_raw() for r in b]
    assert [(e.schema_version, e.data) for e in read] == [
        (3, {"full_name": "Alicia Bárcena", "language": "es"}),
        (3, {"full_name": "Ebrard", "language": "es"}),
        (3, {"full_name": "Blinken", "language": "en"}),
    ]
    assert via_all == read == via_streams
    assert raw[0] == (1, '{"name":"Alicia Bárcena"}')
    assert_chain_intact(uow)


# --- several real processes ----------------------------------------------------------

PROCESSES = 4


@pytest.mark.slow
def test_contending_processes_lose_no_append_and_duplicate_no_version(db: Database) -> None:
    per_process = 30
    start = store_workers.SPAWN.Barrier(PROCESSES)
    results = store_workers.run_processes(
        [
            (store_workers.contend_for_one_stream, (db.url, "shared", w, per_process, start))
            for w in range(PROCESSES)
        ]
    )

    store = EventStore(Chain())
    with db.read() as conn:
        stream = store.read_stream(conn, "shared")
    total = PROCESSES * per_process
    assert [e.version for e in stream] == list(range(1, total + 1))
    assert positions(stream) == list(range(1, total + 1))
    by_version = {e.version: (e.data["worker"], e.data["n"]) for e in stream}
    for worker, result in enumerate(results):
        assert len(result["won"]) == per_process
        assert [by_version[v] for v in result["won"]] == [(worker, n) for n in range(per_process)]
    assert_audit_passes(db)


@pytest.mark.slow
def test_in_each_race_for_the_same_version_exactly_one_process_wins(db: Database) -> None:
    rounds = 15
    barrier = store_workers.SPAWN.Barrier(PROCESSES)
    outcomes = store_workers.run_processes(
        [
            (store_workers.race_in_lockstep, (db.url, "shared", w, rounds, barrier))
            for w in range(PROCESSES)
        ]
    )

    winners = [[w for w in range(PROCESSES) if outcomes[w][r]] for r in range(rounds)]
    assert all(len(won) == 1 for won in winners), winners
    store = EventStore(Chain())
    with db.read() as conn:
        stream = store.read_stream(conn, "shared")
    assert [(e.version, e.data["worker"], e.data["n"]) for e in stream] == [
        (r + 1, won[0], r) for r, won in enumerate(winners)
    ]
    assert_audit_passes(db)


@pytest.mark.slow
def test_concurrent_writers_to_distinct_streams_leave_no_gap(db: Database) -> None:
    streams, per_stream = 5, 8
    start = store_workers.SPAWN.Barrier(PROCESSES)
    got = store_workers.run_processes(
        [
            (store_workers.append_to_own_streams, (db.url, w, streams, per_stream, start))
            for w in range(PROCESSES)
        ]
    )

    total = PROCESSES * streams * per_stream
    assert sorted(p for worker in got for p in worker) == list(range(1, total + 1))
    assert all(worker == sorted(worker) for worker in got)
    logged = everything(SqlUnitOfWork(db, EventStore(Chain())))
    assert positions(logged) == list(range(1, total + 1))
    versions: dict[str, list[int]] = {}
    for event in logged:
        versions.setdefault(event.stream_id, []).append(event.version)
    assert len(versions) == PROCESSES * streams
    assert all(v == list(range(1, per_stream + 1)) for v in versions.values())
    assert_audit_passes(db)


@pytest.mark.slow
def test_a_tailing_reader_sees_every_position_once_in_order(db: Database) -> None:
    writers, streams, per_stream = PROCESSES - 1, 4, 10
    total = writers * streams * per_stream
    start = store_workers.SPAWN.Barrier(writers + 1)
    *_, seen = store_workers.run_processes(
        [
            *(
                (store_workers.append_to_own_streams, (db.url, w, streams, per_stream, start))
                for w in range(writers)
            ),
            (store_workers.tail_log, (db.url, total, start)),
        ]
    )

    assert seen == list(range(1, total + 1))


# --- one log, whatever keeps it --------------------------------------------------------


def test_the_memory_log_holds_the_rows_and_head_sqlite_holds(sqlite_db_url: str) -> None:
    """The same events, appended at the same moments, are the same rows and hashes."""
    database = Database(sqlite_db_url)
    stores = [MemoryUnitOfWork(Chain(SECRET)), SqlUnitOfWork(database, EventStore(Chain(SECRET)))]
    held = []
    for uow in stores:
        append(uow, "a", 0, [NewEvent("CommitmentMade", SPANISH, OCCURRED, {"by": "Peña"})])
        append(uow, "b", 0, [noted(1, key="k1"), noted(2)], now=NOW + timedelta(days=1))
        append(uow, "a", 1, [noted(3)], now=NOW + timedelta(days=2))
        with uow.read() as log:
            held.append(([tuple(r) for b in log.read_raw() for r in b], log.head()))
    database.dispose()
    assert held[0] == held[1]
    assert held[0][1][0] == 4
