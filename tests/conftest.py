"""Fixtures shared by the whole suite: the same tests run on SQLite and on PostgreSQL.

The PostgreSQL half needs the server binaries; without them it is skipped locally but
fails under CI, so a CI image that lost PostgreSQL cannot pass silently.

A test's database is a copy of one migrated once per session (a file copy on SQLite,
``CREATE DATABASE … TEMPLATE`` on PostgreSQL): migrating costs more than most tests.
Tests of migrating itself, or of what tracker makes of a database it did not make,
ask for ``empty_db_url``.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.backends import database_url
from support.db_kinds import BACKENDS
from support.pgserver import PgServer, require_pg_bin, start_postgres

from tracker.adapters.db import Database


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    require_pg_bin()
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> str:
    """The name of a PostgreSQL database migrated to the head, to clone."""
    name = "t_template"
    _migrate(pg_server.create_database(name))
    return name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the head, to copy."""
    path = tmp_path_factory.mktemp("template") / "tracker.db"
    _migrate(f"sqlite:///{path}")
    return path


def _migrate(url: str) -> None:
    database = Database(url)
    try:
        database.ensure_schema()
    finally:
        database.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/tracker.db"


@pytest.fixture(params=BACKENDS)
def db_kind(request: pytest.FixtureRequest) -> str:
    """The kind of database ``db_url`` and ``empty_db_url`` give: each of them in turn,
    unless a directory's conftest narrows it (tests/e2e) or a test parametrizes it
    (``support.db_kinds.both_backends``)."""
    return str(request.param)


@pytest.fixture
def empty_db_url(request: pytest.FixtureRequest, db_kind: str, tmp_path: Path) -> Iterator[str]:
    """An empty database (on SQLite, no file yet)."""
    if db_kind == "sqlite":
        yield f"sqlite:///{tmp_path}/tracker.db"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = f"t_{uuid.uuid4().hex}"
    yield server.create_database(name)
    server.drop_database(name)


@pytest.fixture
def sqlite_db_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A SQLite database of its own, at the current schema: ``db_url`` on SQLite."""
    path = tmp_path / "tracker.db"
    shutil.copy2(sqlite_template, path)  # keeps its 0600
    return f"sqlite:///{path}"


@pytest.fixture
def db_url(request: pytest.FixtureRequest, db_kind: str) -> Iterator[str]:
    """A database of its own per test, at the current schema."""
    with database_url(request, db_kind) as url:
        yield url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    database.ensure_schema()
    yield database
    database.dispose()
