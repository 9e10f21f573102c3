"""The one address rule, shared by the field rules (at entry) and the mailer (at sending)."""

from __future__ import annotations

import pytest

from tracker.domain.addresses import address_problem


@pytest.mark.parametrize(
    "value",
    [
        "desk@example.org",
        "Seguimiento <tracker@example.org>",  # a display name: a sender may have one
        "Peña <tracker@example.org>",  # and it may be any text: the header encodes it
        f"{'d' * 64}@example.org",
    ],
)
def test_addresses_the_mailer_sends_to(value: str) -> None:
    assert address_problem(value) is None


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("désk@exämple.org", "not ASCII"),
        ("desk@exämple.org", "not ASCII"),
        ("a@b..c", "not a well-formed address"),
        ("a@example.org, b@example.org", "not exactly one address"),
        ("desk", "not a well-formed address"),
        ("desk@example.org\n", "line break"),
        ("desk@exa\u2028mple.org", "line break"),
        (f"{'d' * 65}@example.org", "over 64"),
        (f"desk@{'x' * 63}.{'y' * 63}.{'z' * 63}.{'w' * 54}.org", "over 254"),
    ],
)
def test_addresses_the_mailer_refuses(value: str, why: str) -> None:
    assert why in (address_problem(value) or "")


def test_an_international_domain_is_shown_in_its_ascii_form() -> None:
    assert address_problem("desk@exämple.org") == (
        "it is not ASCII, and servers without SMTPUTF8 refuse it; write it desk@xn--exmple-cua.org"
    )
    assert address_problem("desk@xn--exmple-cua.org") is None
