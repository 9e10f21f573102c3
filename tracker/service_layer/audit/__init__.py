"""The periodic audit: integrity, consistency, domain rules, staleness, the scorecard.

DESIGN.md lists five checks; the first (chain, contiguity, digest) is reported as two
results, ``chain`` and ``contiguity``, because they fail for different reasons and
call for different fixes. Every check reads one snapshot (``Database.read``): the
chain check (``tracker.adapters.integrity``) reads the stored text in position order;
one pass in stream order then serves the four checks that fold the log.

Given more than one job, both passes are split into ranges (of positions, then of
streams) read by worker processes over connections of their own, no further than this
snapshot's last position (``tracker.adapters.parallel``); their findings are merged in
log order, so the report is the one pass's.

Staleness and the scorecard judge the log as of the audit's day, like ``--as-of``:
entries dated after it are left out, so an audit ``--now`` in the past reports what
was stale and kept on that day. The integrity checks always cover the whole log.

One job a module:

- ``reader.py``: the log read row by row, trusting none (it may have been tampered
  with), and the bisection that finds the event a fold fails from;
- ``checks.py``: the one folding pass and what each check learns from it;
- ``outcomes.py``: each check's outcome and summary, and what fails the audit;
- ``report.py``: the report, and its record in the log as ``AuditCompleted``;
- ``run.py``: ``run_audit``, all of them on one snapshot.
"""

from tracker.adapters.integrity import BrokenChain, ChainDigest, verify_chain
from tracker.service_layer.audit.reader import KNOWN_TYPES
from tracker.service_layer.audit.report import AuditReport, CheckResult
from tracker.service_layer.audit.run import run_audit, take_digest

__all__ = [
    "KNOWN_TYPES",
    "AuditReport",
    "BrokenChain",
    "ChainDigest",
    "CheckResult",
    "run_audit",
    "take_digest",
    "verify_chain",
]
