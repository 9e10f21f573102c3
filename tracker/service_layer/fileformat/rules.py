"""What each text field of the file, and each option that sets one, may hold.

The lengths are read off the schema, so that a value the reader accepts always fits
where it is stored, on either backend; the rest keeps a one-line field on one line
wherever it is shown (a table, a mail header, a terminal).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tracker.adapters import schema
from tracker.domain import streams
from tracker.service_layer.fileformat.document import SURROGATE

# C0 control characters but tab and newline (carriage returns are turned into newlines
# first). C1 ones (U+0080–U+009F) are allowed in text: they are what Windows-1252 text
# read as Latin-1 holds, older logs have them, and mail headers refuse them on their own.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
NEWLINES = re.compile(r"\r\n?")
# What ends a line in a one-line field: every break str.splitlines() knows (mail
# clients, terminals and editors break on them too), and the bidirectional controls,
# which reorder how the text around them shows, so that it reads as other text.
_LINE_BREAK = re.compile("[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# No spaces or control characters (an owner becomes a mail header), and \Z because $
# would let a trailing newline through.
_ADDRESS_PART = r"[^@\s\x00-\x1f\x7f-\x9f\ud800-\udfff]+"
EMAIL = re.compile(rf"^{_ADDRESS_PART}@{_ADDRESS_PART}\.{_ADDRESS_PART}\Z")


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
    return text_problem(NEWLINES.sub("\n", value))


def unique(items: Iterable[str]) -> list[str]:
    """``items`` with repeats dropped, first occurrences in order.

    ``tags: [a, a]``, ``made_to: [mx, mx]`` or ``--to Mexico --to mx`` say nothing the
    first mention did not, so they are recorded once rather than refused; a log written
    before this rule still compares equal to its file (see :func:`.forms.header_form`).
    """
    return list(dict.fromkeys(items))
