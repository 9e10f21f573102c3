"""Helpers for service tests on the in-memory unit of work: a commitment to add, and
what the log and the tables hold."""

from __future__ import annotations

from datetime import date
from typing import Any

from tracker.adapters.memory import MemoryLog, MemoryUnitOfWork
from tracker.adapters.projection_sql import LAYOUTS
from tracker.domain.commitment import FollowUpSpec, MakeCommitment
from tracker.domain.deadlines import DueWindow
from tracker.service_layer.app import Tracker
from tracker.service_layer.projections import rows_for_stream, streams_in_order, to_domain

MADE_ON = date(2024, 1, 19)


def made(cid: str = "darien-visit") -> MakeCommitment:
    """Due in June 2024, with a follow-up due on 1 March."""
    follow_up = FollowUpSpec("ask", date(2024, 3, 1), "Ask whether it happened")
    return MakeCommitment(
        id=cid,
        title="Visit the Darién Gap",
        made_by=("mx",),
        made_on=MADE_ON,
        due=DueWindow(date(2024, 6, 1), date(2024, 6, 30), "June 2024"),
        follow_ups=(follow_up,),
    )


def table(log: MemoryLog, name: str) -> list[dict[str, Any]]:
    columns = LAYOUTS[name].columns
    return [dict(zip(columns, values, strict=True)) for values in log.tables[name].values()]


def snapshot(log: MemoryLog) -> tuple[Any, ...]:
    return list(log.rows), {name: dict(rows) for name, rows in log.tables.items()}


def assert_projections_agree(tracker: Tracker, log: MemoryLog) -> None:
    """What the tables hold is what the log derives, stream by stream."""
    derived: dict[str, dict[Any, Any]] = {name: {} for name in LAYOUTS}
    with tracker.uow.read() as session:
        by_stream = list(streams_in_order(session.read_by_stream()))
    for stream_id, stored in by_stream:
        events = [to_domain(e) for e in stored]
        for name, items in rows_for_stream(stream_id, events).items():
            layout = LAYOUTS[name]
            for item in items:
                values = layout.values(item)
                derived[name][layout.key_of(values)] = values
    assert derived == log.tables


def tracker_on(log: MemoryLog, *made_ids: str) -> Tracker:
    """A tracker on ``log`` in memory, with a commitment as ``made`` gives it of each of
    ``made_ids``."""
    tracker = Tracker(MemoryUnitOfWork(log=log))
    for cid in made_ids:
        tracker.handle(cid, made(cid), name="add")
    return tracker
