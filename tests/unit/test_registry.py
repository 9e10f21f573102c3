"""The event registry (``tracker.domain.events``): what is derived from the declarations
agrees with them, every commitment event survives a commitments file both ways, and a
declared type that ``evolve`` or the file's reader has no branch for is caught here.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from tracker.domain import events as ev
from tracker.domain import streams
from tracker.domain.commitment import (
    ENTRY_READERS,
    CommitmentState,
    FollowUpSpec,
    MakeCommitment,
    RecordProgress,
    ScheduleFollowUp,
    decide,
    extend,
    unhandled,
)
from tracker.domain.deadlines import parse_due
from tracker.domain.events import DomainEvent
from tracker.service_layer.audit import KNOWN_TYPES
from tracker.service_layer.fileformat.commitments import HISTORY_KEYS, HISTORY_KINDS, read_history
from tracker.service_layer.fileformat.document import Problem
from tracker.service_layer.fileformat.fieldreader import Fields
from tracker.service_layer.fileformat.references import ACTOR_KEYS, SOURCE_KEYS
from tracker.service_layer.overdue import OverdueItem

MADE_ON = date(2024, 1, 19)
LATER = date(2024, 2, 20)
COMMITMENT_TYPES = ev.types_in(streams.COMMITMENT)


def test_every_type_is_declared_once_with_a_frozen_payload_of_its_name() -> None:
    for name, declared in ev.TYPES.items():
        assert declared.payload.__name__ == name
        assert dataclasses.is_dataclass(declared.payload)
        assert declared.payload.__dataclass_params__.frozen  # type: ignore[attr-defined]
        assert declared.stream in (
            streams.COMMITMENT,
            streams.ACTOR,
            streams.SOURCE,
            streams.OVERDUE,
            streams.REMINDERS,
            streams.AUDIT,
        )
    with pytest.raises(TypeError, match="once"):
        ev._declare(ev.NoteAdded, streams.COMMITMENT, "a note")


def test_the_derived_lists_agree_with_the_declarations() -> None:
    assert {name: t.phrase for name, t in ev.TYPES.items()} == ev.PHRASES
    assert set(ev.KINDS) == COMMITMENT_TYPES  # every entry of a timeline has its word
    assert {ev.STATUS_CHANGED, ev.NOTE_ADDED, ev.ENTRY_RETRACTED} == ev.AFTER_FINAL
    assert {kind: set(types) for kind, types in KNOWN_TYPES.items()} == {
        streams.COMMITMENT: COMMITMENT_TYPES,
        streams.ACTOR: {ev.ACTOR_REGISTERED, ev.ACTOR_UPDATED},
        streams.SOURCE: {ev.SOURCE_REGISTERED, ev.SOURCE_UPDATED},
    }
    # Export must not drop an entry: every commitment event but the making itself
    # (the file's header) has a history form, and only those do.
    with_form = {name for name, t in ev.TYPES.items() if t.history is not None}
    assert with_form == COMMITMENT_TYPES - {ev.COMMITMENT_MADE}
    assert tuple(ev.HISTORY_FORMS) == HISTORY_KINDS
    fields = {f for form in ev.HISTORY_FORMS.values() for f in form.fields}
    assert set(HISTORY_KEYS) == {"on", "kind", *fields}


def test_the_file_kinds_are_listed_as_they_always_were() -> None:
    # The order a message lists them in ("kind 'x' is not one of …").
    assert HISTORY_KINDS == (
        "progress",
        "status",
        "due",
        "note",
        "follow_up_done",
        "follow_up",
        "retraction",
    )


def _names(payload: type) -> list[str]:
    return [f.name for f in dataclasses.fields(payload)]


def test_the_declared_payloads_are_what_is_written() -> None:
    # The commitment's own are built from them (`events.event`); these are checked here.
    assert _names(ev.ActorRegistered) == _names(ev.ActorUpdated) == list(ACTOR_KEYS)
    assert _names(ev.SourceRegistered) == _names(ev.SourceUpdated) == list(SOURCE_KEYS)
    flagged = [f for f in _names(OverdueItem) if f != "due_start"]
    assert _names(ev.OverdueFlagged) == [*flagged, "flagged_on"]


def test_a_new_event_has_exactly_its_declared_payload() -> None:
    made = ev.event(ev.NoteAdded(source=None, quote=None, note="n"), MADE_ON)
    assert made == DomainEvent(ev.NOTE_ADDED, MADE_ON, {"source": None, "quote": None, "note": "n"})
    with pytest.raises(TypeError, match="not a declared event payload"):
        ev.event(FollowUpSpec("x", MADE_ON, "t"), MADE_ON)


def test_summaries_and_phrases_of_a_type_this_version_does_not_know() -> None:
    assert ev.summary("SomethingNew", {"note": "said so"}) == "said so"
    assert ev.summary("SomethingNew", {}) == ""
    assert ev.summary(ev.FOLLOW_UP_DONE, {"follow_up": "ask"}) == "ask done"
    with pytest.raises(ValueError, match="an entry of an unknown kind"):
        ev.history_entry(DomainEvent("SomethingNew", MADE_ON, {}))
    with pytest.raises(ValueError, match="the commitment being made has no place"):
        ev.history_entry(DomainEvent(ev.COMMITMENT_MADE, MADE_ON, {}))


# --- every commitment event, through a commitments file and back ----------------------


def _history() -> CommitmentState:
    """A commitment with a deadline, an open follow-up ``ask`` and a progress entry (#3)
    to retract."""
    commands = [
        MakeCommitment(
            "fentanyl-meeting", "Delegations meet", ("mx",), MADE_ON, due=parse_due("Feb 2024")
        ),
        ScheduleFollowUp(MADE_ON, FollowUpSpec("ask", date(2024, 3, 1), "Ask SRE")),
        RecordProgress(date(2024, 2, 1), note="dates set"),
    ]
    state: CommitmentState | None = None
    version = 0
    for command in commands:
        for e in decide(state, command):
            version += 1
            state = extend(state, dataclasses.replace(e, version=version, position=version))
    assert state is not None
    return state


def _evidence(note: str | None = "why") -> dict[str, Any]:
    return {"source": "efe-2024-02-20", "quote": "dijo", "note": note}


# One event of every type a commitments file holds, as ``decide`` records it after
# ``_history``. A type declared without an example here fails the test below.
SAMPLES = [
    ev.ProgressRecorded(**_evidence()),
    ev.StatusChanged(
        **_evidence(), status="superseded", previous="in_progress", superseded_by="other"
    ),
    ev.DeadlineChanged(
        **_evidence(),
        due={"start": "2024-03-01", "end": "2024-03-10", "label": "early March 2024"},
        previous=None,
    ),
    ev.DeadlineChanged(**_evidence(), due=None, previous=None),
    ev.NoteAdded(**_evidence()),
    ev.NoteAdded(source=None, quote=None, note="a desk note"),
    ev.FollowUpDone(**_evidence(None), follow_up="ask"),
    ev.FollowUpScheduled(id="call", due="2024-04-01", task="Call", owner="desk@example.org"),
    ev.EntryRetracted(entry=3, reason="another visit", recorded_on="2024-03-02"),
]


def test_every_history_form_has_an_example_and_a_reader() -> None:
    assert {type(s).__name__ for s in SAMPLES} == set(
        name for name, t in ev.TYPES.items() if t.history is not None
    )
    # A form without a reader could be exported but never imported or recorded.
    assert set(ENTRY_READERS) == set(ev.HISTORY_FORMS)


@pytest.mark.parametrize("payload", SAMPLES, ids=lambda p: type(p).__name__)
def test_every_declared_type_round_trips_through_its_history_form(payload: object) -> None:
    state = _history()
    on = date(2024, 2, 1) if isinstance(payload, ev.EntryRetracted) else LATER
    sample = ev.event(payload, on)
    entry = ev.history_entry(sample)
    problems: list[Problem] = []
    fields = Fields(entry, "history[0]", problems, HISTORY_KEYS)
    read = read_history(fields, [])
    assert problems == []
    assert read is not None
    (decided,) = decide(state, read.command)
    assert decided.type == sample.type
    assert ev.history_entry(decided) == entry
    if decided.type == ev.DEADLINE_CHANGED:  # its `previous` is the state's, not the file's
        assert decided.data["due"] == sample.data["due"]
    else:
        assert decided.data == sample.data
    extend(state, dataclasses.replace(decided, version=state.version + 1))


def test_evolve_has_a_branch_for_every_commitment_type(monkeypatch: pytest.MonkeyPatch) -> None:
    assert unhandled(COMMITMENT_TYPES) == []
    # A type declared for a commitment's stream but forgotten by evolve is caught.
    payload = dataclasses.make_dataclass("ReviewRequested", [], frozen=True)
    declared = ev.EventType(
        "ReviewRequested", payload, streams.COMMITMENT, "a review", None, str, False, False, None
    )
    monkeypatch.setitem(ev.TYPES, "ReviewRequested", declared)
    assert unhandled(ev.types_in(streams.COMMITMENT)) == ["ReviewRequested"]
