# scenarios.drivers: scenario drivers - set up a world (server2, a proxy, clients) on a given network.
# Owns: proxy_world, echo_world, racy_world, delivered_intact (their property). Imports: loopsim (loop layer),
# scenarios.apps.
"""Drivers are what a scenario's ``[app] driver = "module:function"`` names.

A driver is ``function(net, **args)`` returning the generator of the main task.
``net`` is anything with ``listen(addr)``, ``socket_factory(prefix)`` and
``socket(name)`` - a ``fakes.FakeNetwork`` (simulated), a replaying network, or a
live loopback network - so the same driver runs simulated, replayed and live.
The main task's return value is the scenario's ``result``.
"""

from __future__ import annotations

from typing import Any, Generator

import loopsim

from .apps.echo import echo_server, upper_server
from .apps.naive_proxy import naive_server
from .apps.proxy import proxy_server
from .apps.racy import racy_server

__all__ = ["proxy_world", "echo_world", "racy_world", "delivered_intact", "make_payload", "SERVER2", "PROXY"]

SERVER2 = ("server2", 80)
PROXY = ("proxy", 8080)
APPS = ("proxy", "naive")


def make_payload(index: int, payload: str | None, size: int | None) -> bytes:
    """Client ``index``'s request: ``payload`` (text) or ``size`` bytes of a readable pattern."""
    if payload is not None:
        return payload.encode()
    unit = b"client %d says hello to server2; " % index
    return (unit * ((size or 0) // len(unit) + 1))[: size or 0]


def _client(net: Any, index: int, body: bytes, writes: int, write_gap: float, half_close: bool,
            disconnect_after: int | None, read_delay: float, timeout: float | None) -> Generator[Any, Any, str]:
    """One client: connect to the proxy, send ``body`` in ``writes`` pieces, read the reply."""
    sock = net.socket(f"client#{index}")
    try:
        sock.setblocking(False)
        try:
            yield from loopsim.connect(sock, PROXY)
        except OSError:
            return "refused"
        try:
            if disconnect_after is not None:
                yield from loopsim.sendall(sock, body[:disconnect_after])
                return "disconnected"
            step = max(1, -(-len(body) // max(1, writes)))
            for start in range(0, len(body), step):
                if start and write_gap:
                    yield from loopsim.sleep(write_gap)
                yield from loopsim.sendall(sock, body[start:start + step])
            if half_close:
                sock.shutdown(1)  # SHUT_WR
            work = _read_reply(sock, len(body), read_delay)
            reply = yield from (work if timeout is None else loopsim.timeout(timeout, work))
        except loopsim.Timeout:
            return "timeout"
        except OSError:  # reset or broken pipe while sending or reading
            return "reset"
        if reply == body.upper():
            return "ok"
        return "closed" if len(reply) < len(body) else "corrupt"
    finally:
        sock.close()


def _read_reply(sock: Any, expected: int, read_delay: float) -> Generator[Any, Any, bytes]:
    chunks: list[bytes] = []
    got = 0
    while got < expected:
        if read_delay:
            yield from loopsim.sleep(read_delay)
        data = yield from loopsim.recv(sock, 65536)
        if not data:
            break
        chunks.append(data)
        got += len(data)
    return b"".join(chunks)


def proxy_world(net: Any, *, app: str = "proxy", clients: int = 1, payload: str | None = None,
                size: int | None = None, writes: int = 1, write_gap: float = 0.0, half_close: bool = False,
                disconnect_after: int | None = None, read_delay: float = 0.0, delay: float = 0.0,
                session_timeout: float | None = None, client_timeout: float | None = None,
                proxy_grace: float = 3600.0) -> Generator[Any, Any, dict[str, int]]:
    """server2 (upper-cases, ``delay`` s per chunk) <- a proxy (``app``: "proxy" or "naive") <- clients.

    Returns ``{"clients": n, "ok": ..., "timeout": ..., ...}``: how many clients
    ended each way ("ok" = the reply was the request upper-cased, intact;
    "closed" = EOF before the whole reply; "corrupt" = wrong bytes; "reset",
    "refused", "timeout", "disconnected"), plus ``proxy_stuck`` if the proxy
    still had sessions open ``proxy_grace`` virtual seconds after the last
    client finished.
    """
    if app not in APPS:
        raise ValueError(f"app must be one of {APPS}, not {app!r}")
    if payload is None and size is None:
        payload = "hello, server2"
    s2_listener = net.listen(SERVER2)
    front = net.listen(PROXY)
    new_socket = net.socket_factory("proxy")
    try:
        server2 = yield from loopsim.spawn(upper_server(s2_listener, delay), name="server2")
        if app == "proxy":
            proxy = yield from loopsim.spawn(proxy_server(front, SERVER2, new_socket, clients, session_timeout),
                                             name="proxy")
        else:
            proxy = yield from loopsim.spawn(naive_server(front, SERVER2, new_socket, clients), name="proxy")
        tasks = []
        for i in range(1, clients + 1):
            body = make_payload(i, payload, size)
            tasks.append((yield from loopsim.spawn(
                _client(net, i, body, writes, write_gap, half_close, disconnect_after, read_delay, client_timeout),
                name=f"client-{i}")))
        counts: dict[str, int] = {"clients": clients}
        for task in tasks:
            how = yield from loopsim.join(task)
            counts[how] = counts.get(how, 0) + 1
        if counts.get("refused"):
            proxy.cancel()  # it waits for a client that never reached it
        else:
            try:
                yield from loopsim.timeout(proxy_grace, loopsim.join(proxy))
            except loopsim.Timeout:
                counts["proxy_stuck"] = 1  # sessions still open after every client finished
                proxy.cancel()
        server2.cancel()
        return counts
    finally:
        s2_listener.close()
        front.close()


# What the drivers' arguments mean, so a scenario file asking for too much is an error at load
# (docs/scenarios.md, "Limits"): a kind ("clients", "bytes", "seconds", "count") or the allowed values.
proxy_world.loopsim_args = {  # type: ignore[attr-defined]
    "app": APPS, "clients": "clients", "payload": "bytes", "size": "bytes", "writes": "count",
    "write_gap": "seconds", "disconnect_after": "bytes", "read_delay": "seconds", "delay": "seconds",
    "session_timeout": "seconds", "client_timeout": "seconds", "proxy_grace": "seconds",
}


def echo_world(net: Any, *, clients: int = 1, payload: str | None = None, size: int | None = None,
               writes: int = 1) -> Generator[Any, Any, dict[str, int]]:
    """An echo server and clients that each send a request and read it back."""
    listener = net.listen(PROXY)
    try:
        server = yield from loopsim.spawn(echo_server(listener, clients), name="echo")
        tasks = []
        for i in range(1, clients + 1):
            body = make_payload(i, payload or "echo me", size)
            tasks.append((yield from loopsim.spawn(_echo_client(net, i, body, writes), name=f"client-{i}")))
        ok = 0
        for task in tasks:
            ok += (yield from loopsim.join(task))
        yield from loopsim.join(server)
        return {"clients": clients, "ok": ok}
    finally:
        listener.close()


echo_world.loopsim_args = {"clients": "clients", "payload": "bytes", "size": "bytes",  # type: ignore[attr-defined]
                           "writes": "count"}


def _echo_client(net: Any, index: int, body: bytes, writes: int) -> Generator[Any, Any, int]:
    sock = net.socket(f"client#{index}")
    try:
        sock.setblocking(False)
        yield from loopsim.connect(sock, PROXY)
        step = max(1, -(-len(body) // max(1, writes)))
        for start in range(0, len(body), step):
            yield from loopsim.sendall(sock, body[start:start + step])
        sock.shutdown(1)
        reply = yield from _read_reply(sock, len(body) + 1, 0.0)
        return int(reply == body)
    finally:
        sock.close()


def racy_world(net: Any, *, clients: int = 2) -> Generator[Any, Any, dict[str, int]]:
    """Clients connect in order and send at the same instant to the racy ticket server.

    Returns ``{"clients": n, "ok": k}``: ``k`` clients got the ticket their
    connection order promised. Wrong only in some readiness orders.
    """
    listener = net.listen(("tickets", 9000))
    try:
        server = yield from loopsim.spawn(racy_server(listener, clients), name="tickets")
        socks = []
        for i in range(1, clients + 1):
            sock = net.socket(f"client#{i}")
            socks.append(sock)
            yield from loopsim.connect(sock, ("tickets", 9000))
        yield from loopsim.sleep(0.001)  # let the server accept everyone; then all requests land at once
        for i, sock in enumerate(socks, start=1):
            sock.send(b"client %d" % i)
        ok = 0
        for i, sock in enumerate(socks, start=1):
            want = b"ticket %d" % i
            reply = yield from _read_reply(sock, len(want), 0.0)
            ok += reply == want
            sock.close()
        yield from loopsim.join(server)
        return {"clients": clients, "ok": ok}
    finally:
        listener.close()


racy_world.loopsim_args = {"clients": "clients"}  # type: ignore[attr-defined]


def delivered_intact(outcome: Any) -> str | None:
    """The property of these drivers' result: no client lost or got wrong data the network did not lose for it.

    Named ``scenarios.drivers:delivered_intact`` (``--property``, ``[expect]
    properties``). The drivers return how each client ended: in a world without
    faults every client must end "ok" (its whole reply, intact); with faults (a
    reset, a refusal, a black hole) a client may end with an error or an early
    close, but never with wrong bytes ("corrupt"). A run that stopped early has
    no result and passes here (that is ``terminates``'s job).
    """
    if outcome.error is not None:
        return None
    result = outcome.result
    if not isinstance(result, dict) or "clients" not in result:
        return f"the driver returned {result!r}, not a {{'clients': n, 'ok': k, ...}} count"
    if result.get("corrupt", 0):
        return f"{result['corrupt']} of {result['clients']} clients got corrupted replies: {result}"
    if not outcome.faults and result.get("ok", 0) != result["clients"]:
        others = {k: v for k, v in result.items() if k not in ("clients", "ok")}
        return (f"{result.get('ok', 0)} of {result['clients']} clients got their reply intact in a world "
                f"without faults; others: {others}")
    return None


# What `loopsim explore` searches for these drivers besides the generic properties: their result's own.
for _world in (proxy_world, echo_world, racy_world):
    _world.loopsim_properties = ("scenarios.drivers:delivered_intact",)  # type: ignore[attr-defined]
del _world

# The addresses the app under test serves itself (the clients' way in): `loopsim explore` aims no refusal
# or black hole at them (docs/explore.md, "The world distribution"); server2 is the world around the app.
proxy_world.loopsim_serves = ("proxy:8080",)  # type: ignore[attr-defined]
echo_world.loopsim_serves = ("proxy:8080",)  # type: ignore[attr-defined]
racy_world.loopsim_serves = ("tickets:9000",)  # type: ignore[attr-defined]
