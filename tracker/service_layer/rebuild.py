"""Proving the projections equal a fresh fold of the log, and rebuilding them from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from tracker.adapters import schema
from tracker.service_layer.app import Tracker, bulk
from tracker.service_layer.projections import (
    FOLD_ERRORS,
    Comparison,
    Difference,
    clear_all,
    derive_all,
    domain_streams,
    stored_digests,
    write_rows,
)


class DamagedLog(RuntimeError):
    """The log holds rows that cannot be read or folded: nothing was rebuilt from it."""


@dataclass
class RebuildReport:
    events: int
    differences: list[Difference]


def event_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(schema.events)).scalar() or 0)


def check_projections(
    tracker: Tracker, conn: Connection, progress: Callable[[int], None] | None = None
) -> list[Difference]:
    with bulk():
        comparison = Comparison(stored_digests(conn))
        for rows in derive_all(domain_streams(tracker.store.read_fold_rows(conn)), progress):
            comparison.feed(rows)
        return comparison.finish()


def rebuild_projections(
    tracker: Tracker, progress: Callable[[int], None] | None = None
) -> RebuildReport:
    """Replace every projection row with one derived from the log, in one transaction,
    and report how the old rows differed (nothing, when all is well)."""
    try:
        with bulk(), tracker.db.write() as conn:
            comparison = Comparison(stored_digests(conn))
            clear_all(conn)
            fresh = derive_all(domain_streams(tracker.store.read_fold_rows(conn)), progress)
            write_rows(conn, (comparison.feed(rows) for rows in fresh))
            return RebuildReport(event_count(conn), comparison.finish())
    except FOLD_ERRORS as exc:  # the transaction was rolled back: the old rows stand
        raise DamagedLog(
            f"the log holds a row that cannot be read or folded ({type(exc).__name__}: "
            f"{exc}); the projections were left as they were. Run `tracker audit` to find "
            "the damaged rows: a log that was tampered with must not be rebuilt from"
        ) from exc
