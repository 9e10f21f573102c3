"""Actors and sources: the reference data commitments point at."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from tracker.adapters import schema
from tracker.clock import utc_today
from tracker.domain import events as ev
from tracker.domain import streams
from tracker.domain.commitment import DomainError
from tracker.domain.events import DomainEvent
from tracker.domain.names import AmbiguousName, Clash, clashes
from tracker.service_layer.app import Tracker
from tracker.service_layer.projections import replace_stream_rows


def list_actors(tracker: Tracker) -> list[dict[str, Any]]:
    with tracker.db.read() as conn:
        rows = conn.execute(select(schema.actors).order_by(schema.actors.c.id)).mappings()
        return [{**r, "aliases": json.loads(r["aliases"])} for r in rows]


def list_sources(tracker: Tracker) -> list[dict[str, Any]]:
    with tracker.db.read() as conn:
        rows = conn.execute(select(schema.sources).order_by(schema.sources.c.id)).mappings()
        return [dict(r) for r in rows]


class NameTaken(AmbiguousName):
    """An actor added with a name, alias or id that already names another actor."""

    def __init__(self, found: list[Clash]) -> None:
        self.clashes = found
        super().__init__("; ".join(str(c) for c in found))


def name_clashes(conn: Connection, actors: list[dict[str, Any]]) -> list[Clash]:
    """What writing ``actors`` (read by ``references.read_actor``) would make ambiguous.

    Checked when an actor is written, by `actors add` and by the import alike:
    ``queries.directory`` cannot resolve a name two actors claim, so every `--by`
    lookup would fail afterwards.
    """
    table = schema.actors
    rows = conn.execute(select(table.c.id, table.c.name, table.c.aliases).order_by(table.c.id))
    existing = [(r.id, r.name, json.loads(r.aliases)) for r in rows]
    return clashes([(a["id"], a["name"], a["aliases"]) for a in actors], existing)


def register(tracker: Tracker, kind: str, item: dict[str, Any]) -> None:
    """Add an actor or a source; an existing id is refused (the import updates them)."""
    stream = streams.actor(item["id"]) if kind == "actor" else streams.source(item["id"])
    event_type = ev.ACTOR_REGISTERED if kind == "actor" else ev.SOURCE_REGISTERED
    with tracker.db.write() as conn:
        if tracker.store.stream_version(conn, stream):
            raise DomainError(f"{kind} {item['id']!r} already exists")
        if kind == "actor" and item.get("member_of"):
            parent = tracker.store.stream_version(conn, streams.actor(item["member_of"]))
            if not parent:
                raise DomainError(f"unknown actor {item['member_of']!r} in --member-of")
        if kind == "actor" and (found := name_clashes(conn, [item])):
            raise NameTaken(found)
        new = tracker.new_events(
            [DomainEvent(event_type, utc_today(), item)], command=f"{kind}s add"
        )
        tracker.store.append(conn, stream, 0, new)
        replace_stream_rows(conn, stream, tracker.store.read_stream(conn, stream))
