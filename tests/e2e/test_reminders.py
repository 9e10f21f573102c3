"""`tracker remind` against a real SMTP server (aiosmtpd), on SQLite and PostgreSQL.

The messages are checked as the server received them. The server refuses, drops the
connection or rejects a login on request, so the tests see what is recorded as sent
(``ReminderSent`` events) when delivery fails and what the next run does about it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from click.testing import Result
from support.cli import Cli
from support.db_kinds import both_backends
from support.procs import processes, wait_for
from support.smtp import SmtpSink

from tracker.domain.commitment import MakeCommitment
from tracker.domain.deadlines import parse_due
from tracker.service_layer.app import Tracker

SENDER = "Seguimiento <tracker@example.org>"
DESK, MIGRATION = "desk@example.org", "migration-desk@example.org"  # the demo's owners
OWNERS = (DESK, MIGRATION)
NOW = "2024-02-11T09:00:00Z"
FENTANYL = "fentanyl-meeting-feb-2024"
FENTANYL_TITLE = (
    "The US and Mexican high-level delegations meet again in early February 2024, "
    "on fentanyl trafficking"
)
SOON = "reunion-tecnica-guatemala"
SOON_TITLE = "Reunión técnica <Guatemala> & México"
PASSWORD = "hunter2/S3cret:pw"  # percent-encoded in the URL; neither form may be shown


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


@pytest.fixture
def tracker(db_url: str, sink: SmtpSink) -> Cli:
    """The demo, plus a commitment of the migration desk due three days after NOW."""
    env: dict[str, str | None] = {"TRACKER_SMTP_URL": sink.url, "TRACKER_MAIL_FROM": SENDER}
    tracker = Cli(db_url, env).load_demo()
    tracker.ok(
        "add", SOON, "--title", SOON_TITLE, "--by", "mx", "--to", "gt",
        "--on", "2024-02-05", "--due", "2024-02-14", "--owner", MIGRATION,
    )  # fmt: skip
    return tracker


def remind(tracker: Cli, now: str = NOW, *options: str) -> Result:
    return tracker("remind", "--now", now, *options)


def sent(tracker: Cli) -> list[dict[str, Any]]:
    return tracker.events("ReminderSent")


def delivered(sink: SmtpSink) -> Counter[str]:
    return Counter(rcpt for rcpts in sink.rcpts for rcpt in rcpts)


def once_each(times: int = 1) -> Counter[str]:
    return Counter(dict.fromkeys(OWNERS, times))


def message_to(sink: SmtpSink, owner: str) -> EmailMessage:
    (message,) = [m for m in sink.messages if str(m["To"]) == owner]
    return message


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None, f"no text/{kind} part"
    return str(part.get_content())


# --- what arrives -----------------------------------------------------------------------


@both_backends
def test_each_owner_gets_one_digest_with_headers_text_and_html(
    tracker: Cli, sink: SmtpSink
) -> None:
    result = tracker.ok("remind", "--now", NOW)
    assert result.stdout.splitlines() == [f"sent: {DESK}", f"sent: {MIGRATION}"]
    assert sorted(sink.rcpts) == [(DESK,), (MIGRATION,)]
    assert {r.mail_from for r in sink.received} == {"tracker@example.org"}

    events = {e["data"]["owner"]: e for e in sent(tracker)}
    assert set(events) == set(OWNERS)
    for owner in OWNERS:
        message = message_to(sink, owner)
        assert str(message["From"]) == SENDER
        assert parsedate_to_datetime(message["Date"]) == datetime(2024, 2, 11, 9, tzinfo=UTC)
        assert re.fullmatch(r"<reminder-[0-9a-f]{24}@example\.org>", message["Message-ID"])
        assert message["Message-ID"] == events[owner]["data"]["message_id"]
        assert events[owner]["stream_id"] == f"reminders:{owner}"
        assert message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert len({m["Message-ID"] for m in sink.messages}) == 2

    desk = message_to(sink, DESK)
    assert desk["Subject"] == "tracker: 2 overdue, 1 coming up (2024-02-11)"
    text = body(desk, "plain")
    overdue_lines = [
        "reopen-border-crossings: The US reopens the border crossings it had temporarily "
        "closed — follow-up check-reopening: Find a dated report of each closed crossing "
        "reopening (deadline 2024-02-01; 10 days late)",
        f"{FENTANYL}: {FENTANYL_TITLE} (deadline early February 2024; 1 day late)",
    ]
    coming = (
        f"{FENTANYL}: {FENTANYL_TITLE} — follow-up check-fentanyl-meeting: Find out whether "
        "the fentanyl meeting took place in early February (deadline 2024-02-15; due in 4 days)"
    )
    assert "Overdue:\n" + "".join(f"  - {line}\n" for line in overdue_lines) in text
    assert f"Follow-ups coming up:\n  - {coming}\n" in text
    assert "Due soon:" not in text
    assert f"  tracker show {FENTANYL}\n" in text
    assert "  tracker show reopen-border-crossings\n" in text
    html = body(desk, "html")
    for line in [*overdue_lines, coming]:
        assert f"<li>{line}</li>" in html
    assert f"<code>tracker show {FENTANYL}</code>" in html

    migration = message_to(sink, MIGRATION)
    assert migration["Subject"] == "tracker: 0 overdue, 1 coming up (2024-02-11)"
    soon = f"{SOON}: {SOON_TITLE} (deadline 2024-02-14; due in 3 days)"
    assert f"Due soon:\n  - {soon}\n" in body(migration, "plain")
    assert f"  tracker show {SOON}\n" in body(migration, "plain")
    html = body(migration, "html")
    assert "Reunión técnica &lt;Guatemala&gt; &amp; México" in html
    assert SOON_TITLE not in html


@both_backends
def test_a_second_run_sends_nothing_and_the_next_day_sends_again(
    tracker: Cli, sink: SmtpSink
) -> None:
    tracker.ok("remind", "--now", NOW)
    again = tracker.ok("remind", "--now", "2024-02-11T23:00:00Z")
    assert again.stdout.splitlines() == [f"already sent today: {o}" for o in OWNERS]
    assert delivered(sink) == once_each()
    assert len(sent(tracker)) == 2

    tracker.ok("remind", "--now", "2024-02-12T09:00:00Z")
    assert delivered(sink) == once_each(2)
    assert sorted(e["data"]["day"] for e in sent(tracker)) == [
        "2024-02-11",
        "2024-02-11",
        "2024-02-12",
        "2024-02-12",
    ]
    assert len({m["Message-ID"] for m in sink.messages}) == 4


@both_backends
@pytest.mark.parametrize("failure", ["refuse 4xx", "drop"])
def test_a_failed_send_is_not_recorded_and_the_next_run_delivers_it_once(
    tracker: Cli, sink: SmtpSink, failure: str
) -> None:
    if failure == "drop":
        sink.drop_next = 1
    else:
        sink.refuse_next, sink.refuse_code = 1, "451 4.3.0 Try again later"
    first = remind(tracker)
    assert first.exit_code == 1, first.output
    assert f"not sent (will retry): {DESK}: sending via smtp://127.0.0.1" in first.stderr
    if failure != "drop":
        assert "451 4.3.0 Try again later" in first.stderr
    # The desk's digest failed; the migration desk's, sent after it, went out.
    assert first.stdout.splitlines() == [f"sent: {MIGRATION}"]
    assert [e["data"]["owner"] for e in sent(tracker)] == [MIGRATION]
    assert delivered(sink) == Counter({MIGRATION: 1})

    second = tracker.ok("remind", "--now", "2024-02-11T10:00:00Z")
    assert second.stdout.splitlines() == [f"sent: {DESK}", f"already sent today: {MIGRATION}"]
    assert delivered(sink) == once_each()
    assert sink.attempts == 3
    assert sorted(e["data"]["owner"] for e in sent(tracker)) == sorted(OWNERS)
    # The retry is the same digest: same day, same Message-ID.
    assert message_to(sink, DESK)["Message-ID"] == sent(tracker)[-1]["data"]["message_id"]


@both_backends
def test_a_permanent_refusal_is_recorded_once_and_not_retried_that_day(
    tracker: Cli, sink: SmtpSink
) -> None:
    sink.refuse_next, sink.refuse_code = 2, "550 5.1.1 Mailbox unavailable"
    result = remind(tracker)
    assert result.exit_code == 1, result.output
    for owner in OWNERS:
        assert f"refused (recorded, not retried today): {owner}:" in result.stderr
    assert "will retry" not in result.stderr
    assert result.stderr.count("550 5.1.1 Mailbox unavailable") == 2
    assert sent(tracker) == [] and sink.messages == []
    refusals = tracker.events("ReminderRefused")
    assert sorted(e["data"]["owner"] for e in refusals) == sorted(OWNERS)
    assert {e["data"]["code"] for e in refusals} == {550}

    again = tracker.ok("remind", "--now", "2024-02-11T10:00:00Z")
    assert again.stdout.splitlines() == [
        f"refused earlier today, not retried: {owner}" for owner in sorted(OWNERS)
    ]
    assert sink.attempts == 2 and len(tracker.events("ReminderRefused")) == 2

    tracker.ok("remind", "--now", "2024-02-12T09:00:00Z")  # the next day's digests go out
    assert delivered(sink) == once_each()


def test_dry_run_prints_the_digests_and_sends_and_records_nothing(
    tracker: Cli, sink: SmtpSink
) -> None:
    log = len(tracker.events())
    no_mail = {"TRACKER_SMTP_URL": None, "TRACKER_MAIL_FROM": None}
    result = tracker.ok("remind", "--dry-run", "--now", NOW, env=no_mail)
    out = result.stdout
    assert f"To: {DESK}\nSubject: tracker: 2 overdue, 1 coming up (2024-02-11)\n" in out
    assert f"To: {MIGRATION}\nSubject: tracker: 0 overdue, 1 coming up (2024-02-11)\n" in out
    for shown in (f"tracker show {FENTANYL}", f"tracker show {SOON}", "due in 3 days"):
        assert shown in out
    assert "2 digests would be sent." in result.stderr
    assert sink.attempts == 0 and len(tracker.events()) == log

    # Two days ahead, by option or by environment: neither the new commitment (due in
    # three days) nor the follow-up (in four) is coming up, so only the desk hears.
    by_option = tracker.ok("remind", "--dry-run", "--now", NOW, "--within", "2", env=no_mail)
    by_env = tracker.ok(
        "remind", "--dry-run", "--now", NOW, env={**no_mail, "TRACKER_REMIND_WITHIN_DAYS": "2"}
    )
    for short in (by_option, by_env):
        assert short.stdout.startswith(f"To: {DESK}\nSubject: tracker: 2 overdue, 0 coming up")
        assert SOON not in short.stdout and "check-fentanyl-meeting" not in short.stdout
        assert "1 digest would be sent." in short.stderr


# --- what must never reach a header or the output -----------------------------------------


BAD_OWNERS = [
    "desk@example.org\n",
    "desk@example.org\r\nBcc: spy@example.net",
    "de\x01sk@example.org",
    "desk@example.org\x7f",
    "desk@exa\u0085mple.org",
]


def test_an_owner_with_a_control_character_is_refused_when_recorded(tracker: Cli) -> None:
    log = len(tracker.events())
    for owner in BAD_OWNERS:
        made = tracker("add", "x", "--title", "X", "--by", "mx", "--owner", owner)
        assert made.exit_code == 2, (owner, made.output)
        assert "is not an email address" in made.output
        follow_up = tracker(
            "record", FENTANYL, "follow-up", "ask", "--due", "2024-02-12", "--task", "Ask",
            "--owner", owner,
        )  # fmt: skip
        assert follow_up.exit_code == 2, (owner, follow_up.output)
        assert "is not an email address" in follow_up.output
    assert len(tracker.events()) == log


def test_a_stored_owner_with_a_control_character_never_reaches_a_header(
    tracker: Cli, sink: SmtpSink
) -> None:
    """Data recorded before the check (or through the library) is refused at sending,
    and the other owners still get their digests."""
    bad = "spy@example.net\r\nBcc: more@example.net"
    command = MakeCommitment(
        "smuggled", "Smuggled", ("mx",), date(2024, 2, 1), due=parse_due("2024-02-05"), owner=bad
    )
    app = Tracker.open(tracker.db_url)
    try:
        app.handle("smuggled", command, name="test")
    finally:
        app.close()
    result = remind(tracker)
    assert result.exit_code == 1, result.output
    assert "not sent (will retry): spy@example.net" in result.stderr
    assert "control characters" in result.stderr
    assert delivered(sink) == once_each()
    assert all("example.net" not in str(v) for m in sink.messages for _, v in m.items())
    assert sorted(e["data"]["owner"] for e in sent(tracker)) == sorted(OWNERS)


def test_a_title_with_line_breaks_stays_in_the_body(tracker: Cli, sink: SmtpSink) -> None:
    """Stored through the library (the command line now refuses control characters)."""
    title = "Sneaky\r\nBcc: spy@example.net\r\nSubject: forged\x07"
    command = MakeCommitment(
        "sneaky", title, ("mx",), date(2024, 2, 1), due=parse_due("2024-02-05"), owner=DESK
    )
    app = Tracker.open(tracker.db_url)
    try:
        app.handle("sneaky", command, name="test")
    finally:
        app.close()
    tracker.ok("remind", "--now", NOW)
    assert sorted(sink.rcpts) == [(DESK,), (MIGRATION,)]
    desk = message_to(sink, DESK)
    assert desk["Subject"] == "tracker: 3 overdue, 1 coming up (2024-02-11)"
    assert desk["Bcc"] is None
    assert all("spy@" not in str(v) and "forged" not in str(v) for _, v in desk.items())
    assert "sneaky: Sneaky" in body(desk, "plain")


def test_starttls_with_the_test_ca_and_no_password_in_any_output(tracker: Cli) -> None:
    with SmtpSink(tls="starttls", auth=("tracker", PASSWORD)) as server:
        tracker.env.update(
            TRACKER_SMTP_URL=server.url_for("tracker", "wrong-" + PASSWORD),
            TRACKER_SMTP_CA_FILE=server.ca_file,
        )
        refused = remind(tracker)
        assert refused.exit_code == 1, refused.output
        where = f"smtp://tracker:***@127.0.0.1:{server.port}"
        assert f"not sent (will retry): {DESK}: sending via {where} failed: 535" in refused.stderr
        assert sent(tracker) == [] and server.messages == []

        plain = server.url_for("tracker", PASSWORD) + "?starttls=0"
        misconfigured = tracker("remind", "--now", NOW, env={"TRACKER_SMTP_URL": plain})
        assert misconfigured.exit_code == 2
        assert "refusing to send a password over an unencrypted connection" in (
            misconfigured.stderr
        )

        tracker.env["TRACKER_SMTP_URL"] = server.url
        tracker.ok("remind", "--now", NOW)
        assert delivered(server) == once_each()

        outputs = refused.output + misconfigured.output + tracker.ok("events").stdout
        for secret in (PASSWORD, quote(PASSWORD, safe=""), "S3cret"):
            assert secret not in outputs


@both_backends
@pytest.mark.slow
def test_two_processes_reminding_at_once_send_one_digest_per_owner(
    tracker: Cli, sink: SmtpSink, db_url: str, tmp_path: Path
) -> None:
    env = {"TRACKER_SMTP_URL": sink.url, "TRACKER_MAIL_FROM": SENDER}
    with processes(tmp_path, env) as procs:
        pair = [procs.spawn("--db", db_url, "remind", "--now", NOW) for _ in range(2)]
        assert [p.wait() for p in pair] == [0, 0], procs.outputs()
        said = Counter(line.split(": ")[0] for line in procs.outputs().splitlines())
    # The other process finds each digest sent, or being sent (claimed) at that moment.
    assert said["sent"] == 2
    assert said["already sent today"] + said["being sent by another run"] == 2
    assert delivered(sink) == once_each()
    assert len(sent(tracker)) == 2


# --- the clock and the horizon ------------------------------------------------------------

CLOCK = datetime(2024, 2, 11, 9, 0, 30, tzinfo=UTC)


def test_sending_as_of_a_time_the_clock_has_not_reached_is_refused(
    tracker: Cli, sink: SmtpSink
) -> None:
    log = len(tracker.events())
    with time_machine.travel(CLOCK, tick=False):
        for ahead in ("2024-02-12T09:00:00Z", "2024-02-11"):  # a bare date: the day's end
            result = remind(tracker, ahead)
            assert result.exit_code == 2, result.output
            assert "Invalid value for '--now'" in result.stderr
            assert "cannot send reminders as of 2024-02-1" in result.stderr
            assert "later than the clock (2024-02-11T09:00:30Z)" in result.stderr
            assert "preview them with --dry-run" in result.stderr
            assert "Traceback" not in result.output
        assert sink.attempts == 0 and sent(tracker) == [] and len(tracker.events()) == log

        # A dry run sends and records nothing, so it may look ahead.
        preview = tracker.ok("remind", "--dry-run", "--now", "2024-02-14T09:00:00Z")
        assert "coming up (2024-02-14)" in preview.stdout
        assert sink.attempts == 0 and len(tracker.events()) == log

        # Within a minute of the clock is the clock; without --now, the clock itself.
        tracker.ok("remind", "--now", "2024-02-11T09:01:00Z")
        assert delivered(sink) == once_each()
        again = tracker.ok("remind")
        assert again.stdout.splitlines() == [f"already sent today: {o}" for o in OWNERS]


@pytest.mark.parametrize("raw", ["99999999999", "3651", "-1", "seven"])
def test_a_reminder_horizon_out_of_range_is_a_usage_error_naming_the_variable(
    tracker: Cli, sink: SmtpSink, raw: str
) -> None:
    env = {"TRACKER_REMIND_WITHIN_DAYS": raw}
    for args in (("--dry-run",), ()):
        result = tracker("remind", "--now", NOW, *args, env=env)
        assert result.exit_code == 2, result.output
        assert f"TRACKER_REMIND_WITHIN_DAYS={raw!r}" in result.stderr or (
            f"TRACKER_REMIND_WITHIN_DAYS={raw} is out of range" in result.stderr
        )
        assert "0 to 3650" in result.stderr and "Traceback" not in result.output
    assert sink.attempts == 0 and sent(tracker) == []


def test_a_ten_year_horizon_is_accepted(tracker: Cli) -> None:
    env = {"TRACKER_REMIND_WITHIN_DAYS": "3650"}
    result = tracker.ok("remind", "--dry-run", "--now", NOW, env=env)
    assert "2 digests would be sent." in result.stderr


# --- the SMTP conversation happens outside the write lock ---------------------------------


@both_backends
@pytest.mark.slow
def test_another_writer_records_while_a_digest_is_being_sent(
    tracker: Cli, sink: SmtpSink, db_url: str, tmp_path: Path
) -> None:
    """A server that takes its time holds up no other writer: the digest is claimed under
    the write lock, sent outside it, and confirmed under it again."""
    sink.hold()
    # Patient enough that the sender waits for the test rather than timing out.
    env = {"TRACKER_SMTP_URL": f"{sink.url}?timeout=600", "TRACKER_MAIL_FROM": SENDER}
    with processes(tmp_path, env) as procs:
        reminding = procs.spawn("--db", db_url, "remind", "--now", NOW)
        wait_for(
            lambda: sink.attempts, "the first digest reaching the server", explain=procs.outputs
        )
        other = procs.spawn("--db", db_url, "record", FENTANYL, "note", "while mail is sent")
        assert other.wait() == 0, procs.outputs()
        assert reminding.alive()  # still waiting for the server's answer
        sink.release()
        assert reminding.wait() == 0, procs.outputs()
    assert delivered(sink) == once_each()
    assert len(sent(tracker)) == 2
    assert tracker.events("NoteAdded")[-1]["data"]["note"] == "while mail is sent"


@both_backends
def test_a_digest_claimed_by_a_run_that_died_is_sent_once_its_claim_lapses(
    tracker: Cli, sink: SmtpSink, db_url: str
) -> None:
    from tracker.adapters.lease import acquire
    from tracker.adapters.mail import SmtpSettings
    from tracker.service_layer.reminders import preview, send_reminders

    settings = SmtpSettings.from_url(sink.url, SENDER)
    now = datetime(2024, 2, 11, 9, 0, tzinfo=UTC)
    app = Tracker.open(db_url)
    try:
        with time_machine.travel(now, tick=False) as clock:
            (desk,) = [d for d in preview(app, now, 7) if d.owner == DESK]
            acquire(app.db, "died:1:dead", settings.longest_send, name=desk.claim)
            first = send_reminders(app, now, settings=settings)
            assert (first.busy, first.sent) == ([DESK], [MIGRATION])
            clock.shift(settings.longest_send + 1)
            second = send_reminders(app, now, settings=settings)
            assert (second.sent, second.already) == ([DESK], [MIGRATION])
    finally:
        app.close()
    assert delivered(sink) == once_each()
    assert message_to(sink, DESK)["Message-ID"] == sent(tracker)[-1]["data"]["message_id"]


def test_the_scheduled_job_reports_a_refusal_once_and_then_leaves_it(
    tracker: Cli, sink: SmtpSink, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.entrypoints.registry import JOBS, JobFailed

    monkeypatch.setenv("TRACKER_SMTP_URL", sink.url)
    monkeypatch.setenv("TRACKER_MAIL_FROM", SENDER)
    sink.refuse_next, sink.refuse_code = 1, "550 5.1.1 Mailbox unavailable"
    now = datetime(2024, 2, 11, 9, 0, tzinfo=UTC)
    app = Tracker.open(db_url)
    try:
        with pytest.raises(
            JobFailed, match=r"1 digests refused \(recorded, not retried today\)"
        ) as run:
            JOBS["remind"](app, now)
        assert run.value.counts == {"digests": 2, "sent": 1, "failed": 0, "refused": 1}
        assert JOBS["remind"](app, now) == {"digests": 2, "sent": 0, "failed": 0, "refused": 0}
    finally:
        app.close()
    assert sink.attempts == 2
