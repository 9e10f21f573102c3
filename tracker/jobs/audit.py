"""The periodic audit: integrity, consistency, domain rules, staleness, the scorecard.

DESIGN.md lists five checks; the first (chain, contiguity, digest) is reported as two
results, ``chain`` and ``contiguity``, because they fail for different reasons and
call for different fixes. Only those two and ``projections`` fail the audit (exit 1):
they mean the record or what is shown of it cannot be trusted. Broken domain rules and
stale commitments are warnings for an editor; the scorecard is the compliance report
a periodic audit is also meant to be.

Every check reads one snapshot (``Database.read``); the run is then recorded as an
``AuditCompleted`` event in the ``audit`` stream, which extends the chain, so the head
the report names is the log *before* that event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection

from tracker.adapters.eventstore import ANY_VERSION, NewEvent, format_ts
from tracker.adapters.integrity import ChainCheck, Digest, Findings, verify_chain
from tracker.domain import events as ev
from tracker.domain.invariants import breaches
from tracker.domain.scorecard import scorecard
from tracker.service_layer.app import Tracker, recorder
from tracker.service_layer.projections import streams_in_order, to_domain
from tracker.service_layer.queries import View, actor_names, states
from tracker.service_layer.rebuild import check_projections

__all__ = ["AuditReport", "CheckResult", "run_audit", "verify_chain"]

DEFAULT_STALE_DAYS = 90
AUDIT_STREAM = "audit"
Outcome = Literal["pass", "fail", "warn", "info"]
Progress = Callable[[int], None]


@dataclass
class CheckResult:
    name: str
    outcome: Outcome
    summary: str
    findings: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0  # findings in all, of which the first few are listed

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
            "checks": [c.to_dict() for c in self.checks],
        }


def _from_findings(
    name: str, found: Findings, passed: str, failed: str, hint: str = ""
) -> CheckResult:
    if not found.total:
        return CheckResult(name, "pass", passed)
    first = found.items[0].position
    summary = f"{failed}: {found.total} problem(s), the first at position {first}{hint}"
    return CheckResult(name, "fail", summary, [f.to_dict() for f in found.items], found.total)


def _other_key(check: ChainCheck) -> bool:
    """Every link differs: the log was written with another TRACKER_AUDIT_KEY setting."""
    return bool(check.events) and check.chain.total >= check.events


def _chain_results(check: ChainCheck, keyed: bool) -> list[CheckResult]:
    kind = "keyed (HMAC-SHA-256)" if keyed else "SHA-256"
    passed = f"{check.events} events verified, {kind} chain intact"
    if check.digest is not None:
        passed += f"; extends the digest at position {check.digest.position}"
    hint = ""
    if _other_key(check):
        hint = (
            "; every hash differs: is TRACKER_AUDIT_KEY set exactly as when the log was "
            "written (or unset if it was not)?"
        )
    elif check.digest is not None and check.digest.keyed != keyed:
        hint = "; the digest was taken with a different TRACKER_AUDIT_KEY setting"
    chain = _from_findings("chain", check.chain, passed, "the hash chain is broken", hint)
    contiguity = _from_findings(
        "contiguity",
        check.contiguity,
        f"positions 1–{check.head_position} and every stream's versions are gap-free"
        if check.head_position
        else "the log is empty",
        "positions or versions have gaps",
    )
    return [chain, contiguity]


def _projection_result(
    tracker: Tracker, conn: Connection, progress: Progress | None
) -> CheckResult:
    differences = check_projections(tracker, conn, progress)
    if not differences:
        return CheckResult("projections", "pass", "every projection row equals a fresh fold")
    listed = [{"table": d.table, "key": d.key, "problem": d.problem} for d in differences[:50]]
    return CheckResult(
        "projections",
        "fail",
        f"{len(differences)} projection row(s) differ from the log; "
        "`tracker projections rebuild` restores them",
        listed,
        len(differences),
    )


def _invariant_result(tracker: Tracker, conn: Connection) -> CheckResult:
    found = Findings()
    streams = 0
    stored = tracker.store.read_by_stream(conn, prefix="commitment:")
    for stream_id, events in streams_in_order(stored):
        streams += 1
        by_version = {e.version: e.position for e in events}
        for breach in breaches(to_domain(e) for e in events):
            commitment = stream_id.split(":", 1)[1]
            found.add(
                by_version.get(breach.event.version),
                f"{commitment} entry #{breach.event.version}: {breach.problem}",
            )
    if not found.total:
        return CheckResult("invariants", "pass", f"{streams} commitments obey the domain rules")
    return CheckResult(
        "invariants",
        "warn",
        f"{found.total} entries break a domain rule (retract or correct them)",
        [f.to_dict() for f in found.items],
        found.total,
    )


def _staleness_result(today: date, stale_days: int, open_states: list[Any]) -> CheckResult:
    cutoff = today - timedelta(days=stale_days)
    stale = []
    for s in open_states:
        last = s.last_evidence_on or s.made_on
        if last < cutoff:
            stale.append(
                {
                    "id": s.id,
                    "title": s.title,
                    "status": s.status.value,
                    "last_evidence_on": last.isoformat(),
                    "days_without_evidence": (today - last).days,
                }
            )
    stale.sort(key=lambda r: (-r["days_without_evidence"], r["id"]))
    if not stale:
        return CheckResult(
            "staleness",
            "pass",
            f"every open commitment has evidence from the last {stale_days} days",
        )
    return CheckResult(
        "staleness",
        "warn",
        f"{len(stale)} of {len(open_states)} open commitments have no evidence for "
        f"over {stale_days} days",
        stale,
        len(stale),
    )


def run_audit(
    tracker: Tracker,
    now: datetime,
    *,
    stale_days: int = DEFAULT_STALE_DAYS,
    digest: Digest | None = None,
    record: bool = True,
    progress: Progress | None = None,
) -> AuditReport:
    """Run every check on one snapshot and, unless ``record`` is false or the log was
    written with another key, append the outcome as an ``AuditCompleted`` event (one
    per ``now``: a retried run adds none).

    ``progress`` is told of events as the chain and projection passes read them (the
    log is read twice, so the total is twice its length).
    """
    today = now.date()
    keyed = tracker.store.chain.keyed
    with tracker.db.read() as conn:
        chain = verify_chain(tracker.store, conn, digest=digest, progress=progress)
        checks = _chain_results(chain, keyed)
        checks.append(_projection_result(tracker, conn, progress))
        checks.append(_invariant_result(tracker, conn))
        current = list(states(tracker, conn, View(today=today)))
        names = actor_names(conn)
    open_states = [s for s in current if not s.terminal]
    checks.append(_staleness_result(today, stale_days, open_states))
    cards = scorecard(current, today, names)
    checks.append(
        CheckResult(
            "scorecard",
            "info",
            f"{len(cards)} actors, {len(current)} commitments, {len(open_states)} open",
            [c.to_dict() for c in cards],
            len(cards),
        )
    )
    report = AuditReport(
        now, stale_days, chain.events, chain.head_position, chain.head_hash, keyed, checks
    )
    if record and not _other_key(chain):
        # Linked under the wrong key, the audit's own event would break the chain for good.
        report.recorded_at_position = _record(tracker, report)
    return report


def _record(tracker: Tracker, report: AuditReport) -> int:
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
        {"recorded_by": recorder(), "command": "audit"},
        idempotency_key=f"audit:{format_ts(report.now)}",
    )
    with tracker.db.write() as conn:
        result = tracker.store.append(conn, AUDIT_STREAM, ANY_VERSION, [event])
    return result.positions[0]
