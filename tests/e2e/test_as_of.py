"""One answer for "as of": every command that takes a past moment sees the log as it
stood then — the entries dated up to that day, the deadline in force that day.

`overdue --now D`, `remind --now D --dry-run`, `status --as-of D`, the audit's
staleness and scorecard at D all agree, on SQLite and PostgreSQL; a property test
holds `overdue --now D` equal to `status --as-of D --overdue` over many days of
generated logs.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.cli import Cli
from support.db_kinds import both_backends

from tracker.clock import utc_now
from tracker.domain.commitment import (
    ChangeDeadline,
    ChangeStatus,
    CompleteFollowUp,
    DomainError,
    FollowUpSpec,
    MakeCommitment,
    RecordProgress,
    ScheduleFollowUp,
)
from tracker.domain.deadlines import DueWindow
from tracker.domain.statuses import Status
from tracker.service_layer.app import Tracker
from tracker.service_layer.overdue import scan
from tracker.service_layer.queries import View, status_report
from tracker.service_layer.reminders import preview

FENTANYL = "fentanyl-meeting-feb-2024"
LATE = "visa-office-april-2024"  # due in April 2024, fulfilled on 7 May 2024
DESK = "desk@example.org"


def overdue_ids(cli: Cli, now: str) -> list[str]:
    found = json.loads(cli.ok("overdue", "--now", now, "--format", "json").stdout)
    return sorted({i["id"] for i in found})


def status_overdue_ids(cli: Cli, day: str) -> list[str]:
    rows = json.loads(cli.ok("status", "--as-of", day, "--overdue", "--format", "json").stdout)
    return sorted(r["id"] for r in rows)


def digest_text(cli: Cli, now: str) -> str:
    return cli.ok("remind", "--now", now, "--dry-run").stdout


@pytest.fixture
def demo(db_url: str) -> Cli:
    cli = Cli(db_url).load_demo()
    cli.ok(
        "sources", "add", "efe-2024-05-07", "--publisher", "EFE",
        "--published", "2024-05-07", "--language", "es",
    )  # fmt: skip
    cli.ok(
        "add", LATE, "--title", "Mexico opens a visa office in Tapachula", "--by", "mx",
        "--on", "2024-03-01", "--due", "April 2024", "--owner", DESK,
    )  # fmt: skip
    cli.ok(
        "record", LATE, "status", "fulfilled", "--on", "2024-05-07", "--source", "efe-2024-05-07"
    )
    return cli


# --- the held-out scenarios -----------------------------------------------------------


@both_backends
def test_a_pledge_fulfilled_late_is_overdue_the_day_before_its_fulfilment_for_every_command(
    demo: Cli,
) -> None:
    assert LATE in status_overdue_ids(demo, "2024-05-06")
    assert LATE in overdue_ids(demo, "2024-05-06")
    assert overdue_ids(demo, "2024-05-06") == status_overdue_ids(demo, "2024-05-06")
    digest = digest_text(demo, "2024-05-06")
    overdue_part = digest.split("Overdue:")[1].split("\n\n")[0]
    assert (
        f"{LATE}: Mexico opens a visa office in Tapachula (deadline April 2024; 6 days late)"
        in (overdue_part)
    )
    shown = json.loads(demo.ok("show", LATE, "--as-of", "2024-05-06", "--format", "json").stdout)
    assert (shown["status"], shown["overdue"], shown["days_late"]) == ("pledged", True, 6)

    # On the day it was fulfilled, none of them lists it.
    assert LATE not in status_overdue_ids(demo, "2024-05-07")
    assert LATE not in overdue_ids(demo, "2024-05-07")
    assert LATE not in digest_text(demo, "2024-05-07")


@both_backends
def test_a_later_deadline_change_does_not_reach_back(demo: Cli) -> None:
    demo.ok("record", FENTANYL, "due", "late February 2024", "--note", "postponed")
    assert FENTANYL in overdue_ids(demo, "2024-02-11")
    assert overdue_ids(demo, "2024-02-11") == status_overdue_ids(demo, "2024-02-11")
    listed = json.loads(demo.ok("overdue", "--now", "2024-02-11", "--format", "json").stdout)
    meeting = next(i for i in listed if i["id"] == FENTANYL and i["kind"] == "commitment")
    assert (meeting["due"]["label"], meeting["due"]["end"]) == ("early February 2024", "2024-02-10")
    # Today the new deadline is in force, and long past.
    today = json.loads(demo.ok("show", FENTANYL, "--format", "json").stdout)
    assert today["due"]["label"] == "late February 2024"


@both_backends
def test_flagging_in_the_past_records_the_deadline_in_force_then_once(demo: Cli) -> None:
    demo.ok("record", FENTANYL, "due", "late February 2024", "--note", "postponed")
    first = demo.ok("overdue", "--flag", "--now", "2024-02-11T09:00Z")
    again = demo.ok("overdue", "--flag", "--now", "2024-02-11T10:00Z")
    assert "0 newly flagged" in again.stderr and "0 newly flagged" not in first.stderr
    flags = [e for e in demo.events("OverdueFlagged") if e["data"]["item"] == FENTANYL]
    assert [(f["data"]["due_label"], f["data"]["flagged_on"]) for f in flags] == [
        ("early February 2024", "2024-02-11")
    ]
    assert [f["occurred_at"][:19] for f in flags] == ["2024-02-11T09:00:00"]
    # The visa office was fulfilled on 7 May: flagged on the 6th, not on the 8th.
    demo.ok("overdue", "--flag", "--now", "2024-05-06T12:00Z")
    demo.ok("overdue", "--flag", "--now", "2024-05-08T12:00Z")
    late = [
        e["data"]["flagged_on"]
        for e in demo.events("OverdueFlagged")
        if e["data"]["commitment_id"] == LATE
    ]
    assert late == ["2024-05-06"]


@both_backends
def test_the_audit_judges_staleness_and_the_scorecard_on_the_same_log(demo: Cli) -> None:
    audit = json.loads(
        demo("audit", "--now", "2024-05-06T12:00Z", "--no-record", "--format", "json").stdout
    )
    checks = {c["name"]: c for c in audit["checks"]}
    scorecard = json.loads(demo.ok("scorecard", "--as-of", "2024-05-06", "--format", "json").stdout)
    assert checks["scorecard"]["findings"] == scorecard


# --- the property ---------------------------------------------------------------------

DAY0 = date(2024, 1, 1)
SPAN = 240  # days the generated entries fall in
DAYS = [DAY0 + timedelta(days=n) for n in range(-3, SPAN + 40, 3)]


def _window(start: int, length: int) -> DueWindow:
    first = DAY0 + timedelta(days=start)
    last = first + timedelta(days=length)
    return DueWindow(first, last, f"{first.isoformat()}/{last.isoformat()}")


windows = st.builds(_window, st.integers(0, SPAN), st.integers(0, 45))
actions = st.one_of(
    st.tuples(st.just("due"), st.integers(0, 150), st.none() | windows),
    st.tuples(st.just("status"), st.integers(0, 150), st.sampled_from(list(Status))),
    st.tuples(st.just("progress"), st.integers(0, 150), st.none()),
    st.tuples(st.just("follow-up"), st.integers(0, 150), st.integers(0, 60)),
    st.tuples(st.just("done"), st.integers(0, 150), st.integers(0, 2)),
)
commitments = st.tuples(
    st.integers(0, SPAN // 2), st.none() | windows, st.lists(actions, max_size=7)
)
logs = st.lists(commitments, min_size=1, max_size=5)


def _command(kind: str, on: date, arg: Any, scheduled: list[str]) -> Any:
    if kind == "due":
        return ChangeDeadline(on, arg, note="moved")
    if kind == "status":
        extra = {"superseded_by": "another-pledge"} if arg is Status.SUPERSEDED else {}
        return ChangeStatus(on, arg, source="src", note="why", **extra)
    if kind == "progress":
        return RecordProgress(on, note="news")
    if kind == "follow-up":
        scheduled.append(f"check-{len(scheduled)}")
        spec = FollowUpSpec(scheduled[-1], on + timedelta(days=arg), "check", DESK)
        return ScheduleFollowUp(on, spec)
    return CompleteFollowUp(on, f"check-{arg}")


def record_log(app: Tracker, log: list[Any], serial: Iterator[int]) -> None:
    """Each generated commitment, then its entries; those the domain refuses are left out."""
    for made_day, due, entries in log:
        cid = f"pledge-{next(serial)}"
        made_on = DAY0 + timedelta(days=made_day)
        made = MakeCommitment(cid, "A pledge", ("mx",), made_on, due=due, owner=DESK)
        app.handle(cid, made, name="t")
        scheduled: list[str] = []
        for kind, offset, arg in entries:
            command = _command(kind, made_on + timedelta(days=offset), arg, scheduled)
            try:
                app.handle(cid, command, name="t")
            except DomainError:
                continue


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59), tzinfo=UTC)


@pytest.fixture
def app(db_url: str) -> Iterator[Tracker]:
    tracker = Tracker.open(db_url)
    yield tracker
    tracker.close()


def test_overdue_at_any_moment_is_status_as_of_that_day(app: Tracker, db_url: str) -> None:
    """The examples share one database (ids never repeat): each adds to the log the
    others made, and every day is judged on all of it."""
    serial = itertools.count()
    cli = Cli(db_url)

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(log=logs)
    def holds(log: list[Any]) -> None:
        record_log(app, log, serial)
        recorded = utc_now()
        for day in DAYS:
            view = View.at(end_of(day))
            assert view == View(as_of=day)
            listed = {i.commitment_id for i in scan(app, view)}
            reported = {r["id"] for r in status_report(app, view, overdue_only=True)}
            assert listed == reported, day
            reminded = {i.commitment_id for d in preview(app, end_of(day), 0) for i in d.overdue}
            assert reminded == listed, day
            # Days after the last entry are answered from the projections: so must the
            # fold answer them (a view of what was known by now always folds).
            assert scan(app, view) == scan(app, View(as_of=day, known_at=recorded)), day
        # And the command line says the same as the service functions.
        some = DAYS[len(DAYS) // 3].isoformat()
        assert overdue_ids(cli, some) == status_overdue_ids(cli, some)

    holds()
