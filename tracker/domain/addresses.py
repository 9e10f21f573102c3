"""The one rule for a mail address: what an owner may be, and what the mailer sends to.

The rule lives here, not in the mail adapter, so that the field rules can apply it
when an owner is entered: an address taken at ``add`` or ``import`` that the mailer
then refuses fails every ``remind`` run from then on.
"""

from __future__ import annotations

import unicodedata
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from functools import lru_cache

# RFC 5321 4.5.3.1: servers may refuse longer local parts and paths, and many do.
LOCAL_PART_MOST = 64
ADDRESS_MOST = 254


@lru_cache(maxsize=4096)  # the header parser is slow, and a file names few owners many times
def address_problem(value: str) -> str | None:
    """Why ``value`` is not exactly one address the mailer can send to, if it is not.

    Parsed by the standard library's header parser, as the message's ``To`` will be:
    one address (a list would add hidden recipients), no parser defects (``a@b..c``),
    a domain, an ASCII address (smtplib sends any other only to servers that offer
    SMTPUTF8, which few do), and within the lengths servers accept. A display name
    (``Desk <desk@example.org>``) is allowed here; owners are bare addresses by the
    field rules.
    """
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in value):
        return "it holds a control character or a line break"
    probe = EmailMessage(policy=default_policy)
    try:
        probe["To"] = value
        addresses, defects = probe["To"].addresses, probe["To"].defects
    except (ValueError, IndexError):
        return "it cannot be read as an address"
    if len(addresses) != 1:
        return "it is not exactly one address"
    address = addresses[0]
    if not address.addr_spec.isascii():
        return "it is not ASCII, and servers without SMTPUTF8 refuse it" + _ascii_form(address)
    if defects or not address.domain:
        return "it is not a well-formed address"
    if len(address.username) > LOCAL_PART_MOST:
        return f"its part before @ is over {LOCAL_PART_MOST} characters"
    if len(address.addr_spec) > ADDRESS_MOST:
        return f"it is over {ADDRESS_MOST} characters"
    return None


def _ascii_form(address: Address) -> str:
    """The same mailbox in ASCII, when only its domain is not (``xn--`` labels)."""
    if not address.username.isascii():
        return ""
    try:
        domain = address.domain.encode("idna").decode("ascii")
    except UnicodeError:
        return ""
    return f"; write it {address.username}@{domain}"
