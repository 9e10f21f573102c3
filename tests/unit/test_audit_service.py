"""The audit (``audit.run_audit``) on the in-memory unit of work: a clean log passes
and is recorded once, a projection row changed behind the log's back and a rule broken
in the log are found. Tampering with stored rows, digests and keys is
``tests/integration/test_audit.py``'s."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from support.memory import tracker_on

from tracker.adapters.eventstore import ANY_VERSION, NewEvent
from tracker.adapters.memory import MemoryLog
from tracker.adapters.projection_sql import LAYOUTS
from tracker.domain import events as ev
from tracker.domain import streams
from tracker.domain.commitment import RecordProgress
from tracker.service_layer.app import Tracker
from tracker.service_layer.audit import BrokenChain, run_audit, take_digest

NOW = datetime(2024, 2, 10, 12, tzinfo=UTC)


@pytest.fixture
def log() -> MemoryLog:
    return MemoryLog()


@pytest.fixture
def tracker(log: MemoryLog) -> Tracker:
    tracker = tracker_on(log, "darien-visit")
    tracker.handle("darien-visit", RecordProgress(date(2024, 2, 1), note="dates set"), name="p")
    return tracker


def outcomes(tracker: Tracker) -> dict[str, str]:
    report = run_audit(tracker, NOW, record=False, jobs=4)
    return {c.name: c.outcome for c in report.checks if c.outcome != "pass"}


def test_a_clean_log_passes_and_is_recorded_once(tracker: Tracker, log: MemoryLog) -> None:
    report = run_audit(tracker, NOW)
    again = run_audit(tracker, NOW)

    assert report.ok and report.events == 3 and report.head_position == 3
    assert {c.name: c.outcome for c in report.checks if c.outcome == "fail"} == {}
    with tracker.uow.read() as session:
        [recorded] = session.read_stream(streams.AUDIT)
    assert recorded.type == ev.AUDIT_COMPLETED
    assert report.recorded_at_position == again.recorded_at_position == recorded.position
    assert take_digest(tracker).position == len(log.rows) == 4


def test_a_projection_row_changed_behind_the_log_is_found(tracker: Tracker, log: MemoryLog) -> None:
    table, at = log.tables["commitments"], LAYOUTS["commitments"].columns.index("title")
    [(key, values)] = table.items()
    table[key] = (*values[:at], "Never mind", *values[at + 1 :])

    report = run_audit(tracker, NOW, record=False)

    assert not report.ok
    assert report.check("projections").findings == [
        {"table": "commitments", "key": "darien-visit", "problem": "differs from the log"}
    ]


def test_a_rule_broken_in_the_log_is_a_warning(tracker: Tracker) -> None:
    """Appended past ``decide``, as an older version or a bulk load could have."""
    evidence = dict.fromkeys(("source", "quote", "note", "superseded_by"))
    verdict = {"status": "fulfilled", "previous": "pledged", **evidence}
    with tracker.uow.write() as session:
        stream = streams.commitment("darien-visit")
        [at] = session.append(
            stream, ANY_VERSION, [NewEvent(ev.STATUS_CHANGED, verdict, NOW)]
        ).positions

    found = run_audit(tracker, NOW, record=False).check("invariants")

    assert found.outcome == "warn"
    assert found.findings == [
        {"position": at, "problem": "darien-visit entry #4: the verdict fulfilled names no source"}
    ]


def test_a_changed_row_breaks_the_chain_and_gets_no_digest(
    tracker: Tracker, log: MemoryLog
) -> None:
    row = log.rows[1]
    log.rows[1] = (*row[:5], row[5].replace("Ask", "Forget"), *row[6:])

    assert outcomes(tracker)["chain"] == "fail"
    with pytest.raises(BrokenChain, match="position 2"):
        take_digest(tracker)
