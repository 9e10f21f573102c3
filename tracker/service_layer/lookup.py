"""Finding the id a person meant: exact, else a unique prefix, else suggestions.

Ids are long (``fentanyl-meeting-feb-2024``) and typed by hand, so every command that
takes one accepts a unique prefix, and an id that matches nothing names the closest
ones, including ids that merely contain the word typed (``fentanyl``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from tracker.adapters.projection_sql import REFERENCED
from tracker.service_layer.app import Tracker
from tracker.service_layer.queries import QueryError

SHOWN = 8  # candidates named in an ambiguous-prefix message
_WORDS = re.compile(r"[^\W_]+")


class UnknownId(QueryError):
    """No id matches: none exactly, none by a unique prefix."""

    def __init__(self, message: str, candidates: Sequence[str]) -> None:
        super().__init__(message)
        self.candidates = list(candidates)


def suggestions(wanted: str, ids: Sequence[str], n: int = 3) -> list[str]:
    """The ids closest to ``wanted``: those containing it, those with a word close to
    it, then difflib's closest whole ids."""
    text = wanted.casefold()
    found = [i for i in ids if text and text in i.casefold()]
    for i in ids:
        words = _WORDS.findall(i.casefold())
        if i not in found and difflib.get_close_matches(text, words, n=1, cutoff=0.8):
            found.append(i)
    found += [i for i in difflib.get_close_matches(wanted, ids, n=n) if i not in found]
    return found[:n]


def match_id(wanted: str, ids: Sequence[str], what: str = "commitment") -> str:
    """The one id in ``ids`` that ``wanted`` means, or UnknownId saying why not."""
    if wanted in ids:
        return wanted
    folded = wanted.casefold()
    prefixed = sorted(i for i in ids if i.casefold().startswith(folded)) if folded else []
    if len(prefixed) == 1:
        return prefixed[0]
    if prefixed:
        named = ", ".join(prefixed[:SHOWN]) + (", …" if len(prefixed) > SHOWN else "")
        raise UnknownId(
            f"{wanted!r} is the start of {len(prefixed)} {what} ids: {named}; type more of it",
            prefixed,
        )
    close = suggestions(wanted, ids)
    hint = f"did you mean {' or '.join(close)}?" if close else f"see `tracker {what}s`"
    if what == "commitment" and not close:
        hint = "see `tracker status`"
    raise UnknownId(f"no {what} {wanted!r}; {hint}", close)


def known_ids(tracker: Tracker, what: str = "commitment") -> list[str]:
    """Every stored id of a commitment, actor or source."""
    with tracker.uow.read() as session:
        return session.owner_ids(REFERENCED[what])


def resolve_id(tracker: Tracker, wanted: str, what: str = "commitment") -> str:
    """``match_id`` against the stored ids; an exact id skips reading them all."""
    with tracker.uow.read() as session:
        if not session.send_reference_lookups([(what, what, wanted)])():
            return wanted
    return match_id(wanted, known_ids(tracker, what), what)
