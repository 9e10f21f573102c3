"""The scheduled jobs by name: what `tracker scheduler` runs and records.

Each job takes the tracker and the clock and returns counts for the run record; a
job that could not do all its work raises :class:`JobFailed` with the counts of what
it did, so the run is recorded as failed with both. A job that needs settings says
what is missing before it runs (:func:`unmet_settings`), so that the scheduler can
report it in words rather than as the error of a half-started run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from tracker.config import MAIL_FROM_ENV, SMTP_URL_ENV, stale_days_from_env, within_days_from_env
from tracker.service_layer.app import Tracker

Counts = dict[str, int]
Job = Callable[[Tracker, datetime], Counts]


class JobFailed(RuntimeError):
    def __init__(self, message: str, counts: Counts) -> None:
        super().__init__(message)
        self.counts = counts


def overdue_job(tracker: Tracker, now: datetime) -> Counts:
    from tracker.service_layer.overdue import flag

    report = flag(tracker, now)
    return {"overdue": len(report.overdue), "flagged": len(report.flagged)}


def remind_job(tracker: Tracker, now: datetime) -> Counts:
    from tracker.service_layer.reminders import send_reminders

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
    from tracker.service_layer.audit import run_audit

    report = run_audit(tracker, now, stale_days=stale_days_from_env())
    failed = [c.name for c in report.checks if not c.ok]
    counts = {"checks": len(report.checks), "failed_checks": len(failed)}
    if not report.ok:
        raise JobFailed(f"audit failed: {', '.join(failed)}", counts)
    return counts


def publish_job(directory: Path, title: str | None = None, base_url: str | None = None) -> Job:
    """The job that publishes the site to ``directory``: it runs only where a scheduler
    is given a directory (``scheduler run --publish-dir DIR``), so it is made here for
    that directory rather than listed in :data:`JOBS` with the jobs every scheduler runs."""

    def publish(tracker: Tracker, now: datetime) -> Counts:
        from tracker.service_layer.publish import DEFAULT_TITLE
        from tracker.service_layer.publish import publish as publish_site
        from tracker.service_layer.queries import View

        view = View(today=now.date())
        done = publish_site(
            tracker, directory, view, title=title or DEFAULT_TITLE, base_url=base_url
        )
        return {"commitments": done.commitments, "files": done.files}

    return publish


JOBS: dict[str, Job] = {"overdue": overdue_job, "remind": remind_job, "audit": audit_job}

# Examples to copy, shown as written: they are not anyone's password.
_MAIL_EXAMPLES = {
    SMTP_URL_ENV: "smtp://user:password@mail.example.org:587",
    MAIL_FROM_ENV: "tracker@example.org",
}


def _mail_settings(env: Mapping[str, str]) -> str | None:
    from tracker.adapters.mail import MailConfigError, SmtpSettings

    missing = [name for name in _MAIL_EXAMPLES if not env.get(name, "").strip()]
    if missing:
        examples = " and ".join(_MAIL_EXAMPLES[name] for name in missing)
        return f"set {' and '.join(missing)} (for example {examples})"
    try:
        SmtpSettings.from_env(env)
    except MailConfigError as exc:  # its messages never quote the password
        return str(exc)
    return None


_SETTINGS: dict[str, Callable[[Mapping[str, str]], str | None]] = {"remind": _mail_settings}


def unmet_settings(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """What job ``name`` lacks to run with these settings (the environment by
    default), as an instruction to set them; None when it has what it needs."""
    check = _SETTINGS.get(name)
    return check(os.environ if env is None else env) if check else None
