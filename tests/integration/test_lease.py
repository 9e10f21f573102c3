"""The scheduler lease is granted on the clock as it reads once the write lock is held,
and a scheduler that lost it runs no further job.

The clock is moved with time-machine while another connection holds the write lock, so
"a long wait" takes no time and nothing depends on timing.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import text

from tracker.adapters import runs
from tracker.adapters.db import Database
from tracker.adapters.lease import Lease, acquire, read_lease
from tracker.clock import utc_now
from tracker.entrypoints.scheduler import JobScheduler
from tracker.service_layer.app import Tracker

WAITING = text(
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
    "AND wait_event = 'advisory'"
)


def wait_until_blocked(db: Database) -> None:
    """Until another connection waits for the advisory write lock (PostgreSQL)."""
    waited = threading.Event()
    for _ in range(600):
        with db.engine.connect() as conn:
            if conn.execute(WAITING).scalar_one():
                return
        waited.wait(0.05)
    raise AssertionError("acquire() never waited for the write lock")


@pytest.mark.postgres
def test_a_lease_granted_after_a_long_wait_is_live_when_granted(pg_server: Any) -> None:
    name = "t_lease_wait"
    db = Database(pg_server.create_database(name))
    try:
        db.ensure_schema()
        granted: list[Lease] = []
        with time_machine.travel(utc_now(), tick=True) as clock:
            with db.write():  # another writer, holding the lock
                waiter = threading.Thread(target=lambda: granted.append(acquire(db, "b", 30)))
                waiter.start()
                wait_until_blocked(db)
                clock.shift(timedelta(minutes=5))  # the other writer takes five minutes
                let_go = utc_now()
            waiter.join()
        (lease,) = granted
        assert lease.holder == "b"
        assert lease.acquired_at >= let_go
        assert lease.expires_at > let_go + timedelta(seconds=29)
    finally:
        db.dispose()
        pg_server.drop_database(name)


def test_a_holder_whose_lease_lapsed_and_was_taken_runs_no_further_job(db: Database) -> None:
    tracker = Tracker(db)
    first = JobScheduler(tracker, {}, lease_ttl=30, holder="first")
    second = JobScheduler(tracker, {}, lease_ttl=30, holder="second")
    with time_machine.travel(utc_now(), tick=False) as clock:
        assert first.run_job("overdue") == runs.OK
        clock.shift(timedelta(seconds=31))  # first stalled past its TTL …
        assert second.run_job("overdue") == runs.OK  # … and second took over
        assert first.run_job("audit") == runs.SKIPPED
    lease = read_lease(db)
    assert lease is not None and lease.holder == "second"
    audit = runs.latest_runs(db)["audit"]
    assert (audit.holder, audit.outcome) == ("first", runs.SKIPPED)
