"""Proving the projections equal a fresh fold of the log, and rebuilding them from it.

A rebuild folds every stream and compares each row it derives with a fingerprint of
the stored one, then writes only the rows that differ, and deletes those no stream
derives: a rebuild of projections that were right writes nothing, and leaves them
exactly as a fresh fold would. The folding can be split between worker processes by
ranges of streams (:mod:`tracker.adapters.parallel`); the writing stays in the one
transaction that holds the write lock, so a rebuild is all or nothing either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tracker.adapters.db import Database
from tracker.adapters.eventstore import EventStore, StreamRange
from tracker.adapters.parallel import range_count, run_ranges
from tracker.adapters.projection_sql import Changed, Key
from tracker.adapters.sql_unit_of_work import SqlUnitOfWork
from tracker.service_layer.app import Tracker, collector_paused
from tracker.service_layer.projections import (
    FOLD_ERRORS,
    Comparison,
    Difference,
    derive_all,
    domain_streams,
)
from tracker.service_layer.unit_of_work import Session

Progress = Callable[[int], None]


class DamagedLog(RuntimeError):
    """The log holds rows that cannot be read or folded: nothing was rebuilt from it."""


@dataclass
class RebuildReport:
    events: int
    differences: list[Difference]


def check_projections(session: Session, progress: Progress | None = None) -> list[Difference]:
    """How the stored projection rows differ from a fresh fold of the log, written nowhere."""
    with collector_paused():
        comparison = Comparison(session.projection_digests())
        for rows in derive_all(domain_streams(session.read_fold_rows()), progress):
            comparison.feed(rows)
        return comparison.finish()


def rebuild_projections(
    tracker: Tracker, progress: Progress | None = None, *, jobs: int = 1
) -> RebuildReport:
    """Make every projection row equal one derived from the log, in one transaction,
    and report how the old rows differed (nothing, when all is well).

    With more than one job, a long log is folded by that many worker processes.
    """
    with collector_paused(), tracker.uow.write() as session:
        events = session.count()
        comparison = Comparison(session.projection_digests())
        db = tracker.database  # workers connect to it; a log in memory is folded here
        parts = range_count(db, jobs, events)
        if db is None or parts == 1:
            changed = _derive(session, comparison, (None, None), progress)
        else:
            ranges = session.stream_ranges(parts)
            changed = _absorbed(comparison, db, tracker.store, ranges, jobs, progress)
        session.write_changed(changed)
        differences = comparison.finish()
        session.delete_keys(comparison.orphans)
        return RebuildReport(events, differences)


def _derive(
    session: Session,
    comparison: Comparison,
    span: StreamRange,
    progress: Progress | None,
) -> Iterator[Changed]:
    """The rows of the streams in ``span`` that differ from what is stored, stream by stream;
    :class:`DamagedLog` (the write transaction then rolls back) if one cannot be folded."""
    fresh = derive_all(domain_streams(session.read_fold_rows(streams=span)), progress)
    try:
        for rows in fresh:
            yield comparison.feed(rows)
    except FOLD_ERRORS as exc:
        raise DamagedLog(
            f"the log holds a row that cannot be read or folded ({type(exc).__name__}: "
            f"{exc}); the projections were left as they were. Run `tracker audit` to find "
            "the damaged rows: a log that was tampered with must not be rebuilt from"
        ) from None


@dataclass
class _Range:
    """What a worker learnt of one range of streams."""

    events: int
    differences: list[Difference]
    changed: Changed
    matched: list[Key]


def _derive_range(
    db: Database, shared: tuple[EventStore, dict[Key, int]], span: StreamRange
) -> _Range:
    store, stored = shared
    comparison = Comparison(stored, keep_matched=True)
    counted: list[int] = []
    with collector_paused(), SqlUnitOfWork(db, store).read() as session:
        changed = [
            row for rows in _derive(session, comparison, span, counted.append) for row in rows
        ]
    assert comparison.matched is not None
    return _Range(sum(counted), comparison.differences, changed, comparison.matched)


def _absorbed(
    comparison: Comparison,
    db: Database,
    store: EventStore,
    ranges: list[StreamRange],
    jobs: int,
    progress: Progress | None,
) -> Iterator[Changed]:
    """Each range's changed rows, folded by workers, their comparisons taken into
    ``comparison`` in log order."""
    for found in run_ranges(db, _derive_range, (store, comparison.stored), ranges, jobs):
        comparison.absorb(found.differences, found.matched)
        if progress:
            progress(found.events)
        yield found.changed
