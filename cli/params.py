"""Click parameter types and options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

import click


class DateType(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date in ISO form (YYYY-MM-DD)", param, ctx)


class TimestampType(click.ParamType):
    """An ISO 8601 timestamp; a bare date means the end of that day in UTC."""

    name = "TIMESTAMP"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            if len(text) == 10:
                return datetime.combine(date.fromisoformat(text), time.max, tzinfo=UTC)
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.fail(
                f"{value!r} is not an ISO 8601 timestamp (2024-01-25T12:00:00+00:00) or date",
                param,
                ctx,
            )
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class StatusType(click.ParamType):
    """One of the eight statuses, spelt with underscores, hyphens or spaces."""

    name = "STATUS"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from tracker.domain.statuses import Status, parse_status

        if isinstance(value, Status):
            return value
        try:
            return parse_status(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DATE = DateType()
TIMESTAMP = TimestampType()
STATUS = StatusType()


def time_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option(
        "--known-at",
        type=TIMESTAMP,
        help="Only what had been recorded by this time: the report as it was given then.",
    )(fn)
    return click.option(
        "--as-of",
        type=DATE,
        help="The world as of this day: events up to it, deadlines judged on it.",
    )(fn)


def clock(value: datetime | None) -> datetime:
    """The time a `--now` option fixed, else the clock (UTC)."""
    return value or datetime.now(UTC)


def today() -> date:
    return datetime.now(UTC).date()
