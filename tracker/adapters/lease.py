"""A named lease row that lets one of several schedulers run the jobs.

APScheduler cannot share a job store between processes, so every scheduler keeps its
own timetable and runs a job only while it holds this lease; the others stand by and
take the lease once its holder stops renewing it (it died) or gives it back (it was
stopped). Every change happens inside :meth:`Database.write`, whose global write lock
serialises lease writers on SQLite and PostgreSQL alike, so reading the row and then
taking it is atomic without a compare-and-swap.

Expiry is judged by each process's own UTC clock: clocks of the machines running
schedulers must agree to well within the TTL (NTP does this).
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Row, delete, insert, select, update

from tracker.adapters.db import Database
from tracker.adapters.eventstore import format_ts, parse_ts
from tracker.adapters.schema import scheduler_lease
from tracker.clock import utc_now

LEASE_NAME = "scheduler"
DEFAULT_TTL_S = 30.0
_HOST_MAX = 150  # the holder column is 200 characters wide
_L = scheduler_lease.c


def new_holder_id() -> str:
    """Host and pid say which process holds the lease; the random part tells a restart apart."""
    host = socket.gethostname()[:_HOST_MAX] or "localhost"
    return f"{host}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime

    def live(self, now: datetime | None = None) -> bool:
        return self.expires_at > (now or utc_now())

    def to_dict(self, now: datetime | None = None) -> dict[str, object]:
        return {
            "name": self.name,
            "holder": self.holder,
            "acquired_at": format_ts(self.acquired_at),
            "expires_at": format_ts(self.expires_at),
            "live": self.live(now),
        }


def _row_to_lease(row: Row) -> Lease:
    name, holder, acquired_at, expires_at = row
    return Lease(name, holder, parse_ts(acquired_at), parse_ts(expires_at))


def _read(conn: Connection, name: str) -> Lease | None:
    query = select(_L.name, _L.holder, _L.acquired_at, _L.expires_at).where(_L.name == name)
    row = conn.execute(query).first()
    return _row_to_lease(row) if row else None


def read_lease(db: Database, name: str = LEASE_NAME) -> Lease | None:
    with db.read() as conn:
        return _read(conn, name)


def acquire(
    db: Database,
    holder: str,
    ttl: float = DEFAULT_TTL_S,
    *,
    name: str = LEASE_NAME,
    now: datetime | None = None,
) -> Lease:
    """Take the lease if it is free, expired or already ours (then it is renewed).

    Returns the lease as it stands afterwards: ``lease.holder == holder`` says whether
    the caller holds it; otherwise it says who does and until when.
    """
    with db.write() as conn:
        return take(conn, holder, ttl, name=name, now=now)


def take(
    conn: Connection,
    holder: str,
    ttl: float,
    *,
    name: str = LEASE_NAME,
    now: datetime | None = None,
) -> Lease:
    """:func:`acquire` inside the caller's write transaction.

    The clock is read here, once the write lock is held: read before waiting for the
    lock, a lease granted after a long wait would already have expired when granted,
    and its old holder could take it back while the new one runs jobs.
    """
    now = now or utc_now()
    expires = now + timedelta(seconds=ttl)
    current = _read(conn, name)
    if current is None:
        values = {
            "name": name,
            "holder": holder,
            "acquired_at": format_ts(now),
            "expires_at": format_ts(expires),
        }
        conn.execute(insert(scheduler_lease).values(**values))
        return Lease(name, holder, now, expires)
    if current.holder == holder:
        conn.execute(
            update(scheduler_lease).where(_L.name == name).values(expires_at=format_ts(expires))
        )
        return Lease(name, holder, current.acquired_at, expires)
    if current.live(now):
        return current
    conn.execute(
        update(scheduler_lease)
        .where(_L.name == name)
        .values(holder=holder, acquired_at=format_ts(now), expires_at=format_ts(expires))
    )
    return Lease(name, holder, now, expires)


def renew(
    db: Database,
    holder: str,
    ttl: float = DEFAULT_TTL_S,
    *,
    name: str = LEASE_NAME,
    now: datetime | None = None,
) -> bool:
    """Extend the lease only if the caller still holds it; False means it was taken over.

    An expired lease that nobody took is still ours to extend: no one else can have
    acted on it, since taking it would have changed the holder.
    """
    with db.write() as conn:
        now = now or utc_now()  # under the lock, as in take()
        result = conn.execute(
            update(scheduler_lease)
            .where(_L.name == name, _L.holder == holder)
            .values(expires_at=format_ts(now + timedelta(seconds=ttl)))
        )
        return result.rowcount == 1


def release(db: Database, holder: str, *, name: str = LEASE_NAME) -> bool:
    """Give the lease back so that a standby takes over at once rather than after the TTL."""
    with db.write() as conn:
        return give_back(conn, holder, name=name)


def give_back(conn: Connection, holder: str, *, name: str = LEASE_NAME) -> bool:
    """:func:`release` inside the caller's write transaction."""
    result = conn.execute(delete(scheduler_lease).where(_L.name == name, _L.holder == holder))
    return result.rowcount == 1
