"""The one pass over the log in stream order that serves the four checks that fold it.

Projections, domain rules, staleness and the scorecard all need each stream folded;
folding it once for all four is what keeps the audit as fast as one fold of the log
(benchmarks W8). :class:`Folded` is what the pass learns of each; with more than one
job, ranges of streams are folded by worker processes and their :class:`Folded` taken
in in order, so the outcome is the one pass's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tracker.adapters.db import Database
from tracker.adapters.eventstore import EventStore, StreamRange
from tracker.adapters.integrity import Finding, Findings
from tracker.adapters.parallel import range_count, run_ranges
from tracker.adapters.projection_sql import Key
from tracker.adapters.sql_unit_of_work import SqlUnitOfWork
from tracker.domain.commitment import CommitmentState, fold
from tracker.domain.events import DomainEvent
from tracker.domain.invariants import breaches
from tracker.domain.scorecard import Score, add_tallies, tally
from tracker.service_layer.app import Tracker, collector_paused
from tracker.service_layer.audit.reader import FAILED, attempt, culprit, read_streams, reason
from tracker.service_layer.projections import (
    FOLD_ERRORS,
    Comparison,
    Difference,
    commitment_rows,
    rows_for_stream,
)
from tracker.service_layer.queries import commitment_as_of
from tracker.service_layer.unit_of_work import Session

Progress = Callable[[int], None]


@dataclass
class Folded:
    """What the checks that fold the log learn from one pass over it."""

    day: date
    stale_days: int
    comparison: Comparison
    differences: list[Difference] = field(default_factory=list)
    unreadable: Findings = field(default_factory=Findings)  # for the projections
    commitments: int = 0
    breaches: Findings = field(default_factory=Findings)
    rules_unreadable: Findings = field(default_factory=Findings)
    # Of each commitment as it stood on ``day``, what staleness and the scorecard need:
    # counted as it is folded, rather than every state kept (or sent back by a worker).
    current: int = 0
    open: int = 0
    stale: list[dict[str, Any]] = field(default_factory=list)
    scores: dict[str, Score] = field(default_factory=dict)
    states_unreadable: Findings = field(default_factory=Findings)
    names: dict[str, str] = field(default_factory=dict)
    events: int = 0

    def absorb(self, other: Folded) -> None:
        """Take in what a worker learnt of the next range of streams."""
        assert other.comparison.matched is not None
        self.comparison.absorb(other.comparison.differences, other.comparison.matched)
        self.unreadable.extend(other.unreadable)
        self.commitments += other.commitments
        self.breaches.extend(other.breaches)
        self.rules_unreadable.extend(other.rules_unreadable)
        self.current += other.current
        self.open += other.open
        self.stale.extend(other.stale)
        add_tallies(self.scores, other.scores)
        self.states_unreadable.extend(other.states_unreadable)
        self.names.update(other.names)
        self.events += other.events

    def stream(self, stream_id: str, events: list[DomainEvent], bad: list[Finding]) -> None:
        kind = stream_id.partition(":")[0]
        for f in bad:
            self.unreadable.add(f.position, f.problem, stream_id)
        if kind == "commitment":
            self.commitment(stream_id, events, bad)
            return
        if bad:
            self.comparison.forget(stream_id)
            return
        try:
            rows = rows_for_stream(stream_id, events)
        except FOLD_ERRORS as exc:
            self.cannot_fold(stream_id, events, rows_for_stream, exc)
            return
        self.comparison.feed(rows)
        for actor in rows.get("actors", ()):
            self.names[actor["id"]] = actor["name"]

    def cannot_fold(
        self, stream_id: str, events: list[DomainEvent], judge: Callable[..., Any], exc: Exception
    ) -> Finding:
        position = culprit(events, lambda prefix: judge(stream_id, prefix))
        problem = f"cannot be folded: {reason(exc)}"
        self.unreadable.add(position, problem, stream_id)
        self.comparison.forget(stream_id)
        return Finding(position, problem, stream_id)

    def commitment(self, stream_id: str, events: list[DomainEvent], bad: list[Finding]) -> None:
        self.commitments += 1
        if bad:
            self.comparison.forget(stream_id)
            for f in bad:
                self.rules_unreadable.add(f.position, f.problem, stream_id)
                self.states_unreadable.add(f.position, f.problem, stream_id)
            return
        failed: Finding | None = None
        state: CommitmentState | None = None
        try:
            state = fold(events)
            rows = commitment_rows(state) if state else {}
        except FOLD_ERRORS as exc:
            failed = self.cannot_fold(stream_id, events, rows_for_stream, exc)
        else:
            self.comparison.feed(rows)
        self.rules(stream_id, events)
        # Staleness and the scorecard: the commitment as it stood on the audit's day.
        if any(e.on > self.day for e in events):
            as_of = functools.partial(commitment_as_of, day=self.day)
            state = attempt(as_of, events, self.states_unreadable, stream_id, "folded")
            if state is FAILED:
                return
        elif failed is not None:
            self.states_unreadable.add(failed.position, failed.problem, stream_id)
            return
        if state is not None:
            self.judge(state)

    def judge(self, state: CommitmentState) -> None:
        """Count a commitment as it stood on ``day`` for the scorecard, and note it
        when it is open but has had no evidence for over ``stale_days``."""
        self.current += 1
        tally([state], self.day, self.scores)
        if state.terminal:
            return
        self.open += 1
        last = state.last_evidence_on or state.made_on
        if (self.day - last).days > self.stale_days:
            self.stale.append(
                {
                    "id": state.id,
                    "title": state.title,
                    "status": state.status.value,
                    "last_evidence_on": last.isoformat(),
                    "days_without_evidence": (self.day - last).days,
                }
            )

    def rules(self, stream_id: str, events: list[DomainEvent]) -> None:
        found = attempt(breaches, events, self.rules_unreadable, stream_id, "judged")
        if found is FAILED:
            return
        commitment = stream_id.split(":", 1)[1]
        for breach in found:
            e = breach.event
            self.breaches.add(e.position, f"{commitment} entry #{e.version}: {breach.problem}")


def fold_log(
    tracker: Tracker,
    session: Session,
    judged: tuple[date, int],
    progress: Progress | None,
    jobs: int,
    events: int,
) -> Folded:
    """The one pass over the log in stream order, or, with more than one job, its
    ranges of streams folded by that many worker processes and taken in in order.
    ``judged``: the day staleness and the scorecard judge, and how many days without
    evidence make an open commitment stale.

    Workers read snapshots of their own, so they read no further than this one's last
    position: what a writer appends meanwhile is not theirs to judge. They connect to
    the database: a log in memory is folded in one pass.
    """
    folded = Folded(*judged, Comparison(session.projection_digests()))
    db = tracker.database
    parts = range_count(db, jobs, events)
    if db is None or parts == 1:
        _fold_range_into(folded, session, (None, None), None, progress)
    else:
        upto = session.last_position()
        tasks = [(span, upto) for span in session.stream_ranges(parts)]
        shared = (tracker.store, judged, folded.comparison.stored)
        for part in run_ranges(db, _fold_range, shared, tasks, jobs):
            folded.absorb(part)
            if progress:
                progress(part.events)
    folded.differences = folded.comparison.finish()
    return folded


def _fold_range_into(
    folded: Folded,
    session: Session,
    span: StreamRange,
    upto: Any,
    progress: Progress | None,
) -> None:
    for stream_id, events, bad in read_streams(session.read_fold_rows(streams=span, upto=upto)):
        folded.stream(stream_id, events, bad)
        folded.events += len(events) + len(bad)
        if progress:
            progress(len(events) + len(bad))


def _fold_range(
    db: Database,
    shared: tuple[EventStore, tuple[date, int], dict[Key, int]],
    task: tuple[StreamRange, Any],
) -> Folded:
    store, judged, stored = shared
    folded = Folded(*judged, Comparison(stored, keep_matched=True))
    with collector_paused(), SqlUnitOfWork(db, store).read() as session:
        _fold_range_into(folded, session, *task, None)
    folded.comparison.stored = {}  # the parent has them: send back only what was learnt
    return folded
