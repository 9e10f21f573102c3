"""Alembic, driven from code so that an installed wheel needs no checkout or ini file."""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

    from tracker.adapters.db import Database


def alembic_config(db: Database) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(files("tracker.migrations")))
    # Alembic reads the URL from here through ConfigParser: escape '%' (encoded passwords).
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    cfg.attributes["engine"] = db.engine
    return cfg


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(files("tracker.migrations")))
    return {rev.revision for rev in script.walk_revisions()}


def upgrade(db: Database, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(db), revision)


def downgrade(db: Database, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(db), revision)
