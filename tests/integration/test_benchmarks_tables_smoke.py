"""``python -m benchmarks --only T1`` measures the status table against its JSON.

As for the other workloads, the timings are the benchmark's business: this checks that
T1 runs on tiny data, renders real tables at both widths and judges its two goals.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.checkout import benchmarks_module

pytest.importorskip("eventsourcing", reason="the benchmarks need the 'bench' extra")

ROOT = Path(__file__).resolve().parents[2]


def test_t1_compares_the_terminal_table_with_json(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "T1", "--status-events", "600",
         "--repeat", "1", "--workdir", str(tmp_path / "dbs"), "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "T1" in done.stdout
    (result,) = json.loads(out.read_text())["results"]
    assert result["workload"] == "T1"
    assert set(result["ratios"]) == {"table_80_vs_json", "table_200_vs_json"}
    assert {g["measure"] for g in result["goals"]} == set(result["ratios"])
    assert all(g["target"] == 2.0 for g in result["goals"])
    assert all(v > 0 for v in result["figures"].values())


def test_the_rendered_table_fits_its_fake_terminal() -> None:
    tables = benchmarks_module("tables")
    render_json, render_table = tables.render_json, tables.render_table

    rows = [
        {"id": f"pledge-{n}", "title": "A long title about a pledge " * 3, "made_by": ["mx"],
         "made_on": "2024-01-01", "status": "pledged", "overdue": n == 0, "days_late": 3,
         "due": {"start": "2024-01-01", "end": "2024-01-31", "label": "January 2024"},
         "overdue_follow_ups": 0, "next_follow_up": None}
        for n in range(5)
    ]  # fmt: skip
    for width in (80, 200):
        table = render_table(rows, width)
        plain = re.sub(r"\x1b\[[0-9;]*m", "", table)
        assert all(len(line) <= width for line in plain.splitlines())
        assert "\x1b[1;31mpledge-0" in table
        assert ("…" in plain) == (width == 80)  # the title is cut only where it must be
    assert [r["id"] for r in json.loads(render_json(rows))] == [r["id"] for r in rows]
