"""The README's tour runs in order, as written, on a fresh demo database.

Every command of the shell blocks of the "A tour" section (the demo's own tour, after
the install commands, which run `tracker demo`) is run by bash in a folder of its own,
so that `tracker export > commitments.yaml` writes there, and must exit 0. The other
sections' blocks need what a test cannot give (a mail server, a long-running
scheduler, a PostgreSQL administrator, /var/www) and are left out.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
TOUR = "## A tour"
ASSIGNMENT = re.compile(r"([A-Za-z_]\w*)=(\S.*)")


def _unquoted(line: str) -> list[tuple[int, str]]:
    """Each character of ``line`` outside quotes, with its index."""
    found, quote = [], ""
    for i, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        else:
            found.append((i, char))
    return found


def commands(block: str) -> list[str]:
    """The commands of a shell block: comments stripped, `a; b` split in two."""
    found = []
    for line in block.splitlines():
        cuts = [0]
        for i, char in _unquoted(line):
            if char == "#" and (i == 0 or line[i - 1].isspace()):
                line = line[:i]
                break
            if char == ";":
                cuts.append(i)
        ends = [*cuts[1:], len(line)]
        parts = [line[a:b].lstrip(";") for a, b in zip(cuts, ends, strict=True)]
        found += [p.strip() for p in parts if p.strip()]
    return found


def tour() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index(TOUR)
    end = text.index("\n## ", start + len(TOUR))
    blocks = re.findall(r"```sh\n(.*?)```", text[start:end], re.S)
    return [c for block in blocks for c in commands(block)]


def test_comments_and_semicolons_are_read_as_a_shell_reads_them() -> None:
    block = 'tracker actors; tracker sources   # both\ntracker x --note "a; b # c"  # d\n'
    assert commands(block) == ["tracker actors", "tracker sources", 'tracker x --note "a; b # c"']


def test_the_tour_has_the_commands_the_issue_names() -> None:
    found = tour()
    follow_up = next(i for i, c in enumerate(found) if "follow-up ask-sre" in c)
    fulfilled = next(i for i, c in enumerate(found) if "status fulfilled" in c)
    assert follow_up < fulfilled  # nothing but a reopen, a note or a retraction follows it
    assert any("--known-at" in c for c in found)
    assert found.index("tracker export > commitments.yaml") < found.index(
        "tracker import commitments.yaml"
    )


def test_every_command_of_the_tour_exits_0_on_a_fresh_demo(tmp_path: Path) -> None:
    bin_dir = str(Path(sys.executable).parent)
    if shutil.which("tracker", path=bin_dir) is None:
        pytest.skip(f"the tracker command is not installed beside {sys.executable}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env |= {"TRACKER_DB": str(tmp_path / "tracker.db"), "PATH": f"{bin_dir}:{env['PATH']}"}
    work = tmp_path / "cwd"
    work.mkdir()

    def run(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", command], cwd=work, env=env, capture_output=True, text=True
        )

    for command in ["tracker demo", *tour()]:
        if match := ASSIGNMENT.fullmatch(command):  # before=$(date …): kept for what follows
            result = run(f"printf %s {match.group(2)}")
            env[match.group(1)] = result.stdout
        else:
            result = run(command)
        assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr)
    assert (work / "commitments.yaml").stat().st_size > 0
