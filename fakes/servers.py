# fakes.servers: socketserver on the fake network - FakeTCPServer, a socketserver.TCPServer whose listener is a
# fake socket and whose serve loop polls the network's fake selector in virtual time.
# Owns: FakeTCPServer. Imports: stdlib (selectors, socketserver), fakes.{errors,socket_table}.
"""``socketserver`` handlers on the fakes, unchanged.

::

    class Upper(socketserver.StreamRequestHandler):     # the user's handler, as it is
        def handle(self):
            self.wfile.write(self.rfile.readline().upper())

    net = FakeNetwork(seed=1)
    server = FakeTCPServer(net, ("server2", 80), Upper)
    ...                                                  # clients connect and send
    server.serve_forever()                               # returns once the fake world is idle
    server.server_close()

:class:`FakeTCPServer` is a ``socketserver.TCPServer`` (so ``ThreadingMixIn``
aside, everything a handler sees - ``self.request``, ``rfile``/``wfile``,
``client_address``, ``server`` - is the stdlib's), with two differences:

* its listening socket is the network's (named ``"host:port"``), so a
  connection it accepts is a fake socket in blocking mode, as an accepted
  socket is; a blocked call in a handler lets the fake world run in virtual
  time until it can be answered (docs/fakes.md, "Blocking mode");
* :meth:`serve_forever` and :meth:`handle_request` wait on the network's
  :class:`~fakes.FakeSelector` instead of a real ``PollSelector``, in virtual
  time, and ``serve_forever`` returns once nothing is ready and nothing is
  scheduled in the network (no client can ever come: a real server would wait
  forever); :meth:`shutdown` may be called from a handler or from
  ``service_actions`` (the stdlib's waits for another thread, and a fake world
  has one thread).

The clients run before and after the server's loop, or in flight: a handler
holds the thread while it runs, so a client's code cannot run in between (a
handler waiting for bytes the client has not sent yet raises
:class:`~fakes.FakeBlockingError`, saying so). Serving a simulated network
only (``FakeNetwork``): a replayed or live network does not move time for a
blocked call.
"""

from __future__ import annotations

import selectors
import socketserver
from typing import Any

from .socket_table import addr_key

__all__ = ["FakeTCPServer"]


class FakeTCPServer(socketserver.TCPServer):
    """A ``socketserver.TCPServer`` listening on ``net`` at ``server_address`` (a name such as
    ``("server2", 80)``); ``RequestHandlerClass`` is any socketserver handler."""

    def __init__(self, net: Any, server_address: tuple[str, int], RequestHandlerClass: Any,
                 bind_and_activate: bool = True) -> None:
        socketserver.BaseServer.__init__(self, server_address, RequestHandlerClass)
        self.fake_network = net
        self._stop = False
        self.socket = net.socket(addr_key(server_address), self.address_family, self.socket_type)
        if bind_and_activate:
            try:
                self.server_bind()
                self.server_activate()
            except BaseException:
                self.server_close()
                raise

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Handle requests until :meth:`shutdown` or until the fake world is idle (nothing ready, nothing
        scheduled); ``service_actions()`` runs after each wait, as in the stdlib."""
        self._stop = False
        net = self.fake_network
        with net.selector() as selector:
            selector.register(self, selectors.EVENT_READ)
            while not self._stop:
                ready = selector.select(poll_interval)
                if self._stop:
                    break
                if ready:
                    self._serve_one()
                elif not net.scheduled():
                    break  # no client can ever come
                self.service_actions()

    def shutdown(self) -> None:
        """Stop :meth:`serve_forever` after the current request (callable from a handler)."""
        self._stop = True

    def handle_request(self) -> None:
        """Handle one request, waiting up to ``self.timeout`` virtual seconds (None: until the world is
        idle); ``handle_timeout()`` if none came."""
        timeout = self.timeout  # (the fake listener is non-blocking: its own timeout is 0, not the stdlib's None)
        net = self.fake_network
        with net.selector() as selector:
            selector.register(self, selectors.EVENT_READ)
            while True:
                if selector.select(timeout if timeout is not None else 3600.0):
                    self._serve_one()
                    return
                if timeout is not None or not net.scheduled():
                    self.handle_timeout()
                    return

    def _serve_one(self) -> None:
        """Accept one connection and process it, through the stdlib's documented hooks."""
        try:
            request, client_address = self.get_request()
        except OSError:
            return
        if self.verify_request(request, client_address):
            try:
                self.process_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
                self.shutdown_request(request)
            except BaseException:
                self.shutdown_request(request)
                raise
        else:
            self.shutdown_request(request)
