"""A driver whose output depends on PYTHONHASHSEED (for the determinism self-check's tests). It imports only
loopsim's loop layer, so the fresh processes that run it start fast."""

import loopsim

WORDS = {"alpha", "beta", "gamma", "delta", "epsilon"}  # a set of str: its order depends on PYTHONHASHSEED


def _sink(listener):
    conn, _ = yield from loopsim.accept(listener)
    got = b""
    while True:
        chunk = yield from loopsim.recv(conn, 100)
        if not chunk:
            break
        got += chunk
    conn.close()
    return got


def hash_ordered(net, ordered=False, crash=False):
    """Sends the words of a set in the set's order (not deterministic across processes) or sorted."""
    listener = net.listen(("sink", 9))
    try:
        sink = yield from loopsim.spawn(_sink(listener), name="sink")
        sock = net.socket("client#1")
        yield from loopsim.connect(sock, ("sink", 9))
        for word in sorted(WORDS) if ordered else WORDS:
            yield from loopsim.sendall(sock, word.encode() + b" ")
            yield from loopsim.sleep(0.001)
        sock.close()
        got = yield from loopsim.join(sink)
    finally:
        listener.close()
    if crash:
        yield from loopsim.spawn(_crash(), name="crasher")
        yield from loopsim.sleep(0.001)
    return {"bytes": len(got)}


def _crash():
    raise RuntimeError("planted")
    yield  # a generator
