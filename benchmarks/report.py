"""Figures, ratios and goals: how a run is recorded, printed and written as JSON.

A workload returns a :class:`Result` per backend: named figures (rates, seconds,
megabytes), ratios against what it is compared with, and the goals some of them must
meet. The table puts the backends side by side, one line per quantity, so a reader
sees SQLite's and PostgreSQL's figures for the same thing next to each other.
"""

from __future__ import annotations

import json
import operator
import os
import platform
import sqlite3
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

_OPS = {"≥": operator.ge, "≤": operator.le}


@dataclass(frozen=True)
class Goal:
    op: str  # "≥" or "≤"
    target: float

    def met(self, value: float) -> bool:
        return _OPS[self.op](value, self.target)


@dataclass(frozen=True)
class Measure:
    key: str  # the JSON name
    label: str  # what the table says
    value: float
    unit: str  # "/s", "s", "MB", "×", or "" for a count per operation
    goal: Goal | None = None

    @property
    def is_ratio(self) -> bool:
        return self.unit == "×"

    @property
    def met(self) -> bool | None:
        return None if self.goal is None else self.goal.met(self.value)


@dataclass
class Result:
    workload: str  # "W1"
    title: str
    backend: str
    measures: list[Measure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, key: str, label: str, value: float, unit: str, goal: Goal | None = None) -> float:
        self.measures.append(Measure(key, label, value, unit, goal))
        return value

    def to_dict(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "title": self.title,
            "backend": self.backend,
            "figures": {m.key: m.value for m in self.measures if not m.is_ratio},
            "ratios": {m.key: m.value for m in self.measures if m.is_ratio},
            "goals": [
                {
                    "measure": m.key,
                    "goal": goal_text(m),
                    "value": m.value,
                    "target": m.goal.target,
                    "met": m.met,
                }
                for m in self.measures
                if m.goal is not None
            ],
            "notes": self.notes,
        }


def fmt(value: float, unit: str) -> str:
    if unit == "×":
        return f"{value:.2f}×"
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "":  # a count per operation
        return f"{value:.1f}"
    return f"{value:,.0f}{unit}"


def goal_text(m: Measure) -> str:
    assert m.goal is not None
    target = m.goal.target
    if m.unit == "/s":
        shown = f"{target / 1000:g}k/s" if target >= 1000 else f"{target:g}/s"
    else:
        shown = fmt(target, m.unit).replace(".00×", "×").replace(".000 s", " s")
    return f"{m.goal.op} {shown}"


def _goal_cell(goals: dict[str, str]) -> str:
    """The goal, or each backend's where they differ (W1: SQLite ≥ 1×, PostgreSQL ≥ 1.5×)."""
    if len(set(goals.values())) <= 1:
        return next(iter(goals.values()), "")
    return ", ".join(f"{backend} {goal}" for backend, goal in goals.items())


def table(results: list[Result], markdown: bool = False) -> str:
    """One line per (workload, quantity), a column per backend."""
    backends = list(dict.fromkeys(r.backend for r in results))
    by_key = {(r.workload, r.backend): r for r in results}
    lines = [["id", "quantity", *backends, "goal"]]
    for workload in dict.fromkeys(r.workload for r in results):
        ours = [r for r in results if r.workload == workload]
        lines.append([workload, ours[0].title, *[""] * len(backends), ""])
        # Every quantity once, in the order measured: some exist on one backend only.
        quantities = {m.key: m for r in ours for m in r.measures}
        for m in quantities.values():
            cells, goals = [], {}
            for b in backends:
                other = by_key.get((workload, b))
                found = next((x for x in other.measures if x.key == m.key), None) if other else None
                if found is None:
                    cells.append("—")
                    continue
                mark = {True: " met", False: " MISSED", None: ""}[found.met]
                cells.append(fmt(found.value, found.unit) + mark)
                if found.goal:
                    goals[b] = goal_text(found)
            lines.append(["", m.label, *cells, _goal_cell(goals)])
    if markdown:
        out = ["| " + " | ".join(lines[0]) + " |", "|" + "---|" * len(lines[0])]
        for row in lines[1:]:
            if row[0]:
                row = [f"**{row[0]}**", f"**{row[1]}**", *row[2:]]
            out.append("| " + " | ".join(row) + " |")
        return "\n".join(out)
    widths = [max(len(row[i]) for row in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in lines
    )


def missed(results: Iterable[Result]) -> list[tuple[Result, Measure]]:
    return [(r, m) for r in results for m in r.measures if m.met is False]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    return round(pages * size / 2**30, 1)


def machine(postgres_version: str | None) -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version,
        "sqlalchemy": version("sqlalchemy"),
        "eventsourcing": version("eventsourcing"),
        "tracker": version("tracker"),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def write_json(
    path: str, results: list[Result], options: dict[str, Any], about: dict[str, Any]
) -> None:
    document = {
        "machine": about,
        "options": options,
        "results": [r.to_dict() for r in results],
        "missed": [
            {"workload": r.workload, "backend": r.backend, "measure": m.key}
            for r, m in missed(results)
        ],
    }
    Path(path).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
