"""A ``commitments`` entry of the file into the commands it records.

The history's kinds are declared with the events (``events.HistoryForm``): the
command an entry makes is read by ``commitment.ENTRY_READERS``, through
:class:`~.fieldreader.Fields`, which holds every value to the field rules.

Two history kinds go beyond the written format, because the log can hold them and
export must not drop them: ``follow_up`` (a check-in scheduled after the commitment
was made) and ``retraction`` (``retracts: N``, the entry number ``tracker show``
prints, with a ``note`` saying why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tracker.domain import events as ev
from tracker.domain.commitment import (
    ENTRY_READERS,
    Command,
    MakeCommitment,
    ScheduleFollowUp,
    read_follow_up,
)
from tracker.service_layer.fileformat.document import Problem
from tracker.service_layer.fileformat.fieldreader import Fields

# The kinds of a history entry and the keys they may hold: see ``events.HistoryForm``.
HISTORY_KINDS = tuple(ev.HISTORY_FORMS)
COMMITMENT_KEYS = (
    "id",
    "title",
    "made_by",
    "made_to",
    "made_on",
    "occasion",
    "due",
    "tags",
    "owner",
    "source",
    "quote",
    "follow_ups",
    "history",
)
FOLLOW_UP_KEYS = ("id", "due", "task", "owner")
HISTORY_KEYS = tuple(
    dict.fromkeys(["on", "kind", *(k for form in ev.HISTORY_FORMS.values() for k in form.fields)])
)


@dataclass
class Entry:
    """One entry of the file, ready to decide: the command and where it came from."""

    path: str
    command: Command


@dataclass
class CommitmentEntries:
    id: str
    path: str
    entries: list[Entry] = field(default_factory=list)
    references: list[tuple[str, str, str]] = field(default_factory=list)  # (path, kind, id)
    valid: bool = True  # False: the file has problems here, so only its references are checked


def read_commitment(raw: Any, path: str, problems: list[Problem]) -> CommitmentEntries:
    f = Fields(raw, path, problems, COMMITMENT_KEYS)
    before = len(problems)
    cid = f.slug("id", required=True)
    made_on = f.day("made_on", required=True)
    made_by, made_to = f.slugs("made_by", required=True), f.slugs("made_to")
    source, quote = f.slug("source"), f.text("quote")
    if quote and not source:
        f.fail("quote", "a quote needs the source it comes from: give its source too")
    make = MakeCommitment(
        id=cid or "",
        title=f.text("title", required=True) or "",
        made_by=tuple(made_by),
        made_on=made_on or date.min,
        made_to=tuple(made_to),
        occasion=f.text("occasion"),
        due=f.due("due"),
        tags=tuple(f.texts("tags")),
        owner=f.email("owner"),
        source=source,
        quote=quote,
    )
    result = CommitmentEntries(cid or "", path, [Entry(path, make)])
    refs = result.references
    refs += [(f"{f.at('made_by')}[{i}]", "actor", a) for i, a in enumerate(made_by)]
    refs += [(f"{f.at('made_to')}[{i}]", "actor", a) for i, a in enumerate(made_to)]
    if source:
        refs.append((f.at("source"), "source", source))
    for i, item in enumerate(f.items("follow_ups")):
        fu = Fields(item, f"{path}.follow_ups[{i}]", problems, FOLLOW_UP_KEYS)
        spec = read_follow_up(fu)
        if spec and made_on:
            result.entries.append(Entry(fu.path, ScheduleFollowUp(made_on, spec)))
    for i, item in enumerate(f.items("history")):
        entry = read_history(Fields(item, f"{path}.history[{i}]", problems, HISTORY_KEYS), refs)
        if entry:
            result.entries.append(entry)
    result.valid = len(problems) == before
    return result


def read_history(f: Fields, refs: list[tuple[str, str, str]]) -> Entry | None:
    if not f.ok:
        return None
    on, kind = f.day("on", required=True), f.text("kind", required=True)
    if kind is not None and kind not in HISTORY_KINDS:
        f.fail("kind", f"{kind!r} is not one of {', '.join(HISTORY_KINDS)}")
        return None
    reader = ENTRY_READERS.get(kind or "")
    form = ev.HISTORY_FORMS.get(kind or "")
    allowed = form.fields if form else ()
    for key in f.raw:
        if key in HISTORY_KEYS and key not in ("on", "kind", *allowed):
            f.fail(key, f"does not go with kind {kind}")
    source = f.slug("source") if "source" in allowed else None
    if source:
        refs.append((f.at("source"), "source", source))
    if reader is None or on is None:
        return None
    command = reader(f, on, source)
    if target := getattr(command, "superseded_by", None):
        refs.append((f.at("superseded_by"), "commitment", target))
    return Entry(f.path, command) if command else None
