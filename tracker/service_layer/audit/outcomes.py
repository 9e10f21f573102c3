"""Each check's outcome, in words: what passed, failed or warns, and what to do.

Only ``chain``, ``contiguity`` and ``projections`` fail the audit: they mean the record
or what is shown of it cannot be trusted. Broken domain rules and stale commitments
are warnings for an editor; the scorecard is information. A check that could not read
every row it needed fails, whatever its outcome otherwise.
"""

from __future__ import annotations

from tracker.adapters.integrity import ChainCheck, Findings
from tracker.domain.scorecard import ranked
from tracker.domain.words import plural
from tracker.service_layer.audit.checks import Folded
from tracker.service_layer.audit.report import CheckResult


def _from_findings(
    name: str, found: Findings, passed: str, failed: str, hint: str = ""
) -> CheckResult:
    if not found.total:
        return CheckResult(name, "pass", passed)
    first = found.items[0].position
    summary = f"{failed}: {plural(found.total, 'problem')}, the first at position {first}{hint}"
    return CheckResult(name, "fail", summary, [f.to_dict() for f in found.items], found.total)


def chain_results(check: ChainCheck, keyed: bool) -> list[CheckResult]:
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


def _unreadable_part(found: Findings) -> str:
    first = found.items[0]
    at = "without a position" if first.position is None else f"at position {first.position}"
    return (
        f"{plural(found.total, 'row')} of the log cannot be read, the first {at} "
        f"({first.stream}): their streams are left out"
    )


def with_unreadable(result: CheckResult, found: Findings) -> CheckResult:
    """``result``, failed and saying so, when the check could not read every row."""
    if not found.total:
        return result
    result.outcome = "fail"
    result.summary = f"{_unreadable_part(found)}; {result.summary}"
    result.unreadable = [f.to_dict() for f in found.items]
    result.unreadable_total = found.total
    return result


def projection_result(folded: Folded, log_intact: bool) -> CheckResult:
    differences = folded.differences
    if not differences:
        return with_unreadable(
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
    return with_unreadable(result, folded.unreadable)


def invariant_result(folded: Folded) -> CheckResult:
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
    return with_unreadable(result, folded.rules_unreadable)


def staleness_result(folded: Folded) -> CheckResult:
    stale_days = folded.stale_days
    stale = sorted(folded.stale, key=lambda r: (-r["days_without_evidence"], r["id"]))
    if not stale:
        result = CheckResult(
            "staleness",
            "pass",
            f"every open commitment has evidence from the last {stale_days} days",
        )
    else:
        result = CheckResult(
            "staleness",
            "warn",
            f"{len(stale)} of {folded.open} open commitments have no evidence for "
            f"over {stale_days} days",
            stale,
            len(stale),
        )
    return with_unreadable(result, folded.states_unreadable)


def scorecard_result(folded: Folded) -> CheckResult:
    cards = ranked(folded.scores.values(), folded.names)
    return with_unreadable(
        CheckResult(
            "scorecard",
            "info",
            f"{len(cards)} actors, {folded.current} commitments, {folded.open} open",
            [c.to_dict() for c in cards],
            len(cards),
        ),
        folded.states_unreadable,
    )
