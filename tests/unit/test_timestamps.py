"""The log's timestamp text: it must parse back and sort as time does, for every year."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from tracker.adapters.eventstore import format_ts, parse_ts

moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)


@given(moments)
def test_a_timestamp_parses_back_to_the_same_moment(moment: datetime) -> None:
    assert parse_ts(format_ts(moment)) == moment


@given(moments, moments)
def test_timestamps_sort_as_time_does(a: datetime, b: datetime) -> None:
    assert (format_ts(a) < format_ts(b)) == (a < b)


def test_years_before_1000_keep_four_digits_and_offsets_become_utc() -> None:
    assert format_ts(datetime(500, 1, 2, 3, 4, 5, tzinfo=UTC)) == "0500-01-02T03:04:05.000000Z"
    plus_two = timezone(timedelta(hours=2))
    assert format_ts(datetime(2024, 1, 2, 3, 0, tzinfo=plus_two)) == "2024-01-02T01:00:00.000000Z"
