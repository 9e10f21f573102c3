"""``run_audit``: every check on one snapshot, and the run recorded."""

from __future__ import annotations

from datetime import datetime

from tracker.adapters.eventstore import ChainMismatch
from tracker.adapters.integrity import ChainDigest, digest_of
from tracker.config import DEFAULT_STALE_DAYS
from tracker.service_layer.app import Tracker, collector_paused
from tracker.service_layer.audit.checks import Progress, fold_log
from tracker.service_layer.audit.outcomes import (
    chain_results,
    invariant_result,
    projection_result,
    scorecard_result,
    staleness_result,
)
from tracker.service_layer.audit.report import AuditReport, record_run
from tracker.service_layer.queries import View


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
    keyed = tracker.uow.chain.keyed
    with collector_paused(), tracker.uow.read() as session:
        chain = session.verify_chain(digest=digest, progress=progress, jobs=jobs)
        folded = fold_log(tracker, session, (today, stale_days), progress, jobs, chain.events)
    checks = chain_results(chain, keyed)
    checks.append(projection_result(folded, chain.ok))
    checks.append(invariant_result(folded))
    checks.append(staleness_result(folded))
    checks.append(scorecard_result(folded))
    report = AuditReport(
        now, stale_days, chain.events, chain.head_position, chain.head_hash, keyed, checks
    )
    if record:
        try:
            report.recorded_at_position = record_run(tracker, report)
        except ChainMismatch as exc:
            report.not_recorded = str(exc)
    return report


def take_digest(
    tracker: Tracker, *, progress: Progress | None = None, jobs: int = 1
) -> ChainDigest:
    """The head of the log, if its every link verifies (``BrokenChain`` otherwise): what
    a later audit's ``--digest`` checks is still there, unchanged."""
    with collector_paused(), tracker.uow.read() as session:
        check = session.verify_chain(progress=progress, jobs=jobs)
    return digest_of(check, tracker.uow.chain.keyed)
