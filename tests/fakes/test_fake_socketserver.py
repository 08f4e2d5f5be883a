"""socketserver handlers, unchanged, on the fake network (fakes.servers.FakeTCPServer)."""

import socketserver

import pytest

from fakes import FakeBlockingError, FakeNetwork
from fakes.servers import FakeTCPServer

ADDR = ("server2", 80)


class MyTCPHandler(socketserver.BaseRequestHandler):
    """The socketserver documentation's example handler, as it stands there."""

    def handle(self):
        self.data = self.request.recv(1024).strip()
        self.request.sendall(self.data.upper())


class MyStreamHandler(socketserver.StreamRequestHandler):
    """The documentation's StreamRequestHandler variant: rfile/wfile over the connection."""

    def handle(self):
        self.data = self.rfile.readline().strip()
        self.wfile.write(self.data.upper())


def blocking_client(net, name, payload):
    sock = net.socket(name)
    sock.setblocking(True)
    sock.connect(ADDR)
    sock.sendall(payload)
    return sock


def read_all(sock):
    chunks = []
    while data := sock.recv(1024):
        chunks.append(data)
    return b"".join(chunks)


@pytest.mark.parametrize("handler", [MyTCPHandler, MyStreamHandler])
def test_the_documentations_handlers_serve_clients_on_the_fake_network(handler):
    net = FakeNetwork(seed=1)
    net.link("*", latency=0.01)
    net.endpoint("client#*", max_send=3)  # the request is sent in pieces
    with FakeTCPServer(net, ADDR, handler) as server:
        clients = [blocking_client(net, f"client#{i}", b"hello world %d\n" % i) for i in (1, 2)]
        server.serve_forever()  # returns once no client can come any more
    replies = [read_all(c) for c in clients]
    for c in clients:
        c.close()
    assert replies == [b"HELLO WORLD 1", b"HELLO WORLD 2"]  # (every piece arrives at one instant here)
    assert net.open_sockets() == []
    assert net.clock.now() > 0.01  # the blocked reads waited in virtual time


def test_the_one_recv_handler_loses_the_tail_of_a_request_sent_in_pieces():
    net = FakeNetwork(seed=1)
    net.link("*", latency=0.01, bandwidth=1000.0)  # 3-byte segments arrive 3 ms apart
    net.endpoint("client#*", max_send=3)
    with FakeTCPServer(net, ADDR, MyTCPHandler) as server:
        client = blocking_client(net, "client#1", b"hello world\n")
        server.handle_request()
    assert read_all(client) == b"HEL"  # the first segment only: the framing bug, found in virtual time
    client.close()


def test_a_handler_waiting_for_bytes_never_sent_is_told_why():
    net = FakeNetwork(seed=1)
    errors = []

    class Waits(socketserver.BaseRequestHandler):
        def handle(self):
            try:
                self.request.recv(10)
            except FakeBlockingError as exc:
                errors.append(str(exc))

    with FakeTCPServer(net, ADDR, Waits) as server:
        client = blocking_client(net, "client#1", b"")
        server.handle_request()
    client.close()
    assert errors and "would block forever" in errors[0] and "setblocking(False)" in errors[0]


def test_a_socket_timeout_in_a_handler_passes_in_virtual_time():
    net = FakeNetwork(seed=1)
    seen = []

    class Slow(socketserver.StreamRequestHandler):
        timeout = 5.0  # StreamRequestHandler sets it on the connection

        def handle(self):
            try:
                self.rfile.readline()
            except TimeoutError:
                seen.append(net.clock.now())

    with FakeTCPServer(net, ADDR, Slow) as server:
        client = blocking_client(net, "client#1", b"")  # connects, sends nothing
        server.handle_request()
    client.close()
    assert seen == [pytest.approx(5.0)]


def test_shutdown_from_a_handler_stops_serve_forever():
    net = FakeNetwork(seed=1)
    served = []

    class Once(socketserver.BaseRequestHandler):
        def handle(self):
            served.append(self.client_address)
            self.server.shutdown()

    with FakeTCPServer(net, ADDR, Once) as server:
        clients = [blocking_client(net, f"client#{i}", b"x") for i in (1, 2)]
        server.serve_forever()
    assert len(served) == 1
    for c in clients:
        c.close()
