# fakes.socket: FakeSocket, a front-end that behaves like a non-blocking socket.socket.
# Owns: FakeSocket. Imports: stdlib, fakes.{errors,clock,socket_streams,backend (types only)}. Never the network's internals.
"""A fake ``socket.socket``.

:class:`FakeSocket` behaves like a real TCP socket down to the exception
types and errno values (``BlockingIOError`` EAGAIN, ``ConnectionResetError``
ECONNRESET, ``BrokenPipeError`` EPIPE, ``OSError`` EBADF after close,
ENOTCONN, ...), but it is a thin front-end: it checks its arguments and
whether it is closed, records every call and its result in the trace, and
asks its backend (a :class:`~fakes.FakeNetwork`, or a replay backend; see
:mod:`fakes.backend`) for the answer.

Blocking mode: sockets from ``net.socket()`` start non-blocking; accepted
connections start in blocking mode as real ones do. In blocking mode (or with
a timeout) a call that would have to wait lets the fake world run in virtual
time - the network delivers what is in flight, timed faults fire - until the
call can be answered; with a timeout (``settimeout``) it raises
``TimeoutError("timed out")`` once that much virtual time has passed, as
a real socket does. A wait that nothing scheduled can ever end (the peer's
code would have to run, and it cannot while this call holds the thread) raises
:class:`~fakes.FakeBlockingError` telling you to call ``setblocking(False)``.
Replayed and live networks do not move time for a blocked call: there a call
that would wait raises FakeBlockingError at once.
"""

from __future__ import annotations

import errno
import socket as _socket
import struct
from operator import index as _index
from typing import TYPE_CHECKING, Any

from . import socket_streams
from ._compiled import mypyc_attr
from .clock import to_ns
from .errors import FakeBlockingError, errno_name, fake_oserror

if TYPE_CHECKING:
    from .backend import Backend

__all__ = ["FakeSocket", "Address", "FIRST_FD"]

#: The first fake file descriptor a network hands out (then FIRST_FD + 1, ...; never reused).
#: 2**30 is far above any fd Linux gives a process in practice (it hands out the lowest free fd,
#: and the default RLIMIT_NOFILE ceiling, fs.nr_open, is 2**20), so a fake fd is never a real one.
FIRST_FD = 1 << 30

#: What connect/bind take: ``("host", port)``, or ``(host, port, flowinfo, scope_id)`` for AF_INET6.
#: Typed Any on purpose: a wrong value must reach the socket's own check (``_check_addr``) and its
#: clear error, in the compiled build too (mypyc would reject it first with a bare TypeError).
Address = Any

_EAGAIN = errno.EAGAIN
_EINPROGRESS = errno.EINPROGRESS
_EALREADY = errno.EALREADY
_FIRST_WAIT = -1  # FakeSocket._block: the first wait of a blocking call (its deadline not computed yet)
_NO_DEADLINE = -2  # ... a blocking call without a timeout
_SOL_SOCKET = _socket.SOL_SOCKET
_SO_ERROR = _socket.SO_ERROR
_SO_LINGER = _socket.SO_LINGER
_SO_ACCEPTCONN = _socket.SO_ACCEPTCONN
_SO_SNDBUF = _socket.SO_SNDBUF
_SO_RCVBUF = _socket.SO_RCVBUF
_MIN_SNDBUF, _MIN_RCVBUF = 4608, 2304  # Linux's SOCK_MIN_SNDBUF/SOCK_MIN_RCVBUF (as getsockopt shows them)
_BUF_MAX = 212992  # Linux's default net.core.wmem_max/rmem_max: setsockopt clamps to it before doubling
_SHUTS = (_socket.SHUT_RD, _socket.SHUT_WR, _socket.SHUT_RDWR)
_DEFAULT_BACKLOG = min(_socket.SOMAXCONN, 128)


def _ebadf() -> OSError:
    return fake_oserror(errno.EBADF)


def _enum(kind: Any, value: int) -> Any:
    try:
        return kind(value)
    except ValueError:
        return value


# family/type -> the enum member (what _enum gives), looked up once per value instead of per socket
_FAMILIES: dict[Any, Any] = {int(v): v for v in _socket.AddressFamily}
_KINDS: dict[Any, Any] = {int(v): v for v in _socket.SocketKind}


def _check_addr(addr: Any, func: str, family: int) -> tuple[str, int]:
    if type(addr) is not tuple:
        raise TypeError(f"{func}(): AF_INET address must be tuple, not {type(addr).__name__}")
    if len(addr) != 2 and not (family == _socket.AF_INET6 and 2 <= len(addr) <= 4):
        raise TypeError(f"{func}(): AF_INET address must be a pair (host, port)")
    host, port = addr[0], addr[1]
    if not isinstance(host, str):
        raise TypeError(f"str, bytes or bytearray expected, not {type(host).__name__}")
    if isinstance(port, bool) or not isinstance(port, int):
        raise TypeError(f"'{type(port).__name__}' object cannot be interpreted as an integer")
    if not 0 <= port <= 65535:
        raise OverflowError(f"{func}(): port must be 0-65535.")
    return (host, port)


def _byte_buffer(data: Any) -> bytes | bytearray | memoryview:
    """``data`` as a flat buffer of bytes, or the TypeError a real send raises."""
    try:
        view = memoryview(data)
    except TypeError:
        raise TypeError(f"a bytes-like object is required, not '{type(data).__name__}'") from None
    if view.ndim != 1 or view.itemsize != 1 or view.format not in ("B", "b", "c"):
        return view.cast("B")
    return view


def _into(buffer: Any, nbytes: int, func: str, too_small: str) -> tuple[memoryview, int]:
    """The byte view of a ``*_into`` call's ``buffer`` and how many bytes to read (0: its length)."""
    view = memoryview(buffer).cast("B")
    nbytes = _index(nbytes)
    if nbytes < 0:
        raise ValueError(f"negative buffersize in {func}")
    if nbytes == 0:
        return view, len(view)
    if nbytes > len(view):
        raise ValueError(too_small)
    return view, nbytes


@mypyc_attr(allow_interpreted_subclasses=True)
class FakeSocket:
    """A fake TCP socket. Create them with a network (``net.socket()``, ``net.connect()``,
    ``net.listen()``); the constructor is for backends.

    ``name`` is a stable human name used in traces, reprs and errors.
    Sockets hash and compare by identity. ``fileno()`` numbers come from a
    per-network counter, are never reused and are never printed.
    """

    __slots__ = ("name", "family", "type", "proto", "_backend", "_trace", "_fd", "_ep",
                 "_timeout", "_blocking", "_opts", "_abort", "_listening", "_io_refs", "_closing", "__weakref__")

    def __init__(self, backend: Backend, name: str, fd: int, family: int = _socket.AF_INET,
                 type: int = _socket.SOCK_STREAM, proto: int = 0, blocking: bool = False) -> None:
        self.name = name
        try:
            fam, kind = _FAMILIES.get(family), _KINDS.get(type)
        except TypeError:  # unhashable: let _enum say what it is
            fam = kind = None
        self.family = fam if fam is not None else _enum(_socket.AddressFamily, family)
        self.type = kind if kind is not None else _enum(_socket.SocketKind, type)
        self.proto = proto
        self._backend = backend
        self._trace: Any = backend.trace
        self._fd = fd
        self._ep: Any = None  # backend-private state
        self._timeout: float | None = None if blocking else 0.0
        self._blocking = blocking
        self._opts: dict[tuple[int, int], Any] = {}
        self._abort = False
        self._listening = False  # SO_ACCEPTCONN
        self._io_refs = 0  # open makefile() streams: close() waits for them, as socket.socket's does
        self._closing = False

    # -- identity and state --------------------------------------------------------------

    def fileno(self) -> int:
        """The fake file descriptor, or -1 once closed."""
        return self._fd

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def __repr__(self) -> str:
        if self._fd < 0:
            return f"<FakeSocket {self.name!r} closed>"
        mode = ", blocking" if self._blocking else ""
        return f"<FakeSocket {self.name!r} {self._backend.sock_describe(self)}{mode}>"

    def __enter__(self) -> FakeSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _would_block(self, op: str) -> FakeBlockingError:
        return FakeBlockingError(
            f"{op}() on fake socket {self.name!r} would block forever: it is in blocking mode and nothing "
            "scheduled in the fake world can end the wait (the peer's code would have to run, and it cannot "
            "while this call holds the thread); call setblocking(False) and wait for readiness (with a "
            "selector or an event loop) instead")

    def _block(self, op: str, deadline: int) -> int:
        """A blocking call found nothing to do: run the fake world to its next event (virtual time),
        within the socket's timeout. ``deadline`` is ``_FIRST_WAIT`` on a call's first wait, then what
        this returned. Raises ``TimeoutError`` when the timeout has passed, FakeBlockingError when
        nothing can ever end the wait (or the backend does not move time)."""
        backend = self._backend
        clock = backend.clock
        if deadline == _FIRST_WAIT:
            timeout = self._timeout
            deadline = _NO_DEADLINE if timeout is None else clock.now_ns() + to_ns(timeout)
        if backend.advance(None if deadline == _NO_DEADLINE else deadline):
            return deadline
        if deadline != _NO_DEADLINE and clock.now_ns() >= deadline:
            raise TimeoutError("timed out")
        raise self._would_block(op)

    def _record(self, op: str, args: tuple[Any, ...], result: Any) -> None:
        trace = self._trace
        if trace is not None:
            trace.add(self.name, op, args, result)

    # -- data -------------------------------------------------------------------------------

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        """Up to ``bufsize`` bytes; ``b""`` at EOF; ``BlockingIOError`` if none are there yet.
        ``recv(0)`` is ``b""`` in any state, closed included, as CPython answers it without a call."""
        if bufsize.__class__ is not int:
            bufsize = _index(bufsize)
        if bufsize < 0:
            raise ValueError("negative buffersize in recv")
        if bufsize == 0:
            return b""
        return self._recv(bufsize, flags)

    def _recv(self, bufsize: int, flags: int) -> bytes:
        """One recv call of ``bufsize`` bytes (0 included: recvfrom(0) makes the call, as CPython)."""
        if self._fd < 0:
            raise _ebadf()
        if flags:
            self._no_flags(flags)
        trace = self._trace
        deadline = _FIRST_WAIT
        while True:
            try:
                data = self._backend.sock_recv(self, bufsize)
                break
            except OSError as exc:
                if trace is not None:
                    trace.add(self.name, "recv", (bufsize,), errno_name(exc.errno))
                if exc.errno != _EAGAIN or not self._blocking:
                    raise
            deadline = self._block("recv", deadline)
        if trace is not None:
            trace.add(self.name, "recv", (bufsize,), data)
        return data

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        """Like :meth:`recv`, into ``buffer``; returns the number of bytes written (0 for an empty
        buffer, in any state, as CPython)."""
        view, nbytes = _into(buffer, nbytes, "recv_into", "buffer too small for requested bytes")
        if nbytes == 0:
            return 0
        if self._fd < 0:
            raise _ebadf()
        data = self.recv(nbytes, flags)
        view[:len(data)] = data
        return len(data)

    def send(self, data: Any, flags: int = 0) -> int:
        """Send some of ``data``; returns how many bytes were accepted (maybe fewer than all).

        ``BlockingIOError`` when the buffer is full, ``BrokenPipeError`` after
        the peer closed or after ``shutdown(SHUT_WR)``, ``ConnectionResetError``
        after a reset.
        """
        if self._fd < 0:
            raise _ebadf()
        if flags:
            self._no_flags(flags)
        cls = data.__class__
        if cls is not bytes and cls is not bytearray:
            data = _byte_buffer(data)
        if self._blocking and data:
            return self._send_blocking(data, "send")
        trace = self._trace
        if trace is None:
            return self._backend.sock_send(self, data)  # type: ignore[no-any-return]
        return self._send_once(data)

    def sendall(self, data: Any, flags: int = 0) -> None:
        """Send all of ``data``. Non-blocking, like a real socket, it may send a part and then
        raise ``BlockingIOError`` when the buffer is full (how much went is then unknown)."""
        if self._fd < 0:
            raise _ebadf()
        if flags:
            self._no_flags(flags)
        view = _byte_buffer(data)
        if self._blocking:
            self._send_blocking(view, "sendall")
            return
        first = data if data.__class__ is bytes else view
        total = len(view)
        sent = self._send_once(first)  # at least one send, as CPython: sendall(b"") reports EPIPE too
        while sent < total:
            sent += self._send_once(view[sent:])

    def sendmsg(self, buffers: Any, ancdata: Any = (), flags: int = 0, address: Any = None) -> int:
        """Send the concatenation of ``buffers`` in ONE send (as the kernel does): some of it,
        maybe fewer bytes than all; errors as :meth:`send`. TCP has no use for ancillary data:
        ``ancdata`` items must be ``(level, type, data)`` and are ignored, as Linux ignores them
        on TCP; ``address`` is ignored, as on a connected TCP socket."""
        if self._fd < 0:
            raise _ebadf()
        if flags:
            self._no_flags(flags)
        parts = [_byte_buffer(b) for b in buffers]
        for item in ancdata:
            level, kind, payload = item
            _index(level), _index(kind), _byte_buffer(payload)
        if address is not None:
            _check_addr(address, "sendmsg", self.family)
        data: bytes | bytearray | memoryview = parts[0] if len(parts) == 1 else b"".join(parts)
        if self._blocking and data:
            return self._send_blocking(data, "sendmsg")
        return self._send_once(data)

    def sendto(self, data: Any, flags_or_address: Any, address: Any = None) -> int:
        """``sendto(data, address)`` or ``sendto(data, flags, address)``: on TCP the address is
        checked and ignored, the rest is :meth:`send`."""
        if address is None:
            flags, address = 0, flags_or_address
        else:
            flags = _index(flags_or_address)
        if self._fd < 0:
            raise _ebadf()
        _check_addr(address, "sendto", self.family)
        return self.send(data, flags)

    def recvfrom(self, bufsize: int, flags: int = 0) -> tuple[bytes, None]:
        """``(recv(bufsize), None)``: a TCP socket's recvfrom gives no address, as on Linux. Unlike
        recv, ``recvfrom(0)`` asks: EAGAIN with nothing there, b"" with data or at EOF."""
        bufsize = _index(bufsize)
        if bufsize < 0:
            raise ValueError("negative buffersize in recvfrom")
        return self._recv(bufsize, flags), None

    def recvfrom_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> tuple[int, None]:
        """``(recv_into(buffer, nbytes), None)`` (an empty buffer asks too, as recvfrom(0))."""
        view, nbytes = _into(buffer, nbytes, "recvfrom_into", "nbytes is greater than the length of the buffer")
        data = self._recv(nbytes, flags)
        view[:len(data)] = data
        return len(data), None

    def recvmsg(self, bufsize: int, ancbufsize: int = 0, flags: int = 0) -> tuple[bytes, list[Any], int, None]:
        """``(recv(bufsize), [], 0, None)``: no ancillary data, no flags, no address on TCP."""
        bufsize = _index(bufsize)
        if bufsize < 0:
            raise ValueError("negative buffer size in recvmsg()")
        if _index(ancbufsize) < 0:
            raise ValueError("negative buffer size in recvmsg()")
        return self._recv(bufsize, flags), [], 0, None

    def recvmsg_into(self, buffers: Any, ancbufsize: int = 0, flags: int = 0) -> tuple[int, list[Any], int, None]:
        """Scatter one recv over the writable ``buffers`` in order: ``(nbytes, [], 0, None)``."""
        if _index(ancbufsize) < 0:
            raise ValueError("negative buffer size in recvmsg_into()")
        views = [memoryview(b).cast("B") for b in buffers]
        for v in views:
            if v.readonly:
                raise TypeError("recvmsg_into() argument 1 must be an iterable of single-segment "
                                "read-write buffers")
        data = self._recv(sum(len(v) for v in views), flags)
        at = 0
        for v in views:
            if at >= len(data):
                break
            k = min(len(v), len(data) - at)
            v[:k] = data[at:at + k]
            at += k
        return len(data), [], 0, None

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        """As ``socket.sendfile``: ValueError on a non-blocking socket; see :mod:`fakes.socket_streams`."""
        return socket_streams.sendfile(self, file, offset, count)

    def makefile(self, mode: str = "r", buffering: int | None = None, *, encoding: str | None = None,
                 errors: str | None = None, newline: str | None = None) -> Any:
        """As ``socket.makefile``: ``io`` streams over a ``socket.SocketIO``; see :mod:`fakes.socket_streams`."""
        stream = socket_streams.makefile(self, mode, buffering, encoding, errors, newline)
        self._io_refs += 1
        return stream

    def _decref_socketios(self) -> None:
        """What ``socket.SocketIO.close`` calls: one stream fewer; close now if close() was waiting."""
        if self._io_refs > 0:
            self._io_refs -= 1
        if self._closing:
            self.close()

    def dup(self) -> FakeSocket:
        """A new descriptor for the same socket, as ``socket.dup()``: a FakeSocket with its own fd (named
        ``"<name>+dup1"``, ``+dup2``, ...) and this one's timeout, on the same connection, which closes (FIN or
        reset) only when the last descriptor is closed."""
        if self._fd < 0:
            raise _ebadf()
        copy = self._backend.sock_dup(self)
        copy._timeout, copy._blocking = self._timeout, self._blocking
        trace = self._trace
        if trace is not None:
            trace.add(self.name, "dup", (), copy.name)
        return copy

    def _send_once(self, data: bytes | bytearray | memoryview) -> int:
        trace = self._trace
        try:
            n = self._backend.sock_send(self, data)
        except OSError as exc:
            if trace is not None:
                trace.add(self.name, "send", (data if data.__class__ is bytes else bytes(data),),
                          errno_name(exc.errno))
            raise
        if trace is not None:
            trace.add(self.name, "send", (data if data.__class__ is bytes else bytes(data),), n)
        return n

    def _send_blocking(self, data: bytes | bytearray | memoryview, op: str) -> int:
        view = memoryview(data)
        total = len(view)
        sent = 0
        deadline = _FIRST_WAIT
        while sent < total:
            try:
                sent += self._send_once(view[sent:] if sent else data)
            except BlockingIOError:
                deadline = self._block(op, deadline)
        return total

    @staticmethod
    def _no_flags(flags: int) -> None:
        raise ValueError(f"FakeSocket supports flags=0 only, got flags={flags!r}")

    # -- connections ------------------------------------------------------------------------

    def accept(self) -> tuple[FakeSocket, tuple[str, int]]:
        """A waiting connection: ``(conn, peer_addr)``; ``conn`` starts in blocking mode, as a
        real accepted socket does. ``BlockingIOError`` when none is waiting."""
        if self._fd < 0:
            raise _ebadf()
        trace = self._trace
        deadline = _FIRST_WAIT
        while True:
            try:
                conn, addr = self._backend.sock_accept(self)
                break
            except OSError as exc:
                if trace is not None:
                    trace.add(self.name, "accept", (), errno_name(exc.errno))
                if exc.errno != _EAGAIN or not self._blocking:
                    raise
            deadline = self._block("accept", deadline)
        if trace is not None:
            trace.add(self.name, "accept", (), (conn.name, addr))
        return conn, addr

    def connect_ex(self, address: Address) -> int:
        """Start connecting; returns an errno: EINPROGRESS (started), EALREADY (in progress),
        0 (finished: reported once), EISCONN (connected), ECONNREFUSED, EBADF (closed), ..."""
        addr = _check_addr(address, "connect_ex", self.family)
        if self._fd < 0:
            return errno.EBADF  # returned, not raised, as a real closed socket's connect_ex does
        err = self._connect_ex(addr)
        if err == _EINPROGRESS and self._blocking:
            err = self._connect_ex(addr)  # done already if it took no virtual time
            deadline = _FIRST_WAIT
            while err == _EALREADY:  # in flight: wait for the handshake in virtual time
                deadline = self._block("connect", deadline)
                err = self._connect_ex(addr)
        return err

    def _connect_ex(self, addr: Address) -> int:
        err = self._backend.sock_connect_ex(self, addr)
        if self._trace is not None:
            self._record("connect_ex", (addr,), err)
        return err

    def connect(self, address: Address) -> None:
        """Like :meth:`connect_ex`, raising the errno: ``BlockingIOError`` EINPROGRESS when started."""
        err = self.connect_ex(address)
        if err:
            raise fake_oserror(err)

    def getsockopt(self, level: int, optname: int, buflen: int | None = None) -> Any:
        """``(SOL_SOCKET, SO_ERROR)`` returns and clears the pending error; other options return
        what ``setsockopt`` stored (0 if nothing)."""
        if self._fd < 0:
            raise _ebadf()
        if level == _SOL_SOCKET:
            if optname == _SO_ERROR:
                err = self._backend.sock_so_error(self)
                if self._trace is not None:
                    self._record("so_error", (), err)
                return err
            if optname == _socket.SO_TYPE:
                return int(self.type)
            if optname == _SO_ACCEPTCONN and buflen is None:
                return int(self._listening)
            if (optname == _SO_SNDBUF or optname == _SO_RCVBUF) and buflen is None:
                return self._buffer_size(optname)
        value = self._opts.get((level, optname), 0)
        if buflen is None:
            return value if isinstance(value, int) else int.from_bytes(bytes(value)[:4], "little")
        raw = bytes(value) if not isinstance(value, int) else value.to_bytes(4, "little", signed=True)
        return raw[:buflen].ljust(buflen, b"\0")

    def _buffer_size(self, optname: int) -> int:
        """SO_SNDBUF/SO_RCVBUF: what setsockopt set, doubled and clamped as Linux does, else the
        size the backend configured (FakeNetwork: the Endpoint rules' sndbuf/rcvbuf)."""
        value = self._opts.get((_SOL_SOCKET, optname))
        if isinstance(value, int):
            low = _MIN_SNDBUF if optname == _SO_SNDBUF else _MIN_RCVBUF
            return max(low, 2 * min(value & 0x7FFFFFFF, _BUF_MAX))
        size = getattr(self._backend, "sock_buffer_size", None)
        return int(size(self, optname)) if size is not None else 0

    def setsockopt(self, level: int, optname: int, value: Any, optlen: int | None = None) -> None:
        """Store an option. SO_LINGER with ``(on, 0)`` makes :meth:`close` reset the connection,
        as on a real socket; buffer sizes come from the network's configuration, not from here."""
        if self._fd < 0:
            raise _ebadf()
        if value is None and optlen is not None:
            value = b"\0" * optlen
        self._opts[(level, optname)] = value
        if level == _SOL_SOCKET and optname == _SO_LINGER:
            raw = bytes(value) if not isinstance(value, int) else value.to_bytes(8, "little")
            onoff, linger = struct.unpack("ii", raw[:8].ljust(8, b"\0"))
            self._abort = bool(onoff) and linger == 0

    def setblocking(self, flag: bool) -> None:
        if self._fd < 0:
            raise _ebadf()
        self._blocking = bool(flag)
        self._timeout = None if flag else 0.0

    def getblocking(self) -> bool:
        return self._blocking

    def settimeout(self, value: float | None) -> None:
        """``None``: blocking; ``0``: non-blocking; ``> 0``: treated as blocking (a fake cannot wait)."""
        if value is not None:
            value = float(value)
            if not value >= 0.0:
                raise ValueError("Timeout value out of range")
        if self._fd < 0:
            raise _ebadf()
        self._timeout = value
        self._blocking = value != 0.0

    def gettimeout(self) -> float | None:
        return self._timeout

    @property
    def timeout(self) -> float | None:
        return self._timeout

    def shutdown(self, how: int) -> None:
        """SHUT_RD, SHUT_WR or SHUT_RDWR; ``OSError`` ENOTCONN when not connected."""
        if self._fd < 0:
            raise _ebadf()
        how = _index(how)
        if how not in _SHUTS:
            raise fake_oserror(errno.EINVAL)
        try:
            self._backend.sock_shutdown(self, how)
        except OSError as exc:
            self._record("shutdown", (how,), errno_name(exc.errno))
            raise
        if how != _socket.SHUT_WR:
            self._listening = False  # a listener shut for reading stops listening
        if self._trace is not None:
            self._record("shutdown", (how,), None)

    def close(self) -> None:
        """Close the socket (again: nothing happens). Unread data or SO_LINGER 0 resets the
        connection; otherwise the peer reads EOF after the data already sent."""
        if self._fd < 0:
            return
        if self._io_refs > 0:  # makefile() streams still open: the last one's close() closes
            self._closing = True
            return
        self._backend.sock_close(self, self._abort)
        self._fd = -1
        trace = self._trace
        if trace is not None:
            trace.add(self.name, "close", (), None)

    def detach(self) -> int:
        raise OSError(errno.EOPNOTSUPP, "a FakeSocket cannot be detached")

    # -- addresses ----------------------------------------------------------------------------

    def bind(self, address: Address) -> None:
        if self._fd < 0:
            raise _ebadf()
        addr = _check_addr(address, "bind", self.family)
        try:
            self._backend.sock_bind(self, addr)
        except OSError as exc:
            self._record("bind", (addr,), errno_name(exc.errno))
            raise
        if self._trace is not None:
            self._record("bind", (addr,), None)

    def listen(self, backlog: int = _DEFAULT_BACKLOG) -> None:
        if self._fd < 0:
            raise _ebadf()
        backlog = max(0, _index(backlog))
        try:
            self._backend.sock_listen(self, backlog)
        except OSError as exc:
            self._record("listen", (self._backend.sock_sockname(self),), errno_name(exc.errno))
            raise
        self._listening = True
        if self._trace is not None:
            self._record("listen", (self._backend.sock_sockname(self),), None)

    def getpeername(self) -> tuple[str, int]:
        if self._fd < 0:
            raise _ebadf()
        return self._backend.sock_peername(self)

    def getsockname(self) -> tuple[str, int]:
        if self._fd < 0:
            raise _ebadf()
        return self._backend.sock_sockname(self)
