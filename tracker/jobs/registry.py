"""The scheduled jobs by name: what `tracker scheduler` runs and records.

Each job takes the tracker and the clock and returns counts for the run record; a
job that could not do all its work raises :class:`JobFailed` with the counts of what
it did, so the run is recorded as failed with both.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from tracker.service_layer.app import Tracker

Counts = dict[str, int]
Job = Callable[[Tracker, datetime], Counts]


class JobFailed(RuntimeError):
    def __init__(self, message: str, counts: Counts) -> None:
        super().__init__(message)
        self.counts = counts


def overdue_job(tracker: Tracker, now: datetime) -> Counts:
    from tracker.jobs.overdue import flag

    report = flag(tracker, now)
    return {"overdue": len(report.overdue), "flagged": len(report.flagged)}


def remind_job(tracker: Tracker, now: datetime) -> Counts:
    from tracker.jobs.reminders import send_reminders
    from tracker.jobs.settings import within_days_from_env

    report = send_reminders(tracker, now, within_days=within_days_from_env())
    counts = {
        "digests": len(report.digests),
        "sent": len(report.sent),
        "failed": len(report.failed),
        "refused": len(report.refused),
    }
    problems = [
        f"{len(found)} digests {what}: " + "; ".join(f"{owner}: {error}" for owner, error in found)
        for found, what in (
            (report.failed, "not sent (retried next run)"),
            (report.refused, "refused (recorded, not retried today)"),
        )
        if found
    ]
    if problems:
        raise JobFailed("; ".join(problems), counts)
    return counts


def audit_job(tracker: Tracker, now: datetime) -> Counts:
    from tracker.jobs.audit import run_audit
    from tracker.jobs.settings import stale_days_from_env

    report = run_audit(tracker, now, stale_days=stale_days_from_env())
    failed = [c.name for c in report.checks if not c.ok]
    counts = {"checks": len(report.checks), "failed_checks": len(failed)}
    if not report.ok:
        raise JobFailed(f"audit failed: {', '.join(failed)}", counts)
    return counts


JOBS: dict[str, Job] = {"overdue": overdue_job, "remind": remind_job, "audit": audit_job}
