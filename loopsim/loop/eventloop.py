# loopsim.loop.eventloop: the event loop - one run loop that resumes the tasks whose sockets are ready.
# Owns: Loop, run. Imports: stdlib, loopsim.loop.{_compiled,clock,deadlock,durations,epoll,errors,instruments,
# registrations,requests,scheduling,task,waits}. Never fakes, pytest or hypothesis: the selector, clock and
# scheduling policy are injected.
"""The generator event loop.

One tick (:meth:`Loop._tick`), as in asyncio's ``_run_once``:

1. apply the interest changes the last batch made (``Registrations.sync``:
   register/modify/unregister only the sockets whose waiters changed);
2. ``select`` with a timeout: 0 if a task is ready, else until the next timer
   (on the loop's own epoll selector, its raw ``poll``);
3. wake the tasks whose sockets are ready (found through the selector key's
   ``data``, a ``SocketWaiters``, never by scanning the waiters);
4. wake the tasks whose timers are due (a heap);
5. run the batch that was ready at the start of this step, and no more: in
   FIFO order, or in the order an injected scheduling policy picks
   (:mod:`loopsim.loop.scheduling`; asked only for a batch of two or more).

A tick costs in proportion to what is ready, not to what is waiting.
Durations are checked in the ``Sleep`` and ``OpenScope`` handlers
(:mod:`loopsim.loop.durations`), not in the tick. A run ended by an exception,
and ``close()``, finalize the tasks left, newest first (:meth:`Loop._finalize`).
"""

from __future__ import annotations

import heapq
import math
import selectors
import time
from collections import deque
from typing import Any, Callable, Generator, Iterable, Mapping

from ._compiled import mypyc_attr
from .clock import MonotonicClock
from .deadlock import deadlock_error
from .durations import FOREVER, MAX_DURATION, MAX_WAIT, SYSTEM_SELECTORS, checked_duration
from .epoll import HAVE_EPOLL, READABLE_BITS, WRITABLE_BITS, EpollSelector
from .errors import BadRequest, Cancelled, Deadlock, UsageError
from .instruments import Hooks, Instrument
from .registrations import Registrations
from .requests import CurrentTask, Join, Now, OpenScope, Sleep, Spawn, WaitEither, WaitRead, WaitWrite
from .scheduling import SchedulingPolicy
from .task import CLOSE_ATTEMPTS, Scope, Task, close_generator, log_unobserved
from .waits import Forever, SocketWaiters, Timer

__all__ = ["Loop", "run"]

EVENT_READ = selectors.EVENT_READ
EVENT_WRITE = selectors.EVENT_WRITE
_EITHER = EVENT_READ | EVENT_WRITE

_PARK = object()  # a handler's answer meaning "the task waits; do not resume it now"

# Timers due within this much of now fire now (the clock's resolution, as in asyncio).
_RESOLUTION = 1e-9


@mypyc_attr(allow_interpreted_subclasses=True)
class Loop:
    """A generator event loop over an injected selector and clock.

    ``Loop(selector=None, clock=None, instruments=(), policy=None)``: the
    defaults are the loop's own :class:`~loopsim.loop.epoll.EpollSelector` on
    Linux, else ``selectors.DefaultSelector()`` (either owned and closed by the
    loop), :class:`~loopsim.MonotonicClock`, and FIFO ready order. A selector
    passed in is used through its public ``select()``. ``policy`` is a
    :class:`~loopsim.loop.scheduling.SchedulingPolicy`: it picks which task of
    a tick's ready batch runs next.
    """

    def __init__(
        self,
        selector: selectors.BaseSelector | None = None,
        clock: Any = None,
        instruments: Iterable[Instrument] = (),
        policy: SchedulingPolicy | None = None,
    ) -> None:
        self._owns_selector = selector is None
        if selector is None:
            selector = EpollSelector() if HAVE_EPOLL else selectors.DefaultSelector()
        self.selector: selectors.BaseSelector = selector
        self.clock = MonotonicClock() if clock is None else clock
        if not callable(getattr(self.clock, "now", None)):
            raise TypeError(f"clock {self.clock!r} has no now() method; a clock is any object with now() -> float")
        # Every clock read goes through _now: the clock's now(), or for the real clock the C function behind it.
        self._now: Callable[[], float] = time.monotonic if type(self.clock) is MonotonicClock else self.clock.now
        if policy is not None and not callable(getattr(policy, "pick", None)):
            raise TypeError(f"policy {policy!r} has no pick() method; a scheduling policy is any object with "
                            "pick(ready) -> int")
        self._policy = policy
        hooks = self._hooks = Hooks(instruments)
        self._before_step = hooks.before_task_step  # the per-step hooks, usually empty lists
        self._after_step = hooks.after_task_step
        self._ready: deque[Task] = deque()
        self._timers: list[tuple[float, int, Timer]] = []
        # Only a real clock times the sweep for closed sockets; a virtual clock is never jumped for it.
        self._registrations = Registrations(selector, self._ready, self._now, isinstance(self.clock, MonotonicClock))
        self._tasks: dict[int, Task] = {}  # live tasks, in spawn order
        self._failed: list[Task] = []  # tasks that raised, to report if nobody looked
        self._seq = 0
        self._current: Task | None = None
        self._running = False
        self._closed = False
        self._max_wait = MAX_WAIT if isinstance(selector, SYSTEM_SELECTORS) else math.inf
        # The loop's own epoll selector is polled raw (EpollSelector.poll: the wake loop turns epoll's pairs
        # into (key, mask) itself, with no list of them built first), unless an instrument watches the io
        # waits: those get select()'s pairs. Every other selector goes through its public select().
        self._poll: Callable[[float | None], list[tuple[int, int]]] | None = None
        self._keys_by_fd: Mapping[int, selectors.SelectorKey] | None = None
        if (self._owns_selector and isinstance(selector, EpollSelector) and not hooks.before_io_wait
                and not hooks.after_io_wait):
            self._poll = selector.poll
            self._keys_by_fd = selector.keys_by_fd()

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
        """Run until no task is left. Task errors are logged, not raised.

        If the run ends by an exception (``Deadlock``, ...), the tasks left are
        finalized (their ``finally`` blocks run, newest task first) before it
        propagates.
        """
        self._run(None)

    def run_until_complete(self, gen: Generator[Any, Any, Any]) -> Any:
        """Spawn ``gen``, run until it finishes, return its value or raise its error.

        The other tasks still running then stay in the loop for a later run;
        :meth:`close` finalizes them. If the run ends by an exception
        (``Deadlock``, ...), every task left is finalized first, as in :meth:`run`.
        """
        task = self.spawn(gen)
        self._run(task)
        return task.result()

    def tasks(self) -> list[Task]:
        """The live tasks, in the order they were spawned."""
        return list(self._tasks.values())

    def close(self) -> None:
        """Finalize the tasks left (newest first: their ``finally`` blocks run), then close the selector
        if the loop created it. Closing a closed loop does nothing; closing a running one is a UsageError."""
        if self._running:
            raise UsageError("cannot close a running loop; close it after run() or run_until_complete() returns")
        if not self._closed:
            try:
                if self._tasks:
                    self._finalize("the loop was closed")
                    self._report_unobserved()
            finally:
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
        escaping: BaseException | None = None
        try:
            while self._tasks and (until is None or not until._done):
                self._tick()
        except BaseException as exc:
            escaping = exc
            if self._tasks:
                self._finalize(f"the run ended by {type(exc).__name__}")
            raise
        finally:
            self._running = False
            if until is not None and until._done and (escaping is None or until._exception is escaping):
                until._observed = True  # run_until_complete/run hand its error to the caller
            for hook in self._hooks.after_run:
                hook()
            self._report_unobserved()

    def _tick(self) -> None:
        """One iteration: sync interest, select, wake the waiters of what is ready, fire timers, run the batch."""
        ready = self._ready
        registrations = self._registrations
        if registrations.dirty:
            registrations.sync()
        timeout = 0.0 if ready else self._wait_time()
        dirty = registrations.dirty
        keys_by_fd = self._keys_by_fd
        events: Any
        key: Any
        if keys_by_fd is not None:  # the loop's own epoll: (fd, epoll bits), turned into (key, mask) below
            events = self._poll(timeout)  # type: ignore[misc]
            get_key = keys_by_fd.get
        else:
            events = self._select(timeout)
        # Wake the waiters of the ready sockets: the hot path. epoll.ready_mask and Registrations.mark_dirty are
        # inlined here because calling them was measured to cost: 1000 always-readable sockets, each with a task
        # re-waiting (one poll wakes them all), A/B in one process: 1.43 us CPU per wake with the two calls,
        # 1.32 us inlined (p25 of 25 runs each; the calls' ~0.1 us is the whole difference to the old loop).
        for key, mask in events:
            if keys_by_fd is not None:
                key = get_key(key)
                if key is None:
                    continue
                mask = ((EVENT_WRITE if mask & WRITABLE_BITS else 0)
                        | (EVENT_READ if mask & READABLE_BITS else 0)) & key.events
            waiters = key.data
            reader = waiters.reader
            if mask & EVENT_READ and reader is not None:
                waiters.reader = None
                if waiters.writer is reader:  # a bare `yield sock` waiter: woken once
                    waiters.writer = None
                reader._wait = None
                ready.append(reader)
            writer = waiters.writer
            if mask & EVENT_WRITE and writer is not None:
                waiters.writer = None
                if waiters.reader is writer:  # a bare `yield sock` waiter, woken by writability
                    waiters.reader = None
                writer._wait = None
                ready.append(writer)
            if not waiters.dirty:  # its waiters changed (had none woken, sync would find nothing to do)
                waiters.dirty = True
                dirty.append(waiters)
        if self._timers:
            self._fire_timers()
        n = len(ready)
        if n:
            registrations.note_steps(n)
            if n == 1 or self._policy is None:
                self._run_batch(n)
            else:
                self._run_picked(n)

    def _wait_time(self) -> float | None:
        """No task is ready: how long select may wait (reads the clock at most once)."""
        now = None
        registrations = self._registrations
        awaited = registrations.by_socket
        if registrations.sweep_due is not None and awaited:  # (only a real clock sets sweep_due)
            now = self._now()
            if now >= registrations.sweep_due:
                registrations.sweep_closed()
        if self._ready:
            return 0.0  # the sweep woke a waiter of a closed socket
        if self._timers and self._drop_dead_timers():
            if now is None:
                now = self._now()
            timeout: float | None = min(max(0.0, self._timers[0][0] - now), self._max_wait)
        elif awaited:
            timeout = None
        else:
            raise self._deadlock("no task is ready, no timer is set and no socket is awaited")
        sweep_due = registrations.sweep_due
        if sweep_due is not None and now is not None and awaited:  # (no socket awaited: nothing to sweep)
            left = max(0.0, sweep_due - now)  # do not sleep through the sweep
            if timeout is None or left < timeout:
                timeout = left
        return timeout

    def _select(self, timeout: float | None) -> list[tuple[selectors.SelectorKey, int]]:
        hooks = self._hooks
        for hook in hooks.before_io_wait:
            hook(timeout)
        try:
            events = self.selector.select(timeout)
        except Exception as exc:
            if getattr(exc, "would_block_forever", False):
                self._registrations.sweep_closed()  # a waiter of a closed socket is told, not reported as deadlocked
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
        by_socket = self._registrations.by_socket
        mark_dirty = self._registrations.mark_dirty
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
                    if type(request) is WaitRead:  # the commonest request: Registrations.wait's usual case, inlined
                        sock = request.sock
                        waiters = by_socket.get(sock)
                        if waiters is not None and waiters.reader is None and sock.fileno() >= 0:
                            waiters.reader = task
                            task._wait = waiters
                            if not waiters.mask & EVENT_READ:
                                mark_dirty(waiters)
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

    def _run_picked(self, n: int) -> None:
        """Run the first ``n`` ready tasks (``n >= 2``) one at a time, in the order the policy picks.

        The batch is taken out of the ready queue; before each task, while two or more are left, the
        policy gets the ones not yet run (FIFO order) and names the next. Tasks made ready meanwhile
        wait for the next tick, as in :meth:`_run_batch`.
        """
        ready = self._ready
        policy = self._policy
        pick: Any = policy.pick  # type: ignore[union-attr]  # (Any: the answer is checked here, not by mypyc)
        batch = [ready.popleft() for _ in range(n)]
        try:
            while batch:
                i: Any = pick(batch) if len(batch) > 1 else 0
                if not (type(i) is int and 0 <= i < len(batch)):
                    raise UsageError(f"scheduling policy {policy!r} picked {i!r} from {len(batch)} ready tasks; "
                                     f"pick(ready) must return an int index, 0 <= i < len(ready)")
                ready.appendleft(batch.pop(i))
                self._run_batch(1)
        finally:
            ready.extendleft(reversed(batch))  # (a task or the policy raised: the rest stay ready, in order)

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
        self._registrations.wait(task, req.sock, EVENT_READ)
        return _PARK

    def _on_WaitWrite(self, task: Task, req: WaitWrite) -> Any:
        self._registrations.wait(task, req.sock, EVENT_WRITE)
        return _PARK

    def _on_WaitEither(self, task: Task, req: WaitEither) -> Any:
        self._registrations.wait(task, req.sock, _EITHER)
        return _PARK

    def _on_Sleep(self, task: Task, req: Sleep) -> Any:
        seconds = req.seconds
        if not ((type(seconds) is float or type(seconds) is int) and seconds <= MAX_DURATION):
            # the rare cases: inf, NaN, too long, not a float or int (raises for what is wrong)
            seconds = checked_duration(task.name, "sleep", seconds)
            if seconds == FOREVER:
                task._wait = Forever()  # no timer: only a cancellation ends it
                return _PARK
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
        seconds = req.seconds
        if not ((type(seconds) is float or type(seconds) is int) and 0 <= seconds <= MAX_DURATION):
            seconds = checked_duration(task.name, "timeout", seconds)  # <= 0: 0.0 (expires at once); inf: FOREVER
        scope = Scope(task, self._now() + seconds, req.seconds)
        if seconds != FOREVER:  # timeout(inf, ...): a scope with no deadline
            self._add_timer(scope.deadline, scope)
        return scope

    def _on_other(self, task: Task, value: Any) -> Any:
        if hasattr(value, "fileno"):  # the seed's bare `yield sock`
            self._registrations.wait(task, value, _EITHER)
            return _PARK
        raise BadRequest(
            f"task {task.name!r} yielded {value!r}, which the loop does not understand; "
            "use `yield from` with a loopsim operation (recv, send, sleep, ...) or yield a socket")

    # -- helpers of the handlers ---------------------------------------------------------

    def _add_timer(self, when: float, target: Task | Scope) -> Timer:
        timer = Timer(target)
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
        if isinstance(wait, SocketWaiters):
            self._registrations.remove(task, wait)
        elif isinstance(wait, Timer):
            wait.cancelled = True
        elif isinstance(wait, Task) and wait._joiners is not None:
            wait._joiners.remove(task)

    # -- finalization ------------------------------------------------------------------

    def _finalize(self, reason: str) -> None:
        """Finish every live task without running the loop, newest first (docs/loop.md, "Finalization").

        ``GeneratorExit`` at its yield (``close_generator``) runs its ``finally`` blocks; it ends cancelled,
        or with what one raised, or a ``UsageError`` if one yielded (logged as unobserved errors are).
        """
        escaped: BaseException | None = None
        tasks = self._tasks
        while tasks:
            task = tasks[next(reversed(tasks))]  # a finally block may spawn: it is finalized next
            wait = task._wait
            if wait is not None:
                self._unwait(task, wait)
                task._wait = None
            task._pending_cancel = None
            error, yielded = close_generator(task.gen)
            if yielded:
                alive = getattr(task.gen, "gi_frame", None) is not None
                usage = UsageError(
                    f"task {task.name!r} yielded {yielded[0]!r} in a finally block while it was finalized "
                    f"({reason}); the loop no longer runs then, so a finally block must not wait"
                    + (f" (it kept yielding: left suspended after {CLOSE_ATTEMPTS} GeneratorExits)" if alive else ""))
                usage.__context__ = error
                error = usage
            if error is not None and escaped is None and not isinstance(error, (Exception, Cancelled)):
                escaped = error
            self._finish(task, None, error if error is not None else Cancelled(
                f"task {task.name!r} was finalized: {reason}"))
        self._ready.clear()  # every task in it is finished
        self._timers.clear()  # every timer was a finished task's sleep or scope
        if escaped is not None:
            raise escaped

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


def run(gen: Generator[Any, Any, Any], *, selector: selectors.BaseSelector | None = None, clock: Any = None,
        policy: SchedulingPolicy | None = None) -> Any:
    """Run ``gen`` on a new loop until it finishes and return its value (or raise its error).

    Tasks it spawned that are still running afterwards are cancelled (newest
    first) and run to the end of their ``finally`` blocks, as ``asyncio.run``
    does; their ``finally`` blocks may still wait. If a run ends by an
    exception (a ``Deadlock``, ...), the tasks left are finalized without the
    loop (see :meth:`Loop.run`).
    """
    loop = Loop(selector=selector, clock=clock, policy=policy)
    try:
        main = loop.spawn(gen)
        loop._run(main)
        leftovers = loop.tasks()
        for task in reversed(leftovers):
            task.cancel()
        if leftovers:
            loop._run(None)
        return main.result()
    finally:
        loop.close()
