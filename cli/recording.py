"""Commands that write one commitment: add, and record ID progress|status|due|note|…"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import click

from tracker.cli.context import AppContext, handle_errors, pass_app
from tracker.cli.params import DATE, STATUS, today


def _report(commitment_id: str, result: Any, what: str) -> None:
    if result.duplicate:
        click.echo(f"{commitment_id}: already recorded, nothing appended")
    else:
        positions = ", ".join(str(p) for p in result.positions)
        click.echo(f"{commitment_id}: {what} (event {positions})")


def _resolve_actors(conn: Any, names: tuple[str, ...]) -> tuple[str, ...]:
    from tracker.service_layer.queries import resolve_actor

    return tuple(resolve_actor(conn, n)[0] for n in names)


def _check_source(conn: Any, source: str | None) -> None:
    if source is None:
        return
    from sqlalchemy import select

    from tracker.adapters import schema
    from tracker.domain.commitment import DomainError

    found = conn.execute(select(schema.sources.c.id).where(schema.sources.c.id == source)).first()
    if not found:
        raise DomainError(f"unknown source {source!r}; add it with `tracker sources add` first")


@click.command()
@click.argument("commitment_id", metavar="ID")
@click.option("--title", required=True, help="What was promised, in a sentence.")
@click.option(
    "--by",
    "made_by",
    multiple=True,
    required=True,
    metavar="ACTOR",
    help="Who owes it: actor id, name or alias (repeatable).",
)
@click.option(
    "--to", "made_to", multiple=True, metavar="ACTOR", help="To whom it is owed (repeatable)."
)
@click.option("--on", "made_on", type=DATE, default=None, help="When it was made (default: today).")
@click.option(
    "--due",
    help='Deadline: "2024-02-10", "early February 2024", "principios de febrero de 2024" …',
)
@click.option("--occasion", help="Where or at what event it was made.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--owner", help="Email address of whoever is reminded about it.")
@click.option("--source", help="Id of the source that reports the pledge.")
@click.option("--quote", help="The pledge in the source's own words and language.")
@pass_app
@handle_errors
def add(
    app: AppContext,
    commitment_id: str,
    made_by: tuple[str, ...],
    made_to: tuple[str, ...],
    made_on: date | None,
    due: str | None,
    tags: tuple[str, ...],
    **fields: Any,
) -> None:
    """Make a new commitment.

    \b
    Examples:
      tracker add fentanyl-meeting-mar-2024 --title "Committees meet on fentanyl" \\
        --by mx --by us --on 2024-02-12 --due "mid March 2024" --tag fentanyl \\
        --source efe-2024-01-20 --quote "Both committees will meet again"
    """
    from tracker.domain.commitment import MakeCommitment
    from tracker.domain.deadlines import parse_due
    from tracker.service_layer.entries import EMAIL

    owner = fields["owner"]
    if owner and not EMAIL.match(owner):
        raise click.BadParameter(f"{owner!r} is not an email address", param_hint="--owner")
    tracker = app.tracker
    with tracker.db.read() as conn:
        by, to = _resolve_actors(conn, made_by), _resolve_actors(conn, made_to)
        _check_source(conn, fields["source"])
    command = MakeCommitment(
        id=commitment_id,
        title=fields["title"],
        made_by=by,
        made_to=to,
        made_on=made_on or today(),
        occasion=fields["occasion"],
        due=parse_due(due) if due else None,
        tags=tags,
        owner=owner,
        source=fields["source"],
        quote=fields["quote"],
    )
    _report(commitment_id, tracker.handle(commitment_id, command, name="add"), "made")


@click.group()
@click.argument("commitment_id", metavar="ID")
@click.pass_context
def record(ctx: click.Context, commitment_id: str) -> None:
    """Record what happened to commitment ID: progress, a status, a deadline change,
    a note, a follow-up, a done follow-up, or a retraction of a mistaken entry.

    \b
    Examples:
      tracker record darien-visit progress --on 2024-02-20 --source s1 --quote "…"
      tracker record darien-visit status fulfilled --on 2024-03-05 --source s2
      tracker record fentanyl-meeting-feb-2024 due "late February 2024" --note "postponed"
      tracker record darien-visit note "Panama confirmed the dates"
      tracker record darien-visit follow-up check-visit --due 2024-03-01 --task "Ask SRE"
      tracker record darien-visit done check-visit
      tracker record darien-visit retract 3 --reason "wrong article"
    """
    ctx.meta["commitment_id"] = commitment_id


def _evidence_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option(
                "--on", type=DATE, default=None, help="When it happened (default: today)."
            ),
            click.option("--source", help="Id of the source that reports it."),
            click.option("--quote", help="The source's own words, in its language."),
            click.option(
                "--expect-version",
                type=int,
                default=None,
                help="Refuse if the commitment moved past this version (from `show`).",
            ),
        ]
    ):
        fn = option(fn)
    return fn


def _run(
    ctx: click.Context,
    app: AppContext,
    build: Callable[[date], Any],
    name: str,
    what: str,
    source: str | None,
    expect: int | None,
    on: date | None,
) -> None:
    commitment_id = ctx.meta["commitment_id"]
    result = app.tracker.handle(
        commitment_id,
        build(on or today()),
        name=f"record {name}",
        expected_version=expect,
        check=lambda conn, _s: _check_source(conn, source),
    )
    _report(commitment_id, result, what)


@record.command("progress")
@_evidence_options
@click.option("--note", help="What happened, in your words.")
@pass_app
@click.pass_context
@handle_errors
def record_progress(
    ctx: click.Context,
    app: AppContext,
    on: date | None,
    source: str | None,
    quote: str | None,
    expect_version: int | None,
    note: str | None,
) -> None:
    """Evidence of work towards it (moves pledged or stalled to in_progress).

    \b
    Example:
      tracker record darien-visit progress --source efe-2024-02-20 --note "dates set"
    """
    from tracker.domain.commitment import RecordProgress

    _run(
        ctx,
        app,
        lambda d: RecordProgress(d, source, quote, note),
        "progress",
        "progress recorded",
        source,
        expect_version,
        on,
    )


@record.command("status")
@click.argument("status", type=STATUS)
@_evidence_options
@click.option("--note", help="Why; required to reopen or change a final status.")
@click.option("--superseded-by", help="With status superseded: the replacing commitment.")
@pass_app
@click.pass_context
@handle_errors
def record_status(
    ctx: click.Context,
    app: AppContext,
    status: Any,
    on: date | None,
    source: str | None,
    quote: str | None,
    expect_version: int | None,
    note: str | None,
    superseded_by: str | None,
) -> None:
    """Set the status: pledged, in_progress, stalled, fulfilled, partially_fulfilled,
    broken, withdrawn or superseded (fulfilled, partially_fulfilled and broken need
    --source).

    \b
    Example:
      tracker record mexico-officials-visit-us-jan-2024 status fulfilled \\
        --on 2024-01-19 --source efe-2024-01-20
    """
    from tracker.domain.commitment import ChangeStatus

    _run(
        ctx,
        app,
        lambda d: ChangeStatus(d, status, source, quote, note, superseded_by),
        "status",
        f"now {status.value}",
        source,
        expect_version,
        on,
    )


@record.command("due")
@click.argument("deadline", metavar="DEADLINE")
@_evidence_options
@click.option("--note", required=True, help="Why the deadline moved.")
@pass_app
@click.pass_context
@handle_errors
def record_due(
    ctx: click.Context,
    app: AppContext,
    deadline: str,
    on: date | None,
    source: str | None,
    quote: str | None,
    expect_version: int | None,
    note: str,
) -> None:
    """Change the deadline (DEADLINE "none" removes it).

    \b
    Example:
      tracker record fentanyl-meeting-feb-2024 due "late February 2024" --note "postponed"
    """
    from tracker.domain.commitment import ChangeDeadline
    from tracker.domain.deadlines import parse_due

    window = None if deadline.strip().lower() in ("none", "null") else parse_due(deadline)
    _run(
        ctx,
        app,
        lambda d: ChangeDeadline(d, window, note, source, quote),
        "due",
        "deadline changed",
        source,
        expect_version,
        on,
    )


@record.command("note")
@click.argument("text", metavar="TEXT")
@_evidence_options
@pass_app
@click.pass_context
@handle_errors
def record_note(
    ctx: click.Context,
    app: AppContext,
    text: str,
    on: date | None,
    source: str | None,
    quote: str | None,
    expect_version: int | None,
) -> None:
    """Add a note (allowed even after a final status).

    \b
    Example:
      tracker record darien-visit note "SRE says the visit is being planned"
    """
    from tracker.domain.commitment import AddNote

    _run(
        ctx,
        app,
        lambda d: AddNote(d, text, source, quote),
        "note",
        "note added",
        source,
        expect_version,
        on,
    )


@record.command("follow-up")
@click.argument("follow_up_id", metavar="FOLLOW_UP_ID")
@click.option("--due", "due_on", type=DATE, required=True, help="When to check.")
@click.option("--task", required=True, help="What to find out.")
@click.option("--owner", help="Email address of whoever does it.")
@click.option("--on", type=DATE, default=None, help="When it was scheduled (default: today).")
@pass_app
@click.pass_context
@handle_errors
def record_follow_up(
    ctx: click.Context,
    app: AppContext,
    follow_up_id: str,
    due_on: date,
    task: str,
    owner: str | None,
    on: date | None,
) -> None:
    """Schedule a check-in; the overdue scan flags it and reminders email its owner.

    \b
    Example:
      tracker record darien-visit follow-up ask-sre --due 2024-03-01 \\
        --task "Ask SRE whether the visit happened" --owner desk@example.org
    """
    from tracker.domain.commitment import FollowUpSpec, ScheduleFollowUp
    from tracker.service_layer.entries import EMAIL

    if owner and not EMAIL.match(owner):
        raise click.BadParameter(f"{owner!r} is not an email address", param_hint="--owner")
    spec = FollowUpSpec(follow_up_id, due_on, task, owner)
    _run(
        ctx,
        app,
        lambda d: ScheduleFollowUp(d, spec),
        "follow-up",
        f"follow-up {follow_up_id} scheduled",
        None,
        None,
        on,
    )


@record.command("done")
@click.argument("follow_up_id", metavar="FOLLOW_UP_ID")
@_evidence_options
@click.option("--note", help="What was found.")
@pass_app
@click.pass_context
@handle_errors
def record_done(
    ctx: click.Context,
    app: AppContext,
    follow_up_id: str,
    on: date | None,
    source: str | None,
    quote: str | None,
    expect_version: int | None,
    note: str | None,
) -> None:
    """Mark a follow-up done.

    \b
    Example:
      tracker record darien-visit done check-darien --note "not yet scheduled"
    """
    from tracker.domain.commitment import CompleteFollowUp

    _run(
        ctx,
        app,
        lambda d: CompleteFollowUp(d, follow_up_id, note, source, quote),
        "done",
        f"follow-up {follow_up_id} done",
        source,
        expect_version,
        on,
    )


@record.command("retract")
@click.argument("entry", type=int, metavar="ENTRY")
@click.option("--reason", required=True, help="Why the entry was a mistake.")
@click.option("--on", type=DATE, default=None, help="When the retraction is made (default: today).")
@pass_app
@click.pass_context
@handle_errors
def record_retract(
    ctx: click.Context, app: AppContext, entry: int, reason: str, on: date | None
) -> None:
    """Retract a mistaken entry (its number is in `tracker show ID`).

    Nothing is deleted: the entry stays in the log, marked retracted, and no longer
    counts towards the commitment's state.

    \b
    Example:
      tracker record darien-visit retract 3 --reason "the article was about another visit"
    """
    from tracker.domain.commitment import RetractEntry

    _run(
        ctx,
        app,
        lambda d: RetractEntry(d, entry, reason),
        "retract",
        f"entry #{entry} retracted",
        None,
        None,
        on,
    )
