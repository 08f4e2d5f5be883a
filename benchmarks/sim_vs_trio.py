"""Simulation speed: one proxy session on loopsim's fakes against the same session in trio.

    python benchmarks/sim_vs_trio.py [--rounds 5] [--seconds 2]

It measures the loopsim it imports: the compiled core when installed with
``LOOPSIM_MYPYC=1 pip install .`` (the figure the target is about), the
Python source after a plain ``pip install -e .``; the first line says which.

The session (both sides build it from scratch every time): a client sends
1 KiB in four 256-byte writes and half-closes; the correct proxy
(``scenarios.apps.proxy.proxy_server`` -> ``proxy_session``) forwards it to
server2 (``scenarios.apps.echo.upper_server`` with ``delay=5.0``), which
replies upper-cased 5 virtual seconds later; the proxy forwards the reply
and the EOF back; the client reads the whole 1 KiB reply.

- loopsim: ``fakes.FakeNetwork(trace=False)``, ``loopsim.Loop(selector=
  net.selector(), clock=net.clock)``, the bundled apps unchanged.
- trio (the peer, measured in the same run): the same structure in trio
  0.2x+: ``trio.testing.MockClock(autojump_threshold=0)`` and
  ``trio.testing.memory_stream_pair()`` for both hops (client<->proxy and
  proxy<->server2); a client task, a proxy that forwards each direction in
  its own task, server2 sleeping 5 s per chunk then replying upper-cased.

Every session checks its result (the client got ``b"x" * 1024`` upper-cased,
virtual time advanced by the 5 s delay), so a broken run cannot be measured.
Both server2s reply per chunk received; the fakes deliver the four writes as
one 1 KiB chunk (one delay, 5 virtual s), trio's memory streams as two 512-byte
chunks (two delays, 10 virtual s): a difference within the run-to-run noise
of the trio figure.

The two (and, informationally, loopsim with ``trace=True``) run alternately
for ``--rounds`` rounds of about ``--seconds`` each; per round the ratio
loopsim/trio of sessions per second; the median of those ratios is the
figure. Target: loopsim >= 10x trio. Time is this process's CPU time
(``time.process_time``): both sides are CPU-bound (virtual time never
sleeps), and on a shared machine other processes disturb it less than the
wall clock.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # after site-packages: an installed (compiled) loopsim wins

import trio
import trio.testing

import fakes
import loopsim
from fake_session import BUFSIZE, DELAY, EXPECTED, PROXY, REQUEST, SERVER2, client, servers


# -- loopsim on the fakes ------------------------------------------------------------------------------


def loopsim_session(trace: bool = False) -> None:
    """One proxy session on a fresh FakeNetwork and Loop; raises if the result is wrong."""
    net = fakes.FakeNetwork(trace=trace)
    server2 = net.listen(SERVER2)
    proxy = net.listen(PROXY)
    loop = loopsim.Loop(selector=net.selector(), clock=net.clock)
    s2, px = servers(net, server2, proxy)
    loop.spawn(s2, name="server2")
    loop.spawn(px, name="proxy")
    task = loop.spawn(client(net), name="client")
    loop.run()
    server2.close()
    proxy.close()
    if task.result() != EXPECTED or net.clock.now() < DELAY or net.open_sockets():
        raise AssertionError(f"broken loopsim session: {task.result()[:40]!r}... at t={net.clock.now()}")


# -- trio ----------------------------------------------------------------------------------------------------


async def _trio_pump(src, dst) -> None:  # type: ignore[no-untyped-def]
    while data := await src.receive_some(BUFSIZE):
        await dst.send_all(data)
    await dst.send_eof()


async def _trio_proxy(client_side, upstream) -> None:  # type: ignore[no-untyped-def]
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_trio_pump, client_side, upstream)
        nursery.start_soon(_trio_pump, upstream, client_side)
    await client_side.aclose()
    await upstream.aclose()


async def _trio_server2(conn) -> None:  # type: ignore[no-untyped-def]
    while data := await conn.receive_some(BUFSIZE):
        await trio.sleep(DELAY)
        await conn.send_all(data.upper())
    await conn.aclose()


async def _trio_client(sock, out: list) -> None:  # type: ignore[no-untyped-def,type-arg]
    for chunk in REQUEST:
        await sock.send_all(chunk)
    await sock.send_eof()
    reply = b""
    while data := await sock.receive_some(BUFSIZE):
        reply += data
    await sock.aclose()
    out.append(reply)


async def _trio_main(out: list) -> None:  # type: ignore[type-arg]
    client, proxy_in = trio.testing.memory_stream_pair()
    proxy_out, server2 = trio.testing.memory_stream_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_trio_server2, server2)
        nursery.start_soon(_trio_proxy, proxy_in, proxy_out)
        nursery.start_soon(_trio_client, client, out)


def trio_session() -> None:
    """One proxy session in a fresh trio.run with an autojumping MockClock; raises if wrong."""
    clock = trio.testing.MockClock(autojump_threshold=0)
    out: list[bytes] = []
    trio.run(_trio_main, out, clock=clock)
    if out != [EXPECTED] or clock.current_time() < DELAY:
        raise AssertionError(f"broken trio session: {out!r} at t={clock.current_time()}")


# -- measuring -------------------------------------------------------------------------------------------------


def rate(session, seconds: float) -> float:  # type: ignore[no-untyped-def]
    """Sessions per CPU second of ``session()`` run back to back for about ``seconds`` of CPU time."""
    n = 0
    batch = 10
    start = time.process_time()
    while True:
        for _ in range(batch):
            session()
        n += batch
        elapsed = time.process_time() - start
        if elapsed >= seconds:
            return n / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per measurement (default 2)")
    opts = parser.parse_args(argv)

    core = "compiled (mypyc)" if loopsim.COMPILED and fakes.COMPILED else "pure Python"
    print(f"loopsim core: {core} ({loopsim.__file__}); LOOPSIM_MYPYC=1 pip install . builds the compiled one",
          flush=True)
    candidates = {
        "loopsim": loopsim_session,
        "trio": trio_session,
        "loopsim+trace": lambda: loopsim_session(trace=True),
    }
    for session in candidates.values():  # check each once, and warm up
        for _ in range(20):
            session()
    ratios: list[float] = []
    traced: list[float] = []
    names = list(candidates)
    for r in range(opts.rounds):
        order = names if r % 2 == 0 else names[::-1]  # alternate who goes first
        rates = {name: rate(candidates[name], opts.seconds) for name in order}
        ratios.append(rates["loopsim"] / rates["trio"])
        traced.append(rates["loopsim+trace"] / rates["trio"])
        print(f"round {r + 1}: loopsim {rates['loopsim']:.0f}/s, trio {rates['trio']:.0f}/s, "
              f"loopsim+trace {rates['loopsim+trace']:.0f}/s; loopsim/trio {ratios[-1]:.2f}x, "
              f"traced/trio {traced[-1]:.2f}x", flush=True)
    median = statistics.median(ratios)
    median_traced = statistics.median(traced)
    print(f"median loopsim/trio: {median:.2f}x (target >= 10x: {'met' if median >= 10 else 'MISSED'}); "
          f"with trace=True: {median_traced:.2f}x (informational)")
    print(f"SUMMARY sim_vs_trio core={'compiled' if loopsim.COMPILED else 'python'} loopsim/trio={median:.2f}x traced/trio={median_traced:.2f}x target>=10x "
          f"{'PASS' if median >= 10 else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
