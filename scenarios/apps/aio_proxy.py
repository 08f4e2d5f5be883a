# scenarios.apps.aio_proxy: the correct client -> server2 proxy written on asyncio streams.
# Owns: aio_proxy_session, aio_upper, BUFSIZE. Imports: stdlib (asyncio).
"""The correct proxy of :mod:`scenarios.apps.proxy`, as an asyncio user writes it.

Per client: connect to server2 (a refused or failed connect closes the
client), copy both directions concurrently with ``write`` + ``drain`` (the
transport buffers, so a partial send never loses data), pass a half-close on
(``write_eof``), stop both directions when either side resets, bound the
session by ``session_timeout``, and close both streams whatever happens.

It takes the socket to connect upstream with from ``new_socket`` (a network's
``socket_factory``), so scenario rules aimed at ``proxy#*`` apply to it, as
they do to the generator proxy's; nothing in it knows about fakes.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

__all__ = ["aio_proxy_session", "aio_upper", "BUFSIZE"]

BUFSIZE = 65536


async def aio_upper(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float = 0.0) -> None:
    """server2: upper-case what arrives (``delay`` s per chunk) until EOF, then close."""
    try:
        while data := await reader.read(BUFSIZE):
            if delay:
                await asyncio.sleep(delay)
            writer.write(data.upper())
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except ConnectionError:
        pass
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except ConnectionError:
            pass


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> str:
    """Copy until EOF (then pass the half-close on): "eof"; or "reset" if either side reset."""
    try:
        while data := await reader.read(BUFSIZE):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except ConnectionError:
        return "reset"
    return "eof"


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await writer.wait_closed()
    except (ConnectionError, OSError):
        pass


async def aio_proxy_session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, upstream_addr: Any,
                            new_socket: Callable[[], Any], session_timeout: float | None = None) -> str:
    """Proxy one client to ``upstream_addr`` and back; returns "done", "refused", "unreachable",
    "reset" or "timeout". Both streams are closed in every case."""
    loop = asyncio.get_running_loop()
    up_writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(session_timeout):
            sock = new_socket()
            try:
                await loop.sock_connect(sock, upstream_addr)
                up_reader, up_writer = await asyncio.open_connection(sock=sock)
            except ConnectionRefusedError:
                sock.close()
                return "refused"
            except OSError:
                sock.close()
                return "unreachable"
            except BaseException:  # cancelled (the session timeout) while connecting
                sock.close()
                raise
            pumps = {asyncio.create_task(_pump(reader, up_writer), name=f"{sock.name}:client->server2"),
                     asyncio.create_task(_pump(up_reader, writer), name=f"{sock.name}:server2->client")}
            try:
                while pumps:
                    done, pumps = await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
                    if any(task.result() == "reset" for task in done):
                        return "reset"  # stop the other direction too (finally)
                return "done"
            finally:
                for task in pumps:
                    task.cancel()
                await asyncio.gather(*pumps, return_exceptions=True)
    except TimeoutError:
        return "timeout"
    finally:
        if up_writer is not None:
            await _close(up_writer)
        await _close(writer)
