"""The overdue scan and flags (``service_layer/overdue.py``) on the in-memory unit of
work: what is overdue on a day, as the projections or the log folded to that day show
it, and flags recorded once per item and deadline. The CLI's wording and the demo are
``tests/integration/test_overdue.py``'s."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from support.memory import made

from tracker.domain import events as ev
from tracker.domain import streams
from tracker.domain.commitment import ChangeDeadline, ChangeStatus, CompleteFollowUp
from tracker.domain.deadlines import DueWindow
from tracker.domain.statuses import Status
from tracker.service_layer.app import Tracker
from tracker.service_layer.overdue import FutureNow, flag, scan
from tracker.service_layer.queries import View

JULY_2 = datetime(2024, 7, 2, 9, tzinfo=UTC)  # June's deadline and March's follow-up passed


@pytest.fixture
def tracker() -> Tracker:
    tracker = Tracker.in_memory()
    tracker.handle("darien-visit", made(), name="add")
    return tracker


def flagged(tracker: Tracker) -> list[tuple[str, str]]:
    with tracker.uow.read() as session:
        found = session.read_stream(streams.overdue("darien-visit"))
    assert {e.type for e in found} <= {ev.OVERDUE_FLAGGED}
    return [(e.data["item"], e.data["due_end"]) for e in found]


def test_a_passed_deadline_and_follow_up_are_overdue_the_longest_first(tracker: Tracker) -> None:
    found = scan(tracker, View.at(JULY_2))

    assert [(i.kind, i.item, i.days_late) for i in found] == [
        ("follow_up", "ask", 123),
        ("commitment", "darien-visit", 2),
    ]
    assert found[1].due_start == date(2024, 6, 1)
    assert scan(tracker, View.at(datetime(2024, 2, 1, tzinfo=UTC))) == []


def test_what_is_done_or_final_is_not_overdue(tracker: Tracker) -> None:
    tracker.handle("darien-visit", CompleteFollowUp(date(2024, 2, 1), "ask"), name="done")
    tracker.handle("darien-visit", ChangeStatus(date(2024, 2, 2), Status.WITHDRAWN), name="status")
    assert scan(tracker, View.at(JULY_2)) == []


def test_a_day_before_later_evidence_is_judged_on_the_log_folded_to_that_day(
    tracker: Tracker,
) -> None:
    """Events dated after the view's day leave the projections behind: the scan folds."""
    later = DueWindow(date(2024, 12, 1), date(2024, 12, 31), "December")
    tracker.handle("darien-visit", ChangeDeadline(date(2024, 7, 20), later, "moved"), name="due")

    on_july_2 = [i.item for i in scan(tracker, View.at(JULY_2))]
    in_august = [i.item for i in scan(tracker, View.at(datetime(2024, 8, 1, tzinfo=UTC)))]

    assert on_july_2 == ["ask", "darien-visit"]
    assert in_august == ["ask"]


def test_flags_are_recorded_once_per_item_and_deadline(tracker: Tracker) -> None:
    first = flag(tracker, JULY_2)
    again = flag(tracker, datetime(2024, 7, 3, tzinfo=UTC))

    assert [i.item for i in first.flagged] == ["ask", "darien-visit"]
    assert (again.flagged, again.already) == ([], 2)
    assert flagged(tracker) == [("ask", "2024-03-01"), ("darien-visit", "2024-06-30")]


def test_a_deadline_that_moves_and_passes_again_is_flagged_anew(tracker: Tracker) -> None:
    flag(tracker, JULY_2)
    later = DueWindow(date(2024, 7, 10), date(2024, 7, 20), "mid-July")
    tracker.handle("darien-visit", ChangeDeadline(date(2024, 7, 3), later, "moved"), name="due")

    report = flag(tracker, datetime(2024, 7, 25, tzinfo=UTC))

    assert [(i.item, i.due_end) for i in report.flagged] == [("darien-visit", date(2024, 7, 20))]
    assert flagged(tracker)[-1] == ("darien-visit", "2024-07-20")


def test_flagging_ahead_of_the_clock_is_refused_and_records_nothing(tracker: Tracker) -> None:
    with pytest.raises(FutureNow, match="later than the clock"):
        flag(tracker, datetime(2999, 1, 1, tzinfo=UTC))
    assert flagged(tracker) == []
