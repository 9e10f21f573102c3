"""Alembic environment: the project's metadata, batch mode for SQLite, one writer at a time.

Migrations take the same global write lock as event appends, for the whole upgrade in
one transaction, so two processes that both open a fresh database upgrade it once, one
after the other.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from tracker.adapters.db import ADVISORY_LOCK_KEY, create_db_engine
from tracker.adapters.schema import metadata

config = context.config


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    owned = engine is None
    if owned:
        engine = create_db_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(tracker_write=True)
            # One transaction for the whole upgrade, begun here: Alembic then runs inside
            # it. Left to Alembic, SQLite (no "transactional DDL" to Alembic) gets one
            # transaction per migration, so a second process could read the revision
            # between two of them and run the next migration again.
            with connection.begin():  # BEGIN IMMEDIATE on SQLite: the write lock
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
                    )
                context.configure(
                    connection=connection,
                    target_metadata=metadata,
                    render_as_batch=True,
                    compare_type=True,
                )
                with context.begin_transaction():
                    context.run_migrations()
    finally:
        if owned:
            engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
