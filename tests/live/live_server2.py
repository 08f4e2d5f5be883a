"""A real, slow, upper-casing server2 on plain blocking sockets, one thread per connection.

Run as a separate process by the live tests: ``python tests/live_server2.py DELAY SLOW_DELAY``.
It prints its port on stdout, then serves until killed. Per connection it reads the
request until EOF (the client's half-close), waits DELAY seconds (SLOW_DELAY if the
request starts with b"SLOW"), replies with the request upper-cased and closes.
"""

from __future__ import annotations

import socket
import sys
import threading
import time


def serve_one(conn: socket.socket, delay: float, slow_delay: float) -> None:
    try:
        chunks = []
        while data := conn.recv(65536):
            chunks.append(data)
        request = b"".join(chunks)
        time.sleep(slow_delay if request.startswith(b"SLOW") else delay)
        conn.sendall(request.upper())
    except OSError:
        pass  # the proxy went away: nothing to do
    finally:
        conn.close()


def main() -> None:
    delay, slow_delay = float(sys.argv[1]), float(sys.argv[2])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(512)
    print(listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve_one, args=(conn, delay, slow_delay), daemon=True).start()


if __name__ == "__main__":
    main()
