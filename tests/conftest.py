"""Fixtures shared by the whole suite: the same tests run on SQLite and on PostgreSQL.

The PostgreSQL half needs the server binaries; without them it is skipped locally but
fails under CI, so a CI image that lost PostgreSQL cannot pass silently.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.pgserver import PgServer, require_pg_bin, start_postgres

from tracker.adapters.db import Database


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    require_pg_bin()
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/tracker.db"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend; PostgreSQL gets a fresh database per test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/tracker.db"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = f"t_{uuid.uuid4().hex}"
    url = server.create_database(name)
    yield url
    server.drop_database(name)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    database.ensure_schema()
    yield database
    database.dispose()
