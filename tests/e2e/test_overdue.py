"""`tracker overdue`: the scan, and flags recorded once per item and deadline.

Run on SQLite and PostgreSQL against the demo dataset, with the clock fixed by
``--now``; what was flagged is read back through `tracker events` and `tracker show`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from support.cli import Cli
from support.db_kinds import both_backends
from support.procs import processes

FENTANYL = "fentanyl-meeting-feb-2024"
FENTANYL_TITLE = (
    "The US and Mexican high-level delegations meet again in early February 2024, "
    "on fentanyl trafficking"
)
FEB_11 = "2024-02-11T09:00Z"


@pytest.fixture
def tracker(db_url: str) -> Cli:
    return Cli(db_url).load_demo()


def overdue(tracker: Cli, now: str, *options: str) -> list[dict[str, Any]]:
    return json.loads(tracker.ok("overdue", "--now", now, "--format", "json", *options).stdout)


def flags(tracker: Cli, item: str | None = None) -> list[dict[str, Any]]:
    found = tracker.events("OverdueFlagged")
    return [e for e in found if item is None or e["data"]["item"] == item]


# --- the scan -------------------------------------------------------------------------


@both_backends
def test_the_fentanyl_meeting_and_a_follow_up_are_overdue_on_11_february(tracker: Cli) -> None:
    found = overdue(tracker, FEB_11)
    # The longest overdue first.
    assert [(i["id"], i["follow_up"]) for i in found] == [
        ("reopen-border-crossings", "check-reopening"),
        (FENTANYL, None),
    ]
    follow_up, meeting = found
    # The keys status uses for the same things: id, and the window as due.
    assert meeting == {
        "id": FENTANYL,
        "title": FENTANYL_TITLE,
        "kind": "commitment",
        "follow_up": None,
        "task": None,
        "due": {"start": "2024-02-01", "end": "2024-02-10", "label": "early February 2024"},
        "days_late": 1,
        "owner": "desk@example.org",
    }
    status = json.loads(tracker.ok("status", "--as-of", "2024-02-11", "--format", "json").stdout)
    assert next(r for r in status if r["id"] == FENTANYL)["due"] == meeting["due"]
    assert follow_up["kind"] == "follow_up"
    assert follow_up["task"] == "Find a dated report of each closed crossing reopening"
    assert follow_up["due"] == {"start": "2024-02-01", "end": "2024-02-01", "label": "2024-02-01"}
    assert follow_up["days_late"] == 10


def test_nothing_is_overdue_on_25_january_and_the_meeting_not_on_its_last_day(
    tracker: Cli,
) -> None:
    assert overdue(tracker, "2024-01-25T09:00Z") == []
    # A bare date is the end of that day: "early February" still runs on 10 February.
    assert [i["follow_up"] for i in overdue(tracker, "2024-02-10")] == ["check-reopening"]


def test_the_table_says_how_many_are_overdue(tracker: Cli) -> None:
    result = tracker.ok("overdue", "--now", FEB_11)
    assert FENTANYL in result.stdout and "early February 2024" in result.stdout
    assert result.stderr.strip() == "2 overdue on 2024-02-11"
    assert flags(tracker) == []  # listing records nothing


# --- flagging -------------------------------------------------------------------------


@both_backends
def test_flagging_twice_records_each_item_and_deadline_once(tracker: Cli) -> None:
    first = tracker.ok("overdue", "--flag", "--now", FEB_11)
    assert "2 newly flagged, 0 already flagged" in first.stderr
    recorded = flags(tracker)
    assert sorted((e["stream_id"], e["data"]["item"], e["data"]["due_end"]) for e in recorded) == [
        (f"overdue:{FENTANYL}", FENTANYL, "2024-02-10"),
        ("overdue:reopen-border-crossings", "check-reopening", "2024-02-01"),
    ]
    assert {e["occurred_at"][:19] for e in recorded} == {"2024-02-11T09:00:00"}
    assert {e["data"]["flagged_on"] for e in recorded} == {"2024-02-11"}
    assert len({e["idempotency_key"] for e in recorded}) == 2

    log = len(tracker.events())
    again = tracker.ok("overdue", "--flag", "--now", "2024-02-12T09:00Z")
    assert "0 newly flagged, 2 already flagged" in again.stderr
    assert len(tracker.events()) == log
    # --flag still lists what is overdue, now one day later.
    listed = overdue(tracker, "2024-02-12T09:00Z", "--flag")
    assert [i["days_late"] for i in listed] == [11, 2]
    assert len(tracker.events()) == log


@both_backends
def test_a_moved_deadline_that_passes_again_is_flagged_again(tracker: Cli) -> None:
    tracker.ok("overdue", "--flag", "--now", FEB_11)
    tracker.ok(
        "record", FENTANYL, "due", "late February 2024",
        "--on", "2024-02-09", "--note", "postponed to late February",
    )  # fmt: skip
    # Inside the new window the meeting is not overdue (its follow-up, due the 15th, is).
    later = overdue(tracker, "2024-02-20T09:00Z")
    assert (FENTANYL, None) not in [(i["id"], i["follow_up"]) for i in later]
    tracker.ok("overdue", "--flag", "--now", "2024-02-20T09:00Z")
    assert len(flags(tracker, FENTANYL)) == 1

    tracker.ok("overdue", "--flag", "--now", "2024-03-01T09:00Z")
    tracker.ok("overdue", "--flag", "--now", "2024-03-02T09:00Z")
    meeting = flags(tracker, FENTANYL)
    assert [
        (e["data"]["due_label"], e["data"]["due_end"], e["data"]["flagged_on"]) for e in meeting
    ] == [
        ("early February 2024", "2024-02-10", "2024-02-11"),
        ("late February 2024", "2024-02-29", "2024-03-01"),
    ]

    shown = tracker.ok("show", FENTANYL).stdout
    assert "flagged overdue on 2024-02-11: the commitment (deadline early February 2024)" in shown
    assert "flagged overdue on 2024-03-01: the commitment (deadline late February 2024)" in shown
    assert (
        "flagged overdue on 2024-02-20: follow-up check-fentanyl-meeting (deadline 2024-02-15)"
        in shown
    )
    document = json.loads(tracker.ok("show", FENTANYL, "--format", "json").stdout)
    assert [(f["follow_up"], f["due"]["end"]) for f in document["overdue_flags"]] == [
        (None, "2024-02-10"),
        ("check-fentanyl-meeting", "2024-02-15"),
        (None, "2024-02-29"),
    ]


@both_backends
@pytest.mark.slow
def test_processes_flagging_at_once_flag_each_item_once(
    tracker: Cli, db_url: str, tmp_path: Path
) -> None:
    now = "2024-03-02T09:00Z"  # the demo's follow-ups due on 1 March are overdue too
    expected = {f"{i['id']}:{i['follow_up'] or i['id']}" for i in overdue(tracker, now)}
    with processes(tmp_path, {}) as procs:
        started = [procs.spawn("--db", db_url, "overdue", "--flag", "--now", now) for _ in range(3)]
        assert [p.wait() for p in started] == [0, 0, 0], procs.outputs()
        newly = [int(n) for n in re.findall(r"(\d+) newly flagged", procs.outputs())]
    recorded = flags(tracker)
    assert sorted(f"{e['data']['commitment_id']}:{e['data']['item']}" for e in recorded) == sorted(
        expected
    )
    assert len(newly) == 3 and sum(newly) == len(expected) == 10


# --- the clock ------------------------------------------------------------------------

CLOCK = datetime(2024, 2, 11, 9, 0, 30, tzinfo=UTC)


def test_flagging_as_of_a_time_the_clock_has_not_reached_is_refused(tracker: Cli) -> None:
    log = len(tracker.events())
    with time_machine.travel(CLOCK, tick=False):
        ahead = tracker("overdue", "--flag", "--now", "2024-02-11T09:02:00Z")
        assert ahead.exit_code == 2, ahead.output
        assert "Invalid value for '--now'" in ahead.stderr
        assert "cannot flag overdue items as of 2024-02-11T09:02:00Z" in ahead.stderr
        assert "later than the clock (2024-02-11T09:00:30Z)" in ahead.stderr
        assert "list without --flag to look ahead" in ahead.stderr
        # A bare date is the end of that day, still ahead of the clock on the day itself.
        today = tracker("overdue", "--flag", "--now", "2024-02-11")
        assert today.exit_code == 2 and "A bare date means the end of that day" in today.stderr
        assert "Traceback" not in ahead.output + today.output
        assert flags(tracker) == [] and len(tracker.events()) == log

        # A listing records nothing, so it may look ahead.
        assert len(overdue(tracker, "2024-03-02T09:00Z")) == 10
        # Within a minute of the clock is the clock (two machines' clocks differ a little).
        tracker.ok("overdue", "--flag", "--now", "2024-02-11T09:01:30Z")
        assert len(flags(tracker)) == 2
        # Without --now the clock itself judges.
        assert "0 newly flagged, 2 already flagged" in tracker.ok("overdue", "--flag").stderr


def test_the_library_refuses_to_flag_ahead_of_the_clock_too(tracker: Cli) -> None:
    from tracker.service_layer.app import Tracker
    from tracker.service_layer.overdue import FutureNow, flag

    app = Tracker.open(tracker.db_url)
    try:
        with time_machine.travel(CLOCK, tick=False), pytest.raises(FutureNow):
            flag(app, datetime(2024, 2, 12, 9, tzinfo=UTC))
    finally:
        app.close()
    assert flags(tracker) == []
