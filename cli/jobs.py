"""The scheduled jobs as commands, for people who prefer cron: overdue and remind."""

from __future__ import annotations

from datetime import datetime

import click

from tracker.config import MAX_WITHIN_DAYS, within_days_from_env
from tracker.domain.words import late, plural

from .context import EXIT_PROBLEMS, AppContext, handle_errors, pass_app
from .output import TEXT, Column, echo_styled, output_options, pager_option
from .params import TIMESTAMP, acting_clock, clock
from .reports import emit_listing

NOW_HELP = (
    "Judge at this time instead of the clock, on the log as it stood that day (UTC): "
    "the entries dated up to it and the deadlines in force then, as `status --as-of` does."
)

OVERDUE_COLUMNS = [
    Column("id", "id"),
    Column("kind", "kind"),
    Column("follow_up", "follow-up", kind=TEXT, priority=1),
    Column("due", "deadline", lambda v: v["label"], kind=TEXT, priority=2),
    Column("days_late", "late", late),
    Column("owner", "owner", kind=TEXT),
]


@click.command()
@click.option("--flag", is_flag=True, help="Record one OverdueFlagged event per item and deadline.")
@click.option("--now", type=TIMESTAMP, help=NOW_HELP)
@output_options
@pass_app
@handle_errors
def overdue(app: AppContext, flag: bool, now: datetime | None, fmt: str) -> None:
    """List overdue commitments and follow-ups; with --flag, record them.

    Flagging is idempotent: an item is flagged once per deadline, and again only when
    its deadline moves and passes again. With --now, the list is the one `tracker
    status --as-of` gives for that day (same commitments overdue), and --flag records
    the flags as of that time.

    \b
    Examples:
      tracker overdue
      tracker overdue --flag
      tracker overdue --now 2024-02-11T09:00:00Z --format json
    """
    from tracker.service_layer.overdue import flag as flag_items
    from tracker.service_layer.overdue import scan
    from tracker.service_layer.queries import View

    if flag:
        moment = acting_clock(now, "flag overdue items", "list without --flag to look ahead")
        report = flag_items(app.tracker, moment)
        items, note = (
            report.overdue,
            f"{len(report.flagged)} newly flagged, {report.already} already flagged",
        )
    else:
        moment = clock(now)
        items, note = scan(app.tracker, View.at(moment)), None
    emit_listing([i.row() for i in items], OVERDUE_COLUMNS, fmt, "overdue")
    if fmt == "table":
        summary = f"{len(items)} overdue on {View.at(moment).day.isoformat()}"
        echo_styled(summary + (f"; {note}" if note else ""), "red" if items else "green", err=True)


@click.command()
@click.option("--dry-run", is_flag=True, help="Print the digests instead of sending them.")
@click.option("--now", type=TIMESTAMP, help=NOW_HELP)
@click.option(
    "--within",
    "within_days",
    type=click.IntRange(0, MAX_WITHIN_DAYS),  # as $TRACKER_REMIND_WITHIN_DAYS
    default=None,
    help="Days ahead that count as due soon (default: $TRACKER_REMIND_WITHIN_DAYS or 7).",
)
@pager_option
@pass_app
@handle_errors
def remind(app: AppContext, dry_run: bool, now: datetime | None, within_days: int | None) -> None:
    """Email each owner one digest: overdue items, items due soon, follow-ups.

    Mail goes through $TRACKER_SMTP_URL (smtp://user:pass@host:587 with STARTTLS,
    smtps://user:pass@host:465, or smtp://host:25 for a local relay) from
    $TRACKER_MAIL_FROM. A digest is sent at most once per owner and day; a failed send
    is not recorded and is retried on the next run (exit status 1). A permanent refusal
    (a 5xx reply, e.g. 550 no such mailbox) is recorded as ReminderRefused and not
    retried that day (exit status 1 on the run that met it).

    \b
    Examples:
      tracker remind --dry-run
      TRACKER_SMTP_URL=smtp://relay.example.org:25 TRACKER_MAIL_FROM=tracker@example.org \\
        tracker remind --within 14
    """
    from tracker.service_layer.reminders import preview, send_reminders

    if dry_run:
        moment = clock(now)
    else:
        moment = acting_clock(now, "send reminders", "preview them with --dry-run")
    if within_days is None:
        within_days = within_days_from_env()
    if dry_run:
        digests = preview(app.tracker, moment, within_days)
        for d in digests:
            click.echo(f"To: {d.owner}\nSubject: {d.subject}\n\n{d.text()}\n{'-' * 60}")
        click.echo(f"{plural(len(digests), 'digest')} would be sent.", err=True)
        return
    report = send_reminders(app.tracker, moment, within_days=within_days)
    for owner in report.sent:
        click.echo(f"sent: {owner}")
    for owner in report.already:
        click.echo(f"already sent today: {owner}")
    for owner in report.refused_before:
        click.echo(f"refused earlier today, not retried: {owner}")
    for owner in report.busy:
        click.echo(f"being sent by another run: {owner}")
    for owner, error in report.failed:
        echo_styled(f"not sent (will retry): {owner}: {error}", "red", err=True)
    for owner, error in report.refused:
        echo_styled(f"refused (recorded, not retried today): {owner}: {error}", "red", err=True)
    if report.failed or report.refused:
        raise SystemExit(EXIT_PROBLEMS)
