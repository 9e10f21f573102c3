"""A commitments/v1 document into its checked sections: actors, sources, commitments.

Every problem is collected, with the path inside the file, before anything is
written; what the sections refer to is checked against the database by the import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracker.domain.words import kind_of
from tracker.service_layer.fileformat.commitments import CommitmentEntries, read_commitment
from tracker.service_layer.fileformat.document import Document, Problem
from tracker.service_layer.fileformat.fieldreader import Fields
from tracker.service_layer.fileformat.references import read_actor, read_source

FORMAT = "commitments/v1"
TOP_KEYS = ("format", "actors", "sources", "commitments")


@dataclass
class Contents:
    actors: list[tuple[str, dict[str, Any]]]
    sources: list[tuple[str, dict[str, Any]]]
    commitments: list[CommitmentEntries]


def read_contents(doc: Document, problems: list[Problem]) -> Contents:
    data = doc.data
    if not isinstance(data, dict):
        found = kind_of(data)
        what = f"the file must be a mapping with format: {FORMAT}, not {found}"
        problems.append(Problem("", what))
        return Contents([], [], [])
    f = Fields(data, "", problems, TOP_KEYS)
    if "format" not in data:
        problems.append(Problem("format", f"is missing: the file must say format: {FORMAT}"))
    elif data["format"] != FORMAT:
        found = data["format"]
        shown = repr(found) if isinstance(found, str) else kind_of(found)
        problems.append(Problem("format", f"must be {FORMAT}, not {shown}"))
    parsed = Contents([], [], [])
    for i, raw in enumerate(f.items("actors")):
        if (actor := read_actor(raw, f"actors[{i}]", problems)) is not None:
            parsed.actors.append((f"actors[{i}]", actor))
    for i, raw in enumerate(f.items("sources")):
        if (source := read_source(raw, f"sources[{i}]", problems)) is not None:
            parsed.sources.append((f"sources[{i}]", source))
    for i, raw in enumerate(f.items("commitments")):
        parsed.commitments.append(read_commitment(raw, f"commitments[{i}]", problems))
    for what, items in (
        ("actor", [(p, a["id"]) for p, a in parsed.actors]),
        ("source", [(p, s["id"]) for p, s in parsed.sources]),
        ("commitment", [(c.path, c.id) for c in parsed.commitments if c.id]),
    ):
        first: dict[str, str] = {}
        for path, ident in items:
            if ident in first:
                problems.append(
                    Problem(f"{path}.id", f"{what} {ident!r} is already at {first[ident]}")
                )
            first.setdefault(ident, path)
    return parsed
