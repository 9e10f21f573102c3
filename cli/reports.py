"""Commands that read: status, show, scorecard and events; none of them writes."""

from __future__ import annotations

import sys
from typing import Any

import click

from tracker.domain.words import late, plural, to_second
from tracker.jsontext import encode_row, escape_line_breaks, listing
from tracker.service_layer.fields import csv_keys, flat_rows

from .context import AppContext, handle_errors, pass_app
from .output import (
    TEXT,
    Column,
    echo_styled,
    emit,
    fitted_lines,
    output_options,
    pager_option,
)
from .params import (
    BIGINT_MAX,
    DATE,
    POSITION,
    STATUS,
    empty_hint,
    resolve_id,
    time_options,
)


def _due(value: dict[str, Any] | None) -> str:
    if not value:
        return "—"
    span = value["start"] if value["start"] == value["end"] else f"{value['start']}..{value['end']}"
    return f"{value['label']} ({span})" if value["label"] not in (value["start"], span) else span


def _overdue(row: dict[str, Any]) -> str:
    if row.get("overdue"):
        return f"yes, {late(row['days_late'])}"
    if row.get("overdue_follow_ups"):
        return f"follow-up ({row['overdue_follow_ups']})"
    return "no"


SORTS = ("due", "status", "id", "made_on", "late")
_STATUS_STYLES = {
    "fulfilled": "green",
    "broken": "dim",
    "withdrawn": "dim",
    "superseded": "dim",
}


def _status_style(row: dict[str, Any]) -> str | None:
    """Overdue red, fulfilled green, closed without fulfilment dim, open plain.

    Table rows carry the overdue column as words ("no" is a true string), so the
    judgement is read from ``late``, the boolean ``_table_rows`` keeps.
    """
    if row.get("late", row.get("overdue")) is True:
        return "bold red"
    return _STATUS_STYLES.get(row["status"])


STATUS_COLUMNS = [
    Column("id", "id", style=_status_style),
    Column("title", "title", kind=TEXT, priority=3),
    Column("made_by", "made by", lambda v: ", ".join(v or []), kind=TEXT),
    Column("status", "status", style=_status_style),
    Column("due", "due", _due, kind=TEXT, priority=2),
    Column("overdue", "overdue", kind=TEXT, priority=1),
    Column("next_follow_up", "next follow-up"),
]


def _table_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "overdue": _overdue(r), "late": r["overdue"]} for r in rows]


def csv_columns(command: str, group: str = "actor") -> list[Column]:
    """CSV columns as docs/fields.md lists them: every key of the command's JSON."""
    return [Column(key, key) for key in csv_keys(command, group)]


def emit_listing(
    rows: list[dict[str, Any]], columns: list[Column], fmt: str, command: str, **kw: Any
) -> None:
    """A listing in ``fmt``; as CSV, with the columns of docs/fields.md for ``command``."""
    if fmt == "csv":
        emit(flat_rows(rows), csv_columns(command), fmt)
    else:
        emit(rows, columns, fmt, **kw)


def print_status(
    rows: list[dict[str, Any]], fmt: str, day: str, *, empty: str | None = None
) -> None:
    """``empty``: the hint a table prints on stderr, instead of a bare header, if no rows."""
    if fmt in ("json", "jsonl"):
        emit(rows, STATUS_COLUMNS, fmt)
    elif fmt == "csv":
        emit(flat_rows(rows), csv_columns("status"), fmt)
    elif not rows and empty and fmt == "table":
        emit(rows, STATUS_COLUMNS, fmt, empty=empty)
    else:
        emit(_table_rows(rows), STATUS_COLUMNS, fmt, title=f"Commitments as of {day}")
        if fmt == "table":
            echo_styled(*_summary(rows, day))


def _summary(rows: list[dict[str, Any]], day: str) -> tuple[str, str | None]:
    overdue = sum(1 for r in rows if r["overdue"])
    chasing = sum(1 for r in rows if r["overdue_follow_ups"] and not r["overdue"])
    parts = [plural(len(rows), "commitment"), f"{overdue} overdue"]
    if chasing:
        parts.append(f"{chasing} more with overdue follow-ups")
    return f"{', '.join(parts)} (judged on {day})", "red" if overdue else None


@click.command()
@time_options
@click.option(
    "--by",
    "by",
    metavar="ACTOR",
    help="Only those made by this actor (id, name or alias) or its members.",
)
@click.option(
    "--status", "statuses", multiple=True, type=STATUS, help="Only this status (repeatable)."
)
@click.option("--tag", "tags", multiple=True, help="Only with this tag (repeatable).")
@click.option(
    "--overdue", "overdue_only", is_flag=True, help="Only overdue commitments or follow-ups."
)
@click.option(
    "--due-before",
    type=DATE,
    metavar="DAY",
    help="Only deadlines that end before DAY (e.g. --due-before 2024-03-01).",
)
@click.option(
    "--upcoming",
    type=click.IntRange(0, 36600),
    metavar="DAYS",
    help="Only open commitments whose deadline, or an open follow-up, falls within the "
    "next DAYS days of --as-of or today (e.g. --upcoming 14).",
)
@click.option(
    "--sort",
    type=click.Choice(SORTS),  # as tracker.service_layer.queries.SORTS, loaded lazily
    help="Order by deadline end, status, id, day made, or most days late first "
    "(e.g. --sort late). Default: overdue first, then by deadline.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, BIGINT_MAX),
    metavar="N",
    help="At most N rows, after sorting (e.g. --limit 20).",
)
@output_options
@pass_app
@handle_errors
def status(
    app: AppContext,
    as_of: Any,
    known_at: Any,
    by: str | None,
    statuses: tuple[Any, ...],
    tags: tuple[str, ...],
    overdue_only: bool,
    due_before: Any,
    upcoming: int | None,
    sort: str | None,
    limit: int | None,
    fmt: str,
) -> None:
    """Where each commitment stands: status, deadline, overdue first.

    \b
    Examples:
      tracker status
      tracker status --overdue --by "estados unidos"
      tracker status --as-of 2024-02-11 --format json
      tracker status --known-at 2024-01-25T12:00:00Z --format markdown
      tracker status --sort late --limit 10
      tracker status --upcoming 14 --as-of 2024-02-01
      tracker status --due-before 2024-03-01 --format jsonl
    """
    wanted = tuple(s.value for s in statuses)
    # Today's report for scripts, from the stored rows, read without SQLAlchemy: with
    # every option but those that need actors, tags or the log (--by, --tag, --upcoming,
    # --as-of, --known-at).
    stored = not (by or tags) and as_of is None and known_at is None and upcoming is None
    if stored and fmt in ("json", "jsonl"):
        lines = stored_status(
            app,
            status=wanted,
            overdue_only=overdue_only,
            due_before=due_before,
            sort=sort,
            limit=limit,
        )
        if lines is not None:
            sys.stdout.write(listing(lines, fmt))
            return
    from tracker.service_layer.queries import View, status_report

    view = View(as_of=as_of, known_at=known_at)
    rows = status_report(
        app.tracker,
        view,
        by=by,
        status=wanted,
        tag=tags,
        overdue_only=overdue_only,
        due_before=due_before,
        upcoming=upcoming,
        sort=sort,
        limit=limit,
    )
    print_status(rows, fmt, view.day.isoformat(), empty=empty_hint(app, rows))


def stored_status(app: AppContext, **options: Any) -> list[str] | None:
    """Today's status rows, encoded, from what the projection stores; None when it cannot
    say (see tracker.adapters.statusread), and the full path answers instead."""
    from tracker.clock import utc_today
    from tracker.config import resolve_db_url
    from tracker.service_layer.statusrows import stored_report

    return stored_report(resolve_db_url(app.db_option), utc_today(), **options)


@click.command()
@click.argument("commitment_id", metavar="ID")
@time_options
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@pager_option
@pass_app
@handle_errors
def show(app: AppContext, commitment_id: str, as_of: Any, known_at: Any, fmt: str) -> None:
    """One commitment: its fields, sources with quotes, and its full timeline.

    Each timeline entry shows the day it happened and when it was recorded; its number
    is what `tracker record ID retract N` takes. With --format json, one document
    whose first fields are the commitment's row in `tracker status --format json`,
    then its story, one timeline entry a line (docs/fields.md lists every key).

    \b
    Examples:
      tracker show fentanyl-meeting-feb-2024
      tracker show darien-visit --as-of 2024-01-25 --format json
    """
    from tracker.service_layer.queries import View
    from tracker.service_layer.queries import show as show_query

    view = View(as_of=as_of, known_at=known_at)
    data = show_query(app.tracker, resolve_id(app, commitment_id), view)
    if fmt == "json":
        sys.stdout.write(document_json(data))
        return
    with fitted_lines():
        _print_show(data, view.day.isoformat())


def document_json(document: dict[str, Any]) -> str:
    """One JSON document in the listings' shape: a field per line, and each item of a
    list (a timeline entry, a source) on a line of its own."""
    encode = encode_row

    def value(v: Any) -> str:
        if isinstance(v, list) and v and isinstance(v[0], dict):
            return "[\n    " + ",\n    ".join(encode(i) for i in v) + "\n  ]"
        return encode(v)

    lines = [f"  {encode(k)}: {value(v)}" for k, v in document.items()]
    return escape_line_breaks("{\n" + ",\n".join(lines) + "\n}\n")


def _print_show(d: dict[str, Any], day: str) -> None:
    from tracker.domain.timeliness import describe

    echo_styled(f"{d['id']}: {d['title']}", "cyan")
    late = describe(d["days_late_at_fulfilment"])
    fields = [
        ("status", f"{d['status']} (since {d['status_on']})" + (f", {late}" if late else "")),
        ("overdue", f"{_overdue(d)} (judged on {day})"),
        ("due", _due(d["due"])),
        ("made by", ", ".join(d["made_by"])),
        ("made to", ", ".join(d["made_to"]) or "—"),
        ("made on", d["made_on"]),
        ("occasion", d["occasion"] or "—"),
        ("owner", d["owner"] or "—"),
        ("tags", ", ".join(d["tags"]) or "—"),
    ]
    if d["superseded_by"]:
        fields.append(("superseded by", d["superseded_by"]))
    for name, value in fields:
        click.echo(f"  {name:<13} {value}")
    if d["follow_ups"]:
        click.echo("\nFollow-ups:")
        for f in d["follow_ups"]:
            state = f"done {f['done_on']}" if f["done_on"] else f"due {f['due']}"
            click.echo(f"  {f['id']:<20} {state:<16} {f['task']} ({f['owner'] or 'no owner'})")
    if d["sources"]:
        click.echo("\nSources:")
        for s in d["sources"]:
            meta = ", ".join(
                x for x in (s.get("publisher"), s.get("published"), s.get("language")) if x
            )
            click.echo(f"  [{s['id']}] {s.get('title') or ''} ({meta})")
            if s.get("url"):
                click.echo(f"      {s['url']}")
            for q in s["quotes"]:
                click.echo(f"      “{q}”")
    click.echo("\nTimeline (happened on / recorded at):")
    for e in d["timeline"]:
        mark = f" [retracted: {e['retracted_because']}]" if e["retracted"] else ""
        recorded = to_second(e["recorded_at"])
        click.echo(f"  #{e['entry']:<3} {e['on']}  {recorded}  {e['kind']}{mark}: {e['summary']}")
        if e["note"]:
            click.echo(f"        note: {e['note']}")
        if e["source"]:
            click.echo(f"        source: {e['source']}")
    for flag in d["overdue_flags"]:
        item = f"follow-up {flag['follow_up']}" if flag["follow_up"] else "the commitment"
        due = flag["due"]["label"] or flag["due"]["end"]
        click.echo(f"  flagged overdue on {flag['flagged_on']}: {item} (deadline {due})")


def _score_columns(group: str) -> list[Column]:
    return [
        Column(group, group),
        *([Column("name", "name", kind=TEXT)] if group == "actor" else []),
        Column("made", "made"),
        Column("fulfilled_on_time", "kept on time"),
        Column("fulfilled_late", "kept late"),
        Column("partially_fulfilled", "partly"),
        Column("broken", "broken"),
        Column("open", "open"),
        Column("overdue", "overdue"),
        Column("score", "score", optional=True, priority=0),
        Column("average", "average", optional=True, priority=1),
        Column("compliance", "compliance %"),
    ]


SCORE_COLUMNS = _score_columns("actor")


@click.command()
@time_options
@click.option(
    "--by",
    "group",
    type=click.Choice(["actor", "tag"]),
    default="actor",
    show_default=True,
    help="One row per actor, or per tag.",
)
@output_options
@pass_app
@handle_errors
def scorecard(app: AppContext, as_of: Any, known_at: Any, group: str, fmt: str) -> None:
    """Each actor's (or tag's) record: +1 fulfilled, 0 partially fulfilled, −1 broken.

    After the G7/G20 Research Group's method: the average over assessed commitments
    runs from −1 (all broken) to +1 (all kept) and the compliance percentage is
    (average + 1) / 2, beside counts of open and overdue ones; fulfilments after the
    deadline window count as kept late. JSON rows also give the count and share of
    every status.

    \b
    Examples:
      tracker scorecard
      tracker scorecard --by tag
      tracker scorecard --as-of 2024-02-11 --format markdown
    """
    from tracker.service_layer.queries import View, scorecard_report

    view = View(as_of=as_of, known_at=known_at)
    rows = scorecard_report(app.tracker, view, group)
    title = f"Scorecard by {group} as of {view.day.isoformat()}"
    if fmt == "csv":
        emit(flat_rows(rows), csv_columns("scorecard", group), fmt)
    else:
        emit(rows, _score_columns(group), fmt, title=title, empty=empty_hint(app, rows))


@click.command()
@click.option(
    "--after", type=POSITION, default=0, show_default=True, help="Only events after this position."
)
@click.option("--stream", help="Only this stream (e.g. commitment:darien-visit).")
@pager_option
@pass_app
@handle_errors
def events(app: AppContext, after: int, stream: str | None) -> None:
    """The raw event log as JSON Lines, for scripts.

    \b
    Examples:
      tracker events | jq .type
      tracker events --after 100
      tracker events --stream commitment:darien-visit
    """
    from tracker.service_layer.exporter import event_lines

    for line in event_lines(app.tracker, after=after, stream=stream):
        sys.stdout.write(line + "\n")
