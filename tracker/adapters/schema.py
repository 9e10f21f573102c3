"""Table definitions shared by the event store, the projections and the migrations.

Timestamps are stored as ISO-8601 text in UTC (``2024-01-19T00:00:00.000000Z``):
identical on SQLite and PostgreSQL, sortable as text, and exactly the bytes the hash
chain covers, so verifying the chain never depends on a driver's datetime handling.
JSON payloads are stored as canonical text for the same reason.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from tracker.adapters.revision import SCHEMA_REVISION as SCHEMA_REVISION

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TS = String(32)  # ISO-8601 UTC timestamp text
DAY = String(10)  # ISO date text

events = Table(
    "events",
    metadata,
    # On SQLite the rowid itself (INTEGER PRIMARY KEY, migration 0005): no second B-tree
    # to write at every append.
    Column(
        "position",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("stream_id", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(100), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("data", Text, nullable=False),
    Column("meta", Text, nullable=False),
    Column("occurred_at", TS, nullable=False),
    Column("recorded_at", TS, nullable=False),
    Column("idempotency_key", String(300), nullable=True, unique=True),
    Column("hash", String(64), nullable=False),
    # Who wrote the event as the database knows them (PostgreSQL's session_user, set by
    # a trigger); NULL on SQLite, which has no users, and on events from before 0002.
    Column("db_user", String(200), nullable=True),
    UniqueConstraint("stream_id", "version"),
)


commitments = Table(
    "commitments",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("title", Text, nullable=False),
    Column("status", String(40), nullable=False),
    Column("made_on", DAY, nullable=True),
    Column("due_start", DAY, nullable=True),
    Column("due_end", DAY, nullable=True),
    Column("due_label", Text, nullable=True),
    Column("owner", String(320), nullable=True),
    Column("last_evidence_on", DAY, nullable=True),
    Column("version", Integer, nullable=False),
    Column("state", Text, nullable=False),
    # The status report's row, pre-encoded, and what judging it on a day needs (see
    # tracker.service_layer.statusrows): `tracker status --format json` reads only these.
    Column("status_row", Text, nullable=False),
    Column("overdue_after", DAY, nullable=True),
    Column("open_follow_ups_due", Text, nullable=False),
)

follow_ups = Table(
    "follow_ups",
    metadata,
    Column("commitment_id", String(200), primary_key=True),
    Column("follow_up_id", String(200), primary_key=True),
    Column("task", Text, nullable=False),
    Column("due", DAY, nullable=False),
    Column("owner", String(320), nullable=True),
    Column("done_on", DAY, nullable=True),
    # Small rows found by their key: on SQLite one B-tree, not a rowid table and a key
    # index (migration 0005).
    sqlite_with_rowid=False,
)

actors = Table(
    "actors",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("member_of", String(200), nullable=True),
    Column("role", Text, nullable=True),
    Column("aliases", Text, nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("publisher", Text, nullable=False),
    Column("title", Text, nullable=True),
    Column("url", Text, nullable=True),
    Column("published", DAY, nullable=True),
    Column("language", String(35), nullable=True),
)

scheduler_lease = Table(
    "scheduler_lease",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("acquired_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
)

job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(100), nullable=False, index=True),
    Column("holder", String(200), nullable=False),
    Column("started_at", TS, nullable=False),
    Column("finished_at", TS, nullable=True),
    Column("outcome", String(20), nullable=False),
    Column("counts", Text, nullable=False),
    Column("error", Text, nullable=True),
)

PROJECTION_TABLES = (commitments, follow_ups, actors, sources)
