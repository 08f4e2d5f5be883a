# scenarios.apps: small example apps the scenarios drive, written on loopsim's loop layer only.
# Owns: nothing but the package marker. Each app gets its sockets and addresses as parameters.
"""Example apps: the seed's naive proxy, a correct proxy, an echo server, a slow upper-casing server2.

Every app takes its listening socket, the addresses it connects to and a
``new_socket()`` factory as parameters, so the same code runs on real
loopback sockets and on ``fakes.FakeNetwork`` (pass ``net.socket``).
"""

__all__: list[str] = []
