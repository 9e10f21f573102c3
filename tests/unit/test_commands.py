"""The command path (``Tracker.handle``) on the in-memory unit of work: what a command
records, what it refuses, and that a refused or failed command leaves nothing, in the
log or in the projections. No database: the store's own guarantees are the contract
suite's (``tests/contract/``); the round trips and the SQL paths are
``tests/integration/test_command_roundtrips.py``'s.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from support.memory import assert_projections_agree, made, snapshot, table

from tracker.adapters.eventstore import ConcurrencyConflict
from tracker.adapters.memory import MemoryLog, MemoryUnitOfWork
from tracker.domain import events as ev
from tracker.domain import streams
from tracker.domain.commitment import (
    AddNote,
    ChangeDeadline,
    ChangeStatus,
    Command,
    CompleteFollowUp,
    DayRefused,
    DomainError,
    FollowUpSpec,
    NoSuchCommitment,
    RecordProgress,
    ScheduleFollowUp,
)
from tracker.domain.deadlines import DueWindow
from tracker.domain.statuses import Status
from tracker.service_layer.app import NeedsDatabase, Tracker, UnknownReferences
from tracker.service_layer.catalog import register
from tracker.service_layer.operations import schema_revision

ON = date(2024, 2, 1)


@pytest.fixture
def log() -> MemoryLog:
    return MemoryLog()


@pytest.fixture
def tracker(log: MemoryLog) -> Tracker:
    return Tracker(MemoryUnitOfWork(log=log))


# --- recording -------------------------------------------------------------------------


def test_adding_a_commitment_records_it_and_its_follow_ups(
    tracker: Tracker, log: MemoryLog
) -> None:
    result = tracker.handle("darien-visit", made(), name="add")

    assert (result.positions, result.duplicate) == ([1, 2], False)
    with tracker.uow.read() as session:
        stream = session.read_stream(streams.commitment("darien-visit"))
    assert [e.type for e in stream] == [ev.COMMITMENT_MADE, ev.FOLLOW_UP_SCHEDULED]
    assert stream[0].meta["command"] == "add"
    assert stream[0].idempotency_key is not None
    [row] = table(log, "commitments")
    assert (row["id"], row["title"], row["status"], row["version"]) == (
        "darien-visit",
        "Visit the Darién Gap",
        "pledged",
        2,
    )
    assert [f["follow_up_id"] for f in table(log, "follow_ups")] == ["ask"]
    assert_projections_agree(tracker, log)


RECORDED: list[tuple[Command, str]] = [
    (RecordProgress(ON, note="dates set"), ev.PROGRESS_RECORDED),
    (ChangeStatus(ON, Status.STALLED, note="no word since"), ev.STATUS_CHANGED),
    (
        ChangeDeadline(ON, DueWindow(date(2024, 9, 1), date(2024, 9, 30), "September"), "later"),
        ev.DEADLINE_CHANGED,
    ),
    (AddNote(ON, "the minister was asked"), ev.NOTE_ADDED),
    (ScheduleFollowUp(ON, FollowUpSpec("call", date(2024, 4, 1), "Call")), ev.FOLLOW_UP_SCHEDULED),
    (CompleteFollowUp(ON, "ask", note="asked"), ev.FOLLOW_UP_DONE),
]


@pytest.mark.parametrize(("command", "recorded"), RECORDED, ids=[t for _, t in RECORDED])
def test_each_kind_of_entry_is_recorded_and_projected(
    tracker: Tracker, log: MemoryLog, command: Command, recorded: str
) -> None:
    tracker.handle("darien-visit", made(), name="add")

    result = tracker.handle("darien-visit", command, name="record")

    assert result.positions == [3]
    with tracker.uow.read() as session:
        assert session.read_stream(streams.commitment("darien-visit"))[-1].type == recorded
    [row] = table(log, "commitments")
    assert row["version"] == 3
    assert_projections_agree(tracker, log)


def test_a_status_change_shows_in_the_projection(tracker: Tracker, log: MemoryLog) -> None:
    tracker.handle("darien-visit", made(), name="add")
    tracker.handle("darien-visit", ChangeStatus(ON, Status.STALLED), name="record status")
    assert [r["status"] for r in table(log, "commitments")] == ["stalled"]


# --- retries and concurrency -------------------------------------------------------------


def test_a_retried_command_appends_nothing(tracker: Tracker, log: MemoryLog) -> None:
    first = tracker.handle("darien-visit", made(), name="add", key="cmd:1")
    before = snapshot(log)

    again = tracker.handle("darien-visit", made(), name="add", key="cmd:1")

    assert (first.appended, again.duplicate, again.appended) == (2, True, 0)
    assert snapshot(log) == before


def test_an_expected_version_the_stream_left_is_a_conflict_and_records_nothing(
    tracker: Tracker, log: MemoryLog
) -> None:
    tracker.handle("darien-visit", made(), name="add")
    before = snapshot(log)

    with pytest.raises(ConcurrencyConflict, match="at version 2, not 1"):
        tracker.handle("darien-visit", AddNote(ON, "late"), name="note", expected_version=1)

    assert snapshot(log) == before
    noted = tracker.handle("darien-visit", AddNote(ON, "on time"), name="note", expected_version=2)
    assert noted.positions == [3]


# --- refusals ------------------------------------------------------------------------------


def test_unknown_references_are_refused_and_record_nothing(
    tracker: Tracker, log: MemoryLog
) -> None:
    register(tracker, "source", {"id": "efe", "publisher": "EFE"})
    tracker.handle("darien-visit", made(), name="add")
    before = snapshot(log)
    given = [("--source", "source", "efe"), ("--superseded-by", "commitment", "darien-visit")]
    unknown = [*given, ("--by", "actor", "nobody"), ("--source", "source", "afp")]

    with pytest.raises(UnknownReferences) as refused:
        tracker.handle("darien-visit", RecordProgress(ON), name="record", references=unknown)

    assert refused.value.missing == unknown[2:]
    assert str(refused.value) == "unknown actor 'nobody'; unknown source 'afp'"
    assert snapshot(log) == before
    sourced = RecordProgress(ON, source="efe")
    assert tracker.handle("darien-visit", sourced, name="record", references=given).appended == 1


@pytest.mark.parametrize(
    ("commitment", "command", "refusal"),
    [
        ("nowhere", RecordProgress(ON), NoSuchCommitment),
        ("darien-visit", made(), DomainError),  # made twice
        ("darien-visit", RecordProgress(date(2999, 1, 1)), DayRefused),  # in the future
        ("darien-visit", CompleteFollowUp(ON, "never-scheduled"), DomainError),
    ],
    ids=["unknown commitment", "made twice", "future day", "unknown follow-up"],
)
def test_a_refused_command_records_nothing(
    tracker: Tracker, log: MemoryLog, commitment: str, command: Command, refusal: type[Exception]
) -> None:
    tracker.handle("darien-visit", made(), name="add")
    before = snapshot(log)

    with pytest.raises(refusal):
        tracker.handle(commitment, command, name="record")

    assert snapshot(log) == before


def test_an_unknown_commitment_is_named_in_the_refusal(tracker: Tracker) -> None:
    with pytest.raises(NoSuchCommitment, match="nowhere"):
        tracker.handle("nowhere", RecordProgress(ON), name="record progress")


def test_a_command_failing_as_it_writes_leaves_nothing(
    tracker: Tracker, log: MemoryLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The events are appended before the projections are written: a failure in
    between rolls both back."""
    tracker.handle("darien-visit", made(), name="add")
    before = snapshot(log)

    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the projection could not be written")

    with monkeypatch.context() as patched:
        patched.setattr("tracker.adapters.memory.MemorySession.write_stream_rows", fail)
        with pytest.raises(RuntimeError, match="could not be written"):
            tracker.handle("darien-visit", AddNote(ON, "lost"), name="note")

    assert snapshot(log) == before
    assert tracker.handle("darien-visit", AddNote(ON, "kept"), name="note").positions == [3]
    assert_projections_agree(tracker, log)


def test_a_record_of_the_database_itself_says_it_needs_a_database() -> None:
    with pytest.raises(NeedsDatabase, match="open a database"):
        schema_revision(Tracker.in_memory())
