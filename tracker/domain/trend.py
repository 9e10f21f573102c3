"""How many commitments stood in each status at the end of each month.

Each month is judged as an ``--as-of`` view of its last day judges it: only the
entries dated up to that day, folded in world order, so a verdict recorded in June
about March counts from March, and a commitment made in May is absent before May.
A stream is folded again only for the months in which it has entries; in between,
its status as of the previous month end carries over unchanged.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import date

from tracker.domain.commitment import fold_made
from tracker.domain.events import DomainEvent
from tracker.domain.statuses import Status


def month_ends(first: date, last: date) -> list[date]:
    """The last day of every month from ``first``'s to ``last``'s; the final one is
    ``last`` itself, so the latest month is judged on the day asked about."""
    out = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        end = date(year, month, calendar.monthrange(year, month)[1])
        out.append(min(end, last))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def status_by_month(
    streams: Iterable[Sequence[DomainEvent]], ends: Sequence[date]
) -> list[dict[Status, int]]:
    """For each day of ``ends`` (ascending), the count of commitments per status as of it."""
    deltas = [dict.fromkeys(Status, 0) for _ in ends]
    for events in streams:
        before: Status | None = None
        # The months with entries of their own; in the others the status carries over.
        touched = sorted({bisect_left(ends, e.on) for e in events} - {len(ends)})
        for index in touched:
            end = ends[index]
            seen = [e for e in events if e.on <= end]
            state = fold_made(seen)
            now = state.status if state is not None else None
            if now != before:
                if before is not None:
                    deltas[index][before] -= 1
                if now is not None:
                    deltas[index][now] += 1
                before = now
    running = dict.fromkeys(Status, 0)
    out = []
    for delta in deltas:
        running = {status: running[status] + delta[status] for status in Status}
        out.append(running)
    return out
