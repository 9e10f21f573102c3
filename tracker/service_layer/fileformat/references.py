"""The file's reference data: its ``actors`` and ``sources`` entries."""

from __future__ import annotations

import re
from typing import Any

from tracker.domain.names import name_key
from tracker.service_layer.fileformat.document import Problem
from tracker.service_layer.fileformat.fieldreader import Fields

ACTOR_KINDS = ("government", "person", "organization", "body")
ACTOR_KEYS = ("id", "name", "kind", "member_of", "role", "aliases")
SOURCE_KEYS = ("id", "publisher", "title", "url", "published", "language")
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z")


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
