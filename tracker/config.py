"""Where the database lives and how its address is shown.

The address comes from ``--db``, then ``TRACKER_DB``, then a file in the user's data
directory, so a newcomer needs no configuration at all. Plain paths are accepted
as SQLite files because that is what people type.
"""

from __future__ import annotations

import os
from pathlib import Path

DB_ENV = "TRACKER_DB"


class ConfigError(ValueError):
    """A setting the user gave cannot be used."""


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("tracker", appauthor=False)) / "tracker.db"


def resolve_db_url(given: str | None = None, env: dict[str, str] | None = None) -> str:
    env = dict(os.environ) if env is None else env
    raw = given or env.get(DB_ENV) or str(default_db_path())
    if "://" not in raw:
        return "sqlite:///" + str(Path(raw).expanduser().resolve())
    scheme, rest = raw.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    if scheme in ("sqlite", "postgresql+psycopg"):
        return raw
    raise ConfigError(
        f"unsupported database URL scheme {scheme!r}: use a file path, sqlite:///PATH "
        "or postgresql://USER@HOST/DB"
    )


def mask_url(url: str) -> str:
    """The URL with any password replaced, safe for messages and logs."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, _, host = rest.rpartition("@")
    if ":" in creds:
        creds = creds.split(":", 1)[0] + ":***"
    return f"{scheme}://{creds}@{host}"
