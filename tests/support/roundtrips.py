"""Counting a PostgreSQL client's round trips, from libpq's own protocol trace.

A round trip is a wait: the client has sent messages and now reads the server's
answer. In libpq's trace (``PQtrace``) that is a turn from a frontend line (``F``) to
a backend line (``B``); batching statements in a pipeline shows as many ``F`` lines
and one turn. Counted per checkout of a pooled connection, from the moment the pool
hands it out (before any ping) to its return (after any reset).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from psycopg import pq
from sqlalchemy import Engine, event


def turns(trace: str) -> int:
    """How many times the trace turns from the client sending to it receiving."""
    count, previous = 0, ""
    for line in trace.splitlines():
        direction = line.split("\t", 1)[0]
        if direction == "B" and previous == "F":
            count += 1
        if direction in ("F", "B"):
            previous = direction
    return count


class RoundTrips:
    """The round trips of each checkout while :func:`counting` is active."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.per_checkout: list[int] = []  # of the connections returned to the pool
        self.checkouts = 0  # with those invalidated, never returned
        self._traces: dict[int, IO[str]] = {}

    def start(self, dbapi_conn: Any) -> None:
        self.checkouts += 1
        # libpq writes through this very descriptor (psycopg fdopen()s it, without a
        # dup): it stays open until the trace stops, when libpq has flushed it.
        file = (self.folder / f"trace-{self.checkouts}.txt").open("w+")
        dbapi_conn.pgconn.trace(file.fileno())
        dbapi_conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        self._traces[id(dbapi_conn)] = file

    def stop(self, dbapi_conn: Any) -> None:
        file = self._traces.pop(id(dbapi_conn), None)
        if file is None:
            return
        dbapi_conn.pgconn.untrace()
        with file:
            file.seek(0)
            self.per_checkout.append(turns(file.read()))


@contextmanager
def counting(engine: Engine) -> Iterator[RoundTrips]:
    """Trace every connection ``engine`` hands out until the block ends.

    The checkout listener goes first (``insert=True``), so a ping made by another
    checkout listener is counted; the checkin listener runs after the pool's reset.
    """
    with tempfile.TemporaryDirectory(prefix="roundtrips-") as folder:
        counter = RoundTrips(Path(folder))

        def on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
            counter.start(dbapi_conn)

        def on_checkin(dbapi_conn: Any, _record: Any) -> None:
            if dbapi_conn is not None:
                counter.stop(dbapi_conn)

        event.listen(engine, "checkout", on_checkout, insert=True)
        event.listen(engine, "checkin", on_checkin)
        try:
            yield counter
        finally:
            event.remove(engine, "checkout", on_checkout)
            event.remove(engine, "checkin", on_checkin)
            for file in counter._traces.values():
                file.close()
