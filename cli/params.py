"""Click parameter types and options shared by several commands."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

import click

from tracker.clock import utc_now


class DateType(click.ParamType):
    """An ISO 8601 day within the span the tracker keeps (1900-01-01 to 2999-12-31)."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        from tracker.domain import days

        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            day = value
        else:
            try:
                day = date.fromisoformat(str(value).strip())
            except ValueError:
                self.fail(f"{value!r} is not a date in ISO form (YYYY-MM-DD)", param, ctx)
        if not days.in_span(day):
            self.fail(f"{day.isoformat()} is outside the days kept, {days.SPAN}", param, ctx)
        return day


class TimestampType(click.ParamType):
    """An ISO 8601 timestamp; a bare date means the end of that day in UTC.

    Both must fall within the span the tracker keeps, judged in UTC: at the ends of
    Python's calendar a moment cannot even be turned into UTC.
    """

    name = "TIMESTAMP"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        from tracker.domain import days

        if isinstance(value, datetime):
            moment = value
        else:
            moment = self._parse(str(value).strip(), value, param, ctx)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            inside = days.moment_in_span(moment)
        except OverflowError:  # aware comparisons go through UTC
            inside = False
        if not inside:
            self.fail(f"{value!r} is outside the times kept, {days.SPAN} (UTC)", param, ctx)
        return moment

    def _parse(
        self, text: str, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        try:
            return datetime.combine(date.fromisoformat(text), time.max, tzinfo=UTC)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.fail(
                f"{value!r} is not an ISO 8601 timestamp (2024-01-25T12:00:00+00:00) or date",
                param,
                ctx,
            )


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


class FiniteRange(click.FloatRange):
    """A bounded number of seconds: ``FloatRange`` lets ``nan`` through (it compares
    false with either bound), so it is refused here by name."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            within = self._describe_range()
            self.fail(f"{value!r} is not a number: give one in the range {within}", param, ctx)
        return number


class JobsType(click.ParamType):
    """A number of worker processes: a whole number from 1 to :data:`MAX_JOBS`."""

    name = "N"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            number = value if type(value) is int else int(str(value).strip())
        except ValueError:
            number = 0
        if not 1 <= number <= MAX_JOBS:
            self.fail(f"{value!r} is not a number of worker processes: {_JOBS}", param, ctx)
        return number


MAX_JOBS = 1024
_JOBS = f"give a whole number from 1 to {MAX_JOBS} (1 reads the log in one pass)"
DATE = DateType()
TIMESTAMP = TimestampType()
JOBS = JobsType()
STATUS = StatusType()
# The largest integer both databases store (BIGINT, SQLite's INTEGER): positions, counts.
BIGINT_MAX = 2**63 - 1
POSITION = click.IntRange(0, BIGINT_MAX)
# Entry numbers (a stream's versions), stored as 32-bit INTEGER.
ENTRY = click.IntRange(1, 2**31 - 1)
VERSION = click.IntRange(0, 2**31 - 1)


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


def jobs_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--jobs",
        type=JOBS,
        help="Worker processes to split a long log between, each reading one range of it "
        "(default: the number of cores; 1: one pass in this process). The outcome is "
        "the same whatever the number.",
    )(fn)


def jobs_count(value: int | None) -> int:
    """The ``--jobs`` given, else one worker per core."""
    from tracker.service_layer.operations import default_jobs

    return value if value is not None else default_jobs()


def clock(value: datetime | None) -> datetime:
    """The time a `--now` option fixed, else the clock (UTC)."""
    return value or utc_now()


def acting_clock(now: datetime | None, what: str, look_ahead: str) -> datetime:
    """The clock, or a `--now` that is not ahead of it: for a run that records or sends.

    A usage error (exit 2) names the option; ``look_ahead`` says how to look ahead
    without recording anything.
    """
    from tracker.service_layer.overdue import FutureNow, refuse_future

    if now is None:
        return clock(None)
    try:
        refuse_future(now, what)
    except FutureNow as exc:
        raise click.BadParameter(
            f"{exc}. A bare date means the end of that day; leave --now out to use the "
            f"clock, or {look_ahead}",
            param_hint="'--now'",
        ) from None
    return now


def resolve_id(app: Any, wanted: str, what: str = "commitment", *, unknown_ok: bool = False) -> str:
    """The stored id ``wanted`` stands for (exact, or a unique prefix); an unknown or
    ambiguous one is a usage error naming the candidates, through ``handle_errors``.

    ``unknown_ok``: an id with nothing close to it comes back as it is, for a command
    whose own refusal says more (recording on a commitment not made yet).
    """
    from tracker.service_layer.lookup import UnknownId
    from tracker.service_layer.lookup import resolve_id as lookup

    try:
        return lookup(app.tracker, wanted, what)
    except UnknownId as exc:
        if unknown_ok and not exc.candidates:
            return wanted
        raise


def empty_hint(app: Any, rows: list[Any]) -> str | None:
    """How to start, for a listing with no rows, when the database holds no commitment
    at all (an empty answer to a filter needs no such hint)."""
    from tracker.service_layer.lookup import known_ids

    from .output import EMPTY_HINT

    return EMPTY_HINT if not rows and not known_ids(app.tracker) else None
