"""Commands that move whole files in and out: import and export."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tracker.cli.context import AppContext, handle_errors, pass_app
from tracker.cli.output import progress


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
@handle_errors
def import_(app: AppContext, file: Path) -> None:
    """Load a commitments/v1 file (YAML or JSON).

    Atomic and idempotent: a file with any problem writes nothing and every problem
    is listed with its path and line; importing the same file again adds nothing, and
    a newer version that only adds history entries appends just those.

    \b
    Examples:
      tracker import commitments.yaml
      tracker export > backup.yaml && tracker --db other.db import backup.yaml
    """
    from tracker.service_layer.document import read_document
    from tracker.service_layer.importer import import_document

    doc = read_document(file)
    count = len(doc.data.get("commitments") or []) if isinstance(doc.data, dict) else 0
    with progress(f"importing {file.name}", count) as advance:
        report = import_document(app.tracker, doc, progress=advance)
    if report.events == 0:
        click.echo(f"{file}: nothing new ({report.unchanged} entries already recorded)")
        return
    click.echo(
        f"{file}: {report.events} events appended — {report.commitments} new commitments, "
        f"{report.actors} actors and {report.sources} sources added or updated, "
        f"{report.unchanged} entries already recorded"
    )


@click.command()
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["yaml", "jsonl"]),
    default="yaml",
    show_default=True,
    help="yaml: the commitments/v1 file; jsonl: every event, one JSON object a line.",
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
    is lossless) or the raw event log as JSON Lines.

    \b
    Examples:
      tracker export > commitments.yaml
      tracker export --format jsonl -o events.jsonl
    """
    from tracker.service_layer.exporter import export_document, write_jsonl, write_yaml

    out = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        if fmt == "yaml":
            write_yaml(export_document(app.tracker), out)
        else:
            write_jsonl(app.tracker, out)
    finally:
        if output:
            out.close()
