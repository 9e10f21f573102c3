"""Commands that move whole files in and out: import and export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from tracker.domain.words import plural

from .context import EXIT_PROBLEMS, AppContext, fail, handle_errors, pass_app
from .output import progress

if TYPE_CHECKING:
    from tracker.service_layer.importer import ImportReport


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
@handle_errors
def import_(app: AppContext, file: Path) -> None:
    """Load a commitments/v1 file (YAML or JSON).

    Atomic and idempotent: a file with any problem writes nothing and every problem
    is listed with its path and line; importing the same file again adds nothing, and
    a newer version that only adds history entries appends just those.

    Text is read by the same field rules as `add` and `record`: every field but notes
    and quotes is one line, and each has a length limit (ids 140 characters, owners
    190, titles 1,000, notes and quotes 20,000).

    \b
    Examples:
      tracker import commitments.yaml
      tracker export > backup.yaml && tracker --db other.db import backup.yaml
    """
    from tracker.service_layer.fileformat.document import read_document
    from tracker.service_layer.importer import import_document

    with progress(f"reading {file.name}", None):  # a spinner: parsing has no count yet
        doc = read_document(file)
    count = len(doc.data.get("commitments") or []) if isinstance(doc.data, dict) else 0
    with progress(f"importing {file.name}", count) as advance:
        report = import_document(app.tracker, doc, progress=advance)
    click.echo(f"{file}: {import_summary(report)}")


def import_summary(report: ImportReport) -> str:
    """What an import did, in words, leaving out what it did not do."""
    unchanged = (
        f"{plural(report.unchanged, 'entry', 'entries')} already recorded"
        if report.unchanged
        else ""
    )
    if report.events == 0:
        return f"nothing new ({unchanged})" if unchanged else "nothing new"
    reference = " and ".join(
        plural(n, noun) for n, noun in ((report.actors, "actor"), (report.sources, "source")) if n
    )
    parts = [
        plural(report.commitments, "new commitment") if report.commitments else "",
        f"{reference} added or updated" if reference else "",
        unchanged,
    ]
    details = ", ".join(filter(None, parts))
    return f"{plural(report.events, 'event')} appended" + (f" — {details}" if details else "")


@click.command()
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["yaml", "jsonl", "ics"]),
    default="yaml",
    show_default=True,
    help="yaml: the commitments/v1 file; jsonl: every event, one JSON object a line; "
    "ics: the calendar of deadlines and open follow-ups (as `tracker publish` writes it).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of standard output.",
)
@pass_app
@handle_errors
def export(app: AppContext, fmt: str, output: Path | None) -> None:
    """Write the tracker's contents out: commitments/v1 YAML (import -> export -> import
    is lossless), the raw event log as JSON Lines, or the calendar (iCalendar) to
    subscribe to: every deadline window an all-day event, every open follow-up a to-do.

    With -o, the export is written to a temporary file beside the output file and
    takes its place only once complete: a failure halfway leaves the file as it was.

    \b
    Examples:
      tracker export > commitments.yaml
      tracker export -o commitments.yaml
      tracker export --format jsonl -o events.jsonl
      tracker export --format ics > tracker.ics
    """
    from tracker.service_layer.exporter import (
        export_document,
        export_size,
        write_file,
        write_jsonl,
    )
    from tracker.service_layer.fileformat.writer import write_yaml

    if output is not None:
        directory = output.parent
        if not directory.is_dir():
            problem = "is not a directory" if directory.exists() else "does not exist"
            fail(f"cannot write {output}: the directory {directory} {problem}")
    tracker = app.tracker  # opened first: its own errors are not the export's

    def write(out: TextIO) -> None:
        if fmt == "yaml":
            with progress("reading the log", export_size(tracker)) as advance:
                document = export_document(tracker, advance)
            with progress("writing YAML", None):
                write_yaml(document, out)
        elif fmt == "ics":
            from tracker.service_layer.publish import calendar_bytes
            from tracker.service_layer.queries import View

            # iCalendar lines end in CRLF (RFC 5545): written as they are, not translated.
            out.flush()
            out.buffer.write(calendar_bytes(tracker, View()))
            out.buffer.flush()
        else:
            write_jsonl(tracker, out)

    untouched = f"; {output} was left as it was" if output is not None else ""
    try:
        if output is None:
            write(sys.stdout)
        else:
            write_file(output, write)
    except BrokenPipeError:
        raise  # the reader closed the pipe (`| head`): tracker's entry point ends quietly
    except OSError as exc:
        fail(f"cannot write {output or 'the export'}: {exc.strerror or exc}{untouched}")
    except (ValueError, KeyError) as exc:  # a stored event the export cannot read
        why = f"it has no {exc}" if isinstance(exc, KeyError) else str(exc)
        fail(
            f"cannot export: an event in the log cannot be read ({why})"
            f"{untouched}; `tracker audit` checks the log",
            EXIT_PROBLEMS,
        )
