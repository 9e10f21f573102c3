"""Inline projections: the read models, written in the same transaction as the events.

Each writer refolds the one stream it touched and replaces that stream's rows, so a
crash can never leave events without their projection or the other way round.
``rebuild`` derives every row again from the log; ``diff`` compares the two, which
is how both ``projections rebuild`` and the audit prove them equal.

Rebuilds and as-of reports fold every stream of the log, so they read stored rows
straight into domain events (:func:`domain_streams`), skipping what folding does not
need, and write rows with the driver's ``executemany`` (see ``Statement``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import chain, groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table

from tracker.adapters import schema
from tracker.adapters.db import Statement, placeholders
from tracker.adapters.eventstore import CHUNK, Row, StoredEvent, decode_payload, upcast
from tracker.adapters.hashing import canonical_json
from tracker.domain.commitment import CommitmentState, fold
from tracker.domain.events import DomainEvent
from tracker.service_layer.statusrows import status_columns

Rows = dict[str, list[dict[str, Any]]]


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
    loads, day = decode_payload, date.fromisoformat
    for stream_id, rows in groupby(chain.from_iterable(batches), key=itemgetter(1)):
        yield (
            stream_id,
            [
                DomainEvent(r[3], day(r[6][:10]), upcast(r[3], r[4], loads(r[5]))[1], r[2], r[0])
                for r in rows
            ],
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


_TABLES = {t.name: t for t in schema.PROJECTION_TABLES}
# The projection tables each kind of stream owns.
OWNED = {
    "commitment": ("commitments", "follow_ups"),
    "actor": ("actors",),
    "source": ("sources",),
}
# What folding a stored payload that does not fit the code reading it raises (a
# tampered or hand-made row; DomainError and DueParseError are ValueErrors).
FOLD_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)


class _TableSql:
    """A projection table's statements, its columns in table order. The SQL is made of
    the schema's own names; values always travel as parameters (hence the S608s)."""

    def __init__(self, table: Table) -> None:
        self.columns = [c.name for c in table.columns]
        keys = table.primary_key.columns.keys()
        self.key = keys[0]  # the owner's id: the first key column
        self.key_at = [self.columns.index(k) for k in keys]
        names = ", ".join(self.columns)
        self.insert = Statement(
            f"INSERT INTO {table.name} ({names}) VALUES ({placeholders(len(self.columns))})"  # noqa: S608
        )
        self.one_per_owner = len(keys) == 1
        updates = ", ".join(f"{c} = excluded.{c}" for c in self.columns if c not in keys)
        self.upsert = Statement(
            f"{self.insert.qmark} ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
        )
        self.delete_owned = Statement(f"DELETE FROM {table.name} WHERE {self.key} = ?")  # noqa: S608
        self.delete_all = Statement(f"DELETE FROM {table.name}")  # noqa: S608
        self.select_all = Statement(f"SELECT {names} FROM {table.name}")  # noqa: S608

    def values(self, row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple([row[c] for c in self.columns])


_SQL = {name: _TableSql(table) for name, table in _TABLES.items()}


Reference = tuple[str, str, str]  # (where it was given, kind, id): an actor, source or commitment
_EXISTS = {
    kind: Statement(f"SELECT 1 FROM {table} WHERE id = ?")  # noqa: S608
    for kind, table in (("actor", "actors"), ("source", "sources"), ("commitment", "commitments"))
}


def send_reference_lookups(
    conn: Connection, refs: Sequence[Reference]
) -> Callable[[], list[Reference]]:
    """Send a lookup of each reference; the function returned lists those that name no
    stored actor, source or commitment, once the answers came back (sent with a
    command's reads, they cost no round trip of their own; see ``Transaction``)."""
    cursors = [_EXISTS[kind].execute(conn, (ident,)) for _, kind, ident in refs]

    def unknown() -> list[Reference]:
        found = [bool(cursor.fetchall()) for cursor in cursors]
        for cursor in cursors:
            cursor.close()
        return [ref for ref, exists in zip(refs, found, strict=True) if not exists]

    return unknown


def insert_rows(conn: Connection, name: str, rows: Iterable[dict[str, Any]]) -> None:
    sql = _SQL[name]
    sql.insert.executemany(conn, [sql.values(r) for r in rows])


def replace_rows(
    conn: Connection, name: str, owners: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    """Delete what ``owners`` have in table ``name`` and insert ``rows``: many at once."""
    for start in range(0, len(owners), CHUNK):
        chunk = owners[start : start + CHUNK]
        _delete_owned_in(name, len(chunk)).execute(conn, chunk).close()
    insert_rows(conn, name, rows)


@lru_cache(maxsize=32)
def _delete_owned_in(name: str, count: int) -> Statement:
    key = _SQL[name].key
    return Statement(f"DELETE FROM {name} WHERE {key} IN ({placeholders(count)})")  # noqa: S608


def write_stream_rows(
    conn: Connection, stream_id: str, rows: Rows, *, unchanged: tuple[str, ...] = ()
) -> None:
    """Replace the rows a stream owns with ``rows``, except in the tables the caller
    knows ``unchanged``. A table with one row per stream is upserted, which leaves
    alone the indexes whose columns kept their values: fewer pages per commit."""
    kind, _, ident = stream_id.partition(":")
    for name in OWNED.get(kind, ()):
        if name in unchanged:
            continue
        sql, items = _SQL[name], rows.get(name)
        if sql.one_per_owner and items:
            sql.upsert.executemany(conn, [sql.values(r) for r in items])
            continue
        sql.delete_owned.execute(conn, (ident,)).close()
        if items:
            insert_rows(conn, name, items)


def replace_stream_rows(conn: Connection, stream_id: str, events: list[StoredEvent]) -> None:
    write_stream_rows(conn, stream_id, rows_for_stream(stream_id, [to_domain(e) for e in events]))


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


def write_rows(conn: Connection, batches: Iterable[Rows], flush_every: int = 2000) -> None:
    pending: Rows = {name: [] for name in _TABLES}

    def flush() -> None:
        for name, rows in pending.items():
            insert_rows(conn, name, rows)
            rows.clear()

    for count, rows in enumerate(batches, start=1):
        for name, items in rows.items():
            pending[name].extend(items)
        if count % flush_every == 0:
            flush()
    flush()


def clear_all(conn: Connection) -> None:
    for table in reversed(schema.PROJECTION_TABLES):
        _SQL[table.name].delete_all.execute(conn).close()


@dataclass(frozen=True)
class Difference:
    table: str
    key: str
    problem: str


def _key(name: str, values: tuple[Any, ...]) -> str:
    return "/".join([str(values[i]) for i in _SQL[name].key_at])


def _digest(values: tuple[Any, ...]) -> bytes:
    # repr is exact for the str, int and None a projection row holds, and cheap.
    return hashlib.blake2b(repr(values).encode(), digest_size=16).digest()


def stored_digests(conn: Connection) -> dict[tuple[str, str], bytes]:
    """A small fingerprint of every projection row: comparing a large projection with
    the log then needs memory for fingerprints, not for two copies of every row."""
    found: dict[tuple[str, str], bytes] = {}
    for name, sql in _SQL.items():
        for rows in sql.select_all.batches(conn):
            for values in rows:
                values = tuple(values)
                found[(name, _key(name, values))] = _digest(values)
    return found


class Comparison:
    """Compares freshly derived rows with stored fingerprints, one batch at a time."""

    def __init__(self, stored: dict[tuple[str, str], bytes]) -> None:
        self.stored = stored
        self.differences: list[Difference] = []

    def feed(self, rows: Rows) -> Rows:
        for name, items in rows.items():
            sql = _SQL[name]
            for row in items:
                values = sql.values(row)
                key = _key(name, values)
                have = self.stored.pop((name, key), None)
                if have is None:
                    self.differences.append(Difference(name, key, "missing from the projection"))
                elif have != _digest(values):
                    self.differences.append(Difference(name, key, "differs from the log"))
        return rows

    def finish(self) -> list[Difference]:
        for name, key in sorted(self.stored):
            self.differences.append(Difference(name, key, "in the projection but not in the log"))
        self.stored = {}
        return self.differences
