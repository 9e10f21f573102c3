"""The workloads, each measured against what it is compared with.

Each function takes a :class:`Context` (one backend, the sizes, shared datasets) and
returns a :class:`~benchmarks.report.Result`. Rates are best-of-``repeat`` with a
fresh database per repetition where the workload writes, and start-up times the best
of ``repeat + 2`` runs: the slower runs measure the machine's other work, not ours.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from benchmarks import datasets, raw, tables
from benchmarks.backends import Backend
from benchmarks.es_app import Commitments
from benchmarks.export_yaml import x1_export
from benchmarks.report import Goal, Result
from tracker.domain.commitment import MakeCommitment, RecordProgress, ScheduleFollowUp, decide
from tracker.service_layer.app import Tracker
from tracker.service_layer.document import Document
from tracker.service_layer.entries import read_commitment
from tracker.service_layer.importer import import_document, import_file

ROOT = Path(__file__).resolve().parent.parent
LOAD_CHUNK = 100_000  # events per import when loading a large dataset


@dataclass(frozen=True)
class Sizes:
    commands: int = 3000  # W1 and W2: commands, one transaction each
    import_events: int = 100_000  # W3
    rebuild_events: int = 1_000_000  # W4 and W7
    status_events: int = 100_000  # W5 and W6: about a tenth as many commitments
    export_commitments: int = 20_000  # X1: about ten events each
    repeat: int = 3


QUICK = Sizes(
    commands=1000,
    import_events=100_000,
    rebuild_events=200_000,
    status_events=100_000,
    export_commitments=10_000,
    repeat=1,
)


@dataclass
class Context:
    backend: Backend
    sizes: Sizes
    scratch: Path
    seed: int = 2024
    log: Callable[[str], None] = lambda _: None
    loaded: dict[int, str] = field(default_factory=dict)  # events -> database URL
    raw_read_rate: float | None = None  # W4's, which W7 is compared with
    status_wall: float | None = None  # W5's, which W6 is compared with

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


def _best_rate(count: int, runs: list[float]) -> float:
    return count / min(runs)


# --- W1, W2: commands against eventsourcing --------------------------------------------


def _compare_with_es(
    result: Result, unit: str, tracker_rate: float, es_rates: dict[str, float]
) -> None:
    result.add("tracker_rate", f"tracker, {unit}", tracker_rate, "/s")
    for label, rate in es_rates.items():
        key = label.replace(" ", "_").replace("'", "")
        result.add(f"{key}_rate", f"{label}, {unit}", rate, "/s")
    for label, rate in es_rates.items():
        key = label.replace(" ", "_").replace("'", "")
        goal = Goal("≥", 2.0) if label == "eventsourcing" else None
        result.add(f"tracker_vs_{key}", f"tracker ÷ {label}", tracker_rate / rate, "×", goal)


def w1_make(ctx: Context) -> Result:
    result = ctx.result("W1", "make commitments, one command per transaction")
    rng = ctx.rng("w1")
    catalog = datasets.make_catalog(rng)
    commands = [
        _make_command(datasets.make_commitment(rng, catalog, i, rng.choice((1, 2, 3))))
        for i in range(ctx.sizes.commands)
    ]
    runs: list[float] = []
    es_runs: dict[str, list[float]] = {}
    for _ in range(ctx.sizes.repeat):
        url = ctx.backend.database("w1")
        tracker = Tracker.open(url)
        started = time.perf_counter()
        for cmd in commands:
            tracker.handle(cmd.id, cmd, name="add")
        runs.append(time.perf_counter() - started)
        tracker.close()
        for label, env in ctx.backend.es_envs(url).items():
            app = Commitments(env=env)
            es_commands = [_es_fields(cmd) for cmd in commands]
            started = time.perf_counter()
            for fields, follow_ups in es_commands:
                app.make(fields, follow_ups)
            es_runs.setdefault(label, []).append(time.perf_counter() - started)
            app.close()
    n = len(commands)
    es_rates = {label: _best_rate(n, r) for label, r in es_runs.items()}
    _compare_with_es(result, "commands/s", _best_rate(n, runs), es_rates)
    events = sum(1 + len(c.follow_ups) for c in commands)
    result.notes.append(f"{n} commands making {events} events (a commitment and its follow-ups)")
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


def w2_progress(ctx: Context) -> Result:
    result = ctx.result("W2", "record progress on existing commitments")
    catalog, items = _w2_base(ctx)
    commands = _w2_commands(ctx, catalog, items)
    runs: list[float] = []
    es_runs: dict[str, list[float]] = {}
    for _ in range(ctx.sizes.repeat):
        url = ctx.backend.database("w2")
        tracker = Tracker.open(url)
        import_document(tracker, Document("w2", datasets.document(catalog, items)))
        started = time.perf_counter()
        for cid, cmd in commands:
            tracker.handle(cid, cmd, name="record progress")
        runs.append(time.perf_counter() - started)
        tracker.close()
        for label, env in ctx.backend.es_envs(url).items():
            app = Commitments(env=env)
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
            started = time.perf_counter()
            for cid, cmd in commands:
                app.record_progress(
                    cid, on=cmd.on.isoformat(), source=cmd.source, quote=cmd.quote, note=cmd.note
                )
            es_runs.setdefault(label, []).append(time.perf_counter() - started)
            app.close()
    n = len(commands)
    es_rates = {label: _best_rate(n, r) for label, r in es_runs.items()}
    _compare_with_es(result, "commands/s", _best_rate(n, runs), es_rates)
    history = sum(len(i["history"]) + 1 for i in items)
    result.notes.append(
        f"{n} commands on {len(items)} commitments that start with {history} events"
    )
    return result


# --- W3: import ------------------------------------------------------------------------


def w3_import(ctx: Context) -> Result:
    result = ctx.result("W3", "import a commitments/v1 file")
    rng = ctx.rng("w3")
    catalog = datasets.make_catalog(rng)
    items = list(datasets.commitments(rng, catalog, ctx.sizes.import_events - catalog.events))
    doc = datasets.document(catalog, items)
    json_file, yaml_file = ctx.scratch / "w3.json", ctx.scratch / "w3.yaml"
    json_file.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    yaml_file.write_text(
        yaml.dump(doc, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )

    def run(path: Path) -> tuple[float, str]:
        url = ctx.backend.database("w3")
        tracker = Tracker.open(url)
        started = time.perf_counter()
        report = import_file(tracker, str(path))
        seconds = time.perf_counter() - started
        tracker.close()
        assert report.events == ctx.sizes.import_events, report
        return seconds, url

    events = ctx.sizes.import_events
    json_runs = [run(json_file) for _ in range(ctx.sizes.repeat)]
    yaml_seconds, _ = run(yaml_file)
    rows = raw.event_rows(ctx.backend, json_runs[0][1])
    raw_runs = []
    for _ in range(ctx.sizes.repeat):
        url = ctx.backend.database("w3-raw")
        Tracker.open(url).close()  # the same schema and indexes, empty
        raw_runs.append(raw.insert_rows(ctx.backend, url, rows))
    rate = _best_rate(events, [s for s, _ in json_runs])
    raw_rate = _best_rate(events, raw_runs)
    result.add(
        "tracker_rate", "tracker import of the JSON file, events/s", rate, "/s", Goal("≥", 100_000)
    )
    result.add(
        "tracker_yaml_rate",
        "tracker import of the YAML file, events/s",
        events / yaml_seconds,
        "/s",
    )
    result.add("raw_rate", "raw executemany of the same rows, events/s", raw_rate, "/s")
    result.add("tracker_vs_raw", "tracker (JSON) ÷ raw", rate / raw_rate, "×", Goal("≥", 0.2))
    mb = json_file.stat().st_size / 1e6
    result.notes.append(f"{events} events, {len(items)} commitments; JSON file {mb:.0f} MB")
    return result


# --- W4, W7: the whole log -------------------------------------------------------------


def _probe(what: str, url: str) -> dict[str, Any]:
    """Run ``benchmarks.probe`` in a new process and return its figures."""
    command = [sys.executable, "-m", "benchmarks.probe", what, url]
    done = subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _raw_read_rate(ctx: Context, url: str) -> float:
    if ctx.raw_read_rate is None:
        runs = [raw.read_and_decode(ctx.backend, url) for _ in range(ctx.sizes.repeat)]
        ctx.raw_read_rate = max(count / seconds for count, seconds in runs)
    return ctx.raw_read_rate


def w4_rebuild(ctx: Context) -> Result:
    result = ctx.result("W4", "rebuild all projections from the log")
    url = load(ctx, ctx.sizes.rebuild_events)
    runs = [_probe("rebuild", url) for _ in range(ctx.sizes.repeat)]
    assert all(r["differences"] == 0 and r["events"] for r in runs), runs
    rate = max(r["events"] / r["seconds"] for r in runs)
    raw_rate = _raw_read_rate(ctx, url)
    result.add("tracker_rate", "tracker rebuild, events/s", rate, "/s", Goal("≥", 150_000))
    result.add(
        "peak_memory_mb",
        "peak memory of the rebuilding process",
        max(r["peak_mb"] for r in runs),
        "MB",
        Goal("≤", 300),
    )
    result.add("raw_read_rate", "raw read and JSON decode, events/s", raw_rate, "/s")
    result.add("tracker_vs_raw_read", "tracker ÷ raw read", rate / raw_rate, "×")
    result.notes.append(f"{runs[0]['events']} events")
    return result


def w7_audit(ctx: Context) -> Result:
    result = ctx.result("W7", "audit: verify the hash chain")
    url = load(ctx, ctx.sizes.rebuild_events)
    runs = [_probe("audit-chain", url) for _ in range(ctx.sizes.repeat)]
    assert all(r["ok"] for r in runs), runs
    rate = max(r["events"] / r["seconds"] for r in runs)
    raw_rate = _raw_read_rate(ctx, url)
    result.add("tracker_rate", "chain verification, events/s", rate, "/s", Goal("≥", 300_000))
    result.add(
        "peak_memory_mb",
        "peak memory of the auditing process",
        max(r["peak_mb"] for r in runs),
        "MB",
    )
    result.add("raw_read_rate", "raw read and JSON decode (W4), events/s", raw_rate, "/s")
    result.add("tracker_vs_raw_read", "tracker ÷ raw read", rate / raw_rate, "×")
    result.notes.append(f"{runs[0]['events']} events")
    return result


# --- W5, W6: a new process answering `status` -------------------------------------------


def tracker_command() -> list[str]:
    script = Path(sys.executable).with_name("tracker")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tracker.cli.main"]


def _wall(ctx: Context, args: list[str]) -> tuple[float, bytes]:
    """The best wall time of a few runs of ``args``, and its output."""
    best, out = float("inf"), b""
    for _ in range(2 + ctx.sizes.repeat):
        started = time.perf_counter()
        done = subprocess.run(args, capture_output=True, check=True)
        best = min(best, time.perf_counter() - started)
        out = done.stdout
    return best, out


def _status_wall(ctx: Context, *extra: str) -> tuple[float, list[Any]]:
    url = load(ctx, ctx.sizes.status_events)
    command = [*tracker_command(), "--db", url, "status", "--format", "json", *extra]
    seconds, out = _wall(ctx, command)
    return seconds, json.loads(out)


AS_OF = (datasets.FIRST_DAY + timedelta(days=datasets.SPAN_DAYS // 2)).isoformat()


def w5_status(ctx: Context) -> Result:
    result = ctx.result("W5", "`tracker status --format json` as a new process")
    seconds, rows = _status_wall(ctx)
    python, _ = _wall(ctx, [sys.executable, "-c", "pass"])
    result.add("wall_s", "tracker status, wall", seconds, "s", Goal("≤", 0.5))
    result.add("python_wall_s", "`python -c pass`, wall", python, "s")
    result.add("tracker_vs_python", "tracker ÷ python start-up", seconds / python, "×")
    result.notes.append(f"{len(rows)} commitments, {ctx.sizes.status_events} events")
    ctx.status_wall = seconds
    return result


def w6_status_as_of(ctx: Context) -> Result:
    result = ctx.result("W6", f"`tracker status --as-of {AS_OF}` as a new process")
    seconds, rows = _status_wall(ctx, "--as-of", AS_OF)
    w5 = ctx.status_wall or _status_wall(ctx)[0]
    result.add("wall_s", "tracker status --as-of, wall", seconds, "s")
    result.add("w5_wall_s", "tracker status (W5), wall", w5, "s")
    result.add("tracker_vs_w5", "as-of ÷ W5", seconds / w5, "×", Goal("≤", 3.0))
    result.notes.append(f"{len(rows)} commitments made by {AS_OF}")
    return result


def w8_publish(ctx: Context) -> Result:
    """`tracker publish` against `tracker export` of the same log, both as new processes;
    each publication goes to a fresh directory, as a first publication would."""
    result = ctx.result("W8", "`tracker publish DIR` against `tracker export` of the same log")
    url = load(ctx, ctx.sizes.status_events)
    export, _ = _wall(ctx, [*tracker_command(), "--db", url, "export"])
    sites = Path(tempfile.mkdtemp(prefix="tracker-bench-site-", dir=ctx.scratch))
    best = float("inf")
    for run in range(2 + ctx.sizes.repeat):
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
    result.notes.append(f"{pages} commitment pages, {ctx.sizes.status_events} events")
    return result


WORKLOADS: dict[str, Callable[[Context], Result]] = {
    "W1": w1_make,
    "W2": w2_progress,
    "W3": w3_import,
    "W4": w4_rebuild,
    "W5": w5_status,
    "W6": w6_status_as_of,
    "W7": w7_audit,
    "W8": w8_publish,
    "X1": x1_export,
    "T1": tables.t1_tables,
}


def scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="tracker-bench-files-"))
