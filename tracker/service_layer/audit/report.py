"""The audit's report: each check's result, the whole run's, and its record in the log.

The run is recorded as an ``AuditCompleted`` event in the ``audit`` stream, which
extends the chain, so the head the report names is the log *before* that event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from tracker.adapters.eventstore import ANY_VERSION, NewEvent, format_ts
from tracker.domain import events as ev
from tracker.domain import streams
from tracker.service_layer.app import Tracker, os_user

Outcome = Literal["pass", "fail", "warn", "info"]


@dataclass
class CheckResult:
    name: str
    outcome: Outcome
    summary: str
    findings: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0  # findings in all, of which the first few are listed
    # Rows of the log this check could not read (position, stream, problem), first few.
    unreadable: list[dict[str, Any]] = field(default_factory=list)
    unreadable_total: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome != "fail"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "outcome": self.outcome,
            "ok": self.ok,
            "summary": self.summary,
            "total": self.total,
            "findings": self.findings,
            "unreadable_total": self.unreadable_total,
            "unreadable": self.unreadable,
        }


@dataclass
class AuditReport:
    now: datetime
    stale_days: int
    events: int
    head_position: int
    head_hash: str
    keyed: bool
    checks: list[CheckResult]
    recorded_at_position: int | None = None
    not_recorded: str | None = None  # why the run could not be recorded, if it was not

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def check(self, name: str) -> CheckResult:
        return next(c for c in self.checks if c.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "audited_at": format_ts(self.now),
            "events": self.events,
            "head": {"position": self.head_position, "hash": self.head_hash},
            "keyed": self.keyed,
            "stale_days": self.stale_days,
            "recorded_at_position": self.recorded_at_position,
            "not_recorded": self.not_recorded,
            "checks": [c.to_dict() for c in self.checks],
        }


def record_run(tracker: Tracker, report: AuditReport) -> int:
    data = {
        "ok": report.ok,
        "head": {"position": report.head_position, "hash": report.head_hash},
        "events": report.events,
        "stale_days": report.stale_days,
        "checks": {
            c.name: {"outcome": c.outcome, "total": c.total, "summary": c.summary}
            for c in report.checks
        },
    }
    event = NewEvent(
        ev.AUDIT_COMPLETED,
        data,
        report.now,
        {"recorded_by": os_user(), "command": "audit"},
        idempotency_key=f"audit:{format_ts(report.now)}",
    )
    with tracker.uow.write() as session:
        result = session.append(streams.AUDIT, ANY_VERSION, [event])
    return result.positions[0]
