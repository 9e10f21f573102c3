"""What the operator asks of a tracker beside its log: the scheduler's lease and its
jobs' runs, the database's schema revision and roles, and how many worker processes
a long pass over the log is split between.

The CLI reaches these through here rather than the adapters. They are records of the
database itself, not of the log, so they need one (``NeedsDatabase`` in memory).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from tracker.adapters import lease, roles, runs
from tracker.adapters.lease import Lease
from tracker.adapters.parallel import default_jobs
from tracker.adapters.revision import SCHEMA_REVISION
from tracker.adapters.roles import Grant
from tracker.adapters.runs import JobRun
from tracker.config import resolve_db_url
from tracker.service_layer.app import SchemaStatus, Tracker

__all__ = ["default_jobs"]


def scheduler_lease(tracker: Tracker) -> Lease | None:
    """Which scheduler holds the lease, or held it last (None: none, or it was given back)."""
    return lease.read_lease(tracker.db)


def latest_runs(tracker: Tracker) -> dict[str, JobRun]:
    """The most recent run of each job, by job name."""
    return runs.latest_runs(tracker.db)


def recent_runs(tracker: Tracker, limit: int) -> list[JobRun]:
    """The last ``limit`` runs of all jobs, newest first."""
    return runs.recent_runs(tracker.db, limit)


def database_where(tracker: Tracker) -> str:
    """Where the tracker's database is: its URL with the password masked."""
    return tracker.db.where


def schema_revision(tracker: Tracker) -> SchemaStatus:
    """Where the tracker's database is and the schema revision it is at."""
    return SchemaStatus(database_where(tracker), tracker.db.current_revision(), SCHEMA_REVISION)


def refuse_roles_on_sqlite(db_option: str | None) -> None:
    """A ``ConfigError`` if the database named (as for ``Tracker.open``) is SQLite, which
    has no roles: checked before opening it, which would create the file."""
    roles.refuse_sqlite(resolve_db_url(db_option))


def grant_roles(
    tracker: Tracker, wanted: Sequence[tuple[str, Literal["reader", "writer"]]]
) -> list[Grant]:
    """Give each PostgreSQL role exactly a reader's or a writer's rights."""
    return roles.grant(tracker.db, list(wanted))
