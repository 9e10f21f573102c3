"""The migrations, on SQLite and PostgreSQL: up, down, up again, and no drift.

The start-up check compares SCHEMA_REVISION with the database's alembic_version row
without importing Alembic, so these tests also pin SCHEMA_REVISION to the scripts' head.
"""

from __future__ import annotations

import socket
import stat
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from support import store_workers
from support.cli import Cli
from support.tamper import tampering

from tracker.adapters.db import Database, DatabaseUnavailable, SchemaError
from tracker.adapters.migrate import downgrade, known_revisions, upgrade
from tracker.adapters.schema import SCHEMA_REVISION, metadata


@pytest.fixture
def empty(empty_db_url: str) -> Iterator[Database]:
    database = Database(empty_db_url)
    yield database
    database.dispose()


def table_names(db: Database) -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_schema_revision_is_the_head_of_the_migration_scripts() -> None:
    script = ScriptDirectory(str(files("tracker.migrations")))
    assert script.get_heads() == [SCHEMA_REVISION]
    assert SCHEMA_REVISION in known_revisions()


def test_upgrade_downgrade_and_upgrade_again(empty: Database) -> None:
    assert empty.current_revision() is None

    upgrade(empty)
    assert empty.current_revision() == SCHEMA_REVISION
    assert table_names(empty) == {*metadata.tables, "alembic_version"}

    downgrade(empty, "base")
    assert table_names(empty) == {"alembic_version"}
    assert empty.current_revision() is None

    upgrade(empty)
    assert empty.current_revision() == SCHEMA_REVISION
    assert table_names(empty) == {*metadata.tables, "alembic_version"}


def test_the_migrations_build_exactly_the_metadata(empty: Database) -> None:
    upgrade(empty)
    with empty.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True}
        )
        assert compare_metadata(context, metadata) == []


def test_ensure_schema_creates_an_empty_database_and_is_then_a_no_op(empty: Database) -> None:
    empty.ensure_schema()
    assert empty.current_revision() == SCHEMA_REVISION
    empty.ensure_schema()
    assert empty.current_revision() == SCHEMA_REVISION


def test_a_database_from_a_newer_tracker_is_refused(db: Database) -> None:
    with db.write() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))

    newer = Database(db.url)
    try:
        with pytest.raises(SchemaError, match="written by a newer tracker") as caught:
            newer.ensure_schema()
    finally:
        newer.dispose()
    assert "'9999'" in str(caught.value)
    assert "Upgrade tracker" in str(caught.value)


def test_a_foreign_database_is_refused_and_left_as_it_was(empty: Database) -> None:
    with empty.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE customers (id INTEGER PRIMARY KEY)"))
    assert empty.current_revision() is None
    with pytest.raises(SchemaError, match="is not a tracker database") as caught:
        empty.ensure_schema()
    assert "(customers)" in str(caught.value)
    assert "no alembic_version table" in str(caught.value)
    assert table_names(empty) == {"customers"}


def test_a_database_versioned_by_another_alembic_project_is_refused(empty: Database) -> None:
    with empty.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('5f2a9c0e1b7d')"))
        conn.execute(sa.text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    with pytest.raises(SchemaError, match="not one of tracker's"):
        empty.ensure_schema()
    assert table_names(empty) == {"alembic_version", "invoices"}


def test_a_server_that_does_not_answer_is_not_an_empty_database() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    unreachable = Database(f"postgresql+psycopg://tracker:s3cret@127.0.0.1:{port}/tracker")
    try:
        for step in (unreachable.current_revision, unreachable.ensure_schema):
            with pytest.raises(DatabaseUnavailable, match="cannot connect") as caught:
                step()
            assert "tracker:***@127.0.0.1" in str(caught.value)
            assert "s3cret" not in str(caught.value)
    finally:
        unreachable.dispose()


def test_a_new_sqlite_file_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "private" / "tracker.db"
    database = Database(f"sqlite:///{path}")
    try:
        database.ensure_schema()
        with database.read() as conn:
            journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    finally:
        database.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert journal == "wal"


@pytest.mark.slow
def test_processes_opening_a_fresh_database_together_upgrade_it_once(empty_db_url: str) -> None:
    processes = 4
    start = store_workers.SPAWN.Barrier(processes)
    revisions = store_workers.run_processes(
        [(store_workers.ensure_schema, (empty_db_url, start)) for _ in range(processes)]
    )
    assert revisions == [SCHEMA_REVISION] * processes


def test_0003_fills_the_status_columns_of_a_database_written_at_0002(db_url: str) -> None:
    """A log and projections as 0002 kept them (0003's columns dropped again): the
    upgrade fills the columns exactly as the projections write them, so the audit
    passes and `status --format json` reads them, giving what it gave before."""
    cli = Cli(db_url).load_demo()
    cli.ok("record", "darien-visit", "due", "2024-03-31", "--note", "moved")
    before = {fmt: cli.ok("status", "--format", fmt).stdout for fmt in ("json", "jsonl")}
    database = Database(db_url)
    try:
        written = _status_columns(database)
        downgrade(database, "0002")
        assert "status_row" not in _commitment_columns(database)
        assert cli.ok("status", "--format", "json").stdout == before["json"]  # upgrades
        assert database.current_revision() == SCHEMA_REVISION
        assert _status_columns(database) == written
    finally:
        database.dispose()
    assert {fmt: cli.ok("status", "--format", fmt).stdout for fmt in before} == before
    cli.ok("audit")


def _commitment_columns(db: Database) -> set[str]:
    return {c["name"] for c in sa.inspect(db.engine).get_columns("commitments")}


def _status_columns(db: Database) -> list[tuple[Any, ...]]:
    query = "SELECT id, status_row, overdue_after, open_follow_ups_due FROM commitments"
    with db.read() as conn:
        return [tuple(r) for r in conn.execute(sa.text(query + " ORDER BY id"))]


def test_an_upgrade_is_one_transaction_under_the_write_lock(tmp_path: Path) -> None:
    """Every migration in one transaction: left to Alembic, SQLite got one per
    migration, and a second process reading the revision between two of them ran the
    next migration again ("duplicate column name")."""
    database = Database(f"sqlite:///{tmp_path / 'tracker.db'}")
    statements: list[str] = []

    @sa.event.listens_for(database.engine, "connect")
    def trace(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.set_trace_callback(statements.append)

    try:
        upgrade(database)  # from nothing, through every migration
    finally:
        database.dispose()
    transactions = [s for s in statements if s.split()[0] in ("BEGIN", "COMMIT", "ROLLBACK")]
    assert transactions == ["BEGIN IMMEDIATE", "COMMIT"]


def test_0004_drops_the_unused_indexes_of_a_database_written_at_0003(db_url: str) -> None:
    """A log written at 0003 (0004 undone, its indexes back): the upgrade drops them and
    keeps every row, and commands, the audit and the reports work on as before."""
    cli = Cli(db_url).load_demo()
    database = Database(db_url)
    try:
        downgrade(database, "0003")
        assert _indexes(database) >= set(_DROPPED_IN_0004)
        cli.ok("record", "darien-visit", "due", "2024-03-31", "--note", "at 0003")
        before = _rows(database), cli.ok("status", "--format", "json").stdout
        upgrade(database)
        assert database.current_revision() == SCHEMA_REVISION
        assert not _indexes(database) & set(_DROPPED_IN_0004)
        assert (_rows(database), cli.ok("status", "--format", "json").stdout) == before
    finally:
        database.dispose()
    cli.ok("record", "darien-visit", "due", "2024-04-30", "--note", "at 0004")
    cli.ok("audit")


_DROPPED_IN_0004 = (
    "ix_events_recorded_at",
    "ix_commitments_status",
    "ix_commitments_due_end",
    "ix_follow_ups_due",
)


def test_0005_makes_the_position_the_rowid_of_a_database_written_at_0004(db_url: str) -> None:
    """A log written at 0004: on SQLite the upgrade copies events (position now the
    rowid) and follow_ups (now without a rowid), every row and the append-only
    triggers with them; PostgreSQL is left as it was. The audit passes after it."""
    cli = Cli(db_url).load_demo()
    database = Database(db_url)
    try:
        downgrade(database, "0004")
        cli.ok("record", "darien-visit", "due", "2024-03-31", "--note", "at 0004")
        before = _rows(database), cli.ok("status", "--format", "json").stdout
        upgrade(database)
        assert database.current_revision() == SCHEMA_REVISION
        assert (_rows(database), cli.ok("status", "--format", "json").stdout) == before
        if database.is_sqlite:
            with database.read() as conn:
                tables = dict(conn.execute(sa.text(_TABLE_SQL)).all())
            assert "position INTEGER NOT NULL" in tables["events"]
            assert tables["follow_ups"].endswith("WITHOUT ROWID")
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), database.write() as conn:
            conn.execute(sa.text("DELETE FROM events"))
    finally:
        database.dispose()
    cli.ok("record", "darien-visit", "due", "2024-04-30", "--note", "at 0005")
    cli.ok("audit")


def test_0005_refuses_a_sqlite_log_holding_a_position_that_is_not_a_number(
    db_url: str,
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("only SQLite stores text in a BIGINT column")
    Cli(db_url).load_demo()
    database = Database(db_url)
    try:
        downgrade(database, "0004")
        with tampering(database) as conn:
            conn.execute(sa.text("UPDATE events SET position = 'forty' WHERE position = 4"))
        with pytest.raises(RuntimeError, match=r"not a whole number \('forty'\)"):
            upgrade(database)
        assert database.current_revision() == "0004"
    finally:
        database.dispose()


_TABLE_SQL = "SELECT name, sql FROM sqlite_master WHERE name IN ('events', 'follow_ups')"


def _indexes(db: Database) -> set[str]:
    inspector = sa.inspect(db.engine)
    return {
        str(index["name"])
        for table in ("events", "commitments", "follow_ups")
        for index in inspector.get_indexes(table)
    }


def _rows(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    with db.read() as conn:
        return {
            table: [tuple(r) for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1, 2"))]
            for table in ("events", "commitments", "follow_ups")
        }
