"""The commitments/v1 file's entries, both ways: file form -> command, event -> file form.

Import and export share this module so that ``import -> export -> import`` is
lossless by construction: an entry already in the log is recognised by turning the
stored event back into its file form and comparing it with the file's entry. The
history's kinds are declared with the events (``events.HistoryForm``): the command an
entry makes is read by ``commitment.ENTRY_READERS``, through :class:`Fields`, which
holds every value to the field rules below; an event is written back by
``events.history_entry``.

Two history kinds go beyond the written format, because the log can hold them and
export must not drop them: ``follow_up`` (a check-in scheduled after the commitment
was made) and ``retraction`` (``retracts: N``, the entry number ``tracker show``
prints, with a ``note`` saying why).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tracker.adapters import schema
from tracker.domain import days, streams
from tracker.domain import events as ev
from tracker.domain.addresses import address_problem
from tracker.domain.commitment import (
    ENTRY_READERS,
    SLUG,
    Command,
    MakeCommitment,
    ScheduleFollowUp,
    read_follow_up,
)
from tracker.domain.deadlines import DueParseError, DueWindow, due_form, parse_due
from tracker.domain.names import name_key
from tracker.domain.words import kind_of
from tracker.service_layer.document import SURROGATE, Problem

# C0 control characters but tab and newline (carriage returns are turned into newlines
# first). C1 ones (U+0080–U+009F) are allowed in text: they are what Windows-1252 text
# read as Latin-1 holds, older logs have them, and mail headers refuse them on their own.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NEWLINES = re.compile(r"\r\n?")
# What ends a line in a one-line field: every break str.splitlines() knows (mail
# clients, terminals and editors break on them too), and the bidirectional controls,
# which reorder how the text around them shows, so that it reads as other text.
_LINE_BREAK = re.compile("[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# No spaces or control characters (an owner becomes a mail header), and \Z because $
# would let a trailing newline through.
_ADDRESS_PART = r"[^@\s\x00-\x1f\x7f-\x9f\ud800-\udfff]+"
EMAIL = re.compile(rf"^{_ADDRESS_PART}@{_ADDRESS_PART}\.{_ADDRESS_PART}\Z")
ACTOR_KINDS = ("government", "person", "organization", "body")
# The kinds of a history entry and the keys they may hold: see ``events.HistoryForm``.
HISTORY_KINDS = tuple(ev.HISTORY_FORMS)


# --- the field rules: how long, and whether more than one line ----------------------


def _width(column: Any) -> int:
    """A string column's declared length: the rules are read off the schema, so a
    value the file reader accepts always fits where it is stored."""
    length = column.type.length
    assert isinstance(length, int), column
    return length


_STREAM = _width(schema.events.c.stream_id)
_KEY = _width(schema.events.c.idempotency_key)
# The longest id that fits wherever ids go: stream names (``commitment:ID``) and, twice,
# the overdue flag's idempotency key (``overdue:ID:FOLLOW-UP-ID:YYYY-MM-DD``).
ID_MOST = min(_STREAM - len(streams.commitment("")), (_KEY - len("overdue:::YYYY-MM-DD")) // 2)
# The longest owner: its column, the reminder stream (``reminders:OWNER``) and the
# digest's idempotency key (``reminder:OWNER:YYYY-MM-DD``).
OWNER_MOST = min(
    _width(schema.commitments.c.owner),
    _STREAM - len(streams.reminders("")),
    _KEY - len("reminder::YYYY-MM-DD"),
)


@dataclass(frozen=True)
class Rule:
    """What one kind of text field may hold: at most ``most`` characters, and line
    breaks only if ``lines`` (notes and quotes are paragraphs; everything else is
    shown on one line of a table, a mail or a terminal, where a break would let it
    pose as another row, entry or paragraph)."""

    most: int
    lines: bool = False


# One set of rules for every text field of the file and every option that sets one.
# Lengths are generous where the schema leaves them free (Text columns), and the
# schema's where it does not, so that what one backend takes the other takes too.
RULES: dict[str, Rule] = {
    "id": Rule(ID_MOST),
    "owner": Rule(OWNER_MOST),
    "title": Rule(1000),
    "task": Rule(1000),
    "occasion": Rule(500),
    "name": Rule(300),
    "aliases": Rule(300),
    "role": Rule(300),
    "publisher": Rule(300),
    "tags": Rule(100),
    "label": Rule(200),  # a deadline's words
    "url": Rule(2000),
    "language": Rule(_width(schema.sources.c.language)),
    "kind": Rule(_width(schema.actors.c.kind)),
    "status": Rule(_width(schema.commitments.c.status)),
    "note": Rule(20_000, lines=True),
    "quote": Rule(20_000, lines=True),
}


def text_problem(value: str) -> str | None:
    """What makes ``value`` unfit to be stored as text, if anything."""
    # Half a UTF-16 pair cannot be stored as UTF-8: a JSON file's "\ud800" escape, or a
    # command-line argument that was not UTF-8 (Python decodes its bytes to these).
    if bad := SURROGATE.search(value):
        return f"is not valid text (U+{ord(bad.group()):04X} is half a UTF-16 pair)"
    if _CONTROL.search(value):
        return "contains control characters"
    return None


def rule_problem(key: str, value: str) -> str | None:
    """What makes ``value`` unfit for the field ``key`` by its rule, if anything.

    Run on the value as given (trimmed), before carriage returns become newlines, so a
    one-line field names the break it holds.
    """
    rule = RULES[key]
    if len(value) > rule.most:
        return f"is {len(value):,} characters long; at most {rule.most:,} are allowed"
    if not rule.lines:
        if found := _LINE_BREAK.search(value):
            return f"must be one line, but holds a line break (U+{ord(found.group()):04X})"
        if found := _BIDI.search(value):
            return (
                f"holds U+{ord(found.group()):04X}, a bidirectional control that can make "
                "text show as other text; it is not allowed here"
            )
    return text_problem(_NEWLINES.sub("\n", value))


def shown(value: Any) -> str:
    """``value`` quoted for a message, cut short: the message must not drown in it."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}… ({len(str(value)):,} characters)"


class Fields:
    """Reads one mapping of the file, collecting problems instead of stopping at the first.

    The command line reads its options through this class too (with ``path=""``, so a
    problem's path is the key, which the command maps to its option): one set of rules
    for what may be recorded, however it arrives.
    """

    def __init__(self, raw: Any, path: str, problems: list[Problem], allowed: tuple[str, ...]):
        self.path, self.problems = path, problems
        self.ok = isinstance(raw, dict)
        self.raw: dict[str, Any] = raw if self.ok else {}
        if not self.ok:
            self.fail("", f"must be a mapping, not {kind_of(raw)}")
            return
        for key in self.raw:
            if key not in allowed:
                self.fail(str(key), f"unknown key (allowed: {', '.join(allowed)})")

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if key and self.path else key or self.path

    def fail(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.at(key), message))

    def text(self, key: str, *, required: bool = False, rule: str | None = None) -> str | None:
        """Text by the rule of ``key`` (or of ``rule``), trimmed, line ends made ``\\n``."""
        value = self.raw.get(key)
        if value is None:
            if required and self.ok:
                self.fail(key, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail(key, f"must be text, not {kind_of(value)}")
            return None
        value = str(value).strip()
        if problem := rule_problem(rule or key, value):
            self.fail(key, problem)
            return None
        value = _NEWLINES.sub("\n", value)
        if required and not value:
            self.fail(key, "must not be empty")
            return None
        return value or None

    def slug(self, key: str, *, required: bool = False) -> str | None:
        value = self.text(key, required=required, rule="id")
        if value is not None and not SLUG.match(value):
            self.fail(key, f"{shown(value)} is not a slug (lowercase letters, digits, hyphens)")
            return None
        return value

    def email(self, key: str) -> str | None:
        """An address exactly as given: one with a line break at its end is refused,
        not trimmed, because it was meant for a mail header."""
        value = self.raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            self.fail(key, f"{shown(value)} is not an email address")
            return None
        if not EMAIL.match(value) or address_problem(value):
            why = address_problem(value) or "it is not one bare address, user@example.org"
            self.fail(key, f"{shown(value)} is not an email address: {why}")
            return None
        if problem := rule_problem("owner", value):
            self.fail(key, problem)
            return None
        return value

    def day(self, key: str, *, required: bool = False) -> date | None:
        value = self.raw.get(key)
        if value is None:
            if required and self.ok:
                self.fail(key, "is required (a date, YYYY-MM-DD)")
            return None
        if isinstance(value, datetime):
            value = value.date()
        if not isinstance(value, date):
            try:
                value = date.fromisoformat(str(value))
            except ValueError:
                self.fail(key, f"{value!r} is not a date (YYYY-MM-DD)")
                return None
        if not days.in_span(value):
            self.fail(key, f"{value.isoformat()} is outside the days kept ({days.SPAN})")
            return None
        return value

    def slugs(self, key: str, *, required: bool = False) -> list[str]:
        value = self.raw.get(key)
        if value is None:
            if required and self.ok:
                self.fail(key, "is required (a list of ids)")
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.fail(key, f"must be a list, not {kind_of(value)}")
            return []
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not SLUG.match(item):
                self.problems.append(Problem(f"{self.at(key)}[{i}]", f"{shown(item)} is not an id"))
            elif problem := rule_problem("id", item):
                self.problems.append(Problem(f"{self.at(key)}[{i}]", problem))
            else:
                out.append(item)
        if required and not out and value == []:
            self.fail(key, "must name at least one")
        return unique(out)

    def texts(self, key: str) -> list[str]:
        """A list of text, each stripped, repeats dropped (see :func:`unique`)."""
        value = self.raw.get(key)
        if value is None:
            return []
        if isinstance(value, tuple):  # a repeatable command-line option
            value = list(value)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, "must be a list of texts")
            return []
        out = []
        for i, item in enumerate(value):
            if not item.strip():
                self.problems.append(Problem(f"{self.at(key)}[{i}]", "must not be empty"))
            elif problem := rule_problem(key, item.strip()):
                self.problems.append(Problem(f"{self.at(key)}[{i}]", f"{shown(item)} {problem}"))
            else:
                out.append(item.strip())
        return unique(out)

    def due(self, key: str) -> DueWindow | None:
        """A deadline; its words (as written, or a window's ``label``) by the label rule."""
        value = self.raw.get(key)
        if isinstance(value, str) and (problem := rule_problem("label", value.strip())):
            self.fail(key, problem)
            return None
        try:
            window = parse_due(value)
        except DueParseError as exc:
            self.fail(key, str(exc))
            return None
        if window is not None and (problem := rule_problem("label", window.label)):
            self.fail(f"{key}.label", problem)
            return None
        return window

    def integer(self, key: str, *, required: bool = False) -> int | None:
        value = self.raw.get(key)
        if value is None:
            if required and self.ok:
                self.fail(key, "is required (a number)")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"{value!r} is not a whole number")
            return None
        return value


# --- reference data ----------------------------------------------------------------

ACTOR_KEYS = ("id", "name", "kind", "member_of", "role", "aliases")
SOURCE_KEYS = ("id", "publisher", "title", "url", "published", "language")
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z")


def unique(items: Iterable[str]) -> list[str]:
    """``items`` with repeats dropped, first occurrences in order.

    ``tags: [a, a]``, ``made_to: [mx, mx]`` or ``--to Mexico --to mx`` say nothing the
    first mention did not, so they are recorded once rather than refused; a log written
    before this rule still compares equal to its file (see :func:`header_form`).
    """
    return list(dict.fromkeys(items))


def read_actor(raw: Any, path: str, problems: list[Problem]) -> dict[str, Any] | None:
    f = Fields(raw, path, problems, ACTOR_KEYS)
    before = len(problems)
    name, kind, aliases = (
        f.text("name", required=True),
        f.text("kind", required=True),
        f.texts("aliases"),
    )
    actor = {
        "id": f.slug("id", required=True),
        "name": name,
        "kind": kind,
        "member_of": f.slug("member_of"),
        "role": f.text("role"),
        "aliases": aliases,
    }
    if kind is not None and kind not in ACTOR_KINDS:
        f.fail("kind", f"{kind!r} is not one of {', '.join(ACTOR_KINDS)}")
    names = [("name", name)] if name else []
    for key, text in [*names, *((f"aliases[{i}]", a) for i, a in enumerate(aliases))]:
        if not name_key(text):  # a lookup could never find it
            f.fail(key, f"{text!r} has no letters or digits")
    return actor if len(problems) == before else None


def read_source(raw: Any, path: str, problems: list[Problem]) -> dict[str, Any] | None:
    f = Fields(raw, path, problems, SOURCE_KEYS)
    before = len(problems)
    published = f.day("published")
    source = {
        "id": f.slug("id", required=True),
        "publisher": f.text("publisher", required=True),
        "title": f.text("title"),
        "url": f.text("url"),
        "published": published.isoformat() if published else None,
        "language": f.text("language"),
    }
    url = source["url"]
    if url is not None and not re.match(r"^https?://\S+$", url):
        f.fail("url", f"{url!r} is not an http(s) URL")
    if source["language"] is not None and not LANGUAGE.match(source["language"]):
        f.fail("language", f"{source['language']!r} is not a BCP 47 language tag (en, es, es-MX)")
    return source if len(problems) == before else None


def clean(d: dict[str, Any]) -> dict[str, Any]:
    """The file form leaves out what is empty, as a person writing it would."""
    return {k: v for k, v in d.items() if v not in (None, [], "")}


# --- commitments -------------------------------------------------------------------

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
    for i, item in enumerate(_list(f, "follow_ups")):
        fu = Fields(item, f"{path}.follow_ups[{i}]", problems, FOLLOW_UP_KEYS)
        spec = read_follow_up(fu)
        if spec and made_on:
            result.entries.append(Entry(fu.path, ScheduleFollowUp(made_on, spec)))
    for i, item in enumerate(_list(f, "history")):
        entry = read_history(Fields(item, f"{path}.history[{i}]", problems, HISTORY_KEYS), refs)
        if entry:
            result.entries.append(entry)
    result.valid = len(problems) == before
    return result


def _list(f: Fields, key: str) -> list[Any]:
    value = f.raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        f.fail(key, f"must be a list, not {kind_of(value)}")
        return []
    return value


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


# --- events back to file form ------------------------------------------------------


def header_form(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: data.get(k) for k in COMMITMENT_KEYS[:11]}
    out["due"] = due_form(data.get("due"))
    for key in ("made_by", "made_to", "tags"):  # repeats recorded before they were dropped
        if repeated := out[key]:
            out[key] = unique(repeated)
    return clean(out)


def follow_up_form(data: dict[str, Any]) -> dict[str, Any]:
    return clean({k: data.get(k) for k in FOLLOW_UP_KEYS})
