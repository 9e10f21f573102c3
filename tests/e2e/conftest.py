"""The command line end to end, on SQLite.

What these tests check (options parsed and refused, the words and formats printed, exit
statuses, files read and written) is the same on either backend, and the store beneath
is held to one contract on both. So they run once, on SQLite; the tests marked
``@both_backends`` are the PostgreSQL smoke set: representative flows, and whatever the
command line alone guards on PostgreSQL (processes racing each other).
"""

from __future__ import annotations

import pytest


@pytest.fixture
def db_kind() -> str:
    return "sqlite"
