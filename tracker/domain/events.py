"""Domain events: the vocabulary of the log, one declaration per event type.

Each declaration (:func:`_declare`) says everything the rest of the code needs to know
about a type: its payload (a frozen dataclass, named as the type is), the kind of
stream it belongs to, its words in a message, its summary in a timeline, whether it
may follow a final status, whether the feed announces it, and its entry in a
commitments/v1 file's history. The lists other modules once kept by hand (the audit's
known types, ``AFTER_FINAL``, the feed's types, the history kinds and keys, the
summaries) are derived from these declarations, so adding
a type means declaring it here and giving it a ``decide``/``evolve`` branch (see
docs/ARCHITECTURE.md).

Events carry their payload as a plain JSON-ready dict: it goes straight into the log
as canonical JSON and comes back through upcasters, and a payload an older version
wrote may lack keys the dataclass has. The dataclasses are how new events are built
(:func:`event`), so that what is written is the declared payload, key for key.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Protocol

from tracker.domain import streams
from tracker.domain.deadlines import due_form

Data = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """An event as the domain sees it: no positions, hashes or timestamps of record.

    ``version`` and ``position`` are filled in when the event was read from the log, so
    that a retraction can name the entry it retracts.
    """

    type: str
    on: date
    data: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    position: int = 0


def world_key(e: DomainEvent) -> tuple[date, float, float]:
    # Events not yet stored (position 0) come after every stored event of their day, in
    # the order of their versions (an import's planned entries); an event not yet
    # numbered either (a command's, just decided) comes after all of them.
    return (e.on, e.position or math.inf, e.version or math.inf)


def world_order(events: Iterable[DomainEvent]) -> list[DomainEvent]:
    """The order the world saw them: the day it happened, then the order recorded."""
    return sorted(events, key=world_key)


# --- how a type is declared ----------------------------------------------------------


class Payload(Protocol):
    """An event's payload: an instance of a dataclass (declared with :func:`_declare`)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]


def _note(data: Data) -> str:
    return data.get("note") or ""


def _as_written(form: HistoryForm, data: Data) -> dict[str, Any]:
    return {key: data.get(key) for key in form.fields}


@dataclass(frozen=True)
class HistoryForm:
    """How an event is an entry of a commitments/v1 file's ``history``.

    ``key`` is the entry's ``kind``; ``fields`` are the keys it may hold besides ``on``
    and ``kind``, in the order export writes them. ``write`` turns a payload into those
    fields (by default: the payload's keys of the same names); empty ones are left out,
    as a person writing the file would, except those in ``kept`` (``due: null`` says
    the deadline was removed). The command an entry makes is the commitment's to say
    (``commitment.ENTRY_READERS``, by ``key``); ``commitments.read_history`` checks the
    file's text on the way.
    """

    key: str
    fields: tuple[str, ...]
    write: Callable[[HistoryForm, Data], dict[str, Any]] = _as_written
    kept: frozenset[str] = frozenset()


@dataclass(frozen=True)
class EventType:
    """One event type: see :func:`_declare`."""

    name: str
    payload: type[Payload]
    stream: str
    phrase: str
    kind: str | None
    summary: Callable[[Data], str]
    after_final: bool
    in_feed: bool
    history: HistoryForm | None
    # The payload's field names, in order: worked out once, not for every new event.
    fields: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = tuple(f.name for f in dataclasses.fields(self.payload))
        object.__setattr__(self, "fields", names)


TYPES: dict[str, EventType] = {}


def _declare(
    payload: type[Payload],
    stream: str,
    phrase: str,
    *,
    kind: str | None = None,
    summary: Callable[[Data], str] = _note,
    after_final: bool = False,
    in_feed: bool = False,
    history: HistoryForm | None = None,
) -> str:
    """Declare an event type; its name is its payload's class name.

    ``stream``: the kind of stream it is appended to (``streams.COMMITMENT``…).
    ``phrase``: the type in words, for messages ("a follow-up", never
    "FollowUpScheduled"). ``kind``: the short word a timeline shows. ``summary``: the
    entry in one line, for ``show``, mail, the site and the feed (by default its note).
    ``after_final``: whether it may follow a final status (the audit's rule).
    ``in_feed``: whether the published feed announces it: what was said and what
    happened, not the desk's follow-up chores.
    ``history``: its form in a commitments file, if it has one there.
    """
    name = payload.__name__
    if name in TYPES:
        raise TypeError(f"{name} is declared twice: declare each event type once")
    TYPES[name] = EventType(
        name, payload, stream, phrase, kind, summary, after_final, in_feed, history
    )
    return name


def event(payload: Payload, on: date) -> DomainEvent:
    """A new event of the type ``payload`` declares, its data the payload's fields."""
    name = type(payload).__name__
    declared = TYPES.get(name)
    if declared is None or declared.payload is not type(payload):
        raise TypeError(f"{name} is not a declared event payload")
    return DomainEvent(name, on, {k: getattr(payload, k) for k in declared.fields})


# --- the commitment's own events ----------------------------------------------------

_EVIDENCE = ("source", "quote", "note")


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitmentMade:
    id: str
    title: str
    made_by: list[str]
    made_to: list[str]
    made_on: str
    occasion: str | None
    due: dict[str, Any] | None
    tags: list[str]
    owner: str | None
    source: str | None
    quote: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """What every event about a commitment's course may cite: a source, a quote from
    it, a note. Its fields come first in each payload that extends it."""

    source: str | None
    quote: str | None
    note: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgressRecorded(Evidence):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusChanged(Evidence):
    status: str
    previous: str
    superseded_by: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadlineChanged(Evidence):
    due: dict[str, Any] | None
    previous: dict[str, Any] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class NoteAdded(Evidence):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUpScheduled:
    id: str
    due: str
    task: str
    owner: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUpDone(Evidence):
    follow_up: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryRetracted:
    entry: int
    reason: str
    recorded_on: str  # the day it was recorded; the event is dated like the entry


def _status_summary(data: Data) -> str:
    text = f"{data.get('previous', '?')} → {data['status']}"
    superseded = data.get("superseded_by")
    return text + (f" (superseded by {superseded})" if superseded else "")


def _deadline_summary(data: Data) -> str:
    new = data["due"]["label"] if data.get("due") else "none"
    old = data["previous"]["label"] if data.get("previous") else "none"
    return f"{old} → {new}"


def _deadline_written(form: HistoryForm, data: Data) -> dict[str, Any]:
    return {**_as_written(form, data), "due": due_form(data.get("due"))}


def _retraction_written(form: HistoryForm, data: Data) -> dict[str, Any]:
    # Written on the day it was recorded: the file reads as the desk's diary.
    on = {"on": data["recorded_on"]} if "recorded_on" in data else {}
    return {**on, "retracts": data["entry"], "note": data["reason"]}


COMMITMENT_MADE = _declare(
    CommitmentMade,
    streams.COMMITMENT,
    "the commitment being made",
    kind="made",
    in_feed=True,
    summary=lambda data: str(data["title"]),
)
PROGRESS_RECORDED = _declare(
    ProgressRecorded,
    streams.COMMITMENT,
    "progress",
    kind="progress",
    in_feed=True,
    history=HistoryForm("progress", _EVIDENCE),
)
STATUS_CHANGED = _declare(
    StatusChanged,
    streams.COMMITMENT,
    "a status change",
    kind="status",
    in_feed=True,
    summary=_status_summary,
    after_final=True,  # a reopen, with its reason, or another verdict
    history=HistoryForm("status", ("status", "superseded_by", *_EVIDENCE)),
)
DEADLINE_CHANGED = _declare(
    DeadlineChanged,
    streams.COMMITMENT,
    "a deadline change",
    kind="deadline",
    in_feed=True,
    summary=_deadline_summary,
    history=HistoryForm("due", (*_EVIDENCE, "due"), _deadline_written, frozenset({"due"})),
)
NOTE_ADDED = _declare(
    NoteAdded,
    streams.COMMITMENT,
    "a note",
    kind="note",
    in_feed=True,
    after_final=True,
    history=HistoryForm("note", _EVIDENCE),
)
# Declared before the scheduling so that the file's kinds are listed as they always were.
FOLLOW_UP_DONE = _declare(
    FollowUpDone,
    streams.COMMITMENT,
    "a follow-up marked done",
    kind="follow-up done",
    summary=lambda data: f"{data['follow_up']} done",
    history=HistoryForm("follow_up_done", ("follow_up", *_EVIDENCE)),
)
FOLLOW_UP_SCHEDULED = _declare(
    FollowUpScheduled,
    streams.COMMITMENT,
    "a follow-up",
    kind="follow-up",
    summary=lambda data: f"{data['id']}: {data['task']} (due {data['due']})",
    history=HistoryForm("follow_up", ("id", "due", "task", "owner")),
)
ENTRY_RETRACTED = _declare(
    EntryRetracted,
    streams.COMMITMENT,
    "a retraction",
    kind="retraction",
    in_feed=True,
    summary=lambda data: f"retracts entry #{data['entry']}: {data['reason']}",
    after_final=True,  # it takes the mistaken entry out of the history altogether
    history=HistoryForm(
        "retraction",
        ("retracts", "note"),
        _retraction_written,
        frozenset({"on", "retracts", "note"}),
    ),
)


# --- reference data -----------------------------------------------------------------
# Written as the file's mapping reads them (``references.read_actor``, ``read_source``).


@dataclass(frozen=True, slots=True, kw_only=True)
class ActorRegistered:
    id: str
    name: str
    kind: str
    member_of: str | None
    role: str | None
    aliases: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class ActorUpdated(ActorRegistered):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceRegistered:
    id: str
    publisher: str
    title: str | None
    url: str | None
    published: str | None
    language: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceUpdated(SourceRegistered):
    pass


ACTOR_REGISTERED = _declare(ActorRegistered, streams.ACTOR, "an actor added")
ACTOR_UPDATED = _declare(ActorUpdated, streams.ACTOR, "an actor changed")
SOURCE_REGISTERED = _declare(SourceRegistered, streams.SOURCE, "a source added")
SOURCE_UPDATED = _declare(SourceUpdated, streams.SOURCE, "a source changed")


# --- the jobs' records --------------------------------------------------------------
# The jobs write these payloads as dicts of the same keys, in their own streams.


@dataclass(frozen=True, slots=True, kw_only=True)
class OverdueFlagged:
    commitment_id: str
    title: str
    kind: str  # "commitment" or "follow_up"
    item: str  # the commitment id, or the follow-up id
    task: str | None
    due_end: str
    due_label: str
    days_late: int
    owner: str | None
    flagged_on: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReminderSent:
    owner: str
    day: str
    message_id: str
    overdue: list[str]
    due_soon: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReminderRefused:
    """A permanent (5xx) refusal: not retried that day."""

    owner: str
    day: str
    message_id: str
    code: int
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditCompleted:
    ok: bool
    head: dict[str, Any]
    events: int
    stale_days: int
    checks: dict[str, Any]


OVERDUE_FLAGGED = _declare(OverdueFlagged, streams.OVERDUE, "an overdue flag")
REMINDER_SENT = _declare(ReminderSent, streams.REMINDERS, "a reminder sent")
REMINDER_REFUSED = _declare(ReminderRefused, streams.REMINDERS, "a reminder refused")
AUDIT_COMPLETED = _declare(AuditCompleted, streams.AUDIT, "an audit")


# --- what the declarations say, as the rest of the code asks it ---------------------

PHRASES = {name: t.phrase for name, t in TYPES.items()}
# The short word a timeline shows for each type (its ``kind``).
KINDS = {name: t.kind for name, t in TYPES.items() if t.kind is not None}
# What may follow a final status (see ``invariants``).
AFTER_FINAL = frozenset(name for name, t in TYPES.items() if t.after_final)
# What the published feed announces.
IN_FEED = frozenset(name for name, t in TYPES.items() if t.in_feed)
# The forms of a commitments file's history, by the entry's ``kind``.
HISTORY_FORMS = {t.history.key: t.history for t in TYPES.values() if t.history is not None}


def types_in(stream_kind: str) -> frozenset[str]:
    """The event types a kind of stream may hold."""
    return frozenset(name for name, t in TYPES.items() if t.stream == stream_kind)


def phrase(event_type: str) -> str:
    """An event type in words ("a follow-up"); a type this version does not know is
    still named in words, with its name in quotes for whoever investigates."""
    return PHRASES.get(event_type, f"an entry of an unknown kind ({event_type!r})")


def summary(event_type: str, data: Data) -> str:
    """An entry in one line, as a timeline shows it (a type this version does not know:
    its note, if it has one)."""
    declared = TYPES.get(event_type)
    return (declared.summary if declared else _note)(data)


def history_entry(e: DomainEvent) -> dict[str, Any]:
    """The entry of a commitments file's ``history`` that records ``e``."""
    declared = TYPES.get(e.type)
    form = declared.history if declared else None
    if form is None:
        raise ValueError(f"{phrase(e.type)} has no place in a commitments file")
    entry = {"on": e.on.isoformat(), "kind": form.key, **form.write(form, e.data)}
    return {k: v for k, v in entry.items() if k in form.kept or v not in (None, [], "")}
