"""The days and times the tracker accepts: the span kept, the command line's date and
timestamp options, and the jobs' refusal to act as of a time the clock has not reached.

Where the clock matters it is fixed with time-machine.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import click
import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from tracker.cli.params import DATE, TIMESTAMP
from tracker.config import (
    DEFAULT_WITHIN_DAYS,
    MAX_WITHIN_DAYS,
    ConfigError,
    check_within,
    within_days_from_env,
)
from tracker.domain import days
from tracker.service_layer.overdue import FutureNow, refuse_future
from tracker.service_layer.reminders import collect

SPAN = "1900-01-01 to 2999-12-31"
CLOCK = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def converted(param_type: click.ParamType, text: str) -> object:
    return param_type.convert(text, None, None)


# --- the span -------------------------------------------------------------------------


def test_the_span_is_1900_to_2999_and_judged_in_utc() -> None:
    assert (date(1900, 1, 1), date(2999, 12, 31)) == (days.EARLIEST, days.LATEST)
    assert days.SPAN == SPAN
    assert days.in_span(date(1900, 1, 1)) and days.in_span(date(2999, 12, 31))
    assert not days.in_span(date(1899, 12, 31)) and not days.in_span(date(3000, 1, 1))
    plus_one = timezone(timedelta(hours=1))
    assert not days.moment_in_span(datetime(1900, 1, 1, 0, 30, tzinfo=plus_one))
    assert days.moment_in_span(datetime(1900, 1, 1, 1, 0, tzinfo=plus_one))


def test_what_happened_may_be_dated_up_to_tomorrow_and_not_before_1900() -> None:
    today = date(2024, 3, 1)
    assert days.refusal(today, today) is None
    assert days.refusal(date(2024, 3, 2), today) is None  # time zones ahead of UTC
    assert days.refusal(date(1900, 1, 1), today) is None
    assert days.refusal(date(2024, 3, 3), today) == (
        "2024-03-03 is in the future (today is 2024-03-01 in UTC): "
        "record what happened once it has happened"
    )
    assert "0224-03-01 is before 1900-01-01" in str(days.refusal(date(224, 3, 1), today))


# --- the command line's options ---------------------------------------------------------


@pytest.mark.parametrize("text", ["1900-01-01", "2024-02-10", "2999-12-31"])
def test_a_date_option_takes_the_days_in_the_span(text: str) -> None:
    assert converted(DATE, text) == date.fromisoformat(text)


@pytest.mark.parametrize(
    "text", ["0001-01-01", "0224-02-10", "1899-12-31", "3000-01-01", "9999-12-31"]
)
def test_a_date_option_outside_the_span_is_a_usage_error_naming_the_option(text: str) -> None:
    option = click.Option(["--as-of"])
    with pytest.raises(click.BadParameter) as refused:
        DATE.convert(text, option, None)
    message = refused.value.format_message()
    assert "'--as-of'" in message and f"{text} is outside the days kept, {SPAN}" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-25", datetime(2024, 1, 25, 23, 59, 59, 999999, tzinfo=UTC)),  # end of day
        ("2024-01-25T12:00Z", datetime(2024, 1, 25, 12, tzinfo=UTC)),
        ("2024-01-25T12:00", datetime(2024, 1, 25, 12, tzinfo=UTC)),  # naive means UTC
        ("2999-12-31", datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ("1900-01-01T00:00:00+00:00", datetime(1900, 1, 1, tzinfo=UTC)),
    ],
)
def test_a_timestamp_option_takes_the_moments_in_the_span(text: str, expected: datetime) -> None:
    assert converted(TIMESTAMP, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31",  # the end of that day overflowed on the way to UTC
        "9999-12-31T23:00:00-05:00",
        "0001-01-01T00:00:00+05:00",
        "0001-01-01",
        "3000-01-01T00:00Z",
        "2999-12-31T23:00:00-05:00",  # 3000-01-01 in UTC
        "1899-12-31T23:59:59Z",
    ],
)
def test_a_timestamp_outside_the_span_is_a_usage_error_not_an_overflow(text: str) -> None:
    option = click.Option(["--known-at"])
    with pytest.raises(click.BadParameter) as refused:
        TIMESTAMP.convert(text, option, None)
    message = refused.value.format_message()
    assert "'--known-at'" in message and f"is outside the times kept, {SPAN} (UTC)" in message


@given(
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=14))]))
    | st.datetimes(timezones=st.just(timezone(timedelta(hours=-12))))
)
def test_any_iso_timestamp_is_taken_or_refused_cleanly(moment: datetime) -> None:
    """Over Python's whole calendar, with offsets at both extremes: never an overflow."""
    try:
        taken = TIMESTAMP.convert(moment.isoformat(), None, None)
    except click.BadParameter:
        assert not days.EARLIEST_MOMENT <= moment <= days.LATEST_MOMENT
    else:
        assert taken == moment


@given(st.dates())
def test_any_iso_date_is_taken_or_refused_cleanly(day: date) -> None:
    try:
        assert DATE.convert(day.isoformat(), None, None) == day
        moment = TIMESTAMP.convert(day.isoformat(), None, None)
    except click.BadParameter:
        assert not days.in_span(day)
    else:
        assert days.in_span(day) and moment.date() == day


# --- jobs act only as of the clock --------------------------------------------------------


@time_machine.travel(CLOCK, tick=False)
def test_a_job_may_act_as_of_the_clock_a_minute_ahead_or_any_earlier_time() -> None:
    for moment in (CLOCK, CLOCK + timedelta(minutes=1), datetime(2000, 1, 1, tzinfo=UTC)):
        refuse_future(moment, "flag overdue items")
    refuse_future(datetime(2024, 3, 1, 12, 1), "flag overdue items")  # naive means UTC


@time_machine.travel(CLOCK, tick=False)
def test_a_job_refuses_to_act_as_of_a_time_the_clock_has_not_reached() -> None:
    with pytest.raises(FutureNow) as refused:
        refuse_future(CLOCK + timedelta(minutes=1, seconds=1), "send reminders")
    assert str(refused.value) == (
        "cannot send reminders as of 2024-03-01T12:01:01Z: that is later than the clock "
        "(2024-03-01T12:00:00Z), and nothing is recorded ahead of it"
    )
    plus_two = timezone(timedelta(hours=2))
    with pytest.raises(FutureNow, match="as of 2024-03-01T12:30:00Z"):
        refuse_future(datetime(2024, 3, 1, 14, 30, tzinfo=plus_two), "flag overdue items")
    with pytest.raises(FutureNow):
        refuse_future(datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))), "flag")


# --- how far ahead reminders look ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, DEFAULT_WITHIN_DAYS), ("", 7), (" 14 ", 14), ("0", 0), ("3650", 3650)],
)
def test_the_reminder_horizon_comes_from_the_environment(raw: str | None, expected: int) -> None:
    env = {} if raw is None else {"TRACKER_REMIND_WITHIN_DAYS": raw}
    assert within_days_from_env(env) == expected


@pytest.mark.parametrize("raw", ["3651", "99999999999", "-1", "1e9", "seven", "7 days"])
def test_a_horizon_that_is_not_0_to_3650_days_is_a_config_error(raw: str) -> None:
    with pytest.raises(ConfigError, match="TRACKER_REMIND_WITHIN_DAYS") as refused:
        within_days_from_env({"TRACKER_REMIND_WITHIN_DAYS": raw})
    assert f"0 to {MAX_WITHIN_DAYS}" in str(refused.value)


def test_collect_refuses_a_horizon_past_the_calendar_instead_of_overflowing() -> None:
    with pytest.raises(ConfigError, match="within_days=99999999 is out of range"):
        collect([], date(2024, 3, 1), 99999999)
    with pytest.raises(ConfigError):
        check_within(-1)
    assert collect([], date(2999, 12, 31), MAX_WITHIN_DAYS) == []
