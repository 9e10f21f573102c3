"""Sending reminder digests over SMTP, safely.

Three things go wrong with hand-rolled SMTP and this module exists to prevent them:
smtplib does not verify certificates unless given a context, titles and names typed by
users can smuggle extra headers into a message, and connection strings leak passwords
into logs. Every failure is a :class:`SendError` that says whether retrying can help,
so the reminders job can leave a digest unsent and try again on its next run.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage, Message
from email.policy import default as default_policy
from email.utils import format_datetime
from functools import partial
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from tracker.config import MAIL_FROM_ENV as FROM_ENV
from tracker.config import SMTP_CA_FILE_ENV as CA_FILE_ENV
from tracker.config import SMTP_URL_ENV as URL_ENV
from tracker.config import ConfigError, redact
from tracker.domain.addresses import address_problem

_URL_EXAMPLES = "smtp://user:pass@host:587, smtps://user:pass@host:465 or smtp://host:25"
_FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
# Set by build_message itself; a caller's extra header must not duplicate them.
_OWN_HEADERS = frozenset(
    {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)
_EXCHANGES = 10  # request/reply round trips in one send, at most
DEFAULT_TIMEOUT_S = 10.0
MAX_TIMEOUT_S = 600
# Line and paragraph separators are not Cc, yet str.splitlines() breaks on them.
_LINE_BREAKING = frozenset({"Zl", "Zp"})


class MailConfigError(ConfigError):
    """TRACKER_SMTP_URL, TRACKER_MAIL_FROM or the CA file cannot be used as given."""


class HeaderValueError(ValueError):
    """A value bound for a mail header holds a control character or is malformed."""


class SendError(Exception):
    """A message was not handed over to the SMTP server.

    ``permanent`` is true only when the server refused the message itself with a 5xx
    reply; anything else (4xx, a dropped connection, a timeout, TLS or login trouble)
    may succeed later, so the caller should keep the message and retry.
    """

    def __init__(self, message: str, *, permanent: bool, code: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Keeps the error intact when it crosses a process boundary (scheduler workers).
        return partial(type(self), permanent=self.permanent, code=self.code), self.args

    def __repr__(self) -> str:
        return f"SendError({str(self)!r}, permanent={self.permanent}, code={self.code})"


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send; ``password`` is kept out of ``repr`` and ``describe``."""

    scheme: Literal["smtp", "smtps"]
    host: str
    port: int
    username: str | None
    password: str | None = field(repr=False)
    starttls: bool
    mail_from: str
    timeout: float = DEFAULT_TIMEOUT_S  # per reply from the server

    def __post_init__(self) -> None:
        if self.scheme not in ("smtp", "smtps"):
            raise MailConfigError(f"unsupported SMTP scheme {self.scheme!r}: use smtp or smtps")
        if not self.host:
            raise MailConfigError(f"{URL_ENV} has no host name; expected {_URL_EXAMPLES}")
        if not 0 < self.port < 65536:
            raise MailConfigError(f"{URL_ENV}: the port must be a number from 1 to 65535")
        if (self.username is None) != (self.password is None):
            raise MailConfigError(f"{URL_ENV} needs both a user name and a password, or neither")
        if self.scheme == "smtps" and self.starttls:
            raise MailConfigError(
                f"{URL_ENV}: smtps:// is already encrypted; starttls applies to smtp:// only"
            )
        if self.username is not None and self.scheme == "smtp" and not self.starttls:
            raise MailConfigError(
                f"{URL_ENV}: refusing to send a password over an unencrypted connection; "
                "drop starttls=0 or use smtps://"
            )
        _check_address(FROM_ENV, self.mail_from, MailConfigError)

    @property
    def longest_send(self) -> float:
        """Seconds after which a send has certainly ended, sent or timed out: every
        exchange of one send (connect, EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT, DATA,
        the message, QUIT) waits at most ``timeout``, plus a margin. A claim on a digest
        lasts this long, so a crashed sender's claim lapses and a slow one's does not."""
        return self.timeout * _EXCHANGES + 60.0

    @classmethod
    def from_url(cls, url: str, mail_from: str) -> SmtpSettings:
        """Parse ``TRACKER_SMTP_URL``; error messages never quote the password."""
        split = urlsplit(url.strip())
        scheme = split.scheme.lower()
        if scheme not in ("smtp", "smtps") or not url.strip().lower().startswith(scheme + "://"):
            shown = f" {scheme!r}" if scheme else ""
            raise MailConfigError(
                f"{URL_ENV} has an unsupported scheme{shown}; expected {_URL_EXAMPLES}"
            )
        if "@" in split.path + split.query + split.fragment:
            # An unencoded / ? or # cut the password short; the rest must not be echoed.
            raise MailConfigError(
                f"{URL_ENV}: characters such as / ? # @ in the user name or password must be "
                "percent-encoded (%2F %3F %23 %40)"
            )
        if split.path not in ("", "/") or split.fragment:
            raise MailConfigError(
                f"{URL_ENV} must not have a path or fragment; expected {_URL_EXAMPLES}"
            )
        try:
            port = split.port
        except ValueError:
            raise MailConfigError(f"{URL_ENV}: the port must be a number from 1 to 65535") from None
        host = split.hostname
        if not host:
            raise MailConfigError(f"{URL_ENV} has no host name; expected {_URL_EXAMPLES}")
        username = unquote(split.username) if split.username else None
        password = unquote(split.password) if split.password is not None else None
        if username is None and password:
            raise MailConfigError(f"{URL_ENV} has a password but no user name")
        if username is not None and password is None:
            raise MailConfigError(f"{URL_ENV} has a user name ({username!r}) but no password")
        starttls = scheme == "smtp" and username is not None
        timeout: dict[str, float] = {}
        for name, value in parse_qsl(split.query, keep_blank_values=True):
            if name == "timeout":
                timeout["timeout"] = _timeout(value)
                continue
            if name != "starttls":
                raise MailConfigError(
                    f"{URL_ENV}: unknown parameter {name!r}; only starttls=1 or starttls=0 "
                    "and timeout=SECONDS"
                )
            if value.lower() not in _FLAGS:
                raise MailConfigError(f"{URL_ENV}: starttls must be 1 or 0, not {value!r}")
            starttls = _FLAGS[value.lower()]
        if port is None:
            port = 465 if scheme == "smtps" else 587 if username is not None else 25
        return cls(
            scheme=scheme,  # type: ignore[arg-type]  # checked above
            host=host,
            port=port,
            username=username,
            password=password,
            starttls=starttls,
            mail_from=mail_from.strip(),
            **timeout,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> SmtpSettings:
        url = env.get(URL_ENV, "").strip()
        if not url:
            raise MailConfigError(f"{URL_ENV} is not set; set it to {_URL_EXAMPLES}")
        mail_from = env.get(FROM_ENV, "").strip()
        if not mail_from:
            raise MailConfigError(
                f"{FROM_ENV} is not set; set it to the sender address, e.g. "
                "'Tracker <tracker@example.org>'"
            )
        return cls.from_url(url, mail_from)

    def describe(self) -> str:
        """The URL for messages and logs, with the password shown as ``***``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        auth = f"{quote(self.username, safe='')}:***@" if self.username is not None else ""
        implied = self.scheme == "smtp" and self.username is not None
        params = []
        if self.scheme == "smtp" and self.starttls != implied:
            params.append(f"starttls={int(self.starttls)}")
        if self.timeout != DEFAULT_TIMEOUT_S:
            params.append(f"timeout={self.timeout:g}")
        query = "?" + "&".join(params) if params else ""
        return f"{self.scheme}://{auth}{host}:{self.port}{query}"


def check_header(field: str, value: str) -> str:
    """Refuse control characters, so a user's title cannot start a new header line."""
    for position, char in enumerate(value):
        category = unicodedata.category(char)
        if category == "Cc" or category in _LINE_BREAKING:
            raise HeaderValueError(
                f"the {field} header cannot contain control characters or line breaks "
                f"(found U+{ord(char):04X} at position {position})"
            )
    return value


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    message_id: str,
    date: datetime,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """A text (and HTML) message whose headers are all checked.

    ``message_id`` comes from the caller so that the same digest always carries the same
    Message-ID, letting mail clients and the job's retry collapse duplicates.
    """
    if date.tzinfo is None:
        raise ValueError("the Date of a message must be timezone-aware")
    message = EmailMessage(policy=default_policy)
    message["From"] = _check_address("From", sender, HeaderValueError)
    message["To"] = _check_address("To", to, HeaderValueError)
    message["Subject"] = check_header("Subject", subject)
    message["Date"] = format_datetime(date)
    message["Message-ID"] = _message_id(message_id)
    for name, value in (headers or {}).items():
        _check_header_name(name)
        message[name] = check_header(name, value)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def send(
    settings: SmtpSettings, message: Message, *, ssl_context: ssl.SSLContext | None = None
) -> None:
    """Hand ``message`` to the server, or raise :class:`SendError`.

    The headers are checked again first (a message may have been built elsewhere),
    which raises :class:`HeaderValueError` before any connection is made.
    """
    for name, value in message.items():
        check_header(name, str(value))
    needs_tls = settings.scheme == "smtps" or settings.starttls
    context = (ssl_context or _default_context()) if needs_tls else None
    where = settings.describe()
    try:
        client = _connect(settings, context)
    except Exception as error:
        raise _send_error(error, settings, f"cannot connect to {where}") from None
    try:
        _handshake(client, settings, context)
        refused = client.send_message(message)
    except SendError:
        raise
    except Exception as error:
        raise _send_error(error, settings, f"sending via {where} failed") from None
    finally:
        _close(client)
    if refused:
        # Only some recipients were refused: report them; the rest were delivered.
        codes = [code for code, _ in refused.values()]
        raise SendError(
            f"{where} refused {', '.join(sorted(refused))}: "
            + "; ".join(f"{code} {_text(reply)}" for code, reply in refused.values()),
            permanent=all(500 <= code < 600 for code in codes),
            code=codes[0],
        )


def _default_context() -> ssl.SSLContext:
    """A verifying context; TRACKER_SMTP_CA_FILE adds a private CA (and only it)."""
    ca_file = os.environ.get(CA_FILE_ENV) or None
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as error:
        raise MailConfigError(
            f"{CA_FILE_ENV}={ca_file}: cannot load CA certificates ({error})"
        ) from None


def _connect(settings: SmtpSettings, context: ssl.SSLContext | None) -> smtplib.SMTP:
    if settings.scheme == "smtps":
        return smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    return smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)


def _handshake(
    client: smtplib.SMTP, settings: SmtpSettings, context: ssl.SSLContext | None
) -> None:
    if settings.starttls:
        client.ehlo()
        if not client.has_extn("starttls"):
            # Could be a stripping attacker as well as a misconfigured server: retry later.
            raise SendError(
                f"{settings.describe()} does not offer STARTTLS, which is required; "
                "not sending in the clear",
                permanent=False,
            )
        client.starttls(context=context)
        client.ehlo()
    if settings.username is not None and settings.password is not None:
        try:
            client.login(settings.username, settings.password)
        except UnicodeEncodeError:
            # str(error) would quote part of the password.
            raise SendError(
                f"cannot log in to {settings.describe()}: smtplib can only send an ASCII "
                "user name and password",
                permanent=False,
            ) from None


def _close(client: smtplib.SMTP) -> None:
    """Say goodbye politely; a failed QUIT after delivery must not look like a failed send."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        client.close()


def _send_error(error: Exception, settings: SmtpSettings, context: str) -> SendError:
    code: int | None = None
    permanent = False
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        code = codes[0] if codes else None
        permanent = bool(codes) and all(500 <= c < 600 for c in codes)
        detail = "; ".join(
            f"{rcpt}: {c} {_text(reply)}" for rcpt, (c, reply) in error.recipients.items()
        )
    elif isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        permanent = isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPDataError) and (
            500 <= code < 600
        )
        detail = f"{code} {_text(error.smtp_error)}"
    elif isinstance(error, ssl.SSLError | ssl.CertificateError):
        detail = f"TLS failed: {error}"
    elif isinstance(error, TimeoutError):
        detail = f"timed out after {settings.timeout:g}s"
    else:
        detail = f"{type(error).__name__}: {error}"
    message = redact(f"{context}: {detail}", secrets=[settings.password])
    return SendError(message, permanent=permanent, code=code)


def _timeout(value: str) -> float:
    """``timeout=SECONDS``: how long to wait for each reply of a slow server."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not 1 <= seconds <= MAX_TIMEOUT_S:  # also refuses nan and inf
        raise MailConfigError(
            f"{URL_ENV}: timeout must be a number of seconds from 1 to {MAX_TIMEOUT_S}, "
            f"not {value!r}"
        )
    return seconds


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _check_address(field: str, value: str, error: type[ValueError]) -> str:
    """Exactly one address the mailer can send to, by the rule owners are entered by."""
    try:
        check_header(field, value)
    except HeaderValueError as bad:
        raise error(str(bad)) from None
    if problem := address_problem(value):
        raise error(
            f"{field} must be one e-mail address such as 'Name <user@example.org>', "
            f"not {value!r}: {problem}"
        )
    return value


def _check_header_name(name: str) -> None:
    if not name or any(not 33 <= ord(char) <= 126 or char == ":" for char in name):
        raise HeaderValueError(f"{name!r} is not a valid header name")
    if name.lower() in _OWN_HEADERS:
        raise HeaderValueError(f"the {name} header is set by build_message itself")


def _message_id(message_id: str) -> str:
    check_header("Message-ID", message_id)
    bare = message_id.strip().removeprefix("<").removesuffix(">")
    if not bare or "@" not in bare or any(char in bare for char in " <>"):
        raise HeaderValueError(f"Message-ID must look like <unique@domain>, not {message_id!r}")
    return f"<{bare}>"
