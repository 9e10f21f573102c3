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
import os
import resource
import sys
import threading
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


def _pss_kb(pid: str) -> int:
    """A process's proportional set size: each page it shares counted as its share,
    so that the sum over processes counts a page once (0 once the process is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: str) -> list[str]:
    found: list[str] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as listed:
                found += listed.read().split()
    except OSError:
        pass
    return found


class TreeMemory:
    """The peak of this process and its workers together, sampled every
    ``SAMPLE_S``: the sum of their Pss. Forked workers share their parent's pages
    until they write them, and ``VmHWM`` counts a shared page in every process that
    maps it; the sum of peaks (``peak_mb`` plus each worker's) is an upper bound that
    counts the parent's pages once per worker as well. Where /proc has no
    ``smaps_rollup`` the peak stays 0 (not measured)."""

    SAMPLE_S = 0.05

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = str(os.getpid())
        while not self._stop.wait(self.SAMPLE_S):
            total = sum(_pss_kb(pid) for pid in [me, *_children(me)])
            self.peak_kb = max(self.peak_kb, total)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


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
    with TreeMemory() as tree:
        figures = PROBES[what](url, *args)
    memory = {
        "peak_mb": peak_mb(),
        "workers_peak_mb": workers_peak_mb(),
        "tree_peak_mb": tree.peak_kb / 1024,
    }
    print(json.dumps({**figures, **memory}))


if __name__ == "__main__":
    main()
