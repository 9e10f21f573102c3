"""A real SMTP server (aiosmtpd) in the test process, with TLS, AUTH and failure modes.

Tests steer it between sends through plain attributes (``refuse_next``, ``drop_next``),
so a test can make the first delivery fail and the retry succeed without mocks.
"""

from __future__ import annotations

import asyncio
import email
import ssl
import tempfile
import threading
from contextlib import ExitStack
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from urllib.parse import quote

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"
TlsMode = Literal["starttls", "implicit"]


@dataclass(frozen=True)
class Received:
    """The envelope of one accepted message, next to the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage


class _EphemeralController(Controller):
    """Listens on port 0 and learns the real port before aiosmtpd's first self-check."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpSink:
    """A real SMTP server on 127.0.0.1 that keeps what it receives.

    ``tls="starttls"`` requires STARTTLS; ``tls="implicit"`` speaks TLS from the first
    byte (smtps). Certificates come from a fresh trustme CA, issued to
    ``cert_hostnames`` (``localhost`` and ``127.0.0.1`` unless told otherwise);
    ``ca_file`` is that CA as PEM, for ``TRACKER_SMTP_CA_FILE``. With ``auth``, logging in
    is required (and only offered over TLS).

    The next ``refuse_next`` messages get ``refuse_code`` as the reply to DATA; the next
    ``drop_next`` DATA commands get the connection closed without a reply. ``attempts``
    counts DATA commands from logged-in clients, whatever their outcome. After
    ``hold()`` the server is as slow as a test needs: it answers no DATA until
    ``release()`` (or ``stop()``).
    """

    def __init__(
        self,
        *,
        tls: TlsMode | None = None,
        auth: tuple[str, str] | None = None,
        refuse_next: int = 0,
        refuse_code: str = "550 5.7.1 Message refused",
        drop_next: int = 0,
        cert_hostnames: tuple[str, ...] = ("localhost", HOST),
    ) -> None:
        if auth is not None and tls is None:
            raise ValueError("auth without TLS: aiosmtpd only offers AUTH after TLS")
        self.tls = tls
        self.auth = auth
        self.refuse_next = refuse_next
        self.refuse_code = refuse_code
        self.drop_next = drop_next
        self.received: list[Received] = []
        self.attempts = 0  # DATA commands seen, whatever their outcome
        self._answer = threading.Event()
        self._answer.set()
        self.ca = trustme.CA()
        self._cert = self.ca.issue_cert(*cert_hostnames)
        self._stack = ExitStack()
        self._controller: _EphemeralController | None = None
        self._ca_file: Path | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return [item.message for item in self.received]

    @property
    def rcpts(self) -> list[tuple[str, ...]]:
        return [item.rcpt_tos for item in self.received]

    @property
    def port(self) -> int:
        if self._controller is None:
            raise RuntimeError("the SMTP sink is not running")
        return int(self._controller.port)

    @property
    def ca_file(self) -> str:
        if self._ca_file is None:
            raise RuntimeError("the SMTP sink is not running")
        return str(self._ca_file)

    @property
    def url(self) -> str:
        """The TRACKER_SMTP_URL for this server, with the ``auth`` credentials if any."""
        return self.url_for(*(self.auth or (None, None)))

    def url_for(self, user: str | None, password: str | None) -> str:
        """The URL with other credentials, e.g. a wrong password."""
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        creds = f"{quote(user or '', safe='')}:{quote(password or '', safe='')}@" if user else ""
        query = "?starttls=1" if self.tls == "starttls" and not user else ""
        return f"{scheme}://{creds}{HOST}:{self.port}{query}"

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this sink's CA."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    def start(self) -> SmtpSink:
        directory = Path(self._stack.enter_context(tempfile.TemporaryDirectory()))
        self._ca_file = directory / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self._ca_file))
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(server_context)
        options: dict[str, Any] = {}
        if self.tls == "starttls":
            options.update(tls_context=server_context, require_starttls=True)
        elif self.tls == "implicit":
            options.update(ssl_context=server_context)
        if self.auth is not None:
            # aiosmtpd only knows about TLS it started itself (STARTTLS); over implicit TLS
            # it would never offer AUTH, so there the handler enforces the login instead.
            starttls = self.tls == "starttls"
            options.update(
                authenticator=self._authenticate,
                auth_required=starttls,
                auth_require_tls=starttls,
            )
        controller = _EphemeralController(
            _Handler(self), hostname=HOST, port=0, server_hostname="localhost", **options
        )
        controller.start()
        self._controller = controller
        self._stack.callback(controller.stop)
        return self

    def hold(self) -> None:
        """Answer no DATA command until :meth:`release`: a server that takes its time."""
        self._answer.clear()

    def release(self) -> None:
        self._answer.set()

    def stop(self) -> None:
        self.release()
        self._stack.close()
        self._controller = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert self.auth is not None
        user, password = self.auth
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            user.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False)


class _Handler:
    """aiosmtpd hooks; runs on the server's thread."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        sink = self.sink
        if sink.auth is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        sink.attempts += 1
        await asyncio.get_running_loop().run_in_executor(None, sink._answer.wait)
        if sink.drop_next > 0:
            sink.drop_next -= 1
            assert server.transport is not None
            server.transport.close()
            raise ConnectionResetError("SmtpSink dropped the connection on purpose")
        if sink.refuse_next > 0:
            sink.refuse_next -= 1
            return sink.refuse_code
        # Stored as a mailbox would: with the wire's CRLF line ends turned into "\n".
        content = (envelope.original_content or b"").replace(b"\r\n", b"\n")
        message = email.message_from_bytes(content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        sink.received.append(Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), message))
        return "250 2.0.0 OK"
