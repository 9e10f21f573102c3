"""The workloads, each measured against what it is compared with.

Each function takes a :class:`Context` (one backend, the sizes, shared datasets) and
returns a :class:`~benchmarks.report.Result`. Rates are best-of-``repeat`` with a
fresh database per repetition where the workload writes, and start-up times the best
of ``repeat + 2`` runs: the slower runs measure the machine's other work, not ours.

tracker is driven through its public entry points only (``Tracker.handle``,
``import_file``, the ``tracker`` command line, the audit's ``verify_chain``), so the
table measures whatever the product does today: where a command takes ``--jobs``,
it is given this machine's cores (:func:`cli_jobs`), and where it does not, it runs
as it is.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchmarks import datasets, es_app, raw, tables
from benchmarks.backends import AS_IT_COMES, EQUAL, Backend, PostgresBackend
from benchmarks.es_app import Commitments
from benchmarks.export_yaml import x1_export
from benchmarks.report import Goal, Result
from benchmarks.roundtrips import RoundTripRelay
from tracker.domain.commitment import MakeCommitment, RecordProgress, ScheduleFollowUp, decide
from tracker.service_layer.app import Tracker
from tracker.service_layer.fileformat.commitments import read_commitment
from tracker.service_layer.fileformat.document import Document
from tracker.service_layer.importer import import_document, import_file

ROOT = Path(__file__).resolve().parent.parent
FLOOR = Path(__file__).resolve().with_name("floor.py")
LOAD_CHUNK = 100_000  # events per import when loading a large dataset
ROUND_TRIP_SAMPLE = 100  # commands counted through the relay (PostgreSQL)


@dataclass(frozen=True)
class Sizes:
    commands: int = 3000  # W1 and W2: commands, one transaction each
    import_events: int = 100_000  # W3
    rebuild_events: int = 1_000_000  # W4, W7, W8, and W5L (a tenth as many commitments)
    status_events: int = 100_000  # W5, W6, P1 and T1: about a tenth as many commitments
    export_commitments: int = 20_000  # X1: about ten events each
    repeat: int = 3


QUICK = Sizes(
    commands=300,
    import_events=20_000,
    rebuild_events=100_000,
    status_events=10_000,
    export_commitments=2_000,
    repeat=1,
)


@dataclass
class Context:
    backend: Backend
    sizes: Sizes
    scratch: Path
    seed: int = 2024
    log: Callable[[str], None] = lambda _: None
    loaded: dict[int, str] = field(default_factory=dict)  # events asked for -> database URL
    counts: dict[str, int] = field(default_factory=dict)  # database URL -> events it holds
    raw_read_rates: dict[str, float] = field(default_factory=dict)  # by database URL
    rebuilds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by database URL
    status_wall: float | None = None  # W5's, which W5L is compared with

    def rng(self, salt: str) -> random.Random:
        return random.Random(f"{self.seed}:{salt}")

    def result(self, workload: str, title: str) -> Result:
        self.log(f"{workload} on {self.backend.name}: {title}")
        return Result(workload, title, self.backend.name)


# --- datasets ------------------------------------------------------------------------


def load(ctx: Context, events: int) -> str:
    """A database holding ``events`` generated events, imported in chunks; one per size."""
    if events in ctx.loaded:
        return ctx.loaded[events]
    url = ctx.backend.database(f"data-{events}")
    rng = ctx.rng("load")
    catalog = datasets.make_catalog(rng)
    tracker = Tracker.open(url)
    started, left, first = time.perf_counter(), events - catalog.events, 0
    try:
        while left > 0:
            chunk = min(left, LOAD_CHUNK)
            items = list(datasets.commitments(rng, catalog, chunk, first=first))
            doc = datasets.document(catalog if first == 0 else None, items)
            import_document(tracker, Document(f"chunk-{first}", doc))
            first, left = first + len(items), left - chunk
    finally:
        tracker.close()
    ctx.log(f"  loaded {events:,} events in {time.perf_counter() - started:.1f} s")
    ctx.loaded[events] = url
    conn = ctx.backend.raw_connect(url)
    try:
        ctx.counts[url] = int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    finally:
        conn.close()
    return url


def _make_command(item: dict[str, Any]) -> MakeCommitment:
    """The `add` command for a file entry, its follow-ups scheduled with it (its
    history, if any, is left out)."""
    problems: list[Any] = []
    parsed = read_commitment(item, "benchmark", problems)
    assert not problems, problems
    make = parsed.entries[0].command
    assert isinstance(make, MakeCommitment)
    specs = tuple(
        e.command.follow_up for e in parsed.entries if isinstance(e.command, ScheduleFollowUp)
    )
    return replace(make, follow_ups=specs)


def _es_fields(cmd: MakeCommitment) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What tracker records for ``cmd``, in the form eventsourcing's aggregate takes it:
    the same payload on both sides of the comparison (built before the clock starts)."""
    made, *scheduled = decide(None, cmd)
    fields = {("commitment_id" if key == "id" else key): v for key, v in made.data.items()}
    return fields, [e.data for e in scheduled]


def cli_jobs(*command: str) -> list[str]:
    """``--jobs N`` (N: this machine's cores) if ``tracker COMMAND`` takes that option,
    else nothing: the same benchmark runs before and after parallel checks exist."""
    import click

    from tracker.cli.main import cli

    found: click.Command = cli
    for name in command:
        assert isinstance(found, click.Group), command
        sub = found.get_command(click.Context(found), name)
        assert sub is not None, command
        found = sub
    if any(param.name == "jobs" for param in found.params):
        return ["--jobs", str(os.cpu_count() or 1)]
    return []


# --- W1, W2: commands against eventsourcing --------------------------------------------

Op = Callable[[Any], None]
_ES_KEYS = {EQUAL: "es", AS_IT_COMES: "es_as_it_comes"}


@dataclass
class Sides:
    """W1's or W2's work on both sides: what each loads first (untimed), then the
    commands, one transaction each, built before the clock starts."""

    tracker_setup: Op
    tracker_ops: list[Op]
    es_setup: Op
    es_ops: list[Op]


def _run(app: Any, ops: Sequence[Op]) -> float:
    started = time.perf_counter()
    for op in ops:
        op(app)
    return time.perf_counter() - started


def _round_trips(
    backend: PostgresBackend, url: str, open_app: Callable[[str], Any], setup: Op, ops: list[Op]
) -> float:
    """Round trips per command, counted on the wire (:mod:`benchmarks.roundtrips`) over
    up to ``ROUND_TRIP_SAMPLE`` commands, after a first one has opened the connection."""
    host, port = backend.address()
    with RoundTripRelay(host, port) as relay:
        app = open_app(backend.through(url, relay.port))
        try:
            setup(app)
            first, *counted = ops[: ROUND_TRIP_SAMPLE + 1]
            first(app)
            before = relay.turns
            _run(app, counted)
            return (relay.turns - before) / len(counted)
        finally:
            app.close()


def _commands_vs_es(
    ctx: Context, result: Result, sides: Sides, goals: dict[str, float], trips: float | None
) -> None:
    """Time both sides ``repeat`` times on fresh databases; on PostgreSQL, count their
    round trips. ``goals``: the ratio to eventsourcing at equal durability, by backend;
    ``trips``: the most round trips per command allowed on PostgreSQL, if any."""
    backend = ctx.backend
    runs: list[float] = []
    es_runs: dict[str, list[float]] = {}
    for _ in range(ctx.sizes.repeat):
        url = backend.database(result.workload.lower())
        tracker = Tracker.open(url)
        sides.tracker_setup(tracker)
        runs.append(_run(tracker, sides.tracker_ops))
        tracker.close()
        for label, env in backend.es_envs(url).items():
            app = Commitments(env=env)
            sides.es_setup(app)
            es_runs.setdefault(label, []).append(_run(app, sides.es_ops))
            app.close()
    n = len(sides.tracker_ops)
    rate = result.add("tracker_rate", "tracker, commands/s", n / min(runs), "/s")
    for label, es in es_runs.items():
        result.add(f"{_ES_KEYS[label]}_rate", f"{label}, commands/s", n / min(es), "/s")
    for label, es in es_runs.items():
        goal = Goal("≥", goals[backend.name]) if label == EQUAL else None
        ratio = rate / (n / min(es))
        result.add(f"tracker_vs_{_ES_KEYS[label]}", f"tracker ÷ {label}", ratio, "×", goal)
    if isinstance(backend, PostgresBackend):
        tracker_trips = _round_trips(
            backend,
            backend.database(f"{result.workload.lower()}-trips"),
            Tracker.open,
            sides.tracker_setup,
            sides.tracker_ops,
        )
        es_trips = _round_trips(
            backend,
            backend.database("es-trips"),
            lambda url: Commitments(env=es_app.postgres_env(url)),
            sides.es_setup,
            sides.es_ops,
        )
        goal = Goal("≤", trips) if trips is not None else None
        result.add("round_trips", "tracker, round trips per command", tracker_trips, "", goal)
        result.add("es_round_trips", "eventsourcing, round trips per command", es_trips, "")
        result.notes.append(
            "eventsourcing as it comes commits with the server's synchronous_commit, as "
            "tracker does: on PostgreSQL it is already at tracker's durability"
        )


def _nothing(_: Any) -> None:
    """No setup: W1 starts from an empty database."""


def w1_make(ctx: Context) -> Result:
    result = ctx.result("W1", "make commitments, one command per transaction")
    rng = ctx.rng("w1")
    catalog = datasets.make_catalog(rng)
    commands = [
        _make_command(datasets.make_commitment(rng, catalog, i, rng.choice((1, 2, 3))))
        for i in range(ctx.sizes.commands)
    ]
    es_commands = [_es_fields(cmd) for cmd in commands]
    sides = Sides(
        tracker_setup=_nothing,
        tracker_ops=[lambda t, c=cmd: t.handle(c.id, c, name="add") for cmd in commands],
        es_setup=_nothing,
        es_ops=[lambda a, f=fields, u=ups: a.make(f, u) for fields, ups in es_commands],
    )
    _commands_vs_es(ctx, result, sides, {"sqlite": 1.0, "postgresql": 1.5}, trips=2)
    events = sum(1 + len(c.follow_ups) for c in commands)
    result.notes.append(
        f"{len(commands)} commands making {events} events (a commitment and its follow-ups)"
    )
    return result


def _w2_base(ctx: Context) -> tuple[datasets.Catalog, list[dict[str, Any]]]:
    """Commitments with a few progress entries each, for W2 to add to."""
    rng = ctx.rng("w2")
    catalog = datasets.make_catalog(rng)
    items = []
    for i in range(max(1, ctx.sizes.commands // 5)):
        item = datasets.make_commitment(rng, catalog, i, 1)
        day = date.fromisoformat(item["made_on"])
        history = []
        for _ in range(rng.randint(2, 8)):
            day += timedelta(days=rng.randint(1, 9))
            history.append(datasets.progress_entry(rng, catalog, day))
        item["history"] = history
        items.append(item)
    return catalog, items


def _w2_commands(
    ctx: Context, catalog: datasets.Catalog, items: list[dict[str, Any]]
) -> list[tuple[str, RecordProgress]]:
    rng = ctx.rng("w2-commands")
    last = {i["id"]: date.fromisoformat(i["history"][-1]["on"]) for i in items}
    out = []
    for _ in range(ctx.sizes.commands):
        cid = rng.choice(items)["id"]
        last[cid] += timedelta(days=rng.randint(0, 3))
        entry = datasets.progress_entry(rng, catalog, last[cid])
        cmd = RecordProgress(last[cid], entry.get("source"), entry.get("quote"), entry["note"])
        out.append((cid, cmd))
    return out


def _import(tracker: Tracker, document: Document) -> None:
    """tracker's setup for W2: the same commitments and history, imported."""
    import_document(tracker, document)


def _es_history(items: list[dict[str, Any]]) -> Op:
    """eventsourcing's setup for W2: W2's commitments with their history, command by command."""

    def setup(app: Commitments) -> None:
        for item in items:
            app.make(*_es_fields(_make_command({**item, "history": []})))
            for h in item["history"]:
                app.record_progress(
                    item["id"],
                    on=h["on"],
                    source=h.get("source"),
                    quote=h.get("quote"),
                    note=h["note"],
                )

    return setup


def w2_progress(ctx: Context) -> Result:
    result = ctx.result("W2", "record progress on existing commitments")
    catalog, items = _w2_base(ctx)
    commands = _w2_commands(ctx, catalog, items)
    doc = datasets.document(catalog, items)
    sides = Sides(
        tracker_setup=lambda t: _import(t, Document("w2", doc)),
        tracker_ops=[
            lambda t, i=cid, c=cmd: t.handle(i, c, name="record progress") for cid, cmd in commands
        ],
        es_setup=_es_history(items),
        es_ops=[
            lambda a, i=cid, c=cmd: a.record_progress(
                i, on=c.on.isoformat(), source=c.source, quote=c.quote, note=c.note
            )
            for cid, cmd in commands
        ],
    )
    _commands_vs_es(ctx, result, sides, {"sqlite": 1.5, "postgresql": 2.0}, trips=None)
    history = sum(len(i["history"]) + 1 for i in items)
    result.notes.append(
        f"{len(commands)} commands on {len(items)} commitments that start with {history} events"
    )
    return result


# --- W3: import ------------------------------------------------------------------------


def w3_import(ctx: Context) -> Result:
    result = ctx.result("W3", "import a commitments/v1 JSON file")
    rng = ctx.rng("w3")
    catalog = datasets.make_catalog(rng)
    items = list(datasets.commitments(rng, catalog, ctx.sizes.import_events - catalog.events))
    json_file = ctx.scratch / "w3.json"
    doc = datasets.document(catalog, items)
    json_file.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    events = ctx.sizes.import_events

    def run() -> tuple[float, str]:
        url = ctx.backend.database("w3")
        tracker = Tracker.open(url)
        started = time.perf_counter()
        report = import_file(tracker, str(json_file))
        seconds = time.perf_counter() - started
        tracker.close()
        assert report.events == events, report
        return seconds, url

    runs = [run() for _ in range(ctx.sizes.repeat)]
    rows = raw.event_rows(ctx.backend, runs[0][1])
    raw_runs = []
    for _ in range(ctx.sizes.repeat):
        url = ctx.backend.database("w3-raw")
        Tracker.open(url).close()  # the same schema and indexes, empty
        raw_runs.append(raw.insert_rows(ctx.backend, url, rows))
    rate = result.add(
        "tracker_rate", "tracker import, events/s", events / min(s for s, _ in runs), "/s"
    )
    raw_rate = result.add(
        "raw_rate",
        "raw bulk insert of the same rows (SQLite executemany, PostgreSQL COPY), events/s",
        events / min(raw_runs),
        "/s",
    )
    result.add("tracker_vs_raw", "tracker ÷ raw", rate / raw_rate, "×", Goal("≥", 0.35))
    mb = json_file.stat().st_size / 1e6
    result.notes.append(f"{events} events, {len(items)} commitments; JSON file {mb:.0f} MB")
    return result


# --- W4, W7, W8: the whole log, each in a fresh process ----------------------------------


def _probe(what: str, url: str, *args: str) -> dict[str, Any]:
    """Run ``benchmarks.probe`` in a new process and return its figures."""
    command = [sys.executable, "-m", "benchmarks.probe", what, url, *args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[2:])} failed:\n{done.stderr}")
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _tracker_probe(ctx: Context, url: str, *args: str) -> list[dict[str, Any]]:
    """``tracker ARGS`` in a fresh process per run, ``repeat`` runs; each must succeed."""
    runs = [_probe("cli", url, *args) for _ in range(ctx.sizes.repeat)]
    for r in runs:
        if r["exit"] != 0:
            raise RuntimeError(f"tracker {' '.join(args)} ended with status {r['exit']}")
    return runs


def _rebuild(ctx: Context, url: str) -> list[dict[str, Any]]:
    """``tracker projections rebuild`` of ``url`` (W4, and W6's yardstick), once per URL."""
    if url not in ctx.rebuilds:
        jobs = cli_jobs("projections", "rebuild")
        ctx.rebuilds[url] = _tracker_probe(ctx, url, "projections", "rebuild", *jobs)
    return ctx.rebuilds[url]


def _raw_read_rate(ctx: Context, url: str) -> float:
    if url not in ctx.raw_read_rates:
        runs = [raw.read_and_decode(ctx.backend, url) for _ in range(ctx.sizes.repeat)]
        ctx.raw_read_rates[url] = max(count / seconds for count, seconds in runs)
    return ctx.raw_read_rates[url]


def _against_raw_read(
    ctx: Context, result: Result, url: str, what: str, seconds: float, goal: float
) -> None:
    rate = result.add("tracker_rate", f"{what}, events/s", ctx.counts[url] / seconds, "/s")
    raw_rate = result.add(
        "raw_read_rate", "raw read and JSON decode, events/s", _raw_read_rate(ctx, url), "/s"
    )
    result.add("tracker_vs_raw_read", "tracker ÷ raw read", rate / raw_rate, "×", Goal("≥", goal))


def _memory(result: Result, runs: list[dict[str, Any]], workers: int, goal: Goal | None) -> None:
    """The process's peak, and with workers (``--jobs``) the largest worker's, an
    upper bound of the whole (the process plus every worker at the largest's peak,
    which counts the pages workers share with the process once per worker), and the
    whole's sampled peak (Pss summed, each page once: ``probe.TreeMemory``), on which
    the goal is judged where it was measured. ``workers``: how many were started."""
    peak = max(r["peak_mb"] for r in runs)
    largest = max(r["workers_peak_mb"] for r in runs)
    if not largest:
        result.add("peak_memory_mb", "peak memory", peak, "MB", goal)
        return
    count = max(workers, 1)
    tree = min(r.get("tree_peak_mb", 0.0) for r in runs)
    result.add("process_peak_mb", "peak memory of the main process", peak, "MB")
    result.add("worker_peak_mb", "peak memory of the largest worker", largest, "MB")
    bound = f"peak memory, process + {count} workers (bound)"
    result.add("peak_memory_bound_mb", bound, peak + count * largest, "MB", None if tree else goal)
    if tree:
        together = f"peak memory, process and {count} workers together (sampled Pss)"
        result.add("peak_memory_mb", together, max(r["tree_peak_mb"] for r in runs), "MB", goal)


def _workers(jobs: list[str]) -> int:
    """The N of the ``--jobs N`` that :func:`cli_jobs` gave; 0 without it."""
    return int(jobs[1]) if jobs else 0


def _jobs_note(jobs: list[str]) -> str:
    return f"with {' '.join(jobs)}" if jobs else "the command takes no --jobs"


def w4_rebuild(ctx: Context) -> Result:
    result = ctx.result("W4", "rebuild all projections from the log")
    url = load(ctx, ctx.sizes.rebuild_events)
    runs = _rebuild(ctx, url)
    seconds = min(r["seconds"] for r in runs)
    _against_raw_read(ctx, result, url, "`tracker projections rebuild`", seconds, 1.0)
    jobs = cli_jobs("projections", "rebuild")
    _memory(result, runs, _workers(jobs), Goal("≤", 300))
    result.notes.append(f"{ctx.counts[url]} events; {_jobs_note(jobs)}")
    return result


def w7_chain(ctx: Context) -> Result:
    result = ctx.result("W7", "the audit's chain check over the log")
    url = load(ctx, ctx.sizes.rebuild_events)
    jobs = str(os.cpu_count() or 1)
    runs = [_probe("chain", url, jobs) for _ in range(ctx.sizes.repeat)]
    assert all(r["ok"] and r["events"] == ctx.counts[url] for r in runs), runs
    seconds = min(r["seconds"] for r in runs)
    _against_raw_read(ctx, result, url, "verify_chain", seconds, 2.0)
    _memory(result, runs, int(jobs) if runs[0]["jobs"] else 0, None)
    parallel = f"given jobs={jobs}" if runs[0]["jobs"] else "verify_chain takes no jobs"
    result.notes.append(f"{ctx.counts[url]} events; {parallel}")
    return result


def w8_audit(ctx: Context) -> Result:
    result = ctx.result("W8", "the whole `tracker audit` (every check) over the log")
    url = load(ctx, ctx.sizes.rebuild_events)
    jobs = cli_jobs("audit")
    runs = _tracker_probe(ctx, url, "audit", "--no-record", "--format", "json", *jobs)
    seconds = min(r["seconds"] for r in runs)
    _against_raw_read(ctx, result, url, "`tracker audit --no-record`", seconds, 0.5)
    _memory(result, runs, _workers(jobs), None)
    result.notes.append(f"{ctx.counts[url]} events; {_jobs_note(jobs)}")
    return result


# --- W5, W5L, W6: `status` --------------------------------------------------------------


def tracker_command() -> list[str]:
    script = Path(sys.executable).with_name("tracker")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tracker.cli.main"]


def _wall(ctx: Context, args: list[str], runs: int | None = None) -> tuple[float, bytes]:
    """The best wall time of ``runs`` runs of ``args`` (a start-up's: ``repeat + 2``),
    and its output."""
    best, out = float("inf"), b""
    for _ in range(runs or 2 + ctx.sizes.repeat):
        started = time.perf_counter()
        done = subprocess.run(args, capture_output=True, check=True)
        best = min(best, time.perf_counter() - started)
        out = done.stdout
    return best, out


def _status_against_floor(ctx: Context, result: Result, url: str) -> tuple[float, float]:
    """``tracker status --format json`` of ``url`` as a new process, and the floor's
    wall time beside it (:mod:`benchmarks.floor`): both, tracker's first."""
    command = [*tracker_command(), "--db", url, "status", "--format", "json"]
    seconds, out = _wall(ctx, command)
    floor_command = [sys.executable, str(FLOOR), ctx.backend.name, ctx.backend.floor_target(url)]
    floor, floor_out = _wall(ctx, floor_command)
    rows, floor_rows = len(json.loads(out)), len(json.loads(floor_out))
    assert rows == floor_rows, (rows, floor_rows)
    result.add("wall_s", "tracker status --format json, wall", seconds, "s")
    result.add("floor_wall_s", "floor: a bare script dumping the same rows, wall", floor, "s")
    result.notes.append(f"{rows} commitments, {ctx.counts[url]} events")
    return seconds, floor


def w5_status(ctx: Context) -> Result:
    result = ctx.result("W5", "`tracker status --format json` as a new process")
    url = load(ctx, ctx.sizes.status_events)
    seconds, floor = _status_against_floor(ctx, result, url)
    python, _ = _wall(ctx, [sys.executable, "-c", "pass"])
    result.add("python_wall_s", "`python -c pass`, wall", python, "s")
    result.add("tracker_vs_floor", "tracker ÷ floor", seconds / floor, "×", Goal("≤", 2.0))
    ctx.status_wall = seconds
    return result


def w5l_status_large(ctx: Context) -> Result:
    result = ctx.result("W5L", "W5 on ten times as many commitments")
    url = load(ctx, ctx.sizes.rebuild_events)
    seconds, floor = _status_against_floor(ctx, result, url)
    if ctx.status_wall is None:  # W5L alone (--only): W5 is its yardstick
        w5_status(ctx)
    assert ctx.status_wall is not None
    result.add("tracker_vs_floor", "tracker ÷ floor", seconds / floor, "×")
    result.add("w5_wall_s", "W5's wall", ctx.status_wall, "s")
    result.add("tracker_vs_w5", "W5L ÷ W5", seconds / ctx.status_wall, "×", Goal("≤", 10.0))
    return result


AS_OF = (datasets.FIRST_DAY + timedelta(days=datasets.SPAN_DAYS // 2)).isoformat()


def w6_status_as_of(ctx: Context) -> Result:
    result = ctx.result("W6", f"`tracker status --as-of {AS_OF}` against a rebuild")
    url = load(ctx, ctx.sizes.status_events)
    args = ["status", "--as-of", AS_OF, "--format", "json"]
    seconds = min(r["seconds"] for r in _tracker_probe(ctx, url, *args))
    rebuild = min(r["seconds"] for r in _rebuild(ctx, url))
    result.add("as_of_s", "tracker status --as-of, in a fresh process", seconds, "s")
    result.add("rebuild_s", "tracker projections rebuild (W4) of the same log", rebuild, "s")
    result.add("as_of_vs_rebuild", "as-of ÷ rebuild", seconds / rebuild, "×", Goal("≤", 1.0))
    result.notes.append(
        f"{ctx.counts[url]} events; both timed inside a fresh process, start-up excluded"
    )
    return result


# --- P1: publishing ---------------------------------------------------------------------


def p1_publish(ctx: Context) -> Result:
    """`tracker publish` against `tracker export` of the same log, both as new processes,
    best of ``repeat`` (each takes seconds: start-up noise does not matter); each
    publication goes to a fresh directory, as a first publication would."""
    result = ctx.result("P1", "`tracker publish DIR` against `tracker export` of the same log")
    url = load(ctx, ctx.sizes.status_events)
    export, _ = _wall(ctx, [*tracker_command(), "--db", url, "export"], ctx.sizes.repeat)
    sites = Path(tempfile.mkdtemp(prefix="tracker-bench-site-", dir=ctx.scratch))
    best = float("inf")
    for run in range(ctx.sizes.repeat):
        target = sites / f"site-{run}"
        started = time.perf_counter()
        subprocess.run(
            [*tracker_command(), "--db", url, "publish", str(target)],
            capture_output=True,
            check=True,
        )
        best = min(best, time.perf_counter() - started)
    pages = sum(1 for _ in (sites / "site-0" / "commitments").iterdir())
    shutil.rmtree(sites, ignore_errors=True)
    result.add("publish_wall_s", "tracker publish, wall", best, "s")
    result.add("export_wall_s", "tracker export (YAML), wall", export, "s")
    result.add("publish_vs_export", "publish ÷ export", best / export, "×", Goal("≤", 3.0))
    result.notes.append(f"{pages} commitment pages, {ctx.counts[url]} events")
    return result


WORKLOADS: dict[str, Callable[[Context], Result]] = {
    "W1": w1_make,
    "W2": w2_progress,
    "W3": w3_import,
    "W4": w4_rebuild,
    "W5": w5_status,
    "W5L": w5l_status_large,
    "W6": w6_status_as_of,
    "W7": w7_chain,
    "W8": w8_audit,
    "T1": tables.t1_tables,
    "X1": x1_export,
    "P1": p1_publish,
}


def scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="tracker-bench-files-"))
