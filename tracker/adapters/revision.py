"""The schema revision this code reads and writes, apart from the tables so that the
bare-driver status read (:mod:`tracker.adapters.statusread`) can check it without
importing SQLAlchemy.

Changing it means writing a migration: `tracker db upgrade`, the start-up check and the
status read compare it with the database's alembic_version row without importing Alembic.
"""

from __future__ import annotations

SCHEMA_REVISION = "0005"
