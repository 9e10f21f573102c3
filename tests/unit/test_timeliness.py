"""Fulfilled in time or late: the days from the deadline window's end to the fulfilment."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.domain.deadlines import DueWindow
from tracker.domain.statuses import Status
from tracker.domain.timeliness import days_late_at_fulfilment, describe

APRIL = DueWindow(date(2024, 4, 1), date(2024, 4, 30), "April 2024")


@pytest.mark.parametrize(
    ("status", "on", "due", "late", "words"),
    [
        (Status.FULFILLED, date(2024, 5, 7), APRIL, 7, "fulfilled 7 days late"),
        (Status.FULFILLED, date(2024, 5, 1), APRIL, 1, "fulfilled 1 day late"),
        (Status.FULFILLED, date(2024, 4, 30), APRIL, 0, "fulfilled on time"),
        (Status.FULFILLED, date(2024, 3, 2), APRIL, 0, "fulfilled on time"),  # early
        (Status.FULFILLED, date(2024, 5, 7), None, None, None),  # no deadline to miss
        (Status.PARTIALLY_FULFILLED, date(2024, 5, 7), APRIL, None, None),
        (Status.BROKEN, date(2024, 5, 7), APRIL, None, None),
        (Status.IN_PROGRESS, date(2024, 5, 7), APRIL, None, None),
    ],
)
def test_days_late_at_fulfilment(
    status: Status, on: date, due: DueWindow | None, late: int | None, words: str | None
) -> None:
    assert days_late_at_fulfilment(status, on, due) == late
    assert describe(late) == words
