"""Worker processes for the event store's multi-process tests.

Each worker is a real process (the "spawn" start method, as on macOS and Windows) that
opens its own Database from the URL, so the store's guarantees are tested through the
database's own locking, never through anything shared in Python. Workers report one
picklable result, or the traceback of what went wrong, on a queue.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tracker.adapters.db import Database
from tracker.adapters.eventstore import ConcurrencyConflict, EventStore, NewEvent
from tracker.adapters.hashing import Chain

# A safety net, not a timing: a deadlocked worker fails the test instead of hanging it.
RESULT_TIMEOUT_S = 180
OCCURRED = datetime(2024, 1, 19, tzinfo=UTC)
SPAWN = multiprocessing.get_context("spawn")


class WorkerFailed(RuntimeError):
    """A worker process raised; the message carries its traceback."""


Job = tuple[Callable[..., Any], tuple[Any, ...]]


def run_processes(jobs: list[Job]) -> list[Any]:
    """Run each ``(function, args)`` in its own spawned process; results in job order."""
    results: Any = SPAWN.Queue()
    processes = [
        SPAWN.Process(target=_report, args=(index, results, target, args))
        for index, (target, args) in enumerate(jobs)
    ]
    for process in processes:
        process.start()
    try:
        # Drain before joining: a child blocks on exit until its queued data is read.
        reports = dict(results.get(timeout=RESULT_TIMEOUT_S) for _ in processes)
    finally:
        for process in processes:
            process.join(RESULT_TIMEOUT_S)
            if process.is_alive():
                process.kill()
    failures = [value for ok, value in reports.values() if not ok]
    if failures:
        raise WorkerFailed("\n".join(failures))
    return [reports[index][1] for index in range(len(processes))]


def _report(index: int, results: Any, target: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        results.put((index, (True, target(*args))))
    except BaseException:
        results.put((index, (False, traceback.format_exc())))


def _event(worker: int, n: int) -> NewEvent:
    return NewEvent(type="ContractTestNoted", data={"worker": worker, "n": n}, occurred_at=OCCURRED)


def contend_for_one_stream(
    url: str, stream_id: str, worker: int, count: int, start: Any = None
) -> dict[str, Any]:
    """Append ``count`` events to a stream every worker appends to, retrying on conflict.

    The version is read in one transaction and appended under it in another, outside
    the write lock, exactly as a command does; that is what lets others move the stream
    in between. Returns the versions won and the number of conflicts met.
    """
    db = Database(url)
    store = EventStore(Chain())
    won: list[int] = []
    conflicts = 0
    try:
        if start is not None:
            start.wait()
        while len(won) < count:
            with db.read() as conn:
                version = store.stream_version(conn, stream_id)
            try:
                with db.write() as conn:
                    store.append(conn, stream_id, version, [_event(worker, len(won))])
            except ConcurrencyConflict:
                conflicts += 1
                continue
            won.append(version + 1)
    finally:
        db.dispose()
    return {"won": won, "conflicts": conflicts}


def race_in_lockstep(
    url: str, stream_id: str, worker: int, rounds: int, barrier: Any
) -> list[bool]:
    """Each round every worker reads the same version, then all append at once.

    Barriers between reading and appending make every round a real race, so exactly
    one worker per round must win. Returns, per round, whether this worker won.
    """
    db = Database(url)
    store = EventStore(Chain())
    outcomes: list[bool] = []
    try:
        for round_ in range(rounds):
            with db.read() as conn:
                version = store.stream_version(conn, stream_id)
            barrier.wait()
            try:
                with db.write() as conn:
                    store.append(conn, stream_id, version, [_event(worker, round_)])
                outcomes.append(True)
            except ConcurrencyConflict:
                outcomes.append(False)
            barrier.wait()
    finally:
        db.dispose()
    return outcomes


def append_to_own_streams(
    url: str, worker: int, streams: int, per_stream: int, start: Any = None
) -> list[int]:
    """Append round-robin to streams only this worker writes; returns the positions got."""
    db = Database(url)
    store = EventStore(Chain())
    positions: list[int] = []
    try:
        if start is not None:
            start.wait()
        for version in range(per_stream):
            for stream in range(streams):
                with db.write() as conn:
                    result = store.append(
                        conn, f"w{worker}-s{stream}", version, [_event(worker, version)]
                    )
                positions.extend(result.positions)
    finally:
        db.dispose()
    return positions


def tail_log(url: str, last_position: int, start: Any = None) -> list[int]:
    """Follow the log with ``read_all(after=last)`` until ``last_position`` shows up.

    Returns every position read, in the order read, duplicates and all: the test judges.
    """
    db = Database(url)
    store = EventStore(Chain())
    seen: list[int] = []
    try:
        if start is not None:
            start.wait()
        while not seen or seen[-1] < last_position:
            with db.read() as conn:
                after = seen[-1] if seen else 0
                seen.extend(e.position for e in store.read_all(conn, after=after, batch_size=7))
    finally:
        db.dispose()
    return seen


def ensure_schema(url: str, start: Any = None) -> str | None:
    """Open a database and upgrade it, as every tracker process does at start-up."""
    if start is not None:
        start.wait()
    db = Database(url)
    try:
        db.ensure_schema()
        return db.current_revision()
    finally:
        db.dispose()


def record_progress(url: str, commitment_id: str, worker: int, count: int, start: Any) -> int:
    """Record ``count`` progress entries on a commitment every worker records on, each
    one ``Tracker.handle`` (a command, as `tracker record ID progress` runs it).

    Returns how many were appended: each must be, exactly once.
    """
    from datetime import date

    from tracker.domain.commitment import RecordProgress
    from tracker.service_layer.app import Tracker

    tracker = Tracker(Database(url))
    appended = 0
    try:
        start.wait()
        for n in range(count):
            command = RecordProgress(date(2024, 2, 1), None, None, f"worker {worker} entry {n}")
            appended += tracker.handle(commitment_id, command, name="record progress").appended
    finally:
        tracker.close()
    return appended
