"""What the operator asks of a tracker beside its log: the scheduler's lease and its
jobs' runs, the database's schema revision and roles, and how many worker processes
a long pass over the log is split between.

The CLI reaches these through here rather than the adapters. They are records of the
database itself, not of the log, so they need one (``NeedsDatabase`` in memory).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from tracker.adapters import lease, roles, runs
from tracker.adapters.db import Database
from tracker.adapters.lease import Lease
from tracker.adapters.parallel import default_jobs
from tracker.adapters.revision import SCHEMA_REVISION
from tracker.adapters.roles import Grant
from tracker.adapters.runs import JobRun
from tracker.config import resolve_db_url, sqlite_path
from tracker.service_layer.app import Tracker

__all__ = ["default_jobs"]


@dataclass(frozen=True)
class SchemaStatus:
    """A database's schema revision beside the one this code expects (`tracker db current`)."""

    where: str  # the URL with its password masked, or the SQLite file not made yet
    revision: str | None  # None: no schema yet
    expected: str
    exists: bool = True  # False: an SQLite file that no command has created yet


def schema_status(url: str | None = None) -> SchemaStatus:
    """The schema revision of the database at ``url`` (as for :meth:`Tracker.open`),
    read without creating or changing anything, unlike opening a :class:`Tracker`.

    A database with tables but no tracker schema is refused, never reported as empty.
    """
    resolved = resolve_db_url(url)
    if (path := sqlite_path(resolved)) is not None and not path.exists():
        return SchemaStatus(str(path), None, SCHEMA_REVISION, exists=False)
    database = Database(resolved)
    try:
        current = database.current_revision()
        if current is None:
            database.refuse_foreign()
    finally:
        database.dispose()
    return SchemaStatus(database.where, current, SCHEMA_REVISION)


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
