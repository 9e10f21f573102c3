import calendar
import itertools
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain import days
from tracker.domain.deadlines import DueParseError, DueWindow, parse_due


def d(text: str) -> date:
    return date.fromisoformat(text)


def window(value: object, **kwargs: object) -> tuple[str, str]:
    w = parse_due(value, **kwargs)  # type: ignore[arg-type]
    assert w is not None
    return w.start.isoformat(), w.end.isoformat()


FORMS = [
    # ISO-like forms
    ("2024-02-10", "2024-02-10", "2024-02-10"),
    ("2024-02", "2024-02-01", "2024-02-29"),
    ("early 2024-02", "2024-02-01", "2024-02-10"),
    ("mid 2024-02", "2024-02-11", "2024-02-20"),
    ("late 2024-02", "2024-02-21", "2024-02-29"),  # leap year
    ("late 2023-02", "2023-02-21", "2023-02-28"),
    ("late 2024-04", "2024-04-21", "2024-04-30"),
    ("2024-Q1", "2024-01-01", "2024-03-31"),
    ("2024-q4", "2024-10-01", "2024-12-31"),
    ("2024-H1", "2024-01-01", "2024-06-30"),
    ("2024-H2", "2024-07-01", "2024-12-31"),
    ("2024", "2024-01-01", "2024-12-31"),
    # English words
    ("February 2024", "2024-02-01", "2024-02-29"),
    ("in January 2024", "2024-01-01", "2024-01-31"),
    ("early February 2024", "2024-02-01", "2024-02-10"),
    ("beginning of February 2024", "2024-02-01", "2024-02-10"),
    ("mid February 2024", "2024-02-11", "2024-02-20"),
    ("mid-February 2024", "2024-02-11", "2024-02-20"),
    ("middle of February 2024", "2024-02-11", "2024-02-20"),
    ("late February 2024", "2024-02-21", "2024-02-29"),
    ("end of January 2024", "2024-01-21", "2024-01-31"),
    ("by the end of January 2024", "2024-01-21", "2024-01-31"),
    ("Q1 2024", "2024-01-01", "2024-03-31"),
    ("first quarter of 2024", "2024-01-01", "2024-03-31"),
    ("in the third quarter of 2024", "2024-07-01", "2024-09-30"),
    ("first half of 2024", "2024-01-01", "2024-06-30"),
    ("H1 2024", "2024-01-01", "2024-06-30"),
    ("second half of 2024", "2024-07-01", "2024-12-31"),
    ("by February 10, 2024", "2024-02-10", "2024-02-10"),
    ("February 10, 2024", "2024-02-10", "2024-02-10"),
    ("February 10th 2024", "2024-02-10", "2024-02-10"),
    ("10 February 2024", "2024-02-10", "2024-02-10"),
    ("end of 2024", "2024-10-01", "2024-12-31"),
    ("early 2024", "2024-01-01", "2024-03-31"),
    ("mid-2024", "2024-04-01", "2024-09-30"),
    ("Feb 2024", "2024-02-01", "2024-02-29"),
    ("Sept. 2024", "2024-09-01", "2024-09-30"),
    ("late Dec 2024", "2024-12-21", "2024-12-31"),
    # Spanish
    ("febrero de 2024", "2024-02-01", "2024-02-29"),
    ("en enero de 2024", "2024-01-01", "2024-01-31"),
    ("principios de febrero de 2024", "2024-02-01", "2024-02-10"),
    ("a principios de febrero de 2024", "2024-02-01", "2024-02-10"),
    ("inicios de febrero de 2024", "2024-02-01", "2024-02-10"),
    ("mediados de febrero de 2024", "2024-02-11", "2024-02-20"),
    ("finales de enero de 2024", "2024-01-21", "2024-01-31"),
    ("fines de enero de 2024", "2024-01-21", "2024-01-31"),
    ("a fines de enero de 2024", "2024-01-21", "2024-01-31"),
    ("primer trimestre de 2024", "2024-01-01", "2024-03-31"),
    ("cuarto trimestre de 2024", "2024-10-01", "2024-12-31"),
    ("primer semestre de 2024", "2024-01-01", "2024-06-30"),
    ("segundo semestre de 2024", "2024-07-01", "2024-12-31"),
    ("10 de febrero de 2024", "2024-02-10", "2024-02-10"),
    ("el 10 de febrero de 2024", "2024-02-10", "2024-02-10"),
    ("finales de 2024", "2024-10-01", "2024-12-31"),
    ("finales del 2024", "2024-10-01", "2024-12-31"),
    ("septiembre de 2024", "2024-09-01", "2024-09-30"),
]


@pytest.mark.parametrize(("text", "start", "end"), FORMS)
def test_forms(text: str, start: str, end: str) -> None:
    w = parse_due(text)
    assert w == DueWindow(d(start), d(end), text)


@pytest.mark.parametrize(
    "text",
    [
        "EARLY FEBRUARY 2024",
        "  early   february\t2024 ",
        "Principios de Febrero de 2024",
        "PRINCIPIOS DE FEBRERO DE 2024",
        "principios   de febrero de 2024",
    ],
)
def test_case_and_whitespace_insensitive_label_verbatim(text: str) -> None:
    w = parse_due(text)
    assert w is not None
    assert (w.start, w.end, w.label) == (d("2024-02-01"), d("2024-02-10"), text)


def test_accent_insensitive() -> None:
    assert window("Mediádos de Febréro de 2024") == ("2024-02-11", "2024-02-20")


def test_yaml_scalars() -> None:
    assert parse_due(None) is None
    assert parse_due(date(2024, 2, 10)) == DueWindow(d("2024-02-10"), d("2024-02-10"), "2024-02-10")
    assert parse_due(2024) == DueWindow(d("2024-01-01"), d("2024-12-31"), "2024")


def test_mapping_window() -> None:
    assert parse_due({"start": date(2024, 2, 1), "end": "2024-02-10"}) == DueWindow(
        d("2024-02-01"), d("2024-02-10"), "2024-02-01/2024-02-10"
    )
    labelled = {"start": "2024-02-01", "end": "2024-02-10", "label": "la semana próxima"}
    assert parse_due(labelled) == DueWindow(d("2024-02-01"), d("2024-02-10"), "la semana próxima")
    assert window({"start": "2024-02-10", "end": "2024-02-10"}) == ("2024-02-10", "2024-02-10")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"start": "2024-02-10", "end": "2024-02-01"}, "after end"),
        ({"start": "2024-02-10"}, "needs end"),
        ({"end": "2024-02-10"}, "needs start"),
        ({"start": "2024-02-01", "end": "2024-02-10", "until": 1}, "unknown key"),
        ({"start": "soon", "end": "2024-02-10"}, "start must be a date"),
        ({"start": "2024-02-01", "end": "2024-02-10", "label": 3}, "label must be text"),
    ],
)
def test_bad_mapping(value: object, message: str) -> None:
    with pytest.raises(DueParseError, match=message):
        parse_due(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024-02-30", "day is out of range"),
        ("2024-13", "month must be in 1..12"),
        ("2024-Q5", "no quarter 5"),
        ("2024-H3", "no half 3"),
        ("February 30, 2024", "day is out of range"),
        ("31 de abril de 2024", "day is out of range"),
    ],
)
def test_invalid_dates(text: str, message: str) -> None:
    with pytest.raises(DueParseError, match=message) as info:
        parse_due(text)
    assert repr(text) in str(info.value)


@pytest.mark.parametrize("value", ["soon", "next week", "Febtember 2024", "early", "24"])
def test_unrecognised_text_lists_accepted_forms(value: str) -> None:
    with pytest.raises(DueParseError, match="accepted forms include") as info:
        parse_due(value)
    assert repr(value) in str(info.value)
    assert "principios de febrero de 2024" in str(info.value)


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_text(value: str) -> None:
    with pytest.raises(DueParseError, match="null"):
        parse_due(value)


@pytest.mark.parametrize("value", [True, 3.5, [2024], datetime(2024, 2, 10, 12, 0)])
def test_other_types_rejected(value: object) -> None:
    with pytest.raises(DueParseError):
        parse_due(value)


@pytest.mark.parametrize("text", ["early February", "principios de febrero", "Q3", "10 de mayo"])
def test_yearless_needs_relative_to(text: str) -> None:
    with pytest.raises(DueParseError, match="needs a year"):
        parse_due(text)


@pytest.mark.parametrize(
    ("text", "relative_to", "start", "end"),
    [
        ("early February", "2024-01-19", "2024-02-01", "2024-02-10"),
        ("principios de febrero", "2024-01-19", "2024-02-01", "2024-02-10"),
        ("early February", "2024-02-10", "2024-02-01", "2024-02-10"),  # ends that very day
        ("early February", "2024-02-11", "2025-02-01", "2025-02-10"),
        ("finales de enero", "2024-01-19", "2024-01-21", "2024-01-31"),
        ("in January", "2024-03-01", "2025-01-01", "2025-01-31"),
        ("10 de febrero", "2024-01-19", "2024-02-10", "2024-02-10"),
        ("Q1", "2024-04-01", "2025-01-01", "2025-03-31"),
        ("second half", "2024-01-19", "2024-07-01", "2024-12-31"),
        ("by the end of the year", "2024-01-19", "2024-10-01", "2024-12-31"),
        ("a finales de año", "2024-01-19", "2024-10-01", "2024-12-31"),
        ("February 29", "2025-03-01", "2028-02-29", "2028-02-29"),
    ],
)
def test_yearless_with_relative_to(text: str, relative_to: str, start: str, end: str) -> None:
    assert window(text, relative_to=d(relative_to)) == (start, end)


def test_relative_to_ignored_when_year_given() -> None:
    assert window("early February 2020", relative_to=d("2024-06-01")) == (
        "2020-02-01",
        "2020-02-10",
    )


def test_yearless_impossible_day_is_invalid() -> None:
    with pytest.raises(DueParseError, match="day is out of range"):
        parse_due("February 30", relative_to=d("2024-01-01"))


def test_overdue_arithmetic() -> None:
    w = DueWindow(d("2024-02-01"), d("2024-02-10"), "early February 2024")
    assert not w.is_overdue_on(d("2024-02-10"))
    assert w.is_overdue_on(d("2024-02-11"))
    assert w.days_late(d("2024-02-05")) == 0
    assert w.days_late(d("2024-02-15")) == 5


def test_direct_construction_checks_order() -> None:
    with pytest.raises(DueParseError, match="after end"):
        DueWindow(d("2024-02-10"), d("2024-02-01"), "x")


def test_to_dict() -> None:
    assert parse_due("early February 2024").to_dict() == {  # type: ignore[union-attr]
        "start": "2024-02-01",
        "end": "2024-02-10",
        "label": "early February 2024",
    }


# --- properties ---------------------------------------------------------------------------

years = st.integers(min_value=days.EARLIEST.year, max_value=days.LATEST.year)
kept_days = st.dates(min_value=days.EARLIEST, max_value=days.LATEST)
ENGLISH = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
SPANISH = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip
months = st.integers(min_value=1, max_value=12)


def days_of(w: DueWindow) -> list[date]:
    return [w.start + timedelta(days=i) for i in range((w.end - w.start).days + 1)]


def assert_tiles(whole: DueWindow, parts: list[DueWindow]) -> None:
    """Consecutive, non-overlapping, and covering `whole` exactly."""
    assert parts[0].start == whole.start
    assert parts[-1].end == whole.end
    for before, after in itertools.pairwise(parts):
        assert after.start == before.end + timedelta(days=1)


@given(kept_days)
def test_any_iso_day_is_that_day(day: date) -> None:
    assert parse_due(day.isoformat()) == DueWindow(day, day, day.isoformat())


@pytest.mark.parametrize("text", ["0999-01-01", "9999-12-31", "1899", "3000-Q1", "early 0224-02"])
def test_deadlines_outside_the_days_kept_are_refused(text: str) -> None:
    with pytest.raises(DueParseError, match="outside the days kept"):
        parse_due(text)


@given(years, months)
def test_thirds_tile_the_month(year: int, month: int) -> None:
    ym = f"{year:04d}-{month:02d}"
    whole = parse_due(ym)
    parts = [parse_due(f"{p} {ym}") for p in ("early", "mid", "late")]
    assert whole is not None and all(parts)
    assert_tiles(whole, parts)  # type: ignore[arg-type]
    assert whole.start == date(year, month, 1)
    assert whole.end.day == calendar.monthrange(year, month)[1]
    assert sorted(x for p in parts for x in days_of(p)) == days_of(whole)  # type: ignore[arg-type]


@given(years, months)
def test_word_forms_match_iso_forms(year: int, month: int) -> None:
    en, es = ENGLISH[month - 1], SPANISH[month - 1]
    for part, palabra in (("early", "principios"), ("mid", "mediados"), ("late", "finales")):
        iso = window(f"{part} {year:04d}-{month:02d}")
        assert window(f"{part} {en} {year:04d}") == iso
        assert window(f"{palabra} de {es} de {year:04d}") == iso
    assert window(f"{en} {year:04d}") == window(f"{year:04d}-{month:02d}")


@given(years)
def test_quarters_and_halves_tile_the_year(year: int) -> None:
    whole = parse_due(f"{year:04d}")
    assert whole is not None
    quarters = [parse_due(f"{year:04d}-Q{q}") for q in range(1, 5)]
    halves = [parse_due(f"{year:04d}-H{h}") for h in range(1, 3)]
    assert_tiles(whole, quarters)  # type: ignore[arg-type]
    assert_tiles(whole, halves)  # type: ignore[arg-type]
    assert halves[0].end == quarters[1].end  # type: ignore[union-attr]


@given(st.dates(), st.integers(min_value=0, max_value=400), st.text(max_size=30))
def test_dict_round_trip(start: date, length: int, label: str) -> None:
    end = start + timedelta(days=min(length, (date.max - start).days))
    w = DueWindow(start, end, label)
    assert DueWindow.from_dict(w.to_dict()) == w
