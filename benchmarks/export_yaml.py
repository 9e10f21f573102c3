"""X1: `tracker export` (YAML) against libyaml dumping the same data.

The export reads every stream, turns each into its commitments/v1 form and writes it
through libyaml's C emitter. What it cannot do faster is the emitter itself, so the
baseline is ``yaml.dump(document, Dumper=yaml.CSafeDumper)`` of the very document the
export builds, with the same options: the ratio is what reading the log, folding it
into the file's form and our dumper's settings cost on top of writing YAML at all.
"""

from __future__ import annotations

import gc
import io
import time
from typing import Any

import yaml

from benchmarks.report import Goal, Result
from tracker.service_layer.app import Tracker
from tracker.service_layer.exporter import export_document
from tracker.service_layer.fileformat.writer import YAML_OPTIONS, write_yaml

EVENTS_PER_COMMITMENT = 10  # the generated datasets' mean (datasets.MEAN_EVENTS)


def _best(repeat: int, run: Any) -> tuple[float, Any]:
    best, value = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        value = run()
        best = min(best, time.perf_counter() - started)
    return best, value


def x1_export(ctx: Any) -> Result:
    """Export of ``ctx.sizes.export_commitments`` commitments, in process (reading the
    log included), against ``yaml.dump`` with libyaml's C dumper of the same document."""
    from benchmarks.workloads import load

    result = ctx.result("X1", "`tracker export` (YAML) against libyaml dumping the same data")
    url = load(ctx, ctx.sizes.export_commitments * EVENTS_PER_COMMITMENT)
    tracker = Tracker.open(url)
    try:

        def export() -> str:
            out = io.StringIO()
            write_yaml(export_document(tracker), out)
            return out.getvalue()

        seconds, text = _best(ctx.sizes.repeat, export)
        document = export_document(tracker)
    finally:
        tracker.close()
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    def dump() -> str:
        return yaml.dump(document, Dumper=dumper, **YAML_OPTIONS)

    baseline, dumped = _best(ctx.sizes.repeat, dump)
    gc.disable()  # the emitter alone, without the collector the export also pauses
    try:
        bare, _ = _best(ctx.sizes.repeat, dump)
    finally:
        gc.enable()
    commitments = len(document["commitments"])
    result.add("export_s", "tracker export (YAML), in process", seconds, "s")
    result.add("libyaml_s", "yaml.dump with CSafeDumper, same data", baseline, "s")
    result.add("libyaml_no_gc_s", "the same, cycle collector paused", bare, "s")
    result.add("export_vs_libyaml", "export ÷ libyaml", seconds / baseline, "×", Goal("≤", 1.5))
    result.add("export_vs_bare_libyaml", "export ÷ libyaml, collector paused", seconds / bare, "×")
    result.add("rate", "commitments exported per second", commitments / seconds, "/s")
    result.notes.append(
        f"{commitments} commitments, {len(text) / 1e6:.1f} MB of YAML; "
        f"the baseline wrote {'the same text' if text.endswith(dumped) else 'other text'}"
    )
    return result
