"""Generated commitments that look like the real ones, in the ``commitments/v1`` form.

The workloads need thousands to a million events shaped like what analysts record:
pledges by governments and officials, deadlines written the way news gives them
("early February 2024", "principios de marzo de 2025", "2024-Q3"), tags, owners,
sources with quotes in Spanish and English, follow-ups and a history of progress,
notes, deadline changes and verdicts. Everything is drawn from one seeded
``random.Random``, so a run is repeatable, and every commitment obeys the domain's
rules (a verdict carries a source, nothing but a note follows a final status), so the
importer accepts the whole file.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

FORMAT = "commitments/v1"
FIRST_DAY = date(2023, 1, 2)
SPAN_DAYS = 700
MEAN_EVENTS = 10  # events per commitment: its making, follow-ups and history entries


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.split("|")]


_GOVERNMENTS = [
    tuple(_words(pair))
    for pair in (
        "us|United States", "mx|Mexico", "gt|Guatemala", "pa|Panama", "ca|Canada",
        "co|Colombia", "hn|Honduras", "sv|El Salvador", "cr|Costa Rica", "ec|Ecuador",
        "ve|Venezuela", "br|Brazil",
    )
]  # fmt: skip
_BODIES = _words(
    "Ministry of Foreign Affairs | Ministry of the Interior | Migration Institute | "
    "Ministry of Security | Customs Agency | Ministry of Health | Ministry of Finance"
)
_GIVEN = _words("Alicia|José|María|Antony|Rosa|Luis|Elizabeth|Andrés|Ana|Juan|Gabriela|Ricardo")
_FAMILY = _words("Bárcena|Rodríguez|Sandoval|Mayorkas|Ojeda|Garduño|Arévalo|Pérez|Martínez|Núñez")
_PUBLISHERS = [
    (name, "es" if spanish else "en")
    for name, spanish in (
        ("EFE", True), ("Reuters", False), ("CNN en Español", True), ("AP", False),
        ("El Universal", True), ("La Jornada", True), ("Prensa Libre", True),
        ("The Washington Post", False), ("Milenio", True), ("AFP", False),
    )
]  # fmt: skip
_PLEDGES = _words(
    "hold a high-level meeting on {topic} in {place} | "
    "open {n} new legal pathways for migrants from {place} | "
    "deploy additional personnel to the border with {place} | "
    "share intelligence on {topic} with {place} | "
    "fund a regional programme on {topic} | "
    "reopen the border crossings closed during the {topic} talks | "
    "publish a joint report on {topic} | "
    "send a delegation to {place} to discuss {topic} | "
    "increase inspections of cargo to curb {topic} | "
    "sign a memorandum of understanding on {topic} with {place}"
)
_TOPICS = _words(
    "migration | fentanyl trafficking | arms smuggling | border trade | asylum processing | "
    "labour visas | human smuggling | climate displacement | port security | money laundering"
)
_PLACES = _words(
    "Panama | the Darién | Guatemala City | Washington | Mexico City | Tapachula | "
    "Ciudad Juárez | Tegucigalpa | San Salvador | Bogotá | Ottawa"
)
_TAGS = _words("migration|fentanyl|border|trade|security|asylum|smuggling|meeting|visas|arms")
_QUOTES_ES = _words(
    "se acordó que ambos gobiernos trabajarán de manera conjunta en los próximos meses | "
    "el canciller confirmó que la reunión se celebrará a principios del próximo mes | "
    "las autoridades informaron de avances en la aplicación del acuerdo | "
    "fuentes oficiales señalaron que el programa sigue pendiente de financiación"
)
_QUOTES_EN = _words(
    "both governments agreed to work together over the coming months | "
    "officials said the meeting would take place early next month | "
    "the authorities reported progress in carrying out the agreement | "
    "officials said the programme was still waiting for funding"
)
_NOTES = _words(
    "Spokesperson confirmed the plan at the morning press conference. | "
    "No public statement since the meeting; asked the ministry's press office. | "
    "Local press reports the first teams arrived this week. | "
    "The budget line appears in the draft spending bill. | "
    "Both sides postponed the working group without giving a new date. | "
    "Minutes of the bilateral meeting published on the ministry's website."
)
_MONTHS_EN = _words(
    "January|February|March|April|May|June|July|August|September|October|November|December"
)
_MONTHS_ES = _words(
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
)
_PARTS = [("early", "principios"), ("mid", "mediados"), ("late", "finales")]
_VERDICTS = ["fulfilled", "partially_fulfilled", "broken"]


def _due_text(rng: random.Random, after: date) -> str | None:
    """A deadline after ``after``, in one of the ways the news writes them."""
    if rng.random() < 0.15:
        return None
    day = after + timedelta(days=rng.randint(7, 240))
    y, m = day.year, day.month
    part_en, part_es = rng.choice(_PARTS)
    return rng.choice(
        [
            day.isoformat(),
            f"{y}-{m:02d}",
            f"{part_en} {y}-{m:02d}",
            f"{part_en} {_MONTHS_EN[m - 1]} {y}",
            f"{part_es} de {_MONTHS_ES[m - 1]} de {y}",
            f"{_MONTHS_ES[m - 1]} de {y}",
            f"{y}-Q{(m - 1) // 3 + 1}",
            f"{y}-H{(m - 1) // 6 + 1}",
        ]
    )


@dataclass
class Catalog:
    """The actors and sources commitments refer to, as file entries."""

    actors: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def governments(self) -> list[str]:
        return [a["id"] for a in self.actors if a["kind"] == "government"]

    @property
    def events(self) -> int:
        return len(self.actors) + len(self.sources)


def make_catalog(rng: random.Random, people: int = 60, sources: int = 400) -> Catalog:
    catalog = Catalog()
    for gid, name in _GOVERNMENTS:
        catalog.actors.append({"id": gid, "name": name, "kind": "government"})
        for i, body in enumerate(_BODIES[:3]):
            body_id = f"{gid}-body-{i}"
            catalog.actors.append(
                {"id": body_id, "name": f"{body} of {name}", "kind": "body", "member_of": gid}
            )
    # Distinct people: the tracker refuses a name or alias that already names another actor.
    pairs = rng.sample([(g, f) for g in _GIVEN for f in _FAMILY], people)
    for i, (given, family) in enumerate(pairs):
        gid = rng.choice(_GOVERNMENTS)[0]
        catalog.actors.append(
            {
                "id": f"person-{i}",
                "name": f"{given} {family}",
                "kind": "person",
                "member_of": f"{gid}-body-{rng.randrange(3)}",
                "role": "Secretary",
                "aliases": [f"{family}, {given}"],
            }
        )
    for i in range(sources):
        publisher, language = rng.choice(_PUBLISHERS)
        published = FIRST_DAY + timedelta(days=rng.randrange(SPAN_DAYS + 400))
        catalog.sources.append(
            {
                "id": f"src-{i}",
                "publisher": publisher,
                "title": f"{rng.choice(_TOPICS).capitalize()}: what was agreed",
                "url": f"https://news.example.org/{published.isoformat()}/{i}",
                "published": published.isoformat(),
                "language": language,
            }
        )
    return catalog


def _evidence(rng: random.Random, catalog: Catalog, entry: dict[str, Any]) -> dict[str, Any]:
    if rng.random() < 0.6:
        source = rng.choice(catalog.sources)
        entry["source"] = source["id"]
        quotes = _QUOTES_ES if source["language"] == "es" else _QUOTES_EN
        entry["quote"] = rng.choice(quotes)
    return entry


def progress_entry(rng: random.Random, catalog: Catalog, on: date) -> dict[str, Any]:
    return _evidence(
        rng, catalog, {"on": on.isoformat(), "kind": "progress", "note": rng.choice(_NOTES)}
    )


def _history(
    rng: random.Random,
    catalog: Catalog,
    head: dict[str, Any],
    entries: int,
    follow_ups: list[str],
) -> list[dict[str, Any]]:
    """``entries`` history items that the domain accepts, oldest first."""
    out: list[dict[str, Any]] = []
    status, open_fus = "pledged", list(follow_ups)
    day, due = date.fromisoformat(head["made_on"]), head["due"]
    for i in range(entries):
        day += timedelta(days=rng.randint(1, 9))
        roll, on, note = rng.random(), day.isoformat(), rng.choice(_NOTES)
        if status in _VERDICTS:  # only notes may follow a verdict
            out.append(_evidence(rng, catalog, {"on": on, "kind": "note", "note": note}))
        elif i == entries - 1 and roll < 0.35:
            status = rng.choice(_VERDICTS)
            source = rng.choice(catalog.sources)["id"]
            out.append({"on": on, "kind": "status", "status": status, "source": source})
        elif roll < 0.55:
            out.append(progress_entry(rng, catalog, day))
            status = "in_progress" if status in ("pledged", "stalled") else status
        elif roll < 0.7:
            out.append(_evidence(rng, catalog, {"on": on, "kind": "note", "note": note}))
        elif roll < 0.8 and open_fus:
            out.append({"on": on, "kind": "follow_up_done", "follow_up": open_fus.pop(0)})
        elif roll < 0.9:
            new_due = _due_text(rng, day)
            if new_due == due:  # a deadline change must change the deadline
                new_due = None if due else f"{day.year + 1}"
            due = new_due
            out.append({"on": on, "kind": "due", "due": due, "note": "postponed"})
        else:
            status = "stalled" if status != "stalled" else "in_progress"
            out.append({"on": on, "kind": "status", "status": status, "note": note})
    return out


def make_commitment(
    rng: random.Random, catalog: Catalog, index: int, events: int
) -> dict[str, Any]:
    """One commitment of exactly ``events`` events (its making counts as one)."""
    governments = catalog.governments
    made_on = FIRST_DAY + timedelta(days=rng.randrange(SPAN_DAYS))
    by = rng.sample(governments, rng.choice((1, 1, 2)))
    if rng.random() < 0.4:
        by.append(rng.choice(catalog.actors[len(governments) * 4 :])["id"])
    to = [g for g in rng.sample(governments, 1) if g not in by]
    topic, place = rng.choice(_TOPICS), rng.choice(_PLACES)
    pledge = rng.choice(_PLEDGES).format(topic=topic, place=place, n=rng.randint(2, 40))
    owner = f"desk-{rng.randrange(25)}@example.org"
    source = rng.choice(catalog.sources)
    quotes = _QUOTES_ES if source["language"] == "es" else _QUOTES_EN
    follow_ups = [
        {
            "id": f"check-{k}",
            "due": (made_on + timedelta(days=rng.randint(14, 90))).isoformat(),
            "task": f"Ask the press office whether they {pledge.split(' ', 1)[0]} as pledged",
            "owner": owner,
        }
        for k in range(min(events - 1, rng.choice((0, 1, 1, 2))))
    ]
    commitment: dict[str, Any] = {
        "id": f"c{index:07d}-{topic.split()[0]}",
        "title": f"{_name(catalog, by[0])} will {pledge}",
        "made_by": by,
        "made_to": to,
        "made_on": made_on.isoformat(),
        "occasion": f"Bilateral meeting on {topic}, {place}",
        "due": _due_text(rng, made_on),
        "tags": rng.sample(_TAGS, rng.randint(1, 3)),
        "owner": owner,
        "source": source["id"],
        "quote": rng.choice(quotes),
    }
    if follow_ups:
        commitment["follow_ups"] = follow_ups
    history = _history(
        rng, catalog, commitment, events - 1 - len(follow_ups), [f["id"] for f in follow_ups]
    )
    if history:
        commitment["history"] = history
    return commitment


def _name(catalog: Catalog, actor_id: str) -> str:
    return next(a["name"] for a in catalog.actors if a["id"] == actor_id)


def commitments(
    rng: random.Random, catalog: Catalog, events: int, *, first: int = 0
) -> Iterator[dict[str, Any]]:
    """Commitments numbered from ``first`` whose events add up to exactly ``events``."""
    index, left = first, events
    while left > 0:
        size = min(left, rng.randint(MEAN_EVENTS - 6, MEAN_EVENTS + 6))
        yield make_commitment(rng, catalog, index, size)
        index, left = index + 1, left - size


def document(catalog: Catalog | None, items: list[dict[str, Any]]) -> dict[str, Any]:
    """A commitments/v1 document; the catalog goes only into the first of a series."""
    doc: dict[str, Any] = {"format": FORMAT}
    if catalog is not None:
        doc["actors"] = catalog.actors
        doc["sources"] = catalog.sources
    doc["commitments"] = items
    return doc
