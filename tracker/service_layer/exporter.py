"""``tracker export``: the log back into commitments/v1 (YAML) or as JSON Lines.

Follow-ups scheduled together with the commitment go under ``follow_ups``; every
later entry goes under ``history`` in the order it was recorded, so importing the
export into an empty database gives every entry the same number it has here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

from sqlalchemy import Connection, select

from tracker.adapters import schema
from tracker.adapters.eventstore import StoredEvent
from tracker.domain import events as ev
from tracker.service_layer import entries as ent
from tracker.service_layer.app import Tracker
from tracker.service_layer.importer import FORMAT
from tracker.service_layer.projections import streams_in_order, to_domain


def _reference(conn: Connection, table: Any, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for row in conn.execute(select(table).order_by(table.c.id)).mappings():
        item = {k: row[k] for k in keys}
        if "aliases" in item:
            item["aliases"] = json.loads(item["aliases"])
        out.append(ent.clean(item))
    return out


def _commitments(tracker: Tracker, conn: Connection) -> Iterator[dict[str, Any]]:
    stored = tracker.store.read_by_stream(conn, prefix="commitment:")
    for _, events in streams_in_order(stored):
        domain = [to_domain(e) for e in events]
        made, rest = domain[0], domain[1:]
        item = ent.header_form(made.data)
        follow_ups = []
        while rest and rest[0].type == ev.FOLLOW_UP_SCHEDULED and rest[0].on == made.on:
            follow_ups.append(ent.follow_up_form(rest.pop(0).data))
        if follow_ups:
            item["follow_ups"] = follow_ups
        if rest:
            item["history"] = [ent.history_form(e) for e in rest]
        yield item


def export_document(tracker: Tracker) -> dict[str, Any]:
    with tracker.db.read() as conn:
        return {
            "format": FORMAT,
            "actors": _reference(conn, schema.actors, ent.ACTOR_KEYS),
            "sources": _reference(conn, schema.sources, ent.SOURCE_KEYS),
            "commitments": list(_commitments(tracker, conn)),
        }


def write_yaml(document: dict[str, Any], out: TextIO) -> None:
    import yaml

    out.write("# commitments/v1, exported by `tracker export`; import it with `tracker import`.\n")
    yaml.safe_dump(document, out, sort_keys=False, allow_unicode=True, width=88)


def event_json(event: StoredEvent) -> str:
    return json.dumps(
        {
            "position": event.position,
            "stream_id": event.stream_id,
            "version": event.version,
            "type": event.type,
            "schema_version": event.schema_version,
            "occurred_at": event.occurred_at,
            "recorded_at": event.recorded_at,
            "data": event.data,
            "meta": event.meta,
            "idempotency_key": event.idempotency_key,
            "hash": event.hash,
        },
        ensure_ascii=False,
    )


def write_jsonl(tracker: Tracker, out: TextIO) -> int:
    """One JSON object per event, in log order: for scripts and other tools."""
    count = 0
    with tracker.db.read() as conn:
        for event in tracker.store.read_all(conn):
            out.write(event_json(event) + "\n")
            count += 1
    return count
