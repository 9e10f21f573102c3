"""T1: the status table on a terminal against ``--format json`` of the same rows.

Both are rendered in process into a string: the table for a fake terminal of 80 and
of 200 columns (coloured, fitted to the width, as ``tracker status`` writes it on a
terminal), the JSON as ``tracker status --format json`` writes it. The rows are those
of W5's database (about 10k commitments by default), each twice under a second id,
so 20k rows by default: the size at which rich's ``Table`` took tens of seconds.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from contextlib import redirect_stdout
from typing import TYPE_CHECKING, Any

from benchmarks.report import Goal, Result

if TYPE_CHECKING:
    from benchmarks.workloads import Context

WIDTHS = (80, 200)


def status_rows(ctx: Context) -> list[dict[str, Any]]:
    """W5's status rows, doubled: every row again under ``ID-2``."""
    from benchmarks.workloads import load
    from tracker.service_layer.app import Tracker
    from tracker.service_layer.queries import View, status_report

    tracker = Tracker.open(load(ctx, ctx.sizes.status_events))
    try:
        rows = status_report(tracker, View())
    finally:
        tracker.close()
    return rows + [{**r, "id": f"{r['id']}-2"} for r in rows]


def render_json(rows: list[dict[str, Any]]) -> str:
    """What ``tracker status --format json`` writes."""
    from tracker.cli.reports import print_status

    out = io.StringIO()
    with redirect_stdout(out):
        print_status(rows, "json", "2024-06-01")
    return out.getvalue()


def render_table(rows: list[dict[str, Any]], width: int) -> str:
    """What ``tracker status`` writes on a colour terminal ``width`` columns wide."""
    from tracker.cli.output import Display, showing
    from tracker.cli.reports import print_status

    out = io.StringIO()
    with redirect_stdout(out), showing(Display(terminal=True, colour=True, width=width)):
        print_status(rows, "table", "2024-06-01")
    return out.getvalue()


def _best(repeat: int, work: Callable[[], str]) -> float:
    best = float("inf")
    for _ in range(max(repeat, 1)):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def t1_tables(ctx: Context) -> Result:
    result = ctx.result("T1", "`status` as a terminal table against `--format json`")
    rows = status_rows(ctx)
    repeat = ctx.sizes.repeat
    json_s = result.add("json_s", "json of the rows", _best(repeat, lambda: render_json(rows)), "s")
    for width in WIDTHS:
        seconds = _best(repeat, lambda width=width: render_table(rows, width))
        result.add(f"table_{width}_s", f"table at {width} columns", seconds, "s")
        result.add(
            f"table_{width}_vs_json",
            f"table at {width} ÷ json",
            seconds / json_s,
            "×",
            Goal("≤", 2.0),
        )
    result.notes.append(f"{len(rows)} rows (W5's commitments, each twice)")
    return result
