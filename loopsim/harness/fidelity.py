# loopsim.harness.fidelity: run a scenario simulated and live (the driver on loopback, its [network] rules
# applied by chaos proxies) and say where the two runs agree. Owns: fidelity, FidelityReport, Check,
# LiveChaos. Imports: stdlib, loopsim.loop.errors, loopsim.harness.{runner,scenario,chaos_rules,chaos_proxy}, fakes.
"""Simulated vs live.

:func:`fidelity` runs a scenario twice: simulated, from its world (as
``loopsim replay`` does), and live, the same driver on real loopback
sockets (:class:`fakes.live.LiveNetwork`) where every listener the driver
binds (``server2:80``, ``proxy:8080``) has a chaos proxy in front of it
(:class:`~loopsim.harness.chaos_proxy.ChaosProxy`) applying the file's
``[network]`` rules to the live connections. It then compares, per socket,
task and run:

* ``received``: the bytes the socket received, exactly;
* ``recv``, ``send``, ``connect``, ``accept`` answers: which kinds of answer
  each call got (data, EOF, a partial or full send, EAGAIN, ECONNRESET, ...),
  as sets: how many times a call met EAGAIN is timing, not semantics;
* ``closed``: whether the socket was closed at the end;
* each task's ending (ok, cancelled, the exception's class);
* the driver's ``result``;
* the run's duration, virtual against wall seconds, within ``tolerance``
  seconds plus 10%.

Live, the proxies stand where the listeners stand, so a connection the
driver accepts comes from a proxy: its live name is matched to the simulated
one by the order the listener accepted them. A scenario whose simulated run
does not end (a deadlock, a livelock), lasts longer than
``max_live_seconds`` or opens more than ``max_live_sockets`` sockets is not
run live; the report says so.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from loopsim.loop.errors import InputError, InternalError
from .chaos_proxy import ChaosProxy
from .chaos_rules import ChaosRules
from .runner import net_config, resolve_driver, run_scenario, run_world
from .scenario import Scenario, ScenarioError

__all__ = ["fidelity", "FidelityReport", "Check", "LiveChaos", "answer_kind"]

_CALLS = ("recv", "send", "connect_ex", "accept")
_INTERNAL = ("clock", "select", "loop")


@dataclass(frozen=True)
class Check:
    """One comparison: ``subject`` (a socket, a task, "run"), ``what`` was compared, both sides, agreement."""

    subject: str
    what: str
    simulated: str
    live: str
    agree: bool


@dataclass
class FidelityReport:
    """A scenario's checks; ``skipped`` says why it was not run live (then there are no checks)."""

    scenario: Scenario
    checks: list[Check] = field(default_factory=list)
    skipped: str | None = None
    wall: float = 0.0

    @property
    def agreement(self) -> float | None:
        """The share of checks that agree, 0..1 (None when not run live)."""
        if not self.checks:
            return None
        return sum(c.agree for c in self.checks) / len(self.checks)

    def summary(self) -> str:
        name = self.scenario.name
        if self.skipped is not None:
            return f"{name}: not run live: {self.skipped}"
        agreed = sum(c.agree for c in self.checks)
        return f"{name}: {agreed}/{len(self.checks)} checks agree ({100 * (self.agreement or 0):.0f}%)"

    def table(self, only_differences: bool = False) -> str:
        lines = [self.summary()]
        rows = [c for c in self.checks if not (only_differences and c.agree)]
        if rows:
            w1 = max(len(c.subject) for c in rows)
            w2 = max(len(c.what) for c in rows)
            w3 = max(len(c.simulated) for c in rows)
            for c in rows:
                mark = "agree" if c.agree else "DIFFER"
                lines.append(f"  {c.subject:<{w1}}  {c.what:<{w2}}  simulated {c.simulated:<{w3}}  live {c.live}  {mark}")
        return "\n".join(lines)


def answer_kind(op: str, args: tuple[Any, ...], result: Any) -> str:
    """The kind of one traced answer: ``data``/``EOF`` (recv), ``full``/``partial`` (send), ``ok``/
    ``in progress`` (connect_ex), ``accepted`` (accept), or the errno name (``EAGAIN``, ``ECONNRESET``)."""
    if isinstance(result, str):
        return result
    if op == "recv":
        return "EOF" if not result else "data"
    if op == "send":
        size = len(args[0]) if args and isinstance(args[0], (bytes, bytearray)) else None
        return "full" if size is None or result >= size else "partial"
    if op == "connect_ex":
        import errno
        return "ok" if result == 0 else errno.errorcode.get(result, str(result))
    return "accepted"


class LiveChaos:
    """A chaos proxy, in a thread of its own, in front of each listener a live run binds (LiveNetwork's
    ``route``). :meth:`stop` stops them all and joins their threads."""

    def __init__(self, sc: Scenario, clients: dict[str, str]) -> None:
        self.config = net_config(sc)
        self.seed = sc.seed or 0
        self.clients = clients  # listener name -> the prefix of the sockets that connect to it
        self._proxies: list[tuple[threading.Thread, socket.socket, list[BaseException]]] = []
        self._lock = threading.Lock()  # stop() runs from the watchdog's thread too

    def route(self, name: str, real: tuple[str, int]) -> tuple[str, int]:
        rules = ChaosRules(self.config, name, client=self.clients.get(name, "client"), seed=self.seed)
        proxy = ChaosProxy(rules, ("127.0.0.1", 0), real)
        addr = proxy.open()
        stop_r, stop_w = socket.socketpair()
        errors: list[BaseException] = []

        def serve() -> None:
            try:
                proxy.run(stop_r)
            except BaseException as exc:  # reported by stop()
                errors.append(exc)
            finally:
                stop_r.close()

        thread = threading.Thread(target=serve, name=f"chaos {name}", daemon=True)
        thread.start()
        self._proxies.append((thread, stop_w, errors))
        return addr

    def stop(self) -> list[BaseException]:
        errors: list[BaseException] = []
        with self._lock:
            proxies, self._proxies = self._proxies, []
        for thread, stop_w, errs in proxies:
            try:
                stop_w.send(b"x")
            except OSError:
                pass
            thread.join(10.0)
            stop_w.close()
            errors += errs
        return errors


def _clients_of(trace: Any) -> dict[str, str]:
    """Which sockets connect to each address in a simulated trace: ``{"server2:80": "proxy"}``."""
    seen: dict[str, Counter[str]] = {}
    for e in trace.events:
        if e.op == "connect_ex" and e.args:
            addr = e.args[0]
            seen.setdefault(f"{addr[0]}:{addr[1]}", Counter())[e.sock.split("#")[0]] += 1
    return {name: counts.most_common(1)[0][0] for name, counts in seen.items()}


def _accepted(trace: Any) -> dict[str, list[str]]:
    """The connections each listener accepted, in order: ``{"server2:80": ["server2:80<-proxy#1", ...]}``."""
    out: dict[str, list[str]] = {}
    for e in trace.events:
        if e.op == "accept" and isinstance(e.result, tuple):
            out.setdefault(e.sock, []).append(e.result[0])
    return out


def _pair(sim_names: list[str], live_names: list[str], sim_got: dict[str, bytes],
          live_got: dict[str, bytes]) -> dict[str, str]:
    """Match a listener's accepted connections: live, each comes from a proxy, so its name says nothing of
    its client. A connection is known by what its client sent (the first live one that received the same
    bytes); the ones left are matched in the order they were accepted."""
    pairs: dict[str, str] = {}
    free = list(live_names)
    for name in sim_names:
        match = next((other for other in free if live_got.get(other, b"") == sim_got.get(name, b"")), None)
        if match is not None:
            pairs[name] = match
            free.remove(match)
    for name in sim_names:
        if name not in pairs and free:
            pairs[name] = free.pop(0)
    return pairs


def _sockets(trace: Any) -> list[str]:
    names: dict[str, None] = {}
    for e in trace.events:
        if e.sock not in _INTERNAL and not e.sock.startswith("asyncio:self-pipe"):
            names.setdefault(e.sock, None)
    return list(names)


def _kinds(trace: Any, sock: str) -> dict[str, set[str]]:
    kinds: dict[str, set[str]] = {}
    for e in trace.events:
        if e.sock == sock and e.op in _CALLS:
            kinds.setdefault(e.op, set()).add(answer_kind(e.op, e.args, e.result))
    return kinds


def _show(kinds: set[str] | None) -> str:
    return ",".join(sorted(kinds)) if kinds else "-"


def compare(sim: Any, live: Any, tolerance: float) -> list[Check]:
    """The checks of a simulated and a live outcome of the same driver and arguments."""
    rename: dict[str, str] = {}  # simulated name -> live name, for connections accepted from a proxy
    live_accepted = _accepted(live.trace)
    for listener, names in _accepted(sim.trace).items():
        rename.update(_pair(names, live_accepted.get(listener, []), sim.received, live.received))
    checks: list[Check] = []
    for name in _sockets(sim.trace):
        lname = rename.get(name, name)
        got_s, got_l = sim.received.get(name, b""), live.received.get(lname, b"")
        checks.append(Check(name, "received", f"{len(got_s)} bytes", f"{len(got_l)} bytes", got_s == got_l))
        ks, kl = _kinds(sim.trace, name), _kinds(live.trace, lname)
        for op in _CALLS:
            if op in ks or op in kl:
                what = "connect" if op == "connect_ex" else op
                checks.append(Check(name, what, _show(ks.get(op)), _show(kl.get(op)), ks.get(op) == kl.get(op)))
        closed_s, closed_l = name not in sim.open_sockets, lname not in live.open_sockets
        checks.append(Check(name, "closed", "yes" if closed_s else "no", "yes" if closed_l else "no",
                            closed_s == closed_l))
    for task, ending in sim.tasks.items():
        other = live.tasks.get(task)
        checks.append(Check(f"task {task}", "ending", ending.status, other.status if other else "-",
                            other is not None and other.status == ending.status))
    checks.append(Check("run", "result", repr(sim.result), repr(live.result), sim.result == live.result))
    slack = tolerance + 0.1 * sim.virtual_time
    checks.append(Check("run", "seconds", f"{sim.virtual_time:.3f}", f"{live.virtual_time:.3f}",
                        abs(live.virtual_time - sim.virtual_time) <= slack))
    return checks


def fidelity(sc: Scenario, *, tolerance: float = 0.05, max_live_seconds: float = 5.0,
             max_live_sockets: int = 200) -> FidelityReport:
    """Run ``sc`` simulated and live (through chaos proxies) and compare them (see the module doc)."""
    from fakes.live import LiveNetwork

    if sc.network is None:
        raise ScenarioError(sc.path, None, "network", "fidelity compares a simulated world with a live run: this "
                            "file has no [network] (a recording replays, it has no world to apply live)")
    start = time.perf_counter()
    sim = run_scenario(sc).outcome
    assert sim is not None
    report = FidelityReport(sc)
    if sim.error is not None:
        report.skipped = f"the simulated run does not end ({type(sim.error).__name__}); live, it would hang"
    elif sim.virtual_time > max_live_seconds:
        report.skipped = f"it lasts {sim.virtual_time:g} s, over --max-live-seconds {max_live_seconds:g}"
    elif len(_sockets(sim.trace)) > max_live_sockets:
        report.skipped = (f"it opens {len(_sockets(sim.trace))} sockets, over --max-live-sockets "
                          f"{max_live_sockets} (live, each connection also passes a proxy)")
    if report.skipped is not None:
        report.wall = time.perf_counter() - start
        return report
    chaos = LiveChaos(sc, _clients_of(sim.trace))
    net = LiveNetwork(route=chaos.route)
    watchdog = threading.Timer(2 * max_live_seconds + 2.0, chaos.stop)  # a live run that hangs: reset it
    watchdog.daemon = True
    watchdog.start()
    try:
        try:
            live = run_world(resolve_driver(sc.driver), sc.args, net, sc.name, livelock_limit=None)
        except InputError as exc:
            raise ScenarioError(sc.path, None, "app", str(exc)) from None
    finally:
        watchdog.cancel()
        errors = chaos.stop()
        net.close()
    if errors:
        raise InternalError(f"a chaos proxy of {sc.path} failed: {errors[0]!r}; this is a bug in loopsim, "
                            "please report it")
    report.checks = compare(sim, live, tolerance)
    report.wall = time.perf_counter() - start
    return report
