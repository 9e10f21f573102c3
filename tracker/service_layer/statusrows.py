"""The status report's rows, and the form the ``commitments`` projection keeps them in.

A row is the same on every day but for three keys: ``overdue``, ``days_late`` and
``overdue_follow_ups``. So the projection keeps the row pre-encoded as it reads on a
day nothing is late (``status_row``), beside what judging it needs: the last day of an
open commitment's deadline (``overdue_after``; NULL when it cannot be overdue) and
the due days of its open follow-ups (``open_follow_ups_due``). ``tracker status
--format json`` then answers today's question from that text (:func:`stored_listing`)
without decoding states or importing SQLAlchemy, and gives the same bytes as the
full path (:func:`status_row` encoded by ``tracker.jsontext.encode_row``).

Changing what a row holds therefore needs a migration that fills the columns again
(as ``0003`` first filled them): until then the audit reports every row as differing
from the log, and ``projections rebuild`` is the remedy.

The day-dependent keys are put into the stored text by replacing its "nothing late"
pieces. That replacement cannot hit anything else: inside a JSON string every ``"`` is
escaped as ``\\"``, so ``"overdue": false`` can only be the row's own key and value.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from tracker.adapters.statusread import stored_status_rows
from tracker.domain.statuses import Status
from tracker.domain.timeliness import days_late_at_fulfilment
from tracker.jsontext import encode_row

if TYPE_CHECKING:
    from tracker.domain.commitment import CommitmentState

NOT_LATE = '"overdue": false, "days_late": null'
NO_FOLLOW_UP_LATE = '"overdue_follow_ups": 0'
NO_DEADLINE = "9999-12-31"  # sorts after every deadline
# One stored row: id, status, made_on, due_end, status_row, overdue_after,
# open_follow_ups_due (tracker.adapters.statusread reads them in this order).
StoredRow = tuple[str, str, str, str | None, str, str | None, str]


def timeless_row(state: CommitmentState) -> dict[str, Any]:
    """The row as it reads on a day nothing is late: what the projection stores."""
    open_fus = sorted(state.open_follow_ups(), key=lambda f: f.due)
    return {
        "id": state.id,
        "title": state.title,
        "made_by": state.made_by,
        "made_on": state.made_on.isoformat(),
        "status": state.status.value,
        "due": state.due.to_dict() if state.due else None,
        "overdue": False,
        "days_late": None,
        "days_late_at_fulfilment": days_late_at_fulfilment(
            state.status, state.status_on, state.due
        ),
        "owner": state.owner,
        "tags": state.tags,
        "next_follow_up": open_fus[0].due.isoformat() if open_fus else None,
        "overdue_follow_ups": 0,
        "last_evidence_on": state.last_evidence_on.isoformat() if state.last_evidence_on else None,
    }


def status_row(state: CommitmentState, day: date) -> dict[str, Any]:
    """The commitment's row in the status report, judged on ``day``."""
    row = timeless_row(state)
    if state.is_overdue(day) and state.due:
        row["overdue"] = True
        row["days_late"] = state.due.days_late(day)
    row["overdue_follow_ups"] = len(state.overdue_follow_ups(day))
    return row


def status_columns(state: CommitmentState) -> dict[str, Any]:
    """The projection's columns for the status report (see the module's docstring)."""
    open_days = sorted(f.due.isoformat() for f in state.open_follow_ups())
    return {
        "status_row": encode_row(timeless_row(state)),
        "overdue_after": state.due.end.isoformat() if state.due and not state.terminal else None,
        "open_follow_ups_due": " ".join(open_days),
    }


def report_order(row: dict[str, Any]) -> tuple[bool, bool, str, str]:
    """Overdue first, then those with an overdue follow-up, then by deadline."""
    due_end = row["due"]["end"] if row["due"] else None
    return _report_key(row["overdue"], row["overdue_follow_ups"], due_end, row["id"])


def _report_key(
    overdue: bool, chasing: int, due_end: str | None, ident: str
) -> tuple[bool, bool, str, str]:
    return (not overdue, not chasing, due_end or NO_DEADLINE, ident)


SORTS = ("due", "status", "id", "made_on", "late")
_STATUS_RANK = {status.value: n for n, status in enumerate(Status)}  # pledged first


def sort_key(sort: str | None) -> Callable[[dict[str, Any]], Any] | None:
    """The order of ``--sort`` over rows (None: the report's own, overdue first); None
    for a sort that is not one of :data:`SORTS`."""
    match sort:
        case None:
            return report_order
        case "due":
            return lambda r: ((r["due"] or {}).get("end") or NO_DEADLINE, r["id"])
        case "status":
            return lambda r: (_STATUS_RANK.get(r["status"], 99), report_order(r))
        case "id":
            return lambda r: r["id"]
        case "made_on":
            return lambda r: (r["made_on"], r["id"])
        case "late":
            return lambda r: (-(r["days_late"] or -1), report_order(r))
    return None


def stored_listing(
    rows: Iterable[StoredRow],
    day: date,
    *,
    status: tuple[str, ...] = (),
    overdue_only: bool = False,
    due_before: date | None = None,
    sort: str | None = None,
    limit: int | None = None,
) -> list[str]:
    """The status report's rows on ``day``, encoded, filtered and ordered as
    ``queries.status_report`` does, from the stored columns: each line equal to
    ``encode_row(status_row(state, day))``."""
    today = day.isoformat()
    before = due_before.isoformat() if due_before else None
    order = None if sort is None else sort_key(sort)
    assert sort is None or order is not None, sort  # the command line offers only SORTS
    keyed = []
    for ident, status_value, made_on, due_end, text, overdue_after, follow_ups_due in rows:
        if status and status_value not in status:
            continue
        if before is not None and not (due_end is not None and due_end < before):
            continue
        days_late = None
        if overdue_after is not None and overdue_after < today:
            days_late = (day - date.fromisoformat(overdue_after)).days
            text = text.replace(NOT_LATE, f'"overdue": true, "days_late": {days_late}', 1)
        chasing = bisect_left(follow_ups_due.split(), today) if follow_ups_due else 0
        if chasing:
            text = text.replace(NO_FOLLOW_UP_LATE, f'"overdue_follow_ups": {chasing}', 1)
        elif overdue_only and days_late is None:
            continue
        if order is None:  # the report's own order, without a row to read it from
            keyed.append((_report_key(days_late is not None, chasing, due_end, ident), text))
            continue
        # What the other orders read of a row; the rest of it is in the stored text.
        row = {
            "id": ident,
            "status": status_value,
            "made_on": made_on,
            "due": {"end": due_end} if due_end is not None else None,
            "overdue": days_late is not None,
            "days_late": days_late,
            "overdue_follow_ups": chasing,
        }
        keyed.append((order(row), text))
    keyed.sort()  # every key ends in the id, unique: the texts are never compared
    return [text for _, text in keyed[:limit]]


def stored_report(url: str, day: date, **options: Any) -> list[str] | None:
    """The status report on ``day``, encoded, from the stored rows read with the bare
    driver (``options`` as :func:`stored_listing` takes them); None when they cannot
    give it (see :mod:`tracker.adapters.statusread`)."""
    rows = stored_status_rows(url)
    return None if rows is None else stored_listing(rows, day, **options)
