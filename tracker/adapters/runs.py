"""The record of job runs that `tracker scheduler status` shows.

A run is written when it starts (outcome ``running``) and updated when it ends, so a
process killed mid-run leaves a row that says so; the next lease holder marks such
rows ``interrupted``. Outcomes: ``running``, ``ok``, ``failed``, ``skipped`` (the
scheduler meant to run the job but did not: it lost the lease or was stopped first)
and ``interrupted``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Row, func, insert, select, update

from tracker.adapters.db import Database
from tracker.adapters.eventstore import format_ts
from tracker.adapters.schema import job_runs
from tracker.clock import utc_now

RUNNING, OK, FAILED, SKIPPED, INTERRUPTED = "running", "ok", "failed", "skipped", "interrupted"
_R = job_runs.c
_COLUMNS = (
    _R.id,
    _R.job,
    _R.holder,
    _R.started_at,
    _R.finished_at,
    _R.outcome,
    _R.counts,
    _R.error,
)


@dataclass(frozen=True)
class JobRun:
    id: int
    job: str
    holder: str
    started_at: str
    finished_at: str | None
    outcome: str
    counts: dict[str, int]
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _row_to_run(row: Row) -> JobRun:
    run_id, job, holder, started, finished, outcome, counts, error = row
    return JobRun(run_id, job, holder, started, finished, outcome, json.loads(counts), error)


def _new_id(result: CursorResult[Any]) -> int:
    """The id the database gave the row just inserted."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _ts(now: datetime | None) -> str:
    return format_ts(now or utc_now())


def start_run(db: Database, job: str, holder: str, now: datetime | None = None) -> int:
    with db.write() as conn:
        result = conn.execute(
            insert(job_runs).values(
                job=job, holder=holder, started_at=_ts(now), outcome=RUNNING, counts="{}"
            )
        )
        return _new_id(result)


def finish_run(
    db: Database,
    run_id: int,
    outcome: str,
    counts: dict[str, int],
    error: str | None = None,
    now: datetime | None = None,
) -> None:
    with db.write() as conn:
        conn.execute(
            update(job_runs)
            .where(_R.id == run_id)
            .values(
                finished_at=_ts(now),
                outcome=outcome,
                counts=json.dumps(counts),
                error=error,
            )
        )


def record_skipped(
    db: Database, job: str, holder: str, reason: str, now: datetime | None = None
) -> int:
    stamp = _ts(now)
    with db.write() as conn:
        result = conn.execute(
            insert(job_runs).values(
                job=job,
                holder=holder,
                started_at=stamp,
                finished_at=stamp,
                outcome=SKIPPED,
                counts="{}",
                error=reason,
            )
        )
        return _new_id(result)


def mark_interrupted(db: Database, holder: str, now: datetime | None = None) -> list[JobRun]:
    """Close the runs other processes left ``running``: only the lease holder may call this.

    The caller holds the lease, so any other process's unfinished run belongs to a
    scheduler that lost it, which in practice means one that died.
    """
    with db.write() as conn:
        stale = [
            _row_to_run(row)
            for row in conn.execute(
                select(*_COLUMNS).where(_R.outcome == RUNNING, _R.holder != holder)
            )
        ]
        if stale:
            conn.execute(
                update(job_runs)
                .where(_R.id.in_([r.id for r in stale]))
                .values(
                    finished_at=_ts(now),
                    outcome=INTERRUPTED,
                    error="the scheduler running it stopped before it finished",
                )
            )
        return stale


def latest_runs(db: Database) -> dict[str, JobRun]:
    """The most recent run of each job, by job name."""
    newest = select(func.max(_R.id)).group_by(_R.job)
    with db.read() as conn:
        rows = conn.execute(select(*_COLUMNS).where(_R.id.in_(newest)))
        return {run.job: run for run in map(_row_to_run, rows)}


def recent_runs(db: Database, limit: int = 20, job: str | None = None) -> list[JobRun]:
    """The last ``limit`` runs, newest first."""
    query = select(*_COLUMNS).order_by(_R.id.desc()).limit(limit)
    if job is not None:
        query = query.where(_R.job == job)
    with db.read() as conn:
        return [_row_to_run(row) for row in conn.execute(query)]
