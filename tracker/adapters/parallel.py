"""Splitting a pass over the log between worker processes.

What bounds a pass over a long log is the Python work per row (hashing, decoding,
folding), and one process runs on one core. Split into ranges, each read over its own
connection by a worker process, the pass uses every core; the caller merges the
ranges' results in their order, so that the outcome is the one a single pass gives.

Workers are forked: they inherit what the caller prepared before the split (a digest,
the stored projection fingerprints) instead of receiving a pickled copy per range,
and only each range's bounds travel to them. A forked child must never use its
parent's connections, so it disposes of the inherited engine's pool (leaving the
parent's connections open) and opens its own. Where there is no ``fork`` (Windows),
or when the database lives only in the parent's memory, the pass runs in one process.

A worker that dies (killed, out of memory) fails the pass with ``BrokenProcessPool``
rather than leaving it waiting for a range that will never come. Workers ignore
Ctrl-C: the interrupted parent cancels the ranges not yet begun and waits for those
under way to end.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Connection

from tracker.adapters.db import Database, sqlite_path

Task = TypeVar("Task")
Result = TypeVar("Result")

# Fewer rows than this per range do not repay starting a process for them.
MIN_ROWS = 20_000
# Ranges per worker: more than one, so that a range that turns out slow (long streams,
# many findings) does not leave the other workers idle, and progress moves in steps.
RANGES_PER_JOB = 4

_job: tuple[Callable[[Database, Any, Any], Any], Database, Any] | None = None


def default_jobs() -> int:
    return os.cpu_count() or 1


def range_count(db: Database | None, jobs: int, rows: int) -> int:
    """How many ranges a pass over ``rows`` rows is split into: 1 means one pass here.

    ``db`` None: a log the unit of work holds in memory, which no worker can reach."""
    if db is None or jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if db.is_sqlite and sqlite_path(db.url) is None:  # in memory: other processes cannot see it
        return 1
    return max(1, min(jobs * RANGES_PER_JOB, math.ceil(rows / MIN_ROWS)))


def database_of(conn: Connection) -> Database:
    """The database ``conn`` is a connection to, for workers to connect to as well."""
    return Database(conn.engine.url.render_as_string(hide_password=False), conn.engine)


def _run(task: Any) -> Any:
    assert _job is not None  # set by run_ranges before the fork
    work, db, shared = _job
    return work(db, shared, task)


def _start(db: Database) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    db.engine.dispose(close=False)


def run_ranges(
    db: Database,
    work: Callable[[Database, Any, Task], Result],
    shared: Any,
    tasks: Sequence[Task],
    jobs: int,
) -> Iterator[Result]:
    """``work(db, shared, task)`` for every task, in ``jobs`` forked workers, the
    results in the order of ``tasks``. ``work`` must be a module-level function; each
    worker connects to ``db`` anew, and reads ``shared`` as inherited."""
    global _job
    _job = (work, db, shared)
    workers = min(jobs, len(tasks))
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start,
        initargs=(db,),
    )
    waiting = iter(tasks)
    # One range more than there are workers is under way: a worker that finishes
    # ahead of the range the caller waits for starts another, but results cannot pile
    # up in this process (``pool.map`` starts every range at once, and every finished
    # one waited here until the caller took it).
    running = deque(pool.submit(_run, task) for task in islice(waiting, workers + 1))
    try:
        while running:
            found = running.popleft().result()
            running.extend(pool.submit(_run, task) for task in islice(waiting, 1))
            yield found
    finally:
        _job = None
        pool.shutdown(cancel_futures=True)
