"""Reading one mapping of the file by the field rules, every problem collected."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tracker.domain import days
from tracker.domain.addresses import address_problem
from tracker.domain.commitment import SLUG
from tracker.domain.deadlines import DueParseError, DueWindow, parse_due
from tracker.domain.words import kind_of
from tracker.service_layer.fileformat.document import Problem
from tracker.service_layer.fileformat.rules import (
    EMAIL,
    NEWLINES,
    rule_problem,
    unique,
)


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
        value = NEWLINES.sub("\n", value)
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

    def items(self, key: str) -> list[Any]:
        """A list whose items are read each on its own (a section, follow-ups, history)."""
        value = self.raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(key, f"must be a list, not {kind_of(value)}")
            return []
        return value

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
