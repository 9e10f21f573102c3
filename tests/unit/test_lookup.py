"""Finding the id a person meant: exact, a unique prefix, else candidates or suggestions."""

from __future__ import annotations

import pytest

from tracker.service_layer.lookup import UnknownId, match_id, suggestions

IDS = [
    "darien-visit",
    "fentanyl-meeting-feb-2024",
    "mexico-continued-efforts",
    "mexico-officials-visit-us-jan-2024",
    "mexico",
]


def test_an_exact_id_wins_even_when_it_is_a_prefix_of_others() -> None:
    assert match_id("mexico", IDS) == "mexico"


def test_a_unique_prefix_finds_its_id_in_any_case() -> None:
    assert match_id("dar", IDS) == "darien-visit"
    assert match_id("FENT", IDS) == "fentanyl-meeting-feb-2024"


def test_an_ambiguous_prefix_names_every_candidate() -> None:
    with pytest.raises(UnknownId) as caught:
        match_id("mexico-", IDS)
    assert caught.value.candidates == [
        "mexico-continued-efforts",
        "mexico-officials-visit-us-jan-2024",
    ]
    assert "is the start of 2 commitment ids" in str(caught.value)


def test_many_candidates_are_cut_short() -> None:
    ids = [f"pledge-{n:02}" for n in range(20)]
    with pytest.raises(UnknownId) as caught:
        match_id("pledge", ids)
    assert len(caught.value.candidates) == 20
    assert str(caught.value).count("pledge-") == 8 and ", …;" in str(caught.value)


def test_a_word_inside_an_id_or_a_typo_is_suggested() -> None:
    assert suggestions("meeting", IDS) == ["fentanyl-meeting-feb-2024"]
    assert suggestions("meting", IDS) == ["fentanyl-meeting-feb-2024"]
    with pytest.raises(UnknownId, match="did you mean darien-visit"):
        match_id("darein-visit", IDS)


def test_nothing_close_points_to_the_listing() -> None:
    with pytest.raises(UnknownId, match="no commitment 'zzz'; see `tracker status`") as caught:
        match_id("zzz", IDS)
    assert caught.value.candidates == []
    with pytest.raises(UnknownId, match="see `tracker sources`"):
        match_id("zzz", ["efe-2024-01-20"], "source")


def test_an_empty_id_matches_nothing() -> None:
    with pytest.raises(UnknownId):
        match_id("", IDS)
