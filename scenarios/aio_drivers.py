# scenarios.aio_drivers: an ``async def`` driver - the proxy world of scenarios.drivers, written on asyncio.
# Owns: aio_proxy_world. Imports: stdlib (asyncio), scenarios.apps.aio_proxy, scenarios.drivers (payloads).
"""An asyncio driver is ``async def function(net, **args)``; loopsim runs it on
``net``'s asyncio loop (``fakes.aio``: the stdlib's asyncio over the network's
selector and clock), simulated, replayed or live, as it runs generator drivers.

:func:`aio_proxy_world` is :func:`scenarios.drivers.proxy_world` with every
part on asyncio streams: server2 (upper-cases), the correct proxy
(:mod:`scenarios.apps.aio_proxy`) and the clients. Its sockets have the names
the generator world's have (``client#1``, ``proxy#1``, ``server2:80<-proxy#1``,
...), so the same ``[network]`` rules aim at the same sockets.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from .apps.aio_proxy import BUFSIZE, aio_proxy_session, aio_upper
from .drivers import PROXY, SERVER2, make_payload

__all__ = ["aio_proxy_world"]


async def _client(net: Any, index: int, body: bytes, half_close: bool, timeout: float | None) -> str:
    loop = asyncio.get_running_loop()
    sock = net.socket(f"client#{index}")
    try:
        await loop.sock_connect(sock, PROXY)
        reader, writer = await asyncio.open_connection(sock=sock)
    except OSError:
        sock.close()
        return "refused"
    except BaseException:
        sock.close()
        raise
    try:
        async with asyncio.timeout(timeout):
            writer.write(body)
            await writer.drain()
            if half_close:
                writer.write_eof()
            chunks: list[bytes] = []
            got = 0
            while got < len(body):
                data = await reader.read(BUFSIZE)
                if not data:
                    break
                chunks.append(data)
                got += len(data)
        reply = b"".join(chunks)
    except TimeoutError:
        return "timeout"
    except ConnectionError:
        return "reset"
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass
    if reply == body.upper():
        return "ok"
    return "closed" if len(reply) < len(body) else "corrupt"


async def aio_proxy_world(net: Any, *, clients: int = 1, payload: str | None = None, size: int | None = None,
                          half_close: bool = False, delay: float = 0.0, session_timeout: float | None = None,
                          client_timeout: float | None = None) -> dict[str, int]:
    """server2 (upper-cases, ``delay`` s per chunk) <- the asyncio proxy <- ``clients`` clients, at once.

    Returns ``{"clients": n, "ok": ..., ...}`` as ``proxy_world`` does ("ok": the reply was the request
    upper-cased, intact; "closed": EOF before the whole reply; "corrupt", "reset", "refused", "timeout").
    """
    if payload is None and size is None:
        payload = "hello, server2"
    new_socket = net.socket_factory("proxy")
    server2 = await asyncio.start_server(functools.partial(aio_upper, delay=delay), *SERVER2)
    sessions: list[asyncio.Task[str]] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> str:
        sessions.append(asyncio.current_task())  # type: ignore[arg-type]  # joined before the world ends
        return await aio_proxy_session(reader, writer, SERVER2, new_socket, session_timeout)

    proxy = await asyncio.start_server(serve, *PROXY)
    try:
        ends = await asyncio.gather(*(
            asyncio.create_task(_client(net, i, make_payload(i, payload, size), half_close, client_timeout),
                                name=f"client-{i}")
            for i in range(1, clients + 1)))
        await asyncio.gather(*sessions, return_exceptions=True)
    finally:
        proxy.close()
        server2.close()
        await proxy.wait_closed()
        await server2.wait_closed()
    counts: dict[str, int] = {"clients": clients}
    for how in ends:
        counts[how] = counts.get(how, 0) + 1
    return counts


aio_proxy_world.loopsim_args = {  # type: ignore[attr-defined]
    "clients": "clients", "payload": "bytes", "size": "bytes", "delay": "seconds",
    "session_timeout": "seconds", "client_timeout": "seconds",
}
aio_proxy_world.loopsim_properties = ("scenarios.drivers:delivered_intact",)  # type: ignore[attr-defined]
