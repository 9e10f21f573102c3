"""The database's own limit: the same rows written and read with the bare DB-API driver.

No validation, no hash chain, no projections, no SQLAlchemy: what W3, W4, W7 and W8
would cost if tracker did nothing but move the rows, so that their figures can be read as
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


def event_rows(backend: Backend, url: str) -> list[tuple[Any, ...]]:
    """Every stored event row of ``url``, in position order."""
    conn = backend.raw_connect(url)
    try:
        return [tuple(r) for r in conn.execute(f"SELECT {COLUMNS} FROM events ORDER BY position")]
    finally:
        conn.close()


def insert_rows(backend: Backend, url: str, rows: list[tuple[Any, ...]]) -> float:
    """Seconds to write ``rows`` into the (empty, migrated) events table of ``url`` in
    one transaction, the fastest way the driver has: one ``executemany`` on SQLite, one
    ``COPY … FROM STDIN`` on PostgreSQL."""
    conn = backend.raw_connect(url)
    try:
        cur = conn.cursor()
        started = time.perf_counter()
        cur.execute("BEGIN")
        if backend.name == "sqlite":
            sql = f"INSERT INTO events ({COLUMNS}) VALUES ({', '.join(['?'] * 11)})"
            cur.executemany(sql, rows)
        else:
            with cur.copy(f"COPY events ({COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
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
