# fakes.replay: strict replay - a backend and selector that answer from a recorded Script, in order.
# Owns: ReplayNetwork, ReplaySelector, ReplayClock, ScriptLoopChooser, Divergence. Imports: stdlib, fakes.{backend,choices,clock,
# config,errors,selector,socket,socket_table,trace}; speaks to FakeSocket/FakeSelector only through fakes.backend.
"""Strict replay.

A *Script* is a sequence of :class:`~fakes.TraceEvent` steps: what a run's
sockets, selector and clock answered, in order (a FakeNetwork's trace, or a
live recording's). :class:`ReplayNetwork` is a backend that gives those
answers back: the same code, asking the same questions in the same order,
gets the same answers, so it runs exactly as it did.

If the code asks anything else - a call on another socket, another
operation, different bytes to send, a step past the end of the script - the
replay stops with a :class:`Divergence` naming the step number, what the
script expected, what the code did, and the steps before it. The first
divergence is kept in ``net.divergence`` (so that code catching every
exception cannot hide it), and every later call diverges too.

The loop's own choices (its ready order, asked through ``net.loop_chooser``)
are script steps too, ``("loop", "choose", (label, n), i)``: each is answered
from its step (:class:`ScriptLoopChooser`). A script without such a step where
the code asks (a live recording: the live loop runs FIFO) answers 0, FIFO.
"""

from __future__ import annotations

import errno as _errno
import selectors
import socket as _socket
from typing import Any, Iterable, NoReturn

from .backend import NoReadiness
from .choices import DefaultChooser
from .clock import VirtualClock
from .config import NetConfig
from .errors import WouldBlockForever, fake_oserror
from .selector import FakeSelector
from .socket import Address, FakeSocket
from .socket_table import NetworkSockets, SocketTable
from .trace import FOREVER, Trace, TraceEvent, format_value

__all__ = ["ReplayNetwork", "ReplaySelector", "ReplayClock", "ScriptLoopChooser", "Divergence"]

_CONTEXT = 6


class Divergence(RuntimeError):
    """The code under test did something its script does not hold.

    ``step`` is the 0-based index of the script step that did not match (the
    script's length when the code ran past its end), ``expected`` that step
    (or ``None``), ``actual`` what the code did, ``recent`` the steps before it.
    """

    def __init__(self, step: int, expected: TraceEvent | None, actual: str, recent: list[TraceEvent],
                 why: str = "") -> None:
        self.step, self.expected, self.actual, self.recent = step, expected, actual, recent
        want = "the end of the script" if expected is None else _describe(expected)
        lines = [f"divergence at step {step}: the script expected {want}, but the code {actual}"
                 + (f" ({why})" if why else "")]
        if recent:
            lines.append("the steps before it:")
            lines += [f"  [{e.seq}] {e.to_text()}" for e in recent]
        super().__init__("\n".join(lines))


def _describe(step: TraceEvent) -> str:
    args = ", ".join(format_value(a) for a in step.args)
    return f"{step.op}({args}) on {step.sock!r} -> {format_value(step.result)}"


class ReplayClock(VirtualClock):
    """A virtual clock that also answers recorded ``now`` steps (live recordings read the clock)."""

    __slots__ = ("_net",)

    def __init__(self, net: ReplayNetwork) -> None:
        super().__init__(0.0)
        self._net = net

    def now(self) -> float:
        step = self._net._peek()
        if step is not None and step.op == "now":
            self._net._pos += 1
            t = float(step.result)
            if t >= self._now:
                self.advance_to(t)
        return self._now

    def peek(self) -> float:
        """The current time without consuming a recorded reading."""
        return self._now


class ReplaySelector(FakeSelector):
    """A FakeSelector whose ``select`` answers from the script."""

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if self._closed:
            raise ValueError("I/O operation on closed selector")
        net: ReplayNetwork = self._backend  # type: ignore[assignment]
        clock = net.clock
        while True:
            step = net._peek()
            if step is None or step.op != "clock":
                break
            to_t = float(step.args[1])
            if timeout is not None and to_t - clock.peek() > timeout + 1e-6:
                net._diverge(step, f"called select(timeout={timeout!r}) at t={clock.peek():.6f}",
                             "the script's clock jumps further than the code waits")
            net._pos += 1
            before = clock.peek()
            if to_t >= before:
                clock.advance_to(to_t)
            if net.trace is not None:
                net.trace.add("clock", "clock", (before, clock.peek()), None)
        step = net._next("select", "select", f"called select(timeout={timeout!r})")
        if step.result == FOREVER:  # the recorded run found nothing ready here, ever: a deadlock
            if timeout is not None:
                net._diverge(step, f"called select(timeout={timeout!r})",
                             "the script's select found nothing ready, ever (it was a select(None))")
            if net.trace is not None:
                net.trace.add("select", "select", (timeout,), FOREVER)
            names = ", ".join(sorted(sock.name for sock in self._keys)) or "none"
            raise WouldBlockForever(f"select(None) would block forever: the script says nothing becomes ready "
                                    f"(registered: {names})")
        result = []
        by_name = {sock.name: key for sock, key in self._keys.items()}  # (a key's fileobj may be an int fd)
        for name, mask in step.result:
            key = by_name.get(name)
            if key is None:
                net._diverge(step, f"has no registered socket named {name!r} (registered: "
                             f"{', '.join(by_name) or 'none'})")
            if mask & ~key.events:
                net._diverge(step, f"registered {name!r} for events {key.events}, not {mask}")
            result.append((key, mask))
        trace = net.trace
        if trace is not None:
            trace.add("select", "select", (timeout,), tuple((name, mask) for name, mask in step.result))
        return result


class ScriptLoopChooser:
    """The loop's choices in a replay: the script's next ``choose`` step answers, else 0 (FIFO).

    A step that asks another label or among another number of tasks is a divergence; an answered
    step is traced again, so the replay's trace is the recorded one.
    """

    __slots__ = ("net",)

    def __init__(self, net: ReplayNetwork) -> None:
        self.net = net

    def index(self, label: str, n: int) -> int:
        net = self.net
        if net.divergence is not None:
            raise net.divergence
        script, pos = net.script, net._pos
        while pos < len(script) and script[pos].op == "now":
            pos += 1  # (clock readings the code does not repeat: _next skips them too)
        if pos == len(script) or script[pos].op != "choose":
            return 0  # not recorded here (a live run is FIFO): the default order
        asked = f"chose among {n} ready tasks ({label})"
        step = net._next("loop", "choose", asked)
        if tuple(step.args) != (label, n):
            net._diverge(step, asked, "a different choice")
        value = step.result
        if not (isinstance(value, int) and 0 <= value < n):
            net._diverge(step, asked, f"the script's answer {value!r} is not in 0..{n - 1}")
        if net.trace is not None:
            net.trace.add("loop", "choose", (label, n), value)
        return value

    def follow(self, policy: Any) -> ScriptLoopChooser:
        """A replay's ready order is its script's, whatever policy the run was given: this, as a policy."""
        return self

    def pick(self, ready: Any) -> int:
        """A scheduling policy (``pick(ready) -> int``) answering the ready order from the script."""
        return self.index("ready-order", len(ready))

    def __repr__(self) -> str:
        return "ScriptLoopChooser()"


class ReplayNetwork(NetworkSockets, NoReadiness):
    """A backend that answers from ``script``; a :class:`~fakes.Network` as FakeNetwork is.

    ``config`` is an empty :class:`~fakes.NetConfig`: a replayed world is its script.
    """

    def __init__(self, script: Iterable[TraceEvent], trace: bool = True) -> None:
        self.script: list[TraceEvent] = list(script)
        self._pos = 0
        self.clock = ReplayClock(self)
        self.trace: Trace | None = Trace(_Peek(self.clock)) if trace else None
        self.chooser = DefaultChooser()
        self.loop_chooser = ScriptLoopChooser(self)
        self.config = NetConfig()
        self.divergence: Divergence | None = None
        self._sockets = SocketTable()

    # -- the script --------------------------------------------------------------------------

    def _peek(self) -> TraceEvent | None:
        return self.script[self._pos] if self._pos < len(self.script) else None

    def _diverge(self, expected: TraceEvent | None, actual: str, why: str = "") -> NoReturn:
        step = self._pos
        if expected is not None and step > 0 and self.script[step - 1] is expected:
            step -= 1  # the step matched by socket and op, then its answer did not fit
        recent = self.script[max(0, step - _CONTEXT):step]
        exc = Divergence(step, expected, actual, recent, why)
        if self.divergence is None:
            self.divergence = exc
        raise exc

    def _next(self, sock: str, op: str, actual: str) -> TraceEvent:
        if self.divergence is not None:
            raise self.divergence
        while True:
            step = self._peek()
            if step is None or step.op != "now":
                break
            self._pos += 1  # a clock reading the code did not repeat here: skip it
        if step is None:
            self._diverge(None, f"{actual} on {sock!r}")
        assert step is not None
        if step.sock != sock or step.op != op:
            self._diverge(step, f"{actual} on {sock!r}")
        self._pos += 1
        return step

    def remaining(self) -> list[TraceEvent]:
        """Script steps the code has not asked for (a finished run should have none)."""
        return self.script[self._pos:]

    def finish(self) -> Divergence | None:
        """After the run: a code that stopped with script steps left has diverged too.

        Clock readings and jumps left over do not count. Returns (and keeps)
        the divergence, if any.
        """
        if self.divergence is None:
            left = [s for s in self.remaining() if s.op not in ("now", "clock")]
            if left:
                step = self.script.index(left[0], self._pos)
                self.divergence = Divergence(step, left[0], "finished its run",
                                             self.script[max(0, step - _CONTEXT):step],
                                             f"{len(left)} steps of the script were never asked for")
        return self.divergence

    @staticmethod
    def _answer(step: TraceEvent) -> Any:
        result = step.result
        if isinstance(result, str) and result.startswith("E"):
            code = getattr(_errno, result, None)
            if isinstance(code, int):
                raise fake_oserror(code)
        return result

    # -- sockets (named as FakeNetwork names them) -------------------------------------------

    def _new(self, name: str, blocking: bool = False) -> FakeSocket:
        return self._sockets.add(self, name, {"peer": None, "local": ("0.0.0.0", 0)}, blocking)

    def socket(self, name: str | None = None, family: int = _socket.AF_INET,
               type: int = _socket.SOCK_STREAM) -> FakeSocket:
        """The script's next step must create this socket."""
        name = self._sockets.name(name)
        step = self._next(name, "socket", "created a socket")
        sock = self._new(name)
        if self.trace is not None:
            self.trace.add(name, "socket", step.args, None)
        return sock

    def socketpair(self, names: tuple[str, str] = ("a", "b")) -> tuple[FakeSocket, FakeSocket]:
        """Two sockets the script's next two steps must create (what they answer is the script's)."""
        return self.socket(names[0]), self.socket(names[1])

    def selector(self) -> ReplaySelector:
        return ReplaySelector(self)

    # -- the backend protocol ----------------------------------------------------------------

    def sock_recv(self, sock: FakeSocket, n: int) -> bytes:
        step = self._next(sock.name, "recv", f"called recv({n})")
        data = self._answer(step)
        if not isinstance(data, (bytes, bytearray)):
            self._diverge(step, f"called recv({n})", f"the script's answer {data!r} is not bytes")
        if len(data) > n:
            self._diverge(step, f"called recv({n})", f"the script answers {len(data)} bytes, more than {n}")
        return bytes(data)

    def sock_send(self, sock: FakeSocket, data: Any) -> int:
        payload = bytes(data)
        step = self._next(sock.name, "send", f"called send({format_value(payload)})")
        if step.args and step.args[0] is not None and bytes(step.args[0]) != payload:
            self._diverge(step, f"called send({format_value(payload)})", "different bytes")
        count = self._answer(step)
        if not isinstance(count, int) or count > len(payload):
            self._diverge(step, f"called send({format_value(payload)})", f"the script accepts {count!r} bytes")
        return count

    def sock_accept(self, sock: FakeSocket) -> tuple[FakeSocket, Any]:
        step = self._next(sock.name, "accept", "called accept()")
        conn_name, peer = self._answer(step)
        conn = self._new(conn_name, blocking=True)
        conn._ep["peer"] = tuple(peer)
        conn._ep["local"] = sock._ep["local"]
        return conn, tuple(peer)

    def sock_connect_ex(self, sock: FakeSocket, addr: Address) -> int:
        step = self._next(sock.name, "connect_ex", f"called connect_ex({addr!r})")
        if step.args and tuple(step.args[0]) != tuple(addr):
            self._diverge(step, f"called connect_ex({addr!r})", "a different address")
        sock._ep["peer"] = tuple(addr)
        return int(step.result)

    def sock_so_error(self, sock: FakeSocket) -> int:
        return int(self._next(sock.name, "so_error", "called getsockopt(SOL_SOCKET, SO_ERROR)").result)

    def sock_shutdown(self, sock: FakeSocket, how: int) -> None:
        self._answer(self._next(sock.name, "shutdown", f"called shutdown({how})"))

    def sock_close(self, sock: FakeSocket, abort: bool) -> None:
        if self.divergence is None:  # once diverged, the run is over: cleanups close without the script
            self._next(sock.name, "close", "called close()")
        self._sockets.closed(sock)

    def sock_dup(self, sock: FakeSocket) -> FakeSocket:
        name = self.dup_name(sock)
        step = self._next(sock.name, "dup", "called dup()")
        if step.result != name:
            self._diverge(step, f"called dup() on {sock.name!r}, making {name!r}")
        return self._sockets.add(self, name, sock._ep, False)

    def sock_bind(self, sock: FakeSocket, addr: Address) -> None:
        self._answer(self._next(sock.name, "bind", f"called bind({addr!r})"))
        sock._ep["local"] = tuple(addr)

    def sock_listen(self, sock: FakeSocket, backlog: int) -> None:
        step = self._next(sock.name, "listen", f"called listen({backlog})")
        if step.args:
            sock._ep["local"] = tuple(step.args[0])
        self._answer(step)

    def sock_peername(self, sock: FakeSocket) -> tuple[str, int]:
        peer = sock._ep["peer"]
        if peer is None:
            raise fake_oserror(_errno.ENOTCONN)
        return peer  # type: ignore[no-any-return]

    def sock_sockname(self, sock: FakeSocket) -> tuple[str, int]:
        return sock._ep["local"]  # type: ignore[no-any-return]

    def sock_describe(self, sock: FakeSocket) -> str:
        return f"replayed, step {self._pos} of {len(self.script)}"


class _Peek:
    """Lets the trace stamp events without consuming a recorded clock reading."""

    __slots__ = ("now",)

    def __init__(self, clock: ReplayClock) -> None:
        self.now = clock.peek
