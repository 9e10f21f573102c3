"""Every numeric option is bounded: a number out of range is a usage error (exit 2)
naming the option, never a traceback, and nothing is written — on both backends.

The first cases are the ones fault tests found giving tracebacks: integers past what
the databases store, ``nan`` (which a plain range lets through) and spans past what
the clock's arithmetic holds.
"""

from __future__ import annotations

import pytest
from support.cli import Cli

from tracker.adapters import runs
from tracker.adapters.db import Database

CASES = [
    (("events", "--after", "9223372036854775808"), "'--after'"),
    (("events", "--after", "-1"), "'--after'"),
    (("status", "--limit", "9223372036854775808"), "'--limit'"),
    (("status", "--upcoming", "36601"), "'--upcoming'"),
    (("scheduler", "status", "--history", "9223372036854775808"), "'--history'"),
    (("scheduler", "run", "--once", "--lease-ttl", "nan"), "'--lease-ttl'"),
    (("scheduler", "run", "--once", "--lease-ttl", "1e12"), "'--lease-ttl'"),
    (("scheduler", "run", "--once", "--lease-ttl", "inf"), "'--lease-ttl'"),
    (("scheduler", "run", "--once", "--overdue-every", "99999999999d"), "'--overdue-every'"),
    (("scheduler", "run", "--remind-every", "367d"), "'--remind-every'"),
    (("scheduler", "run", "--once", "--wait", "nan"), "'--wait'"),
    (("scheduler", "run", "--once", "--wait", "1e300"), "'--wait'"),
    (("scheduler", "run", "--once", "--jobs", "overdue,mail"), "'--jobs'"),
    (("scheduler", "run", "--once", "--jobs", ","), "'--jobs'"),
    (("scheduler", "run", "--once", "--jobs", "audit", "--remind-every", "1d"), "'--jobs'"),
    (("remind", "--dry-run", "--within", "9223372036854775808"), "'--within'"),
    (("remind", "--dry-run", "--within", "3651"), "'--within'"),  # the variable's bound too
    (("audit", "--stale-days", "9223372036854775808"), "'--stale-days'"),
    (("record", "darien-visit", "retract", "9223372036854775808", "--reason", "x"), "'ENTRY'"),
    (("record", "darien-visit", "retract", "0", "--reason", "x"), "'ENTRY'"),
    (
        ("record", "darien-visit", "note", "x", "--expect-version", "9223372036854775808"),
        "'--expect-version'",
    ),
]


@pytest.fixture
def tracker(db_url: str) -> Cli:
    return Cli(db_url).load_demo()


def scheduler_runs(db_url: str) -> list[runs.JobRun]:
    database = Database(db_url)
    try:
        return runs.recent_runs(database, 100)
    finally:
        database.dispose()


@pytest.mark.parametrize(("args", "option"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_a_number_out_of_range_is_refused_naming_its_option(
    tracker: Cli, db_url: str, args: tuple[str, ...], option: str
) -> None:
    log = tracker.events()
    result = tracker(*args)
    assert result.exit_code == 2, (result.output, result.exception)
    assert f"Invalid value for {option}" in result.stderr
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    assert tracker.events() == log
    assert scheduler_runs(db_url) == []


@pytest.mark.parametrize("variable", ["TRACKER_OVERDUE_EVERY", "TRACKER_AUDIT_EVERY"])
def test_a_cadence_variable_out_of_range_is_refused_naming_it(
    tracker: Cli, db_url: str, variable: str
) -> None:
    log = tracker.events()
    result = tracker("scheduler", "run", "--once", env={variable: "99999999999d"})
    assert result.exit_code == 2, (result.output, result.exception)
    assert f"{variable}: '99999999999d' is longer than the longest cadence, 366d" in result.stderr
    assert isinstance(result.exception, SystemExit)
    assert tracker.events() == log
    assert scheduler_runs(db_url) == []
