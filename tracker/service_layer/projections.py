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

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import chain, groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table

from tracker.adapters import schema
from tracker.adapters.db import Statement, answers, placeholders
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
        matching = " AND ".join(f"{k} = ?" for k in keys)
        self.delete_key = Statement(f"DELETE FROM {table.name} WHERE {matching}")  # noqa: S608
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
        found = answers(cursors)
        return [ref for ref, rows in zip(refs, found, strict=True) if not rows]

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


Changed = list[tuple[str, tuple[Any, ...]]]  # (table, the row's values in table order)


def write_changed(conn: Connection, batches: Iterable[Changed], flush_every: int = 5000) -> None:
    """Upsert the rows that differ from what is stored, a few thousand at a time."""
    pending: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _TABLES}

    def flush() -> None:
        for name, values in pending.items():
            _SQL[name].upsert.executemany(conn, values)
            values.clear()

    waiting = 0
    for changed in batches:
        for name, values in changed:
            pending[name].append(values)
        waiting += len(changed)
        if waiting >= flush_every:
            flush()
            waiting = 0
    flush()


def delete_keys(conn: Connection, keys: Iterable[tuple[str, tuple[Any, ...]]]) -> None:
    """Delete the rows of these (table, key values): those the log no longer derives."""
    by_table: dict[str, list[tuple[Any, ...]]] = {}
    for name, key in keys:
        by_table.setdefault(name, []).append(key)
    for name, found in by_table.items():
        _SQL[name].delete_key.executemany(conn, found)


@dataclass(frozen=True)
class Difference:
    table: str
    key: str
    problem: str


Key = tuple[str, tuple[Any, ...]]  # a projection row's table and key values


def _key(name: str, values: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple([values[i] for i in _SQL[name].key_at])


def shown(key: tuple[Any, ...]) -> str:
    return "/".join(map(str, key))


def _digest(values: tuple[Any, ...]) -> int:
    """A row's fingerprint: Python's hash of its values, a keyed 64-bit SipHash of the
    str, int and None a projection row holds, several times cheaper than a
    cryptographic digest of their text. Its key is random per process tree, so
    fingerprints are compared only within one: the workers of a split comparison are
    forked from the process that took the stored ones."""
    return hash(values)


def stored_digests(conn: Connection) -> dict[Key, int]:
    """A small fingerprint of every projection row: comparing a large projection with
    the log then needs memory for fingerprints, not for two copies of every row."""
    found: dict[Key, int] = {}
    for name, sql in _SQL.items():
        for rows in sql.select_all.batches(conn):
            for values in rows:
                values = tuple(values)
                found[(name, _key(name, values))] = _digest(values)
    return found


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
            sql = _SQL[name]
            for row in items:
                values = sql.values(row)
                key = (name, _key(name, values))
                have = self.stored.pop(key, None)
                if have is None:
                    self.differences.append(Difference(name, shown(key[1]), _MISSING))
                    changed.append((name, values))
                    continue
                if self.matched is not None:
                    self.matched.append(key)
                if have != _digest(values):
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
