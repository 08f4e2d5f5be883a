# loopsim.loop: the event loop - one run loop that resumes the tasks whose sockets are ready.
# Owns: Loop, run. Imports: stdlib, loopsim.{errors,requests,task,clock,instruments}.
# Never imports fakes, pytest or hypothesis: the selector and clock are injected.
"""The generator event loop.

One tick (:meth:`Loop._tick`), as in asyncio's ``_run_once``:

1. apply the interest changes the last batch made (register/modify/unregister
   only the sockets whose waiters changed);
2. ``select`` with a timeout: 0 if a task is ready, else until the next timer;
3. wake the tasks whose sockets ``select`` reported (found through the
   selector key's ``data``, never by scanning the waiters);
4. wake the tasks whose timers are due (a heap);
5. run the batch that was ready at the start of this step, and no more.

A tick costs in proportion to what is ready, not to what is waiting.
"""

from __future__ import annotations

import heapq
import math
import selectors
import time
from collections import deque
from typing import Any, Callable, Generator, Iterable

from ._compiled import mypyc_attr
from .clock import MonotonicClock
from .errors import BadRequest, Cancelled, Deadlock, UsageError
from .instruments import Hooks, Instrument
from .registrations import Interest
from .deadlock import deadlock_error, log_unobserved
from .requests import CurrentTask, Join, Now, OpenScope, Sleep, Spawn, WaitEither, WaitRead, WaitWrite
from .task import Scope, Task
from .waits import Reg as _Reg
from .waits import Timer as _Timer
from .waits import describe_socket

__all__ = ["Loop", "run", "describe_socket"]

EVENT_READ = selectors.EVENT_READ
EVENT_WRITE = selectors.EVENT_WRITE

_PARK = object()  # a handler's answer meaning "the task waits; do not resume it now"

try:  # what EpollSelector.select makes of epoll's event bits
    import select as _select_mod

    _EPOLL_NOT_IN = ~_select_mod.EPOLLIN
    _EPOLL_NOT_OUT = ~_select_mod.EPOLLOUT
except AttributeError:  # pragma: no cover - no epoll on this platform
    _EPOLL_NOT_IN = _EPOLL_NOT_OUT = 0

# Timers due within this much of now fire now (the clock's resolution, as in asyncio).
_RESOLUTION = 1e-9

# A kernel does not tell anyone when a registered socket is closed (epoll just forgets it),
# so after tasks ran the loop checks its awaited sockets for closed ones, at most this often
# (seconds of clock time): amortised, a few fileno() calls per second per awaited socket.
_SWEEP_EVERY = 0.1


@mypyc_attr(allow_interpreted_subclasses=True)
class Loop(Interest):
    """A generator event loop over an injected selector and clock.

    ``Loop(selector=None, clock=None, instruments=())``: the defaults are a
    ``selectors.DefaultSelector()`` (owned and closed by the loop) and
    :class:`~loopsim.MonotonicClock`.
    """

    def __init__(
        self,
        selector: selectors.BaseSelector | None = None,
        clock: Any = None,
        instruments: Iterable[Instrument] = (),
    ) -> None:
        self._owns_selector = selector is None
        self.selector: selectors.BaseSelector = selectors.DefaultSelector() if selector is None else selector
        self.clock = MonotonicClock() if clock is None else clock
        if not callable(getattr(self.clock, "now", None)):
            raise TypeError(f"clock {self.clock!r} has no now() method; a clock is any object with now() -> float")
        self._hooks = Hooks(instruments)
        self._before_step = self._hooks.before_task_step  # the per-step hooks, usually empty lists
        self._after_step = self._hooks.after_task_step
        self._ready: deque[Task] = deque()
        self._timers: list[tuple[float, int, _Timer]] = []
        self._regs: dict[Any, _Reg] = {}
        self._dirty: list[_Reg] = []
        self._tasks: dict[int, Task] = {}  # live tasks, in spawn order
        self._failed: list[Task] = []  # tasks that raised, to report if nobody looked
        self._seq = 0
        self._current: Task | None = None
        self._running = False
        self._closed = False
        # When the next check for sockets closed under a waiter is due (None: no task ran since).
        self._sweep_due: float | None = None
        self._unswept = 0  # task steps since the last check, with a virtual clock
        # Only a real clock caps select() for that check; a virtual clock is never jumped for it.
        self._real_time = isinstance(self.clock, MonotonicClock)
        # The stdlib EpollSelector's select() makes a Python method call and a tuple per ready fd; for
        # exactly that class (not a subclass, no io-wait instrument) the loop polls its epoll object itself.
        self._epoll: tuple[Any, dict[int, selectors.SelectorKey]] | None = None
        if (type(self.selector) is getattr(selectors, "EpollSelector", None) and not self._hooks.before_io_wait
                and not self._hooks.after_io_wait):
            epoll: Any = getattr(self.selector, "_selector", None)
            fd_to_key = getattr(self.selector, "_fd_to_key", None)
            if hasattr(epoll, "poll") and isinstance(fd_to_key, dict):
                self._epoll = (epoll.poll, fd_to_key)
        # Every clock read goes through _now: the clock's now(), or for the real clock the C function behind it.
        self._now: Callable[[], float] = time.monotonic if type(self.clock) is MonotonicClock else self.clock.now

    # -- public API -------------------------------------------------------------

    def spawn(self, gen: Generator[Any, Any, Any], name: str | None = None) -> Task:
        """Schedule ``gen`` as a new task and return it."""
        if not (hasattr(gen, "send") and hasattr(gen, "throw")):
            hint = " (did you pass the function instead of calling it?)" if callable(gen) else ""
            raise TypeError(f"spawn() needs a generator object, got {gen!r}{hint}")
        self._seq += 1
        if name is None:
            name = f"{getattr(gen, '__name__', 'task')}-{self._seq}"
        task = Task(gen, name, self, self._seq)
        self._tasks[self._seq] = task
        self._ready.append(task)
        for hook in self._hooks.task_spawned:
            hook(task)
        return task

    def run(self) -> None:
        """Run until no task is left. Task errors are logged, not raised."""
        self._run(None)

    def run_until_complete(self, gen: Generator[Any, Any, Any]) -> Any:
        """Spawn ``gen``, run until it finishes, return its value or raise its error."""
        task = self.spawn(gen)
        self._run(task)
        return task.result()

    def tasks(self) -> list[Task]:
        """The live tasks, in the order they were spawned."""
        return list(self._tasks.values())

    def close(self) -> None:
        """Close the selector if the loop created it."""
        if not self._closed:
            self._closed = True
            if self._owns_selector:
                self.selector.close()

    def __enter__(self) -> Loop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the run loop -------------------------------------------------------------

    def _run(self, until: Task | None) -> None:
        if self._running:
            raise UsageError("the loop is already running; use yield from loopsim.spawn(...) inside a task")
        if self._closed:
            raise UsageError("the loop is closed; create a new Loop")
        self._running = True
        for hook in self._hooks.before_run:
            hook()
        try:
            while self._tasks and (until is None or not until._done):
                self._tick()
        finally:
            self._running = False
            if until is not None and until._done:
                until._observed = True  # run_until_complete/run hand its error to the caller
            for hook in self._hooks.after_run:
                hook()
            self._report_unobserved()

    def _tick(self) -> None:
        """One iteration: sync interest, select, wake the waiters of what is ready, fire timers, run the batch."""
        ready = self._ready
        if self._dirty:
            self._sync_interest()
        timeout = 0.0 if ready else self._wait_time()
        dirty = self._dirty
        raw = self._epoll is not None
        events: Any
        key: Any
        if raw:  # (fd, epoll bits) pairs, turned into (key, mask) below as EpollSelector.select would
            events = self._poll_epoll(timeout)
            get_key = self._epoll[1].get  # type: ignore[index]
        else:
            events = self._select(timeout)
        for key, mask in events:  # wake the waiters of the ready sockets (the hot path)
            if raw:
                key = get_key(key)
                if key is None:
                    continue
                mask = ((EVENT_WRITE if mask & _EPOLL_NOT_IN else 0)
                        | (EVENT_READ if mask & _EPOLL_NOT_OUT else 0)) & key.events
            reg = key.data
            reader = reg.reader
            if mask & EVENT_READ and reader is not None:
                reg.reader = None
                if reg.writer is reader:
                    reg.writer = None
                reader._wait = None
                ready.append(reader)
                if not reg.dirty:
                    reg.dirty = True
                    dirty.append(reg)
            writer = reg.writer
            if mask & EVENT_WRITE and writer is not None:
                reg.writer = None
                if reg.reader is writer:  # a bare `yield sock` waiter, woken by writability
                    reg.reader = None
                writer._wait = None
                ready.append(writer)
                if not reg.dirty:
                    reg.dirty = True
                    dirty.append(reg)
        if self._timers:
            self._fire_timers()
        n = len(ready)
        if n:
            self._note_steps(n)
            self._run_batch(n)

    def _wait_time(self) -> float | None:
        """No task is ready: how long select may wait (reads the clock at most once)."""
        now = None
        sweep_due = self._sweep_due
        if sweep_due is not None and self._regs:
            now = self._now()
            if now >= sweep_due:
                self._sweep_closed()
                sweep_due = None
        if self._ready:
            return 0.0  # the sweep woke a waiter of a closed socket
        if self._timers and self._drop_dead_timers():
            if now is None:
                now = self._now()
            timeout: float | None = max(0.0, self._timers[0][0] - now)
        elif self._regs:
            timeout = None
        else:
            raise self._deadlock("no task is ready, no timer is set and no socket is awaited")
        if sweep_due is not None and now is not None and self._real_time:
            left = max(0.0, sweep_due - now)  # do not sleep through the sweep
            if timeout is None or left < timeout:
                timeout = left
        return timeout

    def _note_steps(self, n: int) -> None:
        """``n`` tasks are about to run: schedule the check for sockets closed under a waiter."""
        if self._real_time:  # a real clock: at most every 0.1 s
            if self._sweep_due is None:
                self._sweep_due = self._now() + _SWEEP_EVERY
        else:  # a virtual clock: once per as many task steps as sockets awaited (O(1) a step)
            self._unswept += n
            if self._unswept >= len(self._regs):
                self._unswept = 0
                self._sweep_closed()

    def _poll_epoll(self, timeout: float | None) -> list[tuple[int, int]]:
        """The raw ``(fd, epoll events)`` of what ``EpollSelector.select(timeout)`` would report (see ``_epoll``)."""
        poll, fd_to_key = self._epoll  # type: ignore[misc]
        if timeout is None:
            t = -1.0
        elif timeout <= 0:
            t = 0.0
        else:
            t = math.ceil(timeout * 1e3) * 1e-3  # as EpollSelector: round up to the millisecond
        try:
            return poll(t, len(fd_to_key) or 1)
        except InterruptedError:
            return []

    def _select(self, timeout: float | None) -> list[tuple[selectors.SelectorKey, int]]:
        hooks = self._hooks
        for hook in hooks.before_io_wait:
            hook(timeout)
        try:
            events = self.selector.select(timeout)
        except Exception as exc:
            if getattr(exc, "would_block_forever", False):
                self._sweep_closed()  # a waiter of a closed socket is told, not reported as deadlocked
                if self._ready:
                    return []
                deadlock = self._deadlock(str(exc))
                deadlock.__cause__ = exc  # (`raise ... from` loses the cause in the compiled build)
                raise deadlock
            raise
        for hook in hooks.after_io_wait:
            hook(events)
        return events

    def _drop_dead_timers(self) -> bool:
        """Pop cancelled sleeps and closed scopes off the top of the heap; True if a live timer is left.

        A stale deadline must not make the loop wait (or a Deadlock report wait) for nothing.
        """
        timers = self._timers
        while timers:
            timer = timers[0][2]
            target = timer.target
            if timer.cancelled or (isinstance(target, Scope) and target.closed):
                heapq.heappop(timers)
            else:
                return True
        return False

    def _fire_timers(self) -> None:
        timers = self._timers
        deadline = self._now() + _RESOLUTION
        while timers and timers[0][0] <= deadline:
            timer = heapq.heappop(timers)[2]
            if timer.cancelled:
                continue
            target = timer.target
            if isinstance(target, Scope):
                if not target.closed:
                    target.fired = True
                    self._cancel(target.task, Cancelled(
                        f"deadline of {target.seconds}s passed in task {target.task.name!r}", scope=target))
            elif target._wait is timer:
                target._wait = None
                self._ready.append(target)

    def _run_batch(self, n: int) -> None:
        """Resume the first ``n`` ready tasks in turn, serving each one's requests until it parks or ends.

        One method for the whole batch rather than one call per task: this is the hot path.
        """
        ready = self._ready
        handlers = _HANDLERS
        regs = self._regs
        before, after = self._before_step, self._after_step
        for _ in range(n):
            task = ready.popleft()
            send, throw = task._send, task._throw
            task._send = task._throw = None
            self._current = task
            if before:
                for hook in before:
                    hook(task)
            try:
                while True:
                    try:
                        request = task._resume(send) if throw is None else task.gen.throw(throw)
                    except StopIteration as stop:
                        self._finish(task, stop.value, None)
                        break
                    except (Exception, Cancelled) as exc:  # the task failed: the others go on
                        self._finish(task, None, exc)
                        break
                    except BaseException as exc:  # KeyboardInterrupt, SystemExit, a test runner's stop
                        self._finish(task, None, exc)
                        raise
                    if task._pending_cancel is not None:
                        send, throw, task._pending_cancel = None, task._pending_cancel, None
                        continue
                    if type(request) is WaitRead:  # the commonest request: _on_WaitRead's usual case, inlined
                        sock = request.sock
                        reg = regs.get(sock)
                        if reg is not None and reg.reader is None and sock.fileno() >= 0:
                            reg.reader = task
                            task._wait = reg
                            if not reg.mask & EVENT_READ and not reg.dirty:
                                reg.dirty = True
                                self._dirty.append(reg)
                            break
                    handler = handlers.get(type(request), Loop._on_other)
                    try:
                        send, throw = handler(self, task, request), None
                    except BaseException as exc:  # a handler raises only what the task should see
                        send, throw = None, exc
                        continue
                    if send is _PARK:
                        break
            finally:
                self._current = None
                if after:
                    for hook in after:
                        hook(task)

    def _finish(self, task: Task, result: Any, exc: BaseException | None) -> None:
        task._done = True
        task._result = result
        task._exception = exc
        del self._tasks[task._seq]
        joiners, task._joiners = task._joiners, None
        for joiner in joiners or ():
            task._observed = True
            joiner._wait = None
            if exc is None:
                joiner._send = result
            elif isinstance(exc, Cancelled):
                joiner._throw = Cancelled(f"joined task {task.name!r} was cancelled")
            else:
                joiner._throw = exc
            self._ready.append(joiner)
        if exc is not None and not isinstance(exc, Cancelled):
            self._failed.append(task)
        for hook in self._hooks.task_exited:
            hook(task)

    # -- request handlers: each returns the value to send back, or _PARK --------------

    def _on_WaitRead(self, task: Task, req: WaitRead) -> Any:
        sock = req.sock
        reg = self._regs.get(sock)
        if reg is None or sock.fileno() < 0:  # first wait on it, or closed: the checks in _reg_for
            reg = self._reg_for(task, sock)
        if reg.reader is not None:
            raise self._conflict(task, reg.reader, sock, "read")
        reg.reader = task
        task._wait = reg
        if not reg.mask & EVENT_READ and not reg.dirty:
            reg.dirty = True
            self._dirty.append(reg)
        return _PARK

    def _on_WaitWrite(self, task: Task, req: WaitWrite) -> Any:
        sock = req.sock
        reg = self._regs.get(sock)
        if reg is None or sock.fileno() < 0:
            reg = self._reg_for(task, sock)
        if reg.writer is not None:
            raise self._conflict(task, reg.writer, sock, "write")
        reg.writer = task
        task._wait = reg
        if not reg.mask & EVENT_WRITE and not reg.dirty:
            reg.dirty = True
            self._dirty.append(reg)
        return _PARK

    def _on_WaitEither(self, task: Task, req: WaitEither) -> Any:
        reg = self._reg_for(task, req.sock)
        other = reg.reader or reg.writer
        if other is not None:
            raise self._conflict(task, other, req.sock, "read or write")
        reg.reader = reg.writer = task
        return self._park_io(task, reg, EVENT_READ | EVENT_WRITE)

    def _on_Sleep(self, task: Task, req: Sleep) -> Any:
        seconds = req.seconds
        if seconds <= 0:
            self._ready.append(task)  # a bare checkpoint: let the other ready tasks run
            return _PARK
        timer = self._add_timer(self._now() + seconds, task)
        task._wait = timer
        return _PARK

    def _on_Spawn(self, task: Task, req: Spawn) -> Any:
        return self.spawn(req.gen, req.name)

    def _on_Join(self, task: Task, req: Join) -> Any:
        target = req.task
        if target is task:
            raise UsageError(f"task {task.name!r} tried to join itself, which would never finish")
        if not isinstance(target, Task):
            raise BadRequest(f"task {task.name!r}: join() needs a Task, got {target!r}")
        if target._done:
            target._observed = True
            if isinstance(target._exception, Cancelled):
                raise Cancelled(f"joined task {target.name!r} was cancelled")
            if target._exception is not None:
                raise target._exception
            return target._result
        if target._joiners is None:
            target._joiners = [task]
        else:
            target._joiners.append(task)
        task._wait = target
        return _PARK

    def _on_Now(self, task: Task, req: Now) -> Any:
        return self._now()

    def _on_CurrentTask(self, task: Task, req: CurrentTask) -> Any:
        return task

    def _on_OpenScope(self, task: Task, req: OpenScope) -> Any:
        scope = Scope(task, self._now() + req.seconds, req.seconds)
        self._add_timer(scope.deadline, scope)
        return scope

    def _on_other(self, task: Task, value: Any) -> Any:
        if hasattr(value, "fileno"):  # the seed's bare `yield sock`
            return self._on_WaitEither(task, WaitEither(value))
        raise BadRequest(
            f"task {task.name!r} yielded {value!r}, which the loop does not understand; "
            "use `yield from` with a loopsim operation (recv, send, sleep, ...) or yield a socket")

    # -- helpers of the handlers ---------------------------------------------------------

    def _reg_for(self, task: Task, sock: Any) -> _Reg:
        reg = self._regs.get(sock)
        try:
            fd = sock.fileno()
        except Exception:
            raise BadRequest(f"task {task.name!r} waited on {sock!r}, which is not a socket (no usable fileno())") from None
        if fd < 0:
            raise UsageError(f"task {task.name!r} waited on {describe_socket(sock)}, which is closed")
        if reg is None:
            reg = self._regs[sock] = _Reg(sock, fd)
        return reg

    def _park_io(self, task: Task, reg: _Reg, event: int) -> Any:
        task._wait = reg
        if reg.mask & event != event and not reg.dirty:
            reg.dirty = True
            self._dirty.append(reg)
        return _PARK

    def _conflict(self, task: Task, other: Task, sock: Any, what: str) -> UsageError:
        return UsageError(
            f"task {task.name!r} and task {other.name!r} both wait to {what} {describe_socket(sock)}; "
            "only one task may wait for each direction of a socket at a time")

    def _add_timer(self, when: float, target: Task | Scope) -> _Timer:
        timer = _Timer(when, target)
        self._seq += 1
        heapq.heappush(self._timers, (when, self._seq, timer))
        return timer

    # -- cancellation ------------------------------------------------------------------

    def _cancel(self, task: Task, exc: Cancelled) -> None:
        if task._done:
            return
        if task is self._current:
            if task._pending_cancel is None:
                task._pending_cancel = exc
            return
        wait = task._wait
        if wait is not None:
            self._unwait(task, wait)
            task._wait = None
            self._ready.append(task)
        elif isinstance(task._throw, Cancelled):
            # A cancellation is already on its way (a deadline, or an earlier cancel):
            # deliver this one at the task's next yield rather than lose either.
            if task._pending_cancel is None:
                task._pending_cancel = exc
            return
        task._send, task._throw = None, exc  # a ready task gets it instead of its value

    def _unwait(self, task: Task, wait: Any) -> None:
        if isinstance(wait, _Reg):
            if wait.reader is task:
                wait.reader = None
            if wait.writer is task:
                wait.writer = None
            if not wait.dirty:
                wait.dirty = True
                self._dirty.append(wait)
        elif isinstance(wait, _Timer):
            wait.cancelled = True
        elif isinstance(wait, Task) and wait._joiners is not None:
            wait._joiners.remove(task)

    # -- reports -----------------------------------------------------------------------

    def _deadlock(self, reason: str) -> Deadlock:
        return deadlock_error(self._tasks.values(), reason)

    def _report_unobserved(self) -> None:
        failed, self._failed = self._failed, []
        log_unobserved(failed)


# Each request type's handler: a plain method of Loop (a class-level table, so a Loop holds no
# bound methods of itself and is freed by reference counting when a run ends).
_HANDLERS: dict[type, Callable[[Loop, Task, Any], Any]] = {
    WaitRead: Loop._on_WaitRead,
    WaitWrite: Loop._on_WaitWrite,
    WaitEither: Loop._on_WaitEither,
    Sleep: Loop._on_Sleep,
    Spawn: Loop._on_Spawn,
    Join: Loop._on_Join,
    Now: Loop._on_Now,
    CurrentTask: Loop._on_CurrentTask,
    OpenScope: Loop._on_OpenScope,
}


def run(gen: Generator[Any, Any, Any], *, selector: selectors.BaseSelector | None = None, clock: Any = None) -> Any:
    """Run ``gen`` on a new loop until it finishes and return its value (or raise its error).

    Tasks it spawned that are still running afterwards are cancelled and run
    to the end of their ``finally`` blocks, as ``asyncio.run`` does.
    """
    loop = Loop(selector=selector, clock=clock)
    try:
        main = loop.spawn(gen)
        loop._run(main)
        leftovers = loop.tasks()
        for task in leftovers:
            task.cancel()
        if leftovers:
            loop._run(None)
        return main.result()
    finally:
        loop.close()
