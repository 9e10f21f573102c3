"""`tracker db grant`: PostgreSQL roles that may only read, or only read and append.

Roles are created on the real test server, granted, and then used: each connects as
itself and runs real commands, and is refused what it may not do.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from support.cli import Cli

from tracker.adapters import runs
from tracker.adapters.db import Database
from tracker.adapters.lease import acquire
from tracker.clock import utc_now
from tracker.service_layer.app import Tracker


class Cluster:
    """One fresh database with the demo loaded by its owner, and roles to try on it."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.name = f"t_{uuid.uuid4().hex}"
        self.url = server.create_database(self.name)
        self.roles: list[str] = []
        self.owner = Cli(self.url).load_demo()

    def admin(self, statement: str) -> None:
        engine = create_engine(self.server.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(statement))
        finally:
            engine.dispose()

    def role(self, name: str | None = None) -> str:
        role = name or f"r_{uuid.uuid4().hex[:12]}"
        quoted = '"' + role.replace('"', '""') + '"'
        self.admin(f"CREATE ROLE {quoted} LOGIN")
        self.roles.append(quoted)
        return role

    def url_as(self, role: str) -> str:
        return self.url.replace("postgres@", f"{quote(role, safe='')}@", 1)

    def drop(self) -> None:
        self.server.drop_database(self.name)
        for quoted in self.roles:
            self.admin(f"DROP ROLE IF EXISTS {quoted}")


@pytest.fixture
def cluster(pg_server: Any) -> Iterator[Cluster]:
    made = Cluster(pg_server)
    yield made
    made.drop()


def refused(result: Any, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr


def statement_as(url: str, statement: str) -> None:
    db = Database(url)
    try:
        with db.write() as conn:
            conn.execute(text(statement))
    finally:
        db.dispose()


@pytest.mark.postgres
def test_a_writer_appends_and_runs_jobs_but_cannot_change_an_event(cluster: Cluster) -> None:
    writer = cluster.role()
    out = cluster.owner.ok("db", "grant", "--writer", writer).stdout
    assert f"{writer}: writer" in out and "SELECT, INSERT on events" in out

    as_writer = Cli(cluster.url_as(writer))
    as_writer.ok("record", "darien-visit", "note", "seen by the desk")
    as_writer.ok("overdue", "--flag", "--now", "2024-03-01T00:00Z")
    last = as_writer.events()[-1]
    assert last["db_user"] == writer
    assert last["meta"]["recorded_by"]  # the operating-system user, beside it
    db = Database(cluster.url_as(writer))
    try:  # the scheduler's tables: the lease and the run record
        assert acquire(db, "standby-1").holder == "standby-1"
        runs.finish_run(db, runs.start_run(db, "audit", "standby-1", utc_now()), runs.OK, {}, None)
    finally:
        db.dispose()

    for statement in (
        "UPDATE events SET meta = '{}' WHERE position = 1",
        "DELETE FROM events WHERE position = 1",
        "TRUNCATE events",
        "DROP TRIGGER events_append_only ON events",
        "CREATE TABLE mine (id int)",
    ):
        with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
            statement_as(cluster.url_as(writer), statement)
    cluster.owner.ok("audit", "--no-record")


@pytest.mark.postgres
def test_a_reader_reads_and_cannot_write(cluster: Cluster) -> None:
    reader = cluster.role()
    cluster.owner.ok("db", "grant", "--reader", reader)

    as_reader = Cli(cluster.url_as(reader))
    assert "darien-visit" in as_reader.ok("status").stdout
    as_reader.ok("audit", "--no-record")
    result = as_reader("record", "darien-visit", "note", "sneaky")
    assert result.exit_code == 1 and "permission denied" in result.stderr
    for statement in (
        "INSERT INTO actors (id, name, kind, aliases) VALUES ('x', 'x', 'person', '[]')",
        "UPDATE commitments SET title = 'x'",
        "DELETE FROM scheduler_lease",
    ):
        with pytest.raises(DBAPIError, match="permission denied"):
            statement_as(cluster.url_as(reader), statement)


@pytest.mark.postgres
def test_granting_reader_to_a_writer_takes_its_writes_away(cluster: Cluster) -> None:
    role = cluster.role()
    cluster.owner.ok("db", "grant", "--writer", role)
    cluster.owner.ok("db", "grant", "--reader", role)
    result = Cli(cluster.url_as(role))("record", "darien-visit", "note", "x")
    assert result.exit_code == 1 and "permission denied" in result.stderr


@pytest.mark.postgres
def test_a_role_name_is_quoted_not_run(cluster: Cluster) -> None:
    role = cluster.role('Desk"; DROP TABLE events; --')
    cluster.owner.ok("db", "grant", "--reader", role)
    assert "darien-visit" in Cli(cluster.url_as(role)).ok("status").stdout
    tracker = Tracker.open(cluster.url)
    try:
        with tracker.db.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM events")).scalar_one() > 0
    finally:
        tracker.close()


@pytest.mark.postgres
def test_an_unknown_role_is_refused_and_nothing_is_granted(cluster: Cluster) -> None:
    known = cluster.role()
    result = cluster.owner("db", "grant", "--writer", known, "--reader", "nobody_here")
    refused(result, "no role 'nobody_here'", "nothing was granted")
    as_known = Cli(cluster.url_as(known))("status")
    assert as_known.exit_code == 2 and "permission denied" in as_known.stderr, as_known.output


@pytest.mark.parametrize("args", [("--reader", "viewer"), ("--writer", "desk")])
def test_roles_are_refused_on_sqlite(tmp_path: Path, args: tuple[str, str]) -> None:
    path = tmp_path / "tracker.db"
    refused(Cli(f"sqlite:///{path}")("db", "grant", *args), "roles exist only on PostgreSQL")
    assert not path.exists()


def test_grant_needs_a_role(tmp_path: Path) -> None:
    refused(Cli(f"sqlite:///{tmp_path}/t.db")("db", "grant"), "--reader ROLE or --writer ROLE")
