"""The rules a commitment's history must obey, checked over a stored stream.

``decide`` refuses any command that would add a breach; the audit checks them again
over the log because the log outlives the code: an older version, a bulk import or a hand-made
row could have let something through.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tracker.domain import events as ev
from tracker.domain.events import DomainEvent, world_order
from tracker.domain.statuses import Status


@dataclass(frozen=True)
class Breach:
    """An entry that breaks a rule, and the final status it follows, if that is the
    rule (so that a refusal can say how to reopen, and before which day to date)."""

    event: DomainEvent
    problem: str
    final: Status | None = None
    final_on: date | None = None


def breaches(
    events: Iterable[DomainEvent], after: Status = Status.PLEDGED, after_on: date | None = None
) -> list[Breach]:
    """Every entry of one commitment's stream that breaks a rule, in world order,
    ignoring entries that were retracted; ``after`` is the status the entries follow
    (a new command's entries follow the whole stored history), reached on ``after_on``."""
    stream = list(events)
    retracted = {e.data.get("entry") for e in stream if e.type == ev.ENTRY_RETRACTED}
    live = world_order(
        e for e in stream if e.type != ev.ENTRY_RETRACTED and e.version not in retracted
    )
    found: list[Breach] = []
    status, status_on = after, after_on
    for e in live:
        if status.terminal and e.type not in ev.AFTER_FINAL:
            problem = f"{ev.phrase(e.type)} after the final status {status.value}"
            found.append(Breach(e, problem, status, status_on))
        if e.type != ev.STATUS_CHANGED:
            continue
        new = Status(e.data["status"])
        if new.needs_source and not e.data.get("source"):
            found.append(Breach(e, f"the verdict {new.value} names no source"))
        if status.terminal and not (e.data.get("note") or "").strip():
            found.append(Breach(e, f"{status.value} changed to {new.value} without a reason"))
        status, status_on = new, e.on
    return found
