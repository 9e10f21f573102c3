"""The test PostgreSQL server itself: the PostgreSQL half of the suite stands on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.pgserver import PgServer, require_pg_bin, start_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def server() -> Iterator[PgServer]:
    require_pg_bin()
    started = start_postgres()
    yield started
    started.stop()


def test_sqlalchemy_connects_as_the_postgres_superuser(server: PgServer) -> None:
    engine = sa.create_engine(server.url())
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_user")).scalar_one() == "postgres"
            assert conn.execute(sa.text("SHOW max_connections")).scalar_one() == "100"
    finally:
        engine.dispose()


def test_create_and_drop_database(server: PgServer) -> None:
    url = server.create_database("tracker_probe")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_database()")).scalar_one() == (
                "tracker_probe"
            )
    finally:
        engine.dispose()

    server.drop_database("tracker_probe")

    admin = sa.create_engine(server.url())
    try:
        with admin.connect() as conn:
            names = conn.execute(sa.text("SELECT datname FROM pg_database")).scalars().all()
    finally:
        admin.dispose()
    assert "tracker_probe" not in names


@pytest.mark.parametrize(
    "name", ["", "1abc", "Mixed", "a-b", "x; DROP DATABASE postgres", "a" * 64]
)
def test_database_names_are_validated(server: PgServer, name: str) -> None:
    with pytest.raises(ValueError, match="invalid database name"):
        server.create_database(name)


def test_server_process_is_not_root(server: PgServer) -> None:
    pid = int((server.datadir / "postmaster.pid").read_text().splitlines()[0])
    assert os.stat(f"/proc/{pid}").st_uid != 0
    assert server.datadir.stat().st_uid != 0


def test_stop_removes_the_directory_and_is_idempotent(server: PgServer, tmp_path: Path) -> None:
    # tmp_path is private to root when running as root: start_postgres must cope.
    second = start_postgres(base=tmp_path)
    assert second.port != server.port
    assert second.datadir.is_dir()

    second.stop()
    second.stop()

    assert not second.tempdir.exists()
