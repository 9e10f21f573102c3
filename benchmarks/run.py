"""``python -m benchmarks``: run the workloads, print the table, write the JSON.

SQLite always runs; ``--db postgresql://…`` adds PostgreSQL beside it (the role needs
CREATEDB: every workload gets a fresh database, dropped at the end). ``--quick``
runs the whole table at small sizes in a couple of minutes on two cores (and says
so: its ratios are a smoke reading, not the goals'); the default sizes are the goal
table's (1M events for the rebuild and the audit).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from dataclasses import asdict, replace
from typing import Any

MISSING_EXTRA = (
    "the benchmarks compare tracker with the eventsourcing library; install it with\n"
    "  pip install 'tracker[bench]'            (SQLite)\n"
    "  pip install 'tracker[bench,postgres]'   (and --db postgresql://…)"
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="tracker's speed goals, measured against eventsourcing and the raw "
        "database on this machine.",
    )
    p.add_argument(
        "--quick", action="store_true", help="the whole table at small sizes: a couple of minutes"
    )
    p.add_argument("--db", metavar="URL", help="also run on PostgreSQL (postgresql://…)")
    p.add_argument(
        "--db-only",
        action="store_true",
        help="with --db: PostgreSQL only, not SQLite (e.g. a PostgreSQL run of its own)",
    )
    p.add_argument("--json", metavar="FILE", help="write every figure, ratio and goal here")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--only", metavar="W1,W3", help="run only these workloads")
    p.add_argument("--commands", type=int, help="W1/W2: commands (default 3000)")
    p.add_argument("--import-events", type=int, help="W3: events in the file (default 100k)")
    p.add_argument(
        "--rebuild-events", type=int, help="W4/W7/W8/W5L: events in the log (default 1M)"
    )
    p.add_argument(
        "--status-events", type=int, help="W5/W6/T1/P1: events, ~10 per commitment (100k)"
    )
    p.add_argument("--export-commitments", type=int, help="X1: commitments exported (20k)")
    p.add_argument("--repeat", type=int, help="repetitions, of which the best counts (3)")
    p.add_argument("--workdir", help="where SQLite files go (default: a temporary directory)")
    p.add_argument("--seed", type=int, default=2024, help="seed of the generated data")
    return p


def describe(sizes: Any) -> str:
    """The sizes of this run, in one line above the table."""
    return (
        f"sizes: W1/W2 {sizes.commands:,} commands; W3 {sizes.import_events:,} events; "
        f"W4/W7/W8/W5L {sizes.rebuild_events:,} events; W5/W6/T1/P1 "
        f"{sizes.status_events:,} events; X1 {sizes.export_commitments:,} commitments; "
        f"best of {sizes.repeat}"
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.db_only and not args.db:
        print("--db-only needs --db postgresql://…", file=sys.stderr)
        return 2
    try:
        import eventsourcing

        if args.db:
            import eventsourcing.postgres  # noqa: F401  (needs psycopg and psycopg-pool)
    except ImportError as exc:
        print(f"{MISSING_EXTRA}\n({exc})", file=sys.stderr)
        return 2
    from benchmarks import report, workloads
    from benchmarks.backends import Backend, PostgresBackend, SQLiteBackend

    sizes = workloads.QUICK if args.quick else workloads.Sizes()
    chosen = {
        name: value
        for name in (
            "commands",
            "import_events",
            "rebuild_events",
            "status_events",
            "export_commitments",
            "repeat",
        )
        if (value := getattr(args, name)) is not None
    }
    sizes = replace(sizes, **chosen)
    names = args.only.upper().split(",") if args.only else list(workloads.WORKLOADS)
    unknown = [n for n in names if n not in workloads.WORKLOADS]
    if unknown:
        print(f"unknown workload(s) {', '.join(unknown)}", file=sys.stderr)
        return 2

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    backends: list[Backend] = [] if args.db_only else [SQLiteBackend(args.workdir)]
    if args.db:
        backends.append(PostgresBackend(args.db))
    scratch = workloads.scratch_dir()
    results: list[report.Result] = []
    pg_version = None
    try:
        for backend in backends:
            if isinstance(backend, PostgresBackend):
                pg_version = backend.version()
            ctx = workloads.Context(backend, sizes, scratch, seed=args.seed, log=log)
            results += [workloads.WORKLOADS[name](ctx) for name in names]
    finally:
        for backend in backends:
            backend.close()
        shutil.rmtree(scratch, ignore_errors=True)
    log("done")
    if args.quick:
        print("--quick: small sizes, a smoke reading of every ratio; the goals are set for")
        print("the full sizes (python -m benchmarks without --quick).")
    print(describe(sizes))
    print(report.table(results, markdown=args.markdown))
    for r in results:
        for note in r.notes:
            print(f"{r.workload} {r.backend}: {note}")
    if args.json:
        options: dict[str, Any] = {
            **asdict(sizes),
            "quick": args.quick,
            "backends": [b.name for b in backends],
            "workloads": names,
            "seed": args.seed,
            "seconds": round(time.perf_counter() - started, 1),
        }
        report.write_json(args.json, results, options, report.machine(pg_version))
    return 0
