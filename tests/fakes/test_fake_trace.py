"""Trace: an append-only record with a stable one-line-per-event text form."""

from fakes import Trace, TraceEvent, VirtualClock, format_value


def test_events_are_stamped_and_numbered():
    clock = VirtualClock()
    trace = Trace(clock)
    trace.add("client", "recv", (10,), b"hi")
    clock.advance(1.5)
    trace.add("select", "select", (None,), (("client", 1),))
    assert len(trace) == 2
    first, second = trace.events
    assert first == TraceEvent(0, 0.0, "client", "recv", (10,), b"hi")
    assert second.seq == 1 and second.t == 1.5
    assert trace[1] == second
    assert list(trace) == [first, second]
    assert trace.tail(1) == [second]
    assert trace.tail(0) == []


def test_text_form():
    clock = VirtualClock()
    trace = Trace(clock)
    trace.add("client", "send", (b"x" * 100,), 100)
    trace.add("client", "recv", (5,), "EAGAIN")
    trace.add("server:80", "accept", (), ("server:80<-client", ("127.0.0.1", 40000)))
    trace.add("clock", "clock", (0.0, 2.0), None)
    assert trace.to_text() == (
        "0.000000 client send (<100 bytes b'" + "x" * 40 + "'...>,) -> 100\n"
        "0.000000 client recv (5,) -> 'EAGAIN'\n"
        "0.000000 server:80 accept () -> ('server:80<-client', ('127.0.0.1', 40000))\n"
        "0.000000 clock clock (0.0, 2.0) -> None\n"
    )
    assert trace.to_text(last=1) == "0.000000 clock clock (0.0, 2.0) -> None\n"
    assert repr(trace) == "<Trace 4 events>"


def test_format_value():
    assert format_value(b"ab") == "<2 bytes b'ab'>"
    assert format_value(bytearray(b"ab")) == "<2 bytes b'ab'>"
    assert format_value(memoryview(b"ab")) == "<2 bytes b'ab'>"
    assert format_value(()) == "()"
    assert format_value((1,)) == "(1,)"
    assert format_value([b"a", 2]) == "[<1 bytes b'a'>, 2]"
    assert format_value(None) == "None"
