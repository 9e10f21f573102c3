"""Every stream name of the log, built here and only here.

A stream's name is its kind, a colon and the id of what it is about
(``commitment:darien-visit``); the audit's stream has no id. The kind says which event
types the stream may hold (see ``events.types_in``) and which projection tables it
owns. Field rules derive their longest ids from these names (``fileformat.rules.ID_MOST``).
"""

from __future__ import annotations

COMMITMENT = "commitment"
ACTOR = "actor"
SOURCE = "source"
OVERDUE = "overdue"
REMINDERS = "reminders"
AUDIT = "audit"  # one stream: its kind is its name

# The kinds the projections are folded from; the jobs' own streams feed no projection.
FOLDED = (COMMITMENT, ACTOR, SOURCE)


def _named(kind: str, ident: str) -> str:
    return f"{kind}:{ident}"


def commitment(commitment_id: str) -> str:
    return _named(COMMITMENT, commitment_id)


def actor(actor_id: str) -> str:
    return _named(ACTOR, actor_id)


def source(source_id: str) -> str:
    return _named(SOURCE, source_id)


def overdue(commitment_id: str) -> str:
    """The overdue flags of one commitment and its follow-ups."""
    return _named(OVERDUE, commitment_id)


def reminders(owner: str) -> str:
    """The reminders mailed to one address, whatever its case: ``Desk@x`` and ``desk@x``
    share a mailbox, so they share a stream."""
    return _named(REMINDERS, owner.lower())


def prefix(kind: str) -> str:
    """What every name of a kind starts with, to read all its streams at once."""
    return _named(kind, "")
