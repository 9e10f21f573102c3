"""`tracker status --format json|jsonl` answers from the stored status rows.

The projection keeps each commitment's status row pre-encoded and what judging it on a
day needs; the report for today is then read with the bare driver. These tests hold it
to the full path's bytes on many days (overdue judgements change with the day), on
both backends, and check that it never loads SQLAlchemy or YAML.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from support.checkout import benchmarks_module
from support.cli import Cli

import tracker.service_layer.queries as queries
import tracker.service_layer.statusrows as statusrows
from tracker.service_layer.statusrows import SORTS

# A title holding the text the stored row's day-dependent keys are found by.
TRICKY = 'Decir «"overdue": false, "days_late": null» y "overdue_follow_ups": 0'


def _datasets() -> Any:
    return benchmarks_module("datasets")


@pytest.fixture
def generated(db_url: str) -> Iterator[Cli]:
    """A generated log (deadlines, changes of them, follow-ups, verdicts), then a few
    entries by command, so that both the import and the append write the columns."""
    from tracker.service_layer.app import Tracker
    from tracker.service_layer.fileformat.document import Document
    from tracker.service_layer.importer import import_document

    datasets = _datasets()
    rng = random.Random(11)
    catalog = datasets.make_catalog(rng, people=12, sources=40)
    items = list(datasets.commitments(rng, catalog, 1500))
    tricky = datasets.make_commitment(rng, catalog, len(items), 3)
    made_on = date.fromisoformat(tricky["made_on"])
    follow_up = {"id": "check", "due": str(made_on + timedelta(days=9)), "task": "Ask again"}
    tricky.update(title=TRICKY, due=str(made_on + timedelta(days=30)), follow_ups=[follow_up])
    tricky.pop("history", None)
    tracker = Tracker.open(db_url)
    try:
        import_document(tracker, Document("generated", datasets.document(catalog, items)))
        import_document(tracker, Document("tricky", datasets.document(None, [tricky])))
    finally:
        tracker.close()
    cli = Cli(db_url)
    rows = json.loads(cli.ok("status", "--format", "json").stdout)
    open_ones = [r["id"] for r in rows if r["due"] and r["status"] in ("pledged", "in_progress")]
    cli.ok("record", open_ones[0], "due", "2031-06-30", "--note", "postponed")
    cli.ok("record", open_ones[1], "due", "2023-03-01", "--note", "brought forward")
    cli.ok("record", open_ones[2], "note", "still waiting")
    yield cli


def _days() -> list[date]:
    """Before anything was due, through the generated span, and long after."""
    datasets = _datasets()
    first, span = datasets.FIRST_DAY, datasets.SPAN_DAYS
    days = [first - timedelta(days=30), *(first + timedelta(days=d) for d in range(0, span, 97))]
    return [*days, first + timedelta(days=span + 400), date(2031, 7, 2)]


def _status_on(cli: Cli, day: date, fmt: str, *options: str) -> str:
    with time_machine.travel(datetime.combine(day, time(12), tzinfo=UTC), tick=False):
        return str(cli.ok("status", "--format", fmt, *options).stdout)


def _fast_and_full(
    cli: Cli, days: list[date], fmt: str, options: list[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], list[str]]:
    """The command's output on each day from the stored rows, and from the full path."""
    with monkeypatch.context() as stored_only:
        stored_only.setattr(queries, "status_report", _never)
        fast = [_status_on(cli, day, fmt, *options) for day in days]
    with monkeypatch.context() as full_only:
        full_only.setattr(statusrows, "stored_report", lambda *_args, **_kwargs: None)
        full = [_status_on(cli, day, fmt, *options) for day in days]
    return fast, full


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_the_stored_rows_give_the_full_paths_bytes_on_every_day(
    generated: Cli, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = _days()
    fast, full = _fast_and_full(generated, days, fmt, [], monkeypatch)
    for day, got, want in zip(days, fast, full, strict=True):
        assert got == want, day
    # The days do judge differently, and the tricky title came through whole.
    overdue = [sum('"overdue": true' in line for line in text.splitlines()) for text in fast]
    assert overdue[0] == 0 and len(set(overdue)) > 3
    (late,) = [row for row in _rows(fast[-1], fmt) if row["title"] == TRICKY]
    assert late["overdue"] and late["days_late"] and late["overdue_follow_ups"] == 1


@pytest.mark.parametrize(
    "options",
    [
        ["--overdue"],
        ["--limit", "7"],
        ["--due-before", "2024-03-01"],
        ["--status", "pledged", "--status", "in-progress"],
        *(["--sort", sort] for sort in SORTS),
        ["--sort", "late", "--overdue", "--status", "stalled", "--limit", "40"],
    ],
)
def test_the_options_it_takes_give_the_full_paths_bytes_too(
    generated: Cli, options: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    days = _days()[::3]
    fast, full = _fast_and_full(generated, days, "json", options, monkeypatch)
    for day, got, want in zip(days, fast, full, strict=True):
        assert got == want, (day, options)
    assert any(len(_rows(text, "json")) > 1 for text in fast)


def _never(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("the full path ran where the stored rows should answer")


def _rows(text: str, fmt: str) -> list[dict[str, Any]]:
    if fmt == "json":
        return list(json.loads(text))
    return [json.loads(line) for line in text.splitlines()]


_PROBE = """
import contextlib, io, json, sys
from tracker.cli.main import cli
out = io.StringIO()
with contextlib.redirect_stdout(out):
    cli(["--db", sys.argv[1], "status", "--format", "json"], standalone_mode=False)
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "yaml", "alembic"))
print(json.dumps({"heavy": heavy, "rows": len(json.loads(out.getvalue()))}))
"""


def test_the_stored_path_loads_neither_sqlalchemy_nor_yaml(db_url: str, tmp_path: Path) -> None:
    Cli(db_url).load_demo()
    done = subprocess.run(  # not in the checkout: -c puts the directory first on the path
        [sys.executable, "-c", _PROBE, db_url],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    found = json.loads(done.stdout)
    assert found["heavy"] == []
    assert found["rows"] > 5


def test_options_the_stored_rows_cannot_honour_take_the_full_path(
    generated: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statusrows, "stored_report", _never)
    for extra in (
        ["--as-of", "2024-02-11"],
        ["--known-at", "2030-01-01"],
        ["--upcoming", "0"],
        ["--tag", "migration"],
        ["--by", "mx"],
    ):
        generated.ok("status", "--format", "json", *extra)
    generated.ok("status", "--format", "csv")
