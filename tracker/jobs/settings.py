"""The jobs' settings from the environment: their names, defaults and bounds.

Read alike by the commands (`tracker remind`, `tracker audit`) and by the scheduler's
jobs, so that a value one refuses the other does not quietly use. Light on imports,
because the command line builds its options from these bounds at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from tracker.config import ConfigError, days_from_env

WITHIN_ENV = "TRACKER_REMIND_WITHIN_DAYS"
DEFAULT_WITHIN_DAYS = 7
MAX_WITHIN_DAYS = 3650  # ten years ahead; more says nothing and overflows the calendar

STALE_ENV = "TRACKER_STALE_DAYS"
DEFAULT_STALE_DAYS = 90
MAX_STALE_DAYS = 3650  # beyond ten years "stale" means nothing, and far beyond it overflows

# The scheduler's: beyond these a cadence or a lease means nothing, and far beyond
# them the clock's arithmetic overflows (a run "every 99999999999d" is a typo).
LONGEST_CADENCE = timedelta(days=366)
LONGEST_LEASE_TTL_S = 86400.0  # a day
LONGEST_WAIT_S = 86400.0


def check_within(days: int, name: str = "within_days") -> int:
    """``days`` if it is a usable horizon (0 to ``MAX_WITHIN_DAYS``), else ConfigError."""
    if not 0 <= days <= MAX_WITHIN_DAYS:
        raise ConfigError(
            f"{name}={days} is out of range: give a whole number of days from 0 to "
            f"{MAX_WITHIN_DAYS}"
        )
    return days


def within_days_from_env(env: Mapping[str, str] | None = None) -> int:
    """How far ahead reminders look, from ``$TRACKER_REMIND_WITHIN_DAYS``."""
    return days_from_env(WITHIN_ENV, DEFAULT_WITHIN_DAYS, 0, MAX_WITHIN_DAYS, env)


def stale_days_from_env(env: Mapping[str, str] | None = None) -> int:
    """After how many days without evidence the audit calls an open commitment stale."""
    return days_from_env(STALE_ENV, DEFAULT_STALE_DAYS, 1, MAX_STALE_DAYS, env)
