"""O(ready) on the fakes: a proxy session's cost beside 10 and beside 10,000 idle connections.

    python benchmarks/fake_oready.py [--rounds 5] [--seconds 2] [--idle 10000]

Two worlds, each one FakeNetwork(trace=False) and one loopsim.Loop on its
selector and clock, built once: one holds 10 idle connections, the other
10,000. An idle connection is a connected fake socket pair with a loopsim task
waiting to read one end (so the loop has it registered in the fake selector),
forever.

Measured in each world: the proxy session of benchmarks/sim_vs_trio.py - the
correct proxy (``scenarios.apps.proxy.proxy_server``) and server2
(``scenarios.apps.echo.upper_server``, replying upper-cased after 5 virtual
seconds) on fresh listeners, a client sending 1 KiB in four 256-byte writes
and reading the whole reply - run with ``loop.run_until_complete`` beside the
idle connections, which stay. Every session checks its result.

The two worlds run alternately for ``--rounds`` rounds of about ``--seconds``
each; per round the ratio of the time per session (10,000-idle / 10-idle);
the median of those ratios is the figure. Target: <= 1.3 (a loop iteration
and a select cost in proportion to what is ready, not to what waits). Time
is this process's CPU time (``time.process_time``), which other processes on
a shared machine disturb less than the wall clock.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # after site-packages: an installed (compiled) loopsim wins

import fakes
import loopsim
from fake_session import DELAY, EXPECTED, PROXY, SERVER2, client, servers


def _idle(sock):  # type: ignore[no-untyped-def]
    yield from loopsim.recv(sock, 1)  # waits forever: nothing is ever sent
    raise AssertionError("an idle connection received something")


class World:
    """A network and a loop holding ``idle`` idle connections, and a way to run one session beside them."""

    def __init__(self, idle: int) -> None:
        self.idle = idle
        self.net = fakes.FakeNetwork(trace=False)
        self.loop = loopsim.Loop(selector=self.net.selector(), clock=self.net.clock)
        self.pairs = [self.net.socketpair((f"idle{i}a", f"idle{i}b")) for i in range(idle)]
        self.idlers = [self.loop.spawn(_idle(a), name=f"idle{i}") for i, (a, _) in enumerate(self.pairs)]
        self.loop.run_until_complete(self._settle())  # every idle task is now parked on its socket
        self.sessions = 0

    @staticmethod
    def _settle():  # type: ignore[no-untyped-def]
        yield from loopsim.sleep(0)
        yield from loopsim.sleep(0)

    def session(self) -> None:
        """One proxy session, as in sim_vs_trio, on fresh listeners; raises if the result is wrong."""
        net, loop = self.net, self.loop
        server2 = net.listen(SERVER2)
        proxy = net.listen(PROXY)
        start = net.clock.now()

        def main():  # type: ignore[no-untyped-def]
            s2_gen, px_gen = servers(net, server2, proxy)
            s2 = yield from loopsim.spawn(s2_gen, name="server2")
            px = yield from loopsim.spawn(px_gen, name="proxy")
            reply = yield from loopsim.join((yield from loopsim.spawn(client(net), name="client")))
            yield from loopsim.join(px)
            yield from loopsim.join(s2)
            return reply

        reply = loop.run_until_complete(main())
        server2.close()
        proxy.close()
        if reply != EXPECTED or net.clock.now() - start < DELAY:
            raise AssertionError(f"broken session beside {self.idle} idle: {reply[:40]!r}...")
        self.sessions += 1

    def check(self) -> None:
        """The idle connections are all still there, still waiting, and nothing else is open."""
        assert all(not t.done() for t in self.idlers)
        assert len(self.net.open_sockets()) == 2 * self.idle
        assert len(self.loop.tasks()) == self.idle

    def close(self) -> None:
        for task in self.idlers:
            task.cancel()
        self.loop.run()
        for a, b in self.pairs:
            a.close()
            b.close()
        assert self.net.open_sockets() == []


def per_session(world: World, seconds: float) -> float:
    """CPU seconds per session, sessions run back to back in ``world`` for about ``seconds`` of CPU time."""
    n = 0
    batch = 10
    start = time.process_time()
    while True:
        for _ in range(batch):
            world.session()
        n += batch
        elapsed = time.process_time() - start
        if elapsed >= seconds:
            return elapsed / n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per measurement (default 2)")
    parser.add_argument("--idle", type=int, default=10_000, help="idle connections of the big world (default 10000)")
    opts = parser.parse_args(argv)

    t0 = time.perf_counter()
    small, big = World(10), World(opts.idle)
    gc.collect()
    print(f"built the worlds (10 and {opts.idle} idle connections) in {time.perf_counter() - t0:.2f}s", flush=True)
    for world in (small, big):  # check once, and warm up
        for _ in range(20):
            world.session()
        world.check()
    ratios = []
    for r in range(opts.rounds):
        order = (small, big) if r % 2 == 0 else (big, small)  # alternate who goes first
        cost = {world.idle: per_session(world, opts.seconds) for world in order}
        ratios.append(cost[opts.idle] / cost[10])
        print(f"round {r + 1}: beside 10 idle {cost[10] * 1e6:.1f} us/session, beside {opts.idle} idle "
              f"{cost[opts.idle] * 1e6:.1f} us/session; ratio {ratios[-1]:.3f}", flush=True)
    for world in (small, big):
        world.check()
        world.close()
    median = statistics.median(ratios)
    ok = median <= 1.3
    print(f"median ratio ({opts.idle}-idle / 10-idle): {median:.3f} (target <= 1.3: {'met' if ok else 'MISSED'})")
    print(f"SUMMARY fake_oready ratio={median:.3f} idle={opts.idle} target<=1.3 {'PASS' if ok else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
