"""The event log is append-only by the database's rule (migration 0002), on SQLite and
PostgreSQL, and each event carries its database user (``session_user``) on PostgreSQL.

Whoever drops the triggers can rewrite rows again; the audit still catches them (see
test_audit.py, whose tampering goes through ``support.tamper``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from support.cli import DEMO, Cli
from support.tamper import tampering

from tracker.adapters.db import Database
from tracker.adapters.eventstore import ANY_VERSION, EventStore, NewEvent, format_ts
from tracker.adapters.hashing import GENESIS, Chain, canonical_row
from tracker.adapters.integrity import verify_chain
from tracker.adapters.migrate import downgrade, upgrade

ON = datetime(2024, 1, 19, tzinfo=UTC)
NOW = "2024-03-01T00:00:00Z"


def append_notes(db: Database, count: int, stream: str = "s") -> None:
    with db.write() as conn:
        events = [NewEvent("NoteAdded", {"n": n}, ON) for n in range(count)]
        EventStore(Chain()).append(conn, stream, ANY_VERSION, events)


def rows(db: Database) -> list[tuple[Any, ...]]:
    with db.read() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT * FROM events ORDER BY position"))]


def chain_ok(db: Database) -> bool:
    with db.read() as conn:
        return verify_chain(EventStore(Chain()), conn).ok


def column_names(db: Database) -> set[str]:
    with db.read() as conn:
        return set(conn.execute(text("SELECT * FROM events")).keys())


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET data = '[]' WHERE position = 2",
        "UPDATE events SET hash = hash",  # even a no-op
        "DELETE FROM events WHERE position = 3",
        "DELETE FROM events",
    ],
)
def test_a_direct_update_or_delete_of_an_event_is_refused(db: Database, statement: str) -> None:
    append_notes(db, 3)
    before = rows(db)
    refused = pytest.raises(DBAPIError, match="the event log is append-only")
    with refused as caught, db.write() as conn:
        conn.execute(text(statement))
    assert statement.split()[0] in str(caught.value.orig)
    assert rows(db) == before


@pytest.mark.postgres
def test_truncate_is_refused_on_postgresql(pg_server: Any) -> None:
    name = "t_truncate"
    database = Database(pg_server.create_database(name))
    try:
        database.ensure_schema()
        append_notes(database, 2)
        refused = pytest.raises(DBAPIError, match="append-only: TRUNCATE on events is refused")
        with refused, database.write() as conn:
            conn.execute(text("TRUNCATE events"))
        assert len(rows(database)) == 2
    finally:
        database.dispose()
        pg_server.drop_database(name)


def test_the_product_itself_never_updates_or_deletes_events(db_url: str) -> None:
    """Every command that writes runs with the triggers in place and the audit passes."""
    tracker = Cli(db_url).load_demo()
    tracker.ok("import", str(DEMO))  # again: nothing new
    tracker.ok("record", "darien-visit", "note", "checked again")
    tracker.ok("projections", "rebuild")
    tracker.ok("overdue", "--flag")
    tracker.ok("audit", "--now", NOW)


def test_events_carry_their_database_user_on_postgresql_only(db_url: str) -> None:
    tracker = Cli(db_url).load_demo()
    users = {e["db_user"] for e in tracker.events()}
    assert users == ({None} if db_url.startswith("sqlite") else {"postgres"})


@pytest.mark.postgres
def test_a_writer_cannot_name_another_database_user(pg_server: Any) -> None:
    name = "t_forged_user"
    database = Database(pg_server.create_database(name))
    try:
        database.ensure_schema()
        append_notes(database, 1)
        refused = pytest.raises(DBAPIError, match="must be the writer's own session_user")
        with refused, database.write() as conn:
            conn.execute(
                text(
                    "INSERT INTO events (position, stream_id, version, type, schema_version, "
                    "data, meta, occurred_at, recorded_at, hash, db_user) VALUES (2, 's', 2, "
                    "'NoteAdded', 1, '{}', '{}', 'x', 'y', :h, 'mallory')"
                ),
                {"h": "0" * 64},
            )
        with database.write() as conn:  # a writer that leaves it out gets its own
            conn.execute(
                text(
                    "INSERT INTO events (position, stream_id, version, type, schema_version, "
                    "data, meta, occurred_at, recorded_at, hash) VALUES (2, 's', 2, "
                    "'NoteAdded', 1, '{}', '{}', 'x', 'y', :h)"
                ),
                {"h": "0" * 64},
            )
        assert [r[-1] for r in rows(database)] == ["postgres", "postgres"]
    finally:
        database.dispose()
        pg_server.drop_database(name)


@pytest.mark.postgres
def test_the_audit_catches_a_changed_database_user(pg_server: Any) -> None:
    name = "t_changed_user"
    url = pg_server.create_database(name)
    database = Database(url)
    try:
        tracker = Cli(url).load_demo()
        with tampering(database) as conn:
            conn.execute(text("UPDATE events SET db_user = 'someone_else' WHERE position = 5"))
        result = tracker("audit", "--format", "json", "--no-record", "--now", NOW)
        assert result.exit_code == 1, result.output
        chain = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "chain")
        assert [f["position"] for f in chain["findings"]] == [5]
    finally:
        database.dispose()
        pg_server.drop_database(name)


def test_rows_without_a_database_user_hash_as_before_0002() -> None:
    """The hash of a row written by 0001 (pinned from that version's code) is unchanged."""
    row = (1, "commitment:x", 1, "CommitmentMade", 1, '{"a":1}', "{}")
    times = ("2024-01-01T00:00:00.000000Z", "2024-01-02T00:00:00.000000Z", "k#0")
    assert Chain().link(GENESIS, canonical_row(*row, *times)) == (
        "64af56a8950eb102cb0e3c5afe2b2f5e773cbae5c4b403d051d5a40acb78de27"
    )
    assert Chain().link(GENESIS, canonical_row(*row, *times, "alice")) != (
        "64af56a8950eb102cb0e3c5afe2b2f5e773cbae5c4b403d051d5a40acb78de27"
    )


def write_as_0001(db: Database, count: int) -> None:
    """Events as tracker wrote them at schema 0001: eleven columns, hashed without a user."""
    previous = GENESIS
    with db.write() as conn:
        for position in range(1, count + 1):
            row = (
                position,
                "s",
                position,
                "NoteAdded",
                1,
                json.dumps({"n": position}),
                '{"recorded_by":"old"}',
                format_ts(ON),
                format_ts(ON),
                f"old#{position}",
            )
            previous = Chain().link(previous, canonical_row(*row))
            conn.execute(
                text(
                    "INSERT INTO events (position, stream_id, version, type, schema_version, "
                    "data, meta, occurred_at, recorded_at, idempotency_key, hash) VALUES "
                    "(:p, :s, :v, :t, :sv, :d, :m, :o, :r, :k, :h)"
                ),
                dict(
                    zip(("p", "s", "v", "t", "sv", "d", "m", "o", "r", "k"), row, strict=True),
                    h=previous,
                ),
            )


@pytest.fixture
def empty(empty_db_url: str) -> Any:
    database = Database(empty_db_url)
    yield database
    database.dispose()


def test_0002_upgrades_a_log_written_at_0001_and_downgrades(empty: Database) -> None:
    upgrade(empty, "0001")
    write_as_0001(empty, 3)
    with empty.write() as conn:  # at 0001 nothing stops a rewrite
        conn.execute(text("UPDATE events SET meta = meta WHERE position = 1"))

    upgrade(empty, "0002")
    assert empty.current_revision() == "0002"
    assert chain_ok(empty)
    append_notes(empty, 2)  # new events chain on from the old ones
    assert chain_ok(empty)
    users = [r[-1] for r in rows(empty)]
    postgres = not empty.is_sqlite
    assert users == [None, None, None] + (["postgres"] * 2 if postgres else [None, None])
    with pytest.raises(DBAPIError, match="append-only"), empty.write() as conn:
        conn.execute(text("UPDATE events SET meta = meta WHERE position = 1"))

    if postgres:  # dropping db_user would break the chain from position 4: refused
        with pytest.raises(RuntimeError, match="2 events record their database user"):
            downgrade(empty, "0001")
        assert empty.current_revision() == "0002"
        return
    downgrade(empty, "0001")
    assert empty.current_revision() == "0001"
    assert "db_user" not in column_names(empty)
    assert len(rows(empty)) == 5
    with empty.write() as conn:
        conn.execute(text("UPDATE events SET meta = meta WHERE position = 1"))
