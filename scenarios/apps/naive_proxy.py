# scenarios.apps.naive_proxy: the seed's service_client, kept as naive as the seed wrote it.
# Owns: service_client, naive_server. Imports: loopsim (loop layer) only.
"""The seed's literal proxy, on purpose naive.

The seed wrote::

    def service_client(client_socket):
        yield client_socket
        data = client_socket.read()
        server2_socket = socket.connect(server2_address)
        yield server2_socket
        server2_socket.send(data)
        yield server2_socket
        response = server2_socket.read()
        yield client_socket
        client_socket.send(response)

Adapted only as much as it needs to run: ``read()`` is ``recv(BUFSIZE)``;
the connect is the non-blocking ``connect_ex``; a bare ``yield sock`` wakes
when the socket is readable *or* writable, so a read that finds no data yet
retries (the only way this shape can run at all - and it spins while the
socket is writable but has nothing to read); both sockets are closed at the
end so that a leak does not hide the bugs this example exists to show.

Its bugs, which the harness shows: one ``recv`` takes only the first chunk
of the request and of the response (data loss), one ``send`` may send only
part of it (data loss on a partial send), and the bare yield busy-waits.
"""

from __future__ import annotations

from typing import Any, Callable, Generator

import loopsim

__all__ = ["service_client", "naive_server", "BUFSIZE"]

BUFSIZE = 65536


def _read(sock: Any) -> Generator[Any, Any, bytes]:
    while True:
        yield sock  # the seed's bare yield: readable OR writable
        try:
            return sock.recv(BUFSIZE)
        except BlockingIOError:
            continue  # woke because it was writable: spin


def service_client(client_socket: Any, server2_address: Any, new_socket: Callable[[], Any]) -> Generator[Any, Any, None]:
    """Serve one client the seed's way: read, connect, send, read, send back."""
    server2_socket = None
    try:
        data = yield from _read(client_socket)  # 1. read data from client
        server2_socket = new_socket()  # 2. open conn to server2
        server2_socket.setblocking(False)
        server2_socket.connect_ex(server2_address)
        yield server2_socket
        server2_socket.send(data)  # 3. send client data to server2 (one send: may be partial)
        response = yield from _read(server2_socket)  # 4. read data from server2 (one recv)
        response = bytes(response)  # 5. process data
        yield client_socket
        client_socket.send(response)  # 6. send back data to client (one send: may be partial)
    finally:
        if server2_socket is not None:
            server2_socket.close()
        client_socket.close()


def naive_server(listener: Any, server2_address: Any, new_socket: Callable[[], Any],
                 max_sessions: int | None = None) -> Generator[Any, Any, int]:
    """Accept clients and spawn :func:`service_client` for each; returns the number accepted.

    It does not wait for its sessions (the seed's loop did not either): run
    it with ``loop.run()``, which runs every task to the end and logs a
    session's error with the session's name.
    """
    served = 0
    while max_sessions is None or served < max_sessions:
        conn, _ = yield from loopsim.accept(listener)
        served += 1
        yield from loopsim.spawn(service_client(conn, server2_address, new_socket), name=f"service_client-{served}")
    return served
