"""Inline projections: the read models, written in the same transaction as the events.

Each writer refolds the one stream it touched and replaces that stream's rows, so a
crash can never leave events without their projection or the other way round.
``rebuild`` derives every row again from the log; ``diff`` compares the two, which
is how both ``projections rebuild`` and the audit prove them equal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from tracker.adapters import schema
from tracker.adapters.eventstore import StoredEvent
from tracker.adapters.hashing import canonical_json
from tracker.domain.commitment import CommitmentState, fold
from tracker.domain.events import DomainEvent

Rows = dict[str, list[dict[str, Any]]]


def to_domain(event: StoredEvent) -> DomainEvent:
    return DomainEvent(
        event.type,
        date.fromisoformat(event.occurred_at[:10]),
        event.data,
        event.version,
        event.position,
    )


def commitment_rows(state: CommitmentState) -> Rows:
    d = state.to_dict()
    return {
        "commitments": [
            {
                "id": state.id,
                "title": state.title,
                "status": state.status.value,
                "made_on": d["made_on"],
                "due_start": state.due.start.isoformat() if state.due else None,
                "due_end": state.due.end.isoformat() if state.due else None,
                "due_label": state.due.label if state.due else None,
                "owner": state.owner,
                "last_evidence_on": d["last_evidence_on"],
                "version": state.version,
                "state": canonical_json(d),
            }
        ],
        "follow_ups": [
            {
                "commitment_id": state.id,
                "follow_up_id": f.id,
                "task": f.task,
                "due": f.due.isoformat(),
                "owner": f.owner,
                "done_on": f.done_on.isoformat() if f.done_on else None,
            }
            for f in state.follow_ups.values()
        ],
    }


def actor_row(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": data["id"],
        "name": data["name"],
        "kind": data["kind"],
        "member_of": data.get("member_of"),
        "role": data.get("role"),
        "aliases": canonical_json(list(data.get("aliases") or [])),
    }


def source_row(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data.get(k) for k in ("id", "publisher", "title", "url", "published", "language")}


def rows_for_stream(stream_id: str, events: list[StoredEvent]) -> Rows:
    """The projection rows one stream contributes; streams of other kinds contribute none."""
    kind = stream_id.split(":", 1)[0]
    if kind == "commitment":
        state = fold(to_domain(e) for e in events)
        return commitment_rows(state) if state else {}
    if kind in ("actor", "source") and events:
        merged: dict[str, Any] = {}
        for e in events:
            merged.update(e.data)
        return (
            {"actors": [actor_row(merged)]}
            if kind == "actor"
            else {"sources": [source_row(merged)]}
        )
    return {}


_KEYS = {
    "commitments": ("id",),
    "follow_ups": ("commitment_id",),
    "actors": ("id",),
    "sources": ("id",),
}
_TABLES = {t.name: t for t in schema.PROJECTION_TABLES}


def replace_stream_rows(conn: Connection, stream_id: str, events: list[StoredEvent]) -> None:
    kind, _, ident = stream_id.partition(":")
    owned = {
        "commitment": ("commitments", "follow_ups"),
        "actor": ("actors",),
        "source": ("sources",),
    }.get(kind, ())
    rows = rows_for_stream(stream_id, events)
    for name in owned:
        table = _TABLES[name]
        conn.execute(delete(table).where(table.c[_KEYS[name][0]] == ident))
        if rows.get(name):
            conn.execute(insert(table), rows[name])


def streams_in_order(events: Iterable[StoredEvent]) -> Iterator[tuple[str, list[StoredEvent]]]:
    """Group an iteration ordered by (stream_id, version) into one list per stream."""
    current: str | None = None
    batch: list[StoredEvent] = []
    for e in events:
        if e.stream_id != current:
            if current is not None:
                yield current, batch
            current, batch = e.stream_id, []
        batch.append(e)
    if current is not None:
        yield current, batch


def derive_all(
    stream_events: Iterable[StoredEvent], on_stream: Callable[[int], None] | None = None
) -> Iterator[Rows]:
    for stream_id, events in streams_in_order(stream_events):
        yield rows_for_stream(stream_id, events)
        if on_stream:
            on_stream(len(events))


def write_rows(conn: Connection, batches: Iterable[Rows], flush_every: int = 2000) -> None:
    pending: Rows = {name: [] for name in _TABLES}

    def flush() -> None:
        for name, rows in pending.items():
            if rows:
                conn.execute(insert(_TABLES[name]), rows)
                rows.clear()

    for count, rows in enumerate(batches, start=1):
        for name, items in rows.items():
            pending[name].extend(items)
        if count % flush_every == 0:
            flush()
    flush()


def clear_all(conn: Connection) -> None:
    for table in reversed(schema.PROJECTION_TABLES):
        conn.execute(delete(table))


@dataclass(frozen=True)
class Difference:
    table: str
    key: str
    problem: str


def _key(table: Any, row: Any) -> str:
    return "/".join(str(row[c.name]) for c in table.primary_key.columns)


def _digest(table: Any, row: Any) -> bytes:
    values = [row[c.name] for c in table.columns]
    return hashlib.blake2b(canonical_json(values).encode(), digest_size=16).digest()


def stored_digests(conn: Connection) -> dict[tuple[str, str], bytes]:
    """A small fingerprint of every projection row: comparing a large projection with
    the log then needs memory for fingerprints, not for two copies of every row."""
    return {
        (name, _key(table, row)): _digest(table, row)
        for name, table in _TABLES.items()
        for row in conn.execute(select(table)).mappings()
    }


class Comparison:
    """Compares freshly derived rows with stored fingerprints, one batch at a time."""

    def __init__(self, stored: dict[tuple[str, str], bytes]) -> None:
        self.stored = stored
        self.differences: list[Difference] = []

    def feed(self, rows: Rows) -> Rows:
        for name, items in rows.items():
            table = _TABLES[name]
            for row in items:
                key = _key(table, row)
                have = self.stored.pop((name, key), None)
                if have is None:
                    self.differences.append(Difference(name, key, "missing from the projection"))
                elif have != _digest(table, row):
                    self.differences.append(Difference(name, key, "differs from the log"))
        return rows

    def finish(self) -> list[Difference]:
        for name, key in sorted(self.stored):
            self.differences.append(Difference(name, key, "in the projection but not in the log"))
        self.stored = {}
        return self.differences
