"""A recording command on PostgreSQL: two round trips, nothing of its guarantees lost.

What a command reads goes in one batch (BEGIN, the write lock, its idempotency key,
its stream, the log's head, the references it makes) and what it writes in another
(events, projections, COMMIT), each a psycopg pipeline; its connection is not pinged
first. Counted here from libpq's own protocol trace (``support.roundtrips``), per
checkout of a pooled connection. A connection found dead by the first batch is
replaced once, since nothing of the command took effect; one lost after it is not
retried, since it may have committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from support import store_workers
from support.pgserver import PgServer
from support.roundtrips import counting

from tracker.adapters.db import Database
from tracker.adapters.eventstore import NewEvent
from tracker.domain import streams
from tracker.domain.commitment import (
    AddNote,
    ChangeStatus,
    DomainError,
    FollowUpSpec,
    MakeCommitment,
    RecordProgress,
    ScheduleFollowUp,
    decide,
)
from tracker.domain.statuses import Status
from tracker.service_layer.app import Tracker, UnknownReferences
from tracker.service_layer.catalog import register
from tracker.service_layer.rebuild import check_projections

DAY = date(2024, 1, 19)


def made(cid: str) -> MakeCommitment:
    follow_up = FollowUpSpec("ask", date(2024, 3, 1), "Ask whether it happened", None)
    return MakeCommitment(
        id=cid, title="A pledge", made_by=("mx",), made_on=DAY, follow_ups=(follow_up,)
    )


def progress(note: str) -> RecordProgress:
    return RecordProgress(date(2024, 2, 1), None, None, note)


@pytest.fixture
def pg_tracker(pg_server: PgServer, pg_template: str) -> Iterator[Tracker]:
    name = f"t_{uuid.uuid4().hex}"
    tracker = Tracker.open(pg_server.create_database(name, template=pg_template))
    yield tracker
    tracker.close()
    pg_server.drop_database(name)


def backend_pid(tracker: Tracker) -> int:
    """The server process of the connection the pool hands out next."""
    with tracker.db.engine.connect() as conn:
        return int(conn.connection.driver_connection.info.backend_pid)


def terminate(pg_server: PgServer, pid: int) -> None:
    """End a backend from another connection, as an administrator or a restart would."""
    other = Database(pg_server.url())
    try:
        with other.engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid})
            conn.commit()
    finally:
        other.dispose()


def assert_consistent(tracker: Tracker) -> None:
    """The chain verifies, positions and versions run without a gap, and the
    projections equal a fresh fold of the log."""
    with tracker.uow.read() as session:
        checked = session.verify_chain()
        assert checked.ok, (checked.chain, checked.contiguity)
        assert check_projections(session) == []


def events(tracker: Tracker) -> int:
    return tracker.event_count()


@pytest.mark.postgres
def test_each_recording_command_takes_at_most_two_round_trips(pg_tracker: Tracker) -> None:
    commands: list[tuple[str, Any, str | None]] = [
        ("made", made("a"), None),  # the first: a new connection, its session_user unknown
        ("progress", progress("talks began"), "k1"),
        ("retry", progress("talks began"), "k1"),  # the same key: nothing appended
        ("note", AddNote(date(2024, 2, 2), "on track"), None),
        ("follow-up", ScheduleFollowUp(date(2024, 2, 3), FollowUpSpec("b", DAY, "?", None)), None),
        ("status", ChangeStatus(date(2024, 2, 4), Status.FULFILLED, source=None), None),
    ]
    trips, refused = {}, {}
    for label, command, key in commands:
        with counting(pg_tracker.db.engine) as counted:
            try:
                pg_tracker.handle("a", command, name=label, key=key)
            except DomainError:
                refused[label] = counted.per_checkout
                continue
        trips[label] = counted.per_checkout

    assert trips == {label: [2] for label, _, _ in commands[:-1]}
    # A refusal ends with ROLLBACK, after which psycopg drops its prepared statements
    # (DEALLOCATE ALL): one round trip more, for a command that recorded nothing.
    assert list(refused) == ["status"]  # fulfilled needs a source
    assert len(refused["status"]) == 1 and refused["status"][0] <= 3
    assert events(pg_tracker) == 5  # made and its follow-up, progress, note, follow-up
    assert_consistent(pg_tracker)


@pytest.mark.postgres
def test_a_read_still_pings_its_connection(pg_tracker: Tracker) -> None:
    with counting(pg_tracker.db.engine) as counted, pg_tracker.db.read() as conn:
        conn.execute(text("SELECT 1")).scalar()
    assert counted.per_checkout == [4]  # the ping, BEGIN, the query, COMMIT


@pytest.mark.postgres
def test_a_connection_dropped_before_a_command_is_replaced_once(
    pg_tracker: Tracker, pg_server: PgServer
) -> None:
    pg_tracker.handle("a", made("a"), name="add")
    dead = backend_pid(pg_tracker)
    terminate(pg_server, dead)

    with counting(pg_tracker.db.engine) as counted:
        result = pg_tracker.handle("a", progress("after the restart"), name="record progress")

    assert result.appended == 1
    # The dead connection (invalidated, never returned), then another. The retry pings
    # a pooled one (one dead connection may have company), but this one is new.
    assert counted.checkouts == 2
    assert counted.per_checkout == [2]
    assert backend_pid(pg_tracker) != dead
    assert events(pg_tracker) == 3
    assert_consistent(pg_tracker)


@pytest.mark.postgres
def test_a_connection_lost_after_the_first_batch_is_not_retried(
    pg_tracker: Tracker, pg_server: PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg_tracker.handle("a", made("a"), name="add")
    pid = backend_pid(pg_tracker)  # the pooled connection the command will use
    decisions: list[Any] = []

    def decide_then_lose_the_connection(*args: Any, **kwargs: Any) -> Any:
        decisions.append(args)
        terminate(pg_server, pid)
        return decide(*args, **kwargs)

    monkeypatch.setattr("tracker.service_layer.app.decide", decide_then_lose_the_connection)
    with pytest.raises(OperationalError):
        pg_tracker.handle("a", progress("lost"), name="record progress")

    assert len(decisions) == 1  # decided once: the write batch may have committed
    assert events(pg_tracker) == 2  # here it had not: the transaction died with it
    monkeypatch.undo()
    assert pg_tracker.handle("a", progress("again"), name="record progress").appended == 1
    assert_consistent(pg_tracker)


@pytest.mark.postgres
def test_references_are_looked_up_with_the_stream(pg_tracker: Tracker) -> None:
    register(pg_tracker, "source", {"id": "efe", "publisher": "EFE"})
    pg_tracker.handle("a", made("a"), name="add")
    given = [("--source", "source", "efe"), ("--superseded-by", "commitment", "a")]
    with counting(pg_tracker.db.engine) as counted:
        pg_tracker.handle("a", progress("reported"), name="record", references=given)
    assert counted.per_checkout == [2]

    unknown = [*given, ("--by", "actor", "nobody"), ("--source", "source", "afp")]
    with pytest.raises(UnknownReferences) as refused:
        pg_tracker.handle("a", progress("unsourced"), name="record", references=unknown)
    assert refused.value.missing == unknown[2:]
    assert events(pg_tracker) == 4  # the source, made and its follow-up, the progress


@pytest.mark.slow
def test_concurrent_commands_on_one_commitment_each_land_once(db: Database) -> None:
    tracker = Tracker(db)
    tracker.handle("shared", made("shared"), name="add")
    workers, per_worker = 4, 10
    start = store_workers.SPAWN.Barrier(workers)
    appended = store_workers.run_processes(
        [
            (store_workers.record_progress, (db.url, "shared", w, per_worker, start))
            for w in range(workers)
        ]
    )

    assert appended == [per_worker] * workers
    with db.read() as conn:
        stream = tracker.store.read_stream(conn, streams.commitment("shared"))
    notes = sorted(e.data["note"] for e in stream if e.type == "ProgressRecorded")
    expected = sorted(f"worker {w} entry {n}" for w in range(workers) for n in range(per_worker))
    assert notes == expected
    assert [e.version for e in stream] == list(range(1, len(stream) + 1))
    assert_consistent(tracker)


@pytest.mark.postgres
def test_without_pipelines_a_command_still_works(
    pg_tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A libpq older than PostgreSQL 14's has no pipeline mode: one statement a trip."""
    monkeypatch.setattr("tracker.adapters.db._has_pipeline", lambda: False)
    pg_tracker.handle("a", made("a"), name="add")
    with counting(pg_tracker.db.engine) as counted:
        pg_tracker.handle("a", progress("slowly"), name="record progress", key="k")
        assert pg_tracker.handle("a", progress("slowly"), name="again", key="k").duplicate

    assert counted.per_checkout[0] > 2
    assert events(pg_tracker) == 3
    assert_consistent(pg_tracker)


def test_a_write_the_database_refuses_leaves_nothing(db: Database) -> None:
    """An error in the last batch (here the unique index on idempotency keys, which a
    command's second event runs into) rolls the whole command back."""
    tracker = Tracker(db)
    noted = NewEvent("NoteAdded", {"note": "x"}, datetime(2024, 1, 19, tzinfo=UTC))
    with db.write() as conn:
        tracker.store.append(conn, "elsewhere", 0, [replace(noted, idempotency_key="k#1")])

    with pytest.raises(IntegrityError):
        tracker.handle("a", made("a"), name="add", key="k")  # k#0 made, k#1 its follow-up

    assert events(tracker) == 1
    assert tracker.handle("a", made("a"), name="add").appended == 2
    assert_consistent(tracker)
