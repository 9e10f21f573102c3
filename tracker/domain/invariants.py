"""The rules a commitment's history must obey, checked over a stored stream.

``decide`` refuses any command that would add a breach; the audit checks them again
over the log because the log outlives the code: an older version, a bulk import or a hand-made
row could have let something through.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tracker.domain import events as ev
from tracker.domain.events import DomainEvent, world_order
from tracker.domain.statuses import Status

# What may follow a final status: a status change (a reopen, with its reason), a note,
# or a retraction (which takes the mistaken entry out of the history altogether).
AFTER_FINAL = frozenset({ev.STATUS_CHANGED, ev.NOTE_ADDED, ev.ENTRY_RETRACTED})


@dataclass(frozen=True)
class Breach:
    event: DomainEvent
    problem: str


def breaches(events: Iterable[DomainEvent], after: Status = Status.PLEDGED) -> list[Breach]:
    """Every entry of one commitment's stream that breaks a rule, in world order,
    ignoring entries that were retracted; ``after`` is the status the entries follow
    (a new command's entries follow the whole stored history)."""
    stream = list(events)
    retracted = {e.data.get("entry") for e in stream if e.type == ev.ENTRY_RETRACTED}
    live = world_order(
        e for e in stream if e.type != ev.ENTRY_RETRACTED and e.version not in retracted
    )
    found: list[Breach] = []
    status = after
    for e in live:
        if status.terminal and e.type not in AFTER_FINAL:
            found.append(Breach(e, f"{e.type} follows the final status {status.value}"))
        if e.type != ev.STATUS_CHANGED:
            continue
        new = Status(e.data["status"])
        if new.needs_source and not e.data.get("source"):
            found.append(Breach(e, f"the verdict {new.value} names no source"))
        if status.terminal and not (e.data.get("note") or "").strip():
            found.append(Breach(e, f"{status.value} changed to {new.value} without a reason"))
        status = new
    return found
