"""The stores tests run on: a database of its own per test on a named backend (what the
``db_url`` fixture gives for each of its parameters), and the backends of the store
contract."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tracker.adapters.hashing import Chain
from tracker.service_layer.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Backend:
    """A store the contract runs on."""

    name: str  # "memory", "sqlite" or "postgres"
    open: Callable[[Chain], UnitOfWork]  # a unit of work on the one log, with this chain


@contextmanager
def database_url(request: pytest.FixtureRequest, backend: str) -> Iterator[str]:
    """``"sqlite"``: a copy of the migrated file; ``"postgres"``: a database cloned from
    the migrated template on the session's server, dropped afterwards."""
    if backend == "sqlite":
        yield request.getfixturevalue("sqlite_db_url")
        return
    server = request.getfixturevalue("pg_server")
    name = f"t_{uuid.uuid4().hex}"
    yield server.create_database(name, template=request.getfixturevalue("pg_template"))
    server.drop_database(name)
