"""The loop runs a task that uses every kind of request on real sockets."""

import socket

import loopsim


def test_run_returns_value_of_a_task_using_sockets_timers_and_children():
    def child(x):
        yield from loopsim.sleep(0.001)
        return x * 2

    def main():
        a, b = socket.socketpair()
        a.setblocking(False)
        b.setblocking(False)
        try:
            task = yield from loopsim.spawn(child(21))
            yield from loopsim.sendall(a, b"hello")
            data = yield from loopsim.recv(b, 100)
            doubled = yield from loopsim.join(task)
            return data, doubled
        finally:
            a.close()
            b.close()

    assert loopsim.run(main()) == (b"hello", 42)
