"""Which reminder digests are due (``reminders.preview``) on the in-memory unit of work:
each owner's overdue, due-soon and follow-up items as the log stood that day. Sending
them (SMTP, the claims in the lease table) is ``tests/integration/test_reminders.py``'s."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from support.memory import made

from tracker.domain.commitment import FollowUpSpec, ScheduleFollowUp
from tracker.domain.deadlines import DueWindow
from tracker.service_layer.app import Tracker
from tracker.service_layer.reminders import preview

DESK = "desk@example.org"
FIELD = "field@example.org"
MAY_28 = datetime(2024, 5, 28, 8, tzinfo=UTC)


def items(tracker: Tracker, now: datetime, within_days: int) -> dict[str, list[list[str]]]:
    """Each owner's digest: its overdue, due-soon and follow-up items, each as its
    commitment and the follow-up's id (sorted: items as late as each other come in the
    order the store gives the states)."""
    return {
        d.owner: [
            sorted(f"{i.commitment_id} {i.what.split(':')[0]}" for i in part)
            for part in (d.overdue, d.due_soon, d.follow_ups)
        ]
        for d in preview(tracker, now, within_days)
    }


def test_each_owner_gets_what_is_overdue_due_soon_or_waiting_on_a_follow_up() -> None:
    tracker = Tracker.in_memory()
    tracker.handle("darien-visit", replace(made(), owner=DESK), name="add")  # due in June
    early = DueWindow(date(2024, 5, 1), date(2024, 5, 10), "early May")
    tracker.handle("late-one", replace(made("late-one"), owner=DESK, due=early), name="add")
    follow_up = FollowUpSpec("call", date(2024, 6, 2), "Call the embassy", FIELD)
    tracker.handle("darien-visit", ScheduleFollowUp(date(2024, 2, 1), follow_up), name="follow")

    # Both follow-ups "ask" (1 March) are overdue, and owned by the commitments' owner.
    overdue = ["darien-visit follow-up ask", "late-one commitment", "late-one follow-up ask"]
    assert items(tracker, MAY_28, 7) == {
        DESK: [overdue, [], []],
        FIELD: [[], [], ["darien-visit follow-up call"]],
    }
    assert items(tracker, MAY_28, 35)[DESK][1] == ["darien-visit commitment"]
    assert items(tracker, datetime(2024, 1, 20, tzinfo=UTC), 7) == {}
