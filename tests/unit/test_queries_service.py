"""`show`, the status report and the scorecard (``service_layer/queries.py``) on the
in-memory unit of work: one commitment told whole, as of a day, the report filtered,
and the record per actor. The tables and the demo are
``tests/integration/test_queries.py``'s."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from support.memory import made

from tracker.domain.commitment import ChangeStatus, RecordProgress
from tracker.domain.statuses import Status
from tracker.service_layer.app import Tracker
from tracker.service_layer.catalog import register
from tracker.service_layer.overdue import flag
from tracker.service_layer.queries import (
    QueryError,
    View,
    scorecard_report,
    show,
    status_report,
)

ON = date(2024, 2, 1)


@pytest.fixture
def tracker() -> Tracker:
    tracker = Tracker.in_memory()
    register(tracker, "actor", {"id": "mx", "name": "México", "kind": "country", "aliases": []})
    register(tracker, "source", {"id": "efe", "publisher": "EFE", "title": "Nota"})
    tracker.handle("darien-visit", made(), name="add")
    quoted = RecordProgress(ON, source="efe", quote="«Iremos en junio»")
    tracker.handle("darien-visit", quoted, name="record progress")
    return tracker


def test_show_tells_the_state_its_sources_with_quotes_and_the_timeline(tracker: Tracker) -> None:
    shown = show(tracker, "darien-visit", View(today=date(2024, 2, 2)))

    assert (shown["id"], shown["status"]) == ("darien-visit", "in_progress")
    assert [(s["id"], s["publisher"], s["quotes"]) for s in shown["sources"]] == [
        ("efe", "EFE", ["«Iremos en junio»"])
    ]
    assert [e["kind"] for e in shown["timeline"]] == ["made", "follow-up", "progress"]
    assert shown["overdue_flags"] == []


def test_show_as_of_a_day_and_with_the_flags_recorded(tracker: Tracker) -> None:
    flag(tracker, datetime(2024, 7, 2, tzinfo=UTC))

    before = show(tracker, "darien-visit", View(as_of=date(2024, 1, 20)))
    later = show(tracker, "darien-visit", View(today=date(2024, 7, 3)))

    assert (before["status"], [e["kind"] for e in before["timeline"]]) == (
        "pledged",
        ["made", "follow-up"],
    )
    assert [f["follow_up"] for f in later["overdue_flags"]] == ["ask", None]


def test_an_unknown_commitment_is_refused_with_the_close_ids(tracker: Tracker) -> None:
    with pytest.raises(QueryError, match="did you mean darien-visit"):
        show(tracker, "darien-visti", View())


def test_the_scorecard_names_the_actors_and_counts_their_verdicts(tracker: Tracker) -> None:
    verdict = ChangeStatus(date(2024, 7, 1), Status.BROKEN, source="efe")
    tracker.handle("darien-visit", verdict, name="record status")

    [card] = scorecard_report(tracker, View(today=date(2024, 7, 2)))

    assert (card["actor"], card["name"], card["broken"]) == ("mx", "México", 1)


def test_the_status_report_filters_by_actor_and_judges_the_view_s_day(tracker: Tracker) -> None:
    register(tracker, "actor", {"id": "us", "name": "EE. UU.", "kind": "country", "aliases": []})
    tracker.handle("border-talks", replace(made("border-talks"), made_by=("us",)), name="add")
    july = View(today=date(2024, 7, 2))

    every = status_report(tracker, july)
    mexico = status_report(tracker, july, by="México")
    before = status_report(tracker, View(as_of=date(2024, 1, 31)), by="mx")

    assert [(r["id"], r["overdue"]) for r in every] == [
        ("border-talks", True),
        ("darien-visit", True),
    ]
    assert [r["id"] for r in mexico] == ["darien-visit"]
    assert [(r["id"], r["status"]) for r in before] == [("darien-visit", "pledged")]
    assert status_report(tracker, july, status=("in_progress",), limit=1) == mexico[:1]
    with pytest.raises(QueryError, match="no actor called 'Mexcio'"):
        status_report(tracker, july, by="Mexcio")
