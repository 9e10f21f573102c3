"""The overdue scan: which commitments and follow-ups are past their deadline.

Flagging appends one ``OverdueFlagged`` per item and deadline, keyed by both, so a
second run (or a second scheduler) flags nothing again, while a deadline that moves
and passes again is flagged anew. Flags live in their own stream per commitment,
beside it rather than in it, so scans never race with people recording evidence.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

from tracker.adapters.eventstore import ANY_VERSION, NewEvent
from tracker.clock import utc_now
from tracker.domain import events as ev
from tracker.domain import streams
from tracker.domain.commitment import CommitmentState
from tracker.service_layer.app import Tracker, os_user
from tracker.service_layer.queries import View, commitments

CLOCK_SLACK = timedelta(minutes=1)


class FutureNow(ValueError):
    """A job asked to record or send as of a time the clock has not reached."""


def refuse_future(now: datetime, what: str) -> None:
    """Refuse to record or send as of a moment later than the clock (plus a minute).

    A flag or a digest dated ahead would stand in the log as done before it could
    be; a reminder's key for a later day would even stop that day's real digest. A
    look that records nothing (a listing, a dry run) may judge any moment.
    """
    clock = utc_now()
    moment = now if now.tzinfo else now.replace(tzinfo=UTC)
    if moment > clock + CLOCK_SLACK:
        raise FutureNow(
            f"cannot {what} as of {_stamp(moment)}: that is later than the clock "
            f"({_stamp(clock)}), and nothing is recorded ahead of it"
        )


def _stamp(moment: datetime) -> str:
    with contextlib.suppress(OverflowError):  # past the calendar's end in UTC: as given
        moment = moment.astimezone(UTC)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class OverdueItem:
    commitment_id: str
    title: str
    kind: str  # "commitment" or "follow_up"
    item: str  # the commitment id, or the follow-up id
    task: str | None
    due_end: date
    due_label: str
    days_late: int
    owner: str | None
    due_start: date | None = None  # the window's first day; a follow-up's is its due day

    @property
    def key(self) -> str:
        return f"overdue:{self.commitment_id}:{self.item}:{self.due_end.isoformat()}"

    def to_dict(self) -> dict[str, object]:
        """The ``OverdueFlagged`` payload: the log's own keys, which stay as they are."""
        payload = {**asdict(self), "due_end": self.due_end.isoformat()}
        del payload["due_start"]
        return payload

    def row(self) -> dict[str, object]:
        """The ``overdue`` listing's row, in the keys ``status`` uses for the same things
        (``id``, ``due`` as a window, ``follow_up``; see docs/fields.md)."""
        return {
            "id": self.commitment_id,
            "title": self.title,
            "kind": self.kind,
            "follow_up": self.item if self.kind == "follow_up" else None,
            "task": self.task,
            "due": {
                "start": (self.due_start or self.due_end).isoformat(),
                "end": self.due_end.isoformat(),
                "label": self.due_label,
            },
            "days_late": self.days_late,
            "owner": self.owner,
        }


def overdue_items(state: CommitmentState, day: date) -> list[OverdueItem]:
    items = []
    if state.is_overdue(day) and state.due is not None:
        items.append(
            OverdueItem(
                state.id,
                state.title,
                "commitment",
                state.id,
                None,
                state.due.end,
                state.due.label,
                state.due.days_late(day),
                state.owner,
                state.due.start,
            )
        )
    for fu in state.overdue_follow_ups(day):
        items.append(
            OverdueItem(
                state.id,
                state.title,
                "follow_up",
                fu.id,
                fu.task,
                fu.due,
                fu.due.isoformat(),
                (day - fu.due).days,
                fu.owner or state.owner,
            )
        )
    return items


def scan(tracker: Tracker, view: View) -> list[OverdueItem]:
    """What is overdue as the view sees the world, the longest overdue first."""
    day = view.day
    found = [item for state in commitments(tracker, view) for item in overdue_items(state, day)]
    return sorted(found, key=lambda i: (-i.days_late, i.commitment_id, i.item))


@dataclass
class FlagReport:
    overdue: list[OverdueItem]
    flagged: list[OverdueItem]

    @property
    def already(self) -> int:
        return len(self.overdue) - len(self.flagged)


def flag(tracker: Tracker, now: datetime) -> FlagReport:
    """Flag what was overdue at ``now``, judged on the log as it stood that day."""
    refuse_future(now, "flag overdue items")
    view = View.at(now)
    items = scan(tracker, view)
    meta = {"recorded_by": os_user(), "command": "overdue --flag"}
    with tracker.uow.write() as session:
        seen = session.positions_for_keys([i.key for i in items])
        new = [i for i in items if i.key not in seen]
        batch = [
            (
                streams.overdue(i.commitment_id),
                ANY_VERSION,
                [
                    NewEvent(
                        ev.OVERDUE_FLAGGED,
                        {**i.to_dict(), "flagged_on": view.day.isoformat()},
                        now,
                        meta,
                        idempotency_key=i.key,
                    )
                ],
            )
            for i in new
        ]
        session.append_batch(batch, now=None)
    return FlagReport(items, new)
