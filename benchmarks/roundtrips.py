"""Round trips to PostgreSQL, counted on the wire by a relay between client and server.

A round trip is a turn of the conversation: the client sends (one packet or many,
as pipelined statements are), then waits for the server's answer. The relay counts
each time bytes flow from the client after the server was the last to speak, so it
counts what the client waits for, whatever the driver does inside (pipelines,
prepared statements, pool pings), and needs no hook in tracker or psycopg. Relaying
adds latency, so commands are counted in a pass of their own, never timed.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType

_CHUNK = 65536


class _Conversation:
    """One client connection: who spoke last, and how many turns the client took."""

    def __init__(self, relay: RoundTripRelay) -> None:
        self.relay = relay
        self.client_spoke_last = False
        self.lock = threading.Lock()

    def heard(self, from_client: bool) -> None:
        with self.lock:
            if from_client and not self.client_spoke_last:
                self.relay.add_turn()
            self.client_spoke_last = from_client


class RoundTripRelay:
    """Listens on 127.0.0.1 and relays every connection to ``host:port``."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.turns = 0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def add_turn(self) -> None:
        with self._lock:
            self.turns += 1

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            server = socket.create_connection(self.target)
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sockets += [client, server]
            talk = _Conversation(self)
            for source, sink, from_client in ((client, server, True), (server, client, False)):
                threading.Thread(
                    target=self._pump, args=(source, sink, talk, from_client), daemon=True
                ).start()

    @staticmethod
    def _pump(
        source: socket.socket, sink: socket.socket, talk: _Conversation, from_client: bool
    ) -> None:
        try:
            while data := source.recv(_CHUNK):
                talk.heard(from_client)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):  # the other side closed it first
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()
        for s in self._sockets:
            s.close()

    def __enter__(self) -> RoundTripRelay:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
