"""`tracker audit` and `tracker audit digest`: prove the record was not rewritten."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from tracker.config import MAX_STALE_DAYS, stale_days_from_env
from tracker.domain.words import plural
from tracker.jsontext import json_line

from .context import EXIT_PROBLEMS, AppContext, fail, handle_errors, pass_app
from .output import (
    TEXT,
    Column,
    echo_styled,
    emit,
    output_options,
    progress,
)
from .params import TIMESTAMP, acting_clock, clock, jobs_count, jobs_option
from .reports import SCORE_COLUMNS

_OUTCOME_STYLE = {"pass": "green", "fail": "bold red", "warn": "yellow", "info": None}

CHECK_COLUMNS = [
    Column("name", "check"),
    Column("outcome", "outcome", style=lambda r: _OUTCOME_STYLE.get(r["outcome"])),
    Column("summary", "what it found", kind=TEXT),
]
FINDING_COLUMNS = [Column("position", "position"), Column("problem", "problem", kind=TEXT)]
STALE_COLUMNS = [
    Column("id", "commitment"),
    Column("status", "status"),
    Column("last_evidence_on", "last evidence"),
    Column("days_without_evidence", "days"),
]
PROJECTION_COLUMNS = [
    Column("table", "table"),
    Column("key", "row"),
    Column("problem", "problem", kind=TEXT),
]
_DETAIL_COLUMNS = {
    "projections": PROJECTION_COLUMNS,
    "staleness": STALE_COLUMNS,
    "scorecard": SCORE_COLUMNS,
}


UNREADABLE_COLUMNS = [
    Column("position", "position"),
    Column("stream", "stream"),
    Column("problem", "problem", kind=TEXT),
]


def _print_details(report: Any, fmt: str) -> None:
    for check in report.checks:
        if check.findings:
            heading = f"{check.name}: {check.summary}"
            if check.total > len(check.findings):
                heading += f" (the first {len(check.findings)} listed)"
            click.echo()
            echo_styled(heading, _OUTCOME_STYLE.get(check.outcome))
            emit(check.findings, _DETAIL_COLUMNS.get(check.name, FINDING_COLUMNS), fmt)
        if check.unreadable:
            rows = plural(check.unreadable_total, "row")
            heading = f"{check.name}: {rows} of the log cannot be read"
            if check.unreadable_total > len(check.unreadable):
                heading += f" (the first {len(check.unreadable)} listed)"
            click.echo()
            echo_styled(heading, _OUTCOME_STYLE["fail"])
            emit(check.unreadable, UNREADABLE_COLUMNS, fmt)


@click.group(invoke_without_command=True)
@click.option(
    "--stale-days",
    type=click.IntRange(1, MAX_STALE_DAYS),
    default=None,
    help="Open commitments with no evidence for this many days (1 to 3650) are stale "
    "(default: $TRACKER_STALE_DAYS, else 90).",
)
@click.option(
    "--digest",
    "digest_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also prove the log still extends this digest (from `tracker audit digest`).",
)
@click.option("--no-record", is_flag=True, help="Do not record the run as an AuditCompleted event.")
@click.option(
    "--now",
    type=TIMESTAMP,
    help="Audit as of this time (default: the clock). Staleness, overdue and the "
    "scorecard are judged on its day from the entries dated up to it, as --as-of "
    "does elsewhere; the chain, contiguity and projection checks cover the whole log.",
)
@jobs_option
@output_options
@pass_app
@click.pass_context
@handle_errors
def audit(
    ctx: click.Context,
    app: AppContext,
    stale_days: int | None,
    digest_file: Path | None,
    no_record: bool,
    now: datetime | None,
    jobs: int | None,
    fmt: str,
) -> None:
    """Check the log and its projections; report staleness and the scorecard.

    The checks: the hash chain (and a kept digest), gap-free positions and versions,
    projections equal to a fresh fold, domain rules, staleness, and each actor's
    scorecard. Exit status 1 when the chain, contiguity or projections check fails,
    or when a check finds rows of the log it cannot read. Each run is recorded as an
    AuditCompleted event unless --no-record (or unless the log's last event does not
    verify with TRACKER_AUDIT_KEY: nothing can be linked to it then).

    \b
    Examples:
      tracker audit
      tracker audit --format json --stale-days 30
      tracker audit digest -o head.json        # keep it where writers cannot reach
      tracker audit --digest head.json         # later: the log still extends it
      tracker audit --jobs 4                   # a long log split between 4 processes
    """
    if ctx.invoked_subcommand is not None:
        return
    from tracker.service_layer.audit import ChainDigest, run_audit

    digest = ChainDigest.load(digest_file) if digest_file else None
    days = stale_days if stale_days is not None else stale_days_from_env()
    tracker = app.tracker
    with progress("auditing", 2 * tracker.event_count()) as advance:
        report = run_audit(
            tracker,
            clock(now) if no_record else acting_clock(now, "record an audit", "add --no-record"),
            stale_days=days,
            digest=digest,
            record=not no_record,
            progress=advance,
            jobs=jobs_count(jobs),
        )
    if fmt == "json":
        click.echo(json_line(report.to_dict(), indent=2))
    else:
        emit(
            [c.to_dict() for c in report.checks],
            CHECK_COLUMNS,
            fmt,
            title=f"Audit of {report.events} events, head {report.head_position}",
        )
        if fmt != "csv":
            _print_details(report, fmt)
            verdict = "passed" if report.ok else "FAILED"
            click.echo()
            echo_styled(
                f"Audit {verdict}: head position {report.head_position}, "
                f"hash {report.head_hash[:16]}…",
                "green" if report.ok else "bold red",
            )
    if report.not_recorded:
        echo_styled(f"This audit was not recorded: {report.not_recorded}", "yellow", err=True)
    if not report.ok:
        raise SystemExit(EXIT_PROBLEMS)


@audit.command("digest")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the digest to this file instead of printing it.",
)
@jobs_option
@pass_app
@handle_errors
def audit_digest(app: AppContext, output: Path | None, jobs: int | None) -> None:
    """Print the log's head (position and hash) as a digest to keep elsewhere.

    Anyone who can write the database can recompute a plain hash chain; a digest kept
    out of their reach (another machine, a signed email, a ticket) lets
    `tracker audit --digest FILE` prove that the log still extends it. The chain is
    verified first: a log whose chain is broken gets no digest (exit status 1).

    \b
    Examples:
      tracker audit digest
      tracker audit digest -o "digests/$(date -u +%F).json"
      tracker audit digest --jobs 1            # one process, however many cores
    """
    from tracker.service_layer.audit import BrokenChain, take_digest

    tracker = app.tracker
    with progress("verifying", tracker.event_count()) as advance:
        try:
            digest = take_digest(tracker, progress=advance, jobs=jobs_count(jobs))
        except BrokenChain as exc:
            fail(str(exc), EXIT_PROBLEMS)
    text = json.dumps(digest.to_dict(), indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{output}: cannot write the digest: {exc.strerror}")
    echo_styled(f"Digest of position {digest.position} written to {output}.", "green", err=True)
