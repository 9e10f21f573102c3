"""The projection tables as SQL: their statements, and writing, replacing, deleting and
fingerprinting their rows.

What the rows hold is derived in the service layer (``service_layer/projections.py``);
this module only knows the tables. Rows go to the driver with ``executemany`` (see
``Statement``); the SQL is made of the schema's own names, and values always travel as
parameters (hence the S608s).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table

from tracker.adapters import schema
from tracker.adapters.db import Statement, answers, placeholders
from tracker.adapters.eventstore import CHUNK

Rows = dict[str, list[dict[str, Any]]]  # a projection table's name, and rows of it
Changed = list[tuple[str, tuple[Any, ...]]]  # (table, the row's values in table order)
Key = tuple[str, tuple[Any, ...]]  # a projection row's table and key values
Reference = tuple[str, str, str]  # (where it was given, kind, id): an actor, source or commitment

TABLES = {t.name: t for t in schema.PROJECTION_TABLES}
# The projection tables each kind of stream owns.
OWNED = {
    "commitment": ("commitments", "follow_ups"),
    "actor": ("actors",),
    "source": ("sources",),
}
# The table a reference of each kind must name a row of.
REFERENCED = {"actor": "actors", "source": "sources", "commitment": "commitments"}


class TableLayout:
    """A projection table's columns in table order and its key: what a row's values
    and key are, with or without a database."""

    def __init__(self, table: Table) -> None:
        self.columns = [c.name for c in table.columns]
        keys = table.primary_key.columns.keys()
        self.keys = keys
        self.key = keys[0]  # the owner's id: the first key column
        self.key_at = [self.columns.index(k) for k in keys]
        self.one_per_owner = len(keys) == 1

    def values(self, row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple([row[c] for c in self.columns])

    def key_of(self, values: Sequence[Any]) -> tuple[Any, ...]:
        return tuple([values[i] for i in self.key_at])


LAYOUTS = {name: TableLayout(table) for name, table in TABLES.items()}


class _TableSql:
    """A projection table's statements."""

    def __init__(self, table: Table) -> None:
        layout = LAYOUTS[table.name]
        keys = layout.keys
        names = ", ".join(layout.columns)
        self.insert = Statement(
            f"INSERT INTO {table.name} ({names}) VALUES ({placeholders(len(layout.columns))})"  # noqa: S608
        )
        updates = ", ".join(f"{c} = excluded.{c}" for c in layout.columns if c not in keys)
        self.upsert = Statement(
            f"{self.insert.qmark} ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
        )
        self.delete_owned = Statement(f"DELETE FROM {table.name} WHERE {layout.key} = ?")  # noqa: S608
        matching = " AND ".join(f"{k} = ?" for k in keys)
        self.delete_key = Statement(f"DELETE FROM {table.name} WHERE {matching}")  # noqa: S608
        self.select_all = Statement(f"SELECT {names} FROM {table.name}")  # noqa: S608
        self.owners = Statement(
            f"SELECT DISTINCT {layout.key} FROM {table.name} ORDER BY {layout.key}"  # noqa: S608
        )


_SQL = {name: _TableSql(table) for name, table in TABLES.items()}
_EXISTS = {
    kind: Statement(f"SELECT 1 FROM {table} WHERE id = ?")  # noqa: S608
    for kind, table in REFERENCED.items()
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


_STATES = Statement("SELECT state FROM commitments")


def projected(
    conn: Connection, name: str, owners: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """The rows of projection table ``name`` (those of ``owners`` only, if given), in
    the order of their keys."""
    layout, select_all = LAYOUTS[name], _SQL[name].select_all.qmark
    order = f" ORDER BY {', '.join(layout.keys)}"
    if owners is None:
        found = Statement(select_all + order).rows(conn)
    else:
        found = []
        for start in range(0, len(owners), CHUNK):
            chunk = owners[start : start + CHUNK]
            where = f" WHERE {layout.key} IN ({placeholders(len(chunk))})"
            found += Statement(select_all + where).rows(conn, chunk)
        found.sort(key=layout.key_of)
    return [dict(zip(layout.columns, values, strict=True)) for values in found]


def owner_ids(conn: Connection, name: str) -> list[str]:
    """The owners' ids that have rows in projection table ``name``, in order."""
    return [ident for (ident,) in _SQL[name].owners.rows(conn)]


def stored_states(conn: Connection) -> Iterator[str]:
    """The ``state`` column of the commitments projection: each one's state, encoded."""
    for batch in _STATES.batches(conn):
        for (text,) in batch:
            yield text


def insert_rows(conn: Connection, name: str, rows: Iterable[dict[str, Any]]) -> None:
    values = LAYOUTS[name].values
    _SQL[name].insert.executemany(conn, [values(r) for r in rows])


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
    key = LAYOUTS[name].key
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
        sql, layout, items = _SQL[name], LAYOUTS[name], rows.get(name)
        if layout.one_per_owner and items:
            sql.upsert.executemany(conn, [layout.values(r) for r in items])
            continue
        sql.delete_owned.execute(conn, (ident,)).close()
        if items:
            insert_rows(conn, name, items)


def write_changed(conn: Connection, batches: Iterable[Changed], flush_every: int = 5000) -> None:
    """Upsert the rows that differ from what is stored, a few thousand at a time."""
    pending: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}

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


def delete_keys(conn: Connection, keys: Iterable[Key]) -> None:
    """Delete the rows of these (table, key values): those the log no longer derives."""
    by_table: dict[str, list[tuple[Any, ...]]] = {}
    for name, key in keys:
        by_table.setdefault(name, []).append(key)
    for name, found in by_table.items():
        _SQL[name].delete_key.executemany(conn, found)


def digest(values: tuple[Any, ...]) -> int:
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
        key_of = LAYOUTS[name].key_of
        for rows in sql.select_all.batches(conn):
            for values in rows:
                values = tuple(values)
                found[(name, key_of(values))] = digest(values)
    return found
