"""The vocabulary of output fields: one declaration for every command that lists.

The same thing has the same key in every command and format (``id``, never
``commitment_id``; ``due`` always the window object). This table is what
``docs/fields.md`` is generated from, what CSV columns are derived from (a window
spread over ``due.start``, ``due.end``, ``due.label``; a list joined with "; "), and
what the tests hold each command's JSON to, so the documentation cannot drift from
the output.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tracker.domain.statuses import Status

STATUS = "status"
OVERDUE = "overdue"
SHOW = "show"
SCORECARD = "scorecard"
ACTORS = "actors"
SOURCES = "sources"
EVENTS = "events"

COMMANDS = (STATUS, OVERDUE, SHOW, SCORECARD, ACTORS, SOURCES, EVENTS)
ROW = (STATUS, SHOW)  # show's header is status's row for the same commitment

WINDOW = ("start", "end", "label")
LIST_SEPARATOR = "; "


@dataclass(frozen=True)
class Field:
    key: str
    kind: str  # in words: "text", "day", "number", "true or false", "list of texts", …
    meaning: str
    commands: tuple[str, ...]
    parts: tuple[str, ...] = ()  # an object's keys, which CSV spreads over columns


FIELDS: tuple[Field, ...] = (
    # A commitment, as status, show and overdue give it.
    Field("id", "text", "The commitment's id, as `show` and `record` take it.", (*ROW, OVERDUE)),
    Field("title", "text", "What was promised, in one line.", (*ROW, OVERDUE)),
    Field(
        "kind",
        "text",
        "What is overdue: `commitment` (its deadline passed) or `follow_up`.",
        (OVERDUE,),
    ),
    Field(
        "follow_up",
        "text or null",
        "The overdue follow-up's id (null when the commitment itself is overdue).",
        (OVERDUE,),
    ),
    Field("task", "text or null", "The overdue follow-up's task.", (OVERDUE,)),
    Field("made_by", "list of texts", "The ids of the actors who made it.", ROW),
    Field("made_on", "day", "The day it was made (YYYY-MM-DD).", ROW),
    Field("status", "text", "One of: " + ", ".join(s.value for s in Status) + ".", ROW),
    Field(
        "due",
        "window or null",
        "The deadline window in force: `start` and `end` days and the words it was "
        "given in, `label` (a follow-up's window is its one day). Null without a deadline.",
        (*ROW, OVERDUE),
        WINDOW,
    ),
    Field(
        "overdue",
        "true or false",
        "Whether the deadline window ended before the day judged on and it is still open.",
        ROW,
    ),
    Field(
        "days_late",
        "number or null",
        "Days since the window ended, when overdue (`overdue`: always a number).",
        (*ROW, OVERDUE),
    ),
    Field(
        "days_late_at_fulfilment",
        "number or null",
        "Days from the window's end to the fulfilment (0 when on time); null when not "
        "fulfilled or without a deadline.",
        ROW,
    ),
    Field(
        "owner",
        "text or null",
        "Who is reminded (an email address); for a follow-up, its own owner first.",
        (*ROW, OVERDUE),
    ),
    Field("tags", "list of texts", "Its tags.", ROW),
    Field("next_follow_up", "day or null", "The due day of the next open follow-up.", ROW),
    Field("overdue_follow_ups", "number", "How many of its follow-ups are overdue.", ROW),
    Field(
        "last_evidence_on",
        "day or null",
        "The last day something was recorded about it with a source.",
        ROW,
    ),
    # show only: the rest of the story.
    Field("made_to", "list of texts", "The ids of the actors it was made to.", (SHOW,)),
    Field("occasion", "text or null", "Where or when it was made.", (SHOW,)),
    Field("status_on", "day or null", "The day it reached its status.", (SHOW,)),
    Field("superseded_by", "text or null", "The commitment that replaced it.", (SHOW,)),
    Field(
        "follow_ups",
        "list of objects",
        "Every follow-up: `id`, `due`, `task`, `owner`, `done_on`.",
        (SHOW,),
    ),
    Field(
        "sources",
        "list of objects",
        "Every source it cites, with the fields of `sources` and its `quotes`.",
        (SHOW,),
    ),
    Field(
        "timeline",
        "list of objects",
        "Every entry: `entry` (its number), `on`, `recorded_at`, `kind`, `summary`, "
        "`source`, `quote`, `note`, `retracted`, `retracted_because`, `recorded_by`, "
        "`db_user`.",
        (SHOW,),
    ),
    Field(
        "overdue_flags",
        "list of objects",
        "Each time it was flagged overdue: `kind`, `follow_up`, `due` (its `end` and "
        "`label`), `days_late`, `flagged_on`.",
        (SHOW,),
    ),
    # scorecard: one row per actor or tag.
    Field("actor", "text", "The actor's id (`scorecard --by actor`).", (SCORECARD,)),
    Field("tag", "text", "The tag (`scorecard --by tag`).", (SCORECARD,)),
    Field("name", "text", "The actor's name (the tag again with `--by tag`).", (SCORECARD,)),
    Field("made", "number", "How many commitments it made (or carry the tag).", (SCORECARD,)),
    *(
        Field(s.value, "number", f"How many are {s.value.replace('_', ' ')}.", (SCORECARD,))
        for s in Status
    ),
    Field("fulfilled_on_time", "number", "Fulfilled within the deadline window.", (SCORECARD,)),
    Field("fulfilled_late", "number", "Fulfilled after the deadline window.", (SCORECARD,)),
    Field("open", "number", "Not yet in a final status.", (SCORECARD,)),
    Field("overdue", "number", "How many are overdue.", (SCORECARD,)),
    Field("score", "number", "Fulfilled minus broken.", (SCORECARD,)),
    Field(
        "average",
        "number or null",
        "The mean of +1 fulfilled, 0 partly, −1 broken over those assessed.",
        (SCORECARD,),
    ),
    Field(
        "compliance",
        "number or null",
        "(average + 1) / 2, as a percentage; null when none is assessed.",
        (SCORECARD,),
    ),
    Field(
        "shares",
        "object",
        "Each status's share of the commitments, as a percentage.",
        (SCORECARD,),
        tuple(s.value for s in Status),
    ),
    # actors and sources: the reference data.
    Field("id", "text", "The actor's or the source's id.", (ACTORS, SOURCES)),
    Field("name", "text", "The actor's name.", (ACTORS,)),
    Field("kind", "text", "`government`, `person`, `organization` or `body`.", (ACTORS,)),
    Field("member_of", "text or null", "The actor it belongs to.", (ACTORS,)),
    Field("role", "text or null", "A person's role.", (ACTORS,)),
    Field("aliases", "list of texts", "Other names `--by` matches.", (ACTORS,)),
    Field("publisher", "text or null", "Who published the source.", (SOURCES,)),
    Field("title", "text or null", "The source's title.", (SOURCES,)),
    Field("url", "text or null", "Where to read it.", (SOURCES,)),
    Field("published", "day or null", "The day it was published.", (SOURCES,)),
    Field("language", "text or null", "Its language tag (`es`, `en`).", (SOURCES,)),
    # events: the log itself, one JSON object per line.
    Field("position", "number", "The event's place in the whole log, from 1.", (EVENTS,)),
    Field("stream_id", "text", "Its stream: `commitment:ID`, `actor:ID`, `audit`, …", (EVENTS,)),
    Field(
        "version", "number", "Its place in its stream, from 1 (a timeline's `entry`).", (EVENTS,)
    ),
    Field("type", "text", "The event type, e.g. `StatusChanged`.", (EVENTS,)),
    Field("schema_version", "number", "The version of the payload's shape.", (EVENTS,)),
    Field("occurred_at", "time", "When it happened in the world (UTC).", (EVENTS,)),
    Field("recorded_at", "time", "When it was written to the log (UTC).", (EVENTS,)),
    Field("data", "object", "The payload, as the type defines it.", (EVENTS,)),
    Field("meta", "object", "Who recorded it (`recorded_by`) and with which command.", (EVENTS,)),
    Field("idempotency_key", "text or null", "What makes a retry append nothing.", (EVENTS,)),
    Field("hash", "text", "The hash chain's link (SHA-256 or HMAC, hex).", (EVENTS,)),
    Field("db_user", "text", "The database user who wrote it (empty on SQLite).", (EVENTS,)),
)


def fields_of(command: str) -> list[Field]:
    """The fields ``command`` gives, in the order its JSON and CSV give them."""
    return [f for f in FIELDS if command in f.commands]


def keys_of(command: str, group: str = "actor") -> list[str]:
    """The JSON keys of one row of ``command`` (``group`` picks the scorecard's first)."""
    keys = [f.key for f in fields_of(command)]
    if command == SCORECARD:
        keys.remove("tag" if group == "actor" else "actor")
    return keys


def csv_keys(command: str, group: str = "actor") -> list[str]:
    """The CSV columns: every JSON key, an object's spread over dotted columns."""
    parts = {f.key: f.parts for f in fields_of(command)}
    return [
        f"{key}.{part}" if parts.get(key) else key
        for key in keys_of(command, group)
        for part in (parts.get(key) or ("",))
    ]


def flat(row: dict[str, Any]) -> dict[str, Any]:
    """A JSON row as a CSV row: objects spread over dotted keys, lists joined by "; "."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            out.update({f"{key}.{k}": v for k, v in value.items()})
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, list):
            out[key] = LIST_SEPARATOR.join(str(v) for v in value)
        else:
            out[key] = value
    return out


def flat_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [flat(r) for r in rows]
