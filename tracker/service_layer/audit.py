"""The periodic audit: integrity, consistency, domain rules, staleness, the scorecard.

DESIGN.md lists five checks; the first (chain, contiguity, digest) is reported as two
results, ``chain`` and ``contiguity``, because they fail for different reasons and
call for different fixes. Only those two and ``projections`` fail the audit (exit 1):
they mean the record or what is shown of it cannot be trusted. Broken domain rules and
stale commitments are warnings for an editor; the scorecard is the compliance report
a periodic audit is also meant to be.

Every check reads one snapshot (``Database.read``): the chain check reads the stored
text in position order; one pass in stream order then serves the four checks that
fold the log (projections, rules, staleness, scorecard). The audit is run on logs
that may have been tampered with, so that pass reads each row itself: a row whose
payload is not a JSON object, whose date does not parse, whose type its stream does
not know or whose payload the fold cannot apply is a finding, naming its position and
stream, of every check that needed it, and its stream is left out of that check. Such
a check fails, whatever its outcome otherwise, because it could not judge everything.

Given more than one job, both passes are split into ranges (of positions, then of
streams) read by worker processes over connections of their own, no further than this
snapshot's last position (``tracker.adapters.parallel``); their findings are merged in
log order, so the report is the one pass's.

Staleness and the scorecard judge the log as of the audit's day, like ``--as-of``:
entries dated after it are left out, so an audit ``--now`` in the past reports what
was stale and kept on that day. The integrity checks always cover the whole log.

The run is then recorded as an ``AuditCompleted`` event in the ``audit`` stream, which
extends the chain, so the head the report names is the log *before* that event. The
event store refuses to link it to a head that does not verify with this process's
key, and then the run is reported but not recorded.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import Any, Literal

from sqlalchemy import Connection

from tracker.adapters.db import Database
from tracker.adapters.eventstore import (
    ANY_VERSION,
    ChainMismatch,
    EventStore,
    NewEvent,
    Row,
    StreamRange,
    format_ts,
    parse_ts,
    upcast,
)
from tracker.adapters.integrity import ChainCheck, ChainDigest, Finding, Findings, verify_chain
from tracker.adapters.parallel import range_count, run_ranges
from tracker.adapters.projection_sql import Key, Rows, stored_digests
from tracker.config import DEFAULT_STALE_DAYS
from tracker.domain import events as ev
from tracker.domain import streams
from tracker.domain.commitment import CommitmentState, fold
from tracker.domain.events import DomainEvent
from tracker.domain.invariants import breaches
from tracker.domain.scorecard import Score, add_tallies, ranked, tally
from tracker.domain.words import plural
from tracker.service_layer.app import Tracker, collector_paused, os_user
from tracker.service_layer.projections import (
    FOLD_ERRORS,
    Comparison,
    Days,
    Difference,
    commitment_rows,
    rows_for_stream,
)
from tracker.service_layer.queries import View, commitment_as_of

__all__ = ["AuditReport", "CheckResult", "run_audit", "verify_chain"]

Outcome = Literal["pass", "fail", "warn", "info"]
Progress = Callable[[int], None]

# The event types of the streams the projections are folded from; the fold would pass
# over a row of another type in silence, so it cannot be read. (The jobs' own streams
# feed no check: their types are theirs to extend.)
KNOWN_TYPES = {kind: ev.types_in(kind) for kind in streams.FOLDED}
_decode = json.JSONDecoder().raw_decode


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


def _from_findings(
    name: str, found: Findings, passed: str, failed: str, hint: str = ""
) -> CheckResult:
    if not found.total:
        return CheckResult(name, "pass", passed)
    first = found.items[0].position
    summary = f"{failed}: {plural(found.total, 'problem')}, the first at position {first}{hint}"
    return CheckResult(name, "fail", summary, [f.to_dict() for f in found.items], found.total)


def _chain_results(check: ChainCheck, keyed: bool) -> list[CheckResult]:
    kind = "keyed (HMAC-SHA-256)" if keyed else "SHA-256"
    passed = f"{check.events} events verified, {kind} chain intact"
    if check.digest is not None:
        passed += f"; extends the digest at position {check.digest.position}"
    hint = ""
    if check.events and check.chain.total >= check.events:
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


# --- reading the log in stream order, whatever was done to it ------------------------


class _Unreadable(ValueError):
    """A stored row that cannot become a domain event; the message says why."""


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"its payload lacks {exc.args[0]!r}" if exc.args else "its payload lacks a key"
    if isinstance(exc, ValueError):
        return str(exc)
    return f"its payload does not fit ({type(exc).__name__}: {exc})"


class _Timestamps(Days):
    """The day of each ``occurred_at`` that is a whole timestamp, parsed once."""

    def __missing__(self, occurred: str) -> date:
        parse_ts(occurred)
        return super().__missing__(occurred)


def _event(row: Row, kind: str, days: _Timestamps) -> DomainEvent:
    """One row of ``EventStore.read_fold_rows`` as a domain event, as
    ``projections.domain_streams`` makes it, or :class:`_Unreadable` saying why not."""
    position, _, version, type_, schema_version, data, occurred = row
    if type(position) is not int or type(version) is not int:
        raise _Unreadable(f"position {position!r}, version {version!r}: not whole numbers")
    known = KNOWN_TYPES.get(kind)
    if known is not None and type_ not in known:
        raise _Unreadable(f"unknown event type {type_!r} in a {kind} stream")
    try:
        payload, end = _decode(data)
    except (TypeError, ValueError) as exc:
        raise _Unreadable(f"data is not valid JSON ({exc})") from None
    if end != len(data):
        raise _Unreadable(f"data is not valid JSON (text after the payload, at {end})")
    if not isinstance(payload, dict):
        raise _Unreadable(f"data is not a JSON object but {type(payload).__name__}")
    try:
        on = days[occurred]
    except (TypeError, ValueError):
        raise _Unreadable(f"occurred_at {occurred!r} is not a timestamp") from None
    try:
        payload = upcast(type_, schema_version, payload)[1]
    except FOLD_ERRORS as exc:
        raise _Unreadable(
            f"cannot upcast {type_} from schema version {schema_version}: {_reason(exc)}"
        ) from None
    return DomainEvent(type_, on, payload, version, position)


def _streams(
    store: EventStore, conn: Connection, span: StreamRange, upto: Any
) -> Iterator[tuple[str, list[DomainEvent], list[Finding]]]:
    """Each stream's readable events in version order, and findings for the rest."""
    rows = itertools.chain.from_iterable(store.read_fold_rows(conn, streams=span, upto=upto))
    days = _Timestamps()
    for stream_id, group in itertools.groupby(rows, key=itemgetter(1)):
        kind = stream_id.partition(":")[0]
        events: list[DomainEvent] = []
        bad: list[Finding] = []
        for row in group:
            try:
                events.append(_event(row, kind, days))
            except _Unreadable as exc:
                at = row[0] if type(row[0]) is int else None
                bad.append(Finding(at, str(exc), stream_id))
        yield stream_id, events, bad


def _culprit(events: Sequence[DomainEvent], judge: Callable[[list[DomainEvent]], Any]) -> int:
    """The position of the event (in version order) from which ``judge`` fails: the
    shortest failing prefix, found by bisection (``judge`` of all of them fails)."""
    ok, failing = 0, len(events)
    while failing - ok > 1:
        middle = (ok + failing) // 2
        try:
            judge(list(events[:middle]))
        except FOLD_ERRORS:
            failing = middle
        else:
            ok = middle
    return events[failing - 1].position


_FAILED: Any = object()


def _attempt(
    judge: Callable[[list[DomainEvent]], Any],
    events: list[DomainEvent],
    found: Findings,
    stream_id: str,
    verb: str,
) -> Any:
    """``judge(events)``, or ``_FAILED`` once the event it fails from is in ``found``."""
    try:
        return judge(events)
    except FOLD_ERRORS as exc:
        found.add(_culprit(events, judge), f"cannot be {verb}: {_reason(exc)}", stream_id)
        return _FAILED


def _commitment_rows(_: str, events: list[DomainEvent]) -> Rows:
    state = fold(events)
    return commitment_rows(state) if state else {}


@dataclass
class _Folded:
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

    def absorb(self, other: _Folded) -> None:
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
        position = _culprit(events, lambda prefix: judge(stream_id, prefix))
        problem = f"cannot be folded: {_reason(exc)}"
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
            failed = self.cannot_fold(stream_id, events, _commitment_rows, exc)
        else:
            self.comparison.feed(rows)
        self.rules(stream_id, events)
        # Staleness and the scorecard: the commitment as it stood on the audit's day.
        if any(e.on > self.day for e in events):
            as_of = functools.partial(commitment_as_of, day=self.day)
            state = _attempt(as_of, events, self.states_unreadable, stream_id, "folded")
            if state is _FAILED:
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
        found = _attempt(breaches, events, self.rules_unreadable, stream_id, "judged")
        if found is _FAILED:
            return
        commitment = stream_id.split(":", 1)[1]
        for breach in found:
            e = breach.event
            self.breaches.add(e.position, f"{commitment} entry #{e.version}: {breach.problem}")


def _fold_log(
    tracker: Tracker,
    conn: Connection,
    judged: tuple[date, int],
    progress: Progress | None,
    jobs: int,
    events: int,
) -> _Folded:
    """The one pass over the log in stream order, or, with more than one job, its
    ranges of streams folded by that many worker processes and taken in in order.
    ``judged``: the day staleness and the scorecard judge, and how many days without
    evidence make an open commitment stale.

    Workers read snapshots of their own, so they read no further than this one's last
    position: what a writer appends meanwhile is not theirs to judge.
    """
    store = tracker.store
    folded = _Folded(*judged, Comparison(stored_digests(conn)))
    parts = range_count(tracker.db, jobs, events)
    if parts == 1:
        _fold_range_into(folded, store, conn, (None, None), None, progress)
    else:
        upto = store.last_position(conn)
        tasks = [(span, upto) for span in store.stream_ranges(conn, parts)]
        shared = (store, judged, folded.comparison.stored)
        for part in run_ranges(tracker.db, _fold_range, shared, tasks, jobs):
            folded.absorb(part)
            if progress:
                progress(part.events)
    folded.differences = folded.comparison.finish()
    return folded


def _fold_range_into(
    folded: _Folded,
    store: EventStore,
    conn: Connection,
    span: StreamRange,
    upto: Any,
    progress: Progress | None,
) -> None:
    for stream_id, events, bad in _streams(store, conn, span, upto):
        folded.stream(stream_id, events, bad)
        folded.events += len(events) + len(bad)
        if progress:
            progress(len(events) + len(bad))


def _fold_range(
    db: Database,
    shared: tuple[EventStore, tuple[date, int], dict[Key, int]],
    task: tuple[StreamRange, Any],
) -> _Folded:
    store, judged, stored = shared
    folded = _Folded(*judged, Comparison(stored, keep_matched=True))
    with collector_paused(), db.read() as conn:
        _fold_range_into(folded, store, conn, *task, None)
    folded.comparison.stored = {}  # the parent has them: send back only what was learnt
    return folded


# --- the checks that fold the log ----------------------------------------------------


def _unreadable_part(found: Findings) -> str:
    first = found.items[0]
    at = "without a position" if first.position is None else f"at position {first.position}"
    return (
        f"{plural(found.total, 'row')} of the log cannot be read, the first {at} "
        f"({first.stream}): their streams are left out"
    )


def _with_unreadable(result: CheckResult, found: Findings) -> CheckResult:
    """``result``, failed and saying so, when the check could not read every row."""
    if not found.total:
        return result
    result.outcome = "fail"
    result.summary = f"{_unreadable_part(found)}; {result.summary}"
    result.unreadable = [f.to_dict() for f in found.items]
    result.unreadable_total = found.total
    return result


def _projection_result(folded: _Folded, log_intact: bool) -> CheckResult:
    differences = folded.differences
    if not differences:
        return _with_unreadable(
            CheckResult("projections", "pass", "every projection row equals a fresh fold"),
            folded.unreadable,
        )
    if log_intact and not folded.unreadable.total:
        advice = "`tracker projections rebuild` restores them"
    else:
        # A rebuild derives the projections from the log: from a damaged one it would
        # only make them agree with the damage.
        advice = (
            "the log itself is damaged, so do not rebuild them from it before finding out "
            "what was changed"
        )
    listed = [{"table": d.table, "key": d.key, "problem": d.problem} for d in differences[:50]]
    result = CheckResult(
        "projections",
        "fail",
        f"{plural(len(differences), 'projection row')} "
        f"{'differs' if len(differences) == 1 else 'differ'} from the log; {advice}",
        listed,
        len(differences),
    )
    return _with_unreadable(result, folded.unreadable)


def _invariant_result(folded: _Folded) -> CheckResult:
    found = folded.breaches
    if not found.total:
        result = CheckResult(
            "invariants", "pass", f"{folded.commitments} commitments obey the domain rules"
        )
    else:
        result = CheckResult(
            "invariants",
            "warn",
            f"{found.total} entries break a domain rule (retract or correct them)",
            [f.to_dict() for f in found.items],
            found.total,
        )
    return _with_unreadable(result, folded.rules_unreadable)


def _staleness_result(folded: _Folded) -> CheckResult:
    stale_days = folded.stale_days
    stale = sorted(folded.stale, key=lambda r: (-r["days_without_evidence"], r["id"]))
    if not stale:
        return CheckResult(
            "staleness",
            "pass",
            f"every open commitment has evidence from the last {stale_days} days",
        )
    return CheckResult(
        "staleness",
        "warn",
        f"{len(stale)} of {folded.open} open commitments have no evidence for "
        f"over {stale_days} days",
        stale,
        len(stale),
    )


def run_audit(
    tracker: Tracker,
    now: datetime,
    *,
    stale_days: int = DEFAULT_STALE_DAYS,
    digest: ChainDigest | None = None,
    record: bool = True,
    progress: Progress | None = None,
    jobs: int = 1,
) -> AuditReport:
    """Run every check on one snapshot and, unless ``record`` is false, append the
    outcome as an ``AuditCompleted`` event (one per ``now``: a retried run adds none).

    Staleness and the scorecard are judged on ``now``'s day from the entries dated up
    to it. A log whose head does not verify with this process's key (another
    ``TRACKER_AUDIT_KEY``, or a tampered head) is reported but not recorded: the event
    store refuses the append, and ``not_recorded`` says why.

    ``progress`` is told of events as the chain and fold passes read them (the log is
    read twice, so the total is twice its length). With more than one job, both
    passes over a long log are split between that many worker processes, with the
    same outcome.
    """
    today = View.at(now).day
    keyed = tracker.store.chain.keyed
    with collector_paused(), tracker.db.read() as conn:
        chain = verify_chain(tracker.store, conn, digest=digest, progress=progress, jobs=jobs)
        folded = _fold_log(tracker, conn, (today, stale_days), progress, jobs, chain.events)
    checks = _chain_results(chain, keyed)
    checks.append(_projection_result(folded, chain.ok))
    checks.append(_invariant_result(folded))
    checks.append(_with_unreadable(_staleness_result(folded), folded.states_unreadable))
    cards = ranked(folded.scores.values(), folded.names)
    checks.append(
        _with_unreadable(
            CheckResult(
                "scorecard",
                "info",
                f"{len(cards)} actors, {folded.current} commitments, {folded.open} open",
                [c.to_dict() for c in cards],
                len(cards),
            ),
            folded.states_unreadable,
        )
    )
    report = AuditReport(
        now, stale_days, chain.events, chain.head_position, chain.head_hash, keyed, checks
    )
    if record:
        try:
            report.recorded_at_position = _record(tracker, report)
        except ChainMismatch as exc:
            report.not_recorded = str(exc)
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
        {"recorded_by": os_user(), "command": "audit"},
        idempotency_key=f"audit:{format_ts(report.now)}",
    )
    with tracker.db.write() as conn:
        result = tracker.store.append(conn, streams.AUDIT, ANY_VERSION, [event])
    return result.positions[0]
