"""The mail adapter against real SMTP servers (aiosmtpd), with real TLS from trustme."""

from __future__ import annotations

import dataclasses
import pickle
import socket
import ssl
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.message import Message
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import pytest
import trustme
from support.smtp import HOST, SmtpSink

from tracker.adapters.mail import (
    HeaderValueError,
    MailConfigError,
    SendError,
    SmtpSettings,
    build_message,
    check_header,
    send,
)

SENDER = "Seguimiento de compromisos <tracker@example.org>"
OWNER = "José Peña <jose.pena@example.org>"
SUBJECT = "Recordatorio: 3 compromisos vencidos — Peña Nieto y Obama"
TEXT = "Hola José,\n\nVencidos: «Muro fronterizo» (vence 2013-12-31).\n"
HTML = "<p>Hola José,</p><ul><li>«Muro fronterizo» — vence 2013-12-31</li></ul>"
MESSAGE_ID = "<digest-jose.pena-2024-05-06@tracker.example.org>"
DATE = datetime(2024, 5, 6, 7, 30, tzinfo=timezone(timedelta(hours=-6)))
PASSWORD = "s3cr%t/p@ss:word"  # has characters that must be percent-encoded in URLs
WRONG_PASSWORD = "wr0ng-Pa55-zz9"


def digest(**overrides: object) -> Message:
    fields: dict[str, object] = {
        "sender": SENDER,
        "to": OWNER,
        "subject": SUBJECT,
        "text": TEXT,
        "html": HTML,
        "message_id": MESSAGE_ID,
        "date": DATE,
    }
    fields.update(overrides)
    return build_message(**fields)  # type: ignore[arg-type]


def settings_for(url: str) -> SmtpSettings:
    return SmtpSettings.from_url(url, SENDER)


@pytest.fixture
def relay() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def submission() -> Iterator[SmtpSink]:
    with SmtpSink(tls="starttls", auth=("tracker@example.org", PASSWORD)) as sink:
        yield sink


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


# --- delivery ---------------------------------------------------------------------------


def test_plain_relay_delivers(relay: SmtpSink) -> None:
    settings = settings_for(relay.url)
    assert (settings.starttls, settings.username) == (False, None)
    send(settings, digest())
    assert relay.rcpts == [("jose.pena@example.org",)]
    assert relay.received[0].mail_from == "tracker@example.org"
    assert relay.messages[0]["Subject"] == SUBJECT


def test_starttls_with_auth_delivers_with_verified_certificate(submission: SmtpSink) -> None:
    settings = settings_for(submission.url)
    assert settings.starttls and settings.password == PASSWORD
    send(settings, digest(), ssl_context=submission.client_context())
    assert len(submission.messages) == 1


def test_ca_file_from_environment_is_trusted(
    submission: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_SMTP_CA_FILE", submission.ca_file)
    send(settings_for(submission.url), digest())
    assert len(submission.messages) == 1


def test_implicit_tls_delivers(monkeypatch: pytest.MonkeyPatch) -> None:
    with SmtpSink(tls="implicit", auth=("tracker", PASSWORD)) as sink:
        assert sink.url.startswith("smtps://")
        monkeypatch.setenv("TRACKER_SMTP_CA_FILE", sink.ca_file)
        send(settings_for(sink.url), digest())
        assert len(sink.messages) == 1


def test_html_and_text_alternatives_and_stable_message_id_arrive_intact(
    relay: SmtpSink,
) -> None:
    settings = settings_for(relay.url)
    send(settings, digest())
    send(settings, digest())  # the same digest again, e.g. a retry
    first, second = relay.messages
    assert first.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in first.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert first.get_body(("plain",)).get_content() == TEXT  # type: ignore[union-attr]
    assert first.get_body(("html",)).get_content().strip() == HTML  # type: ignore[union-attr]
    assert first["Message-ID"] == second["Message-ID"] == MESSAGE_ID
    assert first["Subject"] == SUBJECT
    assert str(first["From"]) == SENDER and str(first["To"]) == OWNER
    assert parsedate_to_datetime(first["Date"]) == DATE


def test_text_only_message(relay: SmtpSink) -> None:
    send(settings_for(relay.url), digest(html=None))
    (message,) = relay.messages
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == TEXT


def test_extra_headers_are_sent(relay: SmtpSink) -> None:
    send(settings_for(relay.url), digest(headers={"Auto-Submitted": "auto-generated"}))
    assert relay.messages[0]["Auto-Submitted"] == "auto-generated"


# --- certificates are really verified ---------------------------------------------------


def test_untrusted_certificate_fails(submission: SmtpSink) -> None:
    context = ssl.create_default_context()
    trustme.CA().configure_trust(context)  # trusts some CA, just not the server's
    with pytest.raises(SendError, match="certificate verify failed") as caught:
        send(settings_for(submission.url), digest(), ssl_context=context)
    assert caught.value.permanent is False
    assert submission.attempts == 0


def test_untrusted_certificate_fails_with_default_context(
    submission: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRACKER_SMTP_CA_FILE", raising=False)
    with pytest.raises(SendError, match="certificate verify failed"):
        send(settings_for(submission.url), digest())
    assert submission.attempts == 0


def test_implicit_tls_with_untrusted_certificate_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKER_SMTP_CA_FILE", raising=False)
    with SmtpSink(tls="implicit") as sink, pytest.raises(SendError) as caught:
        send(settings_for(sink.url), digest())
    assert "certificate verify failed" in str(caught.value)
    assert not caught.value.permanent


def test_certificate_for_another_host_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    with SmtpSink(tls="starttls", cert_hostnames=("mail.example.org",)) as sink:
        monkeypatch.setenv("TRACKER_SMTP_CA_FILE", sink.ca_file)
        with pytest.raises(SendError, match=r"IP address mismatch|hostname mismatch"):
            send(settings_for(sink.url), digest())
        assert sink.attempts == 0


def test_required_starttls_not_offered_never_sends_in_the_clear(relay: SmtpSink) -> None:
    settings = settings_for(relay.url_for("tracker", PASSWORD))
    assert settings.starttls
    with pytest.raises(SendError, match="STARTTLS") as caught:
        send(settings, digest())
    assert not caught.value.permanent
    assert relay.attempts == 0


# --- refusals and failures ----------------------------------------------------------------


def test_5xx_refusal_is_permanent(relay: SmtpSink) -> None:
    relay.refuse_next, relay.refuse_code = 1, "550 5.7.1 Delivery not authorized"
    with pytest.raises(SendError, match="550") as caught:
        send(settings_for(relay.url), digest())
    assert caught.value.permanent is True
    assert caught.value.code == 550
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (str(copy), copy.permanent, copy.code) == (str(caught.value), True, 550)
    assert relay.messages == []


def test_4xx_refusal_is_transient_and_a_retry_delivers(relay: SmtpSink) -> None:
    relay.refuse_next, relay.refuse_code = 1, "451 4.3.0 Try again later"
    settings = settings_for(relay.url)
    with pytest.raises(SendError, match="451") as caught:
        send(settings, digest())
    assert caught.value.permanent is False
    send(settings, digest())
    assert relay.attempts == 2
    assert len(relay.messages) == 1


def test_dropped_connection_is_transient(relay: SmtpSink) -> None:
    relay.drop_next = 1
    settings = settings_for(relay.url)
    with pytest.raises(SendError) as caught:
        send(settings, digest())
    assert caught.value.permanent is False
    assert relay.messages == []
    send(settings, digest())
    assert len(relay.messages) == 1


def test_connection_refused_is_transient() -> None:
    with pytest.raises(SendError, match="cannot connect") as caught:
        send(settings_for(f"smtp://{HOST}:{free_port()}"), digest())
    assert caught.value.permanent is False


def test_silent_server_times_out_as_transient() -> None:
    # The kernel accepts the connection but nobody ever sends a greeting.
    with socket.create_server((HOST, 0)) as silent:
        port = silent.getsockname()[1]
        settings = dataclasses.replace(settings_for(f"smtp://{HOST}:{port}"), timeout=0.2)
        with pytest.raises(SendError, match="timed out") as caught:
            send(settings, digest())
    assert caught.value.permanent is False


# --- header injection -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", "Subject\r\nBcc: victim@example.org"),
        ("subject", "line\nbreak"),
        ("subject", "nul\x00byte"),
        ("subject", "c1\x85control"),
        ("subject", "separator\u2028here"),
        ("subject", "tab\tcharacter"),
        ("to", "jose@example.org\r\nBcc: victim@example.org"),
        ("sender", "Tracker\n <tracker@example.org>"),
        ("message_id", "<a@b>\r\nBcc: victim@example.org"),
    ],
)
def test_control_characters_in_headers_are_rejected(field: str, value: str) -> None:
    with pytest.raises(HeaderValueError) as caught:
        digest(**{field: value})
    assert "control characters" in str(caught.value)


def test_rejection_names_the_field() -> None:
    with pytest.raises(HeaderValueError, match="Subject header"):
        check_header("Subject", "Subject\r\nBcc: x")
    assert check_header("Subject", "Compromisos de Peña Nieto") == "Compromisos de Peña Nieto"


def test_extra_header_values_and_names_are_checked() -> None:
    with pytest.raises(HeaderValueError, match="X-Digest header"):
        digest(headers={"X-Digest": "a\r\nBcc: x"})
    with pytest.raises(HeaderValueError, match="not a valid header name"):
        digest(headers={"Bad Name": "x"})
    with pytest.raises(HeaderValueError, match="set by build_message"):
        digest(headers={"subject": "another"})


@pytest.mark.parametrize("to", ["a@example.org, b@example.org", "not an address", ""])
def test_to_must_be_exactly_one_address(to: str) -> None:
    with pytest.raises(HeaderValueError, match="one e-mail address"):
        digest(to=to)


def test_naive_date_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        digest(date=datetime(2024, 5, 6, 7, 30))


def test_injection_in_a_message_built_elsewhere_is_rejected_before_connecting(
    relay: SmtpSink,
) -> None:
    # The legacy compat32 policy stores header values as given, line breaks included.
    message = Message()
    message["From"] = "tracker@example.org"
    message["To"] = "jose@example.org"
    message["Subject"] = "Subject\r\nBcc: victim@example.org"
    message.set_payload("hi")
    with pytest.raises(HeaderValueError, match="Subject"):
        send(settings_for(relay.url), message)
    assert relay.attempts == 0 and relay.messages == []


# --- secrets --------------------------------------------------------------------------


def test_password_stays_out_of_settings_output(submission: SmtpSink) -> None:
    settings = settings_for(submission.url)
    for shown in (str(settings), repr(settings), settings.describe()):
        assert PASSWORD not in shown
    assert settings.describe() == f"smtp://tracker%40example.org:***@{HOST}:{submission.port}"


def test_wrong_password_fails_without_showing_it(submission: SmtpSink) -> None:
    settings = settings_for(submission.url_for("tracker@example.org", WRONG_PASSWORD))
    with pytest.raises(SendError, match="535") as caught:
        send(settings, digest(), ssl_context=submission.client_context())
    error = caught.value
    shown = [str(error), repr(error), "".join(traceback.format_exception(error))]
    for text in shown:
        assert WRONG_PASSWORD not in text
    assert "***" in str(error)
    assert submission.attempts == 0


@pytest.mark.parametrize(
    "url",
    [
        f"smtp://user:{WRONG_PASSWORD}@host:notaport",
        f"smtp://user:{WRONG_PASSWORD}@host:99999",
        f"smtp://user:{WRONG_PASSWORD}@",
        f"http://user:{WRONG_PASSWORD}@host",
        f"smtp://user:{WRONG_PASSWORD}@host/path",
        f"smtp://user:{WRONG_PASSWORD}@host?starttls=0",
        f"smtp://user:{WRONG_PASSWORD}@host?foo=bar",
        f"smtp://user:{WRONG_PASSWORD}/x@host",
        f"smtp://user:{WRONG_PASSWORD}?x@host",
        f"smtp://user:{WRONG_PASSWORD}#x@host",
        f"smtps://user:{WRONG_PASSWORD}@host?starttls=1",
    ],
)
def test_config_errors_never_show_the_password(url: str) -> None:
    with pytest.raises(MailConfigError) as caught:
        settings_for(url)
    assert "TRACKER_SMTP_URL" in str(caught.value)
    assert WRONG_PASSWORD not in str(caught.value)
    # The "x" parts above are after an unencoded character, so they are password too.
    assert "x@host" not in str(caught.value)


# --- parsing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", ("smtp", "mail.example.org", 25, None, None, False)),
        ("smtp://relay:2525", ("smtp", "relay", 2525, None, None, False)),
        ("smtp://u:p@mail.example.org", ("smtp", "mail.example.org", 587, "u", "p", True)),
        ("smtp://u:p@mail.example.org:25", ("smtp", "mail.example.org", 25, "u", "p", True)),
        ("smtps://u:p@mail.example.org", ("smtps", "mail.example.org", 465, "u", "p", False)),
        ("smtps://mail.example.org:2465", ("smtps", "mail.example.org", 2465, None, None, False)),
        ("SMTP://Mail.Example.ORG/", ("smtp", "mail.example.org", 25, None, None, False)),
        ("smtp://relay?starttls=1", ("smtp", "relay", 25, None, None, True)),
        ("smtp://relay:587?starttls=0", ("smtp", "relay", 587, None, None, False)),
        (
            "smtp://me%40example.org:p%40ss%2Fw%3Ard%25@mail.example.org:587",
            ("smtp", "mail.example.org", 587, "me@example.org", "p@ss/w:rd%", True),
        ),
        ("smtp://u:p:q@[::1]:587", ("smtp", "::1", 587, "u", "p:q", True)),
    ],
)
def test_from_url(url: str, expected: tuple[object, ...]) -> None:
    s = settings_for(url)
    assert (s.scheme, s.host, s.port, s.username, s.password, s.starttls) == expected
    assert s.mail_from == SENDER
    assert settings_for(s.describe().replace("***", quote(s.password or "", safe=""))) == s


def test_a_slow_server_can_be_given_longer_to_answer() -> None:
    settings = settings_for("smtp://relay:25?timeout=90")
    assert (settings.timeout, settings.describe()) == (90, "smtp://relay:25?timeout=90")
    assert settings.longest_send > 10 * 90  # a claim on a digest outlasts any send
    assert settings_for("smtp://relay").timeout == 10


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://host", "unsupported scheme 'http'"),
        ("host:25", "unsupported scheme"),
        ("mail.example.org", "unsupported scheme"),
        ("smtp:host", "unsupported scheme"),
        ("smtp://", "no host"),
        ("smtp://:25", "no host"),
        ("smtp://u:p@:587", "no host"),
        ("smtp://host:0", "port"),
        ("smtp://host:x", "port"),
        ("smtp://u@host", "no password"),
        ("smtp://:p@host", "no user name"),
        ("smtp://host?starttls=maybe", "starttls must be 1 or 0"),
        ("smtp://host?tls=1", "unknown parameter 'tls'"),
        ("smtp://host?timeout=0", "timeout must be a number of seconds from 1 to 600"),
        ("smtp://host?timeout=nan", "timeout must be"),
        ("smtp://host?timeout=1e12", "timeout must be"),
        ("smtp://host?timeout=soon", "not 'soon'"),
        ("smtp://host#frag", "path or fragment"),
        ("smtp://u:p@host?starttls=0", "unencrypted"),
    ],
)
def test_from_url_rejects(url: str, message: str) -> None:
    with pytest.raises(MailConfigError, match=message):
        settings_for(url)


@pytest.mark.parametrize("mail_from", ["", "nobody", "a@example.org, b@example.org", "x\n@y.z"])
def test_bad_mail_from_is_a_config_error(mail_from: str) -> None:
    with pytest.raises(MailConfigError, match=r"TRACKER_MAIL_FROM|From"):
        SmtpSettings.from_url("smtp://relay", mail_from)


def test_from_env() -> None:
    env = {"TRACKER_SMTP_URL": "smtps://u:p@mail.example.org", "TRACKER_MAIL_FROM": SENDER}
    settings = SmtpSettings.from_env(env)
    assert (settings.scheme, settings.port, settings.mail_from) == ("smtps", 465, SENDER)
    with pytest.raises(MailConfigError, match="TRACKER_SMTP_URL is not set"):
        SmtpSettings.from_env({"TRACKER_MAIL_FROM": SENDER})
    with pytest.raises(MailConfigError, match="TRACKER_MAIL_FROM is not set"):
        SmtpSettings.from_env({"TRACKER_SMTP_URL": "smtp://relay"})


def test_date_header_keeps_the_offset() -> None:
    message = digest(date=datetime(2024, 5, 6, 13, 30, tzinfo=UTC))
    assert message["Date"] == "Mon, 06 May 2024 13:30:00 +0000"


def test_bad_ca_file_is_a_config_error(
    submission: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_SMTP_CA_FILE", "/nonexistent/ca.pem")
    with pytest.raises(MailConfigError, match="TRACKER_SMTP_CA_FILE"):
        send(settings_for(submission.url), digest())
