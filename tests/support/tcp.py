"""TCP in the middle: a relay that can be cut as a stopped server is, and a round-robin
balancer, each piping bytes both ways on daemon threads."""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
from collections import Counter

from starter.bootstrap.dev_server import free_port


def pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy ``source`` to ``sink`` until either closes; then half-close ``sink``."""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


class Relay:
    """A TCP relay to ``target`` (PostgreSQL) on a fixed local port that can be cut and
    restored; listening once ``restore`` is called. ``hold`` makes it a partition: bytes
    stop flowing both ways while every connection stays open (nothing refused, nothing
    reset: callers hang), until ``release`` lets them through, late but whole."""

    def __init__(self, target: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._flowing = threading.Event()
        self._flowing.set()

    def hold(self) -> None:
        """Blackhole the link: connections stay up, nothing gets through."""
        self._flowing.clear()

    def release(self) -> None:
        """Heal the link: what was held is delivered."""
        self._flowing.set()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while True:
                self._flowing.wait()
                data = source.recv(65536)
                if not data:
                    break
                self._flowing.wait()  # a partition that began meanwhile holds it here
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def restore(self) -> None:
        """Listen again on the same port, as a server started again does."""
        listener = socket.create_server(("127.0.0.1", self.port))
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and reset the ones open, as a stopped server does."""
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self._lock:
                self._open |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()


class RoundRobin:
    """A TCP load balancer: each new connection goes to the next backend in turn."""

    def __init__(self, backends: list[int]) -> None:
        self.port = free_port()
        self.connections: Counter[int] = Counter()
        self._next = itertools.cycle(backends)
        self._server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            backend = next(self._next)
            self.connections[backend] += 1
            upstream = socket.create_connection(("127.0.0.1", backend))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=pipe, args=(a, b), daemon=True).start()

    def close(self) -> None:
        """Stop taking connections (the ones open run until they close)."""
        self._server.close()
