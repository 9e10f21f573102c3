"""The one clock: the time and the day now, in UTC.

Everything that records or judges "now" asks here, so that days never depend on the
machine's time zone and tests can fix the time in one way (time-machine).
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def utc_today() -> date:
    """Today in UTC: what commands, imports and reports are judged against."""
    return datetime.now(UTC).date()
