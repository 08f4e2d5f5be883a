"""Task.waiting_for(): what a parked task waits on, in words, for observers (instruments, the deadlock report)."""

from __future__ import annotations

import math

import fakes
import loopsim
from loopsim.loop.instruments import Instrument


class After(Instrument):
    """Notes ``task.waiting_for()`` after every step of every task."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def after_task_step(self, task: loopsim.Task) -> None:
        self.seen.append((task.name, task.waiting_for()))


def test_each_kind_of_wait_is_named():
    net = fakes.FakeNetwork(seed=0)
    listener = net.listen(("server", 1))
    watch = After()
    loop = loopsim.Loop(selector=net.selector(), clock=net.clock, instruments=[watch])

    def sleeper():
        yield from loopsim.sleep(1.0)

    def forever():
        yield from loopsim.sleep(math.inf)

    def main():
        client = net.connect(("server", 1))
        try:
            yield from loopsim.wait_writable(client)
            conn, _ = yield from loopsim.accept(listener)
            yield conn  # the seed's bare form: readable or writable
            client.send(b"x")
            yield from loopsim.wait_readable(conn)
            nap = yield from loopsim.spawn(sleeper(), name="nap")
            ever = yield from loopsim.spawn(forever(), name="ever")
            yield from loopsim.join(nap)
            ever.cancel()
            conn.close()
        finally:
            client.close()
            listener.close()

    loop.spawn(main(), name="main")
    loop.run()
    main_waits = [w for name, w in watch.seen if name == "main"]
    assert "socket-1 to be writable" in main_waits
    assert "server:1 to be readable" in main_waits  # the accept
    assert any(w.endswith(" to be readable or writable") for w in main_waits)
    assert "task 'nap' to finish" in main_waits
    assert main_waits[-1] == ""  # it returned
    assert ("nap", "its timer") in watch.seen
    assert ("ever", "the end of sleep(inf), which never comes") in watch.seen
