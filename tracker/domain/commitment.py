"""A commitment's life: commands, ``decide`` and ``evolve``.

Pure code: no database, no click. ``decide(state, command)`` checks a command
against the current state and returns the events that record it, or raises
:class:`DomainError` saying why not. ``evolve(state, event)`` returns the state after
one event; :func:`fold` replays a stream in the order the world saw it (the day it
happened, then the order it was recorded), so evidence entered late about an earlier
day lands in place.

A retraction cannot be folded forward (it undoes an earlier entry), so a state keeps
the events it was folded from and a retraction refolds them without the retracted one.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from tracker.domain import days
from tracker.domain import events as ev
from tracker.domain.deadlines import DueWindow
from tracker.domain.events import DomainEvent, world_key, world_order
from tracker.domain.invariants import Breach, breaches
from tracker.domain.statuses import PROGRESS_MOVES, Status, parse_status

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")


class DomainError(ValueError):
    """A command that the commitment's rules refuse; the message says which rule."""


class DayRefused(DomainError):
    """A command dated on a day that cannot be: in the future, or before the span kept.

    ``key`` names the command's date field (``made_on`` or ``on``), so that a file's
    problem can point at the line that holds the date.
    """

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


class NoSuchCommitment(DomainError):
    """A command for a commitment that was never made.

    ``decide`` sees only a missing state, not the id the caller asked for; callers that
    know it raise this again with the id (:meth:`naming`).
    """

    def __init__(self, commitment_id: str | None = None) -> None:
        name = f" {commitment_id!r}" if commitment_id else ""
        super().__init__(f"no such commitment{name}: make it first")
        self.commitment_id = commitment_id

    def naming(self, commitment_id: str) -> NoSuchCommitment:
        return self if self.commitment_id else NoSuchCommitment(commitment_id)


def check_slug(value: str, what: str = "id") -> str:
    if not SLUG.match(value or ""):
        raise DomainError(
            f"{what} {value!r} is not a slug: use lowercase letters, digits and single hyphens"
        )
    return value


# --- commands ----------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpSpec:
    id: str
    due: date
    task: str
    owner: str | None = None


@dataclass(frozen=True)
class MakeCommitment:
    id: str
    title: str
    made_by: tuple[str, ...]
    made_on: date
    made_to: tuple[str, ...] = ()
    occasion: str | None = None
    due: DueWindow | None = None
    tags: tuple[str, ...] = ()
    owner: str | None = None
    source: str | None = None
    quote: str | None = None
    follow_ups: tuple[FollowUpSpec, ...] = ()


@dataclass(frozen=True)
class RecordProgress:
    on: date
    source: str | None = None
    quote: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class ChangeStatus:
    on: date
    status: Status
    source: str | None = None
    quote: str | None = None
    note: str | None = None
    superseded_by: str | None = None


@dataclass(frozen=True)
class ChangeDeadline:
    on: date
    due: DueWindow | None
    note: str
    source: str | None = None
    quote: str | None = None


@dataclass(frozen=True)
class AddNote:
    on: date
    note: str
    source: str | None = None
    quote: str | None = None


@dataclass(frozen=True)
class ScheduleFollowUp:
    on: date
    follow_up: FollowUpSpec


@dataclass(frozen=True)
class CompleteFollowUp:
    on: date
    follow_up_id: str
    note: str | None = None
    source: str | None = None
    quote: str | None = None


@dataclass(frozen=True)
class RetractEntry:
    on: date
    entry: int
    reason: str


Command = (
    MakeCommitment
    | RecordProgress
    | ChangeStatus
    | ChangeDeadline
    | AddNote
    | ScheduleFollowUp
    | CompleteFollowUp
    | RetractEntry
)


# --- commands from a commitments file's entries ----------------------------------


class EntryFields(Protocol):
    """An entry of a commitments file (or a ``record`` command's options), read key by
    key: each method checks the value by the file's rules and, if it breaks one, notes
    the problem and returns None. ``fileformat.fieldreader.Fields`` is the one the service layer
    passes; the readers below only say which keys make which command."""

    raw: dict[str, Any]

    def fail(self, key: str, message: str) -> None: ...
    def text(self, key: str, *, required: bool = False, rule: str | None = None) -> str | None: ...
    def slug(self, key: str, *, required: bool = False) -> str | None: ...
    def email(self, key: str) -> str | None: ...
    def day(self, key: str, *, required: bool = False) -> date | None: ...
    def due(self, key: str) -> DueWindow | None: ...
    def integer(self, key: str, *, required: bool = False) -> int | None: ...


def read_follow_up(f: EntryFields) -> FollowUpSpec | None:
    fid, due = f.slug("id", required=True), f.day("due", required=True)
    task = f.text("task", required=True)
    owner = f.email("owner")
    if fid and due and task:
        return FollowUpSpec(fid, due, task, owner)
    return None


def _read_progress(f: EntryFields, on: date, source: str | None) -> Command | None:
    return RecordProgress(on, source, f.text("quote"), f.text("note"))


def _read_status(f: EntryFields, on: date, source: str | None) -> Command | None:
    raw = f.text("status", required=True)
    if raw is None:
        return None
    try:
        status = parse_status(raw)
    except ValueError as exc:
        f.fail("status", str(exc))
        return None
    return ChangeStatus(
        on, status, source, f.text("quote"), f.text("note"), f.slug("superseded_by")
    )


def _read_due(f: EntryFields, on: date, source: str | None) -> Command | None:
    if "due" not in f.raw:
        f.fail("due", "is required (the new deadline, or null for none)")
        return None
    note = f.text("note", required=True)
    due = f.due("due")
    return ChangeDeadline(on, due, note or "", source, f.text("quote")) if note else None


def _read_note(f: EntryFields, on: date, source: str | None) -> Command | None:
    note = f.text("note", required=True)
    return AddNote(on, note, source, f.text("quote")) if note else None


def _read_done(f: EntryFields, on: date, source: str | None) -> Command | None:
    fid = f.slug("follow_up", required=True)
    return CompleteFollowUp(on, fid, f.text("note"), source, f.text("quote")) if fid else None


def _read_follow_up(f: EntryFields, on: date, source: str | None) -> Command | None:
    spec = read_follow_up(f)
    return ScheduleFollowUp(on, spec) if spec else None


def _read_retraction(f: EntryFields, on: date, source: str | None) -> Command | None:
    entry, note = f.integer("retracts", required=True), f.text("note", required=True)
    return RetractEntry(on, entry, note) if entry is not None and note else None


# The command each kind of history entry (``events.HistoryForm.key``) makes, given its
# day and its source (already read, as references to check).
ENTRY_READERS: dict[str, Callable[[EntryFields, date, str | None], Command | None]] = {
    "progress": _read_progress,
    "status": _read_status,
    "due": _read_due,
    "note": _read_note,
    "follow_up_done": _read_done,
    "follow_up": _read_follow_up,
    "retraction": _read_retraction,
}


# --- state -------------------------------------------------------------------------


@dataclass
class FollowUp:
    id: str
    due: date
    task: str
    owner: str | None
    done_on: date | None = None


@dataclass
class CommitmentState:
    id: str
    title: str
    made_by: list[str]
    made_to: list[str]
    made_on: date
    occasion: str | None
    due: DueWindow | None
    tags: list[str]
    owner: str | None
    source: str | None
    quote: str | None
    status: Status = Status.PLEDGED
    status_on: date | None = None
    superseded_by: str | None = None
    follow_ups: dict[str, FollowUp] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    last_evidence_on: date | None = None
    version: int = 0
    retracted: set[int] = field(default_factory=set)

    @property
    def terminal(self) -> bool:
        return self.status.terminal

    def is_overdue(self, day: date) -> bool:
        """Overdue is derived, never stored: past the window's end and still open."""
        return not self.terminal and self.due is not None and self.due.is_overdue_on(day)

    def open_follow_ups(self) -> list[FollowUp]:
        if self.terminal:
            return []
        return [f for f in self.follow_ups.values() if f.done_on is None]

    def overdue_follow_ups(self, day: date) -> list[FollowUp]:
        return [f for f in self.open_follow_ups() if day > f.due]

    @staticmethod
    def from_dict(d: dict[str, Any]) -> CommitmentState:
        """The inverse of :meth:`to_dict`, for states read back from the projection:
        a ``CommitmentState`` always, never a :class:`FoldedCommitment`, since the
        projection keeps no history."""
        day = date.fromisoformat
        return CommitmentState(
            id=d["id"],
            title=d["title"],
            made_by=d["made_by"],
            made_to=d["made_to"],
            made_on=day(d["made_on"]),
            occasion=d["occasion"],
            due=DueWindow.from_dict(d["due"]) if d["due"] else None,
            tags=d["tags"],
            owner=d["owner"],
            source=d["source"],
            quote=d["quote"],
            status=Status(d["status"]),
            status_on=day(d["status_on"]) if d["status_on"] else None,
            superseded_by=d["superseded_by"],
            follow_ups={
                f["id"]: FollowUp(
                    f["id"],
                    day(f["due"]),
                    f["task"],
                    f["owner"],
                    day(f["done_on"]) if f["done_on"] else None,
                )
                for f in d["follow_ups"]
            },
            sources=d["sources"],
            last_evidence_on=day(d["last_evidence_on"]) if d["last_evidence_on"] else None,
            version=d["version"],
            retracted=set(d["retracted"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "made_by": self.made_by,
            "made_to": self.made_to,
            "made_on": self.made_on.isoformat(),
            "occasion": self.occasion,
            "due": self.due.to_dict() if self.due else None,
            "tags": self.tags,
            "owner": self.owner,
            "source": self.source,
            "quote": self.quote,
            "status": self.status.value,
            "status_on": self.status_on.isoformat() if self.status_on else None,
            "superseded_by": self.superseded_by,
            "follow_ups": [
                {
                    "id": f.id,
                    "due": f.due.isoformat(),
                    "task": f.task,
                    "owner": f.owner,
                    "done_on": f.done_on.isoformat() if f.done_on else None,
                }
                for f in self.follow_ups.values()
            ],
            "sources": self.sources,
            "last_evidence_on": self.last_evidence_on.isoformat()
            if self.last_evidence_on
            else None,
            "version": self.version,
            "retracted": sorted(self.retracted),
        }


@dataclass
class FoldedCommitment(CommitmentState):
    """A commitment's state folded from its events, with those events (``history``, in
    world order): what :func:`decide` judges a command against, since a retraction
    names one of them and the domain rules are judged over all of them.

    A state read back from the projection (:meth:`CommitmentState.from_dict`) has no
    history and is not one of these, so the type says which a function may be given:
    the reports take any ``CommitmentState``; deciding takes only this.
    """

    history: list[DomainEvent] = field(default_factory=list, repr=False)


# --- decide ------------------------------------------------------------------------


def _need(state: FoldedCommitment | None, cmd: Command) -> FoldedCommitment:
    if state is None:
        raise NoSuchCommitment()
    on = getattr(cmd, "on", None)
    if on is not None and on < state.made_on:
        raise DomainError(
            f"{on.isoformat()} is before the commitment was made ({state.made_on.isoformat()})"
        )
    return state


def decide(
    state: FoldedCommitment | None, cmd: Command, *, today: date | None = None
) -> list[DomainEvent]:
    """The events that record ``cmd``, or :class:`DomainError` saying why not.

    With ``today`` (the caller's clock, in UTC; the domain keeps none) the command's day
    must lie between ``days.EARLIEST`` and a day after ``today``: nothing is recorded as
    having happened in the future. Deadlines and follow-ups' due days may lie ahead.
    Without it (judging entries the log already holds, which an older version accepted)
    the rules on days — the span, the future, a follow-up done before it was scheduled
    — are not applied again.
    """
    if state is not None and not isinstance(state, FoldedCommitment):
        raise TypeError("decide needs the state folded from the log (with its history)")
    if today is not None:
        _check_day(cmd, today)
        if isinstance(cmd, CompleteFollowUp) and state is not None:
            _check_done_after_scheduled(state, cmd)
    events = _decide(state, cmd)
    if today is not None:
        _check_event_days(events, today)
    if state is not None:
        _keep_the_rules(state, events)
    return events


def _check_day(cmd: Command, today: date) -> None:
    key, day = ("made_on", cmd.made_on) if isinstance(cmd, MakeCommitment) else ("on", cmd.on)
    why = days.refusal(day, today)
    if why:
        raise DayRefused(why, key)


def _check_done_after_scheduled(state: FoldedCommitment, cmd: CompleteFollowUp) -> None:
    scheduled = _scheduled_on(state, cmd.follow_up_id)
    if scheduled is not None and cmd.on < scheduled:
        # Folded in world order, such an entry would come before the follow-up exists
        # and be lost, leaving the follow-up open for good.
        raise DomainError(
            f"follow-up {cmd.follow_up_id!r} cannot be done on {cmd.on.isoformat()}, "
            f"before it was scheduled ({scheduled.isoformat()})"
        )


def _check_event_days(events: list[DomainEvent], today: date) -> None:
    """Every event is dated like its command but a retraction, dated like the entry it
    retracts: retracting a mistaken future entry from older data must stay possible."""
    for event in events:
        if event.type == ev.ENTRY_RETRACTED:
            continue
        why = days.refusal(event.on, today)
        if why:
            raise DayRefused(why, "made_on" if event.type == ev.COMMITMENT_MADE else "on")


def _keep_the_rules(state: FoldedCommitment, new: list[DomainEvent]) -> None:
    """Refuse what would leave the history breaking a rule the audit checks.

    Judged in world order, as the audit judges it: evidence recorded late about a day
    before a verdict is welcome, while a verdict dated before evidence of a later day,
    or a retracted reopen that would put later entries behind a final status, is not.
    Breaches already in the log (from older data) do not block new entries.
    """
    for breach in new_breaches(state, new):
        raise DomainError(refusal(state.id, breach))


def refusal(commitment_id: str, breach: Breach) -> str:
    """Why an entry is refused, in words, with the two ways out when it would follow a
    final status: reopen the commitment, or date the entry before that status."""
    e = breach.event
    what = f"entry #{e.version} ({ev.phrase(e.type)} on {e.on})" if e.version else None
    if breach.final is None:
        return f"{commitment_id}: {what + ': ' if what else ''}{breach.problem}"
    reopen = f"`tracker record {commitment_id} status in_progress --note …`"
    if what:  # a stored entry the new one would put behind a final status
        final_on = f" ({breach.final_on})" if breach.final_on else ""
        return (
            f"{commitment_id}: {what} would then follow the final status "
            f"{breach.final.value}{final_on}, which only a reopen, a note or a retraction "
            f"may follow; reopen it first ({reopen}) or date the new entry on {e.on} or later"
        )
    before = f" before {breach.final_on}" if breach.final_on else " before its final status"
    return (
        f"{commitment_id} is already {breach.final.value}; reopen it ({reopen}) "
        f"or date the entry{before}"
    )


def new_breaches(state: FoldedCommitment, new: list[DomainEvent]) -> list[Breach]:
    """The breaches that ``new`` would add to the history, judged in world order."""
    if _all_last(state, new):
        # Nearly every command: the history's verdicts stand as they were, and only the
        # new entries need judging, from the status the history ends in (in world order,
        # as the state holds it). Rejudging the whole stream made imports quadratic.
        return breaches(new, after=state.status, after_on=state.status_on)
    known = {(b.event.version, b.problem) for b in breaches(state.history)}
    return [
        b
        for b in breaches([*state.history, *new])
        if not (b.event.version and (b.event.version, b.problem) in known)
    ]


def _all_last(state: FoldedCommitment, new: list[DomainEvent]) -> bool:
    """Whether the new entries come after every stored one in world order and retract
    nothing, so that they cannot change how the history is judged."""
    if any(e.type == ev.ENTRY_RETRACTED for e in new):
        return False
    if not state.history:
        return True
    latest = world_key(state.history[-1])  # fold, extend and evolve keep it in world order
    return all(world_key(e) >= latest for e in new)


def _decide(state: FoldedCommitment | None, cmd: Command) -> list[DomainEvent]:
    match cmd:
        case MakeCommitment():
            return _decide_make(state, cmd)
        case RecordProgress():
            s = _need(state, cmd)
            if not (cmd.source or cmd.note):
                raise DomainError("progress needs a source or a note saying what happened")
            return [
                ev.event(
                    ev.ProgressRecorded(source=cmd.source, quote=cmd.quote, note=cmd.note), cmd.on
                )
            ]
        case ChangeStatus():
            return _decide_status(_need(state, cmd), cmd)
        case ChangeDeadline():
            s = _need(state, cmd)
            if not cmd.note.strip():
                raise DomainError("a deadline change needs a note saying why it moved")
            if cmd.due == s.due:
                raise DomainError(f"{s.id} already has that deadline")
            changed = ev.DeadlineChanged(
                source=cmd.source,
                quote=cmd.quote,
                note=cmd.note,
                due=cmd.due.to_dict() if cmd.due else None,
                previous=s.due.to_dict() if s.due else None,
            )
            return [ev.event(changed, cmd.on)]
        case AddNote():
            _need(state, cmd)
            if not cmd.note.strip():
                raise DomainError("a note cannot be empty")
            return [
                ev.event(ev.NoteAdded(source=cmd.source, quote=cmd.quote, note=cmd.note), cmd.on)
            ]
        case ScheduleFollowUp():
            s = _need(state, cmd)
            return [_follow_up_event(s.follow_ups, cmd.follow_up, cmd.on)]
        case CompleteFollowUp():
            s = _need(state, cmd)
            fu = s.follow_ups.get(cmd.follow_up_id)
            if fu is None:
                known = ", ".join(s.follow_ups) or "none"
                raise DomainError(f"{s.id} has no follow-up {cmd.follow_up_id!r} (it has: {known})")
            if fu.done_on is not None:
                raise DomainError(
                    f"follow-up {fu.id!r} was already done on {fu.done_on.isoformat()}"
                )
            done = ev.FollowUpDone(
                source=cmd.source, quote=cmd.quote, note=cmd.note, follow_up=fu.id
            )
            return [ev.event(done, cmd.on)]
        case RetractEntry():
            return _decide_retract(_need(state, cmd), cmd)
    raise DomainError(f"unknown command {type(cmd).__name__}")  # pragma: no cover


def _scheduled_on(s: FoldedCommitment, follow_up_id: str) -> date | None:
    """The day the open follow-up was scheduled on (its unretracted scheduling entry)."""
    found = [
        e.on
        for e in s.history
        if e.type == ev.FOLLOW_UP_SCHEDULED
        and e.data.get("id") == follow_up_id
        and e.version not in s.retracted
    ]
    return max(found, default=None)


def _follow_up_event(existing: dict[str, FollowUp], spec: FollowUpSpec, on: date) -> DomainEvent:
    check_slug(spec.id, "follow-up id")
    if spec.id in existing:
        raise DomainError(f"follow-up {spec.id!r} already exists")
    if not spec.task.strip():
        raise DomainError(f"follow-up {spec.id!r} needs a task")
    scheduled = ev.FollowUpScheduled(
        id=spec.id, due=spec.due.isoformat(), task=spec.task, owner=spec.owner
    )
    return ev.event(scheduled, on)


def _decide_make(state: FoldedCommitment | None, cmd: MakeCommitment) -> list[DomainEvent]:
    if state is not None:
        raise DomainError(f"commitment {cmd.id!r} already exists")
    check_slug(cmd.id)
    if not cmd.title.strip():
        raise DomainError("a commitment needs a title")
    if not cmd.made_by:
        raise DomainError("a commitment needs at least one actor in made_by")
    if cmd.quote and not cmd.source:
        raise DomainError("a quote needs the source it comes from")
    made = ev.event(
        ev.CommitmentMade(
            id=cmd.id,
            title=cmd.title.strip(),
            made_by=list(cmd.made_by),
            made_to=list(cmd.made_to),
            made_on=cmd.made_on.isoformat(),
            occasion=cmd.occasion,
            due=cmd.due.to_dict() if cmd.due else None,
            tags=list(cmd.tags),
            owner=cmd.owner,
            source=cmd.source,
            quote=cmd.quote,
        ),
        cmd.made_on,
    )
    out = [made]
    scheduled: dict[str, FollowUp] = {}
    for spec in cmd.follow_ups:
        out.append(_follow_up_event(scheduled, spec, cmd.made_on))
        scheduled[spec.id] = FollowUp(spec.id, spec.due, spec.task, spec.owner)
    return out


def _decide_status(s: FoldedCommitment, cmd: ChangeStatus) -> list[DomainEvent]:
    if cmd.status == s.status:
        raise DomainError(f"{s.id} is already {s.status.value}")
    if s.terminal and not (cmd.note and cmd.note.strip()):
        raise DomainError(
            f"{s.id} is {s.status.value}: reopening or changing a final status needs a note "
            "saying why"
        )
    if cmd.status.needs_source and not cmd.source:
        raise DomainError(f"status {cmd.status.value} is a verdict and needs a source")
    if cmd.status is Status.SUPERSEDED:
        if not cmd.superseded_by:
            raise DomainError("status superseded needs superseded_by: the replacing commitment")
        check_slug(cmd.superseded_by, "superseded_by")
        if cmd.superseded_by == s.id:
            raise DomainError("a commitment cannot supersede itself")
    elif cmd.superseded_by:
        raise DomainError("superseded_by only goes with status superseded")
    changed = ev.StatusChanged(
        source=cmd.source,
        quote=cmd.quote,
        note=cmd.note,
        status=cmd.status.value,
        previous=s.status.value,
        superseded_by=cmd.superseded_by,
    )
    return [ev.event(changed, cmd.on)]


def _decide_retract(s: FoldedCommitment, cmd: RetractEntry) -> list[DomainEvent]:
    if not cmd.reason.strip():
        raise DomainError("a retraction needs a reason")
    target = next((e for e in s.history if e.version == cmd.entry), None)
    if target is None:
        raise DomainError(f"{s.id} has no entry #{cmd.entry} (see `tracker show {s.id}`)")
    if target.type == ev.COMMITMENT_MADE:
        raise DomainError("the commitment itself cannot be retracted; retract its later entries")
    if target.type == ev.ENTRY_RETRACTED:
        raise DomainError(f"entry #{cmd.entry} is itself a retraction")
    if cmd.entry in s.retracted:
        raise DomainError(f"entry #{cmd.entry} is already retracted")
    # Dated like the entry it retracts: a mistake was never true in the world, so no
    # `--as-of` view should show the entry without its retraction.
    retracted = ev.EntryRetracted(
        entry=cmd.entry, reason=cmd.reason, recorded_on=cmd.on.isoformat()
    )
    return [ev.event(retracted, target.on)]


# --- evolve ------------------------------------------------------------------------


def _evidence_seen(state: FoldedCommitment, event: DomainEvent) -> None:
    source = event.data.get("source")
    if source and source not in state.sources:
        state.sources.append(source)
    if state.last_evidence_on is None or event.on > state.last_evidence_on:
        state.last_evidence_on = event.on


def _born(event: DomainEvent) -> FoldedCommitment:
    d = event.data
    state = FoldedCommitment(
        id=d["id"],
        title=d["title"],
        made_by=list(d["made_by"]),
        made_to=list(d.get("made_to") or []),
        made_on=date.fromisoformat(d["made_on"]),
        occasion=d.get("occasion"),
        due=DueWindow.from_dict(d["due"]) if d.get("due") else None,
        tags=list(d.get("tags") or []),
        owner=d.get("owner"),
        source=d.get("source"),
        quote=d.get("quote"),
        status_on=event.on,
    )
    _evidence_seen(state, event)
    return state


def _retract(state: FoldedCommitment, event: DomainEvent) -> FoldedCommitment:
    retracted = {*state.retracted, event.data["entry"]}
    history = state.history
    state = _refold(e for e in history if e.version not in retracted)
    state.retracted = retracted
    state.history = [*history]
    return state


def _progress(state: FoldedCommitment, event: DomainEvent) -> FoldedCommitment:
    if state.status in PROGRESS_MOVES:
        state.status, state.status_on = Status.IN_PROGRESS, event.on
    _evidence_seen(state, event)
    return state


def _status(state: FoldedCommitment, event: DomainEvent) -> FoldedCommitment:
    state.status, state.status_on = Status(event.data["status"]), event.on
    state.superseded_by = event.data.get("superseded_by")
    _evidence_seen(state, event)
    return state


def _deadline(state: FoldedCommitment, event: DomainEvent) -> FoldedCommitment:
    d = event.data
    state.due = DueWindow.from_dict(d["due"]) if d.get("due") else None
    _evidence_seen(state, event)
    return state


def _note(state: FoldedCommitment, event: DomainEvent) -> FoldedCommitment:
    if event.data.get("source"):
        _evidence_seen(state, event)
    return state


def _scheduled(state: FoldedCommitment, event: DomainEvent) -> FoldedCommitment:
    d = event.data
    state.follow_ups[d["id"]] = FollowUp(
        d["id"], date.fromisoformat(d["due"]), d["task"], d.get("owner")
    )
    return state


def _done(state: FoldedCommitment, event: DomainEvent) -> FoldedCommitment:
    fu = state.follow_ups.get(event.data["follow_up"])
    if fu is not None:
        fu.done_on = event.on
    return _note(state, event)


# How each event after the commitment's making changes its state: in place, but for a
# retraction, which refolds the history without the retracted entry. A type a newer
# version wrote changes nothing here; the audit reports it (``events.types_in``).
_EVOLVE: dict[str, Callable[[FoldedCommitment, DomainEvent], FoldedCommitment]] = {
    ev.ENTRY_RETRACTED: _retract,
    ev.PROGRESS_RECORDED: _progress,
    ev.STATUS_CHANGED: _status,
    ev.DEADLINE_CHANGED: _deadline,
    ev.NOTE_ADDED: _note,
    ev.FOLLOW_UP_SCHEDULED: _scheduled,
    ev.FOLLOW_UP_DONE: _done,
}


def unhandled(types: Iterable[str]) -> list[str]:
    """The commitment event types among ``types`` that ``evolve`` has no branch for: a
    declared type missing here would be folded as if it changed nothing."""
    return sorted(set(types) - {ev.COMMITMENT_MADE, *_EVOLVE})


def _apply(state: FoldedCommitment | None, event: DomainEvent) -> FoldedCommitment:
    """Apply in place (the fold's fast path); `evolve` wraps it with a copy."""
    if event.type == ev.COMMITMENT_MADE:
        state = _born(event)
    elif state is None:
        raise DomainError(f"{ev.phrase(event.type)} before the commitment was made")
    elif (step := _EVOLVE.get(event.type)) is not None:
        state = step(state, event)
    state.version = max(state.version, event.version)
    state.history.append(event)
    return state


def _refold(events: Iterable[DomainEvent]) -> FoldedCommitment:
    state: FoldedCommitment | None = None
    for event in events:
        state = _apply(state, event)
    if state is None:
        raise DomainError("a commitment's entries must start with the commitment being made")
    return state


def evolve(state: FoldedCommitment | None, event: DomainEvent) -> FoldedCommitment:
    """The state after one more event, leaving ``state`` as it was (see :func:`extend`)."""
    return extend(copy.deepcopy(state), event)


def extend(state: FoldedCommitment | None, event: DomainEvent) -> FoldedCommitment:
    """The state after one more event, reusing ``state`` (which it consumes).

    Cheap when the event comes last in world order, as nearly all do; an entry about
    an earlier day refolds the stream so that it lands in place.
    """
    if state is None or not state.history or world_key(event) >= world_key(state.history[-1]):
        return _apply(state, event)
    return fold([*state.history, event])  # type: ignore[return-value]


def fold_made(events: Sequence[DomainEvent]) -> FoldedCommitment | None:
    """The state after ``events``, or None if they do not include the commitment's
    making: a view as of a day before it was made, which entries recorded about
    earlier days can still reach."""
    if not any(e.type == ev.COMMITMENT_MADE for e in events):
        return None
    return fold(events)


def fold(events: Iterable[DomainEvent]) -> FoldedCommitment | None:
    """The state after ``events``, replayed in world order; None for an empty stream."""
    ordered = world_order(events)
    if not ordered:
        return None
    made = [e for e in ordered if e.type == ev.COMMITMENT_MADE]
    if made and ordered[0] is not made[0]:
        # An entry dated before the commitment itself (possible only by hand-edited
        # data): keep the commitment first so the fold stays defined.
        ordered.remove(made[0])
        ordered.insert(0, made[0])
    return _refold(ordered)
