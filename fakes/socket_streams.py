# fakes.socket_streams: socket.makefile and socket.sendfile for a FakeSocket, as socket.socket builds them.
# Owns: makefile, sendfile. Imports: stdlib only (the socket is duck-typed: a FakeSocket).
"""The file-like helpers of a fake socket.

:func:`makefile` builds the streams ``socket.socket.makefile`` builds: a
``socket.SocketIO`` over the socket inside the ``io`` buffers, so on a
non-blocking socket a raw read gives None when nothing is there and a write
takes what the buffer takes. :func:`sendfile` answers as ``socket.sendfile``
does: a non-blocking socket raises ``ValueError("non-blocking sockets are not
supported")``; in blocking mode the bytes are sent with ``sendall``.
"""

from __future__ import annotations

import io
import socket as _socket
from typing import Any

__all__ = ["makefile", "sendfile"]


def makefile(sock: Any, mode: str, buffering: int | None, encoding: str | None, errors: str | None,
             newline: str | None) -> Any:
    """A stream over ``sock`` (the caller counts it, so that ``close()`` waits for it)."""
    if not set(mode) <= {"r", "w", "b"}:
        raise ValueError(f"invalid mode {mode!r} (only r, w, b allowed)")
    writing = "w" in mode
    reading = "r" in mode or not writing
    binary = "b" in mode
    if buffering is None or buffering < 0:
        buffering = io.DEFAULT_BUFFER_SIZE
    if buffering == 0 and not binary:
        raise ValueError("unbuffered streams must be binary")
    raw = _socket.SocketIO(sock, ("r" if reading else "") + ("w" if writing else ""))  # type: ignore[arg-type]
    if buffering == 0:
        return raw
    buffer: Any
    if reading and writing:
        buffer = io.BufferedRWPair(raw, raw, buffering)
    elif reading:
        buffer = io.BufferedReader(raw, buffering)
    else:
        buffer = io.BufferedWriter(raw, buffering)
    if binary:
        return buffer
    text = io.TextIOWrapper(buffer, io.text_encoding(encoding), errors, newline)
    text.mode = mode  # type: ignore[misc]
    return text


def sendfile(sock: Any, file: Any, offset: int, count: int | None) -> int:
    """Send ``file`` from ``offset`` (``count`` bytes, or to its end); the file is left after the
    last byte sent. Returns how many bytes were sent."""
    if "b" not in getattr(file, "mode", "b"):
        raise ValueError("file should be opened in binary mode")
    if not sock.type & _socket.SOCK_STREAM:
        raise ValueError("only SOCK_STREAM type sockets are supported")
    if count is not None:
        if not isinstance(count, int):
            raise TypeError(f"count must be a positive integer (got {count!r})")
        if count <= 0:
            raise ValueError(f"count must be a positive integer (got {count!r})")
    if sock.gettimeout() == 0:
        raise ValueError("non-blocking sockets are not supported")
    if offset:
        file.seek(offset)
    data = file.read(count) if count is not None else file.read()
    if data:
        sock.sendall(data)
    if hasattr(file, "seek"):
        file.seek(offset + len(data))
    return len(data)
