"""Reminder digests: one email per owner with what is overdue and what is coming up.

Each digest has an idempotency key (owner and day) and a stable Message-ID. Deciding
and recording happen under the global write lock; talking to the SMTP server does not,
because a slow server would hold every other writer up for as long as it dawdles
(claim, send, confirm):

1. **claim**, under the lock: skip a digest already sent or refused today, or claimed
   by another run; otherwise take a claim on it — a row in the lease table, named
   after the digest, that expires once a send that slow would have timed out;
2. **send**, outside the lock, with the digest's Message-ID;
3. **confirm**, under the lock: record ``ReminderSent`` (idempotent by key) and give
   the claim back. A permanent refusal (5xx) records ``ReminderRefused`` instead, once,
   and is not retried that day; a transient failure records nothing and just gives
   the claim back, so the next run tries again.

So no two runs send the same digest at once, and a digest once recorded is never sent
again. The one window left — the server accepted the message and the process died
before confirming — resends, once the claim has expired, with the same Message-ID,
which mail clients and archives treat as one message.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING

from tracker.adapters.eventstore import ANY_VERSION, NewEvent
from tracker.adapters.lease import new_holder_id
from tracker.config import DEFAULT_WITHIN_DAYS, check_within
from tracker.domain import events as ev
from tracker.domain import streams
from tracker.domain.commitment import CommitmentState
from tracker.domain.words import span
from tracker.service_layer.app import Tracker, os_user
from tracker.service_layer.overdue import overdue_items, refuse_future
from tracker.service_layer.queries import View, commitments

if TYPE_CHECKING:
    from collections.abc import Callable
    from email.message import EmailMessage

    from tracker.adapters.mail import SmtpSettings

    # Hands a message over to the mail server; raises ``mail.SendError`` if it is not.
    Transport = Callable[[SmtpSettings, EmailMessage], None]


def block(text: str) -> list[str]:
    """The lines of ``text``, to be set as one block under its entry.

    Titles and tasks are one line when entered, but a log may hold breaks recorded
    before that rule: indented under their entry's first line (text) or kept inside its
    list item (HTML), no line of theirs can pass for an entry or a paragraph of its own.
    Split as mail readers split, on every line break ``str.splitlines`` knows.
    """
    return text.splitlines() or [""]


@dataclass(frozen=True)
class DigestItem:
    commitment_id: str
    title: str
    what: str  # "commitment" or "follow-up <id>: <task>"
    deadline: str
    days: int  # days late (overdue) or days left (coming up)

    def line(self, late: bool) -> str:
        days = span(self.days)
        when = f"{days} late" if late else "due today" if self.days == 0 else f"due in {days}"
        what = "" if self.what == "commitment" else f" — {self.what}"
        return f"{self.commitment_id}: {self.title}{what} (deadline {self.deadline}; {when})"


@dataclass
class ReminderDigest:
    """One owner's reminder mail for one day: what is overdue, due soon, or waiting on
    a follow-up (not the audit's digest of the log, :class:`ChainDigest`)."""

    owner: str
    day: date
    overdue: list[DigestItem] = field(default_factory=list)
    due_soon: list[DigestItem] = field(default_factory=list)
    follow_ups: list[DigestItem] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"reminder:{self.owner.lower()}:{self.day.isoformat()}"

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.due_soon or self.follow_ups)

    @property
    def refused_key(self) -> str:
        return f"refused:{self.key}"

    @property
    def token(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()[:24]

    def message_id(self, domain: str) -> str:
        return f"<reminder-{self.token}@{domain}>"

    @property
    def claim(self) -> str:
        """The lease-table row that says a run is sending this digest right now."""
        return f"reminder-{self.token}"

    @property
    def subject(self) -> str:
        coming = len(self.due_soon) + len(self.follow_ups)
        return f"tracker: {len(self.overdue)} overdue, {coming} coming up ({self.day.isoformat()})"

    def sections(self) -> list[tuple[str, list[DigestItem], bool]]:
        return [
            ("Overdue", self.overdue, True),
            ("Due soon", self.due_soon, False),
            ("Follow-ups coming up", self.follow_ups, False),
        ]

    def commands(self) -> list[str]:
        """What to run to see more: each commitment in the digest, then the overdue list."""
        ids = sorted({i.commitment_id for _, items, _ in self.sections() for i in items})
        return [f"tracker show {cid}" for cid in ids] + ["tracker status --overdue"]

    def text(self) -> str:
        lines = [f"Commitments tracked for {self.owner}, as of {self.day.isoformat()}.", ""]
        for heading, items, late in self.sections():
            if items:
                lines.append(f"{heading}:")
                for i in items:
                    first, *rest = block(i.line(late))
                    lines += [f"  - {first}", *(f"    {line}" for line in rest)]
                lines.append("")
        lines.append("See more with:")
        lines += [f"  {command}" for command in self.commands()]
        return "\n".join(lines) + "\n"

    def html(self) -> str:
        esc = html.escape
        parts = [f"<p>Commitments tracked for {esc(self.owner)}, as of {self.day.isoformat()}.</p>"]
        for heading, items, late in self.sections():
            if items:
                rows = "".join(
                    f"<li>{'<br>'.join(map(esc, block(i.line(late))))}</li>" for i in items
                )
                parts.append(f"<h3>{esc(heading)}</h3><ul>{rows}</ul>")
        commands = "".join(f"<li><code>{esc(c)}</code></li>" for c in self.commands())
        parts.append(f"<p>See more with:</p><ul>{commands}</ul>")
        return "<html><body>" + "".join(parts) + "</body></html>"


def _upcoming(
    state: CommitmentState, day: date, horizon: date
) -> tuple[list[DigestItem], list[tuple[str | None, DigestItem]]]:
    due_soon = []
    if not state.terminal and state.due and day <= state.due.end <= horizon:
        due_soon.append(
            DigestItem(
                state.id, state.title, "commitment", state.due.label, (state.due.end - day).days
            )
        )
    follow_ups = [
        (
            fu.owner or state.owner,
            DigestItem(
                state.id,
                state.title,
                f"follow-up {fu.id}: {fu.task}",
                fu.due.isoformat(),
                (fu.due - day).days,
            ),
        )
        for fu in state.open_follow_ups()
        if day <= fu.due <= horizon
    ]
    return due_soon, follow_ups


def collect(states: list[CommitmentState], day: date, within_days: int) -> list[ReminderDigest]:
    check_within(within_days)
    digests: dict[str, ReminderDigest] = {}

    def digest(owner: str) -> ReminderDigest:
        return digests.setdefault(owner.lower(), ReminderDigest(owner, day))

    horizon = day + timedelta(days=within_days)
    for state in states:
        for item in overdue_items(state, day):
            if item.owner:
                what = (
                    "commitment"
                    if item.kind == "commitment"
                    else f"follow-up {item.item}: {item.task}"
                )
                digest(item.owner).overdue.append(
                    DigestItem(item.commitment_id, item.title, what, item.due_label, item.days_late)
                )
        due_soon, follow_ups = _upcoming(state, day, horizon)
        if state.owner:
            digest(state.owner).due_soon.extend(due_soon)
        for owner, follow_up in follow_ups:
            if owner:
                digest(owner).follow_ups.append(follow_up)
    for d in digests.values():
        d.overdue.sort(key=lambda i: -i.days)
        d.due_soon.sort(key=lambda i: i.days)
        d.follow_ups.sort(key=lambda i: i.days)
    return sorted((d for d in digests.values() if not d.empty), key=lambda d: d.owner.lower())


def preview(tracker: Tracker, now: datetime, within_days: int) -> list[ReminderDigest]:
    """The digests due at ``now``, judged on the log as it stood that day."""
    view = View.at(now)
    return collect(commitments(tracker, view), view.day, within_days)


@dataclass
class ReminderReport:
    digests: list[ReminderDigest]
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # transient: retried
    refused: list[tuple[str, str]] = field(default_factory=list)  # permanent, this run
    refused_before: list[str] = field(default_factory=list)  # refused earlier that day
    busy: list[str] = field(default_factory=list)  # being sent by another run


# What a claim on a digest looks like to the next run.
_FREE, _SENT, _REFUSED, _BUSY = "free", "sent", "refused", "busy"


def send_reminders(
    tracker: Tracker,
    now: datetime,
    *,
    within_days: int = DEFAULT_WITHIN_DAYS,
    settings: SmtpSettings | None = None,
    transport: Transport | None = None,
) -> ReminderReport:
    """Send every due digest that was not sent today; failures are reported, not raised.

    ``now`` may not be later than the clock: a digest sent as of a later day would be
    recorded under that day's key and stop the real one. ``transport`` hands a message
    over (``mail.send`` unless given: a service test's fake).
    """
    refuse_future(now, "send reminders")
    check_within(within_days)
    from tracker.adapters.mail import (
        HeaderValueError,
        SendError,
        SmtpSettings,
        build_message,
        send,
    )

    config = settings or SmtpSettings.from_env()
    report = ReminderReport(preview(tracker, now, within_days))
    # The sender may carry a display name: "Tracker <tracker@example.org>".
    domain = parseaddr(config.mail_from)[1].rpartition("@")[2] or "tracker.invalid"
    holder = new_holder_id()
    meta = {"recorded_by": os_user(), "command": "remind"}
    skipped = {_SENT: report.already, _REFUSED: report.refused_before, _BUSY: report.busy}
    for d in report.digests:
        try:
            message = build_message(
                sender=config.mail_from,
                to=d.owner,
                subject=d.subject,
                text=d.text(),
                html=d.html(),
                message_id=d.message_id(domain),
                date=now,
            )
        except HeaderValueError as exc:
            # An owner stored before addresses were checked: the others still get theirs.
            report.failed.append((d.owner, str(exc)))
            continue
        claimed = _claim(tracker, d, holder, config.longest_send)
        if claimed != _FREE:
            skipped[claimed].append(d.owner)
            continue
        data = {"owner": d.owner, "day": d.day.isoformat(), "message_id": message["Message-ID"]}
        try:
            (transport or send)(config, message)
        except SendError as exc:
            if not exc.permanent:
                _confirm(tracker, d, holder, None)
                report.failed.append((d.owner, str(exc)))
                continue
            refusal = {**data, "code": exc.code, "error": str(exc)}
            refused = NewEvent(
                ev.REMINDER_REFUSED, refusal, now, meta, idempotency_key=d.refused_key
            )
            _confirm(tracker, d, holder, refused)
            report.refused.append((d.owner, str(exc)))
            continue
        except Exception:
            _confirm(tracker, d, holder, None)  # not sent: free the digest for the next run
            raise
        data["overdue"] = [i.commitment_id for i in d.overdue]
        data["due_soon"] = [i.commitment_id for i in d.due_soon + d.follow_ups]
        _confirm(
            tracker, d, holder, NewEvent(ev.REMINDER_SENT, data, now, meta, idempotency_key=d.key)
        )
        report.sent.append(d.owner)
    return report


def _claim(tracker: Tracker, digest: ReminderDigest, holder: str, ttl: float) -> str:
    """Under the lock: whether ``digest`` is ours to send now, and if so claim it."""
    with tracker.uow.write() as session:
        done = session.positions_for_keys([digest.key, digest.refused_key])
        if done:
            return _SENT if digest.key in done else _REFUSED
        return _FREE if session.take_claim(digest.claim, holder, ttl) else _BUSY


def _confirm(tracker: Tracker, digest: ReminderDigest, holder: str, event: NewEvent | None) -> None:
    """Under the lock: record what became of the send (if anything) and give the claim back."""
    with tracker.uow.write() as session:
        if event is not None:
            session.append(streams.reminders(digest.owner), ANY_VERSION, [event])
        session.give_back(digest.claim, holder)
