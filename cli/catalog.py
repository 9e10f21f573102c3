"""Commands for reference data: actors and sources (list, add)."""

from __future__ import annotations

from typing import Any

import click

from .context import AppContext, handle_errors, pass_app
from .output import TEXT, Column, output_options
from .params import empty_hint
from .reports import emit_listing

ACTOR_COLUMNS = [
    Column("id", "id"),
    Column("name", "name", kind=TEXT, priority=2),
    Column("kind", "kind"),
    Column("member_of", "member of"),
    Column("role", "role", kind=TEXT, priority=1),
    Column("aliases", "aliases", lambda v: ", ".join(v or []), kind=TEXT),
]
SOURCE_COLUMNS = [
    Column("id", "id"),
    Column("publisher", "publisher", kind=TEXT, priority=2),
    Column("published", "published"),
    Column("language", "lang"),
    Column("title", "title", kind=TEXT, priority=3),
    Column("url", "url", kind=TEXT, priority=1),
]


@click.group(invoke_without_command=True)
@output_options
@pass_app
@click.pass_context
@handle_errors
def actors(ctx: click.Context, app: AppContext, fmt: str) -> None:
    """List the actors (governments, people, organisations, bodies), or add one.

    Names and aliases match accent- and case-insensitively wherever an actor is
    asked for (`status --by "alicia barcena"`).

    \b
    Examples:
      tracker actors
      tracker actors --format csv > actors.csv
      tracker actors add sheinbaum --name "Claudia Sheinbaum" --kind person --member-of mx
    """
    if ctx.invoked_subcommand is None:
        from tracker.service_layer.catalog import list_actors

        found = list_actors(app.tracker)
        emit_listing(found, ACTOR_COLUMNS, fmt, "actors", empty=empty_hint(app, found))


@actors.command("add")
@click.argument("actor_id", metavar="ID")
@click.option("--name", required=True, help="The actor's name as usually written.")
@click.option(
    "--kind", type=click.Choice(["government", "person", "organization", "body"]), required=True
)
@click.option("--member-of", help="The actor it belongs to (e.g. mx).")
@click.option("--role", help="Role or title.")
@click.option("--alias", "aliases", multiple=True, help="Another spelling (repeatable).")
@pass_app
@handle_errors
def actors_add(app: AppContext, actor_id: str, **fields: Any) -> None:
    """Add an actor that commitments can name with --by and --to.

    \b
    Example:
      tracker actors add sheinbaum --name "Claudia Sheinbaum" --kind person --member-of mx
    """
    _register(app, "actor", {"id": actor_id, **fields, "aliases": list(fields["aliases"])})


@click.group(invoke_without_command=True)
@output_options
@pass_app
@click.pass_context
@handle_errors
def sources(ctx: click.Context, app: AppContext, fmt: str) -> None:
    """List the sources (articles, statements) that evidence commitments, or add one.

    \b
    Examples:
      tracker sources
      tracker sources --format json
      tracker sources add efe-2024-02-20 --publisher EFE --published 2024-02-20 --language es
    """
    if ctx.invoked_subcommand is None:
        from tracker.service_layer.catalog import list_sources

        found = list_sources(app.tracker)
        emit_listing(found, SOURCE_COLUMNS, fmt, "sources", empty=empty_hint(app, found))


@sources.command("add")
@click.argument("source_id", metavar="ID")
@click.option("--publisher", required=True, help="Who published it.")
@click.option("--title", help="Its headline or title.")
@click.option("--url", help="Where it is online, if it is.")
@click.option("--published", help="Publication date, YYYY-MM-DD.")
@click.option("--language", help="BCP 47 tag of its text (en, es).")
@pass_app
@handle_errors
def sources_add(app: AppContext, source_id: str, **fields: Any) -> None:
    """Add a source that entries can cite with --source.

    \b
    Example:
      tracker sources add efe-2024-02-20 --publisher EFE --published 2024-02-20 --language es
    """
    _register(app, "source", {"id": source_id, **{k: v for k, v in fields.items() if v}})


_OPTIONS = {
    "actor": {
        "id": "ID",
        "name": "--name",
        "kind": "--kind",
        "member_of": "--member-of",
        "role": "--role",
        "aliases": "--alias",
    },
    "source": {
        "id": "ID",
        "publisher": "--publisher",
        "title": "--title",
        "url": "--url",
        "published": "--published",
        "language": "--language",
    },
}


def _register(app: AppContext, kind: str, raw: dict[str, Any]) -> None:
    """Validate with the import's own rules, so a CLI entry and a file entry agree."""
    from tracker.service_layer.catalog import NameTaken, register
    from tracker.service_layer.fileformat.document import Problem
    from tracker.service_layer.fileformat.references import read_actor, read_source

    from .recording import refuse

    problems: list[Problem] = []
    item = (read_actor if kind == "actor" else read_source)(raw, "", problems)
    refuse(problems, _OPTIONS[kind])
    assert item is not None  # the readers return an item whenever they find no problem
    try:
        register(app.tracker, kind, item)
    except NameTaken as exc:  # the same name check as the import's, on the same rows
        refuse([Problem(c.field, str(c)) for c in exc.clashes], _OPTIONS[kind])
    click.echo(f"{kind} {item['id']} added")
