"""Every setting tracker reads from the environment, and the one place secrets are
hidden from messages.

One module, so that every variable's name, default and bounds is found in one place,
and so that a value one reader refuses (the commands, `tracker remind`, `tracker audit`)
another (the scheduler's jobs) does not quietly use. It is a leaf every layer but the
domain may import, so it stays light: the command line builds its options from these
bounds at start-up. Values that need a layer's own knowledge to check (an SMTP URL, the
audit key) are named here and read by their adapter (`adapters/mail.py`,
`adapters/hashing.py`); everything else is read and checked here. It holds settings
only: reading a duration such as a cadence is the scheduler's.

The database's address comes from ``--db``, then ``TRACKER_DB``, then a file in the
user's data directory, so a newcomer needs no configuration at all. Plain paths are
accepted as SQLite files because that is what people type. A setting that is given but
cannot work (blank, not UTF-8, an in-memory SQLite database, a password with a bare
``@``, days out of range) is refused here, before anything is opened, rather than
quietly replaced.

Every message and log line that could hold a password goes through :func:`redact`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

DB_ENV = "TRACKER_DB"
# Mail, read and checked by `adapters/mail.py`'s SmtpSettings.
SMTP_URL_ENV = "TRACKER_SMTP_URL"
MAIL_FROM_ENV = "TRACKER_MAIL_FROM"
SMTP_CA_FILE_ENV = "TRACKER_SMTP_CA_FILE"
# The key of the hash chain, read by `adapters/hashing.py`.
AUDIT_KEY_ENV = "TRACKER_AUDIT_KEY"

WITHIN_ENV = "TRACKER_REMIND_WITHIN_DAYS"
DEFAULT_WITHIN_DAYS = 7
MAX_WITHIN_DAYS = 3650  # ten years ahead; more says nothing and overflows the calendar

STALE_ENV = "TRACKER_STALE_DAYS"
DEFAULT_STALE_DAYS = 90
MAX_STALE_DAYS = 3650  # beyond ten years "stale" means nothing, and far beyond it overflows

# How often the scheduler runs each job unless told otherwise, as durations it reads.
DEFAULT_CADENCES = {"overdue": "1h", "remind": "1d", "audit": "7d"}
CADENCE_ENV = {
    "overdue": "TRACKER_OVERDUE_EVERY",
    "remind": "TRACKER_REMIND_EVERY",
    "audit": "TRACKER_AUDIT_EVERY",
}
# The scheduler's: beyond these a cadence or a lease means nothing, and far beyond
# them the clock's arithmetic overflows (a run "every 99999999999d" is a typo).
LONGEST_CADENCE = timedelta(days=366)
LONGEST_LEASE_TTL_S = 86400.0  # a day
LONGEST_WAIT_S = 86400.0

MASK = "***"
# A server that does not answer is reported after this long rather than the operating
# system's two minutes; a connect_timeout in the URL wins.
PG_CONNECT_TIMEOUT_S = 10
# How long an SQLite connection waits for another writer's lock before it gives up.
SQLITE_BUSY_TIMEOUT_S = 30
_EXAMPLES = "a file path, sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB"

# scheme://user:password@ — the password runs to the *last* '@' of the word, so one
# with an unencoded '@', '/', '?' or '#' is hidden whole, never half shown.
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@]*):(?P<secret>\S*)@")
# password=… as a URL parameter or in a libpq "key=value" connection string.
_PASSWORD_PARAM = re.compile(r"(?i)(?P<head>\bpassword=)(?P<secret>'[^']*'|[^&\s]*)")
# The user information as SQLAlchemy reads it: the password ends at the first '@'.
_SQLALCHEMY_USERINFO = re.compile(r"[^:/]*(?::[^@]*)?@")


class ConfigError(ValueError):
    """A setting the user gave cannot be used."""


def redact(
    text: str, *urls: str | None, secrets: Iterable[str | None] = (), any_url: bool = True
) -> str:
    """``text`` with every password in it replaced by ``***``, safe for messages and logs.

    Hides the password of any ``scheme://user:password@`` and any ``password=`` value
    in ``text`` itself, and every occurrence of the passwords of ``urls`` (as written
    and percent-decoded) and of ``secrets``, since drivers and servers quote them in
    their own ways. This is the only secret-masking helper: database URLs, driver
    errors, SMTP failures and scheduler logs all go through it.

    ``any_url=False`` hides only the passwords of ``urls`` and ``secrets``: for a
    message that shows an example URL (``smtp://user:password@host``) to be copied.
    """
    known = {s for s in secrets if s}
    for url in urls:
        if url:
            for pattern in (_USERINFO, _PASSWORD_PARAM):
                for match in pattern.finditer(url):
                    secret = match["secret"].strip("'")
                    known |= {secret, unquote(secret)} - {"", MASK}
    if any_url:
        text = _USERINFO.sub(rf"\g<head>:{MASK}@", text)
        text = _PASSWORD_PARAM.sub(rf"\g<head>{MASK}", text)
    for secret in sorted(known, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def days_from_env(
    name: str, default: int, low: int, high: int, env: Mapping[str, str] | None = None
) -> int:
    """A number of days from the variable ``name`` (unset or blank: ``default``), which
    must lie from ``low`` to ``high``: far outside, the day arithmetic overflows."""
    raw = (os.environ if env is None else env).get(name, "")
    if not raw.strip():
        return default
    try:
        days = int(raw.strip())
    except ValueError:
        days = None
    if days is None or not low <= days <= high:
        raise ConfigError(f"{name}={raw!r} must be a whole number of days from {low} to {high}")
    return days


def check_within(days: int, name: str = "within_days") -> int:
    """``days`` if it is a usable horizon (0 to ``MAX_WITHIN_DAYS``), else ConfigError."""
    if not 0 <= days <= MAX_WITHIN_DAYS:
        raise ConfigError(
            f"{name}={days} is out of range: give a whole number of days from 0 to "
            f"{MAX_WITHIN_DAYS}"
        )
    return days


def within_days_from_env(env: Mapping[str, str] | None = None) -> int:
    """How far ahead reminders look, from ``$TRACKER_REMIND_WITHIN_DAYS``."""
    return days_from_env(WITHIN_ENV, DEFAULT_WITHIN_DAYS, 0, MAX_WITHIN_DAYS, env)


def stale_days_from_env(env: Mapping[str, str] | None = None) -> int:
    """After how many days without evidence the audit calls an open commitment stale."""
    return days_from_env(STALE_ENV, DEFAULT_STALE_DAYS, 1, MAX_STALE_DAYS, env)


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("tracker", appauthor=False)) / "tracker.db"


def resolve_db_url(given: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The SQLAlchemy URL for ``--db`` (``given``), else ``TRACKER_DB``, else the default.

    A value that is set must be usable: a blank ``TRACKER_DB=`` is an error, not a
    silent fall back to the default file.
    """
    env = os.environ if env is None else env
    if given is not None:
        raw, origin = given, "--db"
    elif env.get(DB_ENV) is not None:
        raw, origin = env[DB_ENV], DB_ENV
    else:
        return "sqlite:///" + str(default_db_path())
    raw = raw.strip()
    if not raw:
        instead = f"unset {DB_ENV}" if origin == DB_ENV else "leave --db out"
        raise ConfigError(
            f"{origin} is empty: give {_EXAMPLES}, or {instead} to use {default_db_path()}"
        )
    if not is_utf8(raw):
        raise ConfigError(
            f"{origin} is not valid UTF-8 ({redact(printable(raw))!r}): tracker needs a "
            "UTF-8 path or URL; rename the file or check the terminal's encoding"
        )
    if "://" not in raw:
        return "sqlite:///" + str(Path(raw).expanduser().resolve())
    scheme, rest = raw.split("://", 1)
    if scheme.lower() == "sqlite":
        return _sqlite_url(rest, origin)
    if scheme.lower() in ("postgres", "postgresql", "postgresql+psycopg"):
        _check_userinfo(raw, rest, origin)
        return f"postgresql+psycopg://{rest}"
    raise ConfigError(f"unsupported database URL scheme {scheme!r}: use {_EXAMPLES}")


def sqlite_path(url: str) -> Path | None:
    """The file of an ``sqlite:///PATH`` URL; None for anything else."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def pg_connect_args(url: str) -> dict[str, Any]:
    """What every PostgreSQL connection is opened with besides its URL."""
    return {} if "connect_timeout=" in url else {"connect_timeout": PG_CONNECT_TIMEOUT_S}


def _sqlite_url(rest: str, origin: str) -> str:
    path, _, query = rest.removeprefix("/").partition("?")
    if not rest or path in ("", ":memory:") or "mode=memory" in query:
        raise ConfigError(
            f"{origin}: sqlite://{rest} is an in-memory database, which would be gone when "
            "the command ends; tracker needs a file: give its path, or sqlite:///PATH"
        )
    if not rest.startswith("/"):
        raise ConfigError(
            f"{origin}: sqlite://{rest} names a host, which SQLite does not have; "
            "write sqlite:///PATH (three slashes) or just the path"
        )
    return f"sqlite:///{rest[1:]}"


def _check_userinfo(raw: str, rest: str, origin: str) -> None:
    """Refuse a bare '@' in the password: SQLAlchemy would end the password there and
    take the rest for the host, connect to the wrong place and quote it in the error."""
    userinfo = _SQLALCHEMY_USERINFO.match(rest)
    after = rest[userinfo.end() :] if userinfo else rest
    if "@" in after.split("?", 1)[0]:
        raise ConfigError(
            f"{origin}: {redact(raw)} has an unencoded '@' in its password or user name: "
            "percent-encode it as %40, e.g. postgresql://USER:p%40ss@HOST/DB"
        )


def is_utf8(text: str) -> bool:
    """False for text holding surrogate escapes: bytes that were not UTF-8 (argv, environ)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """``text`` with each byte that was not UTF-8 shown as ``?``, safe to print."""
    return text.encode("utf-8", "replace").decode("utf-8")
