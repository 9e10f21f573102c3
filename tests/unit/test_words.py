"""Counts, spans and times in words, as every report and message says them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from tracker.domain.words import kind_of, late, plural, span, to_second


def test_plural_takes_an_s_or_the_given_form() -> None:
    assert plural(1, "problem") == "1 problem"
    assert plural(0, "problem") == "0 problems"
    assert plural(2, "problem") == "2 problems"
    assert plural(2, "entry", "entries") == "2 entries"
    assert plural(1, "entry", "entries") == "1 entry"


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (1, "1 day"),
        (12, "12 days"),
        (59, "59 days"),
        (60, "2 months"),
        (364, "12 months"),
        (365, "1 year"),
        (395, "1 year 1 month"),
        (730, "2 years"),
        (1025, "2 years 9 months"),
        (1034, "2 years 10 months"),
    ],
)
def test_a_span_is_days_then_months_then_years_and_months(days: int, words: str) -> None:
    assert span(days) == words


def test_late_says_how_late_or_nothing() -> None:
    assert late(1) == "1 day late"
    assert late(12) == "12 days late"
    assert late(1025) == "2 years 9 months late"
    assert late(0) == late(None) == ""


def test_times_are_shown_in_utc_to_the_second() -> None:
    moment = datetime(2024, 1, 25, 12, 0, 5, 123456, tzinfo=UTC)
    assert to_second(moment) == "2024-01-25T12:00:05Z"
    assert to_second("2024-01-25T12:00:05.123456+00:00") == "2024-01-25T12:00:05Z"
    assert to_second("2024-01-25T12:00:05Z") == "2024-01-25T12:00:05Z"
    mexico = timezone(timedelta(hours=-6))
    assert to_second(datetime(2024, 1, 25, 6, 0, tzinfo=mexico)) == "2024-01-25T12:00:00Z"
    assert to_second(None) == ""


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({"a": 1}, "a mapping"),
        ([1], "a list"),
        ("x", "a text"),
        (3, "a number"),
        (2.5, "a number"),
        (True, "true or false (true)"),
        (None, "nothing"),
        (date(2024, 1, 1), "a date"),
        (datetime(2024, 1, 1, tzinfo=UTC), "a timestamp"),
    ],
)
def test_a_value_read_from_a_file_is_named_in_words(value: object, words: str) -> None:
    assert kind_of(value) == words


def test_every_event_type_has_words_and_none_of_them_is_a_type_name() -> None:
    from tracker.domain import events as ev

    types = {v for k, v in vars(ev).items() if k.isupper() and isinstance(v, str) and v.isalpha()}
    assert set(ev.PHRASES) == types
    for words in ev.PHRASES.values():
        assert words == words.lower(), words  # words, never "FollowUpScheduled"
    assert ev.phrase("SomethingNew") == "an entry of an unknown kind ('SomethingNew')"
