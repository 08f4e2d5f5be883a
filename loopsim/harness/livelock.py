# loopsim.harness.livelock: runs that would never end in virtual time - busy-waits (the clock never moves) and
# runs past the virtual-time horizon. Owns: Livelock, LivelockGuard, SpinWatch, HorizonPassed, HorizonGuard. Imports: loopsim loop layer (errors, instruments, task).
"""In virtual time a task that busy-waits - the seed's bare ``yield sock`` on a
socket that is writable while the code wants to read - never lets the clock
advance: the run would spin forever. Two detectors stop it with
:class:`Livelock`:

* :class:`SpinWatch` sits in the network's trace hook and notices one socket
  answering ``EAGAIN`` to ``recv`` ``spin_limit`` times in a row at one
  virtual instant (a correct program waits for readability first, and a fake
  socket reported readable always has data or EOF); the guard then stops the
  run right after the step of the task that spun, naming task, socket and line.
* :class:`LivelockGuard` also counts task resumes at one virtual instant and
  stops after ``limit`` of them, whatever the cause.

Both look only at what the fakes answered, so a simulation and its strict
replay stop at the same step.

A run whose clock keeps advancing (a task that sleeps in a loop forever, a
server waiting for clients that never come while a timer ticks) is stopped by
:class:`HorizonGuard` with :class:`HorizonPassed` once virtual time passes the
scenario's horizon (``[limits] seconds``, a day by default).
"""

from __future__ import annotations

from typing import Any

from loopsim.loop.errors import AppError
from loopsim.loop.instruments import Instrument
from loopsim.loop.task import Task

__all__ = ["Livelock", "LivelockGuard", "SpinWatch", "HorizonPassed", "HorizonGuard", "DEFAULT_LIMIT", "SPIN_LIMIT"]

DEFAULT_LIMIT = 100_000
SPIN_LIMIT = 10


class Livelock(AppError):
    """Tasks kept running at one virtual instant without the clock ever advancing."""


class HorizonPassed(AppError):
    """The run's virtual time passed the horizon its scenario allows (``[limits] seconds``)."""


class HorizonGuard(Instrument):
    """Raise :class:`HorizonPassed` when a select leaves the clock past ``horizon`` virtual seconds.

    Virtual time moves only in ``select`` (the fake selector jumps it), so one look after each
    select is enough; it costs one clock read per tick."""

    def __init__(self, clock: Any, horizon: float) -> None:
        self.now = getattr(clock, "peek", clock.now)
        self.horizon = horizon

    def after_io_wait(self, events: Any) -> None:
        now = self.now()
        if now > self.horizon:
            raise HorizonPassed(
                f"the run passed its virtual-time horizon: t={now:.6f} s > {self.horizon:g} s and it has not ended "
                "(a task that waits or sleeps forever while time advances?); raise [limits] seconds if the run "
                "is meant to last longer")


class SpinWatch:
    """A trace hook (``net.trace``) that passes events on to ``inner`` and watches for EAGAIN streaks."""

    __slots__ = ("inner", "clock", "limit", "spinning", "_streaks")

    def __init__(self, clock: Any, inner: Any = None, limit: int = SPIN_LIMIT) -> None:
        self.inner = inner
        self.clock = clock
        self.limit = limit
        self.spinning: tuple[str, int, float] | None = None
        self._streaks: dict[str, tuple[float, int]] = {}

    def add(self, sock: str, op: str, args: tuple[Any, ...], result: Any) -> None:
        if self.inner is not None:
            self.inner.add(sock, op, args, result)
        if op == "recv":
            if result == "EAGAIN":
                now = getattr(self.clock, "peek", self.clock.now)()
                t, count = self._streaks.get(sock, (now, 0))
                count = count + 1 if t == now else 1
                self._streaks[sock] = (now, count)
                if count >= self.limit and self.spinning is None:
                    self.spinning = (sock, count, now)
            elif sock in self._streaks:
                del self._streaks[sock]

    # The trace interface, for whoever reads net.trace.
    @property
    def events(self) -> list[Any]:
        return self.inner.events if self.inner is not None else []

    def tail(self, n: int = 20) -> list[Any]:
        return self.inner.tail(n) if self.inner is not None else []

    def to_text(self, last: int | None = None) -> str:
        return self.inner.to_text(last) if self.inner is not None else ""

    def __len__(self) -> int:
        return len(self.inner) if self.inner is not None else 0


class LivelockGuard(Instrument):
    """Raise :class:`Livelock` on a busy-wait (see :class:`SpinWatch`) or after ``limit`` resumes at one instant."""

    def __init__(self, clock: Any, limit: int = DEFAULT_LIMIT, watch: SpinWatch | None = None) -> None:
        self.clock = clock
        self.now = getattr(clock, "peek", clock.now)
        self.limit = limit
        self.watch = watch
        self.instant = self.now()
        self.steps = 0
        self.per_task: dict[str, list[Any]] = {}

    def after_task_step(self, task: Task) -> None:
        watch = self.watch
        if watch is not None and watch.spinning is not None:
            sock, count, t = watch.spinning
            raise Livelock(
                f"livelock: task {task.name!r} at {task.where()} busy-waits: recv on {sock!r} answered EAGAIN "
                f"{count} times in a row at virtual time {t:.6f}, and the clock cannot advance while it spins "
                "(a task woken while its socket is not readable - e.g. a bare `yield sock` wakes on writable - "
                "should wait with loopsim.wait_readable or loopsim.recv)")

    def before_task_step(self, task: Task) -> None:
        self.steps += 1
        if self.steps < self.limit // 2:
            return
        now = self.now()
        if now != self.instant:
            self.instant, self.steps = now, 0
            self.per_task.clear()
            return
        entry = self.per_task.setdefault(task.name, [0, task])
        entry[0] += 1
        if self.steps >= self.limit:
            busiest = sorted(self.per_task.items(), key=lambda kv: (-kv[1][0], kv[0]))[:3]
            who = "; ".join(f"task {name!r} resumed {count} times, at {t.where()}" for name, (count, t) in busiest)
            raise Livelock(f"livelock: {self.steps} task resumes at virtual time {now:.6f} without the clock "
                           f"advancing (a busy-wait?): {who}")
