"""Real `tracker` processes for tests, and bounded waits for what they do.

Output goes to files rather than pipes, so a chatty process never blocks on a full
pipe and a failing test can show what each process said.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

DEADLINE_S = 30.0


def tracker_argv(*args: str) -> list[str]:
    """The installed console script, as users run it. (``python -c`` would put the
    working directory first on sys.path, where a checkout's ``tracker/`` lacks the
    ``tracker.cli`` that only the installed package maps in.)"""
    return [str(Path(sys.executable).with_name("tracker")), *args]


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The test's environment without the tracker settings of whoever runs the tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def run_tracker(
    *args: str, env: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        tracker_argv(*args),
        env=child_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class Proc:
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, signum: int) -> None:
        self.popen.send_signal(signum)

    def wait(self, timeout: float = DEADLINE_S) -> int:
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"process {self.pid} still running after {timeout:g}s; its output:\n"
                + self.output()
            ) from None

    def kill(self) -> None:
        if self.alive():
            self.popen.kill()
        self.popen.wait(DEADLINE_S)


@dataclass
class Procs:
    """Every process a test starts; all are killed when the test ends, pass or fail."""

    directory: Path
    env: Mapping[str, str]
    started: list[Proc] = field(default_factory=list)

    def spawn(self, *args: str) -> Proc:
        log = self.directory / f"proc-{len(self.started)}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                tracker_argv(*args),
                env=child_env(self.env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        proc = Proc(popen, log)
        self.started.append(proc)
        return proc

    def outputs(self) -> str:
        return "\n".join(f"--- process {p.pid}:\n{p.output()}" for p in self.started)

    def kill_all(self) -> None:
        for proc in self.started:
            proc.kill()


@contextmanager
def processes(directory: Path, env: Mapping[str, str]) -> Iterator[Procs]:
    procs = Procs(directory, env)
    try:
        yield procs
    finally:
        procs.kill_all()


def wait_for(
    condition: Callable[[], T | None],
    what: str,
    *,
    deadline: float = DEADLINE_S,
    interval: float = 0.1,
    explain: Callable[[], str] = lambda: "",
) -> T:
    """Poll ``condition`` until it returns something truthy; fail saying ``what`` never happened.

    The deadline only bounds a hang: tests assert on what happens, never on how fast.
    """
    end = time.monotonic() + deadline
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}\n{explain()}")
        time.sleep(interval)
