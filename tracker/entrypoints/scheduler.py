"""The scheduler process: runs the jobs on their cadences while it holds the lease.

Each process keeps its own APScheduler timetable in memory (APScheduler 3 cannot
share a job store between processes), so every scheduler ticks, but a job runs only
in the process that holds the database lease at that moment; the others log
"standby" and take the lease when its holder stops renewing it or gives it back.
Jobs are idempotent, so even a takeover in the middle of a run repeats nothing.

Jobs run one at a time on a single worker thread (they would only queue behind the
global write lock anyway); the lease is renewed on a thread of its own, so a long
audit does not lose it.

A database that stops answering while the scheduler runs is an outage to wait out,
not a reason to exit: it is logged once (URL masked), every job that could not run
because of it is tried again every third of the lease TTL rather than a whole
cadence later, and its return is logged too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from types import FrameType
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tracker.adapters import runs
from tracker.adapters.db import Database
from tracker.adapters.eventstore import format_ts
from tracker.adapters.lease import DEFAULT_TTL_S, Lease, acquire, new_holder_id, release, renew
from tracker.clock import utc_now
from tracker.config import (
    CADENCE_ENV,
    DEFAULT_CADENCES,
    LONGEST_CADENCE,
    SMTP_URL_ENV,
    ConfigError,
    redact,
)
from tracker.entrypoints.registry import JOBS, Job, JobFailed, unmet_settings
from tracker.service_layer.app import Tracker

if TYPE_CHECKING:
    from apscheduler.schedulers.blocking import BlockingScheduler

logger = logging.getLogger("tracker.scheduler")

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?[smhdw])+")
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_LEASE_POLL_S = 0.5  # how often `--once --wait` looks at the lease again


class DurationError(ConfigError):
    """A cadence that is not a duration."""


class LeaseUnavailable(RuntimeError):
    """`--once` could not get the lease: another scheduler is running the jobs."""


def parse_duration(text: str) -> timedelta:
    """``30s``, ``15m``, ``1h``, ``1d``, ``7d``, ``2w`` or combinations such as ``1h30m``."""
    compact = text.strip().lower().replace(" ", "")
    if not _DURATION.fullmatch(compact):
        raise DurationError(
            f"{text!r} is not a duration: write a number and a unit "
            "(s, m, h, d or w), e.g. 30s, 15m, 1h, 1d, 7d or 1h30m"
        )
    seconds = sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(compact))
    if seconds <= 0:
        raise DurationError(f"{text!r} is not a duration longer than zero")
    if seconds > LONGEST_CADENCE.total_seconds():
        raise DurationError(
            f"{text!r} is longer than the longest cadence, {describe(LONGEST_CADENCE)}"
        )
    return timedelta(seconds=seconds)


def resolve_cadences(
    given: Mapping[str, timedelta | None],
    env: Mapping[str, str] | None = None,
    jobs: Iterable[str] = JOBS,
) -> dict[str, timedelta]:
    """Each of ``jobs``' cadence, in the order of :data:`JOBS`: the option given, else
    its environment variable, else the default."""
    env = os.environ if env is None else env
    chosen = set(jobs)
    cadences = {}
    for name in (n for n in JOBS if n in chosen):
        value = given.get(name)
        if value is None:
            variable = CADENCE_ENV[name]
            raw = env.get(variable)
            try:
                value = parse_duration(raw or DEFAULT_CADENCES[name])
            except DurationError as exc:
                raise DurationError(f"{variable}: {exc}") from None
        cadences[name] = value
    return cadences


def describe(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    for unit in ("w", "d", "h", "m"):
        if seconds >= _UNITS[unit] and seconds % _UNITS[unit] == 0:
            return f"{int(seconds // _UNITS[unit])}{unit}"
    return f"{seconds:g}s"


def format_counts(counts: Mapping[str, int]) -> str:
    return " ".join(f"{k}={v}" for k, v in counts.items())


def transient(exc: BaseException) -> bool:
    """Whether a database error is one that waiting can cure: no connection, a dropped
    one, a pool or lock timeout, rather than a bug or a damaged database."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | DisconnectionError | PoolTimeout)


@dataclass
class JobScheduler:
    tracker: Tracker
    cadences: dict[str, timedelta]
    lease_ttl: float = DEFAULT_TTL_S
    holder: str = field(default_factory=new_holder_id)
    jobs: Mapping[str, Job] = field(default_factory=lambda: JOBS)  # plus any made for a run
    holding: bool = field(default=False, init=False)
    _stopping: threading.Event = field(default_factory=threading.Event, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _started: threading.Event = field(default_factory=threading.Event, init=False)
    _stopper: threading.Thread | None = field(default=None, init=False)
    _scheduler: BlockingScheduler | None = field(default=None, init=False)
    _database_answers: bool = field(default=True, init=False)

    @property
    def retry_s(self) -> float:
        """How soon a job that the database kept from running is tried again."""
        return max(1.0, self.lease_ttl / 3)

    @property
    def db(self) -> Database:
        return self.tracker.db

    # --- the lease ------------------------------------------------------------------

    def _became(self, held: bool) -> bool:
        """Record whether we hold the lease; True when that changed."""
        with self._lock:
            changed, self.holding = self.holding != held, held
        return changed

    def check_lease(self) -> Lease | None:
        """Take or renew the lease; None when the database could not be reached."""
        try:
            lease = acquire(self.db, self.holder, self.lease_ttl)
        except SQLAlchemyError as exc:
            self._database_down(exc, "taking the lease")
            if self._became(False):
                logger.warning("standing by until the database answers again")
            return None
        self._database_up()
        held = lease.holder == self.holder and lease.live()
        if self._became(held):
            if held:
                logger.info("holding the lease until %s: running jobs", format_ts(lease.expires_at))
                try:
                    cut_short = runs.mark_interrupted(self.db, self.holder)
                except SQLAlchemyError as exc:  # marked by whoever next takes the lease
                    self._database_down(exc, "marking interrupted runs")
                    cut_short = []
                for run in cut_short:
                    logger.warning("run %d of %s by %s was cut short", run.id, run.job, run.holder)
            else:
                logger.warning("lost the lease to %s: standing by", lease.holder)
        return lease

    def keep_lease(self) -> None:
        """The lease keeper: renew while holding, else try to take the lease over."""
        if self._stopping.is_set():
            return
        try:
            if self.holding and renew(self.db, self.holder, self.lease_ttl):
                self._database_up()
            else:
                self.check_lease()
        except Exception as exc:  # the keeper runs again in a moment
            if isinstance(exc, SQLAlchemyError) and transient(exc):
                self._database_down(exc, "renewing the lease")
            else:
                logger.warning("could not renew the lease: %s", self._reason(exc))

    # --- outages --------------------------------------------------------------------

    def _database_down(self, exc: BaseException, doing: str) -> None:
        """Log the start of an outage once, naming the database (password masked)."""
        with self._lock:
            news, self._database_answers = self._database_answers, False
        log = logger.warning if news else logger.debug
        log(
            "the database %s does not answer (%s): %s; trying again every %gs",
            self.db.where,
            doing,
            self._reason(exc),
            self.retry_s,
        )

    def _database_up(self) -> None:
        with self._lock:
            news, self._database_answers = not self._database_answers, True
        if news:
            logger.info("the database %s answers again", self.db.where)

    def _retry_later(self, name: str) -> None:
        """Run ``name`` again soon: it could not run because the database did not answer.

        One pending retry per job (a retry that fails again replaces itself); none
        when the job's own cadence comes round sooner, or in ``--once`` mode.
        """
        scheduler = self._scheduler
        delay = self.retry_s
        if scheduler is None or self._stopping.is_set() or delay >= self._cadence_s(name):
            return
        from apscheduler.triggers.date import DateTrigger

        when = utc_now() + timedelta(seconds=delay)
        with contextlib.suppress(Exception):  # a scheduler shutting down takes no jobs
            scheduler.add_job(
                self.run_job,
                DateTrigger(run_date=when, timezone=UTC),
                args=[name],
                id=f"tracker:{name}:retry",
                name=f"{name} (retry)",
                replace_existing=True,
                misfire_grace_time=max(1, int(delay)),
            )
            logger.info("job %s will be tried again at %s", name, format_ts(when))

    def _cadence_s(self, name: str) -> float:
        cadence = self.cadences.get(name)
        return cadence.total_seconds() if cadence is not None else float("inf")

    def release_lease(self) -> None:
        try:
            if release(self.db, self.holder):
                logger.info("released the lease")
        except SQLAlchemyError as exc:
            logger.warning(
                "could not release the lease (it expires by itself): %s", self._reason(exc)
            )
        self._became(False)

    # --- one job run ----------------------------------------------------------------

    def run_job(self, name: str) -> str | None:
        """Run one job if we hold the lease and record it; never raises.

        Returns the outcome, or None when the job was not ours to run (standby or
        stopping), which is logged but not recorded: standbys would otherwise fill
        the record with a row per tick.
        """
        if self._stopping.is_set():
            return None
        try:
            outcome = self._run_job(name)
        except Exception as exc:  # the scheduler outlives anything a job does
            logger.error("job %s could not be run or recorded: %s", name, self._reason(exc))
            logger.debug("traceback", exc_info=True)
            if transient(exc):
                self._database_down(exc, f"running {name}")
            outcome = runs.FAILED
        if not self._database_answers:
            self._retry_later(name)
        return outcome

    def _run_job(self, name: str) -> str | None:
        was_holding = self.holding
        lease = self.check_lease()
        if lease is None or lease.holder != self.holder or not lease.live():
            if lease is not None:
                logger.info(
                    "standby: %s not run; the lease is held by %s until %s",
                    name,
                    lease.holder,
                    format_ts(lease.expires_at),
                )
            if was_holding and lease is not None:
                runs.record_skipped(self.db, name, self.holder, f"lost the lease to {lease.holder}")
                return runs.SKIPPED
            return None
        started = utc_now()
        run_id = runs.start_run(self.db, name, self.holder, started)
        counts: dict[str, int] = {}
        error = None
        unmet = unmet_settings(name)
        if unmet is not None:
            # An instruction with examples to copy: only real secrets are hidden.
            error = f"not run: {self._scrub(unmet, any_url=False)}"
            runs.finish_run(self.db, run_id, runs.FAILED, counts, error)
            logger.error("%s: %s", name, error)
            return runs.FAILED
        try:
            counts = self.jobs[name](self.tracker, started)
            outcome = runs.OK
        except JobFailed as exc:
            outcome, counts, error = runs.FAILED, exc.counts, self._scrub(str(exc))
        except Exception as exc:
            outcome, error = runs.FAILED, f"{type(exc).__name__}: {self._reason(exc)}"
            logger.debug("traceback of %s", name, exc_info=True)
            if transient(exc):
                self._database_down(exc, f"running {name}")
        runs.finish_run(self.db, run_id, outcome, counts, error)
        log = logger.info if outcome == runs.OK else logger.error
        log("job %s", " ".join(filter(None, [name, outcome, format_counts(counts), error])))
        return outcome

    def _scrub(self, text: str, *, any_url: bool = True) -> str:
        """Errors end up in logs and the run record: keep passwords out of both."""
        return redact(text, os.environ.get(SMTP_URL_ENV), self.db.url, any_url=any_url)

    def _reason(self, exc: BaseException) -> str:
        lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return self._scrub(lines[0] if lines else type(exc).__name__)

    # --- signals --------------------------------------------------------------------

    def _install_signal_handlers(self) -> None:
        """SIGTERM and Ctrl-C stop after the running job, then give the lease back.

        The handler only starts a thread that calls ``scheduler.shutdown(wait=True)``:
        shutting down from inside a handler could deadlock on a lock the interrupted
        main loop holds.
        """

        def handler(signum: int, _frame: FrameType | None) -> None:
            self.stop(f"{signal.Signals(signum).name} received")

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def stop(self, why: str = "asked to stop") -> None:
        """Stop after the running job and give the lease back; safe from any thread
        and from a signal handler (the shutdown itself runs on a thread of its own)."""
        if self._stopping.is_set():
            logger.info("%s: already stopping, waiting for the running job", why)
            return
        self._stopping.set()
        logger.info("%s: stopping after the running job", why)
        scheduler = self._scheduler
        if scheduler is None:
            return

        def shut_down() -> None:
            from apscheduler.schedulers import SchedulerNotRunningError

            self._started.wait()
            with contextlib.suppress(SchedulerNotRunningError):
                scheduler.shutdown(wait=True)

        self._stopper = threading.Thread(target=shut_down, name="scheduler-stop", daemon=True)
        self._stopper.start()

    # --- the two modes --------------------------------------------------------------

    def run_forever(self, *, handle_signals: bool = True) -> None:
        """Run until SIGTERM, Ctrl-C or :meth:`stop`; jobs run at start, then on their
        cadences."""
        from apscheduler.events import EVENT_SCHEDULER_STARTED
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.blocking import BlockingScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        scheduler = BlockingScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(1), "lease": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        self._scheduler = scheduler
        scheduler.add_listener(lambda _event: self._started.set(), EVENT_SCHEDULER_STARTED)
        now = utc_now()
        every = self.lease_ttl / 3
        # next_run_time: the first runs are at start. From the trigger alone, a start
        # date already past when the scheduler starts (by a millisecond) would put the
        # first run a whole cadence later: an hourly overdue scan would wait an hour.
        scheduler.add_job(
            self.keep_lease,
            IntervalTrigger(seconds=every, start_date=now, timezone=UTC),
            next_run_time=now,
            id="tracker:lease",
            name="lease keeper",
            executor="lease",
            replace_existing=True,
            misfire_grace_time=max(1, int(every)),
        )
        for i, (name, cadence) in enumerate(self.cadences.items(), start=1):
            # Staggered by a millisecond so that they run in the --once order.
            first = now + timedelta(milliseconds=i)
            scheduler.add_job(
                self.run_job,
                IntervalTrigger(seconds=cadence.total_seconds(), start_date=first, timezone=UTC),
                next_run_time=first,
                args=[name],
                id=f"tracker:{name}",
                name=name,
                replace_existing=True,
                # A late run still runs unless the next one is due anyway.
                misfire_grace_time=max(1, int(cadence.total_seconds())),
            )
        if handle_signals:
            self._install_signal_handlers()
        logger.info(
            "scheduler %s starting on %s: %s; lease TTL %gs",
            self.holder,
            self.db.where,
            ", ".join(f"{n} every {describe(c)}" for n, c in self.cadences.items()),
            self.lease_ttl,
        )
        try:
            if not self._stopping.is_set():  # else stopped before it started
                scheduler.start()
        finally:
            self._started.set()  # lets a stop requested before the start finish at once
            if self._stopper is not None:
                self._stopper.join()
            self.release_lease()
        logger.info("scheduler %s stopped", self.holder)

    def run_once(self, wait: float = 0.0, *, handle_signals: bool = True) -> dict[str, str]:
        """Run each job once, in order, while holding the lease; each one's outcome.

        Raises :class:`LeaseUnavailable` when another scheduler keeps the lease for
        longer than ``wait`` seconds.
        """
        if handle_signals:
            self._install_signal_handlers()
        self._wait_for_lease(wait)
        done = threading.Event()

        def keeper() -> None:
            while not done.wait(self.lease_ttl / 3):
                self.keep_lease()

        thread = threading.Thread(target=keeper, name="lease-keeper", daemon=True)
        thread.start()
        outcomes: dict[str, str] = {}
        try:
            for name in self.cadences:
                outcome = self.run_job(name)
                if outcome is None:
                    reason = (
                        "stopped before it ran"
                        if self._stopping.is_set()
                        else "the lease could not be checked"
                    )
                    try:
                        runs.record_skipped(self.db, name, self.holder, reason)
                    except SQLAlchemyError as exc:  # logged; the exit status says the rest
                        self._database_down(exc, f"recording that {name} was skipped")
                    outcome = runs.SKIPPED
                outcomes[name] = outcome
        finally:
            done.set()
            thread.join()
            self.release_lease()
        return outcomes

    def _wait_for_lease(self, wait: float) -> None:
        deadline = time.monotonic() + wait
        while True:
            lease = self.check_lease()
            if lease is not None and lease.holder == self.holder:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stopping.is_set():
                if lease is None:
                    raise LeaseUnavailable(
                        f"the database {self.db.where} does not answer, so the lease could "
                        "not be taken. Nothing was run; use --wait SECONDS to wait for it."
                    )
                raise LeaseUnavailable(
                    f"another scheduler is running the jobs: {lease.holder} holds the lease "
                    f"until {format_ts(lease.expires_at)}. Nothing was run; use --wait "
                    "SECONDS to wait for it (a holder that died lets go after the lease TTL)."
                )
            self._stopping.wait(min(_LEASE_POLL_S, remaining))
