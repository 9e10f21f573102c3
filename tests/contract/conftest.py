"""The store contract's backends: the in-memory log, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.backends import Backend, database_url

from tracker.adapters.db import Database
from tracker.adapters.eventstore import EventStore
from tracker.adapters.hashing import Chain
from tracker.adapters.memory import MemoryLog, MemoryUnitOfWork
from tracker.adapters.sql_unit_of_work import SqlUnitOfWork
from tracker.service_layer.unit_of_work import UnitOfWork


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "memory":
        log = MemoryLog()
        yield Backend("memory", lambda chain: MemoryUnitOfWork(chain, log))
        return
    with database_url(request, request.param) as url:
        database = Database(url)
        yield Backend(request.param, lambda chain: SqlUnitOfWork(database, EventStore(chain)))
        database.dispose()


@pytest.fixture
def uow(backend: Backend) -> UnitOfWork:
    # An explicit unkeyed chain: the suite must not depend on TRACKER_AUDIT_KEY.
    return backend.open(Chain())
