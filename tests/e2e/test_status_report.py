"""The status report's order and summary: what needs chasing comes first and is counted."""

from __future__ import annotations

import csv
import io
import json

import pytest
from support.cli import Cli
from support.db_kinds import both_backends

FENTANYL = "fentanyl-meeting-feb-2024"


@pytest.fixture
def cli(db_url: str) -> Cli:
    return Cli(db_url).load_demo()


@both_backends
def test_overdue_first_then_overdue_follow_ups_then_by_deadline(cli: Cli) -> None:
    rows = json.loads(cli.ok("status", "--as-of", "2024-03-02", "--format", "json").stdout)
    ranks = [(not r["overdue"], not r["overdue_follow_ups"]) for r in rows]
    assert ranks == sorted(ranks)
    assert rows[0]["id"] == FENTANYL and rows[0]["overdue"]
    chasing = [r["id"] for r in rows if r["overdue_follow_ups"] and not r["overdue"]]
    assert chasing and "darien-visit" in chasing
    assert [r["id"] for r in rows[1 : 1 + len(chasing)]] == chasing


def test_the_summary_counts_commitments_with_overdue_follow_ups(cli: Cli) -> None:
    table = cli.ok("status", "--as-of", "2024-03-02", "--by", "estados unidos").stdout
    summary = table.strip().splitlines()[-1]
    assert summary == (
        "5 commitments, 1 overdue, 3 more with overdue follow-ups (judged on 2024-03-02)"
    )
    one = cli.ok("status", "--as-of", "2024-01-25", "--by", "estados unidos").stdout
    assert "0 overdue (judged on 2024-01-25)" in one and "more with" not in one


def test_csv_has_a_column_for_overdue_follow_ups(cli: Cli) -> None:
    text = cli.ok("status", "--as-of", "2024-03-02", "--format", "csv").stdout
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["darien-visit"]["overdue_follow_ups"] == "1"
    assert rows["darien-visit"]["overdue"] == "false"
