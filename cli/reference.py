"""``python -m tracker.cli.reference``: write docs/cli.md and docs/fields.md.

Both are generated, never edited: the CLI reference from every command's own
``--help`` (so it says what the commands say), the fields from the one declaration
in :mod:`tracker.service_layer.fields` (so it lists what the commands emit). A test
fails when the files in the repository are not what this writes; ``--check`` does the
same for CI without writing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from tracker.service_layer.fields import COMMANDS, FIELDS, fields_of

WIDTH = 88
REGENERATE = "python -m tracker.cli.reference"


def _commands(
    command: click.Command, parent: click.Context | None = None, name: str = "tracker"
) -> Iterator[tuple[str, click.Context]]:
    # make_context, not Context(): only it applies the commands' context_settings
    # (`-h` beside `--help`), as running the command does.
    ctx = command.make_context(
        name, [], parent=parent, resilient_parsing=True, terminal_width=WIDTH
    )
    ctx.max_content_width = WIDTH
    yield ctx.command_path, ctx
    if isinstance(command, click.Group):
        for sub in command.list_commands(ctx):
            found = command.get_command(ctx, sub)
            if found is not None and not found.hidden:
                yield from _commands(found, ctx, sub)


def cli_reference() -> str:
    """Every command's help, in the order ``tracker --help`` lists them, depth first."""
    from .main import cli

    found = list(_commands(cli))
    lines = [
        "# Command-line reference",
        "",
        f"Generated from the commands' own help by `{REGENERATE}`; do not edit.",
        "`tracker COMMAND --help` prints the same.",
        "",
        *(f"- [`{path}`](#{_anchor(path)})" for path, _ in found),
        "",
    ]
    for path, ctx in found:
        help_text = ctx.command.get_help(ctx).rstrip()
        lines += [f"## {path}", "", "```text", help_text, "```", ""]
    return "\n".join(lines)


def _anchor(path: str) -> str:
    return path.lower().replace(" ", "-")


def fields_reference() -> str:
    """Every output field: its key, what it holds, its kind and the commands giving it."""
    lines = [
        "# Output fields",
        "",
        f"Generated from `tracker/service_layer/fields.py` by `{REGENERATE}`; do not edit.",
        "",
        "Every listing gives the same key for the same thing in every format. `json` is one",
        "document (a list of rows, one row a line; `show` one object); `jsonl` the same rows,",
        "one JSON object a line; `csv` carries every key of the JSON, an object spread over",
        "dotted columns (`due.start`, `due.end`, `due.label`) and a list joined with `; `;",
        "`markdown` and `table` show the columns people read. Days are `YYYY-MM-DD`; times",
        "are ISO 8601 in UTC.",
        "",
    ]
    for command in COMMANDS:
        lines += [f"## {command}", "", "| key | kind | meaning |", "| --- | --- | --- |"]
        for f in fields_of(command):
            meaning = f.meaning.replace("|", "\\|")
            lines.append(f"| `{f.key}` | {f.kind} | {meaning} |")
        lines.append("")
    shared = sorted({f.key for f in FIELDS if len(f.commands) > 1})
    lines += ["Keys given by more than one command: " + ", ".join(f"`{k}`" for k in shared), ""]
    return "\n".join(lines)


def generated(docs: Path) -> dict[Path, str]:
    """What the files in ``docs`` (the checkout's docs/ folder) should hold."""
    return {docs / "cli.md": cli_reference(), docs / "fields.md": fields_reference()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether they are current")
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="the docs folder (docs)")
    args = parser.parse_args(argv)
    stale = []
    for path, text in generated(args.docs).items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if args.check and stale:
        names = ", ".join(str(p) for p in stale)
        print(f"not current: {names}; run `{REGENERATE}`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
