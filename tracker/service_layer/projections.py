"""Inline projections: the read models, written in the same transaction as the events.

Each writer refolds the one stream it touched and replaces that stream's rows, so a
crash can never leave events without their projection or the other way round.
``rebuild`` derives every row again from the log; ``diff`` compares the two, which
is how both ``projections rebuild`` and the audit prove them equal.

Rebuilds and as-of reports fold every stream of the log, so they read stored rows
straight into domain events (:func:`domain_streams`), skipping what folding does not
need. This module derives the rows; writing them is the tables' adapter's
(``adapters/projection_sql.py``) or the in-memory store's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain, groupby
from operator import itemgetter
from typing import Any

from tracker.adapters.eventstore import Row, StoredEvent, decode_payload, upcast
from tracker.adapters.hashing import canonical_json
from tracker.adapters.projection_sql import (
    LAYOUTS,
    OWNED,
    Changed,
    Key,
    Rows,
    digest,
)
from tracker.domain.commitment import CommitmentState, fold
from tracker.domain.events import DomainEvent
from tracker.service_layer.statusrows import status_columns


def to_domain(event: StoredEvent) -> DomainEvent:
    return DomainEvent(
        event.type,
        date.fromisoformat(event.occurred_at[:10]),
        event.data,
        event.version,
        event.position,
    )


def domain_streams(batches: Iterable[Sequence[Row]]) -> Iterator[tuple[str, list[DomainEvent]]]:
    """``EventStore.read_fold_rows`` as each stream's domain events.

    The same events ``to_domain`` gives, without decoding metadata or building a
    ``StoredEvent`` per row: this is the inner loop of every rebuild and as-of report.
    """
    days = Days()
    for stream_id, rows in groupby(chain.from_iterable(batches), key=itemgetter(1)):
        yield stream_id, rows_to_domain(rows, days)


def rows_to_domain(rows: Iterable[Row], days: Days | None = None) -> list[DomainEvent]:
    """:data:`~tracker.adapters.eventstore.FOLD_COLUMNS` rows of one stream as its
    domain events (a command folds its stream from these)."""
    loads, days = decode_payload, Days() if days is None else days
    return [
        DomainEvent(r[3], days[r[6]], upcast(r[3], r[4], loads(r[5]))[1], r[2], r[0]) for r in rows
    ]


class Days(dict[str, date]):
    """The day of each ``occurred_at`` text, parsed once: a log's events share a few
    thousand days, and a lookup is a fraction of a parse. A text that does not start
    with a date raises ``ValueError`` (or ``TypeError``) each time it is looked up."""

    def __missing__(self, occurred: str) -> date:
        day = self[occurred] = date.fromisoformat(occurred[:10])
        return day


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
                **status_columns(state),
            }
        ],
        "follow_ups": follow_up_rows(state),
    }


def follow_up_rows(state: CommitmentState) -> list[dict[str, Any]]:
    return [
        {
            "commitment_id": state.id,
            "follow_up_id": f.id,
            "task": f.task,
            "due": f.due.isoformat(),
            "owner": f.owner,
            "done_on": f.done_on.isoformat() if f.done_on else None,
        }
        for f in state.follow_ups.values()
    ]


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


def rows_for_stream(stream_id: str, events: list[DomainEvent]) -> Rows:
    """The projection rows one stream contributes; streams of other kinds contribute none."""
    kind = stream_id.split(":", 1)[0]
    if kind == "commitment":
        state = fold(events)
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


# What folding a stored payload that does not fit the code reading it raises (a
# tampered or hand-made row; DomainError and DueParseError are ValueErrors).
FOLD_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)


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
    streams: Iterable[tuple[str, list[DomainEvent]]],
    on_stream: Callable[[int], None] | None = None,
) -> Iterator[Rows]:
    for stream_id, events in streams:
        yield rows_for_stream(stream_id, events)
        if on_stream:
            on_stream(len(events))


@dataclass(frozen=True)
class Difference:
    table: str
    key: str
    problem: str


def shown(key: tuple[Any, ...]) -> str:
    return "/".join(map(str, key))


class Comparison:
    """Compares freshly derived rows with stored fingerprints, one batch at a time.

    A worker comparing one range of streams (see ``rebuild``) has a copy of every
    fingerprint, and keeps the keys it ``matched`` so that its parent can tell which
    stored rows no range derived.
    """

    def __init__(self, stored: dict[Key, int], *, keep_matched: bool = False) -> None:
        self.stored = stored
        self.differences: list[Difference] = []
        self.matched: list[Key] | None = [] if keep_matched else None
        self.orphans: list[Key] = []  # stored, derived by no stream: known at ``finish``

    def feed(self, rows: Rows) -> Changed:
        """Compare one stream's rows; those missing from the projection or differing."""
        changed: Changed = []
        for name, items in rows.items():
            layout = LAYOUTS[name]
            for row in items:
                values = layout.values(row)
                key = (name, layout.key_of(values))
                have = self.stored.pop(key, None)
                if have is None:
                    self.differences.append(Difference(name, shown(key[1]), _MISSING))
                    changed.append((name, values))
                    continue
                if self.matched is not None:
                    self.matched.append(key)
                if have != digest(values):
                    self.differences.append(Difference(name, shown(key[1]), _DIFFERS))
                    changed.append((name, values))
        return changed

    def forget(self, stream_id: str) -> None:
        """Leave the rows a stream owns out of the comparison."""
        kind, _, ident = stream_id.partition(":")
        tables = OWNED.get(kind, ())
        owned = [k for k in self.stored if k[0] in tables and k[1][0] == ident]
        for key in owned:
            del self.stored[key]
        if self.matched is not None:
            self.matched.extend(owned)

    def absorb(self, differences: list[Difference], matched: list[Key]) -> None:
        """Take in a worker's comparison of one range of streams, in log order."""
        self.differences.extend(differences)
        for key in matched:
            self.stored.pop(key, None)

    def finish(self) -> list[Difference]:
        self.orphans = sorted(self.stored, key=lambda k: (k[0], shown(k[1])))
        for name, key in self.orphans:
            self.differences.append(Difference(name, shown(key), _ORPHAN))
        self.stored = {}
        return self.differences


_MISSING = "missing from the projection"
_DIFFERS = "differs from the log"
_ORPHAN = "in the projection but not in the log"
