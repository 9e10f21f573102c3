"""Sending reminder digests (``reminders.send_reminders``) on the in-memory unit of
work, through a fake transport: a digest is sent once, and one claimed by another run
is left to it. Real SMTP, its failures and its retries are
``tests/e2e/test_reminders.py``'s."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from support.memory import made

from tracker.adapters.mail import SmtpSettings
from tracker.domain import events as ev
from tracker.domain import streams
from tracker.service_layer.app import Tracker
from tracker.service_layer.reminders import preview, send_reminders

DESK = "desk@example.org"
MAY_28 = datetime(2024, 5, 28, 8, tzinfo=UTC)
SETTINGS = SmtpSettings(
    scheme="smtp",
    host="mail.invalid",
    port=25,
    username=None,
    password=None,
    starttls=False,
    mail_from="Tracker <tracker@example.org>",
)


class Outbox:
    """A transport that keeps what it is handed."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def __call__(self, settings: SmtpSettings, message: EmailMessage) -> None:
        self.sent.append(message)


@pytest.fixture
def tracker() -> Tracker:
    tracker = Tracker.in_memory()
    tracker.handle("darien-visit", replace(made(), owner=DESK), name="add")
    return tracker


def test_a_digest_is_sent_once_and_recorded(tracker: Tracker) -> None:
    outbox = Outbox()

    first = send_reminders(tracker, MAY_28, settings=SETTINGS, transport=outbox)
    second = send_reminders(tracker, MAY_28, settings=SETTINGS, transport=outbox)

    assert (first.sent, second.sent, second.already) == ([DESK], [], [DESK])
    [message] = outbox.sent
    assert message["To"] == DESK
    with tracker.uow.read() as session:
        [recorded] = session.read_stream(streams.reminders(DESK))
    assert recorded.type == ev.REMINDER_SENT
    assert recorded.data["message_id"] == message["Message-ID"]
    assert recorded.data["overdue"] == ["darien-visit"]


def test_a_digest_another_run_has_claimed_is_left_to_it(tracker: Tracker) -> None:
    [digest] = preview(tracker, MAY_28, 7)
    with tracker.uow.write() as session:
        assert session.take_claim(digest.claim, "another-run", 60)
    outbox = Outbox()

    report = send_reminders(tracker, MAY_28, settings=SETTINGS, transport=outbox)

    assert (report.sent, report.busy, outbox.sent) == ([], [DESK], [])
    with tracker.uow.write() as session:
        session.give_back(digest.claim, "another-run")
    assert send_reminders(tracker, MAY_28, settings=SETTINGS, transport=outbox).sent == [DESK]
