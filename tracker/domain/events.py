"""Domain events: what the log holds, as plain JSON-ready payloads.

Payloads are dicts rather than one class per type because they go straight into the
log as canonical JSON and come back through upcasters; the names below are the only
vocabulary, and `decide`/`evolve` are the only code that builds or reads them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

COMMITMENT_MADE = "CommitmentMade"
PROGRESS_RECORDED = "ProgressRecorded"
STATUS_CHANGED = "StatusChanged"
DEADLINE_CHANGED = "DeadlineChanged"
NOTE_ADDED = "NoteAdded"
FOLLOW_UP_SCHEDULED = "FollowUpScheduled"
FOLLOW_UP_DONE = "FollowUpDone"
ENTRY_RETRACTED = "EntryRetracted"

ACTOR_REGISTERED = "ActorRegistered"
ACTOR_UPDATED = "ActorUpdated"
SOURCE_REGISTERED = "SourceRegistered"
SOURCE_UPDATED = "SourceUpdated"

OVERDUE_FLAGGED = "OverdueFlagged"
REMINDER_SENT = "ReminderSent"
REMINDER_REFUSED = "ReminderRefused"  # a permanent (5xx) refusal: not retried that day
AUDIT_COMPLETED = "AuditCompleted"

# Each event type in words, for messages: people read "a follow-up", never
# "FollowUpScheduled". ``KINDS`` is the short word a timeline shows (its ``kind``).
PHRASES = {
    COMMITMENT_MADE: "the commitment being made",
    PROGRESS_RECORDED: "progress",
    STATUS_CHANGED: "a status change",
    DEADLINE_CHANGED: "a deadline change",
    NOTE_ADDED: "a note",
    FOLLOW_UP_SCHEDULED: "a follow-up",
    FOLLOW_UP_DONE: "a follow-up marked done",
    ENTRY_RETRACTED: "a retraction",
    ACTOR_REGISTERED: "an actor added",
    ACTOR_UPDATED: "an actor changed",
    SOURCE_REGISTERED: "a source added",
    SOURCE_UPDATED: "a source changed",
    OVERDUE_FLAGGED: "an overdue flag",
    REMINDER_SENT: "a reminder sent",
    REMINDER_REFUSED: "a reminder refused",
    AUDIT_COMPLETED: "an audit",
}
KINDS = {
    COMMITMENT_MADE: "made",
    PROGRESS_RECORDED: "progress",
    STATUS_CHANGED: "status",
    DEADLINE_CHANGED: "deadline",
    NOTE_ADDED: "note",
    FOLLOW_UP_SCHEDULED: "follow-up",
    FOLLOW_UP_DONE: "follow-up done",
    ENTRY_RETRACTED: "retraction",
}


def phrase(event_type: str) -> str:
    """An event type in words ("a follow-up"); a type this version does not know is
    still named in words, with its name in quotes for whoever investigates."""
    return PHRASES.get(event_type, f"an entry of an unknown kind ({event_type!r})")


def commitment_stream(commitment_id: str) -> str:
    return f"commitment:{commitment_id}"


def actor_stream(actor_id: str) -> str:
    return f"actor:{actor_id}"


def source_stream(source_id: str) -> str:
    return f"source:{source_id}"


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
