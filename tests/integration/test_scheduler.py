"""The scheduler as real processes against a real database and a real SMTP server.

Processes are started, killed (SIGKILL) and stopped (SIGTERM, SIGINT) for real; the
tests wait for what the processes record in the database, with deadlines that only
bound a hang, and assert on what happened, never on how long it took.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from support.procs import Proc, Procs, processes, run_tracker, wait_for
from support.tamper import tampering

from tracker.adapters import runs
from tracker.adapters.db import Database
from tracker.adapters.lease import acquire, read_lease, release, renew
from tracker.clock import utc_now
from tracker.entrypoints.registry import JOBS, JobFailed, unmet_settings
from tracker.entrypoints.scheduler import (
    DurationError,
    JobScheduler,
    parse_duration,
    resolve_cadences,
)
from tracker.service_layer.app import Tracker
from tracker.service_layer.fileformat.document import parse_text
from tracker.service_layer.importer import import_document

if TYPE_CHECKING:
    from support.pgserver import PgServer
    from support.smtp import SmtpSink

OWNERS = {"desk@example.org", "migration-desk@example.org"}
# The scheduler reads its settings from the environment like the commands do; this one
# proves it (the audit job's staleness threshold) without changing an outcome.
BASE_ENV = {"TRACKER_STALE_DAYS": "3650"}
SECRET = "s3cret-Pw"  # in database URLs, where no output may show it
FAST = ["--overdue-every", "1s", "--remind-every", "1s", "--audit-every", "2s"]


# --- the parts that need no process ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("15m", 900),
        ("1h", 3600),
        ("1d", 86400),
        ("7d", 604800),
        ("1h30m", 5400),
        ("0.5s", 0.5),
        (" 2W ", 1209600),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "1", "h", "1x", "-1h", "0s", "1h 30", "soon"])
def test_parse_duration_refuses_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(DurationError, match="duration"):
        parse_duration(text)


def test_cadences_come_from_options_then_environment_then_defaults() -> None:
    env = {"TRACKER_REMIND_EVERY": "12h"}
    cadences = resolve_cadences({"overdue": timedelta(minutes=5)}, env)
    assert cadences == {
        "overdue": timedelta(minutes=5),
        "remind": timedelta(hours=12),
        "audit": timedelta(days=7),
    }
    with pytest.raises(DurationError, match="TRACKER_AUDIT_EVERY: 'weekly' is not a duration"):
        resolve_cadences({}, {"TRACKER_AUDIT_EVERY": "weekly"})


def test_only_the_chosen_jobs_get_cadences_and_only_their_variables_are_read() -> None:
    env = {"TRACKER_REMIND_EVERY": "weekly", "TRACKER_AUDIT_EVERY": "2d"}
    cadences = resolve_cadences({}, env, jobs=("audit", "overdue"))
    assert cadences == {"overdue": timedelta(hours=1), "audit": timedelta(days=2)}
    assert list(cadences) == ["overdue", "audit"]  # the order the jobs run in


@pytest.mark.parametrize("text", ["99999999999d", "367d", "53w", "9999999h"])
def test_parse_duration_refuses_a_cadence_longer_than_a_year(text: str) -> None:
    with pytest.raises(DurationError, match="longer than the longest cadence, 366d"):
        parse_duration(text)


def test_the_mail_job_names_the_settings_it_lacks_with_examples_to_copy() -> None:
    url, sender = "TRACKER_SMTP_URL", "TRACKER_MAIL_FROM"
    assert unmet_settings("overdue", {}) is None
    assert unmet_settings("remind", {}) == (
        f"set {url} and {sender} (for example smtp://user:password@mail.example.org:587 "
        "and tracker@example.org)"
    )
    assert unmet_settings("remind", {url: "smtp://relay:25"}) == (
        f"set {sender} (for example tracker@example.org)"
    )
    assert unmet_settings("remind", {url: "smtp://relay:25", sender: "t@example.org"}) is None


def test_lease_goes_to_one_holder_until_it_expires_or_is_released(db: Database) -> None:
    now = utc_now()
    assert acquire(db, "a", 30, now=now).holder == "a"
    assert acquire(db, "b", 30, now=now + timedelta(seconds=10)).holder == "a"
    assert not renew(db, "b", 30, now=now + timedelta(seconds=10))
    assert renew(db, "a", 30, now=now + timedelta(seconds=20))
    # Renewed at +20s, so still a's at +45s; free for b at +51s.
    assert acquire(db, "b", 30, now=now + timedelta(seconds=45)).holder == "a"
    taken = acquire(db, "b", 30, now=now + timedelta(seconds=51))
    assert (taken.holder, taken.acquired_at) == ("b", now + timedelta(seconds=51))
    assert not renew(db, "a", 30, now=now + timedelta(seconds=52))
    assert not release(db, "a")
    assert release(db, "b")
    assert read_lease(db) is None


def test_runs_are_recorded_and_the_latest_of_each_job_listed(db: Database) -> None:
    first = runs.start_run(db, "overdue", "me")
    runs.finish_run(db, first, runs.OK, {"overdue": 2, "flagged": 2})
    second = runs.start_run(db, "overdue", "me")
    dead = runs.start_run(db, "remind", "gone")
    assert {r.id for r in runs.latest_runs(db).values()} == {second, dead}
    assert [r.id for r in runs.mark_interrupted(db, "me")] == [dead]
    assert runs.latest_runs(db)["remind"].outcome == runs.INTERRUPTED
    assert runs.latest_runs(db)["overdue"].outcome == runs.RUNNING  # ours: not touched
    assert runs.recent_runs(db, 1)[0].id == dead
    assert runs.recent_runs(db, 5, job="overdue")[1].counts == {"overdue": 2, "flagged": 2}


# --- real processes -------------------------------------------------------------------


@pytest.fixture
def demo_url(db_url: str) -> str:
    """The database with the demo dataset, whose commitments are overdue today."""
    tracker = Tracker.open(db_url)
    try:
        text = (files("tracker.data") / "demo.yaml").read_text(encoding="utf-8")
        import_document(tracker, parse_text(text, "demo.yaml"))
    finally:
        tracker.close()
    return db_url


def test_the_audit_job_fails_on_a_tampered_log(demo_url: str) -> None:
    tracker = Tracker.open(demo_url)
    try:
        assert JOBS["audit"](tracker, utc_now()) == {"checks": 6, "failed_checks": 0}
        with tampering(tracker.db) as conn:  # metadata: in no projection, so only the chain fails
            conn.execute(sa.text("UPDATE events SET meta = '{}' WHERE position = 1"))
        with pytest.raises(JobFailed, match=r"^audit failed: chain$") as caught:
            JOBS["audit"](tracker, utc_now())
        assert caught.value.counts == {"checks": 6, "failed_checks": 1}
    finally:
        tracker.close()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    from support.smtp import SmtpSink

    with SmtpSink() as server:
        yield server


@pytest.fixture
def mail_env(sink: SmtpSink) -> dict[str, str]:
    return {**BASE_ENV, "TRACKER_SMTP_URL": sink.url, "TRACKER_MAIL_FROM": "tracker@example.org"}


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Procs]:
    with processes(tmp_path, BASE_ENV) as started:
        yield started


@pytest.fixture
def check_db(demo_url: str) -> Iterator[Database]:
    """The test's own view of the database the processes use."""
    database = Database(demo_url)
    yield database
    database.dispose()


def recipients(sink: SmtpSink) -> Counter[str]:
    return Counter(to.lower() for message in sink.messages for to in _to(message))


def _to(message: object) -> list[str]:
    header = message["To"]  # type: ignore[index]
    return [part.strip() for part in str(header).split(",")]


def pid_of(holder: str) -> int:
    return int(holder.rsplit(":", 2)[1])


def all_runs(db: Database) -> list[runs.JobRun]:
    return runs.recent_runs(db, 10_000)[::-1]


def start_scheduler(procs: Procs, url: str, *extra: str) -> Proc:
    return procs.spawn("--db", url, "scheduler", "run", *FAST, *extra)


def holder_among(db: Database, candidates: list[Proc]) -> Proc | None:
    lease = read_lease(db)
    if lease is None or not lease.live():
        return None
    return next((p for p in candidates if p.pid == pid_of(lease.holder)), None)


def finished_by(db: Database, proc: Proc, after: int = 0) -> set[str]:
    """The jobs this process ran to the end in runs numbered above ``after``."""
    return {
        r.job
        for r in all_runs(db)
        if r.id > after and pid_of(r.holder) == proc.pid and r.finished_at is not None
    }


@pytest.mark.slow
def test_once_runs_every_job_then_sends_nothing_twice(
    demo_url: str, mail_env: dict[str, str], sink: SmtpSink, check_db: Database
) -> None:
    env = mail_env
    first = run_tracker("--db", demo_url, "scheduler", "run", "--once", env=env)
    assert first.returncode == 0, first.stderr
    recorded = all_runs(check_db)
    assert [(r.job, r.outcome) for r in recorded] == [(name, "ok") for name in JOBS]
    assert all(r.finished_at is not None and r.error is None for r in recorded)
    assert recorded[0].counts["flagged"] > 0
    assert recipients(sink) == Counter(dict.fromkeys(OWNERS, 1))
    assert "job remind ok" in first.stderr
    assert read_lease(check_db) is None  # given back on exit

    second = run_tracker("--db", demo_url, "scheduler", "run", "--once", env=env)
    assert second.returncode == 0, second.stderr
    again = all_runs(check_db)[3:]
    assert [(r.job, r.outcome) for r in again] == [(name, "ok") for name in JOBS]
    assert again[0].counts["flagged"] == 0
    assert again[1].counts["sent"] == 0
    assert recipients(sink) == Counter(dict.fromkeys(OWNERS, 1))

    shown = run_tracker("--db", demo_url, "scheduler", "status", "--format", "json", env=env)
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["lease"] is None
    assert [(r["job"], r["outcome"], r["id"]) for r in document["runs"]] == [
        (r.job, r.outcome, r.id) for r in again
    ]
    table = run_tracker("--db", demo_url, "scheduler", "status", env=env)
    assert "no scheduler is running the jobs" in table.stdout


@pytest.mark.slow
def test_once_runs_nothing_while_another_scheduler_holds_the_lease(
    demo_url: str, check_db: Database
) -> None:
    acquire(check_db, "elsewhere:1:abcd", 600)
    result = run_tracker("--db", demo_url, "scheduler", "run", "--once", env=BASE_ENV)
    assert result.returncode == 1
    assert "elsewhere:1:abcd holds the lease" in result.stderr
    assert "Traceback" not in result.stderr
    assert all_runs(check_db) == []


MAIL_HINT = (
    "remind: not run: set TRACKER_SMTP_URL and TRACKER_MAIL_FROM (for example "
    "smtp://user:password@mail.example.org:587 and tracker@example.org)"
)


def test_once_without_mail_settings_runs_the_other_jobs_and_says_what_to_set(
    demo_url: str, check_db: Database
) -> None:
    result = run_tracker("--db", demo_url, "scheduler", "run", "--once", env=BASE_ENV)
    assert result.returncode == 1, result.stderr
    assert MAIL_HINT in result.stderr  # the example as written, not through the mask
    assert "***" not in result.stderr and "Traceback" not in result.stderr
    assert "Not every job succeeded (remind failed)" in result.stderr
    recorded = all_runs(check_db)
    assert [(r.job, r.outcome) for r in recorded] == [
        ("overdue", "ok"),
        ("remind", "failed"),
        ("audit", "ok"),
    ]
    assert recorded[1].error == MAIL_HINT.removeprefix("remind: ")
    assert recorded[0].counts["flagged"] > 0


def test_once_with_jobs_runs_only_those_in_their_order(demo_url: str, check_db: Database) -> None:
    argv = ("--db", demo_url, "scheduler", "run", "--once", "--jobs", "audit, overdue")
    result = run_tracker(*argv, env=BASE_ENV)
    assert result.returncode == 0, result.stderr
    assert [(r.job, r.outcome) for r in all_runs(check_db)] == [("overdue", "ok"), ("audit", "ok")]
    assert "remind" not in result.stderr


def test_a_mail_setting_that_cannot_work_is_named_and_its_password_kept_hidden(
    demo_url: str, check_db: Database
) -> None:
    env = {
        **BASE_ENV,
        "TRACKER_SMTP_URL": f"smtp://desk:{SECRET}@relay.example.org:25?starttls=0",
        "TRACKER_MAIL_FROM": "tracker@example.org",
    }
    argv = ("--db", demo_url, "scheduler", "run", "--once", "--jobs", "remind")
    result = run_tracker(*argv, env=env)
    assert result.returncode == 1
    assert "remind: not run: TRACKER_SMTP_URL: refusing to send a password" in result.stderr
    assert SECRET not in result.stderr
    (run,) = all_runs(check_db)
    assert run.outcome == "failed" and SECRET not in (run.error or "")


@pytest.mark.slow
def test_jobs_holds_for_a_scheduler_that_keeps_running(
    demo_url: str, procs: Procs, check_db: Database
) -> None:
    argv = ("--db", demo_url, "scheduler", "run", "--jobs", "overdue", "--overdue-every", "1s")
    proc = procs.spawn(*argv)
    wait_for(
        lambda: len([r for r in all_runs(check_db) if r.finished_at is not None]) >= 2,
        "the overdue job to run twice",
        explain=procs.outputs,
    )
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0, procs.outputs()
    assert {r.job for r in all_runs(check_db)} == {"overdue"}
    assert "overdue every 1s;" in proc.output()


@pytest.mark.slow
def test_a_standby_takes_over_when_the_holder_is_killed_and_sends_nothing_twice(
    demo_url: str, procs: Procs, mail_env: dict[str, str], sink: SmtpSink, check_db: Database
) -> None:
    procs.env = mail_env
    pair = [start_scheduler(procs, demo_url, "--lease-ttl", "3") for _ in range(2)]
    first = wait_for(
        lambda: holder_among(check_db, pair),
        "one scheduler to hold the lease",
        explain=procs.outputs,
    )
    (standby,) = [p for p in pair if p is not first]
    wait_for(
        lambda: finished_by(check_db, first) >= set(JOBS),
        "the holder to run every job",
        explain=procs.outputs,
    )
    wait_for(lambda: "standby" in standby.output(), "the other to stand by", explain=procs.outputs)
    assert {pid_of(r.holder) for r in all_runs(check_db)} == {first.pid}
    assert recipients(sink) == Counter(dict.fromkeys(OWNERS, 1))

    first.signal(signal.SIGKILL)
    first.wait()
    last_before = max(r.id for r in all_runs(check_db))
    wait_for(
        lambda: holder_among(check_db, pair) is standby,
        "the standby to take the lease",
        explain=procs.outputs,
    )
    wait_for(
        lambda: finished_by(check_db, standby, last_before) >= set(JOBS),
        "the new holder to run every job",
        explain=procs.outputs,
    )
    assert standby.alive()
    taken_over = [r for r in all_runs(check_db) if pid_of(r.holder) == standby.pid]
    assert all(r.counts.get("sent", 0) == 0 for r in taken_over if r.job == "remind")
    assert recipients(sink) == Counter(dict.fromkeys(OWNERS, 1))
    # Whatever the killed holder was running is closed, not left "running".
    assert not [
        r
        for r in all_runs(check_db)
        if r.holder != taken_over[0].holder and r.outcome == runs.RUNNING
    ]


@pytest.mark.slow
def test_sigterm_and_ctrl_c_stop_cleanly_and_hand_the_lease_over_at_once(
    demo_url: str, procs: Procs, check_db: Database
) -> None:
    # The lease outlives a silent holder by 60s, longer than the deadline of any wait
    # below: the standby can only take over because the lease was given back.
    pair = [start_scheduler(procs, demo_url, "--lease-ttl", "60") for _ in range(2)]
    first = wait_for(lambda: holder_among(check_db, pair), "one scheduler to hold the lease")
    (standby,) = [p for p in pair if p is not first]
    wait_for(
        lambda: finished_by(check_db, first) >= set(JOBS),
        "the holder to run every job",
        explain=procs.outputs,
    )
    wait_for(lambda: "standby" in standby.output(), "the other to stand by", explain=procs.outputs)

    first.signal(signal.SIGTERM)
    assert first.wait() == 0, first.output()
    assert "SIGTERM received" in first.output()
    assert "Traceback" not in first.output()
    mine = [r for r in all_runs(check_db) if pid_of(r.holder) == first.pid]
    assert all(r.finished_at is not None and r.outcome != runs.RUNNING for r in mine)
    lease = read_lease(check_db)
    assert lease is None or pid_of(lease.holder) == standby.pid

    wait_for(
        lambda: holder_among(check_db, pair) is standby,
        "the standby to take the lease",
        explain=procs.outputs,
    )
    standby.signal(signal.SIGINT)
    assert standby.wait() == 0, standby.output()
    assert read_lease(check_db) is None
    assert all(r.finished_at is not None for r in all_runs(check_db))


def run_in_thread(jobs: JobScheduler) -> threading.Thread:
    thread = threading.Thread(
        target=jobs.run_forever, kwargs={"handle_signals": False}, name="scheduler"
    )
    thread.start()
    return thread


def stop(jobs: JobScheduler, thread: threading.Thread) -> None:
    jobs.stop()
    thread.join(30)
    assert not thread.is_alive()


def test_every_job_runs_when_the_scheduler_starts_however_long_its_cadence(
    demo_url: str, check_db: Database
) -> None:
    tracker = Tracker.open(demo_url)
    jobs = JobScheduler(tracker, {name: timedelta(days=7) for name in JOBS})
    thread = run_in_thread(jobs)
    try:
        wait_for(
            lambda: {r.job for r in all_runs(check_db) if r.finished_at} >= set(JOBS),
            "every job to run at start",
        )
    finally:
        stop(jobs, thread)
        tracker.close()
    assert [r.job for r in all_runs(check_db)] == list(JOBS)  # once each, in order


# --- outages ------------------------------------------------------------------------


class Outage:
    """A TCP forwarder in front of the test PostgreSQL server that a test cuts and
    restores: while cut, open connections are dropped and new ones closed at once, as
    in a network or server outage. The server itself keeps running for the test's own
    checks."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self._up = threading.Event()
        self._up.set()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        threading.Thread(target=self._accept, name="outage-accept", daemon=True).start()

    def cut(self) -> None:
        self._up.clear()
        with self._lock:
            dropped, self._open = self._open, set()
        for sock in dropped:
            _drop(sock)

    def restore(self) -> None:
        self._up.set()

    def close(self) -> None:
        self.cut()
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            if not self._up.is_set():
                _drop(client)
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                _drop(client)
                continue
            with self._lock:
                self._open |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _drop(source)
        _drop(sink)


def _drop(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


@pytest.fixture
def outage_url(pg_server: PgServer) -> Iterator[tuple[str, Outage, Database]]:
    """A fresh PostgreSQL database reached through an :class:`Outage` (with a password,
    which the server's trust authentication ignores), and a direct view of it."""
    name = f"t_{uuid.uuid4().hex}"
    direct = Database(pg_server.create_database(name))
    outage = Outage(pg_server.port)
    url = f"postgresql+psycopg://postgres:{SECRET}@127.0.0.1:{outage.port}/{name}"
    try:
        yield url, outage, direct
    finally:
        outage.close()
        direct.dispose()
        pg_server.drop_database(name)


@pytest.mark.postgres
@pytest.mark.slow
def test_an_outage_while_running_is_logged_and_the_jobs_tried_again_soon(
    outage_url: tuple[str, Outage, Database], caplog: pytest.LogCaptureFixture
) -> None:
    url, outage, direct = outage_url
    tracker = Tracker.open(url)
    # Hourly jobs: only the retry can run them again within the test.
    jobs = JobScheduler(tracker, {name: timedelta(hours=1) for name in JOBS}, lease_ttl=3)
    outage.cut()
    try:
        with caplog.at_level(logging.INFO, logger="tracker.scheduler"):
            thread = run_in_thread(jobs)
            try:
                wait_for(lambda: "does not answer" in caplog.text, "the outage to be logged")
                assert thread.is_alive()
                assert all_runs(direct) == []
                outage.restore()
                wait_for(
                    lambda: {r.job for r in all_runs(direct) if r.finished_at} >= set(JOBS),
                    "every job to run once the database answers again",
                    explain=lambda: caplog.text,
                )
                wait_for(lambda: "answers again" in caplog.text, "the recovery to be logged")
            finally:
                stop(jobs, thread)
    finally:
        tracker.close()
    assert "tried again" in caplog.text
    assert f"postgres:***@127.0.0.1:{outage.port}" in caplog.text
    assert SECRET not in caplog.text
    assert read_lease(direct) is None  # given back on the way out


@pytest.mark.postgres
@pytest.mark.slow
def test_a_scheduler_process_outlives_an_outage(
    outage_url: tuple[str, Outage, Database], procs: Procs
) -> None:
    url, outage, direct = outage_url
    Tracker.open(url).close()
    proc = start_scheduler(procs, url, "--lease-ttl", "3")
    wait_for(
        lambda: finished_by(direct, proc) >= set(JOBS), "every job to run", explain=procs.outputs
    )
    outage.cut()
    wait_for(
        lambda: "does not answer" in proc.output(), "the outage to be logged", explain=procs.outputs
    )
    last_before = max(r.id for r in all_runs(direct))
    outage.restore()
    wait_for(
        lambda: finished_by(direct, proc, last_before) >= set(JOBS),
        "every job to run again after the outage",
        explain=procs.outputs,
    )
    assert proc.alive()
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0, proc.output()
    assert "Traceback" not in proc.output()
    assert SECRET not in proc.output()
