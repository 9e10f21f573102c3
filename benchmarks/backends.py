"""Where a workload's databases live: SQLite files in a scratch directory, or fresh
PostgreSQL databases on the server ``--db`` names.

Every workload starts from an empty database of its own, so no run depends on what
an earlier one left behind; the backend removes them all when the run ends.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import uuid
from pathlib import Path
from typing import Any

from benchmarks import es_app

# tracker's own settings (tracker.adapters.db), for the raw baselines to match them.
SQLITE_PRAGMAS = ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL")
EQUAL = "eventsourcing at tracker's durability"
AS_IT_COMES = "eventsourcing as it comes"


class Backend:
    name = ""

    def database(self, label: str) -> str:
        """The URL of a new, empty database."""
        raise NotImplementedError

    def raw_connect(self, url: str) -> Any:
        """A plain DB-API connection to ``url``, in autocommit mode."""
        raise NotImplementedError

    def es_envs(self, url: str) -> dict[str, dict[str, str]]:
        """eventsourcing's settings for a database beside ``url``, by label: always
        ``EQUAL`` (at tracker's durability), and ``AS_IT_COMES`` where that differs."""
        raise NotImplementedError

    def floor_target(self, url: str) -> str:
        """What ``benchmarks/floor.py`` connects to for ``url``."""
        raise NotImplementedError

    def version(self) -> str:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class SQLiteBackend(Backend):
    name = "sqlite"

    def __init__(self, workdir: str | None = None) -> None:
        if workdir:
            Path(workdir).mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix="tracker-bench-", dir=workdir))

    def database(self, label: str) -> str:
        path = self.dir / f"{label}-{uuid.uuid4().hex[:8]}.db"
        return f"sqlite:///{path}"

    @staticmethod
    def path(url: str) -> str:
        return url.split("sqlite:///", 1)[1]

    def raw_connect(self, url: str) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path(url), isolation_level=None)
        for pragma in SQLITE_PRAGMAS:
            conn.execute(pragma)
        return conn

    def es_envs(self, url: str) -> dict[str, dict[str, str]]:
        base = self.path(url)
        return {
            EQUAL: es_app.sqlite_env(f"{base}.es-normal", es_app.SQLITE_NORMAL),
            AS_IT_COMES: es_app.sqlite_env(f"{base}.es-full", es_app.SQLITE_FULL),
        }

    def floor_target(self, url: str) -> str:
        return self.path(url)

    def version(self) -> str:
        return sqlite3.sqlite_version

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class PostgresBackend(Backend):
    """Databases named ``bench_<run>_<label>`` on the server of ``url``, whose role
    must be allowed to create databases."""

    name = "postgresql"

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        self.url = make_url(url).set(drivername="postgresql+psycopg")
        self.run = uuid.uuid4().hex[:8]
        self.created: list[str] = []

    def _admin(self) -> Any:
        import psycopg

        return psycopg.connect(self._conninfo(self.url), autocommit=True)

    @staticmethod
    def _conninfo(url: Any) -> str:
        from sqlalchemy.engine import make_url

        return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    def database(self, label: str) -> str:
        name = f"bench_{self.run}_{label.replace('-', '_')}_{len(self.created)}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.url.set(database=name).render_as_string(hide_password=False)

    def raw_connect(self, url: str) -> Any:
        import psycopg

        return psycopg.connect(self._conninfo(url), autocommit=True)

    def es_envs(self, url: str) -> dict[str, dict[str, str]]:
        """One setting: eventsourcing as it comes commits with the server's
        ``synchronous_commit``, as tracker does, so it is already at equal durability."""
        return {EQUAL: es_app.postgres_env(self.database("es"))}

    def floor_target(self, url: str) -> str:
        return self._conninfo(url)

    def address(self) -> tuple[str, int]:
        return self.url.host or "localhost", self.url.port or 5432

    def through(self, url: str, port: int) -> str:
        """``url`` reached through a local relay listening on ``port``."""
        from sqlalchemy.engine import make_url

        relayed = make_url(url).set(host="127.0.0.1", port=port)
        return relayed.render_as_string(hide_password=False)

    def version(self) -> str:
        with self._admin() as conn:
            return str(conn.execute("SHOW server_version").fetchone()[0])

    def close(self) -> None:
        with self._admin() as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()
