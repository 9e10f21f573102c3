"""`tracker scheduler run|status`: the long-running scheduler and the record of its runs.

APScheduler and the database load inside the commands, so ``--help`` stays quick.
"""

from __future__ import annotations

import logging
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from tracker.config import LONGEST_LEASE_TTL_S, LONGEST_WAIT_S
from tracker.domain.words import to_second
from tracker.jsontext import json_line

from .context import EXIT_PROBLEMS, AppContext, fail, handle_errors, pass_app
from .output import TEXT, Column, echo_styled, emit, output_options
from .params import BIGINT_MAX, FiniteRange

_OUTCOME_STYLES = {
    "ok": "green",
    "failed": "red",
    "interrupted": "red",
    "running": "yellow",
    "skipped": "yellow",
}


class DurationType(click.ParamType):
    name = "DURATION"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> timedelta:
        if isinstance(value, timedelta):
            return value
        from tracker.entrypoints.scheduler import DurationError, parse_duration

        try:
            return parse_duration(str(value))
        except DurationError as exc:
            self.fail(str(exc), param, ctx)


DURATION = DurationType()


class JobsType(click.ParamType):
    """Job names separated by commas, in the order the jobs run whatever the order given."""

    name = "JOBS"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, ...]:
        from tracker.entrypoints.registry import JOBS

        if isinstance(value, tuple):
            return value
        names = {part.strip().lower() for part in str(value).split(",")} - {""}
        unknown = sorted(names - set(JOBS))
        if unknown or not names:
            what = f"unknown job {', '.join(map(repr, unknown))}" if unknown else "no job named"
            self.fail(f"{what}: name one or more of {', '.join(JOBS)}, separated by commas")
        return tuple(name for name in JOBS if name in names)


JOBS_LIST = JobsType()


@click.group()
def scheduler() -> None:
    """Run the scheduled jobs (overdue scan, reminders, audit; publishing the site with
    --publish-dir) and show their runs.

    Several schedulers may run against one database: one holds a lease and runs the
    jobs, the others stand by and take over when it stops.

    \b
    Examples:
      tracker scheduler run                 # until SIGTERM or Ctrl-C
      tracker scheduler run --once          # every job once, for cron
      tracker scheduler status              # the latest runs and the lease
    """


def _cadence_option(job: str, default: str, what: str) -> Any:
    variable = f"TRACKER_{job.upper()}_EVERY"
    return click.option(
        f"--{job}-every",
        type=DURATION,
        help=f"How often to {what}, at most 366d (default: ${variable}, else {default}).",
    )


@scheduler.command("run")
@click.option("--once", is_flag=True, help="Run each job once, in order, and exit.")
@click.option(
    "--jobs",
    "chosen",
    type=JOBS_LIST,
    default="overdue,remind,audit",
    show_default=True,
    help="Which jobs to run, separated by commas (with or without --once).",
)
@click.option(
    "--wait",
    "wait_s",
    type=FiniteRange(0, LONGEST_WAIT_S),
    default=0,
    show_default=True,
    metavar="SECONDS",
    help="With --once: how long to wait for the lease while another scheduler holds it.",
)
@_cadence_option("overdue", "1h", "flag overdue items")
@_cadence_option("remind", "1d", "send reminder digests")
@_cadence_option("audit", "7d", "audit the log")
@click.option(
    "--publish-dir",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also publish the site to DIR (as `tracker publish DIR`), every --publish-every.",
)
@click.option(
    "--publish-every", type=DURATION, default="1h", show_default=True, help="How often to publish."
)
@click.option(
    "--lease-ttl",
    type=FiniteRange(1, LONGEST_LEASE_TTL_S),
    default=30,
    show_default=True,
    metavar="SECONDS",
    help="How long the lease outlives its holder; it is renewed every third of that.",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Log APScheduler's own messages and tracebacks."
)
@pass_app
@handle_errors
def run(
    app: AppContext,
    once: bool,
    chosen: tuple[str, ...],
    wait_s: float,
    overdue_every: timedelta | None,
    remind_every: timedelta | None,
    audit_every: timedelta | None,
    publish_dir: Path | None,
    publish_every: timedelta,
    lease_ttl: float,
    verbose: bool,
) -> None:
    """Run the jobs on their cadences until SIGTERM or Ctrl-C, or once with --once.

    Jobs run when the scheduler starts, then every cadence (a number and a unit: 30s,
    15m, 1h, 1d, 7d). Only the scheduler holding the database lease runs them; others
    log "standby" and take over within the lease TTL when it dies, at once when it
    is stopped. Each run is logged to stderr and recorded for `scheduler status`.

    --jobs picks the jobs (overdue, remind, audit; all by default); --publish-dir
    adds publishing the site. A job that lacks
    its settings (remind without $TRACKER_SMTP_URL and $TRACKER_MAIL_FROM) is not
    run: it is logged and recorded as failed with what to set, and the others run.

    With --once, exit status 0 when every job succeeded, 1 otherwise or when another
    scheduler holds the lease (nothing is run then).

    \b
    Examples:
      tracker scheduler run
      tracker scheduler run --overdue-every 15m --remind-every 1d --audit-every 7d
      tracker scheduler run --once                 # from cron
      tracker scheduler run --once --jobs overdue,audit     # no mail here
      tracker scheduler run --publish-dir /var/www/pledges --publish-every 1h
      TRACKER_REMIND_EVERY=12h tracker scheduler run --lease-ttl 60
    """
    from tracker.entrypoints.registry import JOBS, publish_job
    from tracker.entrypoints.scheduler import JobScheduler, LeaseUnavailable, resolve_cadences

    given = {"overdue": overdue_every, "remind": remind_every, "audit": audit_every}
    for name, cadence in given.items():
        if cadence is not None and name not in chosen:
            raise click.BadParameter(
                f"--{name}-every sets the cadence of {name}, which --jobs leaves out",
                param_hint="'--jobs'",
            )
    cadences = resolve_cadences(given, jobs=chosen)
    _configure_logging(verbose)
    table = dict(JOBS)
    if publish_dir is not None:
        from tracker.service_layer.publish.writing import PublishRefused, check_target

        try:
            check_target(publish_dir)  # a wrong DIR is a mistake to say now, not each hour
        except PublishRefused as exc:
            fail(str(exc))
        table["publish"], cadences["publish"] = publish_job(publish_dir), publish_every
    jobs = JobScheduler(app.tracker, cadences, lease_ttl=lease_ttl, jobs=table)
    if not once:
        jobs.run_forever()
        return
    try:
        outcomes = jobs.run_once(wait_s)
    except LeaseUnavailable as exc:
        fail(str(exc), EXIT_PROBLEMS)
    failed = [f"{name} {outcome}" for name, outcome in outcomes.items() if outcome != "ok"]
    if failed:
        echo_styled(
            f"Not every job succeeded ({', '.join(failed)}): see the log above and "
            "`tracker scheduler status`.",
            "red",
            err=True,
        )
        raise SystemExit(EXIT_PROBLEMS)


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if verbose else logging.WARNING)
    # SQLAlchemy's own loggers would print statements (with parameters) at DEBUG.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # a first run's upgrade, step by step


def _counts(value: Any) -> str:
    return " ".join(f"{k}={v}" for k, v in (value or {}).items())


RUN_COLUMNS = [
    Column("job", "job"),
    Column(
        "outcome",
        "outcome",
        render=lambda v: "never run" if v is None else str(v),
        style=lambda r: _OUTCOME_STYLES.get(r.get("outcome") or ""),
    ),
    Column("started_at", "started", render=to_second),
    Column("finished_at", "finished", render=to_second),
    Column("counts", "counts", render=_counts, kind=TEXT, priority=1),
    Column("error", "error", kind=TEXT, priority=2),
    Column("holder", "by", kind=TEXT),
]


@scheduler.command("status")
@click.option(
    "--history",
    type=click.IntRange(1, BIGINT_MAX),
    metavar="N",
    help="List the last N runs of all jobs instead of the latest run of each.",
)
@output_options
@pass_app
@handle_errors
def status(app: AppContext, history: int | None, fmt: str) -> None:
    """Show the latest run of each job and which scheduler holds the lease.

    A run left "running" by a scheduler that no longer holds the lease shows as
    "interrupted". With --format json, prints {"lease": …, "runs": […]}.

    \b
    Examples:
      tracker scheduler status
      tracker scheduler status --history 20
      tracker scheduler status --format json
    """
    from tracker.clock import utc_now
    from tracker.entrypoints.registry import JOBS
    from tracker.service_layer.operations import latest_runs, recent_runs, scheduler_lease

    now = utc_now()
    lease = scheduler_lease(app.tracker)
    live_holder = lease.holder if lease is not None and lease.live(now) else None
    if history:
        found = recent_runs(app.tracker, history)
        rows = [_row(r.to_dict(), live_holder) for r in found]
    else:
        latest = latest_runs(app.tracker)
        rows = [
            _row(latest[name].to_dict(), live_holder) if name in latest else _never(name)
            for name in JOBS
        ]
        rows += [_row(r.to_dict(), live_holder) for name, r in latest.items() if name not in JOBS]
    if fmt == "json":
        document = {"lease": lease.to_dict(now) if lease else None, "runs": rows}
        click.echo(json_line(document, indent=2))
        return
    summary = _lease_line(lease.to_dict(now) if lease else None)
    if fmt == "markdown":
        click.echo(summary + "\n")
    emit(rows, RUN_COLUMNS, fmt, title="Scheduled jobs")
    if fmt == "table":
        echo_styled(summary, "green" if live_holder else "yellow")
    elif fmt == "csv":
        click.echo(summary, err=True)


def _row(run: dict[str, Any], live_holder: str | None) -> dict[str, Any]:
    if run["outcome"] == "running" and run["holder"] != live_holder:
        return {**run, "outcome": "interrupted"}
    return run


def _never(job: str) -> dict[str, Any]:
    keys = ("id", "holder", "started_at", "finished_at", "outcome", "error")
    return {**dict.fromkeys(keys), "job": job, "counts": {}}


def _lease_line(lease: dict[str, Any] | None) -> str:
    if lease is None:
        return "Lease: free; no scheduler is running the jobs."
    if lease["live"]:
        return (
            f"Lease: held by {lease['holder']} since {to_second(lease['acquired_at'])}, "
            f"until {to_second(lease['expires_at'])} (live)."
        )
    return (
        f"Lease: expired at {to_second(lease['expires_at'])} (last holder {lease['holder']}); "
        "no scheduler is running the jobs."
    )
