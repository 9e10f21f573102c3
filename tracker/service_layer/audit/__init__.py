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

The package: ``reader.py`` reads the log tolerantly (and bisects a failing fold),
``checks.py`` is the one pass that folds it, ``outcomes.py`` says each check's outcome,
``report.py`` holds the report and records it, and ``run.py`` runs them on a snapshot.
"""

from tracker.adapters.integrity import verify_chain
from tracker.service_layer.audit.reader import KNOWN_TYPES
from tracker.service_layer.audit.report import AuditReport, CheckResult
from tracker.service_layer.audit.run import run_audit

__all__ = ["KNOWN_TYPES", "AuditReport", "CheckResult", "run_audit", "verify_chain"]
