"""The `tracker` command line.

Only click loads at start-up, and a command's module when the command is named; the
database, SQLAlchemy's dialects, Alembic, APScheduler and rich load inside the
commands that use them, so ``tracker --help`` and ``tracker status`` start quickly.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Literal

import click

from .context import AppContext, fail, handle_errors, pass_app
from .output import echo_styled, progress
from .params import jobs_count, jobs_option

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# The commands kept in modules of their own, as ``module:function``: imported when
# named, so that `tracker status` does not load the audit, the scheduler or publishing.
MODULE_COMMANDS = {
    "status": "reports:status",
    "show": "reports:show",
    "scorecard": "reports:scorecard",
    "events": "reports:events",
    "actors": "catalog:actors",
    "sources": "catalog:sources",
    "add": "recording:add",
    "record": "recording:record",
    "import": "transfer:import_",
    "export": "transfer:export",
    "publish": "publish:publish",
    "overdue": "jobs:overdue",
    "remind": "jobs:remind",
    "audit": "auditing:audit",
    "scheduler": "scheduling:scheduler",
}


class TrackerGroup(click.Group):
    """The top-level group: loads a command's module when the command is named, and
    refuses arguments that are not UTF-8 before any command runs.

    Python hands such bytes over as surrogate escapes, which no database, YAML file or
    terminal accepts; caught here, they are one message instead of a traceback from
    whichever layer first tries to encode them.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *MODULE_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in MODULE_COMMANDS:
            module, name = MODULE_COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(f".{module}", __package__), name)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from tracker.config import is_utf8, printable, redact

        for number, arg in enumerate(args, start=1):
            if not is_utf8(arg):
                raise click.UsageError(
                    f"argument {number} ({redact(printable(arg))!r}) is not valid UTF-8: "
                    "tracker reads and writes UTF-8 text only (rename a file whose name is "
                    "not UTF-8, or check the terminal's encoding: LANG, LC_ALL)",
                    ctx,
                )
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; a reader that closes the pipe early (``| head -1``) is not an
        error: exit 0 with nothing on stderr, where click would exit 1."""
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # inside the try: a closed pipe may show only now
        except BrokenPipeError:
            quiet_closed_stdout()
            raise SystemExit(0) from None
        return result


def quiet_closed_stdout() -> None:
    """Point stdout at /dev/null, as Python's documentation advises after a
    BrokenPipeError, so that the flush at exit does not fail again on stderr."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (a test's captured output)
        pass
    finally:
        os.close(devnull)


@click.group(cls=TrackerGroup, context_settings=CONTEXT_SETTINGS)
@click.option(
    "--db",
    metavar="URL",
    help="sqlite:///PATH, a file path, or postgresql://USER:PASSWORD@HOST/DB (an @ in "
    "the password written %40). Default: $TRACKER_DB, else tracker.db in your data directory.",
)
@click.version_option(package_name="tracker")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """Track commitments: what was promised, by whom, by when, what happened since,
    and what is overdue — in an append-only, tamper-evident log.

    \b
    Start here:
      tracker demo                      load the US–Mexico example and show its status
      tracker status --overdue          what is overdue today
      tracker show darien-visit         one commitment with its sources and timeline
      tracker import commitments.yaml   load your own commitments/v1 file

    Exit status: 0 fine, 1 a check found problems, 2 bad usage or bad data.
    """
    app = AppContext(db)
    ctx.obj = app
    ctx.call_on_close(app.close)


@cli.command()
@pass_app
@handle_errors
def demo(app: AppContext) -> None:
    """Load the bundled US–Mexico dataset, flag what is overdue, print the status report.

    Creates the database if needed; running it again adds nothing. The dataset
    encodes the pledges of the December 2023 and January 2024 migration talks, with
    quotes from the five source articles in their own language.

    \b
    Examples:
      tracker demo
      tracker --db /tmp/demo.db demo
    """
    from importlib.resources import files

    from tracker.service_layer.fileformat.document import parse_text
    from tracker.service_layer.importer import import_document
    from tracker.service_layer.queries import View, status_report

    from .reports import print_status

    text = (files("tracker.data") / "demo.yaml").read_text(encoding="utf-8")
    doc = parse_text(text, "demo.yaml")
    report = import_document(app.tracker, doc)
    if report.events:
        echo_styled(f"Loaded the demo dataset: {report.events} events.", "green", err=True)
    else:
        echo_styled("The demo dataset is already loaded.", err=True)
    from tracker.clock import utc_now
    from tracker.service_layer.overdue import flag

    flagged = flag(app.tracker, utc_now())
    if flagged.flagged:
        echo_styled(f"Flagged {len(flagged.flagged)} overdue items.", "yellow", err=True)
    view = View()
    print_status(status_report(app.tracker, view), "table", view.day.isoformat())
    click.echo(
        "\nNext: `tracker show fentanyl-meeting-feb-2024` for one commitment's story, "
        "or `tracker status --as-of 2024-01-25` to see the board as it stood then."
    )


@cli.group()
def projections() -> None:
    """The read models derived from the log.

    \b
    Example:
      tracker projections rebuild
    """


@projections.command("rebuild")
@jobs_option
@pass_app
@handle_errors
def projections_rebuild(app: AppContext, jobs: int | None) -> None:
    """Rebuild every projection from the log and report whether they differed.

    Only the rows that differ from a fresh fold are written, in one transaction; a log
    with rows that cannot be read or folded is refused and nothing is changed.

    \b
    Examples:
      tracker projections rebuild
      tracker projections rebuild --jobs 4     # fold a long log in 4 processes
    """
    from tracker.service_layer.rebuild import rebuild_projections

    with progress("rebuilding projections", app.tracker.event_count()) as advance:
        report = rebuild_projections(app.tracker, advance, jobs=jobs_count(jobs))
    if report.differences:
        echo_styled(f"{len(report.differences)} projection rows differed from the log:", "yellow")
        for d in report.differences[:50]:
            click.echo(f"  {d.table} {d.key}: {d.problem}")
        click.echo("They are rebuilt and now equal a fresh fold of the log.")
    else:
        echo_styled(
            f"Rebuilt from {report.events} events; the projections were equal to the log.", "green"
        )


@cli.group()
def db() -> None:
    """The database: its schema (migrations run by themselves on first use) and roles.

    \b
    Examples:
      tracker db current
      tracker --db postgresql://tracker@db.example.org/tracker db upgrade
      tracker --db postgresql://tracker@db.example.org/tracker db grant --writer desk
    """


@db.command("upgrade")
@pass_app
@handle_errors
def db_upgrade(app: AppContext) -> None:
    """Upgrade the database to this version's schema.

    \b
    Example:
      tracker --db postgresql://tracker@db.example.org/tracker db upgrade
    """
    from tracker.service_layer.operations import schema_revision

    status = schema_revision(app.tracker)  # opening upgrades
    click.echo(f"{status.where} is at schema revision {status.revision}")


@db.command("current")
@pass_app
@handle_errors
def db_current(app: AppContext) -> None:
    """Print the database's schema revision, without changing anything.

    A database that cannot be reached, or that has tables but no tracker schema, is an
    error (exit status 2), never reported as empty.

    \b
    Example:
      tracker db current
    """
    from tracker.service_layer.operations import schema_status

    status = schema_status(app.db_option)
    if not status.exists:
        click.echo(f"{status.where}: no database yet (the first command that uses it creates it)")
        return
    state = (
        "up to date"
        if status.revision == status.expected
        else f"this code expects {status.expected}"
    )
    click.echo(f"{status.where}: {status.revision or 'empty (no schema yet)'} ({state})")


@db.command("grant")
@click.option("--reader", "readers", multiple=True, metavar="ROLE", help="May only read.")
@click.option(
    "--writer",
    "writers",
    multiple=True,
    metavar="ROLE",
    help="May read and append events, never change or delete one.",
)
@pass_app
@handle_errors
def db_grant(app: AppContext, readers: tuple[str, ...], writers: tuple[str, ...]) -> None:
    """Give existing PostgreSQL roles exactly the rights of a reader or a writer.

    A reader may SELECT every tracker table. A writer may also INSERT events and write
    the projections, the scheduler lease and the job runs; never UPDATE, DELETE or
    TRUNCATE events. Whatever else the role had on tracker's tables is revoked. Run it
    as the tables' owner; create the roles first (CREATE ROLE ... LOGIN).

    \b
    Examples:
      tracker --db postgresql://owner@db.example.org/tracker db grant --reader viewer
      tracker --db postgresql://owner@db.example.org/tracker db grant --writer desk --writer bot
    """
    from tracker.service_layer.operations import (
        database_where,
        grant_roles,
        refuse_roles_on_sqlite,
    )

    if not readers and not writers:
        fail("name at least one role: --reader ROLE or --writer ROLE")
    refuse_roles_on_sqlite(app.db_option)  # before opening creates a file
    wanted: list[tuple[str, Literal["reader", "writer"]]] = [
        *((r, "reader") for r in readers),
        *((w, "writer") for w in writers),
    ]
    done = grant_roles(app.tracker, wanted)
    where = database_where(app.tracker)
    for granted in done:
        rights = "; ".join(f"{what} on {on}" for what, on in granted.privileges)
        click.echo(f"{granted.role}: {granted.kind} on {where}: {rights}")


def main() -> None:
    cli(prog_name="tracker")


if __name__ == "__main__":
    main()
