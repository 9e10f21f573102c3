"""The application object the commands share, and how errors reach the user.

A user's mistake (bad data, unknown id, a rule the domain refuses) is a one-line
message and exit status 2, never a traceback; the database is opened lazily so that
``--help`` never touches it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import update_wrapper
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from tracker.service_layer.app import Tracker

EXIT_PROBLEMS = 1
EXIT_USAGE = 2


@dataclass
class AppContext:
    db_option: str | None
    _tracker: Tracker | None = field(default=None, repr=False)

    @property
    def tracker(self) -> Tracker:
        if self._tracker is None:
            from tracker.service_layer.app import Tracker

            self._tracker = Tracker.open(self.db_option)
        return self._tracker

    def close(self) -> None:
        if self._tracker is not None:
            self._tracker.close()


pass_app = click.make_pass_decorator(AppContext)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)


def _user_errors() -> tuple[type[BaseException], ...]:
    from tracker.adapters.db import DatabaseUnavailable, SchemaError
    from tracker.adapters.integrity import DigestError
    from tracker.config import ConfigError
    from tracker.domain.commitment import DomainError
    from tracker.domain.deadlines import DueParseError
    from tracker.domain.names import AmbiguousName
    from tracker.service_layer.queries import QueryError

    return (
        SchemaError,
        DatabaseUnavailable,
        ConfigError,
        DomainError,
        DueParseError,
        QueryError,
        AmbiguousName,
        DigestError,
    )


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the library's exceptions into messages and exit statuses.

    The library's exception classes are imported only once something was raised: a
    command that ends well (`status` from the stored rows) never loads SQLAlchemy.
    """

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            _exit_for(exc)
            raise

    return update_wrapper(wrapper, fn)


def _exit_for(exc: Exception) -> None:
    """Exit with the message and status for one of the library's exceptions; return
    for any other, which the caller raises again."""
    from sqlalchemy.exc import DBAPIError

    from tracker.adapters.eventstore import ConcurrencyConflict
    from tracker.adapters.sql_unit_of_work import BusyError
    from tracker.service_layer.fileformat.document import DataError
    from tracker.service_layer.rebuild import DamagedLog

    if isinstance(exc, DataError):
        click.echo(str(exc), err=True)
        raise SystemExit(EXIT_USAGE) from None
    if isinstance(exc, ConcurrencyConflict | BusyError | DamagedLog):
        fail(str(exc), EXIT_PROBLEMS)
    if isinstance(exc, DBAPIError):
        fail(_database_error(exc), EXIT_PROBLEMS)
    if isinstance(exc, _user_errors()):
        fail(str(exc))


def _database_error(exc: BaseException) -> str:
    """A driver's error on an open database, naming it, with its password masked."""
    from tracker.config import ConfigError, redact, resolve_db_url

    ctx = click.get_current_context(silent=True)
    app = ctx.find_object(AppContext) if ctx else None
    url = None
    database = app._tracker.database if app is not None and app._tracker is not None else None
    if database is not None:
        url = database.url
    elif app is not None:
        try:
            url = resolve_db_url(app.db_option)
        except ConfigError:
            url = None
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    reason = lines[0] if lines else type(exc).__name__
    where = f" on {redact(url)}" if url else ""
    return redact(f"database error{where}: {reason}", url)
