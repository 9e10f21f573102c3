"""The database kinds the suite runs on, for the ``db_kind`` fixture of tests/conftest.py.

Most tests run on each kind. Where the checks do not depend on the backend (the command
line end to end: parsing, wording, formats), a directory's conftest narrows ``db_kind``
to SQLite, and a test that still guards something of PostgreSQL's there (locking
between processes, SQL that differs by dialect, a representative flow) says so with
``@both_backends``.
"""

from __future__ import annotations

import pytest

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

both_backends = pytest.mark.parametrize("db_kind", BACKENDS)
