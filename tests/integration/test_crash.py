"""A process killed in the middle of a command leaves the log and projections consistent.

The import is the longest single transaction the tracker runs, so it is the command to
kill: whatever moment the SIGKILL lands, the database afterwards holds either nothing of
the file or all of it, the audit finds the chain intact and the projections equal to
the log, and running the import again completes it exactly once.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from support.procs import processes, run_tracker

COMMITMENTS = 1000
EVENTS_PER_FILE = COMMITMENTS * 3  # made, progress, note


def big_file(path: Path, prefix: str) -> Path:
    lines = [
        "format: commitments/v1",
        "actors:",
        "  - {id: mx, name: Mexico, kind: government}",
        "sources:",
        "  - {id: s1, publisher: EFE, published: 2024-01-20, language: es}",
        "commitments:",
    ]
    for i in range(COMMITMENTS):
        lines += [
            f"  - id: {prefix}-{i}",
            f"    title: Pledge {prefix} number {i}",
            "    made_by: [mx]",
            "    made_on: 2024-01-19",
            "    due: early February 2024",
            "    history:",
            "      - {on: 2024-01-25, kind: progress, source: s1, note: talks began}",
            "      - {on: 2024-01-30, kind: note, note: still on track}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def counts(db_url: str) -> tuple[int, int]:
    """Events in the log and commitments in the projection."""
    listing = run_tracker("--db", db_url, "status", "--format", "json", env={})
    assert listing.returncode == 0, listing.stderr
    events = run_tracker("--db", db_url, "events", env={})
    return len(events.stdout.splitlines()), len(json.loads(listing.stdout))


def audit_ok(db_url: str) -> None:
    audit = run_tracker("--db", db_url, "audit", "--no-record", "--format", "json", env={})
    report = json.loads(audit.stdout)
    by_name = {c["name"]: c for c in report["checks"]}
    for name in ("chain", "contiguity", "projections"):
        assert by_name[name]["outcome"] == "pass", by_name[name]
    assert audit.returncode == 0


def import_file(db_url: str, path: Path) -> None:
    done = run_tracker("--db", db_url, "import", str(path), env={})
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_an_import_killed_midway_leaves_nothing_or_everything(db_url: str, tmp_path: Path) -> None:
    first, second = big_file(tmp_path / "a.yaml", "a"), big_file(tmp_path / "b.yaml", "b")
    # The first import tells how long one takes here, so that the kill of the second
    # lands late in its run (most likely inside its write transaction) on any machine.
    started = time.monotonic()
    import_file(db_url, first)
    took = time.monotonic() - started
    before = counts(db_url)
    assert before == (2 + EVENTS_PER_FILE, COMMITMENTS)

    with processes(tmp_path, {}) as procs:
        proc = procs.spawn("--db", db_url, "import", str(second))
        time.sleep(took * 0.8)
        proc.popen.send_signal(signal.SIGKILL)
        proc.popen.wait(timeout=30)
    after = (before[0] + EVENTS_PER_FILE, 2 * COMMITMENTS)
    assert counts(db_url) in {before, after}, procs.outputs()
    audit_ok(db_url)

    import_file(db_url, second)
    assert counts(db_url) == after
    audit_ok(db_url)
