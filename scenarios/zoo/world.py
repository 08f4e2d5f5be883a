# scenarios.zoo.world: the zoo's generic world (server2, the app under test as a proxy, a few clients) and the
# helpers its apps share. Owns: zoo_world, serve, read_line, request_for, SERVER2, PROXY, the default knobs.
# Imports: loopsim (loop layer), scenarios.apps.echo (server2).
"""The one world every bug of the zoo runs in, with the default knobs.

server2 (``scenarios.apps.echo.upper_server``: it upper-cases every chunk it
receives) listens on ``server2:80``; the app under test listens on
``proxy:8080`` and serves ``clients`` clients, one session each, through
server2. Client *i* starts ``(i - 1) * CLIENT_GAP`` seconds in (clients
arrive a millisecond apart, as real ones do), connects, sends one request line
(:func:`request_for`: 129 bytes ending in ``\\n``) and reads one reply line;
the reply must be the request upper-cased. Each client gives up after
``CLIENT_TIMEOUT`` seconds. Nothing here is tuned to a bug: the network has no
latency, no limits and no faults until the search adds them.

The driver's result counts how the clients ended: ``{"clients": n, "ok": k,
"closed": ..., "corrupt": ..., "reset": ..., "refused": ..., "timeout": ...}``
("ok": the whole reply, intact; "closed": EOF before the whole reply, what it
got being a prefix of it; "corrupt": wrong bytes), plus the app's own result
when it returns a dict (its counters), and ``proxy_stuck`` when the app was
still serving ``PROXY_GRACE`` seconds after the last client ended.
"""

from __future__ import annotations

from typing import Any, Callable, Generator

import loopsim

from ..apps.echo import upper_server

__all__ = ["zoo_world", "pick", "serve", "session", "proxy", "connected", "close_all", "read_line", "request_for", "App", "SERVER2", "PROXY", "BUFSIZE",
           "CLIENTS", "CLIENT_GAP", "CLIENT_TIMEOUT", "PROXY_GRACE", "SESSION_TIMEOUT", "ARGS"]

SERVER2 = ("server2", 80)
PROXY = ("proxy", 8080)
BUFSIZE = 65536
CLIENTS = 3
CLIENT_GAP = 0.001  # seconds between two clients' starts
CLIENT_TIMEOUT = 45.0  # a client gives up after this long
PROXY_GRACE = 60.0  # how long the app may go on after the last client ended
# What the twins that bound a session use: longer than any session takes in the worlds explore draws
# (latency up to 2 s a hop, eight hops), shorter than a client's patience.
SESSION_TIMEOUT = 20.0

# An app: serve(listener, upstream address, new_socket(), max_sessions) -> its result (a count or a dict).
App = Callable[[Any, Any, Callable[[], Any], int], Generator[Any, Any, Any]]

# The drivers' declared arguments (docs/scenarios.md, "Limits"): every zoo driver takes these two.
ARGS = {"app": ("bug", "fixed"), "clients": "clients"}


def request_for(index: int) -> bytes:
    """Client ``index``'s request: one line of 129 bytes (for a one-digit index) (more than one 64-byte chunk, less than any buffer)."""
    return b"client %d says hello to server2; " % index * 4 + b"\n"


def read_line(sock: Any, bufsize: int = BUFSIZE) -> Generator[Any, Any, bytes]:
    """Read until a ``\\n`` arrives or the peer closes; returns everything read (a partial line at EOF)."""
    chunks: list[bytes] = []
    while True:
        data = yield from loopsim.recv(sock, bufsize)
        if not data:
            break
        chunks.append(data)
        if b"\n" in data:
            break
    return b"".join(chunks)


def serve(listener: Any, max_sessions: int, session: Callable[..., Generator[Any, Any, Any]],
          *args: Any) -> Generator[Any, Any, int]:
    """Accept ``max_sessions`` clients, run ``session(conn, *args)`` for each as a task, wait for them all.

    If the server is cancelled (the world gave up on it), its sessions are
    cancelled too, so that their ``finally`` blocks run.
    """
    sessions: list[loopsim.Task] = []
    try:
        while len(sessions) < max_sessions:
            conn, _ = yield from loopsim.accept(listener)
            sessions.append((yield from loopsim.spawn(session(conn, *args), name=f"session-{len(sessions) + 1}")))
        for task in sessions:
            try:
                yield from loopsim.join(task)
            except loopsim.Cancelled:
                if not task.cancelled():
                    raise
        return len(sessions)
    finally:
        for task in sessions:
            task.cancel()


def pick(app: str, bug: App, fixed: App) -> App:
    """The app a driver's ``app`` argument names: ``"bug"`` or its twin ``"fixed"``."""
    if app not in ARGS["app"]:
        raise ValueError(f"app must be one of {ARGS['app']}, not {app!r}")
    return bug if app == "bug" else fixed


def connected(new_socket: Callable[[], Any], addr: Any) -> Generator[Any, Any, Any]:
    """A new non-blocking socket connected to ``addr``; closed again if the connect fails."""
    sock = new_socket()
    try:
        sock.setblocking(False)
        yield from loopsim.connect(sock, addr)
    except BaseException:
        sock.close()
        raise
    return sock


def close_all(*socks: Any) -> None:
    """Close every socket given that is not ``None``."""
    for sock in socks:
        if sock is not None:
            sock.close()


def session(client: Any, upstream_addr: Any, new_socket: Callable[[], Any]) -> Generator[Any, Any, None]:
    """The reference session, right in every way the zoo's bugs are wrong: read the whole request line,
    connect to server2, ``sendall`` it, read the whole reply line, ``sendall`` it back; a refusal or a
    reset ends the session quietly (the client sees its connection close); both sockets are closed in a
    ``finally``, on every path, cancellation included."""
    upstream = None
    try:
        request = yield from read_line(client)
        if not request.endswith(b"\n"):
            return  # the client left before its request was complete
        upstream = yield from connected(new_socket, upstream_addr)
        yield from loopsim.sendall(upstream, request)
        reply = yield from read_line(upstream)
        yield from loopsim.sendall(client, reply)
    except OSError:
        return
    finally:
        close_all(upstream, client)


def proxy(listener: Any, upstream_addr: Any, new_socket: Callable[[], Any], max_sessions: int) -> Generator[Any, Any, int]:
    """The reference proxy: :func:`session` for each client (the twin of several bugs)."""
    return (yield from serve(listener, max_sessions, session, upstream_addr, new_socket))


def _client(net: Any, index: int, start: float, timeout: float) -> Generator[Any, Any, str]:
    request = request_for(index)
    sock = net.socket(f"client#{index}")
    try:
        sock.setblocking(False)
        if start:
            yield from loopsim.sleep(start)
        try:
            reply = yield from loopsim.timeout(timeout, _exchange(sock, request))
        except loopsim.Timeout:
            return "timeout"
        except ConnectionRefusedError:
            return "refused"
        except OSError:  # a reset or a broken pipe
            return "reset"
        if reply == request.upper():
            return "ok"
        return "closed" if request.upper().startswith(reply) else "corrupt"
    finally:
        sock.close()


def _exchange(sock: Any, request: bytes) -> Generator[Any, Any, bytes]:
    yield from loopsim.connect(sock, PROXY)
    yield from loopsim.sendall(sock, request)
    return (yield from read_line(sock))


def zoo_world(net: Any, app: App, clients: int = CLIENTS) -> Generator[Any, Any, dict[str, int]]:
    """Run ``app`` as the proxy between ``clients`` clients and server2; returns how the clients ended."""
    if clients < 1:
        raise ValueError(f"clients must be at least 1, not {clients}")
    s2_listener = net.listen(SERVER2)
    front = net.listen(PROXY)
    new_socket = net.socket_factory("proxy")
    try:
        server2 = yield from loopsim.spawn(upper_server(s2_listener), name="server2")
        proxy = yield from loopsim.spawn(app(front, SERVER2, new_socket, clients), name="proxy")
        tasks = []
        for i in range(1, clients + 1):
            tasks.append((yield from loopsim.spawn(_client(net, i, (i - 1) * CLIENT_GAP, CLIENT_TIMEOUT),
                                                   name=f"client-{i}")))
        counts: dict[str, int] = {"clients": clients}
        for task in tasks:
            how = yield from loopsim.join(task)
            counts[how] = counts.get(how, 0) + 1
        served: Any = None
        try:
            served = yield from loopsim.timeout(PROXY_GRACE, loopsim.join(proxy))
        except loopsim.Timeout:
            counts["proxy_stuck"] = 1  # still serving long after every client ended
            proxy.cancel()
        except Exception:  # the app died: no_task_died reports it, with its error
            counts["proxy_died"] = 1
        if isinstance(served, dict):
            counts.update(served)
        server2.cancel()
        return counts
    finally:
        s2_listener.close()
        front.close()
