"""PostgreSQL roles for teams: readers that only read, writers that only append.

The triggers of migration 0002 refuse UPDATE and DELETE on ``events`` for everyone,
but the tables' owner can drop them. Teams that give people their own database roles
grant them one of two sets of rights instead of ownership:

- a **reader** may SELECT every tracker table, and nothing else;
- a **writer** may SELECT and INSERT on the log, write the projections and the
  scheduler's lease and run record (the tables a command or a job updates), and use
  the run record's id sequence. Never UPDATE, DELETE or TRUNCATE on ``events``, and
  never DDL, so a writer cannot drop the triggers either.

Granting first revokes everything the role had on tracker's tables, so the role ends
up with exactly the set asked for (a former writer granted ``--reader`` loses INSERT).
Role names are user text: they reach SQL only through the dialect's identifier
quoting, never through string formatting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, Table, text

from tracker.adapters.db import VERSION_TABLE, Database
from tracker.adapters.schema import PROJECTION_TABLES, events, job_runs, metadata, scheduler_lease
from tracker.config import ConfigError

Kind = Literal["reader", "writer"]
_WRITE = "SELECT, INSERT, UPDATE, DELETE"


class RoleError(ConfigError):
    """A role cannot be granted as asked: SQLite, or a role the server does not know."""


@dataclass(frozen=True)
class Grant:
    role: str
    kind: Kind
    privileges: list[tuple[str, str]]  # (privileges, table or sequence)


def _plan(kind: Kind) -> list[tuple[str, str]]:
    """(privileges, table) pairs for ``kind``: the whole of what the role may do."""
    if kind == "reader":
        return [("SELECT", name) for name in (*metadata.tables, VERSION_TABLE)]
    writable: tuple[Table, ...] = (*PROJECTION_TABLES, scheduler_lease, job_runs)
    return [
        ("SELECT", VERSION_TABLE),
        ("SELECT, INSERT", events.name),
        *((_WRITE, table.name) for table in writable),
    ]


def refuse_sqlite(url: str) -> None:
    if url.startswith("sqlite"):
        raise RoleError(
            "roles exist only on PostgreSQL: an SQLite database is one file, guarded by "
            "the file's permissions (tracker creates it readable only by you)"
        )


def grant(db: Database, wanted: list[tuple[str, Kind]]) -> list[Grant]:
    """Give each role exactly the rights of its kind on this database's tracker tables,
    in one transaction: a role the server does not know changes nothing."""
    refuse_sqlite(db.url)
    with db.write() as conn:
        known = conn.execute(
            text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:r)"),
            {"r": [role for role, _ in wanted]},
        ).scalars()
        if missing := sorted({role for role, _ in wanted} - set(known)):
            raise RoleError(
                f"there is no role {', '.join(map(repr, missing))} on {db.where}; nothing "
                "was granted. Create it first: CREATE ROLE name LOGIN PASSWORD '…'"
            )
        return [_grant(conn, role, kind) for role, kind in wanted]


def _grant(conn: Connection, role: str, kind: Kind) -> Grant:
    quote = conn.dialect.identifier_preparer.quote
    who = quote(role)
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    tables = [*metadata.tables, VERSION_TABLE]
    conn.execute(text(f"REVOKE ALL ON {', '.join(map(quote, tables))} FROM {who}"))
    conn.execute(text(f"GRANT USAGE ON SCHEMA {quote(schema)} TO {who}"))
    plan = _plan(kind)
    for privileges, table in plan:
        conn.execute(text(f"GRANT {privileges} ON {quote(table)} TO {who}"))
    sequence = conn.execute(
        text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": quote(job_runs.name)}
    ).scalar_one()
    # The sequence's name comes from the server, already quoted where it needs to be.
    conn.execute(text(f"REVOKE ALL ON SEQUENCE {sequence} FROM {who}"))
    if kind == "writer":
        conn.execute(text(f"GRANT USAGE ON SEQUENCE {sequence} TO {who}"))
        plan.append(("USAGE", sequence))
    return Grant(role, kind, plan)
