"""One operation measured in a fresh process: ``python -m benchmarks.probe WHAT URL``.

Peak memory is only meaningful for a process that did nothing else, so W4 and W7 run
here, and this prints the operation's duration (without interpreter start-up) and the
process's peak resident set as JSON. The peak comes from /proc's ``VmHWM``, which
counts this program's address space only: Linux starts a child's ``ru_maxrss`` at its
parent's, which after W3 is several hundred megabytes.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def rebuild(url: str) -> dict[str, object]:
    from tracker.service_layer.app import Tracker
    from tracker.service_layer.rebuild import rebuild_projections

    tracker = Tracker.open(url)
    started = time.perf_counter()
    report = rebuild_projections(tracker)
    seconds = time.perf_counter() - started
    tracker.close()
    return {"events": report.events, "seconds": seconds, "differences": len(report.differences)}


def audit_chain(url: str) -> dict[str, object]:
    from tracker.jobs.audit import verify_chain
    from tracker.service_layer.app import Tracker

    tracker = Tracker.open(url)
    started = time.perf_counter()
    with tracker.db.read() as conn:
        check = verify_chain(tracker.store, conn)
    seconds = time.perf_counter() - started
    tracker.close()
    return {"events": check.events, "seconds": seconds, "ok": check.ok}


PROBES = {"rebuild": rebuild, "audit-chain": audit_chain}


def main() -> None:
    what, url = sys.argv[1], sys.argv[2]
    print(json.dumps({**PROBES[what](url), "peak_mb": peak_mb()}))


if __name__ == "__main__":
    main()
