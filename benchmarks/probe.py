"""One operation measured in a fresh process: ``python -m benchmarks.probe WHAT URL [ARGS]``.

Peak memory is only meaningful for a process that did nothing else, so the rebuild,
the audit and the chain check run here, and this prints the operation's duration
(without interpreter start-up) and peak memory as JSON. The peak comes from /proc's
``VmHWM``, which counts this program's address space only: Linux starts a child's
``ru_maxrss`` at its parent's, which after W3 is several hundred megabytes. Workers
the operation starts (``--jobs``) are reported apart, as the largest one's peak.

``cli`` runs a ``tracker`` command line in this process, through click, as the
console script would: whatever the command does today (parallel or not) is measured.
"""

from __future__ import annotations

import inspect
import io
import json
import resource
import sys
import time
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any


def peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def workers_peak_mb() -> float:
    """The largest peak of the child processes that ended (0 when there were none)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def cli(url: str, *args: str) -> dict[str, object]:
    """``tracker --db URL ARGS…``: its seconds, exit status and output's size."""
    from tracker.cli.main import cli as tracker_cli

    out = io.StringIO()
    started = time.perf_counter()
    with redirect_stdout(out):
        try:
            status = tracker_cli.main(["--db", url, *args], standalone_mode=False)
        except SystemExit as exc:
            status = exc.code
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "exit": status or 0, "output_chars": len(out.getvalue())}


def chain(url: str, jobs: str = "1") -> dict[str, object]:
    """The audit's chain check alone, given ``jobs`` workers if it takes them."""
    from tracker.service_layer.app import Tracker
    from tracker.service_layer.audit import verify_chain

    takes_jobs = "jobs" in inspect.signature(verify_chain).parameters
    options: dict[str, Any] = {"jobs": int(jobs)} if takes_jobs else {}
    tracker = Tracker.open(url)
    started = time.perf_counter()
    with tracker.db.read() as conn:
        check = verify_chain(tracker.store, conn, **options)
    seconds = time.perf_counter() - started
    tracker.close()
    return {"events": check.events, "seconds": seconds, "ok": check.ok, "jobs": bool(options)}


PROBES: dict[str, Callable[..., dict[str, object]]] = {"cli": cli, "chain": chain}


def main() -> None:
    what, url, *args = sys.argv[1:]
    figures = PROBES[what](url, *args)
    print(json.dumps({**figures, "peak_mb": peak_mb(), "workers_peak_mb": workers_peak_mb()}))


if __name__ == "__main__":
    main()
