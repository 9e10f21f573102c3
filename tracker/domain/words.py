"""Numbers and times as people read them: "1 problem", "12 days late", "2 years 9 months".

Every message, table and digest says counts, spans and times through these, so that
the same thing reads the same everywhere ("1025 d late" and "1 problem(s)" read like
a program's output, not like a sentence). Pure: no clock, no I/O.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

# Spans are told in days up to two months, then in months, then in years and months:
# "45 days" is clearer than "1 month", "9 months" than "274 days".
_DAYS_UP_TO = 60
_DAYS_PER_YEAR = 365
_DAYS_PER_MONTH = 30


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 commitment``, ``3 commitments``; ``many`` for nouns that take more than -s
    (``plural(2, "entry", "entries")``)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def span(days: int) -> str:
    """A number of days in words: "1 day", "45 days", "9 months", "2 years 9 months"."""
    if days < _DAYS_UP_TO:
        return plural(days, "day")
    years, rest = divmod(days, _DAYS_PER_YEAR)
    months = rest // _DAYS_PER_MONTH
    parts = [plural(years, "year")] if years else []
    if months or not years:
        parts.append(plural(months, "month"))
    return " ".join(parts)


def late(days: int | None) -> str:
    """How late something is: "1 day late", "2 years 9 months late"; "" when it is not
    (None or 0 days), so that a cell or a clause can simply be left out."""
    if not days:
        return ""
    return f"{span(days)} late"


def to_second(moment: datetime | str | None) -> str:
    """A moment for people, in UTC to the second: ``2024-01-25T12:00:00Z``. Accepts the
    log's ISO text as well; None gives ""."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def kind_of(value: object) -> str:
    """What a value read from a file is, in words ("a mapping", "a list", "a text"),
    for messages that say what was found instead of what was expected."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"true or false ({str(value).lower()})"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, datetime):
        return "a timestamp"
    if isinstance(value, date):
        return "a date"
    return "a value of another kind"
