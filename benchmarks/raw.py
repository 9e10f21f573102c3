"""The database's own limit: the same rows written and read with the bare DB-API driver.

No validation, no hash chain, no projections, no SQLAlchemy: what W3 and W4 would
cost if tracker did nothing but move the rows, so that their figures can be read as
a fraction of what the machine and the database allow.
"""

from __future__ import annotations

import json
import time
from typing import Any

from benchmarks.backends import Backend

COLUMNS = (
    "position, stream_id, version, type, schema_version, data, meta, occurred_at, "
    "recorded_at, idempotency_key, hash"
)
BATCH = 10_000


def _placeholders(backend: Backend) -> str:
    mark = "?" if backend.name == "sqlite" else "%s"
    return ", ".join([mark] * 11)


def event_rows(backend: Backend, url: str) -> list[tuple[Any, ...]]:
    """Every stored event row of ``url``, in position order."""
    conn = backend.raw_connect(url)
    try:
        return [tuple(r) for r in conn.execute(f"SELECT {COLUMNS} FROM events ORDER BY position")]
    finally:
        conn.close()


def insert_rows(backend: Backend, url: str, rows: list[tuple[Any, ...]]) -> float:
    """Seconds to insert ``rows`` into the (empty, migrated) events table of ``url`` with
    one ``executemany`` in one transaction."""
    conn = backend.raw_connect(url)
    sql = f"INSERT INTO events ({COLUMNS}) VALUES ({_placeholders(backend)})"
    try:
        cur = conn.cursor()
        started = time.perf_counter()
        cur.execute("BEGIN")
        cur.executemany(sql, rows)
        cur.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


def read_and_decode(backend: Backend, url: str) -> tuple[int, float]:
    """(rows, seconds) to read every event in position order and decode its JSON."""
    conn = backend.raw_connect(url)
    loads = json.loads
    count = 0
    try:
        started = time.perf_counter()
        if backend.name == "sqlite":
            cur = conn.cursor()
        else:  # a server-side cursor: streams instead of loading the whole table
            conn.autocommit = False
            cur = conn.cursor(name="raw_read")
        cur.execute(f"SELECT {COLUMNS} FROM events ORDER BY position")
        while rows := cur.fetchmany(BATCH):
            for row in rows:
                loads(row[5])
                loads(row[6])
            count += len(rows)
        seconds = time.perf_counter() - started
        cur.close()
        return count, seconds
    finally:
        conn.close()
