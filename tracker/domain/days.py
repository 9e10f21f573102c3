"""The days the tracker accepts, in one place for the command line, files and ``decide``.

Dates outside a plausible span are typos ("0224-02-10", "9999-12-31") that would
otherwise be stored for good, or overflow when turned into a UTC moment at either end
of Python's calendar. What happened can also not have happened after today; one day
of slack lets someone in a time zone ahead of UTC (where tomorrow has begun) record
what happened on their today. Pure code: the caller says what today is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
SLACK = timedelta(days=1)

EARLIEST_MOMENT = datetime.combine(EARLIEST, time.min, tzinfo=UTC)
LATEST_MOMENT = datetime.combine(LATEST, time.max, tzinfo=UTC)

SPAN = f"{EARLIEST.isoformat()} to {LATEST.isoformat()}"


def in_span(day: date) -> bool:
    """Whether ``day`` lies in the span the tracker accepts (``EARLIEST`` to ``LATEST``)."""
    return EARLIEST <= day <= LATEST


def moment_in_span(moment: datetime) -> bool:
    """Whether an aware ``moment`` lies in the span, judged in UTC."""
    return EARLIEST_MOMENT <= moment <= LATEST_MOMENT


def latest_happened(today: date) -> date:
    """The last day something can have happened on, when it is ``today`` in UTC."""
    return today + SLACK


def refusal(day: date, today: date) -> str | None:
    """Why ``day`` cannot be the day something happened on, or None when it can."""
    if day < EARLIEST:
        return (
            f"{day.isoformat()} is before {EARLIEST.isoformat()}, the earliest day the "
            "tracker keeps: is the year a typo?"
        )
    if day > latest_happened(today):
        return (
            f"{day.isoformat()} is in the future (today is {today.isoformat()} in UTC): "
            "record what happened once it has happened"
        )
    return None
