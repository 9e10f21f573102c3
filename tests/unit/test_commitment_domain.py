"""The commitment's rules, pure: decide, evolve, fold and extend without a database.

The properties at the end are the ones the rest of the system leans on: the inline
projection is built with ``extend`` one event at a time while a rebuild or an as-of
query folds the whole stream, so the two must agree for any history.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.domain import commitment
from tracker.domain import events as ev
from tracker.domain.commitment import (
    AddNote,
    ChangeDeadline,
    ChangeStatus,
    Command,
    CommitmentState,
    CompleteFollowUp,
    DomainError,
    FollowUpSpec,
    MakeCommitment,
    RecordProgress,
    RetractEntry,
    ScheduleFollowUp,
    decide,
    evolve,
    extend,
    fold,
    new_breaches,
    world_order,
)
from tracker.domain.deadlines import DueWindow, parse_due
from tracker.domain.events import DomainEvent
from tracker.domain.invariants import breaches
from tracker.domain.statuses import TERMINAL, VERDICTS, Status, parse_status

MADE_ON = date(2024, 1, 19)
EARLY_FEB = parse_due("early February 2024")


def day(text: str) -> date:
    return date.fromisoformat(text)


def make(**overrides: object) -> MakeCommitment:
    fields: dict[str, object] = {
        "id": "fentanyl-meeting",
        "title": "Delegations meet on fentanyl",
        "made_by": ("mx", "us"),
        "made_on": MADE_ON,
        "due": EARLY_FEB,
        "source": "efe-2024-01-20",
        "quote": "Both committees will meet again in early February",
    }
    fields.update(overrides)
    return MakeCommitment(**fields)  # type: ignore[arg-type]


# The day the tests' streams are recorded on: after every day they use, as in real use.
RECORDED_ON = date(2026, 11, 30)


class Stream:
    """A stream as the store would keep it: every event numbered and positioned.

    Commands are decided as the application decides them, with today's date.
    """

    def __init__(self, today: date | None = RECORDED_ON) -> None:
        self.today = today  # None: as an older version, which checked no days, recorded
        self.events: list[DomainEvent] = []
        self.state: CommitmentState | None = None

    def run(self, command: Command) -> list[DomainEvent]:
        new = []
        for event in decide(self.state, command, today=self.today):
            n = len(self.events) + 1
            stored = dataclasses.replace(event, version=n, position=n)
            self.events.append(stored)
            self.state = extend(self.state, stored)
            new.append(stored)
        return new

    @property
    def s(self) -> CommitmentState:
        assert self.state is not None
        return self.state


def _stored(state: CommitmentState) -> CommitmentState:
    """What the projection keeps of a folded state: every field but its history, which
    only a FoldedCommitment has (see test_state_shapes.py)."""
    return CommitmentState(
        **{f.name: getattr(state, f.name) for f in dataclasses.fields(CommitmentState)}
    )


def stream(*commands: Command) -> Stream:
    out = Stream()
    for command in (make(), *commands):
        out.run(command)
    return out


# --- making a commitment -------------------------------------------------------------


def test_making_a_commitment_records_its_fields_and_follow_ups() -> None:
    spec = FollowUpSpec("check-meeting", day("2024-02-15"), "Did they meet?", "desk@example.org")
    events = decide(None, make(follow_ups=(spec,), tags=("fentanyl",), made_to=("ca",)))
    assert [e.type for e in events] == [ev.COMMITMENT_MADE, ev.FOLLOW_UP_SCHEDULED]
    assert all(e.on == MADE_ON for e in events)
    state = fold(dataclasses.replace(e, version=i) for i, e in enumerate(events, 1))
    assert state is not None
    assert (state.id, state.status, state.status_on) == (
        "fentanyl-meeting",
        Status.PLEDGED,
        MADE_ON,
    )
    assert state.made_by == ["mx", "us"] and state.made_to == ["ca"] and state.tags == ["fentanyl"]
    assert state.due == EARLY_FEB
    assert state.sources == ["efe-2024-01-20"]
    assert state.last_evidence_on == MADE_ON
    assert state.follow_ups["check-meeting"].due == day("2024-02-15")
    assert [f.id for f in state.open_follow_ups()] == ["check-meeting"]
    assert state.version == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"id": "Not A Slug"}, "not a slug"),
        ({"id": "double--hyphen"}, "not a slug"),
        ({"title": "   "}, "needs a title"),
        ({"made_by": ()}, "at least one actor"),
        ({"source": None}, "quote needs the source"),
        (
            {"follow_ups": (FollowUpSpec("a", MADE_ON, "x"), FollowUpSpec("a", MADE_ON, "y"))},
            "already exists",
        ),
        ({"follow_ups": (FollowUpSpec("a", MADE_ON, "  "),)}, "needs a task"),
    ],
)
def test_a_bad_commitment_is_refused_with_the_rule_it_breaks(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        decide(None, make(**overrides))


def test_a_commitment_is_made_once() -> None:
    with pytest.raises(DomainError, match="already exists"):
        decide(stream().s, make())


def test_nothing_can_be_recorded_about_a_commitment_not_made() -> None:
    with pytest.raises(DomainError, match="make it first"):
        decide(None, AddNote(MADE_ON, "hello"))


def test_an_entry_cannot_predate_the_commitment() -> None:
    with pytest.raises(DomainError, match="before the commitment was made"):
        decide(stream().s, AddNote(day("2024-01-18"), "too early"))


# --- statuses ------------------------------------------------------------------------


def test_the_eight_statuses_and_which_are_final() -> None:
    assert [s.value for s in Status] == [
        "pledged",
        "in_progress",
        "stalled",
        "fulfilled",
        "partially_fulfilled",
        "broken",
        "withdrawn",
        "superseded",
    ]
    assert {s for s in Status if s.terminal} == TERMINAL
    assert {s for s in Status if s.needs_source} == VERDICTS
    assert VERDICTS < TERMINAL and Status.WITHDRAWN not in VERDICTS


@pytest.mark.parametrize("text", ["In Progress", "in-progress", " IN_PROGRESS "])
def test_parse_status_accepts_what_people_type(text: str) -> None:
    assert parse_status(text) is Status.IN_PROGRESS


def test_parse_status_lists_the_allowed_values() -> None:
    with pytest.raises(ValueError, match="pledged, in_progress, stalled"):
        parse_status("done")


@pytest.mark.parametrize("verdict", sorted(VERDICTS))
def test_a_verdict_needs_a_source(verdict: Status) -> None:
    s = stream()
    with pytest.raises(DomainError, match="verdict and needs a source"):
        s.run(ChangeStatus(day("2024-02-05"), verdict, note="we think so"))
    s.run(ChangeStatus(day("2024-02-05"), verdict, source="efe-2024-02-05"))
    assert s.s.status is verdict and s.s.terminal
    assert s.s.status_on == day("2024-02-05")
    assert "efe-2024-02-05" in s.s.sources


def test_withdrawn_is_final_but_needs_no_source() -> None:
    s = stream(ChangeStatus(day("2024-02-01"), Status.WITHDRAWN, note="called off"))
    assert s.s.status is Status.WITHDRAWN and s.s.terminal


def test_setting_the_same_status_again_is_refused() -> None:
    with pytest.raises(DomainError, match="already pledged"):
        decide(stream().s, ChangeStatus(day("2024-01-20"), Status.PLEDGED))


@pytest.mark.parametrize("start", [Status.PLEDGED, Status.STALLED])
def test_progress_moves_pledged_and_stalled_to_in_progress(start: Status) -> None:
    commands: list[Command] = []
    if start is Status.STALLED:
        commands.append(ChangeStatus(day("2024-01-20"), Status.STALLED, note="no dates"))
    s = stream(*commands, RecordProgress(day("2024-01-25"), note="dates set"))
    assert s.s.status is Status.IN_PROGRESS
    assert s.s.status_on == day("2024-01-25")


def test_progress_on_an_in_progress_commitment_is_evidence_only() -> None:
    s = stream(RecordProgress(day("2024-01-22"), note="first"))
    s.run(RecordProgress(day("2024-01-25"), source="cnn", quote="avanzan"))
    assert s.s.status is Status.IN_PROGRESS
    assert s.s.status_on == day("2024-01-22")
    assert s.s.last_evidence_on == day("2024-01-25")
    assert s.s.sources == ["efe-2024-01-20", "cnn"]


def test_progress_needs_a_source_or_a_note() -> None:
    with pytest.raises(DomainError, match="needs a source or a note"):
        decide(stream().s, RecordProgress(day("2024-01-22")))


FINAL = ChangeStatus(day("2024-02-05"), Status.FULFILLED, source="efe-2024-02-05")


@pytest.mark.parametrize(
    "command",
    [
        RecordProgress(day("2024-02-06"), note="more"),
        ChangeDeadline(day("2024-02-06"), None, note="moot"),
        ScheduleFollowUp(day("2024-02-06"), FollowUpSpec("later", day("2024-03-01"), "check")),
    ],
    ids=["progress", "deadline", "follow-up"],
)
def test_nothing_but_a_reopen_note_or_retraction_follows_a_final_status(command: Command) -> None:
    with pytest.raises(DomainError) as refused:
        decide(stream(FINAL).s, command)
    assert str(refused.value) == (
        "fentanyl-meeting is already fulfilled; reopen it (`tracker record "
        "fentanyl-meeting status in_progress --note …`) or date the entry before 2024-02-05"
    )


def test_a_note_may_follow_a_final_status() -> None:
    s = stream(FINAL, AddNote(day("2024-02-07"), "photos published"))
    assert s.s.status is Status.FULFILLED


def test_a_follow_up_cannot_be_marked_done_after_a_final_status() -> None:
    spec = FollowUpSpec("check", day("2024-02-15"), "Did they meet?")
    s = Stream()
    s.run(make(follow_ups=(spec,)))
    s.run(FINAL)
    with pytest.raises(DomainError, match="is already fulfilled; reopen it"):
        s.run(CompleteFollowUp(day("2024-02-16"), "check"))


def test_late_evidence_about_a_day_before_the_verdict_is_welcome() -> None:
    s = stream(FINAL, RecordProgress(day("2024-02-03"), note="preparations"))
    assert s.s.status is Status.FULFILLED
    assert [e.type for e in s.s.history][-2:] == [ev.PROGRESS_RECORDED, ev.STATUS_CHANGED]


def test_a_verdict_dated_before_later_evidence_is_refused() -> None:
    s = stream(RecordProgress(day("2024-02-10"), note="talks go on"))
    then = r"entry #2 \(progress on 2024-02-10\) would then follow the final status fulfilled"
    with pytest.raises(DomainError, match=then + r" \(2024-02-05\)"):
        s.run(FINAL)


def test_retracting_a_reopen_that_later_entries_rely_on_is_refused() -> None:
    s = stream(FINAL)
    s.run(ChangeStatus(day("2024-02-06"), Status.IN_PROGRESS, note="only a first round"))
    s.run(RecordProgress(day("2024-02-08"), note="second round"))
    with pytest.raises(DomainError, match=r"entry #4 .* follow the final status fulfilled"):
        s.run(RetractEntry(day("2024-02-09"), 3, "it was complete"))


def test_reopening_a_final_status_needs_a_reason() -> None:
    s = stream(FINAL)
    with pytest.raises(DomainError, match="needs a note saying why"):
        s.run(ChangeStatus(day("2024-02-08"), Status.IN_PROGRESS))
    with pytest.raises(DomainError, match="needs a note saying why"):
        s.run(ChangeStatus(day("2024-02-08"), Status.IN_PROGRESS, note="   "))
    s.run(ChangeStatus(day("2024-02-08"), Status.IN_PROGRESS, note="the meeting was postponed"))
    assert s.s.status is Status.IN_PROGRESS and not s.s.terminal
    s.run(RecordProgress(day("2024-02-09"), note="new dates"))  # open again


def test_supersession_names_the_replacing_commitment() -> None:
    s = stream()
    with pytest.raises(DomainError, match="needs superseded_by"):
        s.run(ChangeStatus(day("2024-02-01"), Status.SUPERSEDED))
    with pytest.raises(DomainError, match="cannot supersede itself"):
        s.run(ChangeStatus(day("2024-02-01"), Status.SUPERSEDED, superseded_by="fentanyl-meeting"))
    with pytest.raises(DomainError, match="not a slug"):
        s.run(ChangeStatus(day("2024-02-01"), Status.SUPERSEDED, superseded_by="Other One"))
    with pytest.raises(DomainError, match="only goes with status superseded"):
        s.run(ChangeStatus(day("2024-02-01"), Status.STALLED, superseded_by="other"))
    [event] = s.run(ChangeStatus(day("2024-02-01"), Status.SUPERSEDED, superseded_by="march-mtg"))
    assert event.data["previous"] == "pledged" and event.data["superseded_by"] == "march-mtg"
    assert s.s.status is Status.SUPERSEDED and s.s.superseded_by == "march-mtg"
    assert not s.s.is_overdue(day("2024-12-31"))
    s.run(ChangeStatus(day("2024-02-02"), Status.IN_PROGRESS, note="the new plan fell through"))
    assert s.s.superseded_by is None


# --- deadlines, notes, follow-ups ---------------------------------------------------


def test_a_deadline_change_needs_a_reason_and_a_different_deadline() -> None:
    s = stream()
    late_feb = parse_due("late February 2024")
    with pytest.raises(DomainError, match="needs a note"):
        s.run(ChangeDeadline(day("2024-01-30"), late_feb, note=" "))
    with pytest.raises(DomainError, match="already has that deadline"):
        s.run(ChangeDeadline(day("2024-01-30"), EARLY_FEB, note="same"))
    [event] = s.run(ChangeDeadline(day("2024-01-30"), late_feb, note="postponed"))
    assert event.data["previous"] == EARLY_FEB.to_dict()  # type: ignore[union-attr]
    assert s.s.due == late_feb
    assert not s.s.is_overdue(day("2024-02-11"))
    assert s.s.is_overdue(day("2024-03-01"))
    s.run(ChangeDeadline(day("2024-02-01"), None, note="no date any more"))
    assert s.s.due is None and not s.s.is_overdue(day("2030-01-01"))


def test_an_empty_note_is_refused_and_a_sourceless_note_is_not_evidence() -> None:
    s = stream()
    with pytest.raises(DomainError, match="cannot be empty"):
        s.run(AddNote(day("2024-01-20"), "  "))
    s.run(AddNote(day("2024-01-25"), "hearsay"))
    assert s.s.last_evidence_on == MADE_ON
    s.run(AddNote(day("2024-01-26"), "reported", source="cnn"))
    assert s.s.last_evidence_on == day("2024-01-26") and "cnn" in s.s.sources


def test_follow_ups_are_scheduled_done_once_and_flagged_when_late() -> None:
    s = stream()
    spec = FollowUpSpec("ask-sre", day("2024-02-15"), "Ask SRE", "desk@example.org")
    s.run(ScheduleFollowUp(day("2024-01-25"), spec))
    with pytest.raises(DomainError, match="already exists"):
        s.run(ScheduleFollowUp(day("2024-01-26"), spec))
    with pytest.raises(DomainError, match="not a slug"):
        s.run(ScheduleFollowUp(day("2024-01-26"), FollowUpSpec("Bad Id", MADE_ON, "x")))
    assert s.s.overdue_follow_ups(day("2024-02-15")) == []
    assert [f.id for f in s.s.overdue_follow_ups(day("2024-02-16"))] == ["ask-sre"]
    with pytest.raises(DomainError, match=r"no follow-up 'nope' \(it has: ask-sre\)"):
        s.run(CompleteFollowUp(day("2024-02-16"), "nope"))
    s.run(CompleteFollowUp(day("2024-02-16"), "ask-sre", note="they met"))
    assert s.s.follow_ups["ask-sre"].done_on == day("2024-02-16")
    assert s.s.open_follow_ups() == [] and s.s.overdue_follow_ups(day("2024-03-01")) == []
    with pytest.raises(DomainError, match="already done on 2024-02-16"):
        s.run(CompleteFollowUp(day("2024-02-17"), "ask-sre"))


def test_a_final_commitment_has_no_open_follow_ups() -> None:
    spec = FollowUpSpec("check", day("2024-02-15"), "Did they meet?")
    s = Stream()
    s.run(make(follow_ups=(spec,)))
    s.run(FINAL)
    assert s.s.open_follow_ups() == [] and s.s.overdue_follow_ups(day("2025-01-01")) == []


# --- overdue ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "overdue"),
    [("2024-01-25", False), ("2024-02-05", False), ("2024-02-10", False), ("2024-02-11", True)],
)
def test_overdue_means_past_the_windows_end_and_still_open(on: str, overdue: bool) -> None:
    s = stream()
    assert s.s.is_overdue(day(on)) is overdue
    assert EARLY_FEB is not None and EARLY_FEB.days_late(day(on)) == (1 if overdue else 0)


def test_a_final_or_undated_commitment_is_never_overdue() -> None:
    assert not stream(FINAL).s.is_overdue(day("2030-01-01"))
    assert not stream(ChangeStatus(day("2024-02-01"), Status.WITHDRAWN, note="x")).s.is_overdue(
        day("2030-01-01")
    )
    undated = Stream()
    undated.run(make(due=None))
    assert not undated.s.is_overdue(day("2030-01-01"))


def test_overdue_is_derived_never_a_status() -> None:
    assert "overdue" not in {s.value for s in Status}
    assert "overdue" not in stream().s.to_dict()


# --- retractions --------------------------------------------------------------------


def test_retracting_a_mistaken_status_restores_the_state_without_it() -> None:
    s = stream(
        RecordProgress(day("2024-01-22"), note="dates set"),
        ChangeStatus(day("2024-02-05"), Status.BROKEN, source="wrong-article"),
    )
    assert s.s.status is Status.BROKEN
    [event] = s.run(RetractEntry(day("2024-02-20"), 3, "the article was about another meeting"))
    # Dated like the entry it retracts, so no as-of view shows the mistake alone.
    assert event.type == ev.ENTRY_RETRACTED and event.on == day("2024-02-05")
    assert event.data == {
        "entry": 3,
        "reason": "the article was about another meeting",
        "recorded_on": "2024-02-20",
    }
    assert s.s.status is Status.IN_PROGRESS and s.s.status_on == day("2024-01-22")
    assert s.s.retracted == {3}
    assert "wrong-article" not in s.s.sources
    assert s.s.version == 4
    assert [e.version for e in s.s.history] == [1, 2, 3, 4]  # kept, marked retracted
    assert s.s.is_overdue(day("2024-02-11"))


def test_retracting_a_deadline_change_brings_the_old_deadline_back() -> None:
    s = stream(ChangeDeadline(day("2024-01-30"), parse_due("2024-Q2"), note="typo"))
    s.run(RetractEntry(day("2024-01-31"), 2, "wrong commitment"))
    assert s.s.due == EARLY_FEB
    s.run(ChangeDeadline(day("2024-02-01"), parse_due("late February 2024"), note="right one"))
    assert s.s.due is not None and s.s.due.label == "late February 2024"


def test_later_entries_survive_a_retraction() -> None:
    s = stream(
        AddNote(day("2024-01-20"), "mistake"),
        RecordProgress(day("2024-01-25"), note="real"),
        RetractEntry(day("2024-01-26"), 2, "wrong"),
    )
    assert s.s.status is Status.IN_PROGRESS and s.s.retracted == {2}


@pytest.mark.parametrize(
    ("entry", "reason", "message"),
    [
        (2, " ", "needs a reason"),
        (9, "x", "has no entry #9"),
        (1, "x", "commitment itself cannot be retracted"),
        (3, "x", "is itself a retraction"),
        (2, "x", "already retracted"),
    ],
)
def test_what_cannot_be_retracted(entry: int, reason: str, message: str) -> None:
    s = stream(AddNote(day("2024-01-20"), "oops"), RetractEntry(day("2024-01-21"), 2, "oops"))
    with pytest.raises(DomainError, match=message):
        s.run(RetractEntry(day("2024-01-22"), entry, reason))


# --- the world's order ---------------------------------------------------------------


def test_late_evidence_about_an_earlier_day_lands_in_place() -> None:
    s = stream(ChangeStatus(day("2024-02-10"), Status.STALLED, note="talks frozen"))
    # Recorded afterwards, but it happened before the stall.
    s.run(RecordProgress(day("2024-02-01"), source="cnn", note="a date was set"))
    assert s.s.status is Status.STALLED and s.s.status_on == day("2024-02-10")
    assert [e.version for e in s.s.history] == [1, 3, 2]
    assert s.s.last_evidence_on == day("2024-02-10")
    # Applied in recorded order it would say in_progress; evolve, like the fold, does not.
    evolved = None
    for event in s.events:
        evolved = evolve(evolved, event)
    assert evolved is not None and evolved.status is Status.STALLED
    assert [e.version for e in evolved.history] == [1, 3, 2]


def test_world_order_is_day_then_position_with_unstored_events_last() -> None:
    a = DomainEvent(ev.NOTE_ADDED, day("2024-02-01"), {}, 5, 50)
    b = DomainEvent(ev.NOTE_ADDED, day("2024-01-01"), {}, 6, 60)
    c = DomainEvent(ev.NOTE_ADDED, day("2024-01-01"), {}, 7, 0)
    d = DomainEvent(ev.NOTE_ADDED, day("2024-01-01"), {}, 4, 40)
    assert world_order([a, b, c, d]) == [d, b, c, a]


def test_fold_of_nothing_is_none_and_a_stream_must_start_with_its_making() -> None:
    assert fold([]) is None
    with pytest.raises(DomainError):
        fold([DomainEvent(ev.NOTE_ADDED, MADE_ON, {"note": "x"}, 1, 1)])
    with pytest.raises(DomainError, match="before the commitment was made"):
        evolve(None, DomainEvent(ev.NOTE_ADDED, MADE_ON, {"note": "x"}, 1, 1))


def test_an_entry_dated_before_the_commitment_still_folds_with_the_commitment_first() -> None:
    s = stream()
    early = DomainEvent(ev.NOTE_ADDED, day("2023-12-01"), {"note": "hand-edited"}, 2, 2)
    state = fold([*s.events, early])
    assert state is not None and state.id == "fentanyl-meeting"
    assert [e.version for e in state.history] == [1, 2]


def test_evolve_leaves_the_state_it_is_given_alone() -> None:
    s = stream()
    before = s.s.to_dict()
    event = DomainEvent(ev.STATUS_CHANGED, day("2024-02-01"), {"status": "stalled"}, 2, 2)
    after = evolve(s.s, event)
    assert after.status is Status.STALLED
    assert s.s.to_dict() == before and len(s.s.history) == 1


def test_state_survives_a_trip_through_json() -> None:
    spec = FollowUpSpec("ask", day("2024-02-15"), "Ask", "desk@example.org")
    s = Stream()
    s.run(make(follow_ups=(spec,), made_to=("ca",), occasion="Washington", owner="a@b.org"))
    s.run(AddNote(day("2024-01-20"), "oops", source="cnn"))
    s.run(RetractEntry(day("2024-01-21"), 3, "oops"))
    s.run(CompleteFollowUp(day("2024-02-16"), "ask"))
    s.run(ChangeStatus(day("2024-02-20"), Status.SUPERSEDED, superseded_by="other"))
    text = json.dumps(s.s.to_dict())
    restored = CommitmentState.from_dict(json.loads(text))
    assert restored == _stored(s.s)
    assert restored.to_dict() == s.s.to_dict()


# --- properties -----------------------------------------------------------------------

STATUS_VALUES = list(Status)
SOURCES = [None, "efe", "cnn"]
NOTES = [None, "why", " "]


@st.composite
def window(draw: st.DrawFn) -> DueWindow | None:
    if draw(st.booleans()):
        return None
    start = MADE_ON + timedelta(days=draw(st.integers(0, 60)))
    end = start + timedelta(days=draw(st.integers(0, 30)))
    return DueWindow(start, end, f"{start}/{end}")


@st.composite
def command(draw: st.DrawFn, state: CommitmentState, on: date) -> Command:
    """Any command, valid or not: decide sorts them out, as it does for users."""
    kind = draw(st.integers(0, 6))
    source, note = draw(st.sampled_from(SOURCES)), draw(st.sampled_from(NOTES))
    if kind == 0:
        return RecordProgress(on, source, "q" if source else None, note)
    if kind == 1:
        target = draw(st.sampled_from(STATUS_VALUES))
        by = draw(st.sampled_from([None, "other-one"]))
        return ChangeStatus(on, target, source, None, note, by)
    if kind == 2:
        return ChangeDeadline(on, draw(window()), note or "", source)
    if kind == 3:
        return AddNote(on, note or "", source)
    if kind == 4:
        fid = draw(st.sampled_from(["f1", "f2", "f3"]))
        due = on + timedelta(days=draw(st.integers(0, 30)))
        return ScheduleFollowUp(on, FollowUpSpec(fid, due, "check", None))
    if kind == 5:
        return CompleteFollowUp(on, draw(st.sampled_from(["f1", "f2", "f3"])), note, source)
    return RetractEntry(on, draw(st.integers(1, max(1, state.version + 1))), note or "")


@st.composite
def history(draw: st.DrawFn, in_date_order: bool) -> list[DomainEvent]:
    """The events of a random, valid history, numbered as the store would number them.

    With ``in_date_order`` every command is dated on or after the previous one; without
    it dates jump back and forth, as late evidence does.
    """
    s = Stream()
    s.run(make(due=draw(window())))
    on = MADE_ON
    for _ in range(draw(st.integers(0, 14))):
        step = draw(st.integers(0, 6)) if in_date_order else draw(st.integers(-20, 20))
        on = max(MADE_ON, on + timedelta(days=step))
        try:
            s.run(draw(command(s.s, on)))
        except DomainError:
            continue
    return s.events


def evolve_each(events: Sequence[DomainEvent]) -> CommitmentState | None:
    state = None
    for event in events:
        state = evolve(state, event)
    return state


def extend_each(events: Sequence[DomainEvent]) -> CommitmentState | None:
    state = None
    for event in events:
        state = extend(state, event)
    return state


def summary(state: CommitmentState | None) -> dict[str, object]:
    assert state is not None
    return state.to_dict()


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(history(in_date_order=True))
def test_fold_equals_evolving_one_event_at_a_time(events: list[DomainEvent]) -> None:
    assert summary(fold(events)) == summary(evolve_each(events))


@PROPERTY
@given(history(in_date_order=False))
def test_extend_equals_fold_whatever_order_the_evidence_arrives_in(
    events: list[DomainEvent],
) -> None:
    folded = fold(events)
    assert summary(extend_each(events)) == summary(folded)
    assert folded is not None
    assert [e.version for e in folded.history] == [e.version for e in world_order(events)]


@PROPERTY
@given(history(in_date_order=False), st.randoms(use_true_random=False))
def test_fold_does_not_depend_on_the_order_events_are_read_in(
    events: list[DomainEvent], rnd: object
) -> None:
    shuffled = list(events)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert summary(fold(shuffled)) == summary(fold(events))


@PROPERTY
@given(history(in_date_order=False))
def test_state_round_trips_through_its_dict(events: list[DomainEvent]) -> None:
    state = fold(events)
    assert state is not None
    restored = CommitmentState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == _stored(state)


@PROPERTY
@given(history(in_date_order=False), st.integers(-30, 120))
def test_overdue_is_past_the_window_and_open(events: list[DomainEvent], offset: int) -> None:
    state = fold(events)
    assert state is not None
    on = MADE_ON + timedelta(days=offset)
    expected = state.due is not None and on > state.due.end and not state.status.terminal
    assert state.is_overdue(on) is expected
    if expected:  # once overdue, overdue on every later day
        assert state.is_overdue(on + timedelta(days=365))


@PROPERTY
@given(history(in_date_order=True))
def test_every_recorded_verdict_carries_a_source(events: list[DomainEvent]) -> None:
    for event in events:
        if event.type == ev.STATUS_CHANGED and Status(event.data["status"]).needs_source:
            assert event.data["source"]
        if event.type == ev.STATUS_CHANGED and Status(event.data["previous"]).terminal:
            assert (event.data["note"] or "").strip()  # reopening said why


@PROPERTY
@given(history(in_date_order=False), st.data())
def test_judging_only_new_entries_agrees_with_rejudging_the_whole_stream(
    events: list[DomainEvent], data: st.DataObject
) -> None:
    state = fold(events)
    assert state is not None
    on = MADE_ON + timedelta(days=data.draw(st.integers(0, 120)))
    try:
        new = commitment._decide(state, data.draw(command(state, on)))
    except DomainError:
        return
    known = {(b.event.version, b.problem) for b in breaches(state.history)}
    rejudged = [
        b
        for b in breaches([*state.history, *new])
        if not (b.event.version and (b.event.version, b.problem) in known)
    ]
    assert new_breaches(state, new) == rejudged


# --- days: nothing recorded in the future, nothing before the span kept ---------------

TODAY = day("2024-03-01")
TOMORROW, DAY_AFTER = TODAY + timedelta(days=1), TODAY + timedelta(days=2)
FUTURE = f"{DAY_AFTER.isoformat()} is in the future \\(today is {TODAY.isoformat()} in UTC\\)"


def every_dated_command(on: date) -> list[Command]:
    """One command of each kind dated ``on``, each valid against ``with_follow_up()``."""
    return [
        RecordProgress(on, note="met"),
        ChangeStatus(on, Status.STALLED, note="no dates"),
        ChangeDeadline(on, parse_due("late February 2024"), note="postponed"),
        AddNote(on, "heard"),
        ScheduleFollowUp(on, FollowUpSpec("later", day("2024-04-01"), "check")),
        CompleteFollowUp(on, "check"),
        RetractEntry(on, 2, "wrong"),
    ]


def with_follow_up() -> Stream:
    return stream(ScheduleFollowUp(day("2024-01-25"), FollowUpSpec("check", MADE_ON, "ask")))


@pytest.mark.parametrize("command", every_dated_command(DAY_AFTER), ids=lambda c: type(c).__name__)
def test_no_entry_is_dated_after_tomorrow(command: Command) -> None:
    s = with_follow_up()
    with pytest.raises(commitment.DayRefused, match=FUTURE) as refused:
        decide(s.s, command, today=TODAY)
    assert refused.value.key == "on"
    # A day of slack for time zones ahead of UTC, where tomorrow has begun.
    s.run(dataclasses.replace(command, on=TOMORROW))  # type: ignore[type-var]
    assert s.s.version == 3


def test_no_entry_is_refused_for_its_date_without_today() -> None:
    """The log's own entries (from older data) are judged without a clock."""
    for command in every_dated_command(day("2099-01-01")):
        decide(with_follow_up().s, command)


def test_a_commitment_cannot_be_made_in_the_future_but_its_deadlines_may_lie_ahead() -> None:
    with pytest.raises(commitment.DayRefused, match=FUTURE) as refused:
        decide(None, make(made_on=DAY_AFTER), today=TODAY)
    assert refused.value.key == "made_on"
    ahead = FollowUpSpec("check", day("2030-01-01"), "ask")
    made = decide(None, make(due=parse_due("2031"), follow_ups=(ahead,)), today=TODAY)
    assert [e.on for e in made] == [MADE_ON, MADE_ON]
    s = stream()
    s.run(ChangeDeadline(TODAY, parse_due("Q1 2030"), note="postponed for years"))
    decide(s.s, ScheduleFollowUp(TODAY, FollowUpSpec("far", day("2035-05-05"), "ask")), today=TODAY)


def test_a_day_before_1900_is_refused_as_a_likely_typo() -> None:
    with pytest.raises(commitment.DayRefused, match="0224-01-19 is before 1900-01-01") as refused:
        decide(None, make(made_on=day("0224-01-19")), today=TODAY)
    assert refused.value.key == "made_on"
    s = Stream()
    s.run(make(made_on=day("1900-01-01")))
    with pytest.raises(DomainError, match="1899-12-31 is before 1900-01-01"):
        decide(s.s, AddNote(day("1899-12-31"), "x"), today=TODAY)


def test_a_mistaken_future_entry_from_older_data_can_still_be_retracted() -> None:
    s = Stream(today=None)  # recorded before the check
    s.run(make())
    s.run(AddNote(day("2099-01-01"), "a typo for 2024"))
    (retraction,) = decide(s.s, RetractEntry(TODAY, 2, "wrong year"), today=TODAY)
    assert (retraction.on, retraction.data["recorded_on"]) == (day("2099-01-01"), str(TODAY))


# --- a follow-up is done after it was scheduled ----------------------------------------


def test_a_follow_up_cannot_be_done_before_it_was_scheduled() -> None:
    s = with_follow_up()  # scheduled on 2024-01-25
    with pytest.raises(
        DomainError,
        match=r"follow-up 'check' cannot be done on 2024-01-24, before it was scheduled "
        r"\(2024-01-25\)",
    ):
        s.run(CompleteFollowUp(day("2024-01-24"), "check"))
    s.run(CompleteFollowUp(day("2024-01-25"), "check"))  # the same day is fine
    assert s.s.follow_ups["check"].done_on == day("2024-01-25")


def test_a_follow_up_scheduled_again_after_a_retraction_is_judged_by_the_new_date() -> None:
    s = with_follow_up()  # entry #2 schedules it on 2024-01-25
    s.run(RetractEntry(day("2024-01-26"), 2, "wrong task"))
    s.run(ScheduleFollowUp(day("2024-02-01"), FollowUpSpec("check", MADE_ON, "ask")))
    with pytest.raises(DomainError, match=r"before it was scheduled \(2024-02-01\)"):
        s.run(CompleteFollowUp(day("2024-01-30"), "check"))
    s.run(CompleteFollowUp(day("2024-02-02"), "check"))


def test_a_follow_up_made_with_the_commitment_was_scheduled_on_its_day() -> None:
    s = Stream()
    s.run(make(follow_ups=(FollowUpSpec("check", day("2024-02-15"), "ask"),)))
    s.run(CompleteFollowUp(MADE_ON, "check"))
    assert s.s.follow_ups["check"].done_on == MADE_ON


# --- naming the commitment ------------------------------------------------------------


def test_a_command_for_a_commitment_never_made_can_be_named_by_the_caller() -> None:
    with pytest.raises(commitment.NoSuchCommitment) as refused:
        decide(None, AddNote(MADE_ON, "hello"))
    assert str(refused.value) == "no such commitment: make it first"
    named = refused.value.naming("darien-visit")
    assert str(named) == "no such commitment 'darien-visit': make it first"
    assert named.naming("other") is named and isinstance(named, DomainError)


@PROPERTY
@given(history(in_date_order=False), st.data())
def test_decide_with_today_records_nothing_after_tomorrow(
    events: list[DomainEvent], data: st.DataObject
) -> None:
    state = fold(events)
    assert state is not None
    today = MADE_ON + timedelta(days=data.draw(st.integers(0, 60)))
    on = MADE_ON + timedelta(days=data.draw(st.integers(0, 90)))
    cmd = data.draw(command(state, on))
    try:
        new = decide(state, cmd, today=today)
    except DomainError:
        return
    assert on <= today + timedelta(days=1)
    assert all(e.on <= today + timedelta(days=1) for e in new if e.type != ev.ENTRY_RETRACTED)


@PROPERTY
@given(history(in_date_order=False))
def test_no_follow_up_is_done_before_it_was_scheduled(events: list[DomainEvent]) -> None:
    scheduled: dict[str, list[date]] = {}
    for e in events:
        if e.type == ev.FOLLOW_UP_SCHEDULED:
            scheduled.setdefault(e.data["id"], []).append(e.on)
    for e in events:
        if e.type == ev.FOLLOW_UP_DONE:
            assert any(on <= e.on for on in scheduled[e.data["follow_up"]])
