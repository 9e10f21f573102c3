"""Rebuilding the projections (``rebuild.rebuild_projections``) on the in-memory unit of
work: right ones are left alone, changed and orphaned rows are named and put right, and
a log that cannot be folded leaves everything as it was. Worker processes (``--jobs``)
and both databases are ``tests/integration/test_parallel.py``'s."""

from __future__ import annotations

import pytest
from support.memory import assert_projections_agree, snapshot, tracker_on

from tracker.adapters.memory import MemoryLog
from tracker.adapters.projection_sql import LAYOUTS
from tracker.service_layer.app import Tracker
from tracker.service_layer.rebuild import DamagedLog, check_projections, rebuild_projections


@pytest.fixture
def log() -> MemoryLog:
    return MemoryLog()


@pytest.fixture
def tracker(log: MemoryLog) -> Tracker:
    return tracker_on(log, "darien-visit")


def test_right_projections_are_left_alone(tracker: Tracker, log: MemoryLog) -> None:
    before = snapshot(log)

    report = rebuild_projections(tracker, jobs=4)

    assert (report.events, report.differences) == (2, [])
    assert snapshot(log) == before


def test_changed_and_orphaned_rows_are_named_and_put_right(
    tracker: Tracker, log: MemoryLog
) -> None:
    table, at = log.tables["commitments"], LAYOUTS["commitments"].columns.index("title")
    [(key, values)] = table.items()
    table[key] = (*values[:at], "Never mind", *values[at + 1 :])
    table[("ghost",)] = (*values[:at], "Nobody made it", *values[at + 1 :])

    found = {(d.table, d.key, d.problem) for d in rebuild_projections(tracker).differences}

    assert ("commitments", "darien-visit", "differs from the log") in found
    assert {d[1] for d in found} == {"darien-visit", "ghost"}
    assert_projections_agree(tracker, log)


def test_a_check_names_what_a_rebuild_would_put_right_and_writes_nothing(
    tracker: Tracker, log: MemoryLog
) -> None:
    table, at = log.tables["commitments"], LAYOUTS["commitments"].columns.index("title")
    [(key, values)] = table.items()
    table[key] = (*values[:at], "Never mind", *values[at + 1 :])
    before = snapshot(log)

    with tracker.uow.read() as session:
        found = check_projections(session)

    assert snapshot(log) == before
    assert found == rebuild_projections(tracker).differences != []
    with tracker.uow.read() as session:
        assert check_projections(session) == []


def test_a_log_that_cannot_be_folded_changes_nothing(tracker: Tracker, log: MemoryLog) -> None:
    row = log.rows[0]
    log.rows[0] = (*row[:5], "[]", *row[6:])
    before = snapshot(log)

    with pytest.raises(DamagedLog, match="tracker audit"):
        rebuild_projections(tracker)

    assert snapshot(log) == before
