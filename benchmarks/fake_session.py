"""The simulated proxy session both sim_vs_trio.py and fake_oready.py measure (not a benchmark itself).

A client sends 1 KiB in four 256-byte writes and half-closes; the correct proxy
forwards it to server2, which replies upper-cased after 5 virtual seconds; the
client reads the whole reply.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any, Generator

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # after site-packages: an installed (compiled) loopsim wins

import loopsim  # noqa: E402
from scenarios.apps.echo import upper_server  # noqa: E402
from scenarios.apps.proxy import proxy_server  # noqa: E402

REQUEST = [b"x" * 256] * 4
EXPECTED = b"X" * 1024
DELAY = 5.0
BUFSIZE = 65536
SERVER2 = ("server2", 80)
PROXY = ("proxy", 8080)


def client(net: Any) -> Generator[Any, Any, bytes]:
    """Send the request in four writes, half-close, read the reply to EOF."""
    sock = net.socket("client")
    try:
        yield from loopsim.connect(sock, PROXY)
        for chunk in REQUEST:
            yield from loopsim.sendall(sock, chunk)
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while data := (yield from loopsim.recv(sock, BUFSIZE)):
            reply += data
        return reply
    finally:
        sock.close()


def servers(net: Any, server2_listener: Any, proxy_listener: Any) -> tuple[Any, Any]:
    """The generators of server2 and the proxy, each serving one session."""
    return (upper_server(server2_listener, delay=DELAY, max_sessions=1),
            proxy_server(proxy_listener, SERVER2, net.socket_factory("proxy->server2"), max_sessions=1))
