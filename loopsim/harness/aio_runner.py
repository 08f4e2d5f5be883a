# loopsim.harness.aio_runner: run an ``async def`` driver on a network's asyncio loop (fakes.aio), as run_world
# runs a generator driver. Owns: run_async_world, WatchedSelector, AsyncTaskRecorder.
# Imports: stdlib (asyncio, selectors), loopsim.loop.errors, loopsim.harness.{livelock,outcome}, fakes.aio.
"""asyncio drivers.

A driver may be ``async def driver(net, **args)``. It then runs as the task
``"main"`` of ``fakes.aio.FakeEventLoop(net)``: the stdlib's own asyncio over
the network's selector and clock, so on a simulated network it runs in
virtual time with the world's links, faults and choices, on a replay network
it answers from the script, and on a live network (``loopsim record``) it
runs on real loopback sockets. Every run ends as a generator run ends:

* every task the loop made is reported in ``outcome.tasks`` by name (``"main"``,
  the names given to ``create_task``, else ``"Task-1"``, ``"Task-2"``, ...
  counted per loop) with how it ended; an exception raised in a plain
  callback (a protocol method) is reported as a task ``"callback#n"``;
* nothing can ever happen (every task awaits, no timer, nothing in flight)
  -> :class:`~loopsim.Deadlock` naming each waiting task and its line;
* ``livelock_limit`` selects at one virtual instant -> :class:`Livelock`;
* virtual time past ``horizon`` -> :class:`HorizonPassed`;
* tasks left when the run stops are cancelled and the loop runs until they
  have finished (their ``finally`` blocks and ``async with`` exits run),
  then the loop is closed.
"""

from __future__ import annotations

import asyncio
import selectors
from typing import Any, Callable, Mapping

from loopsim.loop.errors import Deadlock
from .livelock import HorizonPassed, Livelock
from .outcome import TaskOutcome

__all__ = ["run_async_world", "WatchedSelector", "AsyncTaskRecorder"]


class WatchedSelector(selectors.BaseSelector):
    """A selector that delegates to ``inner`` and checks, after each ``select``, that the run may go on.

    ``clock`` is the network's (``peek`` is used if it has one, so a replay reads no recorded step).
    """

    def __init__(self, inner: selectors.BaseSelector, clock: Any, horizon: float | None, livelock_limit: int | None,
                 pending: Callable[[], str]) -> None:
        self.inner = inner
        self.now = getattr(clock, "peek", clock.now)
        self.horizon = horizon
        self.limit = livelock_limit
        self.pending = pending  # who is still running, for the error messages
        self.armed = True
        self._instant = self.now()
        self._selects = 0

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self.inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self.inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self.inner.modify(fileobj, events, data)

    def get_key(self, fileobj: Any) -> selectors.SelectorKey:
        return self.inner.get_key(fileobj)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self.inner.get_map()

    def close(self) -> None:
        self.inner.close()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        import fakes

        try:
            events = self.inner.select(timeout)
        except fakes.WouldBlockForever as exc:
            if not self.armed:
                raise
            self.armed = False
            raise Deadlock(f"deadlock: every asyncio task waits and nothing can ever wake one (no timer, "
                           f"nothing in flight): {self.pending()}", []) from exc
        if self.armed:
            self._check()
        return events

    def _check(self) -> None:
        now = self.now()
        if self.horizon is not None and now > self.horizon:
            self.armed = False
            raise HorizonPassed(
                f"the run passed its virtual-time horizon: t={now:.6f} s > {self.horizon:g} s and it has not ended "
                f"({self.pending()}); raise [limits] seconds if the run is meant to last longer")
        if now != self._instant:
            self._instant, self._selects = now, 0
            return
        self._selects += 1
        if self.limit is not None and self._selects >= self.limit:
            self.armed = False
            raise Livelock(f"livelock: {self._selects} asyncio loop iterations at virtual time {now:.6f} without "
                           f"the clock advancing (a busy-wait, e.g. `while not done: await asyncio.sleep(0)`?): "
                           f"{self.pending()}")


def _where(task: asyncio.Task[Any]) -> str:
    frames = task.get_stack()
    if not frames:
        return "not started"
    frame = frames[-1]
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"


class AsyncTaskRecorder:
    """Notes every task a loop makes (``loop.on_task``) and how each ended, and the errors of callbacks."""

    def __init__(self) -> None:
        self.made: list[asyncio.Task[Any]] = []
        self.ended: dict[str, TaskOutcome] = {}
        self.callback_errors = 0
        self.cleaning = False  # the run is over: the tasks left are being cancelled

    def on_task(self, task: asyncio.Task[Any]) -> None:
        self.made.append(task)
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[Any]) -> None:
        name = task.get_name()
        if task.cancelled():
            self.ended[name] = TaskOutcome(name, "cancelled")
            return
        exc = task.exception()  # marks it retrieved: asyncio does not log it again
        self.ended[name] = TaskOutcome(name, "ok") if exc is None else TaskOutcome(name, type(exc).__name__, str(exc))

    def on_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """The loop's exception handler: an error no task owns (a callback, a protocol method)."""
        exc = context.get("exception")
        if "task" in context or ("future" in context and exc is None):
            return  # a task's own unretrieved error: the task is reported already
        if self.cleaning and isinstance(exc, asyncio.CancelledError):
            return  # Python 3.11's start_server callback on a task the cleanup cancelled (fixed in 3.12)
        self.callback_errors += 1
        name = f"callback#{self.callback_errors}"
        status = type(exc).__name__ if exc is not None else "error"
        self.ended[name] = TaskOutcome(name, status, str(exc) if exc is not None else str(context.get("message")))

    def pending(self) -> str:
        waiting = [t for t in self.made if not t.done()]
        if not waiting:
            return "no task left"
        return "; ".join(f"task {t.get_name()!r} waits at {_where(t)}" for t in waiting)


def run_async_world(coro: Any, net: Any, horizon: float | None, livelock_limit: int | None
                    ) -> tuple[AsyncTaskRecorder, asyncio.Task[Any] | None, BaseException | None]:
    """Run the coroutine ``coro`` (the driver called with its args) as task "main" on ``net``'s asyncio loop.

    Returns the recorder, the main task and what stopped the run early (a Deadlock, Livelock,
    HorizonPassed, ``fakes.Divergence`` or SystemExit), if anything did; the main task is None when the
    loop itself could not be made (a replayed script that diverges at the loop's self-pipe). Other
    exceptions out of the loop are raised (a bug in loopsim or the fakes).
    """
    import fakes
    from fakes.aio import FakeEventLoop

    recorder = AsyncTaskRecorder()
    watched = WatchedSelector(net.selector(), net.clock, horizon, livelock_limit, recorder.pending)
    try:
        loop = FakeEventLoop(net, selector=watched)
    except fakes.Divergence as exc:
        coro.close()  # never started: no "coroutine was never awaited" at garbage collection
        return recorder, None, exc
    loop.on_task = recorder.on_task
    loop.set_exception_handler(recorder.on_error)
    error: BaseException | None = None
    try:
        main = loop.create_task(coro, name="main")
        try:
            loop.run_until_complete(main)
        except (Deadlock, Livelock, HorizonPassed, fakes.Divergence, SystemExit) as exc:
            error = exc
        except BaseException:
            if main.done():  # the main task's own exception: reported in outcome.tasks
                pass
            else:
                raise
        _finish(loop, recorder, watched)
    finally:  # also when something else stops the loop (hypothesis ending an example mid-run)
        _close_pending(recorder)
        loop.close()
    return recorder, main, error


def _finish(loop: asyncio.AbstractEventLoop, recorder: AsyncTaskRecorder, watched: WatchedSelector) -> None:
    """Cancel the tasks left and let them run their cleanups (as ``asyncio.run`` does), then finish async
    generators. Once the run has stopped, a second stop (the same deadlock, the script's divergence) ends it."""
    import fakes

    watched.armed = False
    recorder.cleaning = True
    left = [t for t in recorder.made if not t.done()]
    for task in left:
        task.cancel()
    try:
        if left:
            loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
    except (fakes.WouldBlockForever, fakes.Divergence, SystemExit, Deadlock):
        pass  # the cleanups themselves wait forever or leave the script: what they closed is closed


def _close_pending(recorder: AsyncTaskRecorder) -> None:
    """Close the coroutines of tasks still pending (a cleanup waiting forever, e.g. to flush to a black
    hole) while the loop is open, rather than at garbage collection after it is closed."""
    for task in recorder.made:
        if not task.done():
            try:
                task.get_coro().close()  # type: ignore[union-attr]
            except RuntimeError:
                pass  # "coroutine ignored GeneratorExit": its finally block awaited again
