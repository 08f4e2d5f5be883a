# loopsim.harness.record: run a driver live on loopback and save the run as a replayable scenario.
# Owns: record_scenario, Recorded, RECEIVED_LIMIT. Imports: loopsim.loop.errors,
# loopsim.harness.{runner,scenario}, fakes.live (LiveNetwork).
"""Live recording: the kernel's answers become a scenario's script.

The driver runs on :class:`fakes.live.LiveNetwork` (real sockets on
127.0.0.1, a real selector, the monotonic clock, all recording). The
scenario written holds the whole trace as its ``[[script]]``, and as
expectations what the live run produced: the driver's result, how tasks
ended, what each socket received (up to ``RECEIVED_LIMIT`` bytes a socket)
and whether every socket was closed. It is then replayed on the fakes to
check that it reproduces.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from typing import Any

from loopsim.loop.errors import InputError
from .runner import resolve_driver, run_scenario, run_world
from .scenario import Expect, Scenario, dump_scenario, load_scenario

__all__ = ["record_scenario", "Recorded", "RECEIVED_LIMIT"]

RECEIVED_LIMIT = 256


@dataclass
class Recorded:
    """What ``record_scenario`` wrote: the file, the number of script steps and the replay's verdict."""

    path: str
    steps: int
    replay_status: str


def _scalar_items(result: Any) -> dict[str, Any]:
    if not isinstance(result, dict):
        return {}
    return {str(k): v for k, v in result.items() if isinstance(v, (bool, int, float, str))}


def record_scenario(driver_spec: str, args: dict[str, Any], out: str, name: str | None = None) -> Recorded:
    """Run ``driver_spec`` live with ``args``, write the scenario to ``out``, replay it; see the module doc."""
    from fakes.live import LiveNetwork

    driver = resolve_driver(driver_spec)
    if os.path.isdir(out):
        raise InputError(f"--out {out!r} is a directory; give a file name such as {out}/recorded.toml")
    folder = os.path.dirname(out) or "."
    if not os.path.isdir(folder):  # checked before the live run, not after it
        raise InputError(f"--out {out!r}: no such folder {folder!r}")
    if not os.access(folder, os.W_OK):
        raise InputError(f"--out {out!r}: cannot write in the folder {folder!r}")
    net = LiveNetwork()
    try:
        outcome = run_world(driver, args, net, name or driver_spec, livelock_limit=None)
    finally:
        net.close()
    received = {k: v for k, v in outcome.received.items() if len(v) <= RECEIVED_LIMIT}
    tasks = {t.name: t.status for t in outcome.tasks.values() if t.status != "ok"}
    expect = Expect(received=received, result=_scalar_items(outcome.result), tasks=tasks,
                    sockets_closed=not outcome.open_sockets)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    scenario = Scenario(
        path=out, name=name or os.path.splitext(os.path.basename(out))[0],
        description=f"recorded live on loopback from {driver_spec} at {when}; replays the kernel's answers",
        driver=driver_spec, args=dict(args), expect=expect, script=tuple(outcome.trace.events))
    try:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(dump_scenario(scenario))
    except OSError as exc:
        raise InputError(f"--out {out!r}: cannot write it: {exc.strerror or exc}") from None
    result = run_scenario(load_scenario(out))
    return Recorded(out, len(scenario.script or ()), result.status)
