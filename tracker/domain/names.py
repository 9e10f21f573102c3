"""Actor names as people type them: with or without accents, in any case, misspelt.

News reports write "Alicia Barcena" for Alicia Bárcena and sometimes "Alicia Barcenas";
analysts type whatever is quickest. Names are compared by a key that ignores accents,
case and punctuation; known misspellings are registered as aliases, and near misses
get a "did you mean" instead of silently creating a new actor.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

# Unicode categories that separate words: punctuation, symbols, separators, controls.
_SEPARATORS = ("P", "S", "Z", "C")


def name_key(text: str) -> str:
    """The comparison key: "ALICIA BÁRCENA", "alicia  barcena" -> "alicia barcena".

    Folding follows Unicode's compatibility caseless match (NFKD and casefold twice),
    so the key of a key is itself; then accents go and any punctuation is a space.
    """
    once = unicodedata.normalize("NFKD", unicodedata.normalize("NFD", text).casefold())
    folded = unicodedata.normalize("NFKD", once.casefold())
    chars = (
        " " if unicodedata.category(c).startswith(_SEPARATORS) else c
        for c in folded
        if unicodedata.category(c) not in ("Mn", "Me")  # accents and other marks
    )
    return " ".join("".join(chars).split())


class AmbiguousName(ValueError):
    """One name (or alias) claimed by two actors: resolving it would be a guess."""


Actor = tuple[str, str, Sequence[str]]
"""An actor as its names are written: (id, name, aliases)."""


@dataclass(frozen=True)
class Clash:
    """An actor claiming a name, alias or id that already names another actor.

    ``field`` is where the claim is written (``name``, ``aliases[1]``, ``id``), so that a
    file's problem or a command line's option can point at it.
    """

    actor: str
    field: str
    text: str
    owner: str
    owner_field: str
    owner_text: str

    def __str__(self) -> str:
        claim = f"id {self.text!r}" if self.field == "id" else repr(self.text)
        held = "alias" if self.owner_field.startswith("aliases") else self.owner_field
        return (
            f"actor {self.actor}: {claim} already names actor {self.owner} "
            f"(its {held} {self.owner_text!r}); each name, alias and id must belong to one "
            "actor, compared ignoring case, accents and punctuation"
        )


def _claims(actor: Actor) -> Iterator[tuple[str, str, str]]:
    """(key, field, text) for everything an actor can be looked up by."""
    actor_id, name, aliases = actor
    yield name_key(actor_id), "id", actor_id
    yield name_key(name), "name", name
    for i, alias in enumerate(aliases):
        yield name_key(alias), f"aliases[{i}]", alias


def clashes(new: Iterable[Actor], existing: Iterable[Actor] = ()) -> list[Clash]:
    """What the ``new`` actors claim that another actor holds, before they are written.

    A lookup takes an id as it is and a name or alias by its key, so an actor whose
    name folds to another's alias, or to another's id ("MX" beside the actor ``mx``),
    would make ``--by`` answer for the wrong actor. ``existing`` actors that ``new``
    replaces (the same id) lose their old claims; clashes among the other existing
    actors are not reported, only what ``new`` would add. Among ``new``, the later of
    two claimants is the one that clashes. A claim an actor already held is not a new
    one: an older version let such clashes in, and its exports must import again.
    """
    new = list(new)
    replaced = {actor[0] for actor in new}
    owners: dict[str, tuple[str, str, str]] = {}  # key -> (actor id, field, text)
    held: set[tuple[str, str]] = set()  # (actor id, key) of claims already written
    for actor in existing:
        for key, field, text in _claims(actor):
            if actor[0] in replaced:
                held.add((actor[0], key))
            elif key:
                owners.setdefault(key, (actor[0], field, text))
    found: list[Clash] = []
    for actor in new:
        mine: dict[str, tuple[str, str, str]] = {}
        for key, field, text in _claims(actor):
            owner = owners.get(key)
            if owner is not None and owner[0] != actor[0]:
                if (actor[0], key) not in held:
                    found.append(Clash(actor[0], field, text, *owner))
            elif key:
                mine.setdefault(key, (actor[0], field, text))
        for key, claim in mine.items():
            owners.setdefault(key, claim)
    return found


class ActorDirectory:
    """id -> (name, aliases); resolve free text to an actor id.

    Adding an id again merges: its name is replaced and all keys seen so far still
    resolve to it, because an actor may be referenced before it is fully declared.
    """

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._owners: dict[str, str] = {}  # name key -> actor id

    def add(self, actor_id: str, name: str, aliases: Iterable[str] = ()) -> None:
        keys: dict[str, str] = {}  # key -> the text it came from, for messages
        for text in (name, *aliases):
            key = name_key(text)
            if not key:
                raise ValueError(f"actor {actor_id}: name {text!r} has no letters or digits")
            owner = self._owners.get(key)
            if owner is not None and owner != actor_id:
                raise AmbiguousName(
                    f"actor {actor_id}: {text!r} already names actor {owner} "
                    f"({self._names[owner]!r}); names and aliases must be unique"
                )
            keys[key] = text
        self._names[actor_id] = name
        self._owners.update(dict.fromkeys(keys, actor_id))

    def resolve(self, text: str) -> str | None:
        if text in self._names:
            return text
        return self._owners.get(name_key(text))

    def suggest(self, text: str, n: int = 3) -> list[str]:
        """Actor ids whose id, name or alias is close to `text`, best first."""
        candidates = dict(self._owners)
        for actor_id in self._names:
            candidates.setdefault(name_key(actor_id), actor_id)
        if not candidates:
            return []
        close = difflib.get_close_matches(name_key(text), candidates, n=len(candidates))
        return list(dict.fromkeys(candidates[key] for key in close))[:n]

    def name(self, actor_id: str) -> str:
        return self._names[actor_id]

    def __contains__(self, actor_id: object) -> bool:
        return actor_id in self._names
