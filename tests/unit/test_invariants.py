"""The domain rules the audit checks over stored streams, pure: ``breaches`` alone.

Streams are built by hand, as a hand-made row or an older version could have left
them; the properties check that what ``decide`` accepts, the audit accepts too.
"""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from test_commitment_domain import PROPERTY, history

from tracker.domain import events as ev
from tracker.domain.events import DomainEvent
from tracker.domain.invariants import breaches

MADE_ON = date(2024, 1, 19)


def day(text: str) -> date:
    return date.fromisoformat(text)


class Log:
    """One commitment's stream, numbered in the order it is recorded."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []
        self.add(ev.COMMITMENT_MADE, MADE_ON, id="c", made_by=["mx"])

    def add(self, type_: str, on: date, **data: object) -> int:
        n = len(self.events) + 1
        self.events.append(DomainEvent(type_, on, dict(data), version=n, position=n))
        return n

    def status(
        self, on: str, status: str, source: str | None = "efe", note: str | None = None
    ) -> int:
        return self.add(ev.STATUS_CHANGED, day(on), status=status, source=source, note=note)

    def problems(self) -> list[tuple[int, str]]:
        return [(b.event.version, b.problem) for b in breaches(self.events)]


def test_a_lawful_history_breaks_no_rule() -> None:
    log = Log()
    log.add(ev.PROGRESS_RECORDED, day("2024-01-25"), note="talks began")
    log.status("2024-02-05", "fulfilled")
    log.add(ev.NOTE_ADDED, day("2024-02-06"), note="confirmed by the ministry")
    log.status("2024-02-07", "in_progress", source=None, note="it was only a first round")
    log.add(ev.PROGRESS_RECORDED, day("2024-02-08"), note="second round")
    assert log.problems() == []


def test_a_verdict_without_a_source_is_a_breach() -> None:
    for verdict in ("fulfilled", "partially_fulfilled", "broken"):
        log = Log()
        entry = log.status("2024-02-05", verdict, source=None)
        assert log.problems() == [(entry, f"the verdict {verdict} names no source")]


def test_a_final_status_that_is_no_verdict_needs_no_source() -> None:
    for final in ("withdrawn", "superseded"):
        log = Log()
        log.status("2024-02-05", final, source=None)
        assert log.problems() == []


def test_only_a_reopen_a_note_or_a_retraction_may_follow_a_final_status() -> None:
    log = Log()
    log.status("2024-02-05", "broken")
    log.add(ev.NOTE_ADDED, day("2024-02-06"), note="as reported")
    after = [
        log.add(ev.PROGRESS_RECORDED, day("2024-02-07"), note="late news"),
        log.add(ev.DEADLINE_CHANGED, day("2024-02-08"), note="moved", due=None),
        log.add(ev.FOLLOW_UP_SCHEDULED, day("2024-02-09"), id="f", due="2024-03-01", task="t"),
        log.add(ev.FOLLOW_UP_DONE, day("2024-02-10"), follow_up="f"),
    ]
    words = ["progress", "a deadline change", "a follow-up", "a follow-up marked done"]
    assert log.problems() == [
        (v, f"{what} after the final status broken") for v, what in zip(after, words, strict=True)
    ]


def test_changing_a_final_status_needs_a_reason() -> None:
    log = Log()
    log.status("2024-02-05", "fulfilled")
    silent = log.status("2024-02-06", "in_progress", source=None, note="  ")
    assert log.problems() == [(silent, "fulfilled changed to in_progress without a reason")]


def test_retracted_entries_and_retractions_are_ignored() -> None:
    log = Log()
    mistaken = log.status("2024-02-05", "fulfilled", source=None)
    # Dated like the entry it retracts, as decide dates it.
    log.add(ev.ENTRY_RETRACTED, day("2024-02-05"), entry=mistaken, reason="wrong meeting")
    log.add(ev.PROGRESS_RECORDED, day("2024-02-07"), note="the real meeting is planned")
    assert log.problems() == []


def test_retracting_a_reopen_puts_what_followed_it_behind_the_final_status_again() -> None:
    log = Log()
    log.status("2024-02-05", "fulfilled")
    reopen = log.status("2024-02-06", "in_progress", source=None, note="only a first round")
    progress = log.add(ev.PROGRESS_RECORDED, day("2024-02-08"), note="second round")
    log.add(ev.ENTRY_RETRACTED, day("2024-02-06"), entry=reopen, reason="it was complete")
    assert log.problems() == [(progress, "progress after the final status fulfilled")]


def test_late_evidence_is_judged_on_the_day_it_happened() -> None:
    # Recorded after the verdict, but about a day before it: in place, no breach.
    log = Log()
    log.status("2024-02-10", "fulfilled")
    log.add(ev.PROGRESS_RECORDED, day("2024-02-05"), note="preparations")
    assert log.problems() == []

    # A verdict recorded late about an earlier day puts the later evidence after it.
    log = Log()
    later = log.add(ev.PROGRESS_RECORDED, day("2024-02-15"), note="more talks")
    log.status("2024-02-10", "fulfilled")
    assert log.problems() == [(later, "progress after the final status fulfilled")]


def test_breaches_come_in_world_order_and_same_day_entries_in_recorded_order() -> None:
    log = Log()
    log.status("2024-02-10", "withdrawn", note="called off")
    second = log.add(ev.PROGRESS_RECORDED, day("2024-02-20"), note="b")
    first = log.add(ev.PROGRESS_RECORDED, day("2024-02-12"), note="a")
    same_day = log.add(ev.PROGRESS_RECORDED, day("2024-02-12"), note="c")
    assert [v for v, _ in log.problems()] == [first, same_day, second]


@PROPERTY
@given(history(in_date_order=True))
def test_what_decide_accepts_in_date_order_breaks_no_rule(events: list[DomainEvent]) -> None:
    assert breaches(events) == []


@PROPERTY
@given(history(in_date_order=False), st.randoms(use_true_random=False))
def test_breaches_do_not_depend_on_the_order_events_are_read_in(
    events: list[DomainEvent], rnd: object
) -> None:
    shuffled = list(events)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert breaches(shuffled) == breaches(events)
