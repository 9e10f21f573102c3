"""Actors and sources: the reference data commitments point at."""

from __future__ import annotations

import json
from typing import Any

from tracker.clock import utc_today
from tracker.domain import events as ev
from tracker.domain import streams
from tracker.domain.commitment import DomainError
from tracker.domain.events import DomainEvent
from tracker.domain.names import AmbiguousName, Clash, clashes
from tracker.service_layer.app import Tracker
from tracker.service_layer.projections import rows_for_stream, to_domain


def list_actors(tracker: Tracker) -> list[dict[str, Any]]:
    with tracker.uow.read() as session:
        rows = session.projected("actors")
    return [{**r, "aliases": json.loads(r["aliases"])} for r in rows]


def list_sources(tracker: Tracker) -> list[dict[str, Any]]:
    with tracker.uow.read() as session:
        return session.projected("sources")


class NameTaken(AmbiguousName):
    """An actor added with a name, alias or id that already names another actor."""

    def __init__(self, found: list[Clash]) -> None:
        self.clashes = found
        super().__init__("; ".join(str(c) for c in found))


def clashes_with(actors: list[dict[str, Any]], stored: list[dict[str, Any]]) -> list[Clash]:
    """What writing ``actors`` (read by ``references.read_actor``) would make ambiguous
    among the ``stored`` rows of the actors projection.

    Checked when an actor is written, by `actors add` and by the import alike:
    ``queries.directory`` cannot resolve a name two actors claim, so every `--by`
    lookup would fail afterwards.
    """
    existing = [(a["id"], a["name"], json.loads(a["aliases"])) for a in stored]
    return clashes([(a["id"], a["name"], a["aliases"]) for a in actors], existing)


def register(tracker: Tracker, kind: str, item: dict[str, Any]) -> None:
    """Add an actor or a source; an existing id is refused (the import updates them)."""
    stream = streams.actor(item["id"]) if kind == "actor" else streams.source(item["id"])
    event_type = ev.ACTOR_REGISTERED if kind == "actor" else ev.SOURCE_REGISTERED
    with tracker.uow.write() as session:
        if session.stream_version(stream):
            raise DomainError(f"{kind} {item['id']!r} already exists")
        if kind == "actor" and item.get("member_of"):
            parent = session.stream_version(streams.actor(item["member_of"]))
            if not parent:
                raise DomainError(f"unknown actor {item['member_of']!r} in --member-of")
        if kind == "actor" and (found := clashes_with([item], session.projected("actors"))):
            raise NameTaken(found)
        new = tracker.new_events(
            [DomainEvent(event_type, utc_today(), item)], command=f"{kind}s add"
        )
        session.append(stream, 0, new)
        events = [to_domain(e) for e in session.read_stream(stream)]
        session.write_stream_rows(stream, rows_for_stream(stream, events))
