"""Deadlines as date windows, parsed from the loose phrases news reports use.

Reports rarely give a day ("early February", "a finales de enero"), so a deadline is an
inclusive window of days plus the text it came from. Overdue means past the window's
end: a pledge for "early February" is not late on February 5th.

The parser is a table of forms: each is a regex over a normalised text (accents
stripped, case-folded, commas and dots as spaces, leading filler words such as "by",
"in", "the", "a", "en", "para", "el" dropped) and a function from the match and a year
to the window. Windows:

- a day; a month; early/mid/late of a month = days 1-10, 11-20, 21-end of month
  (English early/beginning/start, mid/middle, late/end; Spanish principios/inicios/
  comienzos, mediados, finales/fines/fin);
- a quarter (Q1, "first quarter", "primer trimestre"); a half (H1, "first half",
  "primer semestre", "primera mitad"); a year;
- early/mid/late of a *year* ("end of 2024", "finales de 2024") = the first quarter,
  the two middle quarters (April-September), the last quarter. Quarters are the unit
  people think of a year in, and "by the end of 2024" still ends on December 31st,
  which is all that overdue depends on.

A form written without a year ("early February", "principios de febrero", "Q3",
"end of the year") needs `relative_to`: it is the first such window ending on or after
that day, normally the day the pledge was made.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tracker.domain import days
from tracker.domain.words import kind_of

EXAMPLES = "; ".join(
    (
        "2024-02-10", "2024-02", "early 2024-02", "2024-Q1", "2024-H1", "2024",
        "early February 2024", "end of January 2024", "Q1 2024", "first half of 2024",
        "February 10, 2024", "principios de febrero de 2024", "finales de enero de 2024",
        "primer trimestre de 2024", "10 de febrero de 2024",
        "{start: 2024-02-01, end: 2024-02-10}",
    )
)  # fmt: skip


_STORED_KEYS = {"start", "end", "label"}


class DueParseError(ValueError):
    """A deadline that cannot be read; the message is meant for the person who wrote it."""


@dataclass(frozen=True)
class DueWindow:
    start: date
    end: date  # inclusive
    label: str  # the text as the user wrote it

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise DueParseError(
                f"deadline {self.label!r}: start {self.start} is after end {self.end}"
            )

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "label": self.label}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DueWindow:
        if d.keys() == _STORED_KEYS and isinstance(d["label"], str):
            # The stored form (to_dict's), read back for every commitment of a report.
            try:
                return cls(date.fromisoformat(d["start"]), date.fromisoformat(d["end"]), d["label"])
            except (TypeError, ValueError):
                pass  # not dates after all: the checks below say what is wrong
        unknown = sorted(str(k) for k in d if k not in ("start", "end", "label"))
        if unknown:
            raise DueParseError(
                f"unknown key(s) {', '.join(unknown)} in deadline window; "
                "use start, end and optionally label"
            )
        missing = [k for k in ("start", "end") if d.get(k) is None]
        if missing:
            raise DueParseError(f"deadline window needs {' and '.join(missing)}: {dict(d)!r}")
        start, end = _iso_day(d["start"], "start"), _iso_day(d["end"], "end")
        label = d.get("label")
        if label is None:
            label = f"{start.isoformat()}/{end.isoformat()}"  # ISO 8601 interval notation
        elif not isinstance(label, str):
            raise DueParseError(f"deadline label must be text, not {label!r}")
        return cls(start, end, label)

    def is_overdue_on(self, day: date) -> bool:
        return day > self.end

    def days_late(self, day: date) -> int:
        return max(0, (day - self.end).days)


def parse_due(value: object, *, relative_to: date | None = None) -> DueWindow | None:
    """Read a `due` value as YAML or JSON hands it over; None means no deadline.

    Only windows inside the days the tracker keeps: a deadline in the year 999 or 9999
    is a typo, and would print as hundreds of thousands of days late.
    """
    window = _parse_due(value, relative_to)
    if window is not None and not (days.in_span(window.start) and days.in_span(window.end)):
        raise DueParseError(f"deadline {window.label!r} is outside the days kept ({days.SPAN})")
    return window


def due_form(window: Mapping[str, Any] | None) -> Any:
    """A deadline as a commitments file writes it: its words if they still mean the
    same window, else the window itself."""
    if window is None:
        return None
    label = window.get("label")
    if label:
        try:
            parsed = parse_due(label)
        except DueParseError:
            parsed = None
        if parsed is not None and parsed.to_dict() == window:
            return label
    return {k: window[k] for k in ("start", "end", "label") if window.get(k)}


def _parse_due(value: object, relative_to: date | None) -> DueWindow | None:
    if value is None:
        return None
    if isinstance(value, datetime):  # a timestamp is a different thing; do not drop its time
        raise DueParseError(f"a deadline is a day or a window, not a timestamp: {value}")
    if isinstance(value, date):
        return DueWindow(value, value, value.isoformat())
    if isinstance(value, int) and not isinstance(value, bool):  # YAML reads 2024 as int
        return _parse_text(str(value), relative_to)
    if isinstance(value, str):
        return _parse_text(value, relative_to)
    if isinstance(value, Mapping):
        return DueWindow.from_dict(value)
    raise DueParseError(
        f"a deadline must be a date, a year, text or a {{start, end}} mapping, "
        f"not {kind_of(value)} ({value!r}); accepted forms include: {EXAMPLES}"
    )


def _iso_day(value: object, field: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise DueParseError(f"deadline window {field} must be a date YYYY-MM-DD, not {value!r}")


# --- vocabulary (accent-free, case-folded) ------------------------------------------

MONTHS: dict[str, int] = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6,
    "july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6,
    "julio": 7, "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10,
    "noviembre": 11, "diciembre": 12,
    "ene": 1, "abr": 4, "ago": 8, "dic": 12,
}  # fmt: skip

PARTS: dict[str, str] = {
    "early": "early", "beginning": "early", "start": "early",
    "principios": "early", "principio": "early", "inicios": "early", "inicio": "early",
    "comienzos": "early", "comienzo": "early",
    "mid": "mid", "middle": "mid", "mediados": "mid",
    "late": "late", "end": "late",
    "finales": "late", "final": "late", "fines": "late", "fin": "late",
}  # fmt: skip

ORDINALS: dict[str, int] = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
    "fourth": 4, "4th": 4, "last": -1,
    "primer": 1, "primero": 1, "primera": 1, "1er": 1, "1o": 1, "1a": 1,
    "segundo": 2, "segunda": 2, "2o": 2, "2a": 2,
    "tercer": 3, "tercero": 3, "3er": 3, "3o": 3, "cuarto": 4, "4o": 4,
    "ultimo": -1, "ultima": -1,
}  # fmt: skip

UNITS: dict[str, str] = {
    "q": "quarter", "quarter": "quarter", "trimestre": "quarter",
    "h": "half", "half": "half", "semestre": "half", "mitad": "half",
}  # fmt: skip

# Days of the month in each third, and months of the year in each part of a year.
_MONTH_THIRDS = {"early": (1, 10), "mid": (11, 20), "late": (21, 31)}
_YEAR_PARTS = {"early": (1, 3), "mid": (4, 9), "late": (10, 12)}
_UNIT_MONTHS = {"quarter": 3, "half": 6}


def _alt(words: Mapping[str, object]) -> str:
    """A regex alternation, longest first so that "middle" is not read as "mid"."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_SEP = r"(?:\s*-\s*|\s+)(?:(?:of|de|del)\s+)?"  # "mid-February", "end of", "enero de"
_YEAR = r"(?P<year>\d{4})"
_MONTH = rf"(?P<month>{_alt(MONTHS)})"
_PART = rf"(?P<part>{_alt(PARTS)})"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_FILLER = re.compile(r"^(?:(?:by|in|on|during|the|a|en|para|durante|el|la)\s+)*")


# --- windows ---------------------------------------------------------------------------

Window = tuple[date, date]


def _months(year: int, first: int, last: int) -> Window:
    return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])


def _month_window(year: int, month: int, part: str | None) -> Window:
    if part is None:
        return _months(year, month, month)
    lo, hi = _MONTH_THIRDS[PARTS[part]]
    return date(year, month, lo), date(year, month, min(hi, calendar.monthrange(year, month)[1]))


def _unit_window(year: int, unit: str, number: int) -> Window:
    kind = UNITS[unit]
    size = _UNIT_MONTHS[kind]
    count = 12 // size
    if number == -1:
        number = count
    if not 1 <= number <= count:
        raise ValueError(f"there is no {kind} {number} (a year has {count})")
    return _months(year, size * (number - 1) + 1, size * number)


def _named_month(m: re.Match[str], year: int) -> Window:
    return _month_window(year, MONTHS[m["month"]], m["part"])


def _iso_month(m: re.Match[str], year: int) -> Window:
    return _month_window(year, int(m["mnum"]), m["part"])


def _named_day(m: re.Match[str], year: int) -> Window:
    day = date(year, MONTHS[m["month"]], int(m["day"]))
    return day, day


def _iso_day_form(m: re.Match[str], year: int) -> Window:
    day = date(year, int(m["mnum"]), int(m["day"]))
    return day, day


def _ordinal_unit(m: re.Match[str], year: int) -> Window:
    return _unit_window(year, m["unit"], ORDINALS[m["ord"]])


def _short_unit(m: re.Match[str], year: int) -> Window:
    return _unit_window(year, m["unit"], int(m["num"]))


def _year_part(m: re.Match[str], year: int) -> Window:
    first, last = _YEAR_PARTS[PARTS[m["part"]]]
    return _months(year, first, last)


def _whole_year(m: re.Match[str], year: int) -> Window:
    return _months(year, 1, 12)


@dataclass(frozen=True)
class _Form:
    pattern: re.Pattern[str]
    window: Callable[[re.Match[str], int], Window]


def _form(regex: str, window: Callable[[re.Match[str], int], Window]) -> _Form:
    return _Form(re.compile(regex), window)


_OPT_PART = rf"(?:{_PART}{_SEP})?"
_OPT_YEAR = rf"(?:{_SEP}{_YEAR})?"
_SHORT_UNIT = r"(?P<unit>q|h)(?P<num>\d)"

FORMS: tuple[_Form, ...] = (
    _form(rf"{_YEAR}-(?P<mnum>\d{{2}})-(?P<day>\d{{2}})", _iso_day_form),  # 2024-02-10
    _form(rf"{_OPT_PART}{_YEAR}-(?P<mnum>\d{{2}})", _iso_month),  # early 2024-02
    _form(rf"{_YEAR}\s*-?\s*{_SHORT_UNIT}", _short_unit),  # 2024-Q1, 2024-H1
    _form(rf"{_SHORT_UNIT}(?:(?:\s*-\s*|\s+){_YEAR})?", _short_unit),  # Q1 2024
    _form(_YEAR, _whole_year),  # 2024
    _form(rf"{_OPT_PART}{_MONTH}{_OPT_YEAR}", _named_month),  # early February 2024
    _form(rf"{_MONTH}\s+{_DAY}{_OPT_YEAR}", _named_day),  # February 10, 2024
    _form(rf"{_DAY}{_SEP}{_MONTH}{_OPT_YEAR}", _named_day),  # 10 de febrero de 2024
    _form(  # first quarter of 2024, segundo semestre de 2024
        rf"(?P<ord>{_alt(ORDINALS)})\s+(?P<unit>{_alt(UNITS)}){_OPT_YEAR}", _ordinal_unit
    ),
    _form(  # end of 2024, finales de 2024, end of the year, fin de año
        rf"{_PART}{_SEP}(?:{_YEAR}|(?:(?:the|this|este)\s+)?(?:year|ano))", _year_part
    ),
)


def _normalise(text: str) -> str:
    folded = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).casefold()
    spaced = " ".join(re.sub(r"[,.]", " ", folded).split())
    return _FILLER.sub("", spaced)


def _parse_text(text: str, relative_to: date | None) -> DueWindow:
    if not text.strip():
        raise DueParseError("empty deadline; write null (or leave it out) for no deadline")
    key = _normalise(text)
    for form in FORMS:
        match = form.pattern.fullmatch(key)
        if match:
            break
    else:
        raise DueParseError(
            f"cannot read the deadline {text!r}; accepted forms include: {EXAMPLES}"
        )
    year = match.groupdict().get("year")
    if year is not None:
        start, end = _build(form, match, int(year), text)
    elif relative_to is None:
        raise DueParseError(f"the deadline {text!r} needs a year, e.g. '{text.strip()} 2024'")
    else:
        start, end = _next_window(form, match, relative_to, text)
    return DueWindow(start, end, text)


def _build(form: _Form, match: re.Match[str], year: int, text: str) -> Window:
    try:
        return form.window(match, year)
    except ValueError as e:
        raise DueParseError(f"the deadline {text!r} is not valid: {e}") from None


def _next_window(form: _Form, match: re.Match[str], relative_to: date, text: str) -> Window:
    """The first window ending on or after `relative_to`; each year's window ends within
    that year, so the answer is this year's or a later one (February 29th: up to 8 on)."""
    error: DueParseError | None = None
    for year in range(relative_to.year, relative_to.year + 9):
        try:
            start, end = _build(form, match, year, text)
        except DueParseError as e:
            error = e
            continue
        if end >= relative_to:
            return start, end
    assert error is not None  # a valid window recurs every year, or at worst every 8
    raise error
