"""Commands that write one commitment: add, and record ID progress|status|due|note|…

Options are read by the import's own field readers (``tracker.service_layer.fileformat``),
given as the file form of the entry they make: what a file may not hold, a command
may not record either, and the refusal names the option instead of the file's path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import click

from tracker.clock import utc_today

from .context import AppContext, handle_errors, pass_app
from .params import DATE, ENTRY, STATUS, VERSION, resolve_id

if TYPE_CHECKING:
    from tracker.domain.commitment import Command
    from tracker.service_layer.fileformat.document import Problem

Refs = list[tuple[str, str, str]]  # (file key, kind, id), as the file's readers collect them


def _report(commitment_id: str, result: Any, what: str) -> None:
    if result.duplicate:
        click.echo(f"{commitment_id}: already recorded, nothing appended")
    else:
        positions = ", ".join(str(p) for p in result.positions)
        click.echo(f"{commitment_id}: {what} (event {positions})")


def option_of(path: str, labels: Mapping[str, str]) -> str:
    """The option (or argument) a problem's path stands for: ``made_by[1]`` -> ``--by``."""
    key = re.sub(r"\[\d+\]$", "", path)
    return labels.get(key, key)


def refuse(problems: list[Problem], labels: Mapping[str, str]) -> None:
    """Stop with every problem, each naming its option (exit status 2, nothing written)."""
    if problems:
        raise click.UsageError(
            "\n".join(f"{option_of(p.path, labels)}: {p.message}" for p in problems)
        )


def _handle(
    app: AppContext, commitment_id: str, command: Any, labels: Mapping[str, str], **kw: Any
) -> Any:
    """``Tracker.handle``, with a refused day reported against its option (``--on``) and
    each unknown reference against the option that names it."""
    from tracker.domain.commitment import DayRefused, DomainError
    from tracker.service_layer.app import UnknownReferences

    try:
        return app.tracker.handle(commitment_id, command, **kw)
    except DayRefused as exc:
        raise click.UsageError(f"{option_of(exc.key, labels)}: {exc}") from None
    except UnknownReferences as exc:
        raise DomainError(
            "\n".join(
                f"{option_of(path, labels)}: unknown {kind} {ident!r}; {_HINTS[kind]}"
                for path, kind, ident in exc.missing
            )
        ) from None


def _resolve_actors(conn: Any, names: tuple[str, ...], option: str) -> list[str]:
    from tracker.domain.names import AmbiguousName
    from tracker.service_layer.queries import QueryError, resolve_actor

    try:
        return [resolve_actor(conn, n)[0] for n in names]
    except (QueryError, AmbiguousName) as exc:
        raise click.UsageError(f"{option}: {exc}") from None


_HINTS = {
    "actor": "see `tracker actors`",
    "source": "add it with `tracker sources add` first",
    "commitment": "see `tracker status`",
}


_ADD_OPTIONS = {
    "id": "ID",
    "title": "--title",
    "made_by": "--by",
    "made_to": "--to",
    "made_on": "--on",
    "occasion": "--occasion",
    "due": "--due",
    "tags": "--tag",
    "owner": "--owner",
    "source": "--source",
    "quote": "--quote",
}


@click.command()
@click.argument("commitment_id", metavar="ID")
@click.option("--title", required=True, help="What was promised, in a sentence (one line).")
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
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable; a repeat counts once).")
@click.option("--owner", help="Email address of whoever is reminded about it.")
@click.option("--source", help="Id of the source that reports the pledge.")
@click.option("--quote", help="The pledge in the source's own words and language (may span lines).")
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
    from tracker.service_layer.fileformat.commitments import read_commitment

    tracker = app.tracker
    with tracker.db.read() as conn:
        by, to = _resolve_actors(conn, made_by, "--by"), _resolve_actors(conn, made_to, "--to")
    raw = {
        **fields,
        "id": commitment_id,
        "made_by": by,
        "made_to": to,
        "made_on": made_on or utc_today(),
        "due": due or None,
        "tags": list(tags),
    }
    problems: list[Problem] = []
    read = read_commitment(raw, "", problems)
    refuse(problems, _ADD_OPTIONS)
    result = _handle(
        app,
        commitment_id,
        read.entries[0].command,
        _ADD_OPTIONS,
        name="add",
        references=read.references,
    )
    _report(commitment_id, result, "made")


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
                type=VERSION,
                default=None,
                help="Refuse if the commitment moved past this version (from `show`).",
            ),
        ]
    ):
        fn = option(fn)
    return fn


_EVIDENCE = {"on": "--on", "source": "--source", "quote": "--quote", "note": "--note"}


def _entry(kind: str, options: Mapping[str, str], **given: Any) -> tuple[Command, Refs]:
    """The command a history entry of ``kind`` with these values makes, read as the
    import reads it; its references (sources, a superseding commitment) to check."""
    from tracker.service_layer.fileformat.commitments import HISTORY_KEYS, read_history
    from tracker.service_layer.fileformat.fieldreader import Fields

    raw = {k: v for k, v in given.items() if v is not None or k == "due"}  # due: null = none
    problems: list[Problem] = []
    refs: Refs = []
    entry = read_history(Fields({"kind": kind, **raw}, "", problems, HISTORY_KEYS), refs)
    refuse(problems, options)
    assert entry is not None  # read_history makes a command whenever it finds no problem
    return entry.command, refs


def _run(
    ctx: click.Context,
    app: AppContext,
    kind: str,
    options: Mapping[str, str],
    given: dict[str, Any],
    *,
    name: str,
    what: str,
    expect: int | None = None,
) -> None:
    commitment_id = resolve_id(app, ctx.meta["commitment_id"], unknown_ok=True)
    command, refs = _entry(kind, options, **{**given, "on": given.get("on") or utc_today()})
    result = _handle(
        app,
        commitment_id,
        command,
        options,
        name=f"record {name}",
        expected_version=expect,
        references=refs,
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
    given = {"on": on, "source": source, "quote": quote, "note": note}
    _run(
        ctx,
        app,
        "progress",
        _EVIDENCE,
        given,
        name="progress",
        what="progress recorded",
        expect=expect_version,
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
    given = {
        "on": on,
        "status": status.value,
        "source": source,
        "quote": quote,
        "note": note,
        "superseded_by": superseded_by,
    }
    options = {**_EVIDENCE, "status": "STATUS", "superseded_by": "--superseded-by"}
    _run(
        ctx,
        app,
        "status",
        options,
        given,
        name="status",
        what=f"now {status.value}",
        expect=expect_version,
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
    due = None if deadline.strip().lower() in ("none", "null") else deadline
    given = {"on": on, "due": due, "source": source, "quote": quote, "note": note}
    _run(
        ctx,
        app,
        "due",
        {**_EVIDENCE, "due": "DEADLINE"},
        given,
        name="due",
        what="deadline changed",
        expect=expect_version,
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
    given = {"on": on, "note": text, "source": source, "quote": quote}
    _run(
        ctx,
        app,
        "note",
        {**_EVIDENCE, "note": "TEXT"},
        given,
        name="note",
        what="note added",
        expect=expect_version,
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
    given = {"on": on, "id": follow_up_id, "due": due_on, "task": task, "owner": owner}
    options = {
        "on": "--on",
        "id": "FOLLOW_UP_ID",
        "due": "--due",
        "task": "--task",
        "owner": "--owner",
    }
    _run(
        ctx,
        app,
        "follow_up",
        options,
        given,
        name="follow-up",
        what=f"follow-up {follow_up_id} scheduled",
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
    given = {"on": on, "follow_up": follow_up_id, "note": note, "source": source, "quote": quote}
    _run(
        ctx,
        app,
        "follow_up_done",
        {**_EVIDENCE, "follow_up": "FOLLOW_UP_ID"},
        given,
        name="done",
        what=f"follow-up {follow_up_id} done",
        expect=expect_version,
    )


@record.command("retract")
@click.argument("entry", type=ENTRY, metavar="ENTRY")
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
    given = {"on": on, "retracts": entry, "note": reason}
    _run(
        ctx,
        app,
        "retraction",
        {"on": "--on", "retracts": "ENTRY", "note": "--reason"},
        given,
        name="retract",
        what=f"entry #{entry} retracted",
    )
