# loopsim.loop.ops: the operations a task uses with `yield from` (wait, recv, send, accept, ...).
# Owns: the task-side API and its type Op. Imports: stdlib, loopsim.loop.{errors,requests,task}.
"""What a task calls, always with ``yield from``::

    def handler(sock):
        data = yield from loopsim.recv(sock, 65536)
        yield from loopsim.sendall(sock, data)

Each operation yields :mod:`loopsim.requests` values to the loop. Socket
operations call the socket's own methods, so they work on real sockets and
on any fake that behaves like a non-blocking ``socket.socket``.
"""

from __future__ import annotations

import errno
import os
from typing import Any, Generator, TypeVar

from .errors import Cancelled, Timeout
from .requests import CurrentTask, Join, Now, OpenScope, Sleep, Spawn, WaitRead, WaitWrite
from .task import Scope, Task

__all__ = [
    "wait_readable",
    "wait_writable",
    "sleep",
    "recv",
    "send",
    "sendall",
    "accept",
    "connect",
    "spawn",
    "join",
    "timeout",
    "now",
    "current_task",
    "Op",
]

T = TypeVar("T")
Op = Generator[Any, Any, T]

_IN_PROGRESS = (errno.EINPROGRESS, errno.EALREADY, errno.EWOULDBLOCK, errno.EAGAIN)


def wait_readable(sock: Any) -> Op[None]:
    """Wait until ``sock`` is readable (data, EOF, an error, or a pending connection)."""
    yield WaitRead(sock)


def wait_writable(sock: Any) -> Op[None]:
    """Wait until ``sock`` is writable (buffer space, a finished connect, or an error)."""
    yield WaitWrite(sock)


def sleep(seconds: float) -> Op[None]:
    """Wait ``seconds`` of the loop's clock; ``sleep(0)`` lets the other ready tasks run."""
    yield Sleep(seconds)


def recv(sock: Any, n: int) -> Op[bytes]:
    """Wait until ``sock`` is readable, then ``sock.recv(n)``: up to ``n`` bytes, ``b""`` at EOF.

    Errors of the socket (``ConnectionResetError``, ...) propagate.
    """
    while True:
        yield WaitRead(sock)
        try:
            return sock.recv(n)
        except (BlockingIOError, InterruptedError):
            continue  # a spurious wake-up: wait again


def send(sock: Any, data: bytes) -> Op[int]:
    """One ``sock.send(data)``, waiting while the buffer is full; returns how many bytes went.

    Like ``socket.send`` this may send only part of ``data``: use
    :func:`sendall` to send everything.
    """
    while True:
        try:
            return sock.send(data)
        except (BlockingIOError, InterruptedError):
            yield WaitWrite(sock)


def _finished() -> Op[None]:
    return
    yield  # pragma: no cover - makes this a generator


_DONE = _finished()  # exhausted: `yield from _DONE` gives None at once; spawn(_DONE) ends at once
next(_DONE, None)


def sendall(sock: Any, data: bytes) -> Op[None]:
    """Send all of ``data``, waiting whenever the socket's buffer is full.

    The first ``send`` (which cannot block) is tried as soon as ``sendall()`` is
    called: when it takes everything, as it usually does, no generator is made.
    """
    if type(data) is bytes:
        if not data:
            return _DONE
        try:
            sent = sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        if sent == len(data):
            return _DONE
        return _send_rest(sock, data, sent)
    return _send_rest(sock, data, 0)


def _send_rest(sock: Any, data: Any, sent: int) -> Op[None]:
    """sendall's slow path: the bytes from ``sent`` on, waiting writable whenever the buffer is full."""
    view = memoryview(data).cast("B")
    total = len(view)
    try:
        while sent < total:
            try:
                sent += sock.send(view[sent:])
            except (BlockingIOError, InterruptedError):
                yield WaitWrite(sock)
    finally:
        view.release()


def accept(listen_sock: Any) -> Op[tuple[Any, Any]]:
    """Wait for a connection on ``listen_sock``; returns ``(conn, addr)``, ``conn`` non-blocking."""
    while True:
        yield WaitRead(listen_sock)
        try:
            conn, addr = listen_sock.accept()
        except (BlockingIOError, InterruptedError):
            continue
        conn.setblocking(False)
        return conn, addr


def connect(sock: Any, addr: Any) -> Op[None]:
    """Connect the non-blocking ``sock`` to ``addr``, waiting until the connection is made.

    Works when a connect is already in progress (EALREADY/EINPROGRESS: wait
    writable, then read SO_ERROR) or done (EISCONN). A failed connect raises
    the matching ``OSError`` subclass (``ConnectionRefusedError``, ...).
    """
    import socket as _socket

    err = sock.connect_ex(addr)
    if err in (0, errno.EISCONN):
        return
    if err not in _IN_PROGRESS:
        raise OSError(err, os.strerror(err), addr)
    while True:
        yield WaitWrite(sock)
        err = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_ERROR)
        if err == 0:
            return
        if err not in _IN_PROGRESS:
            raise OSError(err, os.strerror(err), addr)


def spawn(gen: Generator[Any, Any, Any], name: str | None = None) -> Op[Task]:
    """Start ``gen`` as a new task and return its :class:`~loopsim.Task` (does not wait)."""
    return (yield Spawn(gen, name))


def join(task: Task) -> Op[Any]:
    """Wait for ``task`` to finish; returns its value or raises its exception.

    For a cancelled task, raises :class:`~loopsim.Cancelled`.
    """
    return (yield Join(task))


def now() -> Op[float]:
    """The loop clock's current reading."""
    return (yield Now())


def current_task() -> Op[Task]:
    """The :class:`~loopsim.Task` running this code."""
    return (yield CurrentTask())


def timeout(seconds: float, gen: Generator[Any, Any, T]) -> Op[T]:
    """Run ``gen`` (``yield from`` it) for at most ``seconds``; raise :class:`~loopsim.Timeout` after.

    On expiry, :class:`~loopsim.Cancelled` is thrown into ``gen`` at its
    yield point, so its ``finally`` blocks run, then ``Timeout`` is raised
    here. Nested timeouts work: the one whose deadline passed fires.
    """
    scope: Scope = yield OpenScope(seconds)
    try:
        return (yield from gen)
    except Cancelled as exc:
        if exc.scope is scope:
            raise Timeout(f"timed out after {seconds}s") from None
        raise
    finally:
        scope.close()
