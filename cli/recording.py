"""Commands that write one commitment: add, and record ID progress|status|due|note|…

Options are read by the import's own field readers (``tracker.service_layer.fileformat``),
given as the file form of the entry they make: what a file may not hold, a command
may not record either, and the refusal names the option instead of the file's path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import click

from tracker.clock import utc_today

from .context import AppContext, handle_errors, pass_app
from .params import DATE, ENTRY, STATUS, VERSION, resolve_id

if TYPE_CHECKING:
    from tracker.domain.commitment import Command
    from tracker.service_layer.app import Tracker
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


def _resolve_actors(tracker: Tracker, names: tuple[str, ...], option: str) -> list[str]:
    from tracker.domain.names import AmbiguousName
    from tracker.service_layer.queries import QueryError, actor_ids

    if not names:  # --to is optional: nothing to look up
        return []
    try:
        return actor_ids(tracker, names)
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
    by, to = _resolve_actors(tracker, made_by, "--by"), _resolve_actors(tracker, made_to, "--to")
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


@dataclass(frozen=True)
class Param:
    """A parameter of a ``record`` subcommand that sets one field of the entry it makes."""

    key: str  # the history entry's field (its key in a commitments file)
    label: str  # how a problem with it is named: the option or the argument
    dest: str  # the callback's keyword
    decorator: Callable[[Callable[..., Any]], Callable[..., Any]]
    convert: Callable[[Any], Any] | None = None  # the click value into the field's


def _option(key: str, flag: str, help: str, *, dest: str | None = None, **kw: Any) -> Param:
    dest = dest or key
    return Param(key, flag, dest, click.option(flag, dest, help=help, **kw))


def _argument(
    key: str, dest: str, label: str, *, convert: Callable[[Any], Any] | None = None, **kw: Any
) -> Param:
    return Param(key, label, dest, click.argument(dest, **kw), convert)


def _on(help: str) -> Param:
    return _option("on", "--on", help, type=DATE, default=None)


def _note(help: str, **kw: Any) -> Param:
    return _option("note", "--note", help, **kw)


def _follow_up(key: str) -> Param:
    return _argument(key, "follow_up_id", "FOLLOW_UP_ID", metavar="FOLLOW_UP_ID")


def _deadline(text: str) -> str | None:
    return None if text.strip().lower() in ("none", "null") else text


# What evidence is given with: when it happened, its source and the source's words.
_EVIDENCE = (
    _on("When it happened (default: today)."),
    _option("source", "--source", "Id of the source that reports it."),
    _option("quote", "--quote", "The source's own words, in its language."),
)
_EXPECT_VERSION = click.option(
    "--expect-version",
    type=VERSION,
    default=None,
    help="Refuse if the commitment moved past this version (from `show`).",
)


@dataclass(frozen=True)
class Recorder:
    """One ``record`` subcommand: the history entry it makes, read as the import reads
    the same entry in a file. Its parameters are its argument, then (with ``evidence``)
    ``--on``, ``--source``, ``--quote`` and ``--expect-version``, then its options."""

    name: str  # record NAME
    kind: str  # the history entry's kind (``events.HistoryForm``)
    help: str  # with an example
    done: str  # what it says when recorded, formatted with the entry's fields
    argument: Param | None
    options: tuple[Param, ...] = ()
    evidence: bool = True

    @property
    def params(self) -> tuple[Param, ...]:
        given = (self.argument,) if self.argument else ()
        return (*given, *(_EVIDENCE if self.evidence else ()), *self.options)


RECORDERS = (
    Recorder(
        "progress",
        "progress",
        """Evidence of work towards it (moves pledged or stalled to in_progress).

    \b
    Example:
      tracker record darien-visit progress --source efe-2024-02-20 --note "dates set"
    """,
        "progress recorded",
        None,
        (_note("What happened, in your words."),),
    ),
    Recorder(
        "status",
        "status",
        """Set the status: pledged, in_progress, stalled, fulfilled, partially_fulfilled,
    broken, withdrawn or superseded (fulfilled, partially_fulfilled and broken need
    --source).

    \b
    Example:
      tracker record mexico-officials-visit-us-jan-2024 status fulfilled \\
        --on 2024-01-19 --source efe-2024-01-20
    """,
        "now {status}",
        _argument("status", "status", "STATUS", convert=lambda s: s.value, type=STATUS),
        (
            _note("Why; required to reopen or change a final status."),
            _option(
                "superseded_by",
                "--superseded-by",
                "With status superseded: the replacing commitment.",
            ),
        ),
    ),
    Recorder(
        "due",
        "due",
        """Change the deadline (DEADLINE "none" removes it).

    \b
    Example:
      tracker record fentanyl-meeting-feb-2024 due "late February 2024" --note "postponed"
    """,
        "deadline changed",
        _argument("due", "deadline", "DEADLINE", convert=_deadline, metavar="DEADLINE"),
        (_note("Why the deadline moved.", required=True),),
    ),
    Recorder(
        "note",
        "note",
        """Add a note (allowed even after a final status).

    \b
    Example:
      tracker record darien-visit note "SRE says the visit is being planned"
    """,
        "note added",
        _argument("note", "text", "TEXT", metavar="TEXT"),
    ),
    Recorder(
        "follow-up",
        "follow_up",
        """Schedule a check-in; the overdue scan flags it and reminders email its owner.

    \b
    Example:
      tracker record darien-visit follow-up ask-sre --due 2024-03-01 \\
        --task "Ask SRE whether the visit happened" --owner desk@example.org
    """,
        "follow-up {id} scheduled",
        _follow_up("id"),
        (
            _option("due", "--due", "When to check.", dest="due_on", type=DATE, required=True),
            _option("task", "--task", "What to find out.", required=True),
            _option("owner", "--owner", "Email address of whoever does it."),
            _on("When it was scheduled (default: today)."),
        ),
        evidence=False,
    ),
    Recorder(
        "done",
        "follow_up_done",
        """Mark a follow-up done.

    \b
    Example:
      tracker record darien-visit done check-darien --note "not yet scheduled"
    """,
        "follow-up {follow_up} done",
        _follow_up("follow_up"),
        (_note("What was found."),),
    ),
    Recorder(
        "retract",
        "retraction",
        """Retract a mistaken entry (its number is in `tracker show ID`).

    Nothing is deleted: the entry stays in the log, marked retracted, and no longer
    counts towards the commitment's state.

    \b
    Example:
      tracker record darien-visit retract 3 --reason "the article was about another visit"
    """,
        "entry #{retracts} retracted",
        _argument("retracts", "entry", "ENTRY", type=ENTRY, metavar="ENTRY"),
        (
            _option("note", "--reason", "Why the entry was a mistake.", required=True),
            _on("When the retraction is made (default: today)."),
        ),
        evidence=False,
    ),
)


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


def _record_command(recorder: Recorder) -> click.Command:
    """The click command for ``recorder``: its parameters' values become the fields of
    the entry, each problem is named by the parameter it came from."""
    params = recorder.params
    labels = {p.key: p.label for p in params}

    def run(
        ctx: click.Context, app: AppContext, expect_version: int | None = None, **values: Any
    ) -> None:
        given = {p.key: p.convert(values[p.dest]) if p.convert else values[p.dest] for p in params}
        given["on"] = given["on"] or utc_today()
        commitment_id = resolve_id(app, ctx.meta["commitment_id"], unknown_ok=True)
        command, refs = _entry(recorder.kind, labels, **given)
        result = _handle(
            app,
            commitment_id,
            command,
            labels,
            name=f"record {recorder.name}",
            expected_version=expect_version,
            references=refs,
        )
        _report(commitment_id, result, recorder.done.format(**given))

    fn = pass_app(click.pass_context(handle_errors(run)))
    decorators = [p.decorator for p in params]
    if recorder.evidence:
        decorators.insert(len(params) - len(recorder.options), _EXPECT_VERSION)
    for decorator in reversed(decorators):
        fn = decorator(fn)
    return record.command(recorder.name, help=recorder.help)(fn)


for _recorder in RECORDERS:
    _record_command(_recorder)
