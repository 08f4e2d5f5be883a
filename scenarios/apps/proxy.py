# scenarios.apps.proxy: a correct client -> server2 proxy on loopsim's loop layer.
# Owns: proxy_server, proxy_session. Imports: loopsim (loop layer), stdlib.
"""A correct proxy: the seed's six steps done right.

Per client: connect to server2 (a refused or failed connect closes the
client cleanly), then copy both directions concurrently with ``sendall``
(no partial-send loss), pass a half-close on (client's EOF becomes
``shutdown(SHUT_WR)`` towards server2 and back), stop both directions when
either side resets, bound the whole session by ``session_timeout`` and
close every socket it opened, whatever happens.
"""

from __future__ import annotations

import socket
from typing import Any, Callable, Generator

import loopsim

__all__ = ["proxy_server", "proxy_session", "BUFSIZE"]

BUFSIZE = 65536


def proxy_server(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any],
                 max_sessions: int | None = None,
                 session_timeout: float | None = None) -> Generator[Any, Any, int]:
    """Accept clients and proxy each to ``upstream_addr``; returns the number served.

    With ``max_sessions`` it stops accepting after that many clients and
    returns once they are all done; the caller owns (and closes) ``listener``.
    """
    sessions = []
    served = 0
    while max_sessions is None or served < max_sessions:
        conn, _ = yield from loopsim.accept(listener)
        served += 1
        task = yield from loopsim.spawn(
            proxy_session(conn, upstream_addr, new_socket, session_timeout), name=f"session-{served}")
        if max_sessions is not None:  # kept only to be joined: a server that runs forever must not hoard them
            sessions.append(task)
    for task in sessions:
        yield from loopsim.join(task)
    return served


def proxy_session(client: Any, upstream_addr: Any, new_socket: Callable[[], Any],
                  session_timeout: float | None = None) -> Generator[Any, Any, str]:
    """Proxy one client to server2 and back. Returns how it ended.

    ``"done"``: both directions reached EOF; ``"refused"``/``"unreachable"``:
    the connect failed; ``"reset"``: a peer reset or vanished; ``"timeout"``:
    ``session_timeout`` passed. Sockets are closed in every case.
    """
    upstream = None
    try:
        upstream = new_socket()  # inside the try: if it fails (EMFILE), the client is still closed
        upstream.setblocking(False)
        work = _session(client, upstream, upstream_addr)
        if session_timeout is None:
            return (yield from work)
        try:
            return (yield from loopsim.timeout(session_timeout, work))
        except loopsim.Timeout:
            return "timeout"
    finally:
        if upstream is not None:
            upstream.close()
        client.close()


def _session(client: Any, upstream: Any, upstream_addr: Any) -> Generator[Any, Any, str]:
    try:
        yield from loopsim.connect(upstream, upstream_addr)
    except ConnectionRefusedError:
        return "refused"
    except OSError:
        return "unreachable"
    pumps: list[loopsim.Task] = []
    pumps.append((yield from loopsim.spawn(_pump(client, upstream, pumps), name="client->server2")))
    pumps.append((yield from loopsim.spawn(_pump(upstream, client, pumps), name="server2->client")))
    try:
        outcomes = []
        for pump in pumps:
            try:
                outcomes.append((yield from loopsim.join(pump)))
            except loopsim.Cancelled:
                if not pump.cancelled():
                    raise  # we are cancelled ourselves (the session timeout): stop
                outcomes.append("reset")  # the other direction failed and stopped this one
        return "reset" if "reset" in outcomes else "done"
    finally:
        for pump in pumps:  # if we are cancelled (timeout), stop both directions
            pump.cancel()


def _pump(src: Any, dst: Any, pumps: list[loopsim.Task]) -> Generator[Any, Any, str]:
    """Copy src -> dst until EOF, then half-close dst. On a reset, stop the other direction too."""
    try:
        while True:
            data = yield from loopsim.recv(src, BUFSIZE)
            if not data:
                break
            yield from loopsim.sendall(dst, data)
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the peer is already gone; nothing left to tell it
        return "done"
    except OSError:  # ConnectionResetError, BrokenPipeError, ...
        me = yield from loopsim.current_task()
        for pump in pumps:
            if pump is not me:
                pump.cancel()
        return "reset"
