"""Small asyncio drivers for tests/harness/test_async_drivers.py (not bundled scenarios: apps of a user's own)."""

import asyncio

ADDR = ("kv", 7000)


async def _framing_server(reader, writer):
    """A key-value server with a framing bug: it takes one read() as the whole request."""
    request = await reader.read(4096)  # BUG: a request may arrive in several pieces
    writer.write(b"OK " + str(len(request)).encode() + b"\n")
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def _framed_server(reader, writer):
    """The twin: reads up to the end of the request (the client half-closes)."""
    request = await reader.read()
    writer.write(b"OK " + str(len(request)).encode() + b"\n")
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def kv_world(net, *, size=600, fixed=False):
    """One client sends ``size`` bytes then half-closes; the server answers with the length it read."""
    server = await asyncio.start_server(_framed_server if fixed else _framing_server, *ADDR)
    try:
        reader, writer = await asyncio.open_connection(*ADDR)
        writer.write(b"x" * size)
        await writer.drain()
        writer.write_eof()
        answer = await reader.readline()
        writer.close()
        await writer.wait_closed()
    finally:
        server.close()
        await server.wait_closed()
    return {"answer": answer.decode().strip()}


def whole_request(outcome):
    """The server saw the whole request."""
    if outcome.result is None:
        return None
    want = "OK 600"
    return None if outcome.result["answer"] == want else f"the server answered {outcome.result['answer']!r}, not {want!r}"


async def waits_forever(net):
    """A client that reads from a server that never answers, with nothing else going on: a deadlock."""
    accepted = []  # kept: on 3.12+ a StreamWriter closes its connection when garbage-collected
    server = await asyncio.start_server(lambda r, w: accepted.append(w), *ADDR)
    reader, writer = await asyncio.open_connection(*ADDR)
    try:
        return await reader.read(10)
    finally:
        writer.close()
        server.close()


async def spins(net):
    """A busy-wait: the flag is never set, and asyncio.sleep(0) never lets virtual time move."""
    flag = []
    while not flag:
        await asyncio.sleep(0)


async def ticks_forever(net):
    """Sleeps in a loop forever: virtual time advances past any horizon."""
    while True:
        await asyncio.sleep(1.0)


class _Exploding(asyncio.Protocol):
    def data_received(self, data):
        raise ValueError(f"cannot parse {data!r}")


async def protocol_raises(net):
    """A protocol's data_received raises: the error belongs to no task; it is reported as a callback's."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Exploding, *ADDR)
    reader, writer = await asyncio.open_connection(*ADDR)
    writer.write(b"hello")
    await writer.drain()
    await asyncio.sleep(0.1)
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    return "sent"


async def wait_for_timing(net):
    """wait_for on a read that never comes ends at exactly its timeout, in virtual time."""
    accepted = []  # the server's side, closed at the end (on 3.12+ wait_closed() waits for it)
    server = await asyncio.start_server(lambda r, w: accepted.append(w), *ADDR)
    reader, writer = await asyncio.open_connection(*ADDR)
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        await asyncio.wait_for(reader.read(10), timeout=2.5)
    except TimeoutError:
        pass
    elapsed = loop.time() - start
    writer.close()
    await writer.wait_closed()
    for w in accepted:
        w.close()
    server.close()
    await server.wait_closed()
    return elapsed


async def named_tasks(net):
    """Unnamed tasks get names counted per loop, the same in every run."""
    async def work():
        await asyncio.sleep(0.01)
    tasks = [asyncio.create_task(work()) for _ in range(3)]
    tasks.append(asyncio.create_task(work(), name="mine"))
    await asyncio.gather(*tasks)
    return [t.get_name() for t in tasks]


async def leaves_a_handler_running(net):
    """Returns while a start_server handler still waits: the run's cleanup cancels it."""
    async def handler(reader, writer):
        await reader.read()

    server = await asyncio.start_server(handler, *ADDR)
    reader, writer = await asyncio.open_connection(*ADDR)
    await asyncio.sleep(0.01)
    writer.close()
    server.close()
    return "left"
