"""One set of output options for every listing command, after sqlite-utils' ``output_options``.

Tables for people, ``json``/``csv``/``markdown`` for scripts. Rich is imported only
when a table goes to a terminal, so piping and scripting stay fast to start; colour
and progress bars appear only on a terminal.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

import click

FORMATS = ("table", "json", "csv", "markdown")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    render: Callable[[Any], str] = lambda v: "" if v is None else str(v)
    style: Callable[[dict[str, Any]], str | None] | None = None


def output_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--format",
        "-f",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="table for people; json, csv or markdown for scripts and documents.",
    )(fn)


def is_terminal(stream: TextIO) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def emit(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[Column],
    fmt: str,
    *,
    out: TextIO | None = None,
    title: str | None = None,
) -> None:
    out = out or sys.stdout
    if fmt == "json":
        # One row per line: as readable as indenting, and json's C encoder writes it
        # (it does not indent), which matters for thousands of rows.
        encode = json.JSONEncoder(ensure_ascii=False).encode
        lines = [encode(r) for r in rows]
        out.write("[\n  " + ",\n  ".join(lines) + "\n]\n" if lines else "[]\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([c.key for c in columns])
        writer.writerows([[c.render(r.get(c.key)) for c in columns] for r in rows])
    elif fmt == "markdown":
        out.write("| " + " | ".join(c.header for c in columns) + " |\n")
        out.write("|" + "|".join(" --- " for _ in columns) + "|\n")
        for r in rows:
            cells = [c.render(r.get(c.key)).replace("|", "\\|").replace("\n", " ") for c in columns]
            out.write("| " + " | ".join(cells) + " |\n")
    elif is_terminal(out):
        _rich_table(rows, columns, out, title)
    else:
        _plain_table(rows, columns, out)


def _plain_table(rows: Sequence[dict[str, Any]], columns: Sequence[Column], out: TextIO) -> None:
    cells = [[c.header for c in columns]]
    cells += [[c.render(r.get(c.key)).replace("\n", " ") for c in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    for row in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")


def _rich_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[Column], out: TextIO, title: str | None
) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, header_style="bold", expand=False)
    for c in columns:
        table.add_column(c.header, overflow="fold")
    for r in rows:
        table.add_row(*[_styled(c, r) for c in columns])
    Console(file=out, highlight=False).print(table)


def _styled(column: Column, row: dict[str, Any]) -> str:
    from rich.markup import escape

    text = escape(column.render(row.get(column.key)))
    style = column.style(row) if column.style else None
    return f"[{style}]{text}[/]" if style and text else text


def echo_styled(text: str, style: str | None = None, *, err: bool = False) -> None:
    """A line with colour only when it goes to a terminal."""
    stream = sys.stderr if err else sys.stdout
    if style and is_terminal(stream):
        click.secho(text, fg=style, err=err)
    else:
        click.echo(text, err=err)


@contextmanager
def progress(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal's stderr; silent when piped."""
    if not is_terminal(sys.stderr) or not total:
        yield lambda _n: None
        return
    from rich.progress import Progress

    with Progress(transient=True, console=None) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
