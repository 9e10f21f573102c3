"""Whether a kept promise was kept in time: "fulfilled 7 days late".

Trackers that only count kept promises reward a government that delivers a year late
as much as one that delivers on the day. A fulfilment dated after the deadline
window's end is late by the days between the two: a pledge due in April 2024 (window
ending 30 April) and fulfilled on 7 May is fulfilled 7 days late. Derived from the
status, the day it was reached and the window, never stored.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from tracker.domain.statuses import Status
from tracker.domain.words import late

if TYPE_CHECKING:  # not at run time: `tracker status` from stored rows never parses a deadline
    from tracker.domain.deadlines import DueWindow


def days_late_at_fulfilment(
    status: Status, status_on: date | None, due: DueWindow | None
) -> int | None:
    """Days from the window's end to the fulfilment: 0 when fulfilled within the window
    (or before it), None when not fulfilled or without a deadline to be late against."""
    if status is not Status.FULFILLED or status_on is None or due is None:
        return None
    return max(0, (status_on - due.end).days)


def describe(days_late: int | None) -> str | None:
    """The words for :func:`days_late_at_fulfilment`: "fulfilled 7 days late"."""
    if days_late is None:
        return None
    if days_late == 0:
        return "fulfilled on time"
    return f"fulfilled {late(days_late)}"
