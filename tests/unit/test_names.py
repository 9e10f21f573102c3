import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.names import Actor, ActorDirectory, AmbiguousName, Clash, clashes, name_key


@pytest.mark.parametrize(
    "text",
    [
        "Alicia Barcena",
        "ALICIA BÁRCENA",
        "alicia  bárcena",
        " Alicia\tBa\u0301rcena ",
        "Alicia, Bárcena.",
    ],
)
def test_name_key_folds_accents_case_and_spaces(text: str) -> None:
    assert name_key(text) == "alicia barcena"


def test_punctuation_counts_as_space() -> None:
    assert name_key("Sherwood-Randall") == name_key("Sherwood Randall") == "sherwood randall"
    assert name_key("A.M.L.O.") == "a m l o"
    assert name_key("López Obrador, Andrés Manuel") == "lopez obrador andres manuel"


def test_name_key_of_non_latin_text_keeps_letters() -> None:
    assert name_key("Straße") == "strasse"
    assert name_key("Ἀθῆναι") == name_key("ΑΘΗΝΑΙ")


@pytest.fixture
def directory() -> ActorDirectory:
    actors = ActorDirectory()
    actors.add("mx", "Mexico", ["México"])
    actors.add("us", "United States", ["USA", "EE.UU."])
    actors.add("barcena", "Alicia Bárcena", ["Alicia Barcena", "Alicia Barcenas"])
    actors.add("sherwood-randall", "Elizabeth Sherwood-Randall", ["Elizaberth Sherwood-Randall"])
    return actors


@pytest.mark.parametrize(
    ("text", "actor_id"),
    [
        ("barcena", "barcena"),
        ("Alicia Bárcena", "barcena"),
        ("alicia barcena", "barcena"),
        ("ALICIA BARCENAS", "barcena"),
        ("Alicia Barcenas", "barcena"),
        ("Elizaberth Sherwood-Randall", "sherwood-randall"),
        ("elizabeth sherwood randall", "sherwood-randall"),
        ("MEXICO", "mx"),
        ("ee uu", "us"),
        ("mx", "mx"),
    ],
)
def test_resolve(directory: ActorDirectory, text: str, actor_id: str) -> None:
    assert directory.resolve(text) == actor_id


def test_unknown_name_resolves_to_none(directory: ActorDirectory) -> None:
    assert directory.resolve("Marcelo Ebrard") is None
    assert directory.resolve("") is None


def test_ids_match_exactly(directory: ActorDirectory) -> None:
    assert directory.resolve("MX") is None  # ids are exact; names and aliases are folded
    assert directory.suggest("MX") == ["mx"]


def test_contains_and_name(directory: ActorDirectory) -> None:
    assert "barcena" in directory
    assert "Alicia Bárcena" not in directory
    assert directory.name("barcena") == "Alicia Bárcena"


def test_alias_claimed_by_another_actor_is_ambiguous(directory: ActorDirectory) -> None:
    with pytest.raises(AmbiguousName, match="already names actor barcena") as info:
        directory.add("other", "Someone Else", ["ALICIA BARCENA"])
    assert "other" in str(info.value)
    assert "other" not in directory  # nothing half-added
    assert directory.resolve("Someone Else") is None


def test_adding_an_id_again_merges(directory: ActorDirectory) -> None:
    directory.add("barcena", "Alicia Bárcena Ibarra", ["A. Bárcena"])
    assert directory.resolve("a barcena") == "barcena"
    assert directory.resolve("Alicia Barcenas") == "barcena"
    assert directory.name("barcena") == "Alicia Bárcena Ibarra"


def test_name_without_letters_is_rejected() -> None:
    with pytest.raises(ValueError, match="no letters or digits"):
        ActorDirectory().add("x", "--")


def test_suggest(directory: ActorDirectory) -> None:
    assert directory.suggest("Alicia Barzena") == ["barcena"]
    assert directory.suggest("sherwood randal")[0] == "sherwood-randall"
    assert directory.suggest("barcen") == ["barcena"]  # a mistyped id
    assert directory.suggest("zzzz") == []
    assert len(directory.suggest("a", n=2)) <= 2
    assert ActorDirectory().suggest("anything") == []


# --- clashes: what a write would make ambiguous ------------------------------------------

LOG: list[Actor] = [
    ("mx", "Mexico", ["Estados Unidos Mexicanos"]),
    ("us", "United States", ["EE.UU."]),
    ("barcena", "Alicia Bárcena", ["Alicia Barcenas"]),
]


@pytest.mark.parametrize(
    ("new", "field", "owner", "owner_field"),
    [
        (("mx2", "MEXICO", []), "name", "mx", "name"),
        (("mx2", "Mexico City", ["mexico"]), "aliases[0]", "mx", "name"),
        (("mx2", "Mexico City", ["CDMX", "Mexico"]), "aliases[1]", "mx", "name"),
        (("eum", "EUM", ["estados unidos mexicanos"]), "aliases[0]", "mx", "aliases[0]"),
        (("ee-uu", "Somebody", []), "id", "us", "aliases[0]"),  # an id folds like a name
        (("mx2", "MX", []), "name", "mx", "id"),  # "--by MX" would find mx2, "--by mx" mx
        (("other", "Alicia, Barcenas.", []), "name", "barcena", "aliases[0]"),
    ],
)
def test_a_claim_on_another_actors_key_clashes(
    new: Actor, field: str, owner: str, owner_field: str
) -> None:
    [clash] = clashes([new], LOG)
    assert (clash.actor, clash.field, clash.owner, clash.owner_field) == (
        new[0],
        field,
        owner,
        owner_field,
    )
    assert f"actor {new[0]}:" in str(clash) and f"already names actor {owner}" in str(clash)


def test_an_actor_written_again_keeps_its_own_names() -> None:
    assert (
        clashes([("mx", "MEXICO", ["Mexico", "méxico", "mx", "Estados Unidos Mexicanos"])], LOG)
        == []
    )


def test_a_name_given_up_may_go_to_another_actor_in_the_same_write() -> None:
    new = [("mx", "Mexico", []), ("eum", "Estados Unidos Mexicanos", [])]
    assert clashes(new, LOG) == []
    assert [c.field for c in clashes(new[1:], LOG)] == ["name"]  # not while mx holds it


def test_the_later_of_two_new_claimants_clashes() -> None:
    found = clashes([("one", "Ana Pérez", []), ("two", "Luis", ["ANA PEREZ"])])
    assert found == [Clash("two", "aliases[0]", "ANA PEREZ", "one", "name", "Ana Pérez")]
    assert "(its name 'Ana Pérez')" in str(found[0])


def test_clashes_already_in_the_log_are_not_a_new_writes_problem() -> None:
    legacy = [*LOG, ("mexico", "Mexico", [])]  # written before the rule
    assert clashes([("gt", "Guatemala", [])], legacy) == []
    assert [c.owner for c in clashes([("gt", "Guatemala", ["Mexico"])], legacy)] == ["mx"]


actor_names = st.lists(
    st.sampled_from(["ana", "Ana", "ANA", "Ána", "Luis", "luis.", "Rosa", "r-o-s-a"])
)


@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "c", "ana", "luis"]), actor_names), max_size=6)
)
def test_actors_written_without_clashes_always_resolve(specs: list[tuple[str, list[str]]]) -> None:
    """Whatever is written after ``clashes`` found nothing, every lookup still works."""
    written: dict[str, Actor] = {}
    for actor_id, names in specs:
        actor = (actor_id, f"Actor {actor_id}", names)
        if not clashes([actor], written.values()):
            written[actor_id] = actor
    directory = ActorDirectory()
    for actor_id, name, aliases in written.values():
        directory.add(actor_id, name, aliases)  # raises AmbiguousName on a shared key
    for actor_id, name, aliases in written.values():
        for text in (actor_id, name, *aliases):
            assert directory.resolve(text) == actor_id


# --- properties ---------------------------------------------------------------------------

# Latin letters with and without accents, digits, spaces and punctuation. Dotless ı is left
# out: "ı".upper() is "I", whose lower case is "i", so no key can be case-invariant for it.
latin = st.characters(
    min_codepoint=0x20, max_codepoint=0x17F, exclude_categories=("Cc",), exclude_characters="ı"
)
accents = st.sampled_from(["\u0301", "\u0300", "\u0302", "\u0303", "\u0308", "\u0327", "\u030c"])


@given(st.text())
def test_name_key_is_idempotent(text: str) -> None:
    assert name_key(name_key(text)) == name_key(text)


@given(st.text(alphabet=latin))
def test_name_key_ignores_case(text: str) -> None:
    assert name_key(text.upper()) == name_key(text.lower()) == name_key(text)


@given(st.lists(st.tuples(st.sampled_from("abcdefghijklmnopqrstuvwxyz -."), accents | st.just(""))))
def test_name_key_ignores_accents(pairs: list[tuple[str, str]]) -> None:
    plain = "".join(c for c, _ in pairs)
    accented = unicodedata.normalize("NFC", "".join(c + mark for c, mark in pairs))
    assert name_key(accented) == name_key(plain)


def test_a_clash_an_older_version_let_in_is_not_reported_again() -> None:
    existing = [("mx", "Mexico", []), ("mexico-sen", "MX", ["Senate"]), ("senate", "Senado", [])]
    assert clashes(existing, existing) == []  # the same actors, re-imported as they are
    renamed = [("mexico-sen", "MX", ["Senate", "Senado"])]
    [clash] = clashes(renamed, existing)
    assert (clash.actor, clash.text, clash.owner) == ("mexico-sen", "Senado", "senate")
