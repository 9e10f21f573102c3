"""Reminder digests: one email per owner with what is overdue and what is coming up.

Each digest has an idempotency key (owner and day) and a stable Message-ID. The send
happens while the global write lock is held and the ``ReminderSent`` event commits
right after it, so two schedulers never both send; a failed or refused send records
nothing and is tried again on the next run. The one window left — the server
accepted the message and the process died before the commit — resends with the same
Message-ID, which mail clients and archives treat as one message.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING

from tracker.adapters.eventstore import ANY_VERSION, NewEvent
from tracker.domain import events as ev
from tracker.domain.commitment import CommitmentState
from tracker.jobs.overdue import overdue_items, refuse_future
from tracker.jobs.settings import DEFAULT_WITHIN_DAYS, check_within
from tracker.service_layer.app import Tracker, recorder
from tracker.service_layer.queries import View, commitments

if TYPE_CHECKING:
    import ssl

    from tracker.adapters.mail import SmtpSettings


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
        days = f"{self.days} day{'' if self.days == 1 else 's'}"
        when = f"{days} late" if late else "due today" if self.days == 0 else f"due in {days}"
        what = "" if self.what == "commitment" else f" — {self.what}"
        return f"{self.commitment_id}: {self.title}{what} (deadline {self.deadline}; {when})"


@dataclass
class Digest:
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

    def message_id(self, domain: str) -> str:
        token = hashlib.sha256(self.key.encode()).hexdigest()[:24]
        return f"<reminder-{token}@{domain}>"

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


def collect(states: list[CommitmentState], day: date, within_days: int) -> list[Digest]:
    check_within(within_days)
    digests: dict[str, Digest] = {}

    def digest(owner: str) -> Digest:
        return digests.setdefault(owner.lower(), Digest(owner, day))

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
        for owner, item in follow_ups:
            if owner:
                digest(owner).follow_ups.append(item)
    for d in digests.values():
        d.overdue.sort(key=lambda i: -i.days)
        d.due_soon.sort(key=lambda i: i.days)
        d.follow_ups.sort(key=lambda i: i.days)
    return sorted((d for d in digests.values() if not d.empty), key=lambda d: d.owner.lower())


def preview(tracker: Tracker, now: datetime, within_days: int) -> list[Digest]:
    """The digests due at ``now``, judged on the log as it stood that day."""
    view = View.at(now)
    return collect(commitments(tracker, view), view.day, within_days)


@dataclass
class ReminderReport:
    digests: list[Digest]
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def send_reminders(
    tracker: Tracker,
    now: datetime,
    *,
    within_days: int = DEFAULT_WITHIN_DAYS,
    settings: SmtpSettings | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> ReminderReport:
    """Send every due digest that was not sent today; failures are reported, not raised.

    ``now`` may not be later than the clock: a digest sent as of a later day would be
    recorded under that day's key and stop the real one.
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
        with tracker.db.write() as conn:
            if tracker.store.positions_for_keys(conn, [d.key]):
                report.already.append(d.owner)
                continue
            try:
                send(config, message, ssl_context=ssl_context)
            except SendError as exc:
                report.failed.append((d.owner, str(exc)))
                continue
            data = {
                "owner": d.owner,
                "day": d.day.isoformat(),
                "message_id": message["Message-ID"],
                "overdue": [i.commitment_id for i in d.overdue],
                "due_soon": [i.commitment_id for i in d.due_soon + d.follow_ups],
            }
            meta = {"recorded_by": recorder(), "command": "remind"}
            event = NewEvent(ev.REMINDER_SENT, data, now, meta, idempotency_key=d.key)
            tracker.store.append(conn, f"reminders:{d.owner.lower()}", ANY_VERSION, [event])
            report.sent.append(d.owner)
    return report
